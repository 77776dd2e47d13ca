"""OptiSigns: check every name the provider can send against the real GraphQL API, by reads only.

1. A harmless read (the team's screens, one page of one) proves the key works.
2. Introspection (``__schema``). Where the API answers it, every name of the provider's evidence tables
   (:data:`~signs_provider.optisigns.client.evidence.WEAK_NAMES`,
   :data:`~signs_provider.optisigns.client.evidence.TRUSTED_NAMES`) is looked up in the schema, and, with
   ``graphql-core`` installed, every GraphQL document of the provider's client (the :class:`Operation`
   constants of :mod:`signs_provider.optisigns.client`, so the check validates what the installed
   provider sends) is validated against it.
3. Where introspection is refused, each read-side weak name is tried in a minimal query of its own: the API
   validates a document before executing anything, so a refusal (``GRAPHQL_VALIDATION_FAILED``,
   ``BAD_USER_INPUT``) names a refuted name, and an accepted probe only reads. Names used only in
   mutations stay unknown: settling them would mean sending a write.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Any

from signs_provider.conformance.reads import Answer, ReadOnlyClient
from signs_provider.conformance.report import ERROR, FAIL, PASS, UNKNOWN, WARN, Check
from signs_provider.optisigns.client import evidence, rewrite

PRODUCT = "optisigns"
NAME = re.compile(r"^(\w+)\.(\w+)(?:\((\w+)\))?$")

#: What ``OptiSignsHook.test_connection`` sends (kept in sync by tests/conformance).
TEST_CONNECTION_DOCUMENT = "query { me { _id email } }"

#: The smallest read with trusted names only (official cookbook): proves the key before anything else.
BASELINE = (
    "query SignsConformanceBaseline { devices(query: {}, first: 1) { page { edges { node { _id } } } } }"
)

#: Enough of the schema to look names up without graphql-core (which sends its own, complete query).
INTROSPECTION = (
    "query SignsConformanceIntrospection { __schema { queryType { name } mutationType { name } "
    "types { kind name fields(includeDeprecated: true) { name args { name } } inputFields { name } "
    "enumValues(includeDeprecated: true) { name } } } }"
)

# The list queries and their filter input, with a filter every probe may send (trusted keys only).
LIST_FIELDS = {
    "devices": ("QueryDeviceInput", {}),
    "assets": ("QueryAssetInput", {}),
    "playlists": ("QueryPlaylistInput", {}),
    "schedules": ("QueryScheduleInput", {}),
    # A schedule id nobody has: the list is empty (or the API says it does not exist; either is a read).
    "scheduleItems": ("QueryScheduleItemsInput", {"scheduleId": "000000000000000000000000"}),
}
PAGE_OF = {"DevicePage": "devices", "AssetPage": "assets", "PlaylistPage": "playlists"}
PAGE_OF |= {"SchedulePage": "schedules", "ScheduleItemPage": "scheduleItems"}
INPUT_OF = {input_type: field for field, (input_type, _) in LIST_FIELDS.items()}
#: Filter values no real object has: a probe finds nothing, it only proves the key is accepted.
PROBE_VALUES: dict[str, Any] = {
    "tags": ["signs-conformance-probe"],
    "path": "/signs-conformance-probe",
    "_id": "000000000000000000000000",
    "name": "signs-conformance-probe",
    "type": "signs-conformance-probe",
}


def _evidence_text(name: str) -> str:
    trust, doc = evidence.evidence_of(name)
    return f"{trust} {doc}" if doc else trust


def refused_names(messages: list[str]) -> set[str]:
    """The names (as the evidence tables write them) that validation messages refuse.

    graphql-js (the API, the emulator) quotes names with ``"``, graphql-core (local validation) with ``'``.
    """
    names = set()
    for message in messages:
        name, _ = rewrite.refuted_name(message.replace("'", '"'))
        if name:
            names.add(name)
    return names


def _weak_check(name: str, status: str, detail: str) -> Check:
    weak = evidence.WEAK_NAMES[name]
    advice = ""
    if status == FAIL:
        if weak.fallback == evidence.ESSENTIAL:
            advice = f"the provider cannot do without it ({weak.fallback}). {weak.advice}"
        else:
            advice = f"nothing to do, the provider falls back: {weak.fallback}."
    if status != PASS:
        detail = f"{detail} (needed for: {weak.why})"
    return Check(PRODUCT, "weak name", name, status, _evidence_text(name), detail, advice)


def _trusted_check(name: str, status: str, detail: str) -> Check:
    advice = evidence.UNLISTED_ADVICE if status == FAIL else ""
    return Check(PRODUCT, "trusted name", name, status, _evidence_text(name), detail, advice)


def _name_check(name: str, status: str, detail: str) -> Check:
    if name in evidence.WEAK_NAMES:
        return _weak_check(name, status, detail)
    return _trusted_check(name, status, detail)


# -- introspection ----------------------------------------------------------------------------------


class SchemaIndex:
    """The names of an introspected schema, looked up as the evidence tables write them."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.types = {t["name"]: t for t in schema.get("types") or [] if t.get("name")}
        self.roots = {
            "Query": (schema.get("queryType") or {}).get("name"),
            "Mutation": (schema.get("mutationType") or {}).get("name"),
        }

    def lookup(self, name: str) -> tuple[str, str]:
        """``(status, detail)`` of one name: PASS when the schema has it, FAIL when it refutes it."""
        match = NAME.match(name)
        if match is None:
            return UNKNOWN, "not a name this check can read"
        owner, member, argument = match.groups()
        type_name = self.roots.get(owner) or owner
        found = self.types.get(type_name)
        if found is None:
            if owner in self.roots:
                return FAIL, f"the schema has no {owner.lower()} type"
            if owner.endswith("Input"):
                # The provider's documents declare their variables with this type's name.
                return FAIL, f"the schema has no input type {owner}"
            return UNKNOWN, (
                f"the schema has no type named {owner}: the API may name it otherwise "
                "(the provider never writes this name; the document validation decides)"
            )
        kind = found.get("kind")
        if kind == "ENUM":
            values = {v["name"] for v in found.get("enumValues") or []}
            return (
                (PASS, f"enum {type_name} has {member}")
                if member in values
                else (
                    FAIL,
                    f"enum {type_name} has no value {member} (it has: {', '.join(sorted(values)) or 'none'})",
                )
            )
        if kind == "INPUT_OBJECT":
            keys = {f["name"] for f in found.get("inputFields") or []}
            return (
                (PASS, f"input {type_name} has {member}")
                if member in keys
                else (
                    FAIL,
                    f"input {type_name} has no field {member}",
                )
            )
        fields = {f["name"]: f for f in found.get("fields") or []}
        if member not in fields:
            return FAIL, f"type {type_name} has no field {member}"
        if argument is None:
            return PASS, f"{type_name}.{member} exists"
        arguments = {a["name"] for a in fields[member].get("args") or []}
        if argument in arguments:
            return PASS, f"{type_name}.{member} takes {argument}"
        return (
            FAIL,
            f"{type_name}.{member} takes no argument {argument} (it takes: {', '.join(sorted(arguments)) or 'none'})",
        )


