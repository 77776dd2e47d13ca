"""Issue 10, item 6c: every OpenSign request the hook sends, and every answer the emulator gives to it,
validates against the official v1.2 OpenAPI spec (``../shared/evidence/opensign-openapi/``) with openapi-core.

The requests are captured at the transport (the emulator's request log keeps no bodies) while each public
method of :class:`OpenSignHook` that talks to the API is driven against the emulator. On top of the spec,
which allows extra properties everywhere, a strict check: every field and query parameter the hook sends is
one the spec declares for that operation, or is listed in the hook's table of fields sent without evidence
(``signs_provider.opensign.client.evidence.UNEVIDENCED``), and every entry there is really sent.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml

from tests.opensign.capture import Exchange, capture
from tests.opensign.conftest import make_pdf, signer

openapi_core = pytest.importorskip("openapi_core")

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILE = ROOT.parent / "shared" / "evidence" / "opensign-openapi" / "opensign-v1.2.yaml"
pytestmark = pytest.mark.skipif(
    not SPEC_FILE.is_file(), reason="../shared/evidence is not beside the repository"
)


@cache
def _spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_FILE.read_text("utf-8"))


def corrected_spec(server_url: str) -> dict[str, Any]:
    """The spec with its known typos corrected: the one place they are on the provider's side (the
    emulator's tests have theirs, ``emulator/tests/test_opensign_spec.py``). Each is listed in
    ../shared/evidence/README.md, "Known typos in it", contradicted by the same file or by the server code.

    Unlike the emulator's copy, ``/selfsign`` keeps its ``signers`` requirement: the hook sends both
    ``signer`` and ``signers``, so its body is valid under the spec as written."""
    spec = copy.deepcopy(_spec())
    schemas = spec["components"]["schemas"]
    schemas["webhook_body"]["required"] = ["url"]  # requires `Url`; the property is `url`
    schemas["folder_body"]["required"] = ["folderName"]  # requires `foldername`; the property is `folderName`
    _replace_format(spec, "renewal_date", "date", "date-time")  # its own example is a date-time
    # The 400 answer of DELETE /folder is a oneOf that nothing satisfies: any of its alternatives will do.
    schema = spec["paths"]["/folder/{folder_id}"]["delete"]["responses"]["400"]["content"]["application/json"]
    if "oneOf" in schema["schema"]:
        schema["schema"]["anyOf"] = schema["schema"].pop("oneOf")
    spec["servers"] = [{"url": server_url}]  # not a typo: point the spec at the emulator
    return spec


def _replace_format(node: Any, prop: str, old: str, new: str) -> None:
    if isinstance(node, dict):
        target = node.get("properties", {}).get(prop)
        if isinstance(target, dict) and target.get("format") == old:
            target["format"] = new
        for value in node.values():
            _replace_format(value, prop, old, new)
    elif isinstance(node, list):
        for value in node:
            _replace_format(value, prop, old, new)


# ------------------------------------------------------------------------------ the strict check


def _operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The spec's path template and operation for a request path (relative to the API base)."""
    parts = path.strip("/").split("/")
    for template, item in _spec()["paths"].items():
        pieces = template.strip("/").split("/")
        if len(pieces) == len(parts) and all(
            p.startswith("{") or p == q for p, q in zip(pieces, parts, strict=True)
        ):
            op = item.get(method.lower())
            if op is not None:
                return template, op
    return None


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = _spec()
        for key in schema["$ref"].lstrip("#/").split("/"):
            node = node[key]
        schema = node
    return schema


def undeclared(value: Any, schema: dict[str, Any], where: str) -> Iterator[str]:
    """The fields in ``value`` that ``schema`` does not declare, as dotted paths (``signers[].widgets[].x``)."""
    schema = _resolve(schema)
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            if key not in schema["properties"]:
                yield f"{where}{key}"
            else:
                yield from undeclared(item, schema["properties"][key], f"{where}{key}.")
    elif isinstance(value, list) and "items" in schema:
        for item in value:
            yield from undeclared(item, schema["items"], where.rstrip(".") + "[].")


