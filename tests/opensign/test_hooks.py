"""OpenSignHook: environments, error decoding, pagination, and the API methods.

Everything that talks HTTP runs against the emulator over loopback.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from signs_emulator import credentials
from signs_provider.common.errors import SignsConfigError, SignsTransportError
from signs_provider.opensign.errors import (
    OpenSignApiError,
    OpenSignAuthError,
    OpenSignBadRequestError,
    OpenSignConflictError,
    OpenSignCreditsError,
    OpenSignNotFoundError,
)
from signs_provider.opensign.hooks import OpenSignHook


def _connect(monkeypatch, conn_id: str = "opensign_test", **conn) -> OpenSignHook:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "opensign", **conn}))
    return OpenSignHook(opensign_conn_id=conn_id)


# -- connection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "https://sandbox.opensignlabs.com/api/v1.2"),
        ({"environment": "sandbox"}, "https://sandbox.opensignlabs.com/api/v1.2"),
        ({"environment": "live"}, "https://app.opensignlabs.com/api/v1.2"),
        ({"environment": "EU"}, "https://eu-app.opensignlabs.com/api/v1.2"),
        ({"extra__opensign__environment": "live"}, "https://app.opensignlabs.com/api/v1.2"),
    ],
)
def test_environment_picks_the_host_and_defaults_to_sandbox(monkeypatch, extra: dict, expected: str) -> None:
    assert _connect(monkeypatch, password="tok-123456", extra=extra).base_url == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("staging-app.opensignlabs.com", "https://staging-app.opensignlabs.com/api/v1.2"),
        ("https://sign.example.com/", "https://sign.example.com/api/v1.2"),
        ("https://sign.example.com/api/v1.1", "https://sign.example.com/api/v1.1"),
        ("http://127.0.0.1:8099/opensign/live", "http://127.0.0.1:8099/opensign/live/api/v1.2"),
    ],
)
def test_host_override_wins_over_environment(monkeypatch, host: str, expected: str) -> None:
    hook = _connect(monkeypatch, password="tok-123456", host=host, extra={"environment": "sandbox"})
    assert hook.base_url == expected


def test_unknown_environment_names_the_field_and_choices(monkeypatch) -> None:
    hook = _connect(monkeypatch, password="tok-123456", extra={"environment": "production"})
    with pytest.raises(SignsConfigError, match="'environment'.*sandbox, live, eu"):
        _ = hook.base_url


def test_webhook_secret_and_timeout_from_extra(monkeypatch) -> None:
    hook = _connect(
        monkeypatch, password="tok-123456", extra={"webhook_secret": "whsec-abcdef", "timeout": 9}
    )
    assert hook.webhook_secret == "whsec-abcdef"
    assert hook.timeout == 9.0


def test_plain_http_to_a_remote_host_is_refused(monkeypatch) -> None:
    hook = _connect(monkeypatch, password="tok-123456", host="http://sign.example.com")
    with pytest.raises(SignsConfigError, match="plain http"):
        hook.get_user()


# -- over HTTP, against the emulator --------------------------------------------------------------


@pytest.fixture
def sandbox(emulator, monkeypatch) -> OpenSignHook:
    return _connect(
        monkeypatch,
        "sandbox",
        password=credentials.OPENSIGN_TOKENS["sandbox"],
        host=emulator.opensign_host("sandbox"),
        extra={"environment": "sandbox"},
    )


def test_get_user_credits_and_test_connection(sandbox) -> None:
    user = sandbox.get_user()
    assert user["objectId"] and "@" in user["email"]
    credits = sandbox.get_credits()
    assert credits["total_credits"] == credits["plan_credits"] + credits["addon_credits"]
    ok, message = sandbox.test_connection()
    assert ok and "sandbox" in message and user["email"] in message


def test_token_of_the_other_environment_gets_a_405_that_says_how_to_switch(emulator, monkeypatch) -> None:
    live_token = credentials.OPENSIGN_TOKENS["live"]
    hook = _connect(
        monkeypatch,
        password=live_token,
        host=emulator.opensign_host("sandbox"),
        extra={"environment": "sandbox"},
    )
    with pytest.raises(OpenSignAuthError) as info:
        hook.get_user()
    message = str(info.value)
    assert info.value.status == 405 and info.value.api_message == "Invalid API Token!"
    assert "another environment" in message and "'live'" in message
    assert live_token not in message
    ok, test_message = hook.test_connection()
    assert not ok and "405" in test_message


def test_404_for_an_unknown_document(sandbox) -> None:
    with pytest.raises(OpenSignNotFoundError) as info:
        sandbox.request("GET", "document/doesnotexist")
    assert info.value.status == 404


def test_404_for_an_unknown_list_type(sandbox) -> None:
    with pytest.raises(OpenSignNotFoundError, match="Report not available!"):
        sandbox.request("GET", "documentlist/nonsense")


def test_401_is_a_conflict_with_the_existing_id(sandbox) -> None:
    contact = {"name": "Hedy Lamarr", "email": "hedy@example.com", "phone": "0123456789"}
    created = sandbox.request("POST", "createcontact", json=contact)
    with pytest.raises(OpenSignConflictError) as info:
        sandbox.request("POST", "createcontact", json=contact)
    assert info.value.status == 401
    assert info.value.api_message == "Contact already exists!"
    assert info.value.existing_id in (None, created.get("objectId"))


def test_400_carries_opensigns_message(sandbox) -> None:
    contact = next(sandbox.paginate("contactlist"))
    with pytest.raises(OpenSignBadRequestError, match="Please provide valid field names!") as info:
        sandbox.request("PUT", f"contact/{contact['objectId']}", json={"no_such_field": 1})
    assert info.value.status == 400


def test_429_means_out_of_credits_and_a_create_is_not_retried(sandbox, emulator) -> None:
    emulator.control.set_credits("sandbox", plan_credits=0, addon_credits=0)
    emulator.control.reset_requests()
    with pytest.raises(OpenSignCreditsError, match="no API credits left"):
        sandbox.request("POST", "createdocument", json=_document_body())
    creates = [r for r in emulator.control.requests() if r["path"].endswith("/createdocument")]
    assert len(creates) == 1


def _document_body() -> dict:
    """The smallest valid createdocument body: a one-page PDF, one signer, one signature widget."""
    import base64

    pdf = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return {
        "file": base64.b64encode(pdf).decode(),
        "title": "Credits check",
        "signers": [
            {
                "role": "Signer",
                "email": "signer@example.com",
                "name": "Sig Ner",
                "phone": "",
                "widgets": [{"type": "signature", "page": 1, "x": 100, "y": 100, "w": 120, "h": 40}],
            }
        ],
    }


def test_paginate_uses_limit_and_skip_until_a_short_page(sandbox, emulator) -> None:
    for i in range(5):
        sandbox.request(
            "POST",
            "createcontact",
            json={"name": f"Signer {i}", "email": f"s{i}@example.com", "phone": "0123456789"},
        )
    everything = sandbox.request("GET", "contactlist", params={"limit": 500})["result"]
    emulator.control.reset_requests()
    paged = list(sandbox.paginate("contactlist", page_size=2))
    assert [c["objectId"] for c in paged] == [c["objectId"] for c in everything]
    lists = [r for r in emulator.control.requests() if r["path"].endswith("/contactlist")]
    assert len(lists) == len(everything) // 2 + 1
    assert list(sandbox.paginate("contactlist", page_size=2, max_items=3)).__len__() == 3


# -- sending documents ----------------------------------------------------------------------------

from pathlib import Path  # noqa: E402

from signs_provider.common.errors import AmbiguousWriteError  # noqa: E402
from signs_provider.opensign.client.payloads import MAX_FILE_BYTES, idempotency_marker  # noqa: E402
from signs_provider.opensign.errors import OpenSignDocumentStateError  # noqa: E402
from signs_provider.opensign.status import DocumentStatus, SignerProgress  # noqa: E402
from tests.opensign.conftest import (  # noqa: E402
    SIGNATURE,
    credits_left,
    documents,
    make_pdf,
    signer,
)

MARKER = idempotency_marker("contracts", "send", "manual__1", 0)


def _creates(emulator, endpoint: str = "createdocument") -> int:
    return len([r for r in emulator.control.requests(method="POST") if r["path"].endswith(f"/{endpoint}")])


def test_create_document_sends_the_pdf_and_signers(hook, opensign, tmp_path) -> None:
    original = make_pdf(pages=2, text="Offer letter")
    path = tmp_path / "offer.pdf"
    path.write_bytes(original)
    ada = signer("Ada Lovelace", "ada@example.com", role="Employee")
    grace = signer("Grace Hopper", "grace@example.com")
    grace["widgets"][0]["page"] = 2
    sent = hook.send_for_signature(
        str(path), title="Offer", signers=[ada, grace], note="Welcome", options={"send_email": False}
    )
    assert [link["email"] for link in sent.signing_links] == ["ada@example.com", "grace@example.com"]
    document = hook.get_document(sent.document_id)
    assert document["title"] == "Offer" and document["note"] == "Welcome"
    assert [s["email"] for s in document["signers"]] == ["ada@example.com", "grace@example.com"]
    assert document["signers"][1]["widgets"][0]["page"] == 2
    # Before anyone signs, the document's file is the PDF that was sent, byte for byte.
    saved = hook.download_signed_document(sent.document_id, tmp_path / "out.pdf", allow_partial=True)
    assert Path(saved).read_bytes() == original


@pytest.mark.parametrize("source", ["path", "object_storage", "bytes"])
def test_the_pdf_can_be_a_path_an_object_storage_path_or_bytes(hook, opensign, tmp_path, source) -> None:
    from airflow.sdk import ObjectStoragePath

    data = make_pdf(text=source)
    (tmp_path / "a.pdf").write_bytes(data)
    given = {
        "path": tmp_path / "a.pdf",
        "object_storage": ObjectStoragePath(f"file://{tmp_path}/a.pdf"),
        "bytes": data,
    }[source]
    sent = hook.send_for_signature(given, title=source, signers=[signer("Ada", "ada@example.com")])
    assert hook.get_document(sent.document_id)["title"] == source


def test_a_lost_create_response_is_recovered_without_a_duplicate(send, opensign) -> None:
    before = credits_left(opensign)
    opensign.control.add_fault("lost_response", path="/createdocument$", times=1)
    sent = send(marker=MARKER)
    assert sent.recovered is True
    assert sent.signing_links[0]["email"] == "ada@example.com"
    assert [d["id"] for d in documents(opensign)] == [sent.document_id]
    assert credits_left(opensign) == before - 1
    assert _creates(opensign) == 1


@pytest.mark.parametrize("fault", ["500", "502", "drop", "malformed"])
def test_a_create_that_did_not_happen_is_sent_again_once(make_hook, pdf, opensign, fault) -> None:
    hook = make_hook(landing_wait=0.3)
    before = credits_left(opensign)
    opensign.control.add_fault(fault, path="/createdocument$", times=1)
    sent = hook.send_for_signature(pdf, title="C", signers=[signer("Ada", "ada@example.com")], marker=MARKER)
    assert not sent.recovered
    assert [d["id"] for d in documents(opensign)] == [sent.document_id]
    assert credits_left(opensign) == before - 1
    assert _creates(opensign) == 2
    # Looked twice (at once, then after the settle wait) before sending again.
    searches = opensign.control.requests(path="/documentlist/inprogress$", method="GET")
    assert len(searches) == 2


@pytest.mark.parametrize("fault", ["502", "503", "drop"])
def test_a_create_still_landing_behind_a_gateway_error_is_found_not_resent(
    make_hook, pdf, opensign, fault
) -> None:
    """A gateway's 5xx or a cut connection: the backend behind it goes on and creates the document."""
    hook = make_hook(timeout=1)  # settle wait: 2 s
    before = credits_left(opensign)
    opensign.control.add_fault(fault, path="/createdocument$", times=1, late_write=0.7)
    sent = hook.send_for_signature(pdf, title="C", signers=[signer("Ada", "ada@example.com")], marker=MARKER)
    assert sent.recovered is True
    assert [d["id"] for d in documents(opensign)] == [sent.document_id]
    assert credits_left(opensign) == before - 1
    assert _creates(opensign) == 1  # the failed one only: never sent again


