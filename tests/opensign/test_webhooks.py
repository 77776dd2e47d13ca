"""Webhook signature and parsing, on the deliveries the emulator really sends to a local receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from signs_provider.common.errors import SignsConfigError
from signs_provider.opensign.errors import OpenSignWebhookError
from signs_provider.opensign.webhooks import (
    parse_event,
    parse_webhook_time,
    verify_and_parse,
    verify_signature,
)
from tests.opensign.conftest import signer


class Receiver:
    """An HTTP server on loopback that keeps every POST (headers and raw body)."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        received = self.deliveries

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/opensign-webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def _wait_for_deliveries(emulator, count: int) -> list[dict]:
    deadline = time.monotonic() + 20
    while True:
        found = emulator.control.webhook_deliveries("sandbox")
        if len(found) >= count and all(d["status"] != "pending" for d in found):
            return found
        assert time.monotonic() < deadline, f"deliveries did not finish: {found}"
        time.sleep(0.05)


def _secret(emulator) -> str:
    return emulator.control._call("GET", "/opensign/sandbox/webhook")["secret"]


def test_real_deliveries_verify_and_parse(hook, send, opensign, receiver) -> None:
    hook.set_webhook(receiver.url)
    sent = send(signer("Ada Lovelace", "ada@example.com"), signer("Grace Hopper", "grace@example.com"))
    document_id = sent.document_id
    opensign.control.sign(document_id, "ada@example.com")
    opensign.control.sign(document_id, "grace@example.com")
    _wait_for_deliveries(opensign, 6)
    secret = _secret(opensign)
    events = []
    for headers, body in receiver.deliveries:
        assert verify_signature(body, headers["x-webhook-signature"], secret)
        assert not verify_signature(body, headers["x-webhook-signature"], secret[::-1])
        assert not verify_signature(
            body.replace(b"request-sign", b"self-sign"), headers["x-webhook-signature"], secret
        )
        events.append(verify_and_parse(body, headers, secret))
    assert [(e.event, e.actor) for e in events] == [
        ("created", ""),
        ("viewed", "ada@example.com"),
        ("signed", "ada@example.com"),
        ("viewed", "grace@example.com"),
        ("signed", "grace@example.com"),
        ("completed", ""),
    ]
    assert {e.document_id for e in events} == {document_id}
    completed = events[-1]
    assert completed.certificate_url and completed.file_url
    assert [s["email"] for s in completed.signers] == ["ada@example.com", "grace@example.com"]
    # The sandbox account's time zone is GMT+5:30: the parsed moment is the audit trail's, in UTC.
    trail = {t["email"]: t for t in hook.get_document(document_id)["audit_trail"]}
    signed_at = datetime.fromisoformat(trail["ada@example.com"]["signed"].replace("Z", "+00:00"))
    assert events[2].occurred_at == signed_at.replace(microsecond=0)
    assert "GMT+5:30" in events[2].occurred_at_raw
    assert len({e.dedup_key for e in events}) == 6


def test_decline_delivery_carries_the_reason(hook, send, opensign, receiver) -> None:
    hook.set_webhook(receiver.url)
    sent = send()
    opensign.control.decline(sent.document_id, "ada@example.com", reason="Wrong start date")
    _wait_for_deliveries(opensign, 2)
    headers, body = receiver.deliveries[-1]
    event = verify_and_parse(body, headers, _secret(opensign))
    assert (event.event, event.actor, event.reason) == ("declined", "ada@example.com", "Wrong start date")
    assert event.as_dict()["reason"] == "Wrong start date"


def test_verification_with_the_connections_secret(hook, send, opensign, receiver, monkeypatch) -> None:
    conn = json.loads(opensign.connections()["AIRFLOW_CONN_OPENSIGN_DEFAULT"])
    conn["extra"]["webhook_secret"] = _secret(opensign)
    monkeypatch.setenv("AIRFLOW_CONN_OPENSIGN_HOOKED", json.dumps(conn))
    from signs_provider.opensign.hooks import OpenSignHook

    hooked = OpenSignHook(opensign_conn_id="opensign_hooked")
    hooked.set_webhook(receiver.url)
    send()
    _wait_for_deliveries(opensign, 1)
    headers, body = receiver.deliveries[0]
    assert hooked.verify_webhook(body, headers["x-webhook-signature"])
    assert not hooked.verify_webhook(body, None)