def sent_fields(exchange: Exchange, base_path: str) -> tuple[str, list[str]]:
    """``"METHOD /template"`` and the fields it sends that the spec does not declare there."""
    path = exchange.path[len(base_path) :]
    found = _operation(exchange.method, path)
    assert found is not None, f"{exchange.method} {path} is no operation of the spec"
    template, op = found
    names = [f"?{k}" for k, _ in parse_qsl(urlsplit(exchange.request.url).query)]
    declared = {f"?{p['name']}" for p in op.get("parameters", []) if p.get("in") == "query"}
    extra = [n for n in names if n not in declared]
    body = exchange.json()
    if body is not None:
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        extra += sorted(set(undeclared(body, schema, "")))
    return f"{exchange.method} {template}", extra


# -------------------------------------------------------------------------- driving the hook


ADA = signer("Ada Lovelace", "ada@example.com")


def drive(hook: Any, emulator: Any, tmp_path: Path) -> None:
    """Each public method of the hook that talks to the API, with the arguments that exercise its fields."""
    from signs_provider.opensign.status import DocumentStatus

    pdf = make_pdf()
    hook.test_connection()
    hook.get_user()
    hook.get_credits()
    hook.check_credits(1)
    sent = hook.send_for_signature(
        pdf,
        title="Contract",
        signers=[ADA],
        note="Please sign",
        marker="af-00000000000000000001",
        options={"description": "d", "timeToCompleteDays": 5, "send_email": False, "enableOTP": False},
    )
    hook.draft_document(pdf, title="Draft", signers=[ADA], marker="af-00000000000000000002")
    hook.self_sign_document(
        pdf, title="Self", signer=ADA, marker="af-00000000000000000003", options={"enableTour": False}
    )
    folder = hook.create_folder("Contracts")
    sub = hook.create_folder("Sub", parent_folder_id=folder["objectId"])
    hook.get_folder(folder["objectId"])
    hook.update_folder(sub["objectId"], name="Sub 2")
    hook.update_folder(sub["objectId"], parent_folder_id="")
    list(hook.list_folders())
    list(hook.list_folders(parent_folder_id=folder["objectId"]))
    template = hook.create_template(
        pdf, title="NDA", note="n", signers=[{"role": "Employee", "widgets": ADA["widgets"]}]
    )
    hook.create_template(
        pdf, title="NDA draft", signers=[{"role": "Employee", "widgets": ADA["widgets"]}], kind="draft"
    )
    hook.get_template(template["objectId"])
    list(hook.list_templates())
    hook.update_template(template["objectId"], note="new note", enableTour=True)
    hook.send_template_for_signature(
        template["objectId"],
        signers=[{"role": "Employee", "name": "Bob", "email": "bob@example.com"}],
        marker="af-00000000000000000004",
        options={"send_email": False},
    )
    doc_id = sent.document_id
    hook.get_document(doc_id)
    hook.get_document_state(doc_id)
    list(hook.list_documents(DocumentStatus.parse("in_progress"), max_items=5))
    hook.update_document(doc_id, note="Later note")
    hook.resend_mail(doc_id, "ada@example.com", subject="Reminder", body="<p>Please sign</p>")
    hook.get_signing_links(doc_id)
    hook.get_signer_ips(doc_id)
    hook.get_form_data(doc_id)
    hook.get_document_states([doc_id])
    hook.find_document_by_marker("af-00000000000000000001")
    hook.find_sent_document("af-00000000000000000001", since=None, wait=False)
    emulator.control.sign(doc_id, "ada@example.com")
    hook.download_signed_document(doc_id, tmp_path / "signed.pdf")
    hook.download_certificate(doc_id, tmp_path / "certificate.pdf")
    other = hook.send_for_signature(pdf, title="To revoke", signers=[ADA])
    hook.revoke_document(other.document_id, reason="superseded")
    hook.delete_document(other.document_id)
    contact = hook.create_contact(
        name="Dana Doe", email="dana@example.com", phone="5550002222", company="ACME"
    )
    hook.create_contact(name="Dana Doe", email="dana@example.com", exist_ok=True)
    hook.get_contact(contact["objectId"])
    hook.update_contact(contact["objectId"], job_title="Counsel")
    list(hook.list_contacts())
    hook.delete_contact(contact["objectId"])
    hook.set_webhook("https://example.com/hook")
    hook.get_webhook()
    hook.delete_webhook()
    hook.delete_template(template["objectId"])
    hook.delete_folder(sub["objectId"])
    hook.delete_folder(folder["objectId"])


