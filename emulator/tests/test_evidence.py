"""The OptiSigns schema against the public evidence (``../shared/evidence/optisigns-graphql/``): every trusted
document validates in normal and pessimistic mode, every refused one fails, the ``@evidence`` annotations are
those the corpus gives, the pessimistic schema lacks exactly the weak names, and validation errors are
answered as the real server's GraphQL stack answers them."""

from __future__ import annotations

import re

import pytest
from evidence_corpus import (
    SCHEMA_FILE,
    annotate,
    corpus_available,
    corpus_documents,
    name_evidence,
    negative_documents,
    schema_names,
)
from graphql import GraphQLEnumType, parse, validate
from optisigns_client import data, nodes, post

from signs_emulator import Emulator
from signs_emulator.__main__ import main
from signs_emulator.optisigns.evidence import weak_names
from signs_emulator.optisigns.graphql_api import build_optisigns_schema

pytestmark = pytest.mark.skipif(
    not corpus_available(), reason="../shared/evidence is not beside the repository"
)

MODES = [pytest.param(False, id="normal"), pytest.param(True, id="pessimistic")]


def _trusted() -> list[object]:
    if not corpus_available():
        return []
    return [pytest.param(d, id=d.id) for d in corpus_documents() if d.trusted]


def _negative() -> list[object]:
    if not corpus_available():
        return []
    return [pytest.param(text, id=doc_id) for doc_id, text in negative_documents()]


# -- (a) the corpus ------------------------------------------------------------------------------------------------
def test_the_corpus_is_the_one_the_evidence_readme_describes() -> None:
    documents = corpus_documents()
    assert len(documents) == 97
    assert sum(d.trusted for d in documents) == 72
    assert len(negative_documents()) == 3


@pytest.mark.parametrize("pessimistic", MODES)
@pytest.mark.parametrize("document", _trusted())
def test_every_trusted_document_validates(document, pessimistic: bool) -> None:
    errors = validate(build_optisigns_schema(pessimistic), parse(document.text))
    assert errors == [], [e.message for e in errors]


def _trusted_with_variables() -> list[object]:
    if not corpus_available():
        return []
    return [pytest.param(d, id=d.id) for d in corpus_documents() if d.trusted and d.variables]


@pytest.mark.parametrize("pessimistic", MODES)
@pytest.mark.parametrize("document", _trusted_with_variables())
def test_the_variables_a_trusted_source_sends_are_accepted(document, pessimistic: bool) -> None:
    """Validation does not look at variables: their input fields and enum values are checked by coercion."""
    from graphql import OperationDefinitionNode
    from graphql.execution.values import get_variable_values

    schema = build_optisigns_schema(pessimistic)
    [operation] = [d for d in parse(document.text).definitions if isinstance(d, OperationDefinitionNode)]
    for values in document.variables:
        result = get_variable_values(schema, operation.variable_definitions, values)
        assert not isinstance(result, list), [e.message for e in result]


@pytest.mark.parametrize("pessimistic", MODES)
@pytest.mark.parametrize("text", _negative())
def test_every_document_the_real_api_refused_fails(text: str, pessimistic: bool) -> None:
    assert validate(build_optisigns_schema(pessimistic), parse(text))


def test_the_documents_the_readme_judges_wrong_fail_and_the_others_validate() -> None:
    """comp-07..09 contradict every trusted source and sdkdraft-02 has no other evidence: refused; every
    other untrusted document validates in normal mode (the emulator accepts what they send)."""
    schema = build_optisigns_schema(False)
    refused = {d.id for d in corpus_documents() if validate(schema, parse(d.text))}
    assert refused == {
        "comp-07-addPlaylistItems",
        "comp-08-removePlaylistItems",
        "comp-09-updatePlaylistItems",
        "sdkdraft-02-rebootDevice",
    }


# -- the annotations -----------------------------------------------------------------------------------------------
def test_the_evidence_annotations_are_those_the_corpus_gives() -> None:
    """Regenerate with ``python emulator/tests/evidence_corpus.py --write`` when the corpus or schema changes."""
    sdl = SCHEMA_FILE.read_text("utf-8")
    assert annotate(sdl, name_evidence(build_optisigns_schema(False))) == sdl


