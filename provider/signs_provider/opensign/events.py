"""OpenSign documents reaching a status, as Airflow asset events (event-driven scheduling).

- :func:`document_event`: the one payload for "a document reached a status", from a poll
  (:class:`OpenSignDocumentEventTrigger`) or from a webhook (:func:`document_event_from_webhook`).
- :class:`OpenSignDocumentEventTrigger`: a ``BaseEventTrigger`` for ``AssetWatcher``; it polls the
  account's ``documentlist`` endpoints and emits one event per document reaching a watched status.
- :func:`opensign_documents_asset`: the asset they feed, ``opensign://<conn_id>/documents/<status>``.

Example DAG (runs once per document completed in the folder)::

    from airflow.sdk import AssetWatcher, dag, task
    from signs_provider.opensign.events import OpenSignDocumentEventTrigger, opensign_documents_asset

    signed = opensign_documents_asset(
        "opensign_default",
        "completed",
        watchers=[
            AssetWatcher(
                name="opensign_signed_contracts",
                trigger=OpenSignDocumentEventTrigger(folder_id="Xy12AbCd"),
            )
        ],
    )

    @dag(schedule=[signed])
    def archive_signed_contract():
        @task
        def archive(*, triggering_asset_events):
            for event in triggering_asset_events[signed]:
                payload = event.extra["payload"]  # document_event(): document_id, title, signers...

This module is imported by DAG files at parse time: the HTTP client and the hook are imported only
when a trigger runs.

**What is emitted.** A watcher starts from "now": documents that reached a status before its first
poll are never emitted (no flood when a watcher is added to a busy account). From then on each
document reaching a watched status is emitted once. How far the trigger has seen is kept in the
asset state store (Airflow 3.3+), so that a triggerer restart neither repeats nor misses events: the
first poll after the restart reads back to where the last one stopped. Without a state store
(Airflow 3.2) the cursor is kept in the triggerer's memory: a restart of the triggerer process starts
from "now" again, and documents finished while it was down are not emitted.

**What a poll costs.** One ``GET documentlist/<status>`` page (:data:`PAGE_SIZE` items, newest first)
per watched status, however many documents are open; more pages only when more documents than a page
reached the status since the last poll, after a restart, and for expiries (below). Each document
newly in the completed list costs one ``GET /document`` more: its signatures' times tell a completion
from an edit (renaming or moving a document finished long ago also puts it on top of the list), and
give ``reached_at``. Watchers of one connection share one poll in the triggerer
(``shared_stream_key``): they then cost three list requests per poll together (completed, declined
and expired), and one ``GET`` per new completion, whatever each of them filters.

**Guesses about the real API** (each marked [INFERRED] next to the code): the lists come newest
first by ``updatedAt`` (:data:`~signs_provider.opensign.client.polling.LISTS_NEWEST_FIRST`); a
document's ``updatedAt`` is bumped when it is completed or declined (so it is the moment it reached
the status); a document that expires by itself keeps the ``updatedAt`` of its last change (the
open-source server lists expired documents by their expiry date and touches nothing), so expired
documents are looked for :data:`DEFAULT_EXPIRY_LOOKBACK_DAYS` days back, and their ``reached_at`` is
``None`` (the lists carry no expiry date).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from signs_provider.common.errors import SignsConfigError
from signs_provider.common.times import parse_api_time
from signs_provider.opensign import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from collections.abc import Hashable

    from airflow.sdk import Asset

    from signs_provider.opensign.hooks import OpenSignHook
    from signs_provider.opensign.webhooks import WebhookEvent

__all__ = [
    "EVENT_KEYS",
    "SCHEME",
    "WATCHABLE_STATUSES",
    "OpenSignDocumentEventTrigger",
    "document_event",
    "document_event_from_webhook",
    "opensign_documents_asset",
]

log = logging.getLogger(__name__)

SCHEME = "opensign"
#: Statuses a watcher can wait for. All are final: a document reaches each at most once.
WATCHABLE_STATUSES = ("completed", "declined", "expired")
#: Webhook events that are a document reaching a status (OpenSign sends no ``expired`` event).
WEBHOOK_STATUS_EVENTS = ("completed", "declined")
#: The payload keys, the same for both sources.
EVENT_KEYS = (
    "document_id",
    "title",
    "status",
    "signers",
    "folder_id",
    "created_at",
    "updated_at",
    "reached_at",
    "reason",
    "environment",
    "source",
)
#: Items per list page. Small on purpose: a poll reads one page per status, and most polls find
#: nothing new, so the page only has to hold what finished within one poll interval.
PAGE_SIZE = 50
#: How far below its newest ``updatedAt`` a list is read again on each poll, with the ids already
#: handled there remembered. [INFERRED] Covers two writes whose timestamps commit out of order on the
#: server (a document stamped just before the newest one seen, but listed only after that poll).
SETTLE_WINDOW = timedelta(minutes=2)
#: How far back the expired list is read on each poll (days): a document that expires by itself is
#: listed by the ``updatedAt`` of its last change (when it was sent, typically), so it appears below
#: the newest items. [INFERRED] from the open-source server, which selects expired documents by their
#: expiry date and writes nothing when it passes; if the hosted API bumps ``updatedAt`` on expiry,
#: this look-back only costs pages, never a wrong event. Documents sent with a longer ``timeToCompleteDays`` (default 15) and untouched
#: since are not seen when they expire; raise ``expiry_lookback_days`` for them.
DEFAULT_EXPIRY_LOOKBACK_DAYS = 30.0
#: Ids emitted per status remembered besides the cursor, so that a finished document edited later
#: (renamed, moved: its ``updatedAt`` moves up) is not emitted again.
EMITTED_MEMORY = 200
STATE_VERSION = 1
STATE_KEY_PREFIX = "signs_provider.opensign.events"


# -- the payload ------------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    moment = parse_api_time(value)
    return moment.isoformat() if moment is not None else None


def _checked_status(status: Any, *, field: str = "status") -> str:
    text = str(status or "").strip().lower()
    if text not in WATCHABLE_STATUSES:
        raise SignsConfigError(
            f"{field}: {status!r} is not a status a document can reach; use one of "
            f"{', '.join(WATCHABLE_STATUSES)}."
        )
    return text


def _signers(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, (list, tuple)):
        return []
    return [
        {"email": str(s.get("email") or ""), "name": str(s.get("name") or "")}
        for s in value
        if isinstance(s, Mapping)
    ]


def _folder_id(document: Mapping[str, Any]) -> str | None:
    folder = document.get("folder")
    if isinstance(folder, Mapping):
        return str(folder.get("objectId") or "") or None
    if isinstance(folder, str):
        return folder or None
    return str(document.get("folderId") or "") or None


def document_event(
    document: Mapping[str, Any],
    status: str,
    *,
    environment: str | None = None,
    source: str = "poll",
    reached_at: Any = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """The payload of "document reached ``status``", from a ``documentlist`` item or a ``GET /document``
    body. JSON primitives only, the keys of :data:`EVENT_KEYS`:

    - ``document_id``, ``title``; ``status``: ``completed``, ``declined`` or ``expired``;
    - ``signers``: ``[{"email", "name"}]`` in the document's order;
    - ``folder_id``: the document's folder, or ``None``;
    - ``created_at``, ``updated_at``, ``reached_at``: ISO 8601 in UTC, or ``None`` when unknown.
      ``reached_at`` is when the status was reached: the webhook's time; from the trigger, the last
      signature's time for completed documents, ``updatedAt`` for declined ones ([INFERRED] the last
      write is the decline; ``GET /document`` has no decline time) and ``None`` for expired ones (the
      lists carry no expiry date). Without ``reached_at=``, a polled document's ``updatedAt`` is used;
    - ``reason``: why it was declined (webhooks only; ``None`` otherwise);
    - ``environment``: ``sandbox``, ``live`` or ``eu`` when known; ``source``: ``poll`` or ``webhook``.

    The pre-signed file URLs of the document are left out (they are credentials for 15 minutes).
    """
    status = _checked_status(status)
    if source not in ("poll", "webhook"):
        raise SignsConfigError(f"source: {source!r} must be 'poll' or 'webhook'.")
    document_id = str(document.get("objectId") or document.get("document_id") or "")
    if not document_id:
        raise SignsConfigError("document: has no 'objectId'; pass an OpenSign document or list item.")
    updated_at = _iso(document.get("updatedAt"))
    if reached_at is None and source == "poll" and status != "expired":
        reached_at = updated_at
    return {
        "document_id": document_id,
        "title": str(document.get("title") or document.get("name") or ""),
        "status": status,
        "signers": _signers(document.get("signers")),
        "folder_id": _folder_id(document),
        "created_at": _iso(document.get("createdAt")),
        "updated_at": updated_at,
        "reached_at": _iso(reached_at),
        "reason": reason or None,
        "environment": environment or None,
        "source": source,
    }


def document_event_from_webhook(event: WebhookEvent, *, environment: str | None = None) -> dict[str, Any]:
    """The :func:`document_event` payload of a ``completed`` or ``declined`` webhook (same keys).

    ``reached_at`` is the event's time, ``reason`` the decline reason, ``updated_at`` and
    ``folder_id`` are ``None`` (deliveries carry neither).

    :raises SignsConfigError: for ``created``, ``viewed`` and ``signed``, which are not a document
        reaching a status; check ``event.event in WEBHOOK_STATUS_EVENTS`` first.
    """
    if event.event not in WEBHOOK_STATUS_EVENTS:
        raise SignsConfigError(
            f"event: webhook {event.event!r} of document {event.document_id} is not a document reaching "
            f"a status; only {' and '.join(WEBHOOK_STATUS_EVENTS)} are (check event.event first)."
        )
    document = {
        "objectId": event.document_id,
        "title": event.name,
        "signers": [dict(s) for s in event.signers],
        "createdAt": event.created_at.isoformat() if event.created_at else None,
    }
    return document_event(
        document,
        event.event,
        environment=environment,
        source="webhook",
        reached_at=event.occurred_at,
        reason=event.reason if event.event == "declined" else None,
    )


# -- the asset --------------------------------------------------------------------------------------


def opensign_documents_asset(
    conn_id: str = DEFAULT_CONN_ID, status: str = "completed", **asset_kwargs: Any
) -> Asset:
    """``opensign://<conn_id>/documents/<status>``: the documents of one account (connection) reaching
    ``status``. Extra keyword arguments go to ``Asset`` (``watchers=``, ``group=``, ``extra=``); the
    asset's name is its URI, so the webhook receiver and the trigger name the same asset."""
    from urllib.parse import quote

    from airflow.sdk import Asset

    status = _checked_status(status)
    conn = str(conn_id or "").strip()
    if not conn or any(ch in conn for ch in "/?#@: "):
        raise SignsConfigError(
            f"conn_id: {conn_id!r} is not an Airflow connection id (letters, digits, '_', '-', '.')."
        )
    return Asset(uri=f"{SCHEME}://{quote(conn, safe='')}/documents/{status}", **asset_kwargs)