def introspection_document() -> tuple[str, bool]:
    """The introspection query to send and whether graphql-core (full validation) is available."""
    try:
        from graphql import get_introspection_query
    except ImportError:
        return INTROSPECTION, False
    document = get_introspection_query(descriptions=False)
    return document.replace("query IntrospectionQuery", "query SignsConformanceIntrospection", 1), True


def provider_documents() -> dict[str, str]:
    """``{label: document}``: every GraphQL operation declared in the installed provider's client."""
    from signs_provider.optisigns.client import graphql

    package = importlib.import_module("signs_provider.optisigns.client")
    found: dict[str, str] = {}
    for module_info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for attribute, value in sorted(vars(module).items()):
            if isinstance(value, graphql.Operation):
                found.setdefault(value.document, f"client.{module_info.name}.{attribute}")
    found.setdefault(TEST_CONNECTION_DOCUMENT, "hooks.OptiSignsHook.test_connection")
    return {label: document for document, label in found.items()}


def validate_documents(introspection: dict[str, Any]) -> list[Check]:
    """Each provider document validated against the introspected schema (graphql-core)."""
    from graphql import build_client_schema, parse, validate

    try:
        schema = build_client_schema(introspection)  # type: ignore[arg-type]
    except Exception as exc:  # an answer graphql-core cannot read: say so, the name checks stand
        return [
            Check(
                PRODUCT,
                "document",
                "all documents",
                UNKNOWN,
                "",
                f"graphql-core could not read the schema: {exc}",
            )
        ]
    checks = []
    for label, document in provider_documents().items():
        messages = [error.message for error in validate(schema, parse(document))]
        name = label
        if not messages:
            checks.append(Check(PRODUCT, "document", name, PASS, "", "validates against the real schema"))
            continue
        refused = refused_names(messages)
        optional = {
            n
            for n in refused
            if n in evidence.WEAK_NAMES and evidence.WEAK_NAMES[n].fallback != evidence.ESSENTIAL
        }
        status = WARN if refused and refused == optional and len(refused) == len(messages) else FAIL
        detail = "; ".join(messages)
        advice = (
            "the provider drops these optional names and sends it again at run time"
            if status == WARN
            else "the provider cannot send this document as it is: the refused names are reported above"
        )
        checks.append(Check(PRODUCT, "document", name, status, "", detail, advice))
    return checks


# -- probes, where introspection is refused ---------------------------------------------------------