def test_find_sent_document_waits_once_then_gives_up(make_hook, opensign) -> None:
    hook = make_hook(landing_wait=0.2)
    started = time.monotonic()
    assert hook.find_sent_document(MARKER, since=None) is None
    assert time.monotonic() - started >= 0.2
    assert len(opensign.control.requests(path="/documentlist/inprogress$")) == 2


def _item(minutes_ago: float) -> dict:
    moment = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return {"objectId": "x", "updatedAt": moment.isoformat().replace("+00:00", "Z")}


def test_a_search_stops_early_only_on_a_sorted_page_wholly_older_than_the_bound() -> None:
    from signs_provider.opensign.client import polling

    bound = datetime.now(timezone.utc) - timedelta(minutes=30)
    older = [_item(40), _item(50), _item(60)]
    assert polling.page_past_bound(older, bound) is True
    assert polling.page_past_bound(older, None) is False
    # One document on the page is newer than the bound: the next page may hold more.
    assert polling.page_past_bound([_item(10), _item(50)], bound) is False
    # Not newest first: the order the early stop relies on does not hold, so read on.
    assert polling.page_past_bound([_item(60), _item(40), _item(50)], bound) is False
    # A time that cannot be read proves nothing either.
    assert polling.page_past_bound([_item(40), {"objectId": "y", "updatedAt": "yesterday"}], bound) is False


