"""The wait-for-signatures sensor in poke, reschedule and deferrable mode, against the emulator."""

from __future__ import annotations

import pytest
from airflow.sdk import PokeReturnValue
from airflow.sdk.exceptions import AirflowFailException, TaskDeferred

from signs_provider.common.errors import SignsError
from signs_provider.opensign._context import document_ids_of
from signs_provider.opensign.errors import OpenSignDocumentFailedError
from signs_provider.opensign.sensors import OpenSignDocumentSensor
from signs_provider.opensign.triggers import OpenSignDocumentsTrigger
from tests.opensign.conftest import signer, task_context


def _sensor(ids, **kwargs) -> OpenSignDocumentSensor:
    return OpenSignDocumentSensor(task_id="wait", document_ids=ids, **kwargs)


def test_poke_waits_then_returns_the_summary(send, opensign) -> None:
    sent = send().document_id
    sensor = _sensor(sent, mode="reschedule", poke_interval=5)
    assert sensor.poke(task_context()) is False
    opensign.control.sign(sent, "ada@example.com")
    done = sensor.poke(task_context())
    assert isinstance(done, PokeReturnValue) and done.is_done
    assert done.xcom_value["completed"] == [sent]
    assert done.xcom_value["documents"][sent] == {"status": "completed", "title": "Contract"}


def test_a_declined_document_fails_without_retry_and_says_who_signed(send, opensign) -> None:
    sent = send(
        signer("Ada", "ada@example.com"), signer("Grace", "grace@example.com"), options={"sendInOrder": False}
    )
    opensign.control.sign(sent.document_id, "ada@example.com")
    opensign.control.decline(sent.document_id, "grace@example.com", reason="no")
    with pytest.raises(OpenSignDocumentFailedError) as failure:
        _sensor([sent]).poke(task_context())
    assert isinstance(failure.value, AirflowFailException)
    message = str(failure.value)
    assert "is declined" in message and "signed: ada@example.com; not signed: grace@example.com" in message
    assert failure.value.result["declined"] == [sent.document_id]


def test_expired_fails_too_unless_reported(send, opensign) -> None:
    sent = send().document_id
    opensign.control.expire_document(sent)
    with pytest.raises(OpenSignDocumentFailedError, match="is expired .*time to complete passed"):
        _sensor(sent).poke(task_context())
    reported = _sensor(sent, failure_statuses=()).poke(task_context())
    assert isinstance(reported, PokeReturnValue) and reported.xcom_value["expired"] == [sent]


def test_fifty_documents_cost_one_request_per_poke(send, opensign) -> None:
    sent = [send(signer(f"P{i}", f"p{i}@example.com")).document_id for i in range(50)]
    sensor = _sensor([{"document_id": i} for i in sent])
    opensign.control.reset_requests()
    assert sensor.poke(task_context()) is False
    assert sensor.poke(task_context()) is False
    assert opensign.control.count() == 2


def test_deferrable_polls_once_then_defers_with_what_it_knows(send, opensign) -> None:
    sent = [send().document_id, send(signer("Grace", "grace@example.com")).document_id]
    opensign.control.sign(sent[0], "ada@example.com")
    sensor = _sensor(sent, deferrable=True, poke_interval=7, timeout=3600)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute(task_context())
    trigger = deferred.value.trigger
    assert isinstance(trigger, OpenSignDocumentsTrigger)
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.timeout.total_seconds() == 3600
    _, kwargs = trigger.serialize()
    assert kwargs["document_ids"] == sent and kwargs["poll_interval"] == 7.0
    assert list(kwargs["known"]) == [sent[0]] and kwargs["known"][sent[0]]["status"] == "completed"
    assert kwargs["since"]


def test_deferrable_finishes_at_once_when_already_signed(send, opensign) -> None:
    sent = send().document_id
    opensign.control.sign(sent, "ada@example.com")
    assert _sensor(sent, deferrable=True).execute(task_context())["completed"] == [sent]


def test_execute_complete_turns_events_into_results_or_failures() -> None:
    sensor = _sensor("d1")
    result = {"completed": ["d1"]}
    assert sensor.execute_complete({}, {"status": "success", "message": "ok", "result": result}) == result
    with pytest.raises(OpenSignDocumentFailedError, match="1 of 1 document"):
        sensor.execute_complete(
            {}, {"status": "failed", "message": "1 of 1 document(s) failed", "result": {}}
        )
    with pytest.raises(SignsError, match="waiting for the documents failed: boom"):
        sensor.execute_complete({}, {"status": "error", "message": "boom"})
    with pytest.raises(SignsError, match="no message"):
        sensor.execute_complete({}, None)


def test_poke_mode_runs_the_standard_sensor_loop(send, opensign) -> None:
    sent = send().document_id
    opensign.control.sign(sent, "ada@example.com")
    assert _sensor(sent, mode="poke").execute(task_context())["completed"] == [sent]


def test_document_ids_in_every_shape() -> None:
    assert document_ids_of("d1") == ["d1"]
    assert document_ids_of(["d1", {"document_id": "d2"}, {"objectId": "d3"}, "d1"]) == ["d1", "d2", "d3"]
    with pytest.raises(ValueError, match="empty"):
        document_ids_of([])
    with pytest.raises(ValueError, match="not a document id"):
        document_ids_of([{"title": "x"}])
    with pytest.raises(ValueError, match="failure_statuses: 'in-progress' is not a final status"):
        _sensor("d1", failure_statuses=["in-progress"])
