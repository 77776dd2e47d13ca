"""Screens going offline or coming back, as asset events: a trigger for ``AssetWatcher``.

Example (an alerting DAG scheduled on the screens tagged "lobby")::

    from airflow.sdk import Asset, AssetWatcher, dag
    from signs_provider.optisigns.events import OptiSignsScreensStatusTrigger

    lobby_screens = Asset(
        "optisigns-lobby-screens",
        watchers=[AssetWatcher(name="lobby", trigger=OptiSignsScreensStatusTrigger(tag="lobby"))],
    )

    @dag(schedule=[lobby_screens])
    def screens_alert():
        @task
        def tell(**context):
            for event in context["triggering_asset_events"][lobby_screens]:
                print(event.extra["went_offline"], event.extra["came_back"])

Each poll is one read of the team's screens (``devices``, page by page), filtered here by tag: the
API's tag filter rests on no trusted document (see :mod:`~signs_provider.optisigns.client.evidence`).
It never writes anything.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from signs_provider.optisigns import DEFAULT_CONN_ID, DEFAULT_HEARTBEAT_MAX_AGE_SECONDS

if TYPE_CHECKING:
    from signs_provider.optisigns.hooks import OptiSignsHook

#: Snapshot: screen id -> online. ``None`` before the first poll of a watcher that has no stored one.
Snapshot = dict[str, bool]


class OptiSignsScreensStatusTrigger(BaseEventTrigger):
    """Emit an event when screens of a tag go offline or come back; nothing while nothing changes.

    **Offline** means: the screen's ``status`` says so (``OFFLINE``, ``SLEEP``, ``DISCONNECTED``), or
    its ``lastHeartBeat`` is older than ``offline_after`` seconds, or it has no heartbeat and no
    ``ONLINE`` status. Both fields are read because each fails alone: a player that loses power
    sends no "offline" status (only its heartbeat stops; players beat about once a minute), while
    ``status`` turns at once when a player disconnects cleanly. The default of 300 s allows a few
    missed beats before an alarm. [INFERRED] OptiSigns does not publish the threshold its web app
    uses, nor every ``status`` value.

    The first poll of a watcher with no stored snapshot records the screens as they are and emits
    nothing (screens already offline when the watch starts are not "going" offline). Later, a
    screen that joins the tag while offline counts as going offline; a screen that leaves the tag
    (or is deleted) is forgotten without an event.

    The snapshot is kept in the asset's state store (Airflow 3.3, when the triggerer injects
    ``asset_state_store``), so a restarted triggerer compares with what was seen before it
    stopped: transitions that happened meanwhile are emitted, nothing already emitted is emitted
    again. Without a store (Airflow 3.2, or a watcher of several assets) it is kept in memory and a
    restart starts from a new silent first poll. The snapshot is saved after the event is handed
    to the triggerer: a crash between the two repeats the event rather than losing it.

    Event payload::

        {"tag": "lobby", "at": "2026-12-02T07:00:00+00:00",
         "went_offline": ["id1"], "came_back": [],
         "screens": [{"id", "name", "status", "last_heartbeat", "online"}, ...]}

    ``screens`` lists every screen of the tag as seen at ``at``.

    :param tag: the screens carrying this tag.
    :param offline_after: seconds without a heartbeat after which a screen counts as offline.
    :param poll_interval: seconds between two reads.
    :param optisigns_conn_id: the Airflow connection.
    """

    def __init__(
        self,
        *,
        tag: str,
        offline_after: float = DEFAULT_HEARTBEAT_MAX_AGE_SECONDS,
        poll_interval: float = 60.0,
        optisigns_conn_id: str = DEFAULT_CONN_ID,
    ) -> None:
        from signs_provider.common.errors import SignsConfigError
        from signs_provider.common.transport import positive_seconds

        super().__init__()
        if not isinstance(tag, str) or not tag.strip():
            raise SignsConfigError("tag: give the tag of the screens to watch, e.g. tag='lobby'.")
        self.tag = tag.strip()
        self.offline_after = positive_seconds(offline_after, field="offline_after")
        self.poll_interval = positive_seconds(poll_interval, field="poll_interval")
        self.optisigns_conn_id = optisigns_conn_id
        self._memory: Snapshot | None = None
        self._store_warned = False

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "signs_provider.optisigns.events.OptiSignsScreensStatusTrigger",
            {
                "tag": self.tag,
                "offline_after": self.offline_after,
                "poll_interval": self.poll_interval,
                "optisigns_conn_id": self.optisigns_conn_id,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow.exceptions import AirflowNotFoundException

        from signs_provider.common.errors import SignsConfigError
        from signs_provider.optisigns.hooks import OptiSignsHook

        hook = OptiSignsHook(optisigns_conn_id=self.optisigns_conn_id)
        try:
            previous = await self.load_snapshot()
            while True:
                try:
                    event, current = await self.poll(hook, previous)
                except (SignsConfigError, AirflowNotFoundException):
                    raise  # a missing or wrong connection does not heal by itself
                except Exception as exc:
                    # A watcher outlives API outages: the next poll compares with the last good one.
                    self.log.warning(
                        "OptiSigns screens of tag %r not read: %s: %s", self.tag, type(exc).__name__, exc
                    )
                else:
                    if event is not None:
                        yield TriggerEvent(event)
                    if current != previous:
                        await self.save_snapshot(current)
                        previous = current
                await asyncio.sleep(self.poll_interval)
        finally:
            await hook.aclose()

    async def poll(
        self, hook: OptiSignsHook, previous: Snapshot | None
    ) -> tuple[dict[str, Any] | None, Snapshot]:
        """One read of the screens: the event to emit (or ``None``) and the new snapshot."""
        now = datetime.now(timezone.utc)
        screens = [s for s in await hook.alist_screens() if self.tag in (s.get("tags") or [])]
        return compare(previous, screens, tag=self.tag, offline_after=self.offline_after, now=now)

    # -- the snapshot ----------------------------------------------------------------------------------

    @property
    def snapshot_key(self) -> str:
        """The key of this watcher's snapshot in the asset's state store (one per tag, connection, threshold)."""
        identity = json.dumps(
            {"tag": self.tag, "conn": self.optisigns_conn_id, "offline_after": self.offline_after},
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
        return f"optisigns-screens-status:{hashlib.sha256(identity).hexdigest()[:24]}"

    async def load_snapshot(self) -> Snapshot | None:
        store = getattr(self, "asset_state_store", None)
        if store is None:
            self._warn_store("no asset state store (Airflow before 3.3)")
            return self._memory
        try:
            if hasattr(store, "aget"):
                stored = await store.aget(self.snapshot_key, default=None)
            else:  # 3.3.0 and 3.3.1 have only the blocking accessors
                stored = await asyncio.to_thread(store.get, self.snapshot_key, default=None)
        except Exception as exc:  # ValueError: watched by several assets; anything else: keep going
            self._warn_store(f"{type(exc).__name__}: {exc}")
            return self._memory
        screens = stored.get("screens") if isinstance(stored, dict) else None
        if not isinstance(screens, dict):
            return self._memory
        return {str(k): bool(v) for k, v in screens.items()}

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        self._memory = dict(snapshot)
        store = getattr(self, "asset_state_store", None)
        if store is None:
            return
        value = {"tag": self.tag, "screens": snapshot}
        try:
            if hasattr(store, "aset"):
                await store.aset(self.snapshot_key, value)
            else:
                await asyncio.to_thread(store.set, self.snapshot_key, value)
        except Exception as exc:
            self._warn_store(f"{type(exc).__name__}: {exc}")

    def _warn_store(self, why: str) -> None:
        if not self._store_warned:
            self._store_warned = True
            self.log.warning(
                "OptiSigns screens watcher of tag %r keeps its snapshot in memory (%s): after a restart it "
                "starts again from a silent first poll.",
                self.tag,
                why,
            )


def compare(
    previous: Snapshot | None,
    screens: Iterable[Mapping[str, Any]],
    *,
    tag: str,
    offline_after: float,
    now: datetime,
) -> tuple[dict[str, Any] | None, Snapshot]:
    """The event for the change from ``previous`` to ``screens`` (``None`` when nothing changed).

    ``previous`` ``None`` is the first poll: a snapshot, no event.
    """
    from signs_provider.optisigns.client.screens import screen_is_online

    age = timedelta(seconds=offline_after)
    seen = [(s, screen_is_online(s, now=now, max_heartbeat_age=age)) for s in screens]
    current = {str(s.get("_id")): online for s, online in seen}
    if previous is None:
        return None, current
    went_offline = sorted(i for i, online in current.items() if not online and previous.get(i, True))
    came_back = sorted(i for i, online in current.items() if online and previous.get(i) is False)
    if not (went_offline or came_back):
        return None, current
    event = {
        "tag": tag,
        "at": now.isoformat(),
        "went_offline": went_offline,
        "came_back": came_back,
        "screens": [
            {
                "id": str(s.get("_id")),
                "name": s.get("deviceName") or s.get("name"),
                "status": s.get("status"),
                "last_heartbeat": s.get("lastHeartBeat"),
                "online": online,
            }
            for s, online in sorted(seen, key=lambda pair: str(pair[0].get("_id")))
        ],
    }
    return event, current
