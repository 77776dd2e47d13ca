"""Tests of the OpenSign emulator over real HTTP on loopback, built from the reference's documented
requests and responses (/work/shared/reference/opensign-api.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from signs_emulator import Emulator
from signs_emulator.credentials import OPENSIGN_TOKENS

SANDBOX, LIVE, EU = OPENSIGN_TOKENS["sandbox"], OPENSIGN_TOKENS["live"], OPENSIGN_TOKENS["eu"]
CATCH_ALL = "Something went wrong, please try again later!"
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
# Webhook times, e.g. "Fri, 16 May 2025 15:02:42 GMT+5:30": RFC-1123-like with a zone name, not ISO.
WEBHOOK_TIME = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT([+-]\d{1,2}(:\d{2})?)?$"
)

# A minimal PDF, written by hand so the tests do not depend on the emulator's own PDF writer.
SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
SAMPLE_B64 = base64.b64encode(SAMPLE_PDF).decode()

DOCUMENT_KEYS = {
    "status", "objectId", "file", "certificate", "title", "note", "owner", "signers", "sendInOrder",
    "send_in_order_strict", "allow_offline_sign", "createdAt", "updatedAt", "enableTour", "redirect_url",
    "allow_modifications", "audit_trail", "auto_reminder", "remind_once_in_every", "pen_colors", "bcc", "cc",
}  # fmt: skip
LIST_DOCUMENT_KEYS = {
    "objectId", "file", "title", "note", "owner", "signers", "sendInOrder", "send_in_order_strict",
    "allow_offline_sign", "createdAt", "updatedAt", "enableTour", "redirect_url", "allow_modifications",
    "auto_reminder", "remind_once_in_every",
}  # fmt: skip
TEMPLATE_KEYS = {
    "objectId", "title", "note", "description", "pen_colors", "sender_name", "sender_email",
    "notify_on_signatures", "merge_certificate", "file", "owner", "signers", "sendInOrder",
    "send_in_order_strict", "allow_offline_sign", "createdAt", "updatedAt", "enableTour", "redirect_url",
    "allow_modifications", "auto_reminder", "timeToCompleteDays", "remind_once_in_every", "bcc", "cc", "prefill",
}  # fmt: skip
LIST_TEMPLATE_KEYS = {
    "objectId", "title", "note", "file", "owner", "signers", "sendInOrder", "send_in_order_strict",
    "allow_offline_sign", "createdAt", "updatedAt", "enableTour", "redirect_url", "allow_modifications",
    "auto_reminder", "remind_once_in_every", "prefill",
}  # fmt: skip


# ------------------------------------------------------------------------------------------ fixtures


@dataclass
class Server:
    """Where the emulator under test listens, plus a token-less HTTP session."""

    url: str
    http: requests.Session

    def api(self, env: str = "sandbox", version: str = "v1.2") -> str:
        return f"{self.url}/opensign/{env}/api/{version}"

    def control(self, path: str) -> str:
        return f"{self.url}/_emulator/opensign{path}"


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False  # no proxy between the test and loopback
    yield session
    session.close()


@pytest.fixture
def os_(emulator: Emulator, http: requests.Session) -> Server:
    """The shared emulator (``signs_emulator`` pytest plugin), reset to its seeded state and clock."""
    return Server(url=emulator.url, http=http)


@dataclass
class Receiver:
    """A local webhook receiver recording raw bodies and headers."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0

    def wait_for(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, f"got {len(self.received)} webhooks, wanted {count}"
            time.sleep(0.02)
        return self.received


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            if state.delay:
                time.sleep(state.delay)
            state.received.append(
                {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "raw": raw}
            )
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/hooks/opensign"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


# ------------------------------------------------------------------------------------------- helpers


def call(
    s: Server,
    method: str,
    path: str,
    *,
    token: str | None = SANDBOX,
    env: str = "sandbox",
    version: str = "v1.2",
    body: Any = None,
    params: dict[str, Any] | None = None,
) -> requests.Response:
    headers = {"x-api-token": token} if token is not None else {}
    return s.http.request(
        method, s.api(env, version) + path, headers=headers, json=body, params=params, timeout=30
    )


def ok(response: requests.Response) -> Any:
    assert response.status_code == 200, (response.status_code, response.text)
    return response.json()


def error(response: requests.Response, status: int, message: str, key: str = "error") -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body[key] == message
    return body


def control(s: Server, method: str, path: str, body: Any = None) -> requests.Response:
    return s.http.request(method, s.control(path), json=body, timeout=30)


def signer(email: str, name: str, role: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "role": role,
        "email": email,
        "name": name,
        "phone": "5550001111",
        "widgets": [
            {
                "type": "signature",
                "page": 1,
                "x": 244,
                "y": 71,
                "w": 38,
                "h": 46,
                "options": {"name": f"sig {name}"},
            },
            {
                "type": "textbox",
                "page": 1,
                "x": 244,
                "y": 171,
                "w": 138,
                "h": 26,
                "options": {"name": f"text {name}"},
            },
        ],
        **extra,
    }


ALICE = signer("alice@example.com", "Alice Archer", "ceo")
BOB = signer("bob@example.com", "Bob Baker", "cfo")


def create_doc(s: Server, *, env: str = "sandbox", token: str = SANDBOX, **overrides: Any) -> str:
    body = {"file": SAMPLE_B64, "title": "Sample Test Doc", "note": "Please review and sign this document",
            "signers": [ALICE, BOB], **overrides}  # fmt: skip
    return ok(call(s, "POST", "/createdocument", token=token, env=env, body=body))["objectId"]


def get_doc(s: Server, doc_id: str, env: str = "sandbox", token: str = SANDBOX) -> dict[str, Any]:
    return ok(call(s, "GET", f"/document/{doc_id}", env=env, token=token))


def act(
    s: Server, doc_id: str, email: str, action: str, body: Any = None, env: str = "sandbox"
) -> requests.Response:
    return control(s, "POST", f"/{env}/documents/{doc_id}/signers/{email}/{action}", body)


def advance(s: Server, seconds: float) -> None:
    """Move the emulator's shared clock (owned by the core, ``/_emulator/clock/advance``)."""
    s.http.post(f"{s.url}/_emulator/clock/advance", json={"seconds": seconds}, timeout=10).raise_for_status()


def credits(s: Server, env: str = "sandbox", token: str = SANDBOX) -> dict[str, Any]:
    return ok(call(s, "GET", "/getcredits", env=env, token=token))


def deliveries(
    s: Server, env: str = "sandbox", count: int | None = None, timeout: float = 10
) -> list[dict[str, Any]]:
    """Webhook deliveries once none is pending (and at least ``count`` exist)."""
    deadline = time.monotonic() + timeout
    while True:
        found = control(s, "GET", f"/{env}/webhook-deliveries").json()
        if all(d["status"] != "pending" for d in found) and (count is None or len(found) >= count):
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.02)


def template_id(s: Server, title: str, env: str = "sandbox", token: str = SANDBOX) -> str:
    result = ok(call(s, "GET", "/templatelist", env=env, token=token))["result"]
    return next(t["objectId"] for t in result if t["title"] == title)


def assert_generated_pdf(data: bytes) -> None:
    """A PDF the emulator wrote itself: header, and a cross-reference table whose offsets hit their objects."""
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    xref_at = int(data[data.rindex(b"startxref") + 9 :].split()[0])
    lines = data[xref_at:].split(b"\n")
    assert lines[0] == b"xref"
    count = int(lines[1].split()[1])
    for number in range(1, count):
        offset = int(lines[2 + number][:10])
        assert data[offset:].startswith(b"%d 0 obj" % number), number
    assert re.search(rb"/Root \d+ 0 R", data[xref_at:])


def fetch(s: Server, url: str) -> requests.Response:
    """Download a file URL the way clients must: a plain GET without the API token."""
    return s.http.get(url, timeout=30)


