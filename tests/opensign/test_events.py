"""The OpenSign event trigger (AssetWatcher) and the shared event payload.

Polls go over real HTTP to the emulator. The trigger's poll loop is driven one poll at a time: the
pause between polls (``events._pause``) is replaced by a gate the test opens, so that "after two more
polls" needs no clock. The asset state store is a small stand-in with the accessor interface
(``aget``/``aset``; Airflow's own sends through the triggerer's supervisor, which needs a database).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from airflow.triggers.base import TriggerEvent

from signs_provider.common.errors import SignsConfigError
from signs_provider.opensign import events
from signs_provider.opensign.events import (
    EVENT_KEYS,
    OpenSignDocumentEventTrigger,
    document_event,
    document_event_from_webhook,
    opensign_documents_asset,
)
from signs_provider.opensign.webhooks import parse_event
from tests.opensign.conftest import QUICK_RETRIES

ADA = "ada@example.com"
LIST_PATH = r"/documentlist/"

# -- helpers -----------------------------------------------------------------------------------------


class AssetStore:
    """Stands in for one asset's ``AssetStateStoreAccessors`` (``aget``/``aset``, JSON values)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.writes = 0

    async def aget(self, key: str, default: Any = None) -> Any:
        return json.loads(self.values[key]) if key in self.values else default

    async def aset(self, key: str, value: Any) -> None:
        if value is None:
            raise ValueError("Cannot set value as None")
        self.values[key] = json.dumps(value)  # what is not JSON fails here, as it would in Airflow
        self.writes += 1


class Gate:
    """Replaces the pause between polls: each paused poll loop goes on only when the test opens the gate."""

    def __init__(self) -> None:
        self.paused = 0
        self._waiting: list[asyncio.Future[None]] = []

    async def pause(self, seconds: float) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self.paused += 1
        await waiter

    def open(self) -> None:
        """Let every paused poll loop run one more poll (without waiting for it)."""
        waiters, self._waiting = [w for w in self._waiting if not w.done()], []
        for waiter in waiters:
            waiter.set_result(None)

    async def next_poll(self) -> None:
        """Let every paused poll loop run one more poll, and wait until they are paused again."""
        waiters, self._waiting = [w for w in self._waiting if not w.done()], []
        assert waiters, "no poll loop is waiting"
        target = self.paused + len(waiters)
        for waiter in waiters:
            waiter.set_result(None)
        await until(lambda: self.paused >= target)


async def until(condition: Callable[[], bool], *, guard: float = 30.0) -> None:
    """Wait for ``condition`` (a guard against hanging, not a timing assertion)."""
    async with asyncio.timeout(guard):
        while not condition():
            await asyncio.sleep(0.01)


class Watcher:
    """A trigger's ``run()`` consumed in the background, its events collected."""

    def __init__(self, trigger: OpenSignDocumentEventTrigger, gate: Gate) -> None:
        self.trigger, self.gate = trigger, gate
        self.events: list[TriggerEvent] = []
        self._task = asyncio.create_task(self._consume(trigger.run()))

    async def _consume(self, stream: AsyncIterator[TriggerEvent]) -> None:
        async for event in stream:
            self.events.append(event)

    @property
    def payloads(self) -> list[dict[str, Any]]:
        return [e.payload for e in self.events]

    def ids(self) -> list[str]:
        return [p["document_id"] for p in self.payloads]

    async def started(self) -> None:
        """The first poll (the starting point) is over."""
        await until(lambda: self.gate.paused >= 1 or self._task.done())
        if self._task.done():
            self._task.result()

    async def stop(self) -> None:
        self._task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self._task


@pytest.fixture
def quick(monkeypatch) -> None:
    """Triggers poll with quick retries (the default policy waits up to seconds between attempts)."""
    from signs_provider.opensign.hooks import OpenSignHook

    monkeypatch.setattr(
        events,
        "_make_hook",
        lambda conn_id: OpenSignHook(opensign_conn_id=conn_id, retry_policy=QUICK_RETRIES),
    )


@pytest.fixture
def gated(monkeypatch, quick) -> Callable[[], Gate]:
    """``make_gate()`` inside the test's event loop; the trigger module then pauses on it."""

    def make_gate() -> Gate:
        gate = Gate()
        monkeypatch.setattr(events, "_pause", gate.pause)
        return gate

    return make_gate


