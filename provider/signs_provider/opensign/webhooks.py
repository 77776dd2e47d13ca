"""Receiving OpenSign webhooks: check the signature, then parse the event.

OpenSign POSTs one JSON event per change (``created``, ``viewed``, ``signed``, ``completed``,
``declined``; a revoke also sends ``declined``) to the account's single webhook URL. With a Webhook
Security Key set in the web app, the header ``x-webhook-signature`` carries the hex HMAC-SHA256 of
the payload (reference ``opensign-api.md`` §5.3). The help page says "raw request payload" while its
own example signs ``JSON.stringify(parsedBody)``, so :func:`verify_signature` tries the raw bytes
first, then that compact re-serialisation. [INFERRED] until checked against a real delivery.

OpenSign signs no timestamp and no delivery id, so a captured delivery verifies for ever: replay
protection is the receiver's. :func:`verify_and_parse` checks the size, then the signature on the raw
bytes, then parses, then refuses a delivery already seen within a window (:class:`ReplayGuard`, keyed
by :attr:`WebhookEvent.dedup_key`; in memory by default, any shared store for several receivers).

This module imports only the standard library (no Airflow, no HTTP client; a test checks it), so a
receiver (a FastAPI app, a Flask view, an API gateway function) can import it in milliseconds::

    from signs_provider.opensign.webhooks import OpenSignWebhookError, verify_and_parse

    try:
        event = verify_and_parse(raw_body, headers, secret)  # signature, size, replays
    except OpenSignWebhookError:
        return 401
    if event.event == "completed":
        trigger_archive(event.document_id)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from signs_provider.common.times import parse_api_time

SIGNATURE_HEADER = "x-webhook-signature"
#: The largest delivery body accepted, in bytes. An OpenSign event is a few kilobytes (a document's
#: title, note, signers and two URLs); anything much larger is refused before it is parsed.
MAX_WEBHOOK_BYTES = 256 * 1024
#: How long a delivery is remembered by :class:`ReplayGuard` (and the oldest event it accepts).
DEFAULT_REPLAY_WINDOW = timedelta(hours=24)
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

    Pass the body exactly as received. It is checked as is, then (bodies of at most
    :data:`MAX_WEBHOOK_BYTES` only) as JavaScript's ``JSON.stringify`` of the parsed JSON (OpenSign's
    documented example). Comparisons are constant-time. A missing header or secret never verifies,
    nor does a header that is not 64 hex digits (empty, non-ASCII, wrong length), nor a body that
    cannot be encoded (a lone surrogate): a forged delivery is a rejection, never an exception.
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
    raw = _raw_bytes(body)
    if raw is None:
        return False
    key = secret.encode()
    if hmac.compare_digest(given, hmac.new(key, raw, hashlib.sha256).hexdigest()):
        return True
    if len(raw) > MAX_WEBHOOK_BYTES:
        return False  # never parse a large body that did not verify as sent
    try:
        parsed = json.loads(raw)
        # A lone surrogate ("\ud800") parses but cannot be encoded: such a body is not OpenSign's.
        restrung = json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
        return False
    return restrung != raw and hmac.compare_digest(given, hmac.new(key, restrung, hashlib.sha256).hexdigest())


def _raw_bytes(body: bytes | str) -> bytes | None:
    """The body as bytes; ``None`` for text that cannot be encoded (lone surrogates)."""
    if isinstance(body, str):
        try:
            return body.encode()
        except UnicodeEncodeError:
            return None
    return bytes(body)


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
        _check_size(body)
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise OpenSignWebhookError(f"webhook body is not JSON: {type(exc).__name__}") from None
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


class DeliveryStore(Protocol):
    """Where a :class:`ReplayGuard` remembers deliveries; share one between receivers (Redis ``SET NX
    EX``, a database table with a unique key, ...)."""

    def add(self, key: str, *, ttl: float) -> bool:
        """Remember ``key`` for ``ttl`` seconds; ``False`` if it was already remembered (atomically)."""


class MemoryDeliveryStore:
    """The default :class:`DeliveryStore`: one process's memory, bounded by expiry and ``max_keys``.

    Enough for one receiver process; several processes (workers, replicas) need a shared store, or a
    replay sent to another process is accepted there.
    """

    def __init__(self, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_keys = max_keys
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, key: str, *, ttl: float) -> bool:
        now = self._clock()
        with self._lock:
            if self._expiry.get(key, -1.0) > now:
                return False
            if len(self._expiry) >= self.max_keys:
                self._expiry = {k: t for k, t in self._expiry.items() if t > now}
                while len(self._expiry) >= self.max_keys:  # still full: forget the oldest
                    del self._expiry[next(iter(self._expiry))]
            self._expiry[key] = now + ttl
            return True


class ReplayGuard:
    """Refuses a delivery seen before within ``window``, and an event older than ``window``.

    Keyed by :attr:`WebhookEvent.dedup_key` (event, document, actor, OpenSign's timestamp): OpenSign
    sends no delivery id, so two deliveries of one event are one delivery. An event older than the
    window is refused too, since the store may have forgotten it (when its time can be read).

    :param store: a :class:`DeliveryStore`; default: a :class:`MemoryDeliveryStore` of its own.
    :param window: how long a delivery is remembered (default 24 hours).
    """

    def __init__(
        self,
        store: DeliveryStore | None = None,
        *,
        window: timedelta = DEFAULT_REPLAY_WINDOW,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        if window.total_seconds() <= 0:
            raise ValueError("window: must be a positive duration, e.g. timedelta(hours=24).")
        self.store: DeliveryStore = store if store is not None else MemoryDeliveryStore()
        self.window = window
        self._now = now

    def check(self, event: WebhookEvent) -> WebhookEvent:
        """Return ``event`` the first time it is seen; raise :class:`OpenSignWebhookError` after that."""
        if event.occurred_at is not None and self._now() - event.occurred_at > self.window:
            raise OpenSignWebhookError(
                f"webhook {event.event!r} of document {event.document_id} happened more than "
                f"{self.window} ago; refusing it as a possible replay."
            )
        if not self.store.add(event.dedup_key, ttl=self.window.total_seconds()):
            raise OpenSignWebhookError(
                f"webhook {event.event!r} of document {event.document_id} was already received; "
                "refusing the repeated delivery."
            )
        return event


#: The guard :func:`verify_and_parse` uses unless given another: this process's memory.
DEFAULT_REPLAY_GUARD = ReplayGuard()


def verify_and_parse(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str | None,
    *,
    require_signature: bool = True,
    replay_guard: ReplayGuard | None = DEFAULT_REPLAY_GUARD,
) -> WebhookEvent:
    """Check the delivery's size and signature (header looked up case-insensitively), parse it, and
    refuse a replay.

    The size is checked first and the signature on the raw bytes before anything is parsed.

    :param secret: the Webhook Security Key; with ``None`` only ``require_signature=False`` accepts
        the delivery, for accounts that have not enabled authentication.
    :param replay_guard: refuses deliveries seen before (default: :data:`DEFAULT_REPLAY_GUARD`, in
        this process's memory); ``None`` turns replay protection off.
    :raises OpenSignWebhookError: too large, bad or missing signature, not an OpenSign event, or a
        delivery already received.
    """
    _check_size(body)
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
    event = parse_event(body)
    return replay_guard.check(event) if replay_guard is not None else event


def _check_size(body: bytes | str) -> None:
    size = len(body) if isinstance(body, (bytes, bytearray)) else len(str(body))
    if size > MAX_WEBHOOK_BYTES:
        raise OpenSignWebhookError(
            f"webhook body is {size} bytes, more than the {MAX_WEBHOOK_BYTES} an OpenSign event can be; "
            "refusing it unread."
        )


def _person(value: Mapping[str, Any]) -> dict[str, str]:
    return {key: str(value.get(key) or "") for key in ("name", "email", "phone")}