def test_the_list_order_assumption_is_a_one_line_switch(monkeypatch) -> None:
    from signs_provider.opensign.client import polling

    bound = datetime.now(timezone.utc) - timedelta(minutes=30)
    monkeypatch.setattr(polling, "LISTS_NEWEST_FIRST", False)
    assert polling.page_past_bound([_item(40), _item(50)], bound) is False


def test_a_create_still_running_when_the_client_timed_out_is_found_not_resent(
    make_hook, pdf, opensign
) -> None:
    hook = make_hook(timeout=1)
    before = credits_left(opensign)
    # The emulator reads the request, waits 1.5 s (the client gives up after 1 s), then creates.
    opensign.control.add_fault("slow", path="/createdocument$", times=1, delay=1.5)
    sent = hook.send_for_signature(
        pdf, title="Slow", signers=[signer("Ada", "ada@example.com")], marker=MARKER
    )
    assert sent.recovered is True
    assert [d["id"] for d in documents(opensign)] == [sent.document_id]
    assert credits_left(opensign) == before - 1 and _creates(opensign) == 1


def test_without_a_marker_an_ambiguous_create_is_not_resent(send, opensign) -> None:
    opensign.control.add_fault("lost_response", path="/createdocument$", times=1)
    with pytest.raises(AmbiguousWriteError, match="No idempotency marker"):
        send()
    assert _creates(opensign) == 1


