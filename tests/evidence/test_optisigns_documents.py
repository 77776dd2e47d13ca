"""Issue 10, check 6b: every GraphQL document the OptiSigns hook sends rests on trusted evidence or is in the table.

Each public method of :class:`OptiSignsHook` is driven against the emulator (normal mode: every guess accepted,
so the hook sends its full documents) and every request body is captured. Then, for each one:

- every name it uses (field, argument, input field, enum value, read with the schema's types) is a name of the
  emulator's annotated schema, and each name without trusted evidence is in
  :data:`signs_provider.optisigns.client.evidence.WEAK_NAMES`;
- validated against the pessimistic schema (no weak name), each refusal names a name of that table.

The table itself must agree with the emulator's annotations (trust level and document id) and list no name the
hook never sends.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    get_named_type,
    parse,
    type_from_ast,
    validate,
)
from graphql.execution.values import get_variable_values

from signs_emulator.optisigns.evidence import build_served_schema, evidence_table
from signs_provider.optisigns.client import evidence
from signs_provider.optisigns.client.graphql import GraphQLSession
from signs_provider.optisigns.hooks import OptiSignsHook
from tests.optisigns.conftest import FAST

SCHEMA = build_served_schema(pessimistic=False)
PESSIMISTIC = build_served_schema(pessimistic=True)
TABLE = {row.name: row for row in evidence_table()}

# graphql-core's words for a refused name (the emulator turns them into graphql-js's; same names).
_REFUSALS = (
    (re.compile(r"Unknown argument '(\w+)' on field '(\w+)\.(\w+)'"), lambda m: f"{m[2]}.{m[3]}({m[1]})"),
    (re.compile(r"Cannot query field '(\w+)' on type '(\w+)'"), lambda m: f"{m[2]}.{m[1]}"),
    (re.compile(r"type '(\w+)' not to include unknown field '(\w+)'"), lambda m: f"{m[1]}.{m[2]}"),
    (re.compile(r"Value '(\w+)' does not exist in '(\w+)' enum"), lambda m: f"{m[2]}.{m[1]}"),
)


def _input_names(type_: Any, value: Any, out: set[str]) -> None:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        for item in value if isinstance(value, list) else [value]:
            _input_names(type_.of_type, item, out)
    elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
        for key, item in value.items():
            out.add(f"{type_.name}.{key}")
            if key in type_.fields:
                _input_names(type_.fields[key].type, item, out)
    elif isinstance(type_, GraphQLEnumType) and isinstance(value, str):
        out.add(f"{type_.name}.{value}")


def names_used(body: dict[str, Any]) -> set[str]:
    """Every schema name a request uses: selected fields, arguments, variables' input fields and enum values."""
    out: set[str] = set()
    document = parse(body["query"])

    def walk(selection_set: Any, parent: Any) -> None:
        for selection in selection_set.selections:
            name = selection.name.value
            out.add(f"{parent.name}.{name}")
            for argument in selection.arguments or ():
                out.add(f"{parent.name}.{name}({argument.name.value})")
            field = parent.fields.get(name)
            if selection.selection_set is not None and field is not None:
                walk(selection.selection_set, get_named_type(field.type))

    for operation in document.definitions:
        walk(operation.selection_set, SCHEMA.get_root_type(operation.operation))
        for definition in operation.variable_definitions or ():
            variable = definition.variable.name.value
            if variable in body["variables"]:
                _input_names(type_from_ast(SCHEMA, definition.type), body["variables"][variable], out)
    return out


def pessimistic_refusals(body: dict[str, Any]) -> list[str]:
    """The messages of the pessimistic schema's refusals of a request (validation, then its variables)."""
    document = parse(body["query"])
    errors = validate(PESSIMISTIC, document)
    if not errors:
        operation = document.definitions[0]
        coerced = get_variable_values(PESSIMISTIC, operation.variable_definitions or [], body["variables"])
        errors = coerced if isinstance(coerced, list) else []
    return [error.message for error in errors]


def refused_name(message: str) -> str | None:
    for pattern, name in _REFUSALS:
        if match := pattern.search(message):
            return name(match)
    return None


# -- driving every public method ------------------------------------------------------------------------


def _public_methods() -> set[str]:
    own = {
        name
        for name, member in vars(OptiSignsHook).items()
        if not name.startswith("_") and inspect.isfunction(member)
    }
    # Airflow's connection-form hooks, not API calls.
    return own - {"get_ui_field_behaviour", "get_connection_form_widgets"}