@pytest.fixture
def run(emulator, monkeypatch, tmp_path) -> dict[str, Any]:
    """Drive the hook once; the captured exchanges and the spec checker."""
    from signs_provider.opensign.hooks import OpenSignHook

    for name, value in emulator.connections().items():
        monkeypatch.setenv(name, value)
    hook = OpenSignHook(timeout=10)
    base = hook.base_url.rstrip("/")
    try:
        with capture(monkeypatch) as seen:
            drive(hook, emulator, tmp_path)
    finally:
        hook.close()
    api = [x for x in seen if x.request.url.startswith(base + "/")]
    return {"api": api, "base": base, "openapi": openapi_core.OpenAPI.from_dict(corrected_spec(base))}


def _describe(exc: Exception) -> str:
    causes = [str(exc)]
    inner = exc.__cause__
    while inner is not None:
        causes.append(str(inner)[:300])
        inner = inner.__cause__
    for error in getattr(exc, "schema_errors", ()) or ():
        causes.append(str(getattr(error, "message", error))[:300])
    return " / ".join(causes)


def test_every_request_and_answer_validates_against_the_spec(run) -> None:
    from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

    openapi, problems, checked = run["openapi"], [], 0
    for exchange in run["api"]:
        request = RequestsOpenAPIRequest(exchange.request)
        where = f"{exchange.method} {exchange.path}"
        try:
            openapi.validate_request(request)
        except Exception as exc:
            problems.append(f"request {where}: {_describe(exc)}")
        try:
            openapi.validate_response(request, RequestsOpenAPIResponse(exchange.response))
        except Exception as exc:
            problems.append(f"answer {exchange.response.status_code} to {where}: {_describe(exc)}")
        checked += 1
    print(f"{checked} requests and answers checked, {len(problems)} mismatches")
    assert checked >= 50 and problems == []


def test_the_hook_reaches_every_operation_it_has_a_method_for(run) -> None:
    reached = {sent_fields(x, urlsplit(run["base"]).path)[0] for x in run["api"]}
    operations = {
        f"{method.upper()} {path}"
        for path, item in _spec()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "delete"}
    }
    # Ones no method of the hook sends: public templates need a public profile (not offered).
    assert operations - reached == {"POST /publictemplate"}


def test_every_field_sent_is_declared_by_the_spec_or_listed_as_a_guess(run) -> None:
    from signs_provider.opensign.client.evidence import UNEVIDENCED

    listed = {(g.operation, g.field) for g in UNEVIDENCED}
    sent: set[tuple[str, str]] = set()
    for exchange in run["api"]:
        operation, extra = sent_fields(exchange, urlsplit(run["base"]).path)
        sent |= {(operation, field) for field in extra}
    assert sent - listed == set(), "sent without evidence and not in evidence.UNEVIDENCED"
    assert listed - sent == set(), "listed in evidence.UNEVIDENCED but no longer sent"


def _declared(schema_name: str) -> set[str]:
    return set(_spec()["components"]["schemas"][schema_name]["properties"])


def test_each_field_set_of_the_hook_is_declared_by_its_spec_schema() -> None:
    # The field sets options and updates are checked against before any request (see evidence.py's table).
    from signs_provider.opensign.client import contacts, payloads

    sets = {
        "createdocument_body": payloads.DOCUMENT_OPTIONS,
        "draftdocument_body": payloads.DRAFT_DOCUMENT_OPTIONS,
        "selfsigndocument_body": payloads.SELF_SIGN_OPTIONS,
        "createdocument_template_id_body": payloads.TEMPLATE_DOCUMENT_OPTIONS,
        "createtemplate_body": payloads.TEMPLATE_OPTIONS,
        "document_document_id_body": payloads.DOCUMENT_UPDATE_FIELDS,
        "template_template_id_body": payloads.TEMPLATE_UPDATE_FIELDS,
        "createcontact_body": contacts.CONTACT_FIELDS,
        "updatecontact_body": contacts.CONTACT_FIELDS,
    }
    extra = {
        name: sorted(fields - _declared(name)) for name, fields in sets.items() if fields - _declared(name)
    }
    assert extra == {}


def test_self_sign_offers_every_setting_the_spec_defines_there() -> None:
    from signs_provider.opensign.client import payloads

    spec = _declared("selfsigndocument_body") - {"file", "title", "note", "signer"}
    assert spec == set(payloads.SELF_SIGN_OPTIONS)
