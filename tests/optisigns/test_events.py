"""OptiSignsScreensStatusTrigger: screens of a tag going offline and coming back, over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta, timezone

import pytest
from airflow.triggers.base import BaseEventTrigger

from signs_provider.common.errors import SignsConfigError
from signs_provider.optisigns.events import OptiSignsScreensStatusTrigger, compare
from signs_provider.optisigns.hooks import OptiSignsHook
from tests.optisigns.conftest import FAST

NOW = datetime(2026, 12, 2, 7, 0, tzinfo=timezone.utc)


class MemoryStore:
    """The asset state store's async accessors (Airflow 3.3.2), kept in a dict."""

    def __init__(self) -> None:
        self.values: dict = {}
        self.writes = 0

    async def aget(self, key, default=None):
        return self.values.get(key, default)

    async def aset(self, key, value):
        self.writes += 1
        self.values[key] = value


class BlockingStore(MemoryStore):
    """Airflow 3.3.0/3.3.1: only the blocking ``get``/``set``."""

    aget = aset = None  # type: ignore[assignment]

    def __getattribute__(self, name):
        if name in ("aget", "aset"):
            raise AttributeError(name)
        return super().__getattribute__(name)

    def get(self, key, default=None):
        return self.values.get(key, default)

    def set(self, key, value):
        self.writes += 1
        self.values[key] = value


class Watcher:
    """Drive a trigger's ``run()`` one event at a time, counting its polls."""

    def __init__(self, trigger: OptiSignsScreensStatusTrigger) -> None:
        self.trigger = trigger
        self.polls = 0
        poll = trigger.poll

        async def counted(*args, **kwargs):
            try:
                return await poll(*args, **kwargs)
            finally:
                self.polls += 1

        trigger.poll = counted  # type: ignore[method-assign]
        self.events = trigger.run()
        self.pending: asyncio.Future | None = None

    async def next_event_after(self, polls: int) -> asyncio.Future:
        """The (pending or done) next event, once ``polls`` more polls happened or it came."""
        if self.pending is None or self.pending.done():
            self.pending = asyncio.ensure_future(self.events.__anext__())
        start = self.polls
        while self.polls < start + polls and not self.pending.done():
            await asyncio.sleep(0.01)
        return self.pending

    async def close(self) -> None:
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await self.pending
        await self.events.aclose()


async def within(pending: asyncio.Future):
    """The event, or a failure rather than a hung test when it never comes."""
    return await asyncio.wait_for(asyncio.shield(pending), 30)


def _trigger(tag="lobby-w", store=None, **kwargs) -> OptiSignsScreensStatusTrigger:
    trigger = OptiSignsScreensStatusTrigger(tag=tag, poll_interval=0.02, **kwargs)
    trigger.asset_state_store = store
    return trigger


@pytest.fixture
def fast_hook(monkeypatch):
    """The trigger's hook with quick retries (it builds its own)."""
    real = OptiSignsHook.__init__

    def init(self, **kwargs):
        real(self, **{**kwargs, "retry_policy": FAST})

    monkeypatch.setattr(OptiSignsHook, "__init__", init)


@pytest.fixture
def lobby(optisigns_env, fast_hook):
    ids = optisigns_env.control.add_screens(2, tags=["lobby-w"], name_prefix="Lobby")
    optisigns_env.control.add_screens(1, tags=["kitchen"], name_prefix="Kitchen")
    optisigns_env.control.reset_requests()
    return ids


# -- construction ---------------------------------------------------------------------------------------------


def test_it_is_an_event_trigger_whose_serialization_round_trips() -> None:
    trigger = OptiSignsScreensStatusTrigger(
        tag="lobby", offline_after=120, poll_interval=30, optisigns_conn_id="c"
    )
    assert isinstance(trigger, BaseEventTrigger)
    classpath, kwargs = trigger.serialize()
    assert classpath == "signs_provider.optisigns.events.OptiSignsScreensStatusTrigger"
    assert kwargs == {"tag": "lobby", "offline_after": 120.0, "poll_interval": 30.0, "optisigns_conn_id": "c"}
    assert OptiSignsScreensStatusTrigger(**kwargs).serialize() == (classpath, kwargs)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"tag": ""}, "tag"),
        ({"tag": "x", "offline_after": 0}, "offline_after"),
        ({"tag": "x", "poll_interval": "y"}, "poll_interval"),
    ],
)
def test_bad_arguments_name_the_field(kwargs, field) -> None:
    with pytest.raises(SignsConfigError, match=field):
        OptiSignsScreensStatusTrigger(**kwargs)


# -- what offline means (pure) -------------------------------------------------------------------------------