def test_creates_give_up_after_the_attempt_budget_without_creating(make_hook, pdf, opensign) -> None:
    hook = make_hook(landing_wait=0.2)
    before = credits_left(opensign)
    opensign.control.add_fault("503", path="/createdocument$", times=0)
    with pytest.raises(AmbiguousWriteError, match="It was not sent again, so that nothing is created twice"):
        hook.send_for_signature(pdf, title="C", signers=[signer("Ada", "ada@example.com")], marker=MARKER)
    assert _creates(opensign) == 2 and documents(opensign) == [] and credits_left(opensign) == before


def test_out_of_credits_is_clear_and_not_retried(send, opensign) -> None:
    opensign.control.set_credits("sandbox", plan_credits=0, addon_credits=0)
    with pytest.raises(OpenSignCreditsError):
        send(marker=MARKER)
    assert _creates(opensign) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"file": b"PK\x03\x04 not a pdf"}, r"file: bytes is not a PDF"),
        (
            {"file": b"%PDF-1.4" + b"\0" * MAX_FILE_BYTES},
            r"file: bytes is 10.0 MB; OpenSign accepts at most 10 MB",
        ),
        ({"file": b""}, r"file: bytes is empty"),
        ({"title": " "}, r"title: missing"),
        ({"signers": []}, r"signers: give a non-empty list"),
        (
            {"signers": [{"name": "Ada", "email": "ada(at)example.com", "widgets": [SIGNATURE]}]},
            r"signers\[0\]\.email",
        ),
        ({"signers": [{"email": "ada@example.com", "widgets": [SIGNATURE]}]}, r"signers\[0\]\.name: missing"),
        (
            {"signers": [{"name": "Ada", "email": "ada@example.com"}]},
            r"signers\[0\]\.widgets: a signer needs at least one 'signature'",
        ),
        (
            {"signers": [signer("Ada", "ada@example.com"), signer("Ada 2", "ADA@example.com")]},
            r"signers\[1\]\.email: ADA@example.com is also signers\[0\]",
        ),
        (
            {
                "signers": [
                    signer("Ada", "ada@example.com"),
                    {"name": "V", "email": "v@example.com", "signer_role": "viewer", "widgets": [SIGNATURE]},
                ]
            },
            r"signers\[1\]\.widgets: a viewer cannot have widgets",
        ),
        (
            {"signers": [signer("Ada", "ada@example.com", signer_role="approver")]},
            r"an approver cannot have a 'signature'",
        ),
        (
            {"signers": [signer("Ada", "ada@example.com", signer_role="boss")]},
            r"signers\[0\]\.signer_role: 'boss'",
        ),
        (
            {"signers": [{"name": "A", "email": "a@example.com", "widgets": [{**SIGNATURE, "page": 2}]}]},
            r"widgets\[0\]\.page: 2 is past the last page of the PDF \(1\)",
        ),
        (
            {"signers": [{"name": "A", "email": "a@example.com", "widgets": [{**SIGNATURE, "x": 5000}]}]},
            r"widgets\[0\]\.x: 5000 \+ w 150 reaches 5150, past the edge of the page \(595 x 842 points\)",
        ),
        (
            {"signers": [{"name": "A", "email": "a@example.com", "widgets": [{**SIGNATURE, "y": 800}]}]},
            r"widgets\[0\]\.y: 800 \+ h 50 reaches 850, past the edge of the page",
        ),
        (
            {"signers": [{"name": "A", "email": "a@example.com", "widgets": [{**SIGNATURE, "page": 0}]}]},
            r"widgets\[0\]\.page: 0",
        ),
        (
            {"signers": [{"name": "A", "email": "a@example.com", "widgets": [{**SIGNATURE, "x": -5}]}]},
            r"widgets\[0\]\.x: -5 is not a coordinate",
        ),
        (
            {"signers": [{"name": "A", "email": "a@example.com", "widgets": [{**SIGNATURE, "w": 0}]}]},
            r"widgets\[0\]\.w: 0 must be a positive size",
        ),
        (
            {
                "signers": [
                    {
                        "name": "A",
                        "email": "a@example.com",
                        "widgets": [SIGNATURE, {**SIGNATURE, "type": "signature pad"}],
                    }
                ]
            },
            r"widgets\[1\]\.type: 'signature pad'",
        ),
        ({"options": {"sendInorder": False}}, r"options: unknown setting\(s\) 'sendInorder'"),
    ],
)
def test_bad_input_is_refused_before_sending_naming_the_field(hook, opensign, pdf, change, message) -> None:
    arguments = {"file": pdf, "title": "Contract", "signers": [signer("Ada", "ada@example.com")], **change}
    with pytest.raises(SignsConfigError, match=message):
        hook.send_for_signature(arguments.pop("file"), **arguments)
    assert opensign.control.count(method="POST") == 0