@pytest.fixture(autouse=True)
def forget_memory_cursors():
    events._CursorStore.memory.clear()
    yield
    events._CursorStore.memory.clear()


def trigger(store: Any = "new", **kwargs: Any) -> OpenSignDocumentEventTrigger:
    kwargs.setdefault("poll_interval", 1)
    made = OpenSignDocumentEventTrigger(**kwargs)
    made.asset_state_store = AssetStore() if store == "new" else store
    return made


def sign_all(opensign, document_id: str, *emails: str) -> None:
    for email in emails or (ADA,):
        opensign.control.sign(document_id, email)


def list_requests(opensign) -> int:
    return opensign.control.count(path=LIST_PATH)


# -- the payload -------------------------------------------------------------------------------------


LIST_ITEM = {
    "objectId": "Doc123",
    "file": "https://files.example/doc.pdf?X-Amz-Signature=secret",
    "title": "Employment contract",
    "note": "",
    "folder": {"objectId": "Fold1", "name": "HR"},
    "owner": "Owner",
    "signers": [{"role": "", "name": "Ada Lovelace", "email": ADA, "phone": "+100"}],
    "createdAt": "2026-03-01T10:00:00.000Z",
    "updatedAt": "2026-03-02T11:30:00.250Z",
}


def test_poll_and_webhook_payloads_have_the_same_keys() -> None:
    polled = document_event(LIST_ITEM, "completed", environment="sandbox")
    assert polled == {
        "document_id": "Doc123",
        "title": "Employment contract",
        "status": "completed",
        "signers": [{"email": ADA, "name": "Ada Lovelace"}],
        "folder_id": "Fold1",
        "created_at": "2026-03-01T10:00:00+00:00",
        "updated_at": "2026-03-02T11:30:00.250000+00:00",
        "reached_at": "2026-03-02T11:30:00.250000+00:00",
        "reason": None,
        "environment": "sandbox",
        "source": "poll",
    }
    assert "secret" not in json.dumps(polled)  # the pre-signed file URL is not carried
    webhook = parse_event(
        {
            "event": "declined",
            "objectId": "Doc123",
            "name": "Employment contract",
            "signers": [{"name": "Ada Lovelace", "email": ADA, "phone": "+100"}],
            "declinedBy": ADA,
            "declinedReason": "wrong salary",
            "declinedAt": "Fri, 16 May 2025 16:18:34 GMT+5:30",
            "createdAt": "Fri, 16 May 2025 15:00:00 GMT",
            "file": "https://files.example/doc.pdf?X-Amz-Signature=secret",
        }
    )
    received = document_event_from_webhook(webhook, environment="live")
    assert tuple(received) == tuple(polled) == EVENT_KEYS
    assert received["status"] == "declined" and received["source"] == "webhook"
    assert received["reached_at"] == "2025-05-16T10:48:34+00:00" and received["reason"] == "wrong salary"
    assert received["signers"] == polled["signers"] and received["environment"] == "live"
    assert "secret" not in json.dumps(received)
    # An expired document's moment is not in the lists: unknown rather than a wrong time.
    assert document_event(LIST_ITEM, "expired")["reached_at"] is None


def test_only_status_webhooks_are_document_events() -> None:
    signed = parse_event({"event": "signed", "objectId": "Doc123", "signer": {"email": ADA}})
    with pytest.raises(SignsConfigError, match="'signed'.*completed and declined"):
        document_event_from_webhook(signed)
    with pytest.raises(SignsConfigError, match="status: 'in-progress'"):
        document_event(LIST_ITEM, "in-progress")


def test_the_asset_names_the_connection_and_the_status() -> None:
    asset = opensign_documents_asset("opensign_live", "declined")
    assert asset.uri == "opensign://opensign_live/documents/declined" and asset.name == asset.uri
    assert opensign_documents_asset().uri == "opensign://opensign_default/documents/completed"
    with pytest.raises(SignsConfigError, match="status: 'signed'"):
        opensign_documents_asset(status="signed")
    with pytest.raises(SignsConfigError, match="conn_id"):
        opensign_documents_asset("")
    from signs_provider import get_provider_info

    schemes = {s for entry in get_provider_info()["asset-uris"] for s in entry["schemes"]}
    assert "opensign" in schemes


