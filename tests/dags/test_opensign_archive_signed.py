"""``opensign_archive_signed``: a run started by a real asset event archives that document.

The event is the emulator's real ``completed`` delivery, posted to the webhook receiver app (with a
real metadata DB in which the sample DAGs are parsed, so the asset exists). The run is ``dag.test()``
(the real task runner, mapping, XCom) given that event as its triggering event, as the scheduler
gives it to an asset-triggered run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.opensign.conftest import make_pdf, signer

DAG_ID = "opensign_archive_signed"
CONN_ID = "opensign_default"
DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture
def opensign(emulator, monkeypatch):
    """The emulator, its connections in the environment, ``opensign_default`` with its webhook secret."""
    secret = emulator.control._call("GET", "/opensign/sandbox/webhook")["secret"]
    for name, value in emulator.connections().items():
        monkeypatch.setenv(name, value)
    conn = json.loads(emulator.connections()["AIRFLOW_CONN_OPENSIGN_DEFAULT"])
    conn["extra"]["webhook_secret"] = secret
    monkeypatch.setenv("AIRFLOW_CONN_OPENSIGN_DEFAULT", json.dumps(conn))
    return emulator


@pytest.fixture(autouse=True)
def no_asset_events(airflow_db) -> None:
    """The emulator's reset gives the same document ids again: forget the events of earlier tests."""
    from airflow.models.asset import AssetDagRunQueue, AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(AssetDagRunQueue))
        session.execute(delete(AssetEvent))


@pytest.fixture(scope="module")
def sample_dags(airflow_db):
    """The sample DAGs parsed into the metadata DB, as the DAG processor does."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db

    DagBundlesManager().sync_bundles_to_db()
    bag = BundleDagBag(dag_folder=str(DAGS), bundle_path=DAGS, bundle_name="dags-folder")
    assert not bag.import_errors, bag.import_errors
    sync_bag_to_db(bag, "dags-folder", None)
    return bag


def _completed_delivery(opensign, title: str) -> tuple[str, dict[str, Any]]:
    """Send and sign a document with the emulator's webhook on; its recorded ``completed`` delivery."""
    from signs_provider.opensign.hooks import OpenSignHook

    hook = OpenSignHook()
    # Nothing listens there: the delivery fails, but the emulator keeps its body and signature.
    hook.set_webhook("http://127.0.0.1:9/unused")
    document_id = hook.send_for_signature(
        make_pdf(text=title), title=title, signers=[signer("Ada Lovelace", "ada@example.com")]
    ).document_id
    opensign.control.sign(document_id, "ada@example.com")
    deadline = time.monotonic() + 30
    while True:
        found = opensign.control.webhook_deliveries("sandbox", event="completed", document_id=document_id)
        if found and found[0]["status"] != "pending":
            return document_id, found[0]
        assert time.monotonic() < deadline, "no completed delivery"
        time.sleep(0.05)


def _post_to_receiver(delivery: dict[str, Any]) -> dict[str, Any]:
    from starlette.testclient import TestClient

    from signs_provider.opensign import receiver

    with TestClient(receiver.app) as client:
        answer = client.post(
            f"/opensign/{CONN_ID}/webhook",
            content=delivery["body"].encode(),
            headers={"x-webhook-signature": delivery["signature"]},
        )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _run_with_events(dag: Any, event_ids: list[int], **run_conf: Any) -> Any:
    """``dag.test()``, its run consuming the given asset events (what the scheduler does for an
    asset-triggered run; ``dag.test()`` makes manual runs, which consume none)."""
    from unittest import mock

    from airflow.models import dagrun as dagrun_module
    from airflow.models.asset import AssetEvent

    original = dagrun_module.get_or_create_dagrun

    def with_events(*args: Any, session: Any, **kwargs: Any) -> Any:
        run = original(*args, session=session, **kwargs)
        for event_id in event_ids:
            run.consumed_asset_events.append(session.get(AssetEvent, event_id))
        session.commit()
        return run

    with mock.patch.object(dagrun_module, "get_or_create_dagrun", with_events):
        return dag.test(run_conf=run_conf)


def test_the_dag_is_scheduled_on_the_completed_documents_with_a_watcher(sample_dags) -> None:
    from airflow.sdk import Asset

    dag = sample_dags.dags[DAG_ID]
    [asset] = [a for a in dag.timetable.asset_condition.objects if isinstance(a, Asset)]
    assert asset.uri == f"opensign://{CONN_ID}/documents/completed"
    [watcher] = asset.watchers
    assert watcher.trigger.opensign_conn_id == CONN_ID
    assert list(watcher.trigger.statuses) == ["completed"]
    # No sensor, no deferral: the event is the wait.
    assert {t.task_id for t in dag.tasks} == {"documents_to_archive", "archive"}


def test_a_webhook_event_starts_a_run_that_archives_that_document(
    opensign, sample_dags, tmp_path: Path
) -> None:
    from airflow.models.dagrun import DagRun

    document_id, delivery = _completed_delivery(opensign, "Event-driven contract")
    recorded = _post_to_receiver(delivery)
    run = _run_with_events(
        sample_dags.dags[DAG_ID], [recorded["asset_event_id"]], archive_folder=str(tmp_path)
    )
    assert run.state == "success"

    files = sorted(p.name for p in tmp_path.rglob("*.pdf"))
    assert files == [f"{document_id}-certificate.pdf", f"{document_id}-signed.pdf"]
    [day] = [p.name for p in tmp_path.iterdir()]
    assert day == run.run_after.date().isoformat()  # the day the document completed (today here)
    signed = next(tmp_path.rglob("*-signed.pdf")).read_bytes()
    assert signed.startswith(b"%PDF")
    assert isinstance(run, DagRun)


def test_a_run_with_two_documents_archives_both_once(opensign, sample_dags, tmp_path: Path) -> None:
    """Two documents completed between two scheduler loops: one run gets both events, archives both."""
    first, delivery = _completed_delivery(opensign, "First")
    event_ids = [_post_to_receiver(delivery)["asset_event_id"]]
    second, delivery = _completed_delivery(opensign, "Second")
    event_ids.append(_post_to_receiver(delivery)["asset_event_id"])
    run = _run_with_events(sample_dags.dags[DAG_ID], event_ids, archive_folder=str(tmp_path))
    assert run.state == "success"
    names = sorted(p.name for p in tmp_path.rglob("*.pdf"))
    assert names == sorted(f"{d}-{kind}.pdf" for d in (first, second) for kind in ("signed", "certificate"))


def test_a_manual_run_archives_the_documents_it_is_given(opensign, sample_dags, tmp_path: Path) -> None:
    document_id, _ = _completed_delivery(opensign, "Signed before the DAG was unpaused")
    run = sample_dags.dags[DAG_ID].test(
        run_conf={"archive_folder": str(tmp_path), "document_ids": [document_id]}
    )
    assert run.state == "success"
    assert sorted(p.name for p in tmp_path.rglob("*.pdf")) == [
        f"{document_id}-certificate.pdf",
        f"{document_id}-signed.pdf",
    ]