def test_a_missing_file_names_the_field(hook, opensign, tmp_path) -> None:
    with pytest.raises(SignsConfigError, match=r"file: .*nope.pdf does not exist"):
        hook.send_for_signature(tmp_path / "nope.pdf", title="X", signers=[signer("Ada", "ada@example.com")])


def test_create_from_template_checks_roles_and_fills_them(hook, opensign) -> None:
    template = next(t for t in hook.list_templates() if t["title"] == "Employment contract")
    employee = {"role": "Employee", "name": "Ada Lovelace", "email": "ada@example.com"}
    hr = {"role": "HR", "name": "Grace Hopper", "email": "grace@example.com"}
    with pytest.raises(
        SignsConfigError, match=r"signers\[0\]\.role: 'employee' is not a role .* Did you mean 'Employee'"
    ):
        hook.send_template_for_signature(template["objectId"], signers=[{**employee, "role": "employee"}])
    with pytest.raises(SignsConfigError, match=r"needs a signer for role\(s\) 'HR'"):
        hook.send_template_for_signature(template["objectId"], signers=[employee])
    with pytest.raises(SignsConfigError, match=r"widgets\[0\]: signature widgets are drawn by the signer"):
        hook.send_template_for_signature(
            template["objectId"], signers=[{**employee, "widgets": [{"name": "employee signature"}]}, hr]
        )
    with pytest.raises(SignsConfigError, match=r"widgets\[0\]\.name: role 'Employee' has no widget 'salary'"):
        hook.send_template_for_signature(
            template["objectId"], signers=[{**employee, "widgets": [{"name": "salary", "default": "1"}]}, hr]
        )
    assert opensign.control.count(method="POST") == 0
    sent = hook.send_template_for_signature(
        template["objectId"],
        signers=[employee, hr],
        prefill={"widgets": [{"name": "start date", "response": "01-02-2027"}]},
        marker=MARKER,
    )
    document = hook.get_document(sent.document_id)
    assert document["template_id"] == template["objectId"]
    assert document["title"] == f"Employment contract [{MARKER}]"
    assert {s["email"] for s in document["signers"]} == {"ada@example.com", "grace@example.com"}


def test_a_lost_template_create_is_recovered(hook, opensign) -> None:
    template = next(t for t in hook.list_templates() if t["title"] == "Mutual NDA")
    opensign.control.add_fault("lost_response", path=r"/createdocument/\w+$", times=1)
    sent = hook.send_template_for_signature(
        template["objectId"],
        signers=[{"role": "Counterparty", "name": "Ada", "email": "ada@example.com"}],
        marker=MARKER,
    )
    assert sent.recovered and len(documents(opensign)) == 1


def test_draft_and_self_sign(hook, opensign, pdf) -> None:
    opensign.control.add_fault("lost_response", path="/draftdocument$", times=1)
    draft = hook.draft_document(pdf, title="Draft", marker=MARKER)
    assert draft.recovered and draft.url is None
    assert hook.get_document_state(draft.document_id).status is DocumentStatus.DRAFT
    assert [d["objectId"] for d in hook.list_documents("draft")] == [draft.document_id]
    own = hook.self_sign_document(pdf, title="Mine", signer=signer("Sam Sandbox", "sam.sandbox@example.com"))
    assert own.url and hook.get_document(own.document_id)["title"] == "Mine"
    assert len(documents(opensign)) == 2


