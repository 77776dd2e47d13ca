"""The live conformance check (``python -m signs_provider.conformance``), run against the emulator.

In the normal mode the emulator accepts every guess: the check must confirm them all and exit 0. In the
pessimistic mode (the OptiSigns schema without every name no trusted document uses) it must report those
names refuted and exit 1. Either way it sends only reads (the emulator's request log), and the secrets
never appear in its output.
"""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import pytest

from signs_emulator.credentials import OPENSIGN_TOKENS, OPTISIGNS_DEMO_KEY
from signs_provider.conformance import cli, opensign, optisigns
from signs_provider.conformance.reads import ReadOnlyClient, WriteRefused
from signs_provider.optisigns.client import evidence
from tests.evidence.test_optisigns_documents import drive

INTROSPECTION = "SignsConformanceIntrospection"
SPEC_FILE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "evidence"
    / "opensign-openapi"
    / "opensign-v1.2.yaml"
)
OPENSIGN_TOKEN = OPENSIGN_TOKENS["sandbox"]


def arguments(emulator: Any, *extra: str) -> list[str]:
    return [
        "--optisigns-key",
        OPTISIGNS_DEMO_KEY,
        "--optisigns-endpoint",
        f"{emulator.url}/optisigns/graphql",
        "--opensign-token",
        OPENSIGN_TOKEN,
        "--opensign-endpoint",
        f"{emulator.url}/opensign/sandbox",
        *extra,
    ]


def run_check(emulator: Any, capsys: Any, *extra: str) -> tuple[int, str, dict[str, Any] | None]:
    """Run the command in this process; return its exit code, its output and (with --json) the report."""
    emulator.control.reset_requests()
    code = cli.main(arguments(emulator, *extra))
    out = capsys.readouterr().out
    return code, out, json.loads(out) if "--json" in extra else None


def assert_only_reads(emulator: Any) -> int:
    """Every request the check sent was a GraphQL query or an HTTP GET; return how many."""
    records = emulator.control.requests()
    writes = [
        (r["method"], r["path"], r["operation"])
        for r in records
        if not (r["method"] == "GET" or (r["method"] == "POST" and r["operation_type"] == "query"))
    ]
    assert writes == []
    assert records
    return len(records)


def by_name(report: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in report["checks"] if c["kind"] == kind}


@pytest.fixture
def two_documents(emulator, monkeypatch) -> None:
    """Two sent documents, so that the check reads one and compares a list's order (written by the test)."""
    from signs_provider.opensign.hooks import OpenSignHook
    from tests.opensign.conftest import make_pdf, signer

    for name, value in emulator.connections().items():
        monkeypatch.setenv(name, value)
    hook = OpenSignHook()
    for title in ("First", "Second"):
        hook.send_for_signature(make_pdf(), title=title, signers=[signer("Ada", "ada@example.com")])
        emulator.control.advance_clock(seconds=5)  # distinct updatedAt, so the order can be checked


@pytest.mark.signs_emulator_pessimistic(False)
def test_normal_mode_confirms_every_guess_by_reads_only(emulator, capsys, two_documents) -> None:
    code, out, report = run_check(emulator, capsys, "--json")
    assert report is not None
    assert code == 0, out
    assert report["summary"]["FAIL"] == 0 and report["summary"]["ERROR"] == 0
    weak = by_name(report, "weak name")
    assert set(weak) == set(evidence.WEAK_NAMES)
    assert {c["status"] for c in weak.values()} == {"PASS"}
    trusted = by_name(report, "trusted name")
    assert set(trusted) == set(evidence.TRUSTED_NAMES) and {c["status"] for c in trusted.values()} == {"PASS"}
    documents = by_name(report, "document")
    assert set(documents) == set(optisigns.provider_documents())
    assert {c["status"] for c in documents.values()} == {"PASS"}
    reads = [c for c in report["checks"] if c["kind"] == "read"]
    assert {c["status"] for c in reads} == {"PASS"}
    assert any(c["name"].startswith("GET /document/{document_id}") for c in reads)
    guesses = by_name(report, "guess")
    assert guesses["signs_provider.opensign.client.polling.LISTS_NEWEST_FIRST"]["status"] == "PASS"
    assert assert_only_reads(emulator) > 10
    assert OPTISIGNS_DEMO_KEY not in out and OPENSIGN_TOKEN not in out