# ---------------------------------------------------------------------------- auth and environments


@pytest.mark.parametrize("version", ["v1", "v1.1", "v1.2"])
def test_getuser_documented_shape_under_every_version(os_: Server, version: str) -> None:
    user = ok(call(os_, "GET", "/getuser", version=version))
    assert set(user) == {
        "objectId",
        "name",
        "email",
        "phone",
        "jobTitle",
        "company",
        "createdAt",
        "updatedAt",
    }
    assert re.fullmatch(r"[A-Za-z0-9]{10}", user["objectId"])
    assert ISO.match(user["createdAt"]) and ISO.match(user["updatedAt"])


ALL_OPERATIONS = [
    ("GET", "/getuser"), ("GET", "/getcredits"), ("POST", "/createcontact"), ("GET", "/contact/c1"),
    ("PUT", "/contact/c1"), ("DELETE", "/contact/c1"), ("GET", "/contactlist"), ("POST", "/selfsign"),
    ("POST", "/draftdocument"), ("POST", "/createdocument"), ("POST", "/createdocument/t1"), ("GET", "/document/d1"),
    ("PUT", "/document/d1"), ("POST", "/document/d1"), ("DELETE", "/document/d1"), ("GET", "/documentlist/draft"),
    ("POST", "/resendmail"), ("GET", "/signerips/d1"), ("GET", "/formdata/d1"), ("GET", "/signinglinks/d1"),
    ("POST", "/drafttemplate"), ("POST", "/createtemplate"), ("POST", "/publictemplate"), ("GET", "/template/t1"),
    ("PUT", "/template/t1"), ("DELETE", "/template/t1"), ("GET", "/templatelist"), ("GET", "/webhook"),
    ("POST", "/webhook"), ("DELETE", "/webhook"), ("POST", "/createfolder"), ("GET", "/folder/f1"),
    ("PUT", "/folder/f1"), ("DELETE", "/folder/f1"), ("GET", "/folderlist"),
]  # fmt: skip


@pytest.mark.parametrize("version", ["v1", "v1.1", "v1.2"])
def test_all_35_operations_are_served_under_every_version(os_: Server, version: str) -> None:
    assert len(set(ALL_OPERATIONS)) == 35
    for method, path in ALL_OPERATIONS:
        # A token of the other environment proves the route exists and checks auth first.
        error(call(os_, method, path, token=LIVE, version=version, body={}), 405, "Invalid API Token!")
        unknown = call(os_, method, path + "/extra/segment", token=SANDBOX, version=version)
        assert unknown.status_code in (404, 405)


def test_bad_missing_and_other_environment_tokens(os_: Server) -> None:
    error(call(os_, "GET", "/getuser", token="not-a-token"), 405, "Invalid API Token!")
    error(call(os_, "GET", "/getuser", token=SANDBOX, env="live"), 405, "Invalid API Token!")
    error(call(os_, "GET", "/getuser", token=LIVE, env="sandbox"), 405, "Invalid API Token!")
    error(call(os_, "GET", "/getuser", token=SANDBOX, env="eu"), 405, "Invalid API Token!")
    error(call(os_, "POST", "/createdocument", token=LIVE, body={}), 405, "Invalid API Token!")
    error(call(os_, "GET", "/getuser", token=None), 400, "Please Provide API Token")
    assert call(os_, "GET", "/getuser", version="v2").status_code == 404
    assert call(os_, "GET", "/getuser", env="staging").status_code == 404
    assert ok(call(os_, "GET", "/getuser", token=EU, env="eu"))["email"].endswith(".eu")


def test_environments_are_separate_accounts(os_: Server) -> None:
    sandbox_user = ok(call(os_, "GET", "/getuser"))
    live_user = ok(call(os_, "GET", "/getuser", token=LIVE, env="live"))
    assert sandbox_user["objectId"] != live_user["objectId"]
    # Templates are not shared: a sandbox template is unknown on live and absent from its list.
    sandbox_tpl = template_id(os_, "Employment contract")
    error(call(os_, "GET", f"/template/{sandbox_tpl}", token=LIVE, env="live"), 404, "Template not found!")
    created = ok(call(os_, "POST", "/createtemplate", body={"file": SAMPLE_B64, "title": "Sandbox only",
                                                              "signers": [{"role": "Signer"}]}))  # fmt: skip
    live_titles = [
        t["title"] for t in ok(call(os_, "GET", "/templatelist", token=LIVE, env="live"))["result"]
    ]
    assert "Sandbox only" not in live_titles and "Employment contract" in live_titles
    error(
        call(os_, "GET", f"/template/{created['objectId']}", token=LIVE, env="live"),
        404,
        "Template not found!",
    )
    # Documents, credits and webhooks too.
    doc_id = create_doc(os_)
    error(call(os_, "GET", f"/document/{doc_id}", token=LIVE, env="live"), 404, "Document not found!")
    assert credits(os_)["total_credits"] == 99
    assert credits(os_, "live", LIVE)["total_credits"] == 20
    ok(call(os_, "POST", "/webhook", body={"url": "http://127.0.0.1:9/sandbox"}))
    error(call(os_, "GET", "/webhook", token=LIVE, env="live"), 404, "User not found!")


# --------------------------------------------------------------------------------------- credits


def test_getcredits_shape_and_subscription(os_: Server) -> None:
    body = credits(os_)
    assert set(body) == {"plan_credits", "addon_credits", "total_credits", "renewal_date"}
    assert body["total_credits"] == body["plan_credits"] + body["addon_credits"] == 100
    assert ISO.match(body["renewal_date"])
    ok(control(os_, "POST", "/sandbox/credits", {"subscription": False}))
    error(call(os_, "GET", "/getcredits"), 400, "Subscription not found!")
    error(call(os_, "POST", "/createdocument", body={"file": SAMPLE_B64, "title": "x", "signers": [ALICE]}),
          400, "Please purchase or renew your subscription.")  # fmt: skip


def test_one_credit_per_document_plan_first_no_refund_then_429(os_: Server) -> None:
    ok(control(os_, "POST", "/sandbox/credits", {"plan_credits": 1, "addon_credits": 2}))
    first = create_doc(os_)
    assert credits(os_) | {"renewal_date": ""} == {"plan_credits": 0, "addon_credits": 2, "total_credits": 2,
                                                     "renewal_date": ""}  # fmt: skip
    ok(call(os_, "POST", "/draftdocument", body={"file": SAMPLE_B64, "title": "Draft"}))
    ok(call(os_, "POST", "/selfsign", body={"file": SAMPLE_B64, "title": "Self", "signer": {}}))
    assert credits(os_)["total_credits"] == 0
    # Revoke, reads and delete are free and never refund.
    ok(call(os_, "POST", f"/document/{first}", body={"reason": "oops"}))
    ok(call(os_, "DELETE", f"/document/{first}"))
    assert credits(os_)["total_credits"] == 0
    error(call(os_, "POST", "/createdocument", body={"file": SAMPLE_B64, "title": "x", "signers": [ALICE]}),
          429, "Quota reached, Please buy credits and try again later.")  # fmt: skip
    tpl = template_id(os_, "Mutual NDA")
    error(call(os_, "POST", f"/createdocument/{tpl}", body={"signers": [{"role": "Counterparty", "name": "C",
          "email": "c@example.com"}]}), 429, "Quota reached, Please buy credits and try again later.")  # fmt: skip
    # Templates cost nothing.
    ok(
        call(
            os_,
            "POST",
            "/createtemplate",
            body={"file": SAMPLE_B64, "title": "T", "signers": [{"role": "R"}]},
        )
    )


# -------------------------------------------------------------------------------------- contacts