# -- the cursor, in the asset state store ------------------------------------------------------------


class _CursorStore:
    """Where a trigger keeps how far it has seen: the asset state store, or memory (Airflow 3.2).

    The state store of an event trigger holds one accessor per asset it feeds. With one asset its
    ``aget``/``aset`` are used; with several (the same trigger watching several assets) the cursor is
    written to each and the most advanced one is read back.
    """

    #: The fallback when there is no asset state store: this process's memory, keyed like the store.
    memory: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(self, store: Any, key: str) -> None:
        self.store = store
        self.key = key

    @property
    def durable(self) -> bool:
        return self.store is not None

    def _accessors(self) -> list[Any]:
        # Several assets: AssetStateStoreAccessors has no public way to list its accessors; read its
        # two maps (Airflow 3.3), or give up on durability if they are not there.
        by_name = getattr(self.store, "_by_name", None) or {}
        by_uri = getattr(self.store, "_by_uri", None) or {}
        return [*by_name.values(), *by_uri.values()]

    async def load(self) -> dict[str, Any] | None:
        if self.store is None:
            return self.memory.get(self.key)
        try:
            value = await _aget(self.store, self.key)
        except ValueError:  # "Task has N concrete inlets and outlets"
            values = [await _aget(accessor, self.key) for accessor in self._accessors()]
            states = [v for v in values if _valid_state(v)]
            return max(states, key=lambda s: s.get("seq", 0)) if states else None
        return value if _valid_state(value) else None

    async def save(self, state: dict[str, Any]) -> None:
        if self.store is None:
            self.memory[self.key] = json.loads(json.dumps(state))
            return
        try:
            await _aset(self.store, self.key, state)
        except ValueError:
            for accessor in self._accessors():
                await _aset(accessor, self.key, state)