def test_serialize_round_trips_and_bad_arguments_are_named() -> None:
    made = OpenSignDocumentEventTrigger(
        opensign_conn_id="opensign_live",
        statuses=["Expired", "completed"],
        folder_id="Fold1",
        title_contains="NDA",
    )
    classpath, kwargs = made.serialize()
    assert classpath == "signs_provider.opensign.events.OpenSignDocumentEventTrigger"
    assert kwargs == {
        "opensign_conn_id": "opensign_live",
        "statuses": ["completed", "expired"],
        "folder_id": "Fold1",
        "title_contains": "NDA",
        "poll_interval": 30.0,
        "expiry_lookback_days": 30.0,
    }
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert OpenSignDocumentEventTrigger(**kwargs).serialize() == (classpath, kwargs)
    for bad, field in (
        ({"statuses": ["signed"]}, "statuses"),
        ({"statuses": []}, "statuses"),
        ({"folder_id": "HR folder"}, "folder_id"),
        ({"title_contains": " "}, "title_contains"),
        ({"poll_interval": 0}, "poll_interval"),
        ({"opensign_conn_id": ""}, "opensign_conn_id"),
    ):
        with pytest.raises(SignsConfigError, match=field):
            OpenSignDocumentEventTrigger(**bad)


def test_watchers_of_one_connection_share_a_key_whatever_they_filter() -> None:
    a = OpenSignDocumentEventTrigger(statuses=["completed"], folder_id="Fold1")
    b = OpenSignDocumentEventTrigger(statuses=["declined"], title_contains="NDA")
    other = OpenSignDocumentEventTrigger(opensign_conn_id="opensign_live")
    assert a.shared_stream_key() == b.shared_stream_key() != other.shared_stream_key()
    assert a._state_key() != b._state_key()  # their cursors stay apart in a shared asset's store