def test_document_lifecycle_methods(hook, send, opensign) -> None:
    sent = send(
        signer("Ada", "ada@example.com"), signer("Grace", "grace@example.com"), options={"sendInOrder": False}
    )
    document_id = sent.document_id
    assert hook.get_signing_links(document_id) == list(sent.signing_links)
    assert hook.update_document(document_id, name="Renamed", note="n")["objectId"] == document_id
    assert hook.get_document(document_id)["title"] == "Renamed"
    with pytest.raises(SignsConfigError, match="title: not a field OpenSign can update"):
        hook.update_document(document_id, title="x")
    assert hook.resend_mail(document_id, "grace@example.com", subject="Reminder")["result"]
    opensign.control.sign(document_id, "ada@example.com", responses={}, ip_address="192.0.2.7")
    state = hook.get_document_state(document_id)
    assert state.status is DocumentStatus.IN_PROGRESS
    assert [(s.email, s.progress) for s in state.signers] == [
        ("ada@example.com", SignerProgress.SIGNED),
        ("grace@example.com", SignerProgress.PENDING),
    ]
    assert hook.get_signer_ips(document_id) == [{"email": "ada@example.com", "ip_address": "192.0.2.7"}]
    assert [f["email"] for f in hook.get_form_data(document_id)["form_data"]] == ["ada@example.com"]
    opensign.control.add_fault("lost_response", path=rf"/document/{document_id}$", method="POST", times=1)
    assert hook.revoke_document(document_id, "wrong salary")["recovered"] is True
    assert hook.get_document_state(document_id).status is DocumentStatus.DECLINED
    assert [d["objectId"] for d in hook.list_documents("declined")] == [document_id]
    assert hook.delete_document(document_id)["objectId"] == document_id
    with pytest.raises(OpenSignNotFoundError):
        hook.get_document(document_id)


def test_ids_that_would_change_the_url_are_refused(hook) -> None:
    with pytest.raises(SignsConfigError, match="not an OpenSign object id"):
        hook.get_document("../getuser")


def test_check_credits(hook, opensign) -> None:
    assert hook.check_credits(3) == 100
    opensign.control.set_credits("sandbox", plan_credits=2, addon_credits=0)
    with pytest.raises(OpenSignCreditsError, match="3 document\\(s\\) to send but only 2 API credit\\(s\\)"):
        hook.check_credits(3)


# -- downloads -------------------------------------------------------------------------------------


def test_download_waits_for_completion_then_saves_both_pdfs(hook, send, opensign, tmp_path) -> None:
    sent = send()
    with pytest.raises(OpenSignDocumentStateError, match="is in-progress"):
        hook.download_signed_document(sent.document_id, tmp_path)
    opensign.control.sign(sent.document_id, "ada@example.com")
    signed = hook.download_signed_document(sent.document_id, tmp_path)
    certificate = hook.download_certificate(sent.document_id, str(tmp_path) + "/")
    assert signed == str(tmp_path / f"{sent.document_id}-signed.pdf")
    assert certificate == str(tmp_path / f"{sent.document_id}-certificate.pdf")
    assert Path(signed).read_bytes()[:5] == Path(certificate).read_bytes()[:5] == b"%PDF-"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_download_to_object_storage(hook, send, opensign, tmp_path) -> None:
    from airflow.sdk import ObjectStoragePath

    sent = send()
    opensign.control.sign(sent.document_id, "ada@example.com")
    where = hook.download_certificate(
        sent.document_id, ObjectStoragePath(f"file://{tmp_path}/archive/cert.pdf")
    )
    assert where.endswith("archive/cert.pdf")
    assert (tmp_path / "archive" / "cert.pdf").read_bytes().startswith(b"%PDF-")


def test_an_expired_download_url_is_refreshed(hook, send, opensign, tmp_path, monkeypatch) -> None:
    sent = send()
    opensign.control.sign(sent.document_id, "ada@example.com")
    documents_area = hook.client.documents  # what downloads ask for fresh file URLs
    real_get = documents_area.get_document
    calls = []

    def get_then_let_the_url_expire(document_id):
        body = real_get(document_id)
        if not calls:
            opensign.control.advance_clock(minutes=16)  # past the 15-minute URL lifetime
        calls.append(document_id)
        return body

    monkeypatch.setattr(documents_area, "get_document", get_then_let_the_url_expire)
    saved = hook.download_signed_document(sent.document_id, tmp_path)
    assert len(calls) == 2
    downloads = opensign.control.requests(path="/opensign/files/")
    assert [r["status"] for r in downloads] == [403, 200]
    assert {r.get("auth_header") for r in downloads} == {None}  # the API token never goes to file URLs
    assert Path(saved).read_bytes()[:5] == b"%PDF-"