async def _aget(accessor: Any, key: str) -> Any:
    if hasattr(accessor, "aget"):
        return await accessor.aget(key)
    return accessor.get(key)


async def _aset(accessor: Any, key: str, value: Any) -> None:
    if hasattr(accessor, "aset"):
        await accessor.aset(key, value)
    else:
        accessor.set(key, value)


def _valid_state(value: Any) -> bool:
    return isinstance(value, dict) and value.get("version") == STATE_VERSION and "lists" in value


# -- reading the lists -------------------------------------------------------------------------------


def _make_hook(conn_id: str) -> OpenSignHook:
    """The hook a trigger polls with (one place, so that tests can give it quick retries)."""
    from signs_provider.opensign.hooks import OpenSignHook

    return OpenSignHook(opensign_conn_id=conn_id)


def _lookback(status: str, expiry_lookback_days: float) -> timedelta:
    return timedelta(days=expiry_lookback_days) if status == "expired" else SETTLE_WINDOW


def _moment(item: Mapping[str, Any]) -> datetime | None:
    return parse_api_time(item.get("updatedAt"))


def _reaches(items: Sequence[Mapping[str, Any]], bound: datetime | None) -> bool:
    """Whether the list need not be read past these items: they are sorted newest first and the last
    is older than ``bound``. Unsorted or undated pages prove nothing (read on)."""
    from signs_provider.opensign.client.polling import LISTS_NEWEST_FIRST

    if bound is None or not items or not LISTS_NEWEST_FIRST:
        return False
    moments = [_moment(item) for item in items]
    if any(m is None for m in moments):
        return False
    known = [m for m in moments if m is not None]
    if any(later > earlier for earlier, later in zip(known, known[1:], strict=False)):
        return False
    return known[-1] < bound