def test_contacts_crud_and_quirks(os_: Server) -> None:
    created = ok(call(os_, "POST", "/createcontact", body={"name": "joe bee", "email": "joebee@example.com",
                 "phone": "4131231231", "company": "opensign", "job_title": "dev"}))  # fmt: skip
    assert set(created) == {
        "objectId",
        "name",
        "email",
        "phone",
        "company",
        "job_title",
        "createdAt",
        "updatedAt",
    }
    assert created["company"] == "opensign" and created["job_title"] == "dev"
    contact_id = created["objectId"]
    # Duplicate email: 401 (a conflict, not an auth failure), with the existing contact's id.
    dup = error(call(os_, "POST", "/createcontact", body={"name": "Other", "email": "joebee@example.com"}),
                401, "Contact already exists!")  # fmt: skip
    assert dup["objectId"] == contact_id
    error(call(os_, "POST", "/createcontact", body={"email": "x@example.com"}), 400, CATCH_ALL)
    assert ok(call(os_, "GET", f"/contact/{contact_id}")) == created

    assert ok(call(os_, "PUT", f"/contact/{contact_id}", body={"phone": "999"})) == {
        "objectId": contact_id, "message": "Contact updated successfully"}  # fmt: skip
    assert ok(call(os_, "GET", f"/contact/{contact_id}"))["phone"] == "999"
    error(
        call(os_, "PUT", f"/contact/{contact_id}", body={"mobile": "1"}),
        400,
        "Please provide valid field names!",
    )
    error(call(os_, "PUT", f"/contact/{contact_id}", body={}), 400, "Please provide valid field names!")
    error(
        call(os_, "PUT", f"/contact/{contact_id}", body={"email": "ada@example.com"}),
        401,
        "Contact already exists!",
    )
    error(call(os_, "PUT", "/contact/nope123456", body={"phone": "1"}), 404, "Contact not found!")

    listed = ok(call(os_, "GET", "/contactlist"))["result"]
    assert [c["email"] for c in listed][0] == "joebee@example.com"  # newest first
    assert {"ada@example.com", "grace@example.com"} <= {c["email"] for c in listed}
    assert len(ok(call(os_, "GET", "/contactlist", params={"limit": 1, "skip": 1}))["result"]) == 1
    assert ok(call(os_, "GET", "/contactlist", params={"limit": 1, "skip": 1}))["result"][0] == listed[1]

    deleted = ok(call(os_, "DELETE", f"/contact/{contact_id}"))
    assert deleted["objectId"] == contact_id and ISO.match(deleted["deletedAt"])
    error(call(os_, "GET", f"/contact/{contact_id}"), 404, "Contact not found!")
    error(call(os_, "DELETE", f"/contact/{contact_id}"), 404, "Contact not found!")
    # Once deleted, the email is free again.
    ok(call(os_, "POST", "/createcontact", body={"name": "joe bee", "email": "joebee@example.com"}))


# ------------------------------------------------------------------------------------- documents


def test_createdocument_and_getdocument_documented_shapes(os_: Server) -> None:
    response = ok(call(os_, "POST", "/createdocument", body={
        "file": SAMPLE_B64, "title": "sample doc", "note": "please sign document", "signers": [ALICE, BOB],
        "send_email": False, "bcc": ["user@example.com"], "timeToCompleteDays": 10}))  # fmt: skip
    assert set(response) == {"objectId", "signurl", "message"}
    assert response["message"] == "Document sent successfully!"
    assert [link["email"] for link in response["signurl"]] == ["alice@example.com", "bob@example.com"]
    login = response["signurl"][0]["url"]
    assert "/opensign/sandbox/login/" in login
    decoded = base64.b64decode(login.split("/login/", 1)[1]).decode()
    assert decoded.startswith(f"{response['objectId']}/alice@example.com/") and decoded.endswith("/false")
    assert fetch(os_, login).status_code == 200  # the stub signing page

    doc = get_doc(os_, response["objectId"])
    assert set(doc) == DOCUMENT_KEYS | {"enableOTP"}
    assert doc["status"] == "in-progress" and doc["certificate"] == "" and doc["owner"] == "Sam Sandbox"
    assert (
        doc["title"] == "sample doc"
        and doc["note"] == "please sign document"
        and doc["bcc"] == ["user@example.com"]
    )
    assert doc["sendInOrder"] is True and doc["send_in_order_strict"] is False
    assert doc["signers"][0]["role"] == "ceo" and doc["signers"][0]["widgets"][0]["type"] == "signature"
    assert set(doc["signers"][0]) == {"role", "name", "email", "phone", "widgets"}
    assert doc["audit_trail"] == [{"email": "alice@example.com", "viewed": "", "signed": ""},
                                  {"email": "bob@example.com", "viewed": "", "signed": ""}]  # fmt: skip
    pdf = fetch(os_, doc["file"])
    assert (
        pdf.status_code == 200
        and pdf.content == SAMPLE_PDF
        and pdf.headers["content-type"] == "application/pdf"
    )
    # Signers were added to the contact book.
    emails = {c["email"] for c in ok(call(os_, "GET", "/contactlist"))["result"]}
    assert {"alice@example.com", "bob@example.com"} <= emails
    error(call(os_, "GET", "/document/nope123456"), 404, "Document not found!")


def test_createdocument_validation_messages(os_: Server) -> None:
    base = {"file": SAMPLE_B64, "title": "t", "signers": [ALICE]}
    error(call(os_, "POST", "/createdocument", body={**base, "signers": []}), 400, "Please provide signers!")
    error(call(os_, "POST", "/createdocument", body={k: v for k, v in base.items() if k != "signers"}), 400,
          "Please provide signers!")  # fmt: skip
    no_signature = {**ALICE, "widgets": [ALICE["widgets"][1]]}
    error(call(os_, "POST", "/createdocument", body={**base, "signers": [no_signature]}), 400,
          "Please add at least one signature widget for all signers")  # fmt: skip
    error(call(os_, "POST", "/createdocument", body={**base, "signers": [{**ALICE, "email": "not-an-email"}]}), 400,
          "Please provide signers properly!")  # fmt: skip
    error(call(os_, "POST", "/createdocument", body={**base, "signers": [ALICE, ALICE]}), 400,
          "Please provide signers properly!")  # fmt: skip
    viewer_with_widgets = {**BOB, "signer_role": "viewer"}
    error(call(os_, "POST", "/createdocument", body={**base, "signers": [ALICE, viewer_with_widgets]}), 400,
          "Please provide signers properly!")  # fmt: skip
    error(call(os_, "POST", "/createdocument", body={**base, "title": ""}), 400, CATCH_ALL)
    error(call(os_, "POST", "/createdocument", body={**base, "file": base64.b64encode(b"hello").decode()}),
          400, CATCH_ALL)  # fmt: skip
    bad_widget = {**ALICE, "widgets": [{**ALICE["widgets"][0], "type": "signature pad"}]}
    error(call(os_, "POST", "/createdocument", body={**base, "signers": [bad_widget]}), 400, CATCH_ALL)
    error(call(os_, "POST", "/createdocument", body={**base, "sendInOrder": "yes"}), 400, CATCH_ALL)
    bad_json = os_.http.post(os_.api() + "/createdocument", data=b"{not json", timeout=10,
                             headers={"x-api-token": SANDBOX, "Content-Type": "application/json"})  # fmt: skip
    error(bad_json, 400, CATCH_ALL)
    assert credits(os_)["total_credits"] == 100  # nothing was created, nothing spent
    viewer = {"role": "observer", "email": "v@example.com", "name": "Vic Viewer", "signer_role": "viewer"}
    approver = {**BOB, "signer_role": "approver", "widgets": [BOB["widgets"][1]]}
    ok(call(os_, "POST", "/createdocument", body={**base, "signers": [ALICE, viewer, approver]}))