def test_the_re_serialised_form_also_verifies() -> None:
    secret = "a50a904a2a329d761781dac27c984416a07396736ac5588b62c6fe226538fbca"
    payload = {"event": "viewed", "objectId": "kpeg6Q2rO7", "name": "Zoë's NDA", "viewedBy": "p@example.com"}
    compact = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    signature = hmac.new(secret.encode(), compact, hashlib.sha256).hexdigest()
    pretty = json.dumps(payload, indent=2).encode()  # what a proxy that re-formats JSON would deliver
    assert verify_signature(pretty, signature, secret)
    assert verify_signature(compact, signature.upper(), secret)
    assert verify_signature(compact, f"sha256={signature}", secret)
    assert not verify_signature(pretty.replace(b"viewed", b"signed"), signature, secret)
    assert not verify_signature(b"not json", signature, secret)
    assert not verify_signature(compact, "", secret) and not verify_signature(compact, signature, "")


def test_unsigned_or_foreign_deliveries_are_refused() -> None:
    body = b'{"event":"created","objectId":"x1"}'
    with pytest.raises(OpenSignWebhookError, match="has no x-webhook-signature header"):
        verify_and_parse(body, {}, "secret-123")
    with pytest.raises(OpenSignWebhookError, match="does not match"):
        verify_and_parse(body, {"X-Webhook-Signature": "00"}, "secret-123")
    with pytest.raises(OpenSignWebhookError, match="no webhook secret"):
        verify_and_parse(body, {}, None)
    assert verify_and_parse(body, {}, None, require_signature=False).document_id == "x1"
    for bad, message in [
        (b"[1]", "not an object"),
        (b"{", "not JSON"),
        (b'{"event":"opened","objectId":"x"}', "'opened' is not one of"),
        (b'{"event":"created"}', "has no objectId"),
    ]:
        with pytest.raises(OpenSignWebhookError, match=message):
            parse_event(bad)


def test_the_documented_payloads_parse() -> None:
    signed = parse_event(
        {
            "event": "signed",
            "type": "request-sign",
            "objectId": "kpeg6Q2rO7",
            "file": "https://example.com/signed.pdf",
            "name": "Sample Test Doc",
            "signer": {"name": "Peter Mark", "email": "peter.mark1093@gmail.com", "phone": "3556567789"},
            "signedAt": "Fri, 16 May 2025 16:18:34 GMT+5:30",
            "createdAt": "Fri, 16 May 2025 15:02:28 GMT+5:30",
        }
    )
    assert signed.actor == "peter.mark1093@gmail.com" and signed.signers[0]["name"] == "Peter Mark"
    assert signed.occurred_at == datetime(2025, 5, 16, 10, 48, 34, tzinfo=timezone.utc)
    declined = parse_event(
        {
            "event": "declined",
            "objectId": "1gtDMBHpEY",
            "signers": [{"name": "Peter Mark", "email": "peter.mark1093@gmail.com"}],
            "declinedBy": "peter.mark1093@gmail.com",
            "declinedReason": "Invalid date format used.",
            "declinedAt": "Fri, 16 May 2025 16:25:38 IST",
            "createdAt": "Fri, 16 May 2025 16:24:28 IST",
        }
    )
    assert declined.reason == "Invalid date format used."
    assert declined.occurred_at == datetime(2025, 5, 16, 10, 55, 38, tzinfo=timezone.utc)
    assert declined.created_at == datetime(2025, 5, 16, 10, 54, 28, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sat, 20 Dec 2025 00:58:20 GMT+9:30", datetime(2025, 12, 19, 15, 28, 20, tzinfo=timezone.utc)),
        ("Fri, 16 May 2025 15:02:42 GMT", datetime(2025, 5, 16, 15, 2, 42, tzinfo=timezone.utc)),
        ("16 May 2025 09:02:42 EDT", datetime(2025, 5, 16, 13, 2, 42, tzinfo=timezone.utc)),
        ("Fri, 16 May 2025 15:02:42 GMT-04:00", datetime(2025, 5, 16, 19, 2, 42, tzinfo=timezone.utc)),
        ("2023-10-07T16:49:56.000Z", datetime(2023, 10, 7, 16, 49, 56, tzinfo=timezone.utc)),
        ("Fri, 16 May 2025 15:02:42 XYZT", None),
        ("Fri, 31 Feb 2025 15:02:42 GMT", None),
        ("", None),
    ],
)
def test_webhook_timestamps(text: str, expected: datetime | None) -> None:
    assert parse_webhook_time(text) == expected