def test_every_name_of_the_schema_carries_its_evidence() -> None:
    from signs_emulator.optisigns.evidence import evidence_table

    annotated = {row.name for row in evidence_table()}
    names = schema_names(build_optisigns_schema(False))
    # Object types carry no annotation of their own (their names are never sent); everything else does.
    expected = {n for n, kind in names.items() if kind != "type"} | {
        n for n, kind in names.items() if kind == "type" and "." not in n and n not in _object_types()
    }
    assert annotated == expected


def _object_types() -> set[str]:
    schema = build_optisigns_schema(False)
    return {
        name for name, t in schema.type_map.items() if hasattr(t, "fields") and not hasattr(t, "out_type")
    } - {n for n, t in schema.type_map.items() if t.__class__.__name__ == "GraphQLInputObjectType"}


# -- (b) pessimistic mode -------------------------------------------------------------------------------------------
def test_the_pessimistic_schema_lacks_exactly_the_names_without_trusted_evidence() -> None:
    normal = schema_names(build_optisigns_schema(False))
    pessimistic_schema = build_optisigns_schema(True)
    kept = schema_names(pessimistic_schema)
    evidence = name_evidence(build_optisigns_schema(False))
    weak = {n for n, kind in normal.items() if kind != "type" and not (n in evidence and evidence[n].trusted)}
    # An enum none of whose values is trusted stays whole for output (SCALE_TYPES: Device.scale is trusted).
    output_only = {
        n
        for n in weak & set(kept)
        if normal[n] == "enum value"
        and isinstance(pessimistic_schema.get_type(n.split(".")[0]), GraphQLEnumType)
    }
    assert {n.split(".")[0] for n in output_only} == {"SCALE_TYPES"}
    removed_members = {n for n in set(normal) - set(kept) if normal[n] != "type"}
    assert removed_members == weak - output_only
    # And the table the CLI prints lists the same names.
    assert {r.name for r in weak_names() if r.kind != "type"} == weak


def test_the_weak_names_the_issue_names_are_among_those_removed() -> None:
    removed = set(schema_names(build_optisigns_schema(False))) - set(
        schema_names(build_optisigns_schema(True))
    )
    for name in (
        "Query.getFileUploadOptions(teamId)",
        "Mutation.updateObjectTags(teamId)",
        "Mutation.movePlaylistItems(teamId)",
        "Mutation.removeScheduleItem(teamId)",
        "Query.schedules(teamId)",
        "Query.scheduleItems(teamId)",
        "Query.assets(first)",
        "Query.playlists(after)",
        "QueryDeviceInput.path",
        "QueryAssetInput._id",
        "QueryPlaylistInput.name",
        "QueryScheduleInput.name",
        "ScheduleItem.scheduleId",
        "AddScheduleItemInput.name",
        "Mutation.pushToScreens",
    ):
        assert name in removed, name
    assert "Query.devices(first)" not in removed  # the one documented pagination