def test_decoded_file_over_10_mb_is_refused(os_: Server) -> None:
    limit = 10 * 1024 * 1024
    at_limit = b"%PDF-1.4\n" + b"\0" * (limit - 9)
    over = at_limit + b"\0"
    body = {"title": "big", "signers": [ALICE]}
    error(call(os_, "POST", "/createdocument", body={**body, "file": base64.b64encode(over).decode()}), 400,
          "File too large. Max allowed file size is 10 MB")  # fmt: skip
    error(call(os_, "POST", "/createtemplate", body={**body, "file": base64.b64encode(over).decode()}), 400,
          "File too large. Max allowed file size is 10 MB")  # fmt: skip
    assert credits(os_)["total_credits"] == 100
    doc_id = ok(
        call(os_, "POST", "/createdocument", body={**body, "file": base64.b64encode(at_limit).decode()})
    )
    assert len(fetch(os_, get_doc(os_, doc_id["objectId"])["file"]).content) == limit


def test_signing_flow_state_machine_audit_trail_and_files(os_: Server) -> None:
    doc_id = create_doc(os_)
    original_file = get_doc(os_, doc_id)["file"]

    viewed = ok(act(os_, doc_id, "alice@example.com", "view", {"ip_address": "193.186.4.187"}))
    assert viewed["signers"][0]["state"] == "viewed"
    doc = get_doc(os_, doc_id)
    assert ISO.match(doc["audit_trail"][0]["viewed"]) and doc["audit_trail"][0]["signed"] == ""
    assert doc["status"] == "in-progress"

    ok(act(os_, doc_id, "alice@example.com", "sign", {"responses": {"text Alice Archer": "CEO of things"}}))
    doc = get_doc(os_, doc_id)
    assert doc["status"] == "in-progress" and doc["certificate"] == ""  # partially signed
    assert ISO.match(doc["audit_trail"][0]["signed"]) and doc["audit_trail"][1] == {
        "email": "bob@example.com", "viewed": "", "signed": ""}  # fmt: skip
    partial = fetch(os_, doc["file"])
    assert (
        partial.status_code == 200 and partial.content.startswith(b"%PDF-") and partial.content != SAMPLE_PDF
    )
    assert b"Alice Archer" in partial.content and b"Bob Baker" not in partial.content
    assert fetch(os_, original_file).content == SAMPLE_PDF  # older URLs still point at the original

    # Signing twice, or as somebody else, is refused by the control API.
    assert act(os_, doc_id, "alice@example.com", "sign").status_code == 409
    assert act(os_, doc_id, "mallory@example.com", "sign").status_code == 404

    final = ok(act(os_, doc_id, "BOB@example.com", "sign"))  # emails are case-insensitive
    assert final["status"] == "completed" and [s["state"] for s in final["signers"]] == ["signed", "signed"]
    doc = get_doc(os_, doc_id)
    assert doc["status"] == "completed"
    assert all(ISO.match(entry["viewed"]) and ISO.match(entry["signed"]) for entry in doc["audit_trail"])
    signed = fetch(os_, doc["file"]).content
    assert b"Alice Archer" in signed and b"Bob Baker" in signed
    assert_generated_pdf(signed)
    certificate = fetch(os_, doc["certificate"])
    assert certificate.status_code == 200 and certificate.content.startswith(b"%PDF-")
    assert b"Certificate of Completion" in certificate.content
    assert_generated_pdf(certificate.content)
    assert act(os_, doc_id, "bob@example.com", "decline", {"reason": "late"}).status_code == 409

    ips = ok(call(os_, "GET", f"/signerips/{doc_id}"))
    assert ips["objectId"] == doc_id and ips["signer_ips"][0] == {"email": "alice@example.com",
                                                                   "ip_address": "193.186.4.187"}  # fmt: skip
    form = ok(call(os_, "GET", f"/formdata/{doc_id}"))
    assert set(form) == {"objectId", "title", "sent_date", "status", "form_data"}
    assert form["status"] == "completed" and re.fullmatch(r"\d{2}/\d{2}/\d{4}", form["sent_date"])
    assert form["form_data"][0] == {"name": "Alice Archer", "email": "alice@example.com",
                                    "widgets": [{"name": "text Alice Archer", "response": "CEO of things"}]}  # fmt: skip


def test_decline_with_reason(os_: Server) -> None:
    doc_id = create_doc(os_)
    state = ok(act(os_, doc_id, "bob@example.com", "decline", {"reason": "Invalid date format used."}))
    assert state["status"] == "declined" and state["signers"][1]["state"] == "declined"
    assert state["signers"][1]["decline_reason"] == "Invalid date format used."
    assert get_doc(os_, doc_id)["status"] == "declined"
    assert act(os_, doc_id, "alice@example.com", "sign").status_code == 409


def test_revoke_means_declined(os_: Server) -> None:
    doc_id = create_doc(os_)
    revoked = ok(call(os_, "POST", f"/document/{doc_id}", body={"reason": "sent by mistake"}))
    assert set(revoked) == {"objectId", "revokedAt"} and revoked["objectId"] == doc_id
    assert get_doc(os_, doc_id)["status"] == "declined"
    ok(call(os_, "POST", f"/document/{create_doc(os_)}"))  # the body is optional
    error(call(os_, "POST", f"/document/{doc_id}", body={}), 400, CATCH_ALL)
    error(call(os_, "POST", "/document/nope123456", body={}), 404, "Document not found!")


def test_expiry_by_control_and_by_clock(os_: Server) -> None:
    forced = create_doc(os_)
    assert ok(control(os_, "POST", f"/sandbox/documents/{forced}/expire"))["status"] == "expired"
    assert get_doc(os_, forced)["status"] == "expired"
    assert act(os_, forced, "alice@example.com", "sign").status_code == 409
    assert control(os_, "POST", f"/sandbox/documents/{forced}/expire").status_code == 409

    two_days = create_doc(os_, timeToCompleteDays=2)
    default = create_doc(os_)
    zero = create_doc(os_, timeToCompleteDays=0)  # OSS v1 quirk: 0 means the default 15 days
    advance(os_, 86400)
    assert get_doc(os_, two_days)["status"] == "in-progress"
    advance(os_, 86400 + 1)
    assert get_doc(os_, two_days)["status"] == "expired"  # evaluated lazily on read
    assert get_doc(os_, default)["status"] == "in-progress"
    advance(os_, 13 * 86400)
    assert get_doc(os_, default)["status"] == "expired" and get_doc(os_, zero)["status"] == "expired"
    expired_ids = {d["objectId"] for d in ok(call(os_, "GET", "/documentlist/expired"))["result"]}
    assert expired_ids == {forced, two_days, default, zero}
    error(call(os_, "POST", "/resendmail", body={"document_id": two_days, "email": "alice@example.com"}),
          400, "Something went wrong.")  # fmt: skip
    # Revoking an expired document still works (status precedence: declined before expired).
    ok(call(os_, "POST", f"/document/{two_days}", body={}))
    assert get_doc(os_, two_days)["status"] == "declined"


def test_file_urls_need_no_token_and_expire_after_15_minutes(os_: Server) -> None:
    doc_id = create_doc(os_)
    url = get_doc(os_, doc_id)["file"]
    assert fetch(os_, url).status_code == 200
    advance(os_, 899)
    assert fetch(os_, url).status_code == 200
    advance(os_, 2)
    expired = fetch(os_, url)
    assert expired.status_code == 403 and "<Code>AccessDenied</Code>" in expired.text
    fresh = get_doc(os_, doc_id)["file"]
    assert fresh != url and fetch(os_, fresh).content == SAMPLE_PDF
    tampered = fresh[:-1] + ("0" if fresh[-1] != "0" else "1")
    assert fetch(os_, tampered).status_code == 403