def test_a_download_that_is_not_a_pdf_writes_nothing(hook, send, opensign, tmp_path) -> None:
    sent = send()
    opensign.control.sign(sent.document_id, "ada@example.com")
    opensign.control.add_fault("malformed", path="/opensign/files/", times=1)
    with pytest.raises(OpenSignApiError, match="is not a PDF"):
        hook.download_signed_document(sent.document_id, tmp_path / "x.pdf")
    assert list(tmp_path.iterdir()) == []


def test_download_retries_follow_the_policy_and_never_quote_the_signed_url(
    hook, send, opensign, tmp_path, capfd
) -> None:
    sent = send()
    opensign.control.sign(sent.document_id, "ada@example.com")
    file_url = hook.get_document(sent.document_id)["file"]
    secret_part = file_url.split("/opensign/files/", 1)[1]
    opensign.control.add_fault("503", path="/opensign/files/", times=0)
    with pytest.raises(OpenSignApiError) as failed:
        hook.download_signed_document(sent.document_id, tmp_path)
    assert failed.value.status == 503 and "from 127.0.0.1 failed: HTTP 503" in str(failed.value)
    assert len(opensign.control.requests(path="/opensign/files/")) == 3  # QUICK_RETRIES.max_attempts
    opensign.control.clear_faults()
    opensign.control.add_fault("drop", path="/opensign/files/", times=0)
    with pytest.raises(SignsTransportError) as dropped:
        hook.download_signed_document(sent.document_id, tmp_path)
    out, err = capfd.readouterr()
    for text in (str(failed.value), str(dropped.value), out, err):
        assert secret_part not in text and "/opensign/files/" not in text
    assert list(tmp_path.iterdir()) == []


def test_a_plain_http_file_url_is_refused_naming_the_host_only() -> None:
    from signs_provider.opensign.client.downloads import check_download_url

    with pytest.raises(OpenSignApiError, match="scheme 'http', host 'files.example.com'") as refused:
        check_download_url("http://files.example.com/doc.pdf?X-Amz-Signature=abc123", "signed document")
    assert "abc123" not in str(refused.value)


# -- many documents at once ------------------------------------------------------------------------


def test_states_of_many_documents_cost_a_few_list_pages(hook, send, opensign) -> None:
    sent = [send(signer(f"P{i}", f"p{i}@example.com")).document_id for i in range(12)]
    opensign.control.sign(sent[0], "p0@example.com")
    opensign.control.decline(sent[1], "p1@example.com", reason="salary")
    opensign.control.expire_document(sent[2])
    hook.delete_document(sent[3])
    opensign.control.reset_requests()
    states = hook.get_document_states(sent)
    assert states[sent[0]].status is DocumentStatus.COMPLETED
    assert states[sent[1]].status is DocumentStatus.DECLINED
    assert states[sent[1]].signers[0].progress is SignerProgress.PENDING  # details fetched for failures
    assert states[sent[2]].status is DocumentStatus.EXPIRED
    assert states[sent[3]].found is False
    assert {states[i].status for i in sent[4:]} == {DocumentStatus.IN_PROGRESS}
    paths = [r["path"].rsplit("/api/v1.2/", 1)[1] for r in opensign.control.requests()]
    # inprogress, completed, declined, expired, draft lists; GET for the two failures and the deleted one.
    assert sorted(paths) == sorted(
        [
            "documentlist/inprogress",
            "documentlist/completed",
            "documentlist/declined",
            "documentlist/expired",
            "documentlist/draft",
            f"document/{sent[1]}",
            f"document/{sent[2]}",
            f"document/{sent[3]}",
        ]
    )
    opensign.control.reset_requests()
    assert {s.status for s in hook.get_document_states(sent[4:]).values()} == {DocumentStatus.IN_PROGRESS}
    assert opensign.control.count() == 1


def test_async_states_match_the_sync_ones(hook, send, opensign) -> None:
    import asyncio

    from signs_provider.opensign.hooks import OpenSignHook

    sent = [send().document_id, "doesNotExist"]
    opensign.control.sign(sent[0], "ada@example.com")

    async def poll():
        async_hook = OpenSignHook()
        try:
            return await async_hook.aget_document_states(sent)
        finally:
            await async_hook.aclose()

    states = asyncio.run(poll())
    assert states == hook.get_document_states(sent)
    assert states[sent[0]].status is DocumentStatus.COMPLETED and not states[sent[1]].found