def drive(hook: OptiSignsHook, png: Any) -> set[str]:
    """Call every public method of the hook once (most with their optional filters); return their names."""
    called: set[str] = set()
    # One loop for every async call: the hook's async transport belongs to the loop that made it.
    loop = asyncio.new_event_loop()

    def call(method: str, /, *args: Any, **kwargs: Any) -> Any:
        called.add(method)
        result = getattr(hook, method)(*args, **kwargs)
        return loop.run_until_complete(result) if inspect.iscoroutine(result) else result

    try:
        _drive(call, png)
    finally:
        loop.run_until_complete(hook.aclose())
        loop.close()
    return called


def _drive(call: Any, png: Any) -> None:

    call("test_connection")
    call("execute", "query { devices(query: {}) { page { edges { node { _id } } } } }")
    call("aexecute", "query { devices(query: {}) { page { edges { node { _id } } } } }")
    listing = (
        "query L($query: QueryDeviceInput!, $first: Int, $after: String) { devices(query: $query, first: $first, "
        "after: $after) { page { edges { node { _id } } pageInfo { hasNextPage endCursor } } } }"
    )
    list(call("paginate", listing, {"query": {}}, connection_field="devices"))
    call("apaginate", listing, {"query": {}}, connection_field="devices")
    screens = call("list_screens")
    screen = screens[0]
    call(
        "list_screens", tags=list(screen.get("tags") or ["x"]), path=screen.get("path") or "/", name="nobody"
    )
    call("alist_screens")
    call("get_screen", screen["_id"])
    call("find_screens", ids=[screen["_id"]])
    call("screens_status")
    call("get_upload_options")
    uploaded = call("upload_file", png, name="Evidence slide", tags=["evidence"], path="/Evidence")
    call("wait_for_asset_ready", uploaded["_id"], timeout=30, poll_interval=0.1)
    call("get_asset", uploaded["_id"])
    call("aget_asset", uploaded["_id"])
    site = call("upsert_website_asset", "Evidence site", "https://example.com/menu", tags=["evidence"])
    call("list_assets", name="Evidence site", tags=["evidence"], asset_type="web")
    call("tag_assets", [site["_id"]], ["more"], mode="ADD")
    playlist = call("upsert_playlist", "Evidence loop", tags=["evidence"], path="/Evidence")
    call("list_playlists", name="Evidence loop", tags=["evidence"])
    call("find_playlist", "Evidence loop")
    call("get_playlist", playlist["_id"])
    call("add_playlist_items", playlist["_id"], [site["_id"], uploaded["_id"]], duration=10)
    call("move_playlist_items", playlist["_id"], [1], 0)
    call("remove_playlist_items", playlist["_id"], [1])
    call("set_playlist_items", playlist["_id"], [site["_id"], uploaded["_id"]])
    call("sync_playlist", "Evidence sync", [site["_id"]], tags=["evidence"])
    schedule = call("upsert_schedule", "Evidence hours", tags=["evidence"], path="/Evidence")
    call("upsert_schedule", "Evidence hours", tags=["evidence", "second"])  # an update: saveSchedule with _id
    call("list_schedules", name="Evidence hours")
    start = datetime(2031, 3, 3, 9, 0)
    item = call(
        "add_schedule_item",
        schedule["_id"],
        start=start,
        end=start + timedelta(hours=8),
        playlist_id=playlist["_id"],
        rrule="FREQ=WEEKLY;BYDAY=MO",
        name="Mondays",
    )
    call(
        "add_schedule_item",
        schedule["_id"],
        start=start,
        end=start + timedelta(hours=1),
        asset_id=site["_id"],
        force=True,
    )
    call("list_schedule_items", schedule["_id"])
    call("remove_schedule_item", item["_id"])
    call("assign_content", [screen["_id"]], playlist_id=playlist["_id"])
    call("assign_content", [screen["_id"]])
    call("push_to_screens", asset_id=site["_id"], screen_ids=[screen["_id"]])
    call(
        "push_to_screens",
        playlist_id=playlist["_id"],
        tags=list(screen.get("tags") or []),
        mode="SCHEDULE",
        start_at=start,
        expire_at=start + timedelta(days=1),
        local_timezone="Europe/Berlin",
    )
    call(
        "push_to_screens",
        asset_id=site["_id"],
        screen_ids=[screen["_id"]],
        mode="TEMPORARILY",
        takeover_minutes=5,
    )
    call("push_to_screens", schedule_id=schedule["_id"], screen_ids=[screen["_id"]])
    call("cleanup_assets", older_than=timedelta(0), tags=["evidence"], dry_run=True)
    call("delete_unused_provider_assets", [uploaded["_id"]])
    call("delete_playlists", [playlist["_id"]])
    call("delete_assets", [site["_id"]])