def test_documentlist_by_every_doctype_with_limit_and_skip(os_: Server) -> None:
    draft = ok(call(os_, "POST", "/draftdocument", body={"file": SAMPLE_B64, "title": "draft"}))[
        "document_id"
    ]
    in_progress = [create_doc(os_, title=f"in progress {i}") for i in range(3)]
    completed = create_doc(os_, signers=[ALICE])
    ok(act(os_, completed, "alice@example.com", "sign"))
    declined = create_doc(os_)
    ok(act(os_, declined, "alice@example.com", "decline", {"reason": "no"}))
    expired = create_doc(os_)
    ok(control(os_, "POST", f"/sandbox/documents/{expired}/expire"))
    deleted = create_doc(os_)
    ok(call(os_, "DELETE", f"/document/{deleted}"))

    def ids(doctype: str, **params: Any) -> list[str]:
        return [
            d["objectId"] for d in ok(call(os_, "GET", f"/documentlist/{doctype}", params=params))["result"]
        ]

    assert ids("draft") == [draft]
    assert ids("inprogress") == in_progress[::-1]  # most recently updated first
    assert ids("completed") == [completed]
    assert ids("declined") == [declined]
    assert ids("expired") == [expired]
    assert ids("inprogress", limit=1, skip=1) == [in_progress[1]]
    assert ids("inprogress", limit=2) == in_progress[:0:-1]
    assert ids("inprogress", skip=3) == []
    item = ok(call(os_, "GET", "/documentlist/completed"))["result"][0]
    assert set(item) == LIST_DOCUMENT_KEYS  # no status, certificate or audit_trail in list items
    assert set(item["signers"][0]) == {"role", "name", "email", "phone"}
    for wrong in ("in-progress", "Draft", "all"):
        error(call(os_, "GET", f"/documentlist/{wrong}"), 404, "Report not available!")
    error(call(os_, "GET", "/documentlist/draft", params={"limit": "many"}), 400, CATCH_ALL)


def test_update_document(os_: Server) -> None:
    doc_id = create_doc(os_)
    folder = ok(call(os_, "POST", "/createfolder", body={"folderName": "Signed"}))["objectId"]
    updated = ok(call(os_, "PUT", f"/document/{doc_id}", body={
        "name": "Renamed", "note": "new note", "folderId": folder, "redirect_url": "https://example.com/done",
        "bcc": ["boss@example.com"]}))  # fmt: skip
    assert set(updated) == {"objectId", "updatedAt"} and updated["objectId"] == doc_id
    doc = get_doc(os_, doc_id)
    assert (doc["title"], doc["note"], doc["redirect_url"]) == (
        "Renamed",
        "new note",
        "https://example.com/done",
    )
    assert doc["folder"] == {"objectId": folder, "name": "Signed"} and doc["bcc"] == ["boss@example.com"]
    error(
        call(os_, "PUT", f"/document/{doc_id}", body={"title": "x"}), 400, "Please provide valid field names!"
    )
    error(call(os_, "PUT", f"/document/{doc_id}", body={"note": "n", "file": SAMPLE_B64}), 400,
          "Please provide valid field names!")  # fmt: skip
    error(call(os_, "PUT", f"/document/{doc_id}", body={}), 400, "Please provide valid field names!")
    error(call(os_, "PUT", "/document/nope123456", body={"note": "n"}), 404, "Document not found!")
    # Nothing half-done: one bad value rejects the whole update.
    error(call(os_, "PUT", f"/document/{doc_id}", body={"name": "Half", "folderId": "nope123456"}), 404,
          "folder not found.")  # fmt: skip
    error(call(os_, "PUT", f"/document/{doc_id}", body={"note": "Half", "enableOTP": "yes"}), 400, CATCH_ALL)
    doc = get_doc(os_, doc_id)
    assert (doc["title"], doc["note"], doc["enableOTP"]) == ("Renamed", "new note", False)
    ok(call(os_, "DELETE", f"/document/{doc_id}"))
    # OSS quirk: a deleted document answers with "message" rather than "error".
    error(
        call(os_, "PUT", f"/document/{doc_id}", body={"note": "n"}), 404, "Document not found!", key="message"
    )


def test_delete_document(os_: Server) -> None:
    doc_id = create_doc(os_)
    deleted = ok(call(os_, "DELETE", f"/document/{doc_id}"))
    assert set(deleted) == {"objectId", "deletedAt"} and ISO.match(deleted["deletedAt"])
    error(call(os_, "GET", f"/document/{doc_id}"), 404, "Document not found!")
    error(call(os_, "DELETE", f"/document/{doc_id}"), 404, "Document not found!")
    assert credits(os_)["total_credits"] == 99


def test_selfsign_draftdocument_and_sending_a_draft(os_: Server) -> None:
    self_signed = ok(call(os_, "POST", "/selfsign", body={"file": SAMPLE_B64, "title": "Self",
                    "signer": {"role": "me", "widgets": [ALICE["widgets"][0]]}}))  # fmt: skip
    assert set(self_signed) == {"objectId", "url"}
    doc = get_doc(os_, self_signed["objectId"])
    assert doc["status"] == "in-progress" and doc["signers"][0]["email"] == "sam.sandbox@example.com"
    ok(act(os_, self_signed["objectId"], "sam.sandbox@example.com", "sign"))
    assert get_doc(os_, self_signed["objectId"])["status"] == "completed"
    error(
        call(os_, "POST", "/selfsign", body={"file": SAMPLE_B64, "title": "Self"}),
        400,
        "Please provide signers!",
    )

    draft = ok(call(os_, "POST", "/draftdocument", body={"file": SAMPLE_B64, "title": "Draft",
               "hide_signer_signing_links": True}))  # fmt: skip
    assert set(draft) == {"document_id", "url"}  # document_id, not objectId
    assert get_doc(os_, draft["document_id"])["status"] == "draft"
    assert fetch(os_, draft["url"]).status_code == 200
    # A draft cannot be signed; without signers it cannot be sent either.
    assert control(os_, "POST", f"/sandbox/documents/{draft['document_id']}/send").status_code == 409
    with_signers = ok(call(os_, "POST", "/draftdocument", body={"file": SAMPLE_B64, "title": "Draft 2",
                      "signers": [ALICE]}))["document_id"]  # fmt: skip
    assert act(os_, with_signers, "alice@example.com", "sign").status_code == 409
    assert ok(control(os_, "POST", f"/sandbox/documents/{with_signers}/send"))["status"] == "in-progress"
    assert get_doc(os_, with_signers)["status"] == "in-progress"


def test_resendmail_and_signinglinks(os_: Server) -> None:
    doc_id = create_doc(os_, sendInOrder=True)
    assert ok(call(os_, "POST", "/resendmail", body={"document_id": doc_id, "email": "bob@example.com",
              "email_subject": "Reminder"})) == {"result": "mail sent successfully."}  # fmt: skip
    mails = control(os_, "GET", f"/sandbox/documents/{doc_id}").json()["mails"]
    # In order: only Alice got the first request; Bob got the resend.
    assert [m["to"] for m in mails] == ["alice@example.com", "bob@example.com"] and mails[1][
        "subject"
    ] == "Reminder"
    error(call(os_, "POST", "/resendmail", body={"document_id": doc_id, "email": "x@example.com"}), 404,
          "document not found or user not found.")  # fmt: skip
    error(call(os_, "POST", "/resendmail", body={"document_id": "nope123456", "email": "bob@example.com"}), 404,
          "document not found or user not found.")  # fmt: skip
    error(call(os_, "POST", "/resendmail", body={"document_id": doc_id}), 400, "Something went wrong.")

    links = ok(call(os_, "GET", f"/signinglinks/{doc_id}"))
    assert set(links) == {"objectId", "signurl"} and links["objectId"] == doc_id
    assert [(link["email"], "/login/" in link["url"]) for link in links["signurl"]] == [
        ("alice@example.com", True), ("bob@example.com", True)]  # fmt: skip
    error(call(os_, "GET", "/signinglinks/nope123456"), 404, "Document not found!")
    error(call(os_, "GET", "/signerips/nope123456"), 404, "Document not found!")
    error(call(os_, "GET", "/formdata/nope123456"), 404, "Document not found!")