def test_cli_prints_the_weak_names_table(capsys) -> None:
    assert main(["--weak-names"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^Query.getFileUploadOptions\(teamId\) +argument +none +- +removed$", out, re.M)
    assert "Mutation.pushToScreens" in out and "sdkdraft-03-pushToScreens" in out
    assert f"{len(weak_names())} weak names of" in out


# -- (c) over HTTP: validation errors as the real server answers them -----------------------------------------------
def _validation_error(emu: Emulator, query: str, variables: dict | None = None) -> str:
    response = post(emu, query, variables)
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert error["locations"]
    return str(error["message"])


@pytest.mark.signs_emulator_pessimistic
def test_pessimistic_mode_refuses_a_weak_argument_as_graphql_does(emulator: Emulator) -> None:
    assert emulator.pessimistic
    message = _validation_error(emulator, 'query { getFileUploadOptions(teamId: "1") }')
    assert message == 'Unknown argument "teamId" on field "Query.getFileUploadOptions".'
    assert "getFileUploadOptions" in data(emulator, "query { getFileUploadOptions }")


@pytest.mark.signs_emulator_pessimistic
def test_pessimistic_mode_refuses_a_weak_field_and_input_field(emulator: Emulator) -> None:
    message = _validation_error(
        emulator, "query { scheduleItems(query: {}) { page { edges { node { _id scheduleId } } } } }"
    )
    assert message == 'Cannot query field "scheduleId" on type "ScheduleItem".'
    message = _validation_error(emulator, 'query { assets(query: {_id: "x"}) { page { edges { cursor } } } }')
    assert message == 'Field "_id" is not defined by type "QueryAssetInput".'


@pytest.mark.signs_emulator_pessimistic
def test_pessimistic_mode_refuses_a_weak_input_field_in_a_variable(emulator: Emulator) -> None:
    response = post(
        emulator,
        "mutation($p: PlaylistInput!) { savePlaylist(payload: $p) { _id } }",
        {"p": {"name": "Lobby", "path": "/signs"}},
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert error["message"].startswith('Variable "$p" got invalid value ')
    assert error["message"].endswith('; Field "path" is not defined by type "PlaylistInput".')
    assert data(
        emulator, "mutation($p: PlaylistInput!) { savePlaylist(payload: $p) { _id } }", {"p": {"name": "L"}}
    )


@pytest.mark.signs_emulator_pessimistic
def test_pessimistic_mode_still_returns_a_weak_enum_value_the_account_holds(emulator: Emulator) -> None:
    screens = nodes(emulator, "devices", "_id currentType")  # fails on any error
    assert "NONE" in {screen["currentType"] for screen in screens}
    # NONE is refused as input (only a third party sends it) ...
    response = post(
        emulator,
        "mutation($id: String!) { updateDevice(_id: $id, payload: {currentType: NONE}) { _id } }",
        {"id": screens[0]["_id"]},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith(
        'Value "NONE" does not exist in "MEDIA_TYPES" enum.'
    )


@pytest.mark.signs_emulator_pessimistic(False)
def test_normal_mode_accepts_what_the_hooks_send_today(emulator: Emulator) -> None:
    assert not emulator.pessimistic
    assert "getFileUploadOptions" in data(emulator, 'query { getFileUploadOptions(teamId: "1") }')
    message = _validation_error(emulator, "query { devices(query: {}) { page { edges { node { nope } } } } }")
    assert message == 'Cannot query field "nope" on type "Device". Did you mean "name"?'


def test_the_official_subscription_example_validates_but_is_not_served_over_http(emulator: Emulator) -> None:
    text = next(d.text for d in corpus_documents() if d.id == "doc-07-subscribe")
    response = post(emulator, text, {"_id": "x", "type": "ASSET"})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "WebSocket" in error["message"]


def test_a_syntax_error_is_a_parse_failure(emulator: Emulator) -> None:
    response = post(emulator, "query { devices(query: {}) { page ")
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}


def test_an_emulator_can_start_pessimistic() -> None:
    with Emulator(pessimistic=True) as emu:
        assert emu.pessimistic
        response = post(emu, "{ me { _id } }")
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"] == 'Cannot query field "me" on type "Query".'


# -- the pytest plugin -----------------------------------------------------------------------------------------------
class _Config:
    def __init__(self, option: bool) -> None:
        self.option = option

    def getoption(self, name: str, default: object = None) -> object:
        assert name == "--signs-emulator-pessimistic"
        return self.option


def test_the_plugin_reads_its_option_and_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from signs_emulator.pytest_plugin import session_pessimistic

    monkeypatch.delenv("SIGNS_EMULATOR_PESSIMISTIC", raising=False)
    assert not session_pessimistic(_Config(False))  # type: ignore[arg-type]
    assert session_pessimistic(_Config(True))  # type: ignore[arg-type]
    monkeypatch.setenv("SIGNS_EMULATOR_PESSIMISTIC", "1")
    assert session_pessimistic(_Config(False))  # type: ignore[arg-type]
    monkeypatch.setenv("SIGNS_EMULATOR_PESSIMISTIC", "0")
    assert not session_pessimistic(_Config(False))  # type: ignore[arg-type]


def test_without_the_marker_a_test_gets_the_mode_of_the_run(
    emulator: Emulator, request: pytest.FixtureRequest
) -> None:
    from signs_emulator.pytest_plugin import session_pessimistic

    assert emulator.pessimistic == session_pessimistic(request.config)
    assert emulator.runtime.optisigns.pessimistic == emulator.pessimistic
