"""Sending documents (client/sending.py through the hook): the PDF read once, inputs checked before
anything is sent, and creates sent once, settled by looking after a lost answer."""

from __future__ import annotations

import json as json_module
import time
from pathlib import Path

import pytest

from signs_provider.common.errors import AmbiguousWriteError, SignsConfigError
from signs_provider.opensign.client.payloads import MAX_FILE_BYTES, idempotency_marker
from signs_provider.opensign.errors import (
    OpenSignBadRequestError,
    OpenSignCreditsError,
)
from signs_provider.opensign.status import DocumentStatus
from tests.opensign.conftest import (
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
def test_an_ambiguous_create_that_did_not_land_is_never_resent_by_the_call(
    make_hook, pdf, opensign, fault
) -> None:
    """No fixed wait is right for every backend: after looking through the landing wait, the call
    gives up without sending again (a task retry looks again, later, before it may send)."""
    hook = make_hook(landing_wait=0.3)
    before = credits_left(opensign)
    opensign.control.add_fault(fault, path="/createdocument$", times=1)
    with pytest.raises(AmbiguousWriteError, match="It was not sent again, so that nothing is created twice"):
        hook.send_for_signature(pdf, title="C", signers=[signer("Ada", "ada@example.com")], marker=MARKER)
    assert documents(opensign) == [] and credits_left(opensign) == before
    assert _creates(opensign) == 1
    # Looked at once, then again through the landing wait.
    searches = opensign.control.requests(path="/documentlist/inprogress$", method="GET")
    assert len(searches) >= 2
    # The retry of the task, later: nothing landed, so it sends.
    sent = hook.send_for_signature(pdf, title="C", signers=[signer("Ada", "ada@example.com")], marker=MARKER)
    assert [d["id"] for d in documents(opensign)] == [sent.document_id] and _creates(opensign) == 2


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


def test_a_create_behind_failing_gateways_is_sent_once_then_given_up(make_hook, pdf, opensign) -> None:
    hook = make_hook(landing_wait=0.2)
    before = credits_left(opensign)
    opensign.control.add_fault("503", path="/createdocument$", times=0)
    with pytest.raises(AmbiguousWriteError, match="It was not sent again, so that nothing is created twice"):
        hook.send_for_signature(pdf, title="C", signers=[signer("Ada", "ada@example.com")], marker=MARKER)
    assert _creates(opensign) == 1 and documents(opensign) == [] and credits_left(opensign) == before


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


class CountingPath:
    """A path-like source (as an ``ObjectStoragePath`` is: ``open`` and ``stat``) that counts its opens."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.opens = 0

    def open(self, mode: str = "rb"):
        self.opens += 1
        return self.path.open(mode)

    def stat(self):
        return self.path.stat()

    def __str__(self) -> str:
        return str(self.path)


def test_the_pdf_is_read_once_before_sending(hook, opensign, tmp_path) -> None:
    """Size, magic bytes, pages and page size come from one read (one download for s3://), then the send."""
    path = tmp_path / "two-pages.pdf"
    path.write_bytes(make_pdf(pages=2))
    source = CountingPath(path)
    grace = signer("Grace", "grace@example.com")
    grace["widgets"][0]["page"] = 2  # checked against the page count, so the pages were read
    sent = hook.send_for_signature(source, title="Once", signers=[grace])
    assert source.opens == 2  # one inspection, one streamed body
    assert _creates(opensign) == 1
    assert hook.get_document(sent.document_id)["signers"][0]["widgets"][0]["page"] == 2
    # A widget past the last page is refused from that same single read, before anything is sent.
    refused = CountingPath(path)
    grace["widgets"][0]["page"] = 3
    with pytest.raises(SignsConfigError, match="past the last page of the PDF \\(2\\)"):
        hook.send_for_signature(refused, title="Once", signers=[grace])
    assert refused.opens == 1 and _creates(opensign) == 1


def test_every_way_of_getting_a_document_gives_a_sent_document(hook, send, opensign) -> None:
    from signs_provider.opensign.hooks import SentDocument

    sent = send(marker=MARKER)
    assert isinstance(sent, SentDocument) and not sent.recovered
    assert sent.title == "Contract" and [link["email"] for link in sent.signing_links] == ["ada@example.com"]
    found = hook.find_sent_document(MARKER, since=None)
    assert isinstance(found, SentDocument) and found.recovered
    assert (found.document_id, found.title) == (sent.document_id, sent.title)
    assert list(found.signing_links) == list(sent.signing_links)
    assert found.raw["objectId"] == sent.document_id


# -- sending once, apart from HTTP: the Sending area over a fake REST session -------------------------


class FakeRest:
    """Stands for ``RestSession``: creates fail as scripted, lists answer what has "landed"."""

    def __init__(self, failures: list[BaseException], *, lands_after_looks: int) -> None:
        self.failures = failures
        self.lands_after_looks = lands_after_looks
        self.creates = 0
        self.looks = 0
        self.landed: list[dict] = []

    def url(self, path: str) -> str:
        return f"https://opensign.test/api/v1.2/{path}"

    def call(self, endpoint, *ids, json=None, params=None, data=None):
        if endpoint.path == "createdocument":
            self.creates += 1
            body = json_module.loads(b"".join(data()))
            if self.failures:
                self.landed.append({"objectId": "D1", "title": body["title"], "note": body["note"]})
                raise self.failures.pop(0)
            return {"objectId": "D2", "signurl": [{"email": "ada@example.com", "url": "u"}]}
        if endpoint.path == "signinglinks/{document_id}":
            return {"signurl": [{"email": "ada@example.com", "url": "found"}]}
        raise AssertionError(endpoint)

    def page(self, endpoint, *ids, params):
        if ids == ("inprogress",):
            self.looks += 1
        return self.landed if self.looks > self.lands_after_looks and ids == ("inprogress",) else []


def _sending(rest: FakeRest):
    from signs_provider.opensign.client.documents import Documents
    from signs_provider.opensign.client.sending import Sending

    return Sending(
        rest,
        templates=None,
        documents=Documents(rest, landing_wait=lambda: 0.05),  # type: ignore[arg-type]
        landing_wait=lambda: 0.05,
    )


def test_a_lost_answer_is_looked_for_again_at_the_end_of_the_landing_wait(pdf) -> None:
    rest = FakeRest([AmbiguousWriteError("lost", method="POST", url="x")], lands_after_looks=1)
    sent = _sending(rest).send_for_signature(
        pdf, title="T", signers=[signer("Ada", "ada@example.com")], marker=MARKER
    )
    assert (sent.document_id, sent.recovered, rest.creates, rest.looks) == ("D1", True, 1, 2)
    assert [link["url"] for link in sent.signing_links] == ["found"]


def test_a_create_that_never_landed_is_looked_for_then_given_up_not_resent(pdf) -> None:
    rest = FakeRest([AmbiguousWriteError("lost", method="POST", url="x")], lands_after_looks=99)
    with pytest.raises(AmbiguousWriteError):
        _sending(rest).send_for_signature(
            pdf, title="T", signers=[signer("Ada", "ada@example.com")], marker=MARKER
        )
    assert rest.creates == 1 and rest.looks >= 2


def test_a_refused_create_is_neither_looked_for_nor_resent(pdf) -> None:
    rest = FakeRest([OpenSignBadRequestError("no", status=400)], lands_after_looks=0)
    with pytest.raises(OpenSignBadRequestError):
        _sending(rest).send_for_signature(
            pdf, title="T", signers=[signer("Ada", "ada@example.com")], marker=MARKER
        )
    assert (rest.creates, rest.looks) == (1, 0)