def test_strict_order_and_access_code(os_: Server) -> None:
    doc_id = create_doc(os_, sendInOrder=True, send_in_order_strict=True,
                        signers=[ALICE, {**BOB, "access_code": "123456"}])  # fmt: skip
    ok(act(os_, doc_id, "bob@example.com", "view"))  # later signers may view...
    refused = act(os_, doc_id, "bob@example.com", "sign", {"access_code": "123456"})
    assert (
        refused.status_code == 409 and "alice@example.com" in refused.json()["error"]
    )  # ...but not sign yet
    ok(act(os_, doc_id, "alice@example.com", "sign"))
    assert act(os_, doc_id, "bob@example.com", "sign", {"access_code": "000000"}).status_code == 403
    assert ok(act(os_, doc_id, "bob@example.com", "sign", {"access_code": "123456"}))["status"] == "completed"
    # Without strict order anyone may sign first.
    loose = create_doc(os_, sendInOrder=True)
    ok(act(os_, loose, "bob@example.com", "sign"))


# ------------------------------------------------------------------------------------- templates


def test_templates_crud_and_documented_shapes(os_: Server) -> None:
    body = {"file": SAMPLE_B64, "title": "sample template", "note": "template note",
            "description": "template description", "sender_name": "opensign",
            "signers": [{"role": "ceo", "name": "joe bee", "email": "joebee@example.com", "widgets": [
                {"type": "textbox", "page": 1, "x": 244, "y": 71, "w": 38, "h": 46,
                 "options": {"name": "textbox", "color": "purple", "fontsize": 13}}]}, {"role": "cfo"}],
            "timeToCompleteDays": 3}  # fmt: skip
    created = ok(call(os_, "POST", "/createtemplate", body=body))
    assert set(created) == {"objectId", "message"} and created["message"] == "Template created successfully!"
    tpl = ok(call(os_, "GET", f"/template/{created['objectId']}"))
    assert set(tpl) == TEMPLATE_KEYS
    assert (
        tpl["timeToCompleteDays"] == 3 and tpl["owner"] == "Sam Sandbox" and tpl["sender_name"] == "opensign"
    )
    options = tpl["signers"][0]["widgets"][0]["options"]
    assert options["color"] == "black" and options["fontsize"] == 12  # normalised like OSS
    assert tpl["signers"][1] == {"role": "cfo", "name": "", "email": "", "phone": "", "widgets": []}
    assert fetch(os_, tpl["file"]).content == SAMPLE_PDF

    listed = ok(call(os_, "GET", "/templatelist"))["result"]
    assert listed[0]["objectId"] == created["objectId"] and set(listed[0]) == LIST_TEMPLATE_KEYS
    assert len(listed) == 3
    assert [t["objectId"] for t in ok(call(os_, "GET", "/templatelist", params={"limit": 1, "skip": 2}))["result"]] == [
        listed[2]["objectId"]]  # fmt: skip

    new_pdf = SAMPLE_PDF.replace(b"595 842", b"612 792")
    updated = ok(call(os_, "PUT", f"/template/{created['objectId']}", body={
        "name": "renamed template", "file": base64.b64encode(new_pdf).decode(), "allow_offline_sign": True}))  # fmt: skip
    assert set(updated) == {"objectId", "updatedAt"}
    tpl = ok(call(os_, "GET", f"/template/{created['objectId']}"))
    assert tpl["title"] == "renamed template" and tpl["allow_offline_sign"] is True
    assert fetch(os_, tpl["file"]).content == new_pdf
    error(call(os_, "PUT", f"/template/{created['objectId']}", body={"signers": []}), 400,
          "Please provide valid field names!")  # fmt: skip
    error(call(os_, "PUT", "/template/nope123456", body={"note": "x"}), 404, "Template not found!")
    error(call(os_, "PUT", f"/template/{created['objectId']}", body={"note": "half", "file": "aGVsbG8="}), 400,
          CATCH_ALL)  # fmt: skip
    assert ok(call(os_, "GET", f"/template/{created['objectId']}"))["note"] == "template note"

    deleted = ok(call(os_, "DELETE", f"/template/{created['objectId']}"))
    assert set(deleted) == {"objectId", "deletedAt"}
    error(call(os_, "GET", f"/template/{created['objectId']}"), 404, "Template not found!")
    error(call(os_, "POST", "/createtemplate", body={**body, "signers": []}), 400, "Please provide signers!")
    error(call(os_, "POST", "/createtemplate", body={**body, "signers": [{"name": "no role"}]}), 400,
          "Please provide signers properly!")  # fmt: skip


def test_drafttemplate_and_publictemplate_shapes(os_: Server) -> None:
    body = {"file": SAMPLE_B64, "title": "t", "signers": [{"role": "Signer"}]}
    draft = ok(call(os_, "POST", "/drafttemplate", body=body))
    assert set(draft) == {"objectId", "url"} and "/drafttemplate/" in draft["url"]
    assert fetch(os_, draft["url"]).status_code == 200
    public = ok(call(os_, "POST", "/publictemplate", body=body))
    assert set(public) == {"template_id", "public_url", "message"}
    assert public["message"] == "Public template created successfully!"
    assert public["public_url"].endswith(f"/publicsign?templateid={public['template_id']}")
    assert ok(call(os_, "GET", f"/template/{public['template_id']}"))["title"] == "t"


def test_createdocument_from_template(os_: Server) -> None:
    tpl = template_id(os_, "Employment contract")
    response = ok(call(os_, "POST", f"/createdocument/{tpl}", body={
        "signers": [{"role": "HR", "name": "Hal Hiring", "email": "hal@example.com",
                     "widgets": [{"name": "hr job title", "default": "Recruiter", "readonly": True}]},
                    {"role": "Employee", "name": "Eve Employee", "email": "eve@example.com"}],
        "timeToCompleteDays": 0, "bcc": []}))  # fmt: skip
    assert set(response) == {"objectId", "signurl", "message"}
    doc = get_doc(os_, response["objectId"])
    assert doc["template_id"] == tpl and doc["title"] == "Employment contract"
    assert [(s["role"], s["email"]) for s in doc["signers"]] == [("Employee", "eve@example.com"),
                                                                  ("HR", "hal@example.com")]  # fmt: skip
    hr_title = next(w for w in doc["signers"][1]["widgets"] if w["options"]["name"] == "hr job title")
    assert hr_title["options"]["default"] == "Recruiter" and hr_title["options"]["readonly"] is True
    # timeToCompleteDays 0 overrides the template here (documented for v1.2): it expires at once.
    advance(os_, 1)
    assert get_doc(os_, response["objectId"])["status"] == "expired"
    # The template itself was not changed.
    template = ok(call(os_, "GET", f"/template/{tpl}"))
    assert all(s["email"] == "" for s in template["signers"])

    # A role with a default signer needs no body signer.
    nda = template_id(os_, "Mutual NDA")
    doc_id = ok(call(os_, "POST", f"/createdocument/{nda}", body={"signers": [
        {"role": "Counterparty", "name": "Carl", "email": "carl@example.com"}], "title": "NDA with Carl"}))["objectId"]  # fmt: skip
    doc = get_doc(os_, doc_id)
    assert doc["title"] == "NDA with Carl"
    assert [s["email"] for s in doc["signers"]] == ["carl@example.com", "sam.sandbox@example.com"]

    bad = f"/createdocument/{tpl}"
    error(call(os_, "POST", bad, body={}), 400, "Please setup template properly!")
    error(call(os_, "POST", bad, body={"signers": []}), 400, "Please setup template properly!")
    error(call(os_, "POST", bad, body={"signers": [{"role": "Employee", "name": "E", "email": "e@example.com"}]}),
          400, "Please provide signers properly!")  # fmt: skip
    error(call(os_, "POST", bad, body={"signers": [{"role": "Boss", "name": "B", "email": "b@example.com"},
          {"role": "Employee", "name": "E", "email": "e@example.com"}]}), 400, "Please provide signers properly!")  # fmt: skip
    error(call(os_, "POST", "/createdocument/nope123456", body={"signers": []}), 400, "Invalid template id!")
    no_widgets = ok(call(os_, "POST", "/createtemplate", body={"file": SAMPLE_B64, "title": "empty",
                    "signers": [{"role": "R"}]}))["objectId"]  # fmt: skip
    error(call(os_, "POST", f"/createdocument/{no_widgets}", body={"signers": [
        {"role": "R", "name": "R", "email": "r@example.com"}]}), 400, "Please setup template properly!")  # fmt: skip
    only_text = ok(call(os_, "POST", "/createtemplate", body={"file": SAMPLE_B64, "title": "text only",
                   "signers": [{"role": "R", "widgets": [ALICE["widgets"][1]]}]}))["objectId"]  # fmt: skip
    error(call(os_, "POST", f"/createdocument/{only_text}", body={"signers": [
        {"role": "R", "name": "R", "email": "r@example.com"}]}), 400,
        "Please add at least one signature widget for all signers")  # fmt: skip
    assert credits(os_)["total_credits"] == 98  # two documents made


