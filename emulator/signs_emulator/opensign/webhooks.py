"""Webhook events in OpenSign's documented payload shapes, signed and delivered off the request path.

Delivery is one POST per event with ``Content-Type: application/json`` and, when the account has a
security key, ``x-webhook-signature`` = hex HMAC-SHA256 of exactly the bytes sent. Like OpenSign (OSS),
there is a single attempt and no retry. Events go out one at a time in the order they happened, so a
receiver sees ``viewed`` before ``signed`` before ``completed``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ..clock import Clock
from .state import Document, Environment, WebhookDelivery, webhook_time

#: How many delivery records each environment keeps for the control API.
MAX_DELIVERY_RECORDS = 1000


def event_payload(
    event: str,
    doc: Document,
    env: Environment,
    *,
    file_url: str,
    certificate_url: str = "",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a webhook body; ``extra`` holds the event's actor/time keys (``viewedBy``, ``signedAt``...).

    ``signed`` carries the one signer who signed as ``signer``; every other event lists ``signers``.
    Key order follows the help page's examples.
    """
    payload: dict[str, Any] = {
        "event": event,
        # [INFERRED] "self-sign" for self-signed documents; every documented example is "request-sign".
        "type": doc.kind,
        "objectId": doc.id,
        "file": file_url,
    }
    if event == "completed":
        payload["certificate"] = certificate_url
    payload.update({"name": doc.title, "note": doc.note, "description": doc.description})
    extra = dict(extra or {})
    if event == "signed":
        payload["signer"] = extra.pop("signer")
    else:
        payload["signers"] = [s.brief() for s in doc.signers]
    payload.update(extra)
    payload["createdAt"] = webhook_time(doc.created_at, env.timezone_offset_minutes)
    return payload


def sign_body(secret: str, body: bytes) -> str:
    """The ``x-webhook-signature`` value: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookDispatcher:
    """Posts webhook events from one background thread with a per-request timeout."""

    def __init__(self, clock: Clock, timeout: float) -> None:
        self._clock = clock
        self._timeout = timeout
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opensign-webhooks")
        self._next_id = 1
        # Deliveries go straight to the receiver; a proxy from the environment would not know a
        # loopback receiver, so none is used.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def send(self, env: Environment, event: str, payload: dict[str, Any]) -> WebhookDelivery | None:
        """Queue ``payload`` for the environment's webhook URL; ``None`` if no URL is set."""
        if not env.webhook_url:
            return None
        # Compact JSON like JavaScript's JSON.stringify, so a receiver that re-serialises the parsed
        # body (as OpenSign's own Node example does) computes the same HMAC as one that uses the raw body.
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        signature = sign_body(env.webhook_secret, body) if env.webhook_secret else ""
        with self._lock:
            delivery = WebhookDelivery(
                id=self._next_id,
                env=env.name,
                event=event,
                document_id=str(payload.get("objectId", "")),
                url=env.webhook_url,
                body=body,
                signature=signature,
                created_at=self._clock.now(),
            )
            self._next_id += 1
            env.deliveries.append(delivery)
            del env.deliveries[:-MAX_DELIVERY_RECORDS]
        self._executor.submit(self._deliver, delivery)
        return delivery

    def _deliver(self, delivery: WebhookDelivery) -> None:
        headers = {"Content-Type": "application/json", "User-Agent": "OpenSign-Emulator-Webhook"}
        if delivery.signature:
            headers["x-webhook-signature"] = delivery.signature
        request = urllib.request.Request(delivery.url, data=delivery.body, headers=headers, method="POST")
        status: int | None = None
        error = ""
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"receiver answered HTTP {exc.code}"
        except (OSError, ValueError) as exc:  # refused, timed out, bad URL, ...
            error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            delivery.http_status = status
            delivery.error = error
            delivery.status = "delivered" if status is not None and 200 <= status < 300 else "failed"
            delivery.finished_at = self._clock.now()

    def deliveries(self, env: Environment) -> list[dict[str, Any]]:
        """Delivery records of ``env``, oldest first."""
        with self._lock:
            return [d.as_json() for d in env.deliveries]

    def drain(self, timeout: float | None = None) -> None:
        """Wait until every queued delivery has finished (for tests and shutdown)."""
        marker: Future[None] = self._executor.submit(lambda: None)
        marker.result(timeout=timeout)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