@pytest.mark.parametrize(
    "header",
    [
        "é" * 64,  # non-ASCII: hmac.compare_digest would raise TypeError
        "",
        "   ",
        "sha256=",
        "abc123",  # too short
        "0" * 65,  # too long
        "z" * 64,  # not hex
        "sha256=" + "ü" * 64,
        b"\xff" * 64,  # undecodable bytes, as some frameworks hand headers over
    ],
)
def test_odd_signature_headers_are_rejected_not_raised(header) -> None:
    body = b'{"event":"completed","objectId":"a1"}'
    assert verify_signature(body, header, "s3cret-key") is False
    with pytest.raises(OpenSignWebhookError):
        verify_and_parse(body, {"x-webhook-signature": header}, "s3cret-key")


def test_a_valid_signature_as_bytes_or_with_prefix_verifies() -> None:
    body = b'{"event":"completed","objectId":"a1"}'
    digest = hmac.new(b"s3cret-key", body, hashlib.sha256).hexdigest()
    assert verify_signature(body, digest.encode(), "s3cret-key") is True
    assert verify_signature(body, f" sha256={digest.upper()} ", "s3cret-key") is True


def test_the_webhook_module_imports_without_airflow() -> None:
    """A receiver (a small web app) must not pay for importing Airflow."""
    import subprocess
    import sys

    code = (
        "import sys, signs_provider.opensign.webhooks as w\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('airflow', 'requests', 'httpx'))\n"
        "assert not heavy, heavy\n"
        "assert issubclass(w.OpenSignWebhookError, ValueError)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    from signs_provider.opensign import errors, webhooks

    assert errors.OpenSignWebhookError is webhooks.OpenSignWebhookError


# -- the account's webhook URL (client/webhook.py through the hook) ---------------------------------


def test_webhook_methods(hook) -> None:
    assert hook.get_webhook() is None
    assert hook.set_webhook("https://hooks.example.com/opensign") == "https://hooks.example.com/opensign"
    hook.set_webhook("https://hooks.example.com/opensign")  # the same URL again is not an error
    assert hook.get_webhook() == "https://hooks.example.com/opensign"
    with pytest.raises(SignsConfigError, match="plain http"):
        hook.set_webhook("http://hooks.example.com/opensign")
    hook.delete_webhook()
    assert hook.get_webhook() is None


# -- replays, oversized and forged bodies (issue 11) ---------------------------------------------------


def test_a_replayed_real_delivery_is_refused(hook, send, opensign, receiver, monkeypatch) -> None:
    """OpenSign signs no timestamp: the same signed delivery sent again verifies, so it is refused as seen."""
    from signs_provider.opensign.hooks import OpenSignHook
    from signs_provider.opensign.webhooks import ReplayGuard

    conn = json.loads(opensign.connections()["AIRFLOW_CONN_OPENSIGN_DEFAULT"])
    conn["extra"]["webhook_secret"] = _secret(opensign)
    monkeypatch.setenv("AIRFLOW_CONN_OPENSIGN_HOOKED", json.dumps(conn))
    hooked = OpenSignHook(opensign_conn_id="opensign_hooked")
    hooked.set_webhook(receiver.url)
    send()
    _wait_for_deliveries(opensign, 1)
    headers, body = receiver.deliveries[0]
    guard = ReplayGuard()
    assert verify_and_parse(body, headers, _secret(opensign), replay_guard=guard).event == "created"
    with pytest.raises(OpenSignWebhookError, match="already received"):
        verify_and_parse(body, headers, _secret(opensign), replay_guard=guard)
    # The hook's receiver: the first delivery is accepted, its replay refused.
    assert hooked.receive_webhook(body, headers).event == "created"
    with pytest.raises(OpenSignWebhookError, match="already received"):
        hooked.receive_webhook(body, headers)


def _signed(payload: dict, secret: str = "s3cret") -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return body, {"x-webhook-signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def test_the_replay_guard_uses_the_given_store_and_window() -> None:
    from datetime import timedelta

    from signs_provider.opensign.webhooks import ReplayGuard

    class SharedStore:  # what a Redis SET NX EX would do, for receivers in several processes
        def __init__(self) -> None:
            self.keys: dict[str, float] = {}

        def add(self, key: str, *, ttl: float) -> bool:
            if key in self.keys:
                return False
            self.keys[key] = ttl
            return True

    store = SharedStore()
    now = datetime(2026, 1, 2, 12, 0, tzinfo=timezone.utc)
    first, second = (ReplayGuard(store, window=timedelta(hours=1), now=lambda: now) for _ in range(2))
    body, headers = _signed(
        {"event": "viewed", "objectId": "d1", "viewedBy": "a@example.com", "viewedAt": "2026-01-02T11:30:00Z"}
    )
    assert verify_and_parse(body, headers, "s3cret", replay_guard=first).actor == "a@example.com"
    with pytest.raises(OpenSignWebhookError, match="already received"):  # another receiver, same store
        verify_and_parse(body, headers, "s3cret", replay_guard=second)
    assert list(store.keys.values()) == [3600.0]
    # An event older than the window is refused: the store may have forgotten it.
    old, old_headers = _signed(
        {"event": "viewed", "objectId": "d2", "viewedBy": "a@example.com", "viewedAt": "2026-01-02T10:00:00Z"}
    )
    with pytest.raises(OpenSignWebhookError, match="more than 1:00:00 ago"):
        verify_and_parse(old, old_headers, "s3cret", replay_guard=first)
    # A forged delivery is refused before the guard sees it: it cannot block the real one.
    forged, _ = _signed({"event": "viewed", "objectId": "d3", "viewedAt": "2026-01-02T11:59:00Z"})
    with pytest.raises(OpenSignWebhookError, match="does not match"):
        verify_and_parse(forged, {"x-webhook-signature": "0" * 64}, "s3cret", replay_guard=first)
    assert len(store.keys) == 1


def test_the_in_memory_store_forgets_after_the_window() -> None:
    from signs_provider.opensign.webhooks import MemoryDeliveryStore

    clock = [0.0]
    store = MemoryDeliveryStore(max_keys=2, clock=lambda: clock[0])
    assert store.add("a", ttl=10) and not store.add("a", ttl=10)
    clock[0] = 11
    assert store.add("a", ttl=10)  # expired: a new delivery
    assert store.add("b", ttl=10) and store.add("c", ttl=10)  # full: the oldest is forgotten
    assert len(store._expiry) <= 2


def test_a_lone_surrogate_in_a_forged_body_is_a_webhook_error_not_a_crash() -> None:
    body = b'{"event":"created","objectId":"x\\ud800"}'
    assert verify_signature(body, "ab" * 32, "s3cret") is False
    assert verify_signature(body.decode(), "ab" * 32, "s3cret") is False
    with pytest.raises(OpenSignWebhookError, match="does not match"):
        verify_and_parse(body, {"x-webhook-signature": "ab" * 32}, "s3cret")
    with pytest.raises(OpenSignWebhookError):
        verify_and_parse("\ud800", {"x-webhook-signature": "ab" * 32}, "s3cret")


def test_a_huge_body_is_refused_unread(monkeypatch) -> None:
    from signs_provider.opensign import webhooks

    parsed: list[object] = []
    real_loads = webhooks.json.loads
    monkeypatch.setattr(webhooks.json, "loads", lambda *a, **k: parsed.append(a) or real_loads(*a, **k))
    huge = b'{"event":"created","objectId":"x","pad":"' + b"a" * (30 * 1024 * 1024) + b'"}'
    with pytest.raises(OpenSignWebhookError, match="refusing it unread"):
        verify_and_parse(huge, {"x-webhook-signature": "ab" * 32}, "s3cret")
    with pytest.raises(OpenSignWebhookError, match="refusing it unread"):
        parse_event(huge)
    assert verify_signature(huge, "ab" * 32, "s3cret") is False
    assert parsed == []  # the signature was checked on the raw bytes; nothing was parsed