# --------------------------------------------------------------------------------------- folders


def test_folders(os_: Server) -> None:
    parent = ok(call(os_, "POST", "/createfolder", body={"folderName": "new folder"}))
    assert set(parent) == {"objectId", "folderName", "parentFolderId", "createdAt", "updatedAt"}
    child = ok(
        call(os_, "POST", "/createfolder", body={"folderName": "child", "parentFolderId": parent["objectId"]})
    )
    assert child["parentFolderId"] == parent["objectId"]
    got = ok(call(os_, "GET", f"/folder/{child['objectId']}"))
    assert got["parentFolderName"] == "new folder" and got["folderName"] == "child"
    roots = [f["folderName"] for f in ok(call(os_, "GET", "/folderlist"))["result"]]
    assert roots == ["new folder", "Contracts"]
    children = ok(call(os_, "GET", "/folderlist", params={"parentFolderId": parent["objectId"]}))["result"]
    assert [f["objectId"] for f in children] == [child["objectId"]]
    assert len(ok(call(os_, "GET", "/folderlist", params={"limit": 1, "skip": 1}))["result"]) == 1

    moved = ok(
        call(os_, "PUT", f"/folder/{child['objectId']}", body={"folderName": "renamed", "parentFolderId": ""})
    )
    assert set(moved) == {"objectId", "updatedAt"}
    assert ok(call(os_, "GET", f"/folder/{child['objectId']}"))["parentFolderId"] == ""
    ok(call(os_, "PUT", f"/folder/{child['objectId']}", body={"parentFolderId": parent["objectId"]}))
    error(
        call(os_, "PUT", f"/folder/{parent['objectId']}", body={"parentFolderId": child["objectId"]}),
        400,
        CATCH_ALL,
    )
    error(call(os_, "PUT", f"/folder/{parent['objectId']}", body={"name": "x"}), 400,
          "Please provide valid field names!")  # fmt: skip

    error(
        call(os_, "DELETE", f"/folder/{parent['objectId']}"),
        400,
        "folder is not empty, contains document or folder.",
    )
    doc_id = create_doc(os_, folderId=child["objectId"])
    error(
        call(os_, "DELETE", f"/folder/{child['objectId']}"),
        400,
        "folder is not empty, contains document or folder.",
    )
    ok(call(os_, "DELETE", f"/document/{doc_id}"))
    deleted = ok(call(os_, "DELETE", f"/folder/{child['objectId']}"))
    assert set(deleted) == {"objectId", "deletedAt"}
    error(call(os_, "GET", f"/folder/{child['objectId']}"), 404, "folder not found.")
    ok(call(os_, "DELETE", f"/folder/{parent['objectId']}"))
    error(call(os_, "POST", "/createfolder", body={}), 400, CATCH_ALL)
    error(call(os_, "POST", "/createfolder", body={"folderName": "x", "parentFolderId": "nope123456"}), 400,
          "folder not found.")  # fmt: skip


# -------------------------------------------------------------------------------------- webhooks


def test_webhook_management(os_: Server) -> None:
    error(call(os_, "GET", "/webhook"), 404, "User not found!")
    url = "https://your-webhook-url.example.com/hook"
    assert ok(call(os_, "POST", "/webhook", body={"url": url})) == {"result": "Webhook updated successfully!"}
    assert ok(call(os_, "GET", "/webhook")) == {"webhook": url}
    error(call(os_, "POST", "/webhook", body={"url": url}), 401, "Webhook url already exists!")
    ok(call(os_, "POST", "/webhook", body={"url": url + "2"}))  # replaces: one URL per account
    assert ok(call(os_, "GET", "/webhook")) == {"webhook": url + "2"}
    error(call(os_, "POST", "/webhook", body={"url": "ftp://x"}), 400, CATCH_ALL)
    assert ok(call(os_, "DELETE", "/webhook")) == {"result": "Webhook deleted successfully!"}
    error(call(os_, "GET", "/webhook"), 404, "User not found!")


def _verify(s: Server, delivery: dict[str, Any], env: str = "sandbox") -> dict[str, Any]:
    secret = control(s, "GET", f"/{env}/webhook").json()["secret"]
    expected = hmac.new(secret.encode(), delivery["raw"], hashlib.sha256).hexdigest()
    assert delivery["headers"]["x-webhook-signature"] == expected
    assert delivery["headers"]["content-type"] == "application/json"
    return json.loads(delivery["raw"])


def test_webhooks_full_signing_flow_payloads_and_hmac(os_: Server, receiver: Receiver) -> None:
    ok(call(os_, "POST", "/webhook", body={"url": receiver.url}))
    doc_id = create_doc(os_, description="")
    ok(act(os_, doc_id, "alice@example.com", "view"))
    ok(act(os_, doc_id, "alice@example.com", "sign"))
    ok(act(os_, doc_id, "bob@example.com", "sign"))  # implies bob's view
    got = receiver.wait_for(6)
    events = [_verify(os_, d) for d in got]
    assert [e["event"] for e in events] == ["created", "viewed", "signed", "viewed", "signed", "completed"]
    created, viewed, signed, _, _, completed = events
    common = {"event", "type", "objectId", "file", "name", "note", "description", "createdAt"}
    assert set(created) == common | {"signers"}
    assert (
        created["type"] == "request-sign"
        and created["objectId"] == doc_id
        and created["name"] == "Sample Test Doc"
    )
    assert created["signers"] == [{"name": "Alice Archer", "email": "alice@example.com", "phone": "5550001111"},
                                  {"name": "Bob Baker", "email": "bob@example.com", "phone": "5550001111"}]  # fmt: skip
    assert (
        set(viewed) == common | {"signers", "viewedBy", "viewedAt"}
        and viewed["viewedBy"] == "alice@example.com"
    )
    assert set(signed) == common | {"signer", "signedAt"}  # singular signer object
    assert signed["signer"] == {"name": "Alice Archer", "email": "alice@example.com", "phone": "5550001111"}
    assert set(completed) == common | {"signers", "certificate", "completedAt"}
    for event in events:
        for key in ("createdAt", "viewedAt", "signedAt", "completedAt"):
            if key in event:
                assert WEBHOOK_TIME.match(event[key]) and event[key].endswith("GMT+5:30"), event[key]
    # File URLs in events work without a token; "signed" points at the partially signed PDF.
    assert fetch(os_, created["file"]).content == SAMPLE_PDF
    partial = fetch(os_, signed["file"]).content
    assert b"Alice Archer" in partial and b"Bob Baker" not in partial
    assert b"Certificate of Completion" in fetch(os_, completed["certificate"]).content
    records = deliveries(os_, count=6)
    assert [(r["event"], r["status"], r["http_status"]) for r in records][-1] == (
        "completed",
        "delivered",
        200,
    )
    assert (
        records[0]["body"].encode() == got[0]["raw"]
        and records[0]["signature"] == got[0]["headers"]["x-webhook-signature"]
    )
    assert [r["event"] for r in control(os_, "GET", "/sandbox/webhook-deliveries?event=signed").json()] == [
        "signed"
    ] * 2