# -- templates, contacts, folders, webhook ----------------------------------------------------------


def test_template_methods(hook, opensign, pdf) -> None:
    roles = [
        {"role": "Client", "widgets": [SIGNATURE]},
        {"role": "Owner", "name": "Sam", "email": "sam@example.com", "widgets": [SIGNATURE]},
    ]
    with pytest.raises(SignsConfigError, match=r"signers\[1\]\.role: 'client' is also signers\[0\]"):
        hook.create_template(pdf, title="T", signers=[roles[0], {**roles[0], "role": "client"}])
    created = hook.create_template(
        pdf, title="Service agreement", signers=roles, options={"timeToCompleteDays": 3}
    )
    template_id = created["objectId"]
    assert hook.get_template(template_id)["timeToCompleteDays"] == 3
    assert template_id in [t["objectId"] for t in hook.list_templates()]
    hook.update_template(template_id, name="Service agreement v2", file=make_pdf(text="v2"))
    assert hook.get_template(template_id)["title"] == "Service agreement v2"
    assert hook.create_template(pdf, title="Public", signers=roles[:1], kind="public")["public_url"]
    assert hook.create_template(pdf, title="Draft", signers=roles[:1], kind="draft")["url"]
    sent = hook.send_template_for_signature(
        template_id, signers=[{"role": "Client", "name": "Ada", "email": "ada@example.com"}]
    )
    assert {s["email"] for s in hook.get_document(sent.document_id)["signers"]} == {
        "ada@example.com",
        "sam@example.com",
    }
    hook.delete_template(template_id)
    with pytest.raises(OpenSignNotFoundError):
        hook.get_template(template_id)


def test_contact_methods(hook) -> None:
    created = hook.create_contact(name="Hedy Lamarr", email="hedy@example.com", company="MGM")
    with pytest.raises(OpenSignConflictError):
        hook.create_contact(name="Hedy Lamarr", email="hedy@example.com")
    assert (
        hook.create_contact(name="Hedy", email="HEDY@example.com", exist_ok=True)["objectId"]
        == created["objectId"]
    )
    hook.update_contact(created["objectId"], job_title="Inventor")
    assert hook.get_contact(created["objectId"])["job_title"] == "Inventor"
    assert created["objectId"] in [c["objectId"] for c in hook.list_contacts()]
    with pytest.raises(SignsConfigError, match="email: 'hedy' is not an email"):
        hook.create_contact(name="Hedy", email="hedy")
    hook.delete_contact(created["objectId"])
    with pytest.raises(OpenSignNotFoundError):
        hook.get_contact(created["objectId"])


def test_folder_methods(hook, send) -> None:
    parent = hook.create_folder("Contracts 2027")
    child = hook.create_folder("Q1", parent_folder_id=parent["objectId"])
    assert [f["objectId"] for f in hook.list_folders(parent_folder_id=parent["objectId"])] == [
        child["objectId"]
    ]
    hook.update_folder(child["objectId"], name="Q1 signed", parent_folder_id="")
    assert hook.get_folder(child["objectId"])["folderName"] == "Q1 signed"
    send(options={"folderId": parent["objectId"]})
    with pytest.raises(OpenSignBadRequestError, match="folder is not empty"):
        hook.delete_folder(parent["objectId"])
    hook.delete_folder(child["objectId"])


def test_webhook_methods(hook) -> None:
    assert hook.get_webhook() is None
    assert hook.set_webhook("https://hooks.example.com/opensign") == "https://hooks.example.com/opensign"
    hook.set_webhook("https://hooks.example.com/opensign")  # the same URL again is not an error
    assert hook.get_webhook() == "https://hooks.example.com/opensign"
    with pytest.raises(SignsConfigError, match="plain http"):
        hook.set_webhook("http://hooks.example.com/opensign")
    hook.delete_webhook()
    assert hook.get_webhook() is None


def test_document_url_follows_the_environment(monkeypatch, opensign) -> None:
    assert _connect(monkeypatch, password="tok-123456", extra={"environment": "eu"}).document_url("Ab12") == (
        "https://eu-app.opensignlabs.com/recipientSignPdf/Ab12"
    )
    hook = OpenSignHook()
    assert hook.document_url("Ab12") == f"{opensign.opensign_host('sandbox')}/recipientSignPdf/Ab12"


def test_downloads_never_carry_the_api_token(hook) -> None:
    assert "x-api-token" in hook.transport.session.headers
    assert not any(k.lower() == "x-api-token" for k in hook.download_session.headers)