@pytest.fixture
def captured(monkeypatch) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    original = GraphQLSession.body

    def body(self: GraphQLSession, document: str, variables: Any, **kwargs: Any) -> dict[str, Any]:
        sent = original(self, document, variables, **kwargs)
        bodies.append(json.loads(json.dumps(sent, default=str)))
        return sent

    monkeypatch.setattr(GraphQLSession, "body", body)
    return bodies


@pytest.fixture
def png(tmp_path):
    from PIL import Image

    path = tmp_path / "slide.png"
    Image.new("RGB", (64, 36), (20, 30, 200)).save(path)
    return path


@pytest.fixture
def driven(emulator, monkeypatch, captured, png) -> tuple[set[str], list[dict[str, Any]]]:
    for name, value in emulator.connections().items():
        monkeypatch.setenv(name, value)
    hook = OptiSignsHook(retry_policy=FAST, landing_wait=1.0)
    called = drive(hook, png)
    # Paths that only a fault reaches send documents of their own: a takeover whose answer is lost
    # is settled by reading what the screens hold (delivery.PUSHES_QUERY).
    screen = hook.list_screens()[0]
    asset = hook.upsert_website_asset("Evidence lost", "https://example.com/lost", tags=["evidence"])
    emulator.control.add_fault("lost_response", operation="pushToScreens", times=1)
    hook.push_to_screens(
        asset_id=asset["_id"], screen_ids=[screen["_id"]], mode="TEMPORARILY", takeover_minutes=5
    )
    assert any("currentScheduleId scheduleGoLive temporarily" in body["query"] for body in captured)
    return called, captured


# Normal mode on purpose: the hook then sends its full documents, every guess included.
pytestmark = pytest.mark.signs_emulator_pessimistic(False)


def test_every_public_method_is_driven(driven) -> None:
    called, _ = driven
    assert _public_methods() - called == set()


def test_every_name_sent_is_trusted_or_in_the_weak_evidence_table(driven) -> None:
    _, bodies = driven
    assert len(bodies) > 50
    unknown: dict[str, str] = {}
    unlisted: dict[str, str] = {}
    unrecorded: dict[str, str] = {}
    for body in bodies:
        for name in names_used(body):
            row = TABLE.get(name)
            if row is None:
                unknown.setdefault(name, body["query"][:60])
            elif not row.trusted and name not in evidence.WEAK_NAMES:
                unlisted.setdefault(name, f"{row.trust} {row.doc}")
            elif row.trusted and evidence.TRUSTED_NAMES.get(name) != (row.trust, row.doc):
                unrecorded.setdefault(name, f"{row.trust} {row.doc}")
    assert unknown == {}, "names the emulator's schema does not have"
    assert unlisted == {}, "names without trusted evidence missing from client/evidence.py WEAK_NAMES"
    assert unrecorded == {}, "trusted names missing from (or wrong in) client/evidence.py TRUSTED_NAMES"


def test_every_document_validates_pessimistically_or_uses_only_listed_names(driven) -> None:
    _, bodies = driven
    unexplained: dict[str, str] = {}
    for body in bodies:
        for message in pessimistic_refusals(body):
            name = refused_name(message)
            if name is None or name not in evidence.WEAK_NAMES:
                unexplained.setdefault(name or message, body["query"][:80])
    assert unexplained == {}


def test_the_weak_evidence_table_agrees_with_the_schema_and_is_used(driven) -> None:
    _, bodies = driven
    used = set().union(*(names_used(body) for body in bodies))
    for name, weak in evidence.WEAK_NAMES.items():
        row = TABLE.get(name)
        assert row is not None, f"{name}: not a name of the schema"
        assert not row.trusted, (
            f"{name}: has trusted evidence ({row.trust} {row.doc}); take it out of the table"
        )
        assert (weak.trust, weak.doc) == (row.trust, row.doc), name
        if weak.fallback == evidence.ESSENTIAL:
            assert weak.advice, f"{name}: an essential name needs advice for the error"
    # teamId is sent only when the connection sets a team; the emulator's connection does.
    # Deleting a schedule happens only when two upserts of one name race (tests/optisigns/test_never_twice.py).
    only_in_races = {"OBJECT_TYPES.SCHEDULE"}
    unused = sorted(set(evidence.WEAK_NAMES) - used - only_in_races)
    for name, (trust, doc) in evidence.TRUSTED_NAMES.items():
        assert name in TABLE and (TABLE[name].trust, TABLE[name].doc) == (trust, doc), name
    assert unused == [], ", ".join(unused)