def test_webhooks_declined_and_revoked(os_: Server, receiver: Receiver) -> None:
    ok(call(os_, "POST", "/webhook", body={"url": receiver.url}))
    ok(
        control(
            os_,
            "PUT",
            "/sandbox/webhook",
            {"secret": "0906e8cbc88da0d5a6fd78162eb8e5e57ba7bd99bdc472145dc089d7f82b0a4a"},
        )
    )
    declined = create_doc(os_)
    ok(act(os_, declined, "bob@example.com", "decline", {"reason": "Invalid date format used."}))
    revoked = create_doc(os_)
    ok(call(os_, "POST", f"/document/{revoked}", body={"reason": "Sent by mistake"}))
    events = [_verify(os_, d) for d in receiver.wait_for(4)]
    assert [(e["event"], e["objectId"]) for e in events] == [
        ("created", declined), ("declined", declined), ("created", revoked), ("declined", revoked)]  # fmt: skip
    assert (
        events[1]["declinedBy"] == "bob@example.com"
        and events[1]["declinedReason"] == "Invalid date format used."
    )
    assert WEBHOOK_TIME.match(events[1]["declinedAt"]) and "signers" in events[1]
    assert (
        events[3]["declinedBy"] == "sam.sandbox@example.com"
        and events[3]["declinedReason"] == "Sent by mistake"
    )


def test_webhook_delivery_does_not_block_and_failures_are_recorded(os_: Server, receiver: Receiver) -> None:
    ok(call(os_, "POST", "/webhook", body={"url": receiver.url}))
    receiver.delay = 2.0
    started = time.monotonic()
    doc_id = create_doc(os_)
    assert time.monotonic() - started < 1.5  # answered before the receiver finished
    assert control(os_, "GET", "/sandbox/webhook-deliveries").json()[0]["status"] == "pending"
    assert deliveries(os_)[0]["status"] == "delivered"

    receiver.delay, receiver.status = 0.0, 500
    ok(act(os_, doc_id, "alice@example.com", "view"))
    record = deliveries(os_, count=2)[-1]
    assert (record["event"], record["status"], record["http_status"]) == ("viewed", "failed", 500)

    ok(call(os_, "POST", "/webhook", body={"url": "http://127.0.0.1:9/refused"}))
    ok(act(os_, doc_id, "bob@example.com", "view"))
    record = deliveries(os_, count=3)[-1]
    assert record["status"] == "failed" and record["http_status"] is None and record["error"]


def test_webhook_without_security_key_is_unsigned_and_live_uses_gmt(os_: Server, receiver: Receiver) -> None:
    ok(control(os_, "PUT", "/live/webhook", {"secret": None}))
    ok(call(os_, "POST", "/webhook", token=LIVE, env="live", body={"url": receiver.url}))
    create_doc(os_, env="live", token=LIVE)
    (delivery,) = receiver.wait_for(1)
    assert "x-webhook-signature" not in delivery["headers"]
    assert json.loads(delivery["raw"])["createdAt"].endswith(" GMT")
    assert control(os_, "GET", "/sandbox/webhook-deliveries").json() == []  # environments are separate


# ------------------------------------------------------------------------------- control and state


def test_control_errors_and_snapshot(os_: Server) -> None:
    doc_id = create_doc(os_)
    ok(act(os_, doc_id, "alice@example.com", "view"))
    state = ok(control(os_, "GET", "/sandbox"))
    assert set(state) >= {"account", "credits", "webhook", "documents", "templates", "contacts", "folders"}
    assert state["credits"]["total_credits"] == 99
    (doc,) = state["documents"]
    assert (doc["id"], doc["name"], doc["status"]) == (doc_id, "Sample Test Doc", "in-progress")
    assert [(s["email"], s["state"]) for s in doc["signers"]] == [("alice@example.com", "viewed"),
                                                                   ("bob@example.com", "pending")]  # fmt: skip
    assert ISO.match(doc["signers"][0]["viewed_at"]) and doc["signers"][1]["viewed_at"] == ""
    assert {t["title"] for t in state["templates"]} == {"Employment contract", "Mutual NDA"}
    assert [r["role"] for r in state["templates"][0]["roles"]] == ["Employee", "HR"]
    assert control(os_, "GET", "/nowhere").status_code == 404
    assert act(os_, doc_id, "alice@example.com", "dance").status_code == 404
    assert act(os_, "nope123456", "alice@example.com", "view").status_code == 404
    assert act(os_, doc_id, "alice@example.com", "decline", {"reason": 5}).status_code == 400
    assert control(os_, "POST", "/sandbox/credits", {"plan_credits": -1}).status_code == 400
    assert ok(control(os_, "POST", "/sandbox/credits", {"addon_credits": 7}))["total_credits"] == 106
    ok(control(os_, "POST", "/reset"))
    assert ok(control(os_, "GET", "/sandbox"))["documents"] == []
    error(call(os_, "GET", f"/document/{doc_id}"), 404, "Document not found!")


def test_seeded_state_is_deterministic(os_: Server) -> None:
    first = ok(call(os_, "GET", "/templatelist"))["result"]
    doc_id = create_doc(os_)
    ok(control(os_, "POST", "/reset"))
    again = ok(call(os_, "GET", "/templatelist"))["result"]
    assert [t["objectId"] for t in first] == [t["objectId"] for t in again]
    assert create_doc(os_) == doc_id
    assert credits(os_, "eu", EU)["total_credits"] == 20


def test_merge_certificate_appends_the_certificate_to_the_completed_file(os_: Server) -> None:
    merged = create_doc(os_, signers=[ALICE], merge_certificate=True)
    separate = create_doc(os_, signers=[ALICE])
    for doc_id in (merged, separate):
        ok(act(os_, doc_id, "alice@example.com", "sign"))
    merged_file = fetch(os_, get_doc(os_, merged)["file"]).content
    assert b"Certificate of Completion" in merged_file and merged_file.count(b"/Type /Page ") == 2
    assert b"Certificate of Completion" not in fetch(os_, get_doc(os_, separate)["file"]).content


def test_autopilot_signs_and_declines_by_itself(os_: Server, emulator: Emulator) -> None:
    """Signers act on their own after the delay, through the same state machine as the manual endpoints."""
    emulator.control.autopilot(
        "sandbox", after_seconds=60, decline=["bob@example.com"], reason="Wrong salary"
    )
    signed_by_all = create_doc(os_, signers=[ALICE])
    declined_by_bob = create_doc(os_)
    emulator.runtime.opensign.autopilot.tick()
    assert get_doc(os_, signed_by_all)["status"] == "in-progress"  # not due yet on the emulator clock
    advance(os_, 61)
    deadline = time.monotonic() + 10
    while get_doc(os_, declined_by_bob)["status"] == "in-progress" or get_doc(os_, signed_by_all)[
        "status"
    ] == ("in-progress"):
        assert time.monotonic() < deadline, "the autopilot did not act"
        time.sleep(0.05)
    assert get_doc(os_, signed_by_all)["status"] == "completed"
    declined = get_doc(os_, declined_by_bob)
    assert declined["status"] == "declined"
    assert emulator.control.opensign_document(declined_by_bob)["signers"][0]["state"] == "signed"  # Alice
    assert control(os_, "GET", "/sandbox/autopilot").json()["decline"] == ["bob@example.com"]
    emulator.control.stop_autopilot("sandbox")
    assert control(os_, "GET", "/sandbox/autopilot").json() is None


def test_autopilot_rejects_a_bad_body(os_: Server) -> None:
    response = control(os_, "PUT", "/sandbox/autopilot", {"action": "maybe"})
    assert response.status_code == 400 and "action" in response.json()["error"]