def _screen(i, *, status="ONLINE", beat=timedelta(seconds=10)):
    return {
        "_id": i,
        "deviceName": f"S{i}",
        "status": status,
        "lastHeartBeat": (NOW - beat).isoformat() if beat else None,
    }


def test_a_stale_heartbeat_or_an_offline_status_is_offline() -> None:
    screens = [
        _screen("a"),
        _screen("b", beat=timedelta(seconds=301)),  # "ONLINE" but silent for 5 minutes
        _screen("c", status="OFFLINE"),  # said so at once, heartbeat still fresh
        _screen("d", status="SLEEP"),
        _screen("e", status=None, beat=None),  # nothing known
    ]
    first, snapshot = compare(None, screens, tag="t", offline_after=300, now=NOW)
    assert first is None  # the first look only records
    assert snapshot == {"a": True, "b": False, "c": False, "d": False, "e": False}
    event, _ = compare({k: True for k in snapshot}, screens, tag="t", offline_after=300, now=NOW)
    assert event["went_offline"] == ["b", "c", "d", "e"] and event["came_back"] == []
    assert event["screens"][0] == {
        "id": "a",
        "name": "Sa",
        "status": "ONLINE",
        "last_heartbeat": (NOW - timedelta(seconds=10)).isoformat(),
        "online": True,
    }
    # A longer threshold keeps b online.
    _, relaxed = compare(None, screens, tag="t", offline_after=600, now=NOW)
    assert relaxed["b"] is True


def test_joining_offline_counts_leaving_does_not() -> None:
    event, _ = compare(
        {"a": True, "gone": False},
        [_screen("a"), _screen("new", status="OFFLINE")],
        tag="t",
        offline_after=300,
        now=NOW,
    )
    assert event["went_offline"] == ["new"] and event["came_back"] == []
    quiet, snapshot = compare(
        {"a": True, "gone": False}, [_screen("a"), _screen("new2")], tag="t", offline_after=300, now=NOW
    )
    assert quiet is None and snapshot == {"a": True, "new2": True}


# -- over real HTTP -----------------------------------------------------------------------------------------


def test_offline_and_back_are_each_emitted_once(optisigns_env, lobby) -> None:
    control = optisigns_env.control
    watcher = Watcher(_trigger(store=MemoryStore()))

    async def scenario():
        quiet = await watcher.next_event_after(3)
        assert not quiet.done()  # three polls, nothing changed: no event
        await asyncio.to_thread(control.set_screen_online, lobby[0], False)
        offline = (await within(quiet)).payload
        assert offline["tag"] == "lobby-w"
        assert offline["went_offline"] == [lobby[0]] and offline["came_back"] == []
        assert {s["id"]: s["online"] for s in offline["screens"]} == {lobby[0]: False, lobby[1]: True}
        assert {s["status"] for s in offline["screens"]} == {"ONLINE", "OFFLINE"}

        still = await watcher.next_event_after(3)
        assert not still.done()  # still offline: not emitted again
        await asyncio.to_thread(control.set_screen_online, lobby[0], True)
        back = (await within(still)).payload
        assert back["went_offline"] == [] and back["came_back"] == [lobby[0]]
        await watcher.close()

    asyncio.run(scenario())


def test_a_screen_of_another_tag_never_makes_an_event(optisigns_env, lobby) -> None:
    kitchen = [s["_id"] for s in OptiSignsHook().list_screens() if "kitchen" in (s.get("tags") or [])]
    watcher = Watcher(_trigger(store=MemoryStore()))

    async def scenario():
        first = await watcher.next_event_after(2)
        await asyncio.to_thread(optisigns_env.control.set_screen_online, kitchen[0], False)
        await watcher.next_event_after(3)
        assert not first.done()
        await watcher.close()

    asyncio.run(scenario())


def test_each_poll_is_one_request_whatever_happens(optisigns_env, lobby) -> None:
    control = optisigns_env.control
    control.add_screens(40, tags=["lobby-w"], name_prefix="More")
    trigger = _trigger(store=MemoryStore())

    async def scenario():
        hook = OptiSignsHook()
        # The first read may pay once for a name the API refuses (pessimistic mode), then remembered.
        _, snapshot = await trigger.poll(hook, None)
        counts, events = [], []
        for step in range(5):
            if step == 2:
                await asyncio.to_thread(control.set_screen_online, lobby[1], False)
            await asyncio.to_thread(control.reset_requests)
            event, snapshot = await trigger.poll(hook, snapshot)
            requests = await asyncio.to_thread(control.requests, path="^/optisigns")
            assert {r["operation_type"] for r in requests} == {"query"}  # it only reads
            counts.append(len(requests))
            events.append(event is not None)
        await hook.aclose()
        return counts, events

    counts, events = asyncio.run(scenario())
    assert events == [False, False, True, False, False]
    assert counts == [1, 1, 1, 1, 1]  # 42 screens of the tag; the team's screens fit one page