@pytest.mark.signs_emulator_pessimistic(True)
def test_pessimistic_mode_reports_the_weak_names_refuted(emulator, capsys) -> None:
    code, out, report = run_check(emulator, capsys, "--json")
    assert report is not None
    assert code == 1
    weak = by_name(report, "weak name")
    refuted = {name for name, c in weak.items() if c["status"] == "FAIL"}
    # A few names belong to types the pessimistic schema drops whole (PUSH_TYPES, User): not refutable by
    # name, reported unknown; every other weak name is refuted, with the provider's fallback.
    unknown = {name: c["detail"] for name, c in weak.items() if c["status"] != "FAIL"}
    assert all("no type named" in detail for detail in unknown.values()), unknown
    assert len(refuted) > 50 and "Mutation.pushToScreens" in refuted and "QueryAssetInput.tags" in refuted
    assert all(weak[name]["advice"] for name in refuted)
    assert weak["Mutation.pushToScreens"]["advice"].startswith("the provider cannot do without it")
    assert "assign_content" in weak["Mutation.pushToScreens"]["advice"]
    assert weak["QueryAssetInput.tags"]["advice"].startswith("nothing to do, the provider falls back")
    assert {c["status"] for c in by_name(report, "trusted name").values()} == {"PASS"}
    documents = by_name(report, "document")
    assert documents["client.delivery.PUSH_LATER"]["status"] == "FAIL"
    # Refused only for optional names the hook drops and sends again.
    assert documents["client.assets.ASSETS_QUERY"]["status"] == "WARN"
    assert documents["client.screens.UPDATE_DEVICE"]["status"] == "PASS"
    assert_only_reads(emulator)
    assert OPTISIGNS_DEMO_KEY not in out and OPENSIGN_TOKEN not in out


@pytest.mark.parametrize(
    "pessimistic",
    [
        pytest.param(False, marks=pytest.mark.signs_emulator_pessimistic(False)),
        pytest.param(True, marks=pytest.mark.signs_emulator_pessimistic(True)),
    ],
)
def test_without_introspection_each_read_side_weak_name_is_probed(emulator, capsys, pessimistic) -> None:
    # The API refuses introspection (as production GraphQL servers often do): here as an HTTP 500.
    emulator.control.add_fault("500", operation=INTROSPECTION, times=0)
    code, out, report = run_check(emulator, capsys, "--json", "--optisigns-team", "1")
    assert report is not None
    assert "introspection refused" in report["context"]["optisigns schema"]
    weak = by_name(report, "weak name")
    probed = {name for name in evidence.WEAK_NAMES if optisigns.probe(name, "1") is not None}
    # Every read-side weak name has a probe; the rest wait for a write, which the check never sends.
    assert {
        "Query.assets(first)",
        "QueryDeviceInput.tags",
        "Query.me",
        "User.email",
        "AssetPage.pageInfo",
    } <= probed
    assert {"Mutation.pushToScreens", "PlaylistInput.tags", "MEDIA_TYPES.NONE"}.isdisjoint(probed)
    for name in set(evidence.WEAK_NAMES) - probed:
        assert weak[name]["status"] == "UNKNOWN"
    statuses = {name: weak[name]["status"] for name in probed}
    if pessimistic:
        assert code == 1
        # User's fields cannot be tried where the API has no `me`: unknown, for another name's refusal.
        assert {n for n, s in statuses.items() if s != "FAIL"} == {"User._id", "User.email"}
        assert "Query.me" in {n for n, s in statuses.items() if s == "FAIL"}
    else:
        assert code == 0, out
        assert set(statuses.values()) == {"PASS"}, statuses
    # One introspection attempt, the baseline read, one probe per name: all queries.
    assert emulator.control.count(operation=INTROSPECTION) == 1
    assert assert_only_reads(emulator) == 2 + len(probed) + len(
        [r for r in emulator.control.requests() if "/opensign/" in r["path"]]
    )


