"""Receiving OpenSign webhooks: check the signature, then parse the event.

OpenSign POSTs one JSON event per change (``created``, ``viewed``, ``signed``, ``completed``,
``declined``; a revoke also sends ``declined``) to the account's single webhook URL. With a Webhook
Security Key set in the web app, the header ``x-webhook-signature`` carries the hex HMAC-SHA256 of
the payload (reference ``opensign-api.md`` §5.3). The help page says "raw request payload" while its
own example signs ``JSON.stringify(parsedBody)``, so :func:`verify_signature` tries the raw bytes
first, then that compact re-serialisation. [INFERRED] until checked against a real delivery.

This module imports only the standard library (no Airflow, no HTTP client; a test checks it), so a
receiver (a FastAPI app, a Flask view, an API gateway function) can import it in milliseconds::

    from signs_provider.opensign.webhooks import parse_event, verify_signature

    if not verify_signature(raw_body, headers.get("x-webhook-signature"), secret):
        return 401
    event = parse_event(raw_body)
    if event.event == "completed":
        trigger_archive(event.document_id)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from signs_provider.common.times import parse_api_time

SIGNATURE_HEADER = "x-webhook-signature"
EVENTS = ("created", "viewed", "signed", "completed", "declined")

#: The moment each event happened; ``createdAt`` (the document's creation) for ``created``.
_WHEN_KEY = {
    "created": "createdAt",
    "viewed": "viewedAt",
    "signed": "signedAt",
    "completed": "completedAt",
    "declined": "declinedAt",
}
_ACTOR_KEY = {"viewed": "viewedBy", "declined": "declinedBy"}

#: Abbreviations in webhook timestamps, as minutes east of UTC. OpenSign formats them with the
#: account's time-zone preference; its own samples pair "IST" with "GMT+5:30" for one document, so
#: IST is India's. Unknown abbreviations leave the time unparsed (``occurred_at`` is ``None``).
ZONE_OFFSETS = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "IST": 330,
    "CET": 60,
    "CEST": 120,
    "EET": 120,
    "EEST": 180,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
    "JST": 540,
    "AEST": 600,
    "AEDT": 660,
}
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# "Fri, 16 May 2025 15:02:42 IST" / "... GMT+5:30" / "... GMT-04:00" (the weekday is optional).
_HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
_WEBHOOK_TIME = re.compile(
    r"^\s*(?:[A-Za-z]{3},?\s+)?(\d{1,2})\s+([A-Za-z]{3})[A-Za-z]*\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s*(?:([A-Za-z]{1,5})?\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?)?\s*$"
)


class OpenSignWebhookError(ValueError):
    """A webhook delivery that is not signed with the secret, or whose body is not an OpenSign event.

    A plain ``ValueError`` (not an ``AirflowException``) so that receivers need no Airflow; it is
    re-exported by :mod:`signs_provider.opensign.errors`.
    """


def verify_signature(body: bytes | str, signature: str | bytes | None, secret: str) -> bool:
    """Whether ``signature`` (the ``x-webhook-signature`` header) signs ``body`` with ``secret``.

    Pass the body exactly as received. It is checked as is, then as JavaScript's
    ``JSON.stringify`` of the parsed JSON (OpenSign's documented example). Comparisons are
    constant-time. A missing header or secret never verifies, nor does a header that is not 64 hex
    digits (empty, non-ASCII, wrong length): a forged header is a rejection, never an exception.
    """
    if not signature or not secret:
        return False
    if isinstance(signature, bytes):
        try:
            signature = signature.decode("ascii")
        except UnicodeDecodeError:
            return False
    if not isinstance(signature, str):
        return False
    given = signature.strip().lower()
    if given.startswith("sha256="):
        given = given[len("sha256=") :]
    # compare_digest raises TypeError on non-ASCII text; only well-formed digests are compared.
    if not _HEX_SHA256.fullmatch(given):
        return False
    raw = body.encode() if isinstance(body, str) else bytes(body)
    key = secret.encode()
    if hmac.compare_digest(given, hmac.new(key, raw, hashlib.sha256).hexdigest()):
        return True
    try:
        parsed = json.loads(raw)
    except ValueError:
        return False
    restrung = json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode()
    return restrung != raw and hmac.compare_digest(given, hmac.new(key, restrung, hashlib.sha256).hexdigest())


def parse_webhook_time(value: Any) -> datetime | None:
    """An OpenSign webhook timestamp as an aware UTC datetime, or ``None`` when it cannot be read.

    Handles ``Fri, 16 May 2025 15:02:42 IST``, ``... GMT+5:30``, ``... GMT`` and ISO 8601.

    >>> parse_webhook_time("Fri, 16 May 2025 16:18:34 GMT+5:30").isoformat()
    '2025-05-16T10:48:34+00:00'
    """
    text = str(value or "").strip()
    if not text:
        return None
    match = _WEBHOOK_TIME.match(text)
    if match is None:
        return parse_api_time(text)
    day, month, year, hour, minute, second, zone, sign, off_h, off_m = match.groups()
    month_number = _MONTHS.get(month.lower())
    if month_number is None:
        return None
    offset = 0
    if zone:
        if zone.upper() not in ZONE_OFFSETS:
            return None
        offset = ZONE_OFFSETS[zone.upper()]
    if sign:
        offset += (1 if sign == "+" else -1) * (int(off_h) * 60 + int(off_m or 0))
    try:
        local = datetime(int(year), month_number, int(day), int(hour), int(minute), int(second or 0))
    except ValueError:
        return None
    return (local - timedelta(minutes=offset)).replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class WebhookEvent:
    """One OpenSign webhook delivery, parsed.

    :ivar event: ``created``, ``viewed``, ``signed``, ``completed`` or ``declined``.
    :ivar actor: who viewed, signed or declined (email), else ``""``.
    :ivar occurred_at: when it happened, in UTC (``None`` if the timestamp could not be read);
        ``occurred_at_raw`` keeps OpenSign's text.
    :ivar file_url: the PDF at that point (signed so far); ``certificate_url`` on ``completed``.
        Both are pre-signed URLs that expire after about 15 minutes.
    :ivar reason: the decline reason (``declined`` only; OpenSign's API has no other way to get it).
    """

    event: str
    document_id: str
    type: str = ""
    name: str = ""
    note: str = ""
    description: str = ""
    file_url: str = ""
    certificate_url: str = ""
    signers: tuple[dict[str, str], ...] = ()
    actor: str = ""
    reason: str = ""
    occurred_at: datetime | None = None
    occurred_at_raw: str = ""
    created_at: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def dedup_key(self) -> str:
        """A key for dropping repeated deliveries (OpenSign sends no event id)."""
        return f"{self.event}:{self.document_id}:{self.actor}:{self.occurred_at_raw}"

    def as_dict(self) -> dict[str, Any]:
        """JSON primitives (for XCom or a queue), without the raw payload's pre-signed URLs."""
        return {
            "event": self.event,
            "document_id": self.document_id,
            "type": self.type,
            "name": self.name,
            "actor": self.actor,
            "reason": self.reason,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
            "occurred_at_raw": self.occurred_at_raw,
            "signers": [dict(s) for s in self.signers],
        }


def parse_event(body: bytes | str | Mapping[str, Any]) -> WebhookEvent:
    """Parse a delivery's body (raw bytes, text or already-decoded JSON) into a :class:`WebhookEvent`.

    :raises OpenSignWebhookError: the body is not JSON, or not an object with a known ``event`` and
        an ``objectId``.
    """
    if isinstance(body, Mapping):
        payload = dict(body)
    else:
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise OpenSignWebhookError(f"webhook body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise OpenSignWebhookError(f"webhook body is a JSON {type(payload).__name__}, not an object.")
    event = str(payload.get("event") or "")
    if event not in EVENTS:
        raise OpenSignWebhookError(f"webhook event {event!r} is not one of {', '.join(EVENTS)}.")
    document_id = str(payload.get("objectId") or "")
    if not document_id:
        raise OpenSignWebhookError(f"webhook {event!r} has no objectId.")
    signers = [_person(s) for s in payload.get("signers") or [] if isinstance(s, Mapping)]
    signer = payload.get("signer")
    actor = str(payload.get(_ACTOR_KEY.get(event, ""), "") or "")
    if isinstance(signer, Mapping):
        # "signed" names its one signer as an object instead of the list.
        signers = [_person(signer)]
        actor = actor or str(signer.get("email") or "")
    raw_when = str(payload.get(_WHEN_KEY[event]) or "")
    return WebhookEvent(
        event=event,
        document_id=document_id,
        type=str(payload.get("type") or ""),
        name=str(payload.get("name") or ""),
        note=str(payload.get("note") or ""),
        description=str(payload.get("description") or ""),
        file_url=str(payload.get("file") or ""),
        certificate_url=str(payload.get("certificate") or ""),
        signers=tuple(signers),
        actor=actor,
        reason=str(payload.get("declinedReason") or ""),
        occurred_at=parse_webhook_time(raw_when),
        occurred_at_raw=raw_when,
        created_at=parse_webhook_time(payload.get("createdAt")),
        payload=payload,
    )


def verify_and_parse(
    body: bytes | str, headers: Mapping[str, str], secret: str | None, *, require_signature: bool = True
) -> WebhookEvent:
    """Check the delivery's signature (looked up case-insensitively in ``headers``) and parse it.

    :param secret: the Webhook Security Key; with ``None`` only ``require_signature=False`` accepts
        the delivery, for accounts that have not enabled authentication.
    :raises OpenSignWebhookError: bad or missing signature, or not an OpenSign event.
    """
    signature = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), None)
    if secret:
        if not verify_signature(body, signature, secret):
            what = (
                "has no x-webhook-signature header"
                if not signature
                else "has a signature that does not match"
            )
            raise OpenSignWebhookError(f"webhook delivery {what} the webhook secret; ignoring it.")
    elif require_signature:
        raise OpenSignWebhookError(
            "no webhook secret to verify the delivery with; set one, or pass require_signature=False."
        )
    return parse_event(body)


def _person(value: Mapping[str, Any]) -> dict[str, str]:
    return {key: str(value.get(key) or "") for key in ("name", "email", "phone")}