def _slim(item: Mapping[str, Any]) -> dict[str, Any]:
    """What an event needs of a list item (no pre-signed file URL)."""
    out = {key: item.get(key) for key in ("objectId", "title", "createdAt", "updatedAt", "signers")}
    out["folder"] = {"objectId": _folder_id(item)}
    out["signers"] = _signers(item.get("signers"))
    return out


async def _read_list(
    hook: OpenSignHook,
    status: str,
    *,
    bound: datetime | None,
    skip: int = 0,
    max_pages: int | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Items of ``documentlist/<status>`` from ``skip``, newest first, until a page reaches ``bound``
    (``None``: the end) or ``max_pages`` pages were read. Returns the items and whether the list
    ended. GET only, retried by the hook's transport (429, 5xx, network errors)."""
    from signs_provider.opensign.client.documents import DOCUMENT_LIST
    from signs_provider.opensign.client.rest import result_list

    items: list[dict[str, Any]] = []
    pages = 0
    while True:
        body = await hook.client.rest.acall(DOCUMENT_LIST, status, params={"limit": PAGE_SIZE, "skip": skip})
        page = result_list(body, f"documentlist/{status}")
        pages += 1
        items.extend(_slim(item) for item in page if isinstance(item, Mapping))
        if len(page) < PAGE_SIZE:
            return items, True
        skip += len(page)
        if _reaches(page, bound) or (max_pages is not None and pages >= max_pages):
            return items, False


async def _completed_at(hook: OpenSignHook, document_id: str) -> datetime | None:
    """When a completed document got its last signature (``GET /document``'s ``audit_trail``).

    A list item says only when the document last changed: renaming or moving a document finished
    long ago moves it to the top of the completed list. ``None``: not found (deleted since), or no
    readable signature time (then the list's ``updatedAt`` is all there is).
    """
    from signs_provider.opensign.client.documents import GET_DOCUMENT
    from signs_provider.opensign.errors import OpenSignNotFoundError

    try:
        body = await hook.client.rest.acall(GET_DOCUMENT, document_id)
    except OpenSignNotFoundError:
        return None
    trail = body.get("audit_trail") if isinstance(body, Mapping) else None
    moments = [parse_api_time(e.get("signed")) for e in trail or () if isinstance(e, Mapping)]
    known = [m for m in moments if m is not None]
    return max(known) if known and len(known) == len(moments) else None


async def _confirm_completions(hook: OpenSignHook, items: Sequence[dict[str, Any]]) -> None:
    """Put ``completedAt`` (ISO, or ``""`` when unknown) on completed items that lack it: one
    ``GET /document`` each. Raises what the reads raise (the caller skips the poll and tries again)."""
    for item in items:
        if "completedAt" not in item:
            moment = await _completed_at(hook, str(item.get("objectId")))
            item["completedAt"] = moment.isoformat() if moment is not None else ""


async def _pause(seconds: float) -> None:
    """The wait between two polls (one place, so that tests can step the loop poll by poll)."""
    await asyncio.sleep(seconds)


async def _environment(hook: OpenSignHook) -> str | None:
    try:
        await hook.atransport()  # reads the connection without blocking; the hook caches it
        return hook.environment
    except Exception:  # an unknown environment fails the requests with a clear error, logged there
        return None


async def poll_lists(
    conn_id: str, statuses: Sequence[str], poll_interval: float, expiry_lookback_days: float
) -> AsyncIterator[dict[str, Any]]:
    """The raw stream of :class:`OpenSignDocumentEventTrigger`: every ``poll_interval`` seconds, one
    snapshot per status: ``{"status", "items" (newest first), "complete" (the list ended), "environment"}``.

    It remembers in memory how far it has read, and reads each list down to that less its look-back
    (the first poll: one page). A subscriber whose own cursor is further back reads the rest itself.
    A list that cannot be read after the transport's retries is logged and skipped for this poll;
    this never raises (a shared stream that raises fails every watcher of the connection).
    """
    hook = _make_hook(conn_id)
    newest: dict[str, datetime | None] = {}
    listed: dict[str, set[str]] = {}  # ids of the previous snapshot of each list
    try:
        while True:
            environment = await _environment(hook)
            for status in statuses:
                first = status not in newest
                at = newest.get(status)
                bound = at - _lookback(status, expiry_lookback_days) if at is not None else None
                try:
                    items, complete = await _read_list(
                        hook, status, bound=bound, max_pages=1 if first else None
                    )
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.warning(
                        "OpenSign %s: could not read documentlist/%s (%s: %s); trying again in %.0fs",
                        conn_id,
                        status,
                        type(exc).__name__,
                        exc,
                        poll_interval,
                    )
                    continue
                ids = {str(i.get("objectId")) for i in items}
                if status == "completed" and not first:
                    # What arrived since the previous poll is confirmed here once for every watcher
                    # of the connection; a watcher confirms what it reads itself (after a restart).
                    fresh = [i for i in items if str(i.get("objectId")) not in listed.get(status, ())]
                    try:
                        await _confirm_completions(hook, fresh)
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:
                        log.info("OpenSign %s: completion times left to the watchers (%s)", conn_id, exc)
                listed[status] = ids
                moments = [m for m in (_moment(i) for i in items) if m is not None]
                newest[status] = max([*moments, *([at] if at else [])], default=None)
                yield {"status": status, "items": items, "complete": complete, "environment": environment}
            await _pause(poll_interval)
    finally:
        await hook.aclose()


# -- the trigger ------------------------------------------------------------------------------------


class OpenSignDocumentEventTrigger(BaseEventTrigger):
    """Emit one event per OpenSign document reaching a watched status, for ``AssetWatcher``.

    The event's payload is :func:`document_event` (``source="poll"``). Documents that reached the
    status before the watcher's first poll are not emitted; after that each is emitted once, across
    triggerer restarts (the cursor is kept in the asset state store, Airflow 3.3+; in memory on 3.2).
    See the module docstring for what a poll costs and what rests on guesses.

    :param opensign_conn_id: the account (and environment) to watch.
    :param statuses: any of ``completed`` (default), ``declined``, ``expired``.
    :param folder_id: only documents in this folder (its ``objectId``).
    :param title_contains: only documents whose title contains this text (case-insensitive).
    :param poll_interval: seconds between polls.
    :param expiry_lookback_days: how far back expired documents are looked for (see
        :data:`DEFAULT_EXPIRY_LOOKBACK_DAYS`).
    """

    def __init__(
        self,
        *,
        opensign_conn_id: str = DEFAULT_CONN_ID,
        statuses: Sequence[str] = ("completed",),
        folder_id: str | None = None,
        title_contains: str | None = None,
        poll_interval: float = 30.0,
        expiry_lookback_days: float = DEFAULT_EXPIRY_LOOKBACK_DAYS,
    ) -> None:
        super().__init__()
        if not isinstance(opensign_conn_id, str) or not opensign_conn_id.strip():
            raise SignsConfigError("opensign_conn_id: must name an Airflow connection of type opensign.")
        if isinstance(statuses, str):
            statuses = [statuses]
        checked = sorted({_checked_status(s, field="statuses") for s in statuses})
        if not checked:
            raise SignsConfigError("statuses: must name at least one of completed, declined, expired.")
        if folder_id is not None:
            from signs_provider.opensign.client.rest import object_id

            try:
                folder_id = object_id(folder_id)
            except SignsConfigError:
                raise SignsConfigError(
                    f"folder_id: {folder_id!r} is not an OpenSign folder id (like 'FGik23bhUJ'); "
                    "use the folder's objectId, not its name."
                ) from None
        if title_contains is not None and (not isinstance(title_contains, str) or not title_contains.strip()):
            raise SignsConfigError("title_contains: must be some text, or None to take every title.")
        try:
            poll_interval = float(poll_interval)
            lookback = float(expiry_lookback_days)
        except (TypeError, ValueError):
            raise SignsConfigError("poll_interval and expiry_lookback_days: must be numbers.") from None
        if not poll_interval > 0:
            raise SignsConfigError(f"poll_interval: {poll_interval} must be more than 0 seconds, e.g. 30.")
        if not lookback >= 0:
            raise SignsConfigError(f"expiry_lookback_days: {lookback} must not be negative, e.g. 30.")
        self.opensign_conn_id = opensign_conn_id.strip()
        self.statuses = checked
        self.folder_id = folder_id
        self.title_contains = title_contains
        self.poll_interval = poll_interval
        self.expiry_lookback_days = lookback
        self._state: dict[str, Any] | None = None
        self._hook: OpenSignHook | None = None

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """The class path and the JSON arguments Airflow stores to rebuild this trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "opensign_conn_id": self.opensign_conn_id,
                "statuses": list(self.statuses),
                "folder_id": self.folder_id,
                "title_contains": self.title_contains,
                "poll_interval": self.poll_interval,
                "expiry_lookback_days": self.expiry_lookback_days,
            },
        )

    # -- sharing one poll per connection (Airflow 3.3) ----------------------------------------------

    def shared_stream_key(self) -> Hashable | None:
        """Watchers of one connection with the same poll interval and look-back share one poll."""
        return (STATE_KEY_PREFIX, self.opensign_conn_id, self.poll_interval, self.expiry_lookback_days)

    @classmethod
    async def open_shared_stream(cls, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
        """The shared poll: every watchable status (siblings may watch different ones)."""
        async for snapshot in poll_lists(
            str(kwargs.get("opensign_conn_id") or DEFAULT_CONN_ID),
            WATCHABLE_STATUSES,
            float(kwargs.get("poll_interval") or 30.0),
            float(kwargs.get("expiry_lookback_days", DEFAULT_EXPIRY_LOOKBACK_DAYS)),
        ):
            yield snapshot

    async def filter_shared_stream(self, shared_stream: AsyncIterator[Any]) -> AsyncIterator[TriggerEvent]:
        """This watcher's events from the shared snapshots, against its own cursor."""
        store = self._cursor_store()
        if not store.durable:
            log.warning(
                "OpenSign watcher %s: no asset state store (Airflow < 3.3); the cursor is kept in memory, "
                "so a triggerer restart starts from now again.",
                self.opensign_conn_id,
            )
        try:
            async for snapshot in shared_stream:
                if not isinstance(snapshot, Mapping) or snapshot.get("status") not in self.statuses:
                    continue
                try:
                    if self._state is None:
                        self._state = await store.load() or self._new_state()
                    events, items = await self._new_documents(snapshot)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # log and wait for the next poll: never fail the triggerer loop
                    log.warning(
                        "OpenSign watcher %s: skipped a poll of %s (%s: %s)",
                        self.opensign_conn_id,
                        snapshot.get("status"),
                        type(exc).__name__,
                        exc,
                    )
                    continue
                status = str(snapshot["status"])
                for payload, document_id in events:
                    yield TriggerEvent(payload)
                    # After the yield: the triggerer has taken the event. A crash between the two
                    # repeats this one event after the restart rather than missing it.
                    self._remember(status, document_id)
                    await self._save(store)
                if self._advance(status, items):
                    await self._save(store)
        finally:
            await self.cleanup()

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Without a shared stream (Airflow 3.2, or sharing off): the same poll, for this watcher only."""
        stream = poll_lists(
            self.opensign_conn_id, self.statuses, self.poll_interval, self.expiry_lookback_days
        )
        try:
            async for event in self.filter_shared_stream(stream):
                yield event
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    async def cleanup(self) -> None:
        """Close this watcher's own connections (used only to catch up after a restart)."""
        if self._hook is not None:
            hook, self._hook = self._hook, None
            await hook.aclose()

    # -- the cursor ---------------------------------------------------------------------------------

    def _state_key(self) -> str:
        """One key per watcher configuration: several watchers may feed the same asset."""
        config = json.dumps(
            [self.opensign_conn_id, self.statuses, self.folder_id, self.title_contains], sort_keys=True
        )
        return f"{STATE_KEY_PREFIX}.{hashlib.sha256(config.encode()).hexdigest()[:16]}"

    def _cursor_store(self) -> _CursorStore:
        return _CursorStore(getattr(self, "asset_state_store", None), self._state_key())

    def _new_state(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, "seq": 0, "lists": {}}

    async def _save(self, store: _CursorStore) -> None:
        assert self._state is not None
        self._state["seq"] = int(self._state.get("seq", 0)) + 1
        try:
            await store.save(self._state)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the cursor stays in memory; the next change writes it again
            log.warning(
                "OpenSign watcher %s: could not save its cursor (%s: %s)",
                self.opensign_conn_id,
                type(exc).__name__,
                exc,
            )

    def _list_state(self, status: str) -> dict[str, Any] | None:
        assert self._state is not None
        lists: dict[str, Any] = self._state.setdefault("lists", {})
        return lists.get(status)

    def _matches(self, item: Mapping[str, Any]) -> bool:
        if self.folder_id is not None and _folder_id(item) != self.folder_id:
            return False
        if self.title_contains is not None:
            return self.title_contains.lower() in str(item.get("title") or "").lower()
        return True

    async def _items_down_to(
        self, snapshot: Mapping[str, Any], bound: datetime | None
    ) -> list[dict[str, Any]]:
        """The snapshot's items, and more pages read by this watcher when its cursor is further back
        than the shared poll read (after a restart, or many documents finishing at once)."""
        items = list(snapshot.get("items") or [])
        if snapshot.get("complete") or _reaches(items, bound):
            return items
        if self._hook is None:
            self._hook = _make_hook(self.opensign_conn_id)
        more, _ = await _read_list(self._hook, str(snapshot["status"]), bound=bound, skip=len(items))
        known = {str(i.get("objectId")) for i in items}
        # Items listed twice (the list moved between the reads) are kept once.
        return items + [i for i in more if str(i.get("objectId")) not in known]

    async def _new_documents(
        self, snapshot: Mapping[str, Any]
    ) -> tuple[list[tuple[dict[str, Any], str]], list[dict[str, Any]]]:
        """Events for documents new to this watcher, oldest first, and every item read (for
        :meth:`_advance`). The cursor is not moved here."""
        status = str(snapshot["status"])
        listed = self._list_state(status)
        if listed is None:
            # First sight of this list: what is there now is the starting point, down to the window
            # below its newest item (so that the next poll finds nothing there that is "new").
            moments = [m for m in (_moment(i) for i in snapshot.get("items") or ()) if m is not None]
            newest = max(moments, default=None)
            bound = newest - _lookback(status, self.expiry_lookback_days) if newest else None
            return [], await self._items_down_to(snapshot, bound)
        at = parse_api_time(listed.get("at"))
        bound = at - _lookback(status, self.expiry_lookback_days) if at is not None else None
        seen = set(listed.get("seen") or ()) | set(listed.get("emitted") or ())
        items = await self._items_down_to(snapshot, bound)
        fresh = []
        for item in items:
            document_id = str(item.get("objectId") or "")
            moment = _moment(item)
            if not document_id or document_id in seen:
                continue
            if bound is not None and moment is not None and moment < bound:
                continue  # below the window: handled by an earlier poll, or there before the start
            seen.add(document_id)
            if self._matches(item):
                fresh.append(item)
        if status == "completed" and fresh:
            fresh = await self._completed_since(fresh, bound)
        fresh.reverse()  # oldest first: the order in which they reached the status
        environment = snapshot.get("environment")
        events = [
            (
                document_event(i, status, environment=environment, reached_at=i.get("completedAt") or None),
                str(i["objectId"]),
            )
            for i in fresh
        ]
        return events, items

    async def _completed_since(
        self, items: list[dict[str, Any]], bound: datetime | None
    ) -> list[dict[str, Any]]:
        """The items completed after ``bound``: a document completed before it and edited since
        (renamed, moved to another folder) is new to the list, not newly completed."""
        unconfirmed = [i for i in items if "completedAt" not in i]
        if unconfirmed:
            if self._hook is None:
                self._hook = _make_hook(self.opensign_conn_id)
            await _confirm_completions(self._hook, unconfirmed)
        kept = []
        for item in items:
            completed = parse_api_time(item.get("completedAt"))
            if bound is not None and completed is not None and completed < bound:
                log.info(
                    "OpenSign watcher %s: document %s was completed at %s, before this watcher's cursor; "
                    "it was edited since, not completed again",
                    self.opensign_conn_id,
                    item.get("objectId"),
                    item.get("completedAt"),
                )
                continue
            kept.append(item)
        return kept

    def _remember(self, status: str, document_id: str) -> None:
        """An event was taken by the triggerer: never emit this document for this status again."""
        listed = self._list_state(status)
        assert listed is not None
        listed["seen"] = [*listed.get("seen", []), document_id]
        listed["emitted"] = [*listed.get("emitted", []), document_id][-EMITTED_MEMORY:]

    def _advance(self, status: str, items: Sequence[Mapping[str, Any]]) -> bool:
        """Move this list's cursor to the newest item read and remember the ids inside its window
        (every item there has been handled: emitted, filtered out, or there before the start).
        Returns whether anything changed (then the cursor is saved)."""
        assert self._state is not None
        listed = self._list_state(status)
        old_at = parse_api_time(listed.get("at")) if listed else None
        moments = [m for m in (_moment(i) for i in items) if m is not None]
        at = max([*moments, *([old_at] if old_at else [])], default=None)
        bound = at - _lookback(status, self.expiry_lookback_days) if at is not None else None
        seen = sorted(
            {
                str(i.get("objectId"))
                for i in items
                if i.get("objectId") and (bound is None or (_moment(i) or bound) >= bound)
            }
        )
        updated = {
            "at": at.isoformat() if at is not None else None,
            "seen": seen,
            "emitted": list((listed or {}).get("emitted", [])),
        }
        if listed == updated:
            return False
        self._state["lists"][status] = updated
        return True