@pytest.mark.signs_emulator_pessimistic(True)
def test_without_graphql_core_the_names_are_still_checked(emulator, capsys, monkeypatch) -> None:
    # Simulates an installation without graphql-core (a dev dependency): importing it fails, for the
    # check only (the emulator, in this process, needs it).
    real_import = builtins.__import__

    def without_graphql(name: str, globals: Any = None, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] == "graphql" and (globals or {}).get("__name__", "").startswith(
            "signs_provider.conformance"
        ):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, globals, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_graphql)
    code, out, report = run_check(emulator, capsys, "--json")
    assert report is not None and code == 1
    (documents,) = by_name(report, "document").values()
    assert documents["status"] == "UNKNOWN" and "graphql-core is not installed" in documents["detail"]
    assert by_name(report, "weak name")["QueryAssetInput.tags"]["status"] == "FAIL"
    assert report["context"]["graphql-core"]  # the version line says whether it is there


@pytest.mark.signs_emulator_pessimistic(False)
def test_airflow_connections_and_the_text_report(emulator, capsys, monkeypatch) -> None:
    for name, value in emulator.connections().items():
        monkeypatch.setenv(name, value)
    emulator.control.reset_requests()
    code = cli.main(["--conn-id", "optisigns_default", "--conn-id", "opensign_default"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "optisigns team: 1" in out and f"{emulator.url}/opensign/sandbox/api/v1.2" in out
    assert "RESULT: no guess refuted." in out
    assert "PASS    [weak name] QueryAssetInput.tags" in out
    assert OPTISIGNS_DEMO_KEY not in out and OPENSIGN_TOKEN not in out
    assert_only_reads(emulator)


@pytest.mark.signs_emulator_pessimistic(False)
def test_refused_credentials_stop_the_check_with_exit_2_and_no_secret(emulator, capsys) -> None:
    wrong_key = "wrong-optisigns-key-123456"
    emulator.control.reset_requests()
    code = cli.main(
        [
            "--optisigns-key",
            wrong_key,
            "--optisigns-endpoint",
            f"{emulator.url}/optisigns/graphql",
            "--opensign-token",
            OPENSIGN_TOKEN,
            "--opensign-endpoint",
            f"{emulator.url}/opensign/live",  # a sandbox token on live: OpenSign answers 405
        ]
    )
    out = capsys.readouterr().out
    assert code == 2
    assert "ERROR   [setup] read the screens" in out and "ERROR   [setup] GET /getuser" in out
    assert "--opensign-environment" in out
    assert wrong_key not in out and OPENSIGN_TOKEN not in out


def test_nothing_to_check_is_a_clear_error(capsys, monkeypatch) -> None:
    for name in ("OPTISIGNS_API_KEY", "OPENSIGN_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main([]) == 2
    assert "--optisigns-key" in capsys.readouterr().err
    assert cli.main(["--optisigns-key", "k" * 10, "--optisigns-endpoint", "http://example.com/graphql"]) == 2
    assert "plain http" in capsys.readouterr().err


def test_the_client_sends_no_mutation(emulator) -> None:
    client = ReadOnlyClient({}, user_agent="test")
    emulator.control.reset_requests()
    with pytest.raises(WriteRefused):
        client.query(f"{emulator.url}/optisigns/graphql", "mutation { deleteObjects(payload: {ids: []}) }")
    assert not hasattr(client, "post") and not hasattr(client, "put") and not hasattr(client, "delete")
    assert emulator.control.count() == 0


@pytest.mark.signs_emulator_pessimistic(False)
def test_an_answer_that_breaks_the_spec_shape_fails(emulator, capsys) -> None:
    emulator.control.add_fault("malformed", path="/getcredits", times=0)
    code, out, report = run_check(emulator, capsys, "--json")
    assert report is not None and code == 1
    credits = by_name(report, "read")["GET /getcredits"]
    assert credits["status"] == "FAIL" and "expected a JSON object" in credits["detail"]
    wrong = opensign._read_check("GET /getcredits", "/getcredits", 200, {"total_credits": "12"})
    assert wrong.status == "FAIL" and "total_credits: number expected, got str" in wrong.detail
    nulls = opensign._read_check("GET /getuser", "/getuser", 200, {"phone": None, "extra": 1})
    assert nulls.status == "WARN" and "extra" in nulls.detail


def test_the_defaults_are_the_hooks() -> None:
    from signs_provider.opensign.hooks import API_PATH, ENVIRONMENT_HOSTS
    from signs_provider.optisigns.hooks import DEFAULT_ENDPOINT

    assert cli.OPTISIGNS_ENDPOINT == DEFAULT_ENDPOINT
    assert cli.OPENSIGN_HOSTS == ENVIRONMENT_HOSTS
    assert cli.OPENSIGN_API_PATH == API_PATH


@pytest.mark.skipif(not SPEC_FILE.is_file(), reason="../shared/evidence is not beside the repository")
def test_the_embedded_shapes_are_the_specs() -> None:
    import yaml

    spec = yaml.safe_load(SPEC_FILE.read_text("utf-8"))

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = spec
            for key in schema["$ref"].lstrip("#/").split("/"):
                node = node[key]
            schema = node
        return schema

    for operation, shape in opensign.SHAPES.items():
        method, path = operation.split(" ", 1)
        schema = resolve(
            spec["paths"][path][method.lower()]["responses"]["200"]["content"]["application/json"]["schema"]
        )
        if operation in opensign.LISTS:
            schema = resolve(schema["properties"]["result"]["items"])
        declared = {
            key: resolve(value).get("type") or ("object" if "properties" in resolve(value) else None)
            for key, value in schema["properties"].items()
        }
        assert shape == declared, operation
    doctypes = next(
        p for p in spec["paths"]["/documentlist/{doctype}"]["get"]["parameters"] if p["name"] == "doctype"
    )
    assert list(opensign.DOCTYPES) == doctypes["schema"]["enum"]


# -- the documents the check validates are the ones the hook sends -------------------------------------


@pytest.mark.signs_emulator_pessimistic(False)
def test_the_documents_validated_are_every_document_the_hook_sends(
    emulator, monkeypatch, captured, png
) -> None:
    """The check reads the documents from the installed package (its client's Operation constants); the
    hook, driven through every public method (tests/evidence), must send no other document of its own."""
    from signs_provider.optisigns.hooks import OptiSignsHook
    from tests.optisigns.conftest import FAST

    for name, value in emulator.connections().items():
        monkeypatch.setenv(name, value)
    drive(OptiSignsHook(retry_policy=FAST, landing_wait=1.0), png)
    # The test's own documents, sent through execute/paginate (a user's documents, not the provider's).
    users = {
        "query { devices(query: {}) { page { edges { node { _id } } } } }",
        "query L($query: QueryDeviceInput!, $first: Int, $after: String) { devices(query: $query, first: $first, "
        "after: $after) { page { edges { node { _id } } pageInfo { hasNextPage endCursor } } } }",
    }
    sent = {body["query"] for body in captured} - users
    known = set(optisigns.provider_documents().values())
    assert len(sent) > 15
    assert sent - known == set()
    assert optisigns.TEST_CONNECTION_DOCUMENT in sent


@pytest.mark.signs_emulator_pessimistic(False)
def test_a_rate_limited_read_is_sent_again(emulator, capsys) -> None:
    # Without the second try, the 429 made the introspection fall back to probes.
    emulator.control.add_fault("429", operation=INTROSPECTION, times=1, retry_after=0)
    code, out, report = run_check(emulator, capsys, "--json")
    assert report is not None and code == 0, out
    assert "introspection allowed" in report["context"]["optisigns schema"]
    assert emulator.control.count(operation=INTROSPECTION) == 2