def test_a_restart_with_the_stored_snapshot_does_not_emit_again(optisigns_env, lobby) -> None:
    control = optisigns_env.control
    store = MemoryStore()

    async def first_life():
        watcher = Watcher(_trigger(store=store))
        pending = await watcher.next_event_after(1)
        await asyncio.to_thread(control.set_screen_online, lobby[0], False)
        assert (await within(pending)).payload["went_offline"] == [lobby[0]]
        await watcher.next_event_after(1)
        await watcher.close()

    asyncio.run(first_life())
    # While no triggerer watched, the second screen went offline too.
    control.set_screen_online(lobby[1], False)

    async def second_life():
        watcher = Watcher(_trigger(store=store))
        missed = await watcher.next_event_after(1)
        # The first screen was reported already; the one that went offline meanwhile is reported now.
        assert (await within(missed)).payload["went_offline"] == [lobby[1]]
        again = await watcher.next_event_after(3)
        assert not again.done()
        await watcher.close()

    asyncio.run(second_life())


def test_the_blocking_store_of_airflow_3_3_0_is_used_too(optisigns_env, lobby) -> None:
    store = BlockingStore()

    async def life():
        watcher = Watcher(_trigger(store=store))
        pending = await watcher.next_event_after(1)
        await asyncio.to_thread(optisigns_env.control.set_screen_online, lobby[0], False)
        await within(pending)
        # Saved once the triggerer has taken the event and asks for the next one (a crash in between
        # repeats the event rather than losing it).
        await watcher.next_event_after(1)
        await watcher.close()

    asyncio.run(life())
    (value,) = store.values.values()
    assert value == {"tag": "lobby-w", "screens": {lobby[0]: False, lobby[1]: True}}

    async def restarted():
        watcher = Watcher(_trigger(store=store))
        quiet = await watcher.next_event_after(3)
        assert not quiet.done()
        await watcher.close()

    asyncio.run(restarted())


def test_without_a_store_the_snapshot_lives_in_memory(optisigns_env, lobby, capsys) -> None:
    """Airflow 3.2 (no asset_state_store): a restart starts with a silent first look."""

    async def life(trigger):
        watcher = Watcher(trigger)
        pending = await watcher.next_event_after(1)
        await asyncio.to_thread(optisigns_env.control.set_screen_online, lobby[0], False)
        assert (await within(pending)).payload["went_offline"] == [lobby[0]]
        await watcher.close()

    trigger = _trigger(store=None)
    del trigger.asset_state_store  # an Airflow that never heard of it
    asyncio.run(life(trigger))
    assert "keeps its snapshot in memory" in capsys.readouterr().out

    async def restarted():
        watcher = Watcher(_trigger(store=None))
        quiet = await watcher.next_event_after(3)
        assert not quiet.done()  # still offline, but a new life does not know it went offline
        await watcher.close()

    asyncio.run(restarted())


def test_an_api_outage_is_waited_out(optisigns_env, lobby) -> None:
    control = optisigns_env.control
    watcher = Watcher(_trigger(store=MemoryStore()))

    async def scenario():
        first = await watcher.next_event_after(1)
        rule = await asyncio.to_thread(control.add_fault, "500", path="^/optisigns/graphql", times=0)
        await asyncio.to_thread(control.set_screen_online, lobby[0], False)
        await watcher.next_event_after(2)
        assert not first.done()  # nothing could be read: no event, no crash
        await asyncio.to_thread(control.remove_fault, rule["id"])
        assert (await within(first)).payload["went_offline"] == [lobby[0]]
        await watcher.close()

    asyncio.run(scenario())


def test_a_missing_connection_ends_the_watch(optisigns_env) -> None:
    """A watcher waits out outages, not a connection that does not exist (the triggerer reports it)."""
    from airflow.exceptions import AirflowNotFoundException

    async def scenario():
        await _trigger(optisigns_conn_id="nowhere_to_be_found").run().__anext__()

    with pytest.raises(AirflowNotFoundException):
        asyncio.run(scenario())


def test_an_asset_watcher_takes_it() -> None:
    from airflow.sdk import Asset, AssetWatcher

    trigger = OptiSignsScreensStatusTrigger(tag="lobby")
    asset = Asset("optisigns-lobby-screens", watchers=[AssetWatcher(name="lobby", trigger=trigger)])
    assert asset.watchers[0].trigger is trigger