def probe(name: str, team_id: str | None) -> tuple[str, dict[str, Any]] | None:
    """A minimal query that uses ``name`` and otherwise only trusted names; ``None`` for a write-side name."""
    match = NAME.match(name)
    if match is None:
        return None
    owner, member, argument = match.groups()
    select = "page { edges { node { _id } } }"
    if owner == "Query" and member in LIST_FIELDS:
        input_type, base = LIST_FIELDS[member]
        header = f"query SignsConformanceProbe($query: {input_type}!"
        variables: dict[str, Any] = {"query": base}
        if argument == "first":
            return f"{header}) {{ {member}(query: $query, first: 1) {{ {select} }} }}", variables
        if argument == "after":
            return f"{header}) {{ {member}(query: $query, after: null) {{ {select} }} }}", variables
        if argument == "teamId":
            if team_id:
                variables["teamId"] = team_id
            return (
                f"{header}, $teamId: String) {{ {member}(query: $query, teamId: $teamId) {{ {select} }} }}",
                variables,
            )
        return None
    if owner == "Query" and member == "getFileUploadOptions" and argument == "teamId":
        variables = {"teamId": team_id} if team_id else {}
        return (
            "query SignsConformanceProbe($teamId: String) { getFileUploadOptions(teamId: $teamId) }",
            variables,
        )
    if owner in PAGE_OF and member == "pageInfo":
        field = PAGE_OF[owner]
        input_type, base = LIST_FIELDS[field]
        return (
            f"query SignsConformanceProbe($query: {input_type}!) {{ {field}(query: $query) "
            "{ page { pageInfo { hasNextPage } } } }",
            {"query": base},
        )
    if owner in INPUT_OF and member in PROBE_VALUES:
        field = INPUT_OF[owner]
        _, base = LIST_FIELDS[field]
        return (
            f"query SignsConformanceProbe($query: {owner}!) {{ {field}(query: $query) {{ {select} }} }}",
            {"query": {**base, member: PROBE_VALUES[member]}},
        )
    if name == "Query.me":
        return "query SignsConformanceProbe { me { __typename } }", {}
    if owner == "User":
        return f"query SignsConformanceProbe {{ me {{ {member} }} }}", {}
    return None


def classify_probe(name: str, answer: Answer) -> tuple[str, str]:
    """PASS when the API accepted the probe in validation, FAIL when a refusal names ``name``."""
    messages = answer.messages()
    refused = answer.status == 400 or bool(answer.error_codes() & rewrite.VALIDATION_CODES)
    if not refused:
        if answer.status != 200:
            return UNKNOWN, f"HTTP {answer.status}: {answer.text[:200]}"
        if messages:
            return PASS, "accepted in validation; the API then said: " + "; ".join(messages)[:200]
        return PASS, "accepted (a read that returned data)"
    names = refused_names(messages)
    if name in names:
        return FAIL, "refused: " + "; ".join(messages)
    return UNKNOWN, "refused for another name: " + ("; ".join(messages) or answer.text[:200])


# -- the whole check ----------------------------------------------------------------------------------


def check(
    client: ReadOnlyClient, url: str, *, team_id: str | None = None
) -> tuple[list[Check], dict[str, Any]]:
    """Run the OptiSigns checks; return them and context lines for the report."""
    context: dict[str, Any] = {"optisigns endpoint": url, "optisigns team": team_id or "(the key's own)"}
    baseline = client.query(url, BASELINE)
    if baseline.status != 200 or baseline.graphql_errors() or not isinstance(baseline.body, dict):
        detail = f"HTTP {baseline.status}: " + ("; ".join(baseline.messages()) or baseline.text[:200])
        return [
            Check(
                PRODUCT,
                "setup",
                "read the screens (devices, official cookbook)",
                ERROR,
                "official cook-02-devices",
                detail,
                "check the API key (app.optisigns.com > API Keys) and the endpoint; nothing else was checked",
            )
        ], context
    checks = [
        Check(
            PRODUCT, "setup", "read the screens (devices)", PASS, "official cook-02-devices", "the key works"
        )
    ]

    document, full = introspection_document()
    answer = client.query(url, document)
    schema = (answer.body or {}).get("data", {}) if isinstance(answer.body, dict) else {}
    schema = (schema or {}).get("__schema")
    if answer.status == 200 and isinstance(schema, dict) and not answer.graphql_errors():
        context["optisigns schema"] = f"introspection allowed ({len(schema.get('types') or [])} types)"
        index = SchemaIndex(schema)
        for name in sorted(evidence.WEAK_NAMES):
            checks.append(_weak_check(name, *index.lookup(name)))
        for name in sorted(evidence.TRUSTED_NAMES):
            checks.append(_trusted_check(name, *index.lookup(name)))
        if full:
            checks += validate_documents({"__schema": schema})
        else:
            checks.append(
                Check(
                    PRODUCT,
                    "document",
                    "the provider's documents",
                    UNKNOWN,
                    "",
                    "not validated: graphql-core is not installed",
                    "pip install graphql-core, then run the check again to validate every document",
                )
            )
        return checks, context

    why = "; ".join(answer.messages()) or f"HTTP {answer.status} {answer.text[:120]}"
    context["optisigns schema"] = f"introspection refused ({why[:160]}): one probe per read-side weak name"
    for name in sorted(evidence.WEAK_NAMES):
        built = probe(name, team_id)
        if built is None:
            checks.append(
                _weak_check(
                    name, UNKNOWN, "used only in writes: without introspection it cannot be checked by a read"
                )
            )
            continue
        probe_document, variables = built
        checks.append(_weak_check(name, *classify_probe(name, client.query(url, probe_document, variables))))
    return checks, context