def test_importing_the_module_loads_no_hook_nor_http_client() -> None:
    """DAG files import it at parse time, every 30 seconds."""
    import subprocess
    import sys

    code = (
        "import json, sys, airflow.sdk; before = set(sys.modules); import signs_provider.opensign.events; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(run.stdout.strip().splitlines()[-1])
    ours = {m for m in loaded if m.startswith("signs_provider")}
    assert ours <= {
        "signs_provider",
        "signs_provider.common",
        "signs_provider.common.errors",
        "signs_provider.common.times",
        "signs_provider.opensign",
        "signs_provider.opensign.events",
    }
    assert "signs_provider.opensign.events" in ours
    assert not [m for m in loaded if m.split(".")[0] in ("requests", "httpx", "urllib3")]


def test_an_asset_watcher_with_the_trigger_serialises_with_its_dag() -> None:
    """What DAG parsing does with it: the DAG is serialised with the trigger's kwargs, which the
    triggerer passes back to the class (and hashes to tell watchers apart)."""
    from airflow.sdk import DAG, AssetWatcher
    from airflow.serialization.serialized_objects import DagSerialization

    watcher = OpenSignDocumentEventTrigger(folder_id="Fold1")
    asset = opensign_documents_asset(watchers=[AssetWatcher(name="signed", trigger=watcher)])
    with DAG("archive_signed", schedule=[asset]) as dag:
        pass
    text = json.dumps(DagSerialization.to_dict(dag))
    assert '"classpath": "signs_provider.opensign.events.OpenSignDocumentEventTrigger"' in text
    classpath, kwargs = watcher.serialize()
    assert OpenSignDocumentEventTrigger.hash(classpath, kwargs) == OpenSignDocumentEventTrigger.hash(
        *OpenSignDocumentEventTrigger(**kwargs).serialize()
    )


# -- polling the emulator ---------------------------------------------------------------------------


def test_emits_each_newly_completed_document_once_and_none_from_before(gated, send, opensign) -> None:
    before = send(title="Signed last week")
    sign_all(opensign, before.document_id)
    still_open = send(title="Open")

    async def scenario() -> list[dict[str, Any]]:
        gate = gated()
        watcher = Watcher(trigger(), gate)
        await watcher.started()
        await gate.next_poll()
        assert watcher.events == []  # no flood: what was completed before the start is not new
        sign_all(opensign, still_open.document_id)
        await gate.next_poll()
        await gate.next_poll()
        await gate.next_poll()
        await watcher.stop()
        return watcher.payloads

    payloads = asyncio.run(scenario())
    assert [p["document_id"] for p in payloads] == [still_open.document_id]
    event = payloads[0]
    assert event["status"] == "completed" and event["title"] == "Open" and event["source"] == "poll"
    assert event["signers"] == [{"email": ADA, "name": "Ada Lovelace"}]
    assert event["environment"] == "sandbox" and event["reached_at"] == event["updated_at"]
    state = opensign.control.opensign_document(still_open.document_id)
    assert state["status"] == "completed"


def test_a_document_edited_after_it_was_completed_is_not_completed_again(gated, send, hook, opensign) -> None:
    """Renaming or moving a finished document puts it on top of the completed list (its updatedAt
    moves): the signatures' times tell an edit from a completion."""
    old = send(title="Signed before the watcher started")
    sign_all(opensign, old.document_id)
    opensign.control.advance_clock(hours=1)
    # Completed an hour later, still before the start: the cursor starts there, an hour above the old one.
    sign_all(opensign, send(title="Signed just before the watcher started").document_id)
    new = send(title="Signed after")

    async def scenario() -> list[dict[str, Any]]:
        gate = gated()
        watcher = Watcher(trigger(), gate)
        await watcher.started()
        hook.update_document(old.document_id, name="Signed before the watcher started (archived)")
        sign_all(opensign, new.document_id)
        await gate.next_poll()
        await gate.next_poll()
        await watcher.stop()
        return watcher.payloads

    payloads = asyncio.run(scenario())
    assert [p["document_id"] for p in payloads] == [new.document_id]
    assert payloads[0]["reached_at"] is not None


def test_a_restart_neither_repeats_nor_misses(gated, send, opensign, monkeypatch) -> None:
    # A small page, so that what finished while the triggerer was down does not fit in the first page
    # the restarted poll reads: the watcher must read further back itself.
    monkeypatch.setattr(events, "PAGE_SIZE", 2)
    docs = [send(title=f"Contract {n}") for n in range(5)]
    store = AssetStore()

    async def scenario() -> tuple[list[str], list[str]]:
        gate = gated()
        first = Watcher(trigger(store), gate)
        await first.started()
        sign_all(opensign, docs[0].document_id)
        await gate.next_poll()
        await until(lambda: len(first.events) == 1)
        await first.stop()  # the triggerer goes down
        for doc in docs[1:]:
            sign_all(opensign, doc.document_id)  # ...while these are completed
        second = Watcher(trigger(store), gated())
        await second.started()
        await second.gate.next_poll()
        await second.stop()
        return first.ids(), second.ids()

    before, after = asyncio.run(scenario())
    assert before == [docs[0].document_id]
    assert after == [d.document_id for d in docs[1:]]  # all of them, oldest first, none again
    assert store.writes >= 2


def test_without_a_state_store_the_cursor_lives_in_memory(gated, send, opensign) -> None:
    """Airflow 3.2 has no asset state store: the cursor is kept by the process (simulated absence)."""
    docs = [send(title=f"Contract {n}") for n in range(3)]

    async def scenario() -> tuple[list[str], list[str], list[str]]:
        absent = trigger(store=None)
        del absent.asset_state_store  # Airflow 3.2's BaseEventTrigger has no such attribute at all
        first = Watcher(absent, gated())
        await first.started()
        sign_all(opensign, docs[0].document_id)
        await first.gate.next_poll()
        await first.stop()
        # The trigger is rebuilt in the same triggerer process: it goes on from its cursor.
        sign_all(opensign, docs[1].document_id)
        second = Watcher(trigger(store=None), gated())
        await second.started()
        await second.stop()
        # The triggerer process restarts: memory is gone, the watcher starts from "now" again.
        events._CursorStore.memory.clear()
        sign_all(opensign, docs[2].document_id)
        third = Watcher(trigger(store=None), gated())
        await third.started()
        await third.gate.next_poll()
        await third.stop()
        return first.ids(), second.ids(), third.ids()

    first, second, third = asyncio.run(scenario())
    assert first == [docs[0].document_id]
    assert second == [docs[1].document_id]
    assert third == []  # the documented 3.2 limitation: finished while the triggerer was down


def test_declined_and_expired_on_request(gated, send, opensign) -> None:
    declined, forced, natural, completed = (
        send(title="D"),
        send(title="E1"),
        send(title="E2", options={"timeToCompleteDays": 1}),
        send(title="C"),
    )
    # The next writes happen an hour after the sends: the naturally expiring document is then listed
    # an hour below the newest item of the expired list (the forced expiry), beyond the settle window.
    opensign.control.advance_clock(hours=1)

    async def scenario() -> list[dict[str, Any]]:
        gate = gated()
        watcher = Watcher(trigger(statuses=["declined", "expired"]), gate)
        await watcher.started()
        opensign.control.decline(declined.document_id, ADA, reason="no")
        opensign.control.expire_document(forced.document_id)
        sign_all(opensign, completed.document_id)
        await gate.next_poll()
        # Expiry by the clock: OpenSign does not touch the document, so it is listed by its old
        # updatedAt, below newer items of the expired list.
        opensign.control.advance_clock(days=2)
        await gate.next_poll()
        await gate.next_poll()
        await watcher.stop()
        return watcher.payloads

    payloads = asyncio.run(scenario())
    got = {(p["document_id"], p["status"]) for p in payloads}
    assert got == {
        (declined.document_id, "declined"),
        (forced.document_id, "expired"),
        (natural.document_id, "expired"),
    }
    assert len(payloads) == 3  # once each


def test_folder_and_title_filters(gated, send, hook, opensign) -> None:
    folder = hook.create_folder("HR")["objectId"]
    in_folder = send(title="Contract in HR", options={"folderId": folder})
    elsewhere = send(title="Contract elsewhere")
    nda = send(title="Mutual NDA")

    async def scenario() -> tuple[list[str], list[str]]:
        by_folder = Watcher(trigger(folder_id=folder), gated())
        await by_folder.started()
        by_title = Watcher(trigger(title_contains="nda"), by_folder.gate)
        await until(lambda: by_folder.gate.paused >= 2)
        for doc in (in_folder, elsewhere, nda):
            sign_all(opensign, doc.document_id)
        await by_folder.gate.next_poll()
        await by_folder.gate.next_poll()
        await by_folder.stop()
        await by_title.stop()
        return by_folder.ids(), by_title.ids()

    folder_ids, title_ids = asyncio.run(scenario())
    assert folder_ids == [in_folder.document_id]
    assert title_ids == [nda.document_id]


def test_watchers_sharing_a_stream_cost_one_poll(gated, send, opensign) -> None:
    """Two watchers of one connection through Airflow's own SharedStreamManager: one poll, own events."""
    from airflow.triggers.shared_stream import SharedStreamManager

    to_complete, to_decline = send(title="Lease"), send(title="Offer")

    async def scenario() -> tuple[list[TriggerEvent], list[TriggerEvent], int]:
        gate = gated()
        manager = SharedStreamManager()
        completed = trigger(statuses=["completed"])
        declined = trigger(statuses=["declined"])
        received: dict[int, list[TriggerEvent]] = {1: [], 2: []}

        async def consume(trigger_id: int, watcher: OpenSignDocumentEventTrigger) -> None:
            stream = manager.subscribe(
                trigger_id=trigger_id, trigger=watcher, key=watcher.shared_stream_key()
            )
            async for event in watcher.filter_shared_stream(stream):
                received[trigger_id].append(event)

        opensign.control.reset_requests()
        tasks = [asyncio.create_task(consume(1, completed)), asyncio.create_task(consume(2, declined))]
        await until(lambda: gate.paused >= 1)
        sign_all(opensign, to_complete.document_id)
        opensign.control.decline(to_decline.document_id, ADA)
        await gate.next_poll()
        await until(lambda: len(received[1]) + len(received[2]) >= 2)
        requests = list_requests(opensign)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await manager.stop_all()
        return received[1], received[2], requests

    completed, declined, requests = asyncio.run(scenario())
    assert [e.payload["document_id"] for e in completed] == [to_complete.document_id]
    assert [e.payload["document_id"] for e in declined] == [to_decline.document_id]
    # Two polls, three lists each (completed, declined, expired), for both watchers together.
    assert requests == 6


@pytest.mark.parametrize("watchers", [1, 20])
def test_a_shared_poll_costs_three_requests_however_many_watchers(watchers, gated, send, opensign) -> None:
    from airflow.triggers.shared_stream import SharedStreamManager

    doc = send(title="Lease 7")

    async def scenario() -> tuple[int, int, int]:
        gate = gated()
        manager = SharedStreamManager()
        received: list[TriggerEvent] = []
        made = [
            trigger(statuses=[("completed", "declined", "expired")[n % 3]], title_contains="lease")
            for n in range(watchers)
        ]

        async def consume(trigger_id: int, watcher: OpenSignDocumentEventTrigger) -> None:
            stream = manager.subscribe(
                trigger_id=trigger_id, trigger=watcher, key=watcher.shared_stream_key()
            )
            async for event in watcher.filter_shared_stream(stream):
                received.append(event)

        tasks = [asyncio.create_task(consume(n, w)) for n, w in enumerate(made)]
        await until(lambda: gate.paused >= 1)
        sign_all(opensign, doc.document_id)
        opensign.control.reset_requests()
        await gate.next_poll()
        await until(lambda: len(received) >= 1)
        requests = list_requests(opensign)
        gets = opensign.control.count(path=r"/document/", method="GET")
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await manager.stop_all()
        return requests, gets, len(received)

    requests, gets, received = asyncio.run(scenario())
    assert requests == 3  # completed, declined, expired: one page each, for 1 watcher as for 20
    assert gets == 1  # the new completion's time, read once for all of them
    assert received == len(range(0, watchers, 3))  # each watcher of completed documents, once


@pytest.mark.parametrize("open_documents", [10, 200])
def test_a_poll_costs_the_same_however_many_documents_are_open(
    open_documents, gated, send, opensign, hook
) -> None:
    opensign.control.set_credits(plan_credits=1000)
    docs = [send(title=f"Open {n}") for n in range(open_documents)]
    for doc in docs[:3]:
        sign_all(opensign, doc.document_id)

    async def scenario() -> tuple[int, list[str]]:
        gate = gated()
        watcher = Watcher(trigger(statuses=["completed", "declined", "expired"]), gate)
        await watcher.started()
        sign_all(opensign, docs[3].document_id)
        opensign.control.reset_requests()
        await gate.next_poll()
        requests = list_requests(opensign)
        await watcher.stop()
        return requests, watcher.ids()

    requests, ids = asyncio.run(scenario())
    assert ids == [docs[3].document_id]
    assert requests == 3  # one page of each watched list, for 10 as for 200 open documents


def test_rate_limits_and_server_errors_are_retried_or_waited_out(gated, send, opensign, caplog) -> None:
    first, second = send(title="First"), send(title="Second")

    async def scenario() -> list[str]:
        gate = gated()
        watcher = Watcher(trigger(), gate)
        await watcher.started()
        sign_all(opensign, first.document_id)
        # Retried inside the poll: one 429 and one 503.
        opensign.control.add_fault("429", path=r"/documentlist/completed", times=1)
        opensign.control.add_fault("503", path=r"/documentlist/completed", times=1)
        await gate.next_poll()
        await until(lambda: len(watcher.events) == 1)
        # Failing beyond the retries: the poll is logged and skipped; the loop goes on.
        sign_all(opensign, second.document_id)
        opensign.control.add_fault("502", path=r"/documentlist/completed", times=QUICK_RETRIES.max_attempts)
        await gate.next_poll()
        assert len(watcher.events) == 1 and not watcher._task.done()
        await gate.next_poll()
        await watcher.stop()
        return watcher.ids()

    with caplog.at_level("WARNING", logger="signs_provider.opensign.events"):
        ids = asyncio.run(scenario())
    assert ids == [first.document_id, second.document_id]
    assert "could not read documentlist/completed" in caplog.text


#: (fault kind, times it fires on the completed list) -> the poll (1st or 2nd after the signature) that
#: delivers the event. Once: retried inside the poll (GETs are idempotent), except a malformed 200,
#: which is not retried: that poll is skipped. As many times as the retry policy's attempts: that
#: poll is logged and skipped, the next one delivers. Never twice, never a crash.
FAULT_MATRIX = [
    ("429", 1, 1),
    ("500", 1, 1),
    ("502", 1, 1),
    ("503", 1, 1),
    ("drop", 1, 1),
    ("lost_response", 1, 1),
    ("slow", 1, 1),
    ("malformed", 1, 2),
    ("429", QUICK_RETRIES.max_attempts, 2),
    ("503", QUICK_RETRIES.max_attempts, 2),
    ("drop", QUICK_RETRIES.max_attempts, 2),
    ("lost_response", QUICK_RETRIES.max_attempts, 2),
]


@pytest.mark.parametrize(("kind", "times", "delivered_by"), FAULT_MATRIX)
def test_fault_matrix_of_a_poll(kind, times, delivered_by, gated, send, opensign) -> None:
    doc = send(title="Faulted")

    async def scenario() -> tuple[list[int], bool]:
        gate = gated()
        watcher = Watcher(trigger(), gate)
        await watcher.started()
        sign_all(opensign, doc.document_id)
        extra = {"delay": 2.0} if kind == "slow" else {}
        opensign.control.add_fault(kind, path=r"/documentlist/completed", times=times, **extra)
        counts = []
        for _ in range(3):
            await gate.next_poll()
            counts.append(len(watcher.events))
        alive = not watcher._task.done()
        await watcher.stop()
        assert watcher.ids() == [doc.document_id]
        return counts, alive

    counts, alive = asyncio.run(scenario())
    assert alive
    assert counts.index(1) + 1 == delivered_by and counts[-1] == 1


def test_a_watcher_feeding_several_assets_keeps_its_cursor_in_each(gated, send, opensign) -> None:
    """One trigger on two assets: Airflow gives it one accessor per asset (no single get/set)."""

    class SeveralAssets:
        def __init__(self) -> None:
            self._by_name = {"a": AssetStore(), "b": AssetStore()}
            self._by_uri: dict[str, Any] = {}

        async def aget(self, key: str, default: Any = None) -> Any:
            raise ValueError("Task has 2 concrete inlets and outlets")

        async def aset(self, key: str, value: Any) -> None:
            raise ValueError("Task has 2 concrete inlets and outlets")

    store = SeveralAssets()
    doc, later = send(title="A"), send(title="B")

    async def scenario() -> tuple[list[str], list[str]]:
        first = Watcher(trigger(store), gated())
        await first.started()
        sign_all(opensign, doc.document_id)
        await first.gate.next_poll()
        await first.stop()
        store._by_name["a"].values.clear()  # one asset lost its state: the other one's is read
        sign_all(opensign, later.document_id)
        second = Watcher(trigger(store), gated())
        await second.started()
        await second.stop()
        return first.ids(), second.ids()

    first, second = asyncio.run(scenario())
    assert first == [doc.document_id] and second == [later.document_id]
    assert store._by_name["b"].writes >= 2


def test_a_stop_in_the_middle_of_a_batch_repeats_at_most_the_event_in_flight(gated, send, opensign) -> None:
    """The cursor is saved after each event is taken (when the next one is asked for): a triggerer
    that stops after taking an event may get that one event again, never the ones before it."""
    docs = [send(title=f"Contract {n}") for n in range(3)]
    store = AssetStore()

    async def scenario() -> tuple[list[str], list[str]]:
        gate = gated()
        stream = trigger(store).run()
        first_event = asyncio.create_task(stream.__anext__())
        await until(lambda: gate.paused >= 1)  # the starting point is read
        for doc in docs:
            sign_all(opensign, doc.document_id)
        gate.open()
        taken = [
            (await first_event).payload["document_id"],
            (await stream.__anext__()).payload["document_id"],
        ]
        await stream.aclose()  # stopped with the second event taken, before asking for the third
        again = Watcher(trigger(store), gated())
        await again.started()
        await again.stop()
        return taken, again.ids()

    taken, after_restart = asyncio.run(scenario())
    ids = [d.document_id for d in docs]
    assert taken == ids[:2]
    assert after_restart == ids[1:]  # the event in flight once more, then the rest; never the first
