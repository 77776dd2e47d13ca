"""The polling trigger: exact serialisation, and real polls against the emulator (GET requests only)."""

from __future__ import annotations

import asyncio
import json

from airflow.triggers.base import TriggerEvent

from signs_provider.opensign.status import DocumentState, DocumentStatus
from signs_provider.opensign.triggers import OpenSignDocumentsTrigger
from tests.opensign.conftest import signer


def _trigger(**kwargs) -> OpenSignDocumentsTrigger:
    kwargs.setdefault("poll_interval", 0.1)
    return OpenSignDocumentsTrigger(**kwargs)


def _first_event(trigger: OpenSignDocumentsTrigger) -> TriggerEvent:
    async def first() -> TriggerEvent:
        events = trigger.run()
        try:
            return await asyncio.wait_for(events.__anext__(), timeout=30)
        finally:
            await events.aclose()

    return asyncio.run(first())


def test_serialize_is_exact_and_json_primitive() -> None:
    trigger = OpenSignDocumentsTrigger(
        document_ids=("d1", "d2"),
        opensign_conn_id="opensign_live",
        poll_interval=30,
        failure_statuses=["inprogress", "Expired"],
        since="2026-01-01T00:00:00+00:00",
        known={"d1": {"document_id": "d1", "status": "completed"}},
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "signs_provider.opensign.triggers.OpenSignDocumentsTrigger"
    assert kwargs == {
        "document_ids": ["d1", "d2"],
        "opensign_conn_id": "opensign_live",
        "poll_interval": 30.0,
        "failure_statuses": ["in-progress", "expired"],
        "since": "2026-01-01T00:00:00+00:00",
        "known": {"d1": {"document_id": "d1", "status": "completed"}},
    }
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert OpenSignDocumentsTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_defaults() -> None:
    _, kwargs = OpenSignDocumentsTrigger(document_ids=["d1"]).serialize()
    assert kwargs["opensign_conn_id"] == "opensign_default"
    assert kwargs["failure_statuses"] == ["declined", "expired"] and kwargs["poll_interval"] == 60.0


def test_waits_until_signed_then_succeeds_with_gets_only(send, opensign) -> None:
    sent = [send(signer(f"P{i}", f"p{i}@example.com")).document_id for i in range(3)]
    opensign.control.sign(sent[0], "p0@example.com")
    opensign.control.reset_requests()

    async def scenario() -> tuple[bool, TriggerEvent]:
        events = _trigger(document_ids=sent).run()
        pending = asyncio.ensure_future(events.__anext__())
        await asyncio.sleep(0.5)
        still_waiting = not pending.done()
        for i in (1, 2):
            await asyncio.to_thread(opensign.control.sign, sent[i], f"p{i}@example.com")
        event = await asyncio.wait_for(pending, timeout=30)
        await events.aclose()
        return still_waiting, event

    still_waiting, event = asyncio.run(scenario())
    assert still_waiting
    assert event.payload["status"] == "success"
    assert event.payload["result"]["completed"] == sent
    assert event.payload["message"] == "all 3 document(s) finished"
    assert {r["method"] for r in opensign.control.requests()} == {"GET"}


def test_a_declined_document_fails_the_wait(send, opensign) -> None:
    sent = [send().document_id, send(signer("Grace", "grace@example.com")).document_id]
    opensign.control.decline(sent[1], "grace@example.com", reason="no")
    event = _first_event(_trigger(document_ids=sent))
    assert event.payload["status"] == "failed"
    assert (
        "1 of 2 document(s) failed" in event.payload["message"] and "is declined" in event.payload["message"]
    )
    assert event.payload["result"]["declined"] == [sent[1]]


def test_reporting_mode_succeeds_with_declined_and_expired(send, opensign) -> None:
    sent = [send().document_id for _ in range(3)]
    opensign.control.sign(sent[0], "ada@example.com")
    opensign.control.decline(sent[1], "ada@example.com")
    opensign.control.expire_document(sent[2])
    event = _first_event(_trigger(document_ids=sent, failure_statuses=[]))
    result = event.payload["result"]
    assert event.payload["status"] == "success"
    assert (result["completed"], result["declined"], result["expired"]) == ([sent[0]], [sent[1]], [sent[2]])


def test_known_terminal_documents_are_not_polled_again(send, opensign) -> None:
    open_id = send().document_id
    finished = DocumentState(document_id="OLDDOC0001", status=DocumentStatus.COMPLETED, title="old")
    opensign.control.sign(open_id, "ada@example.com")
    opensign.control.reset_requests()
    event = _first_event(
        _trigger(document_ids=["OLDDOC0001", open_id], known={"OLDDOC0001": finished.as_dict()})
    )
    assert event.payload["status"] == "success"
    assert not any("OLDDOC0001" in r["path"] for r in opensign.control.requests())


def test_an_unreadable_account_ends_with_an_error_event(opensign, monkeypatch) -> None:
    conn = json.loads(opensign.connections()["AIRFLOW_CONN_OPENSIGN_DEFAULT"])
    monkeypatch.setenv("AIRFLOW_CONN_OPENSIGN_BROKEN", json.dumps({**conn, "password": "not-a-token"}))
    event = _first_event(_trigger(document_ids=["d1"], opensign_conn_id="opensign_broken"))
    assert event.payload["status"] == "error" and "OpenSignAuthError" in event.payload["message"]
    assert "not-a-token" not in event.payload["message"]
