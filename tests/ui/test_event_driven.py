"""Event-driven archiving under the real Airflow of ``make airflow``: no sensor, no schedule.

The emulator delivers its signed ``completed`` webhook to the API server's receiver (the launcher
points it there); a run of ``opensign_archive_signed`` appears with that event and archives the
document. A forged and a replayed delivery record nothing. With the webhook off, the asset's
watcher (the polling trigger in the triggerer) still starts a run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.opensign.conftest import make_pdf, signer
from tests.ui.conftest import ARTIFACTS, LocalAirflow, running_local_airflow, wait_for

pytestmark = pytest.mark.real_airflow

DAG_ID = "opensign_archive_signed"
CONN_ID = "opensign_default"
ASSET_URI = f"opensign://{CONN_ID}/documents/completed"
POLL_SECONDS = 2  # how often the asset's watcher lists the completed documents


@pytest.fixture(scope="module")
def event_airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAirflow]:
    """``dev/airflow_local.py`` as ``make airflow`` runs it, for this module only.

    Not the session's ``local_airflow``: that one runs with ``[scheduler] use_job_schedule`` off
    (so that no scheduled run queues in front of the runs its tests trigger), and with it off the
    scheduler creates no asset-triggered run either, which is what this module tests. Its sample
    DAGs stay paused but the one tested here, so nothing else is scheduled.
    """
    env = {**os.environ, "OPENSIGN_POLL_SECONDS": str(POLL_SECONDS)}
    env.pop("AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE", None)
    home = tmp_path_factory.mktemp("airflow-events")
    with running_local_airflow(
        home, ARTIFACTS / "airflow_events.log", env, "event-tests-password"
    ) as airflow:
        yield airflow


def _signed_document(hook: Any, control: Any, title: str) -> str:
    document_id = hook.send_for_signature(
        make_pdf(text=title), title=title, signers=[signer("Ada Lovelace", "ada@example.com")]
    ).document_id
    control.sign(document_id, "ada@example.com")
    return str(document_id)


def _events(local_airflow: LocalAirflow, document_id: str) -> list[dict[str, Any]]:
    """The asset events of the completed-documents asset whose payload names ``document_id``."""
    api = local_airflow.api
    [asset] = api.get("/api/v2/assets", params={"uri_pattern": ASSET_URI}).json()["assets"]
    events = api.get(
        "/api/v2/assets/events", params={"asset_id": asset["id"], "limit": 100, "order_by": "-timestamp"}
    ).json()["asset_events"]
    return [
        e for e in events if ((e.get("extra") or {}).get("payload") or {}).get("document_id") == document_id
    ]


def _run_for(local_airflow: LocalAirflow, document_id: str, source: str) -> dict[str, Any] | None:
    """A finished run of the DAG that consumed an event of ``document_id`` from ``source``."""
    api = local_airflow.api
    runs = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns", params={"limit": 100}).json()["dag_runs"]
    for run in runs:
        if not run.get("start_date"):
            # Airflow 3.3.2 answers upstreamAssetEvents of a run that has not started with a 500 (its
            # response model requires the created runs' start_date) and drops the connection.
            continue
        consumed = api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}/upstreamAssetEvents").json()
        for event in consumed["asset_events"]:
            payload = (event.get("extra") or {}).get("payload") or {}
            if payload.get("document_id") == document_id and payload.get("source") == source:
                if run["state"] == "failed":
                    pytest.fail(f"run {run['dag_run_id']} failed\n{local_airflow.log_tail()}")
                return run if run["state"] == "success" else None
    return None


def _archived(local_airflow: LocalAirflow, document_id: str) -> list[str]:
    return sorted(p.name for p in (local_airflow.home / "signed-archive").rglob(f"{document_id}-*.pdf"))


@pytest.mark.timeout(600)
def test_a_signature_runs_the_archive_dag_and_forgeries_do_not(
    event_airflow: LocalAirflow, monkeypatch
) -> None:
    local_airflow = event_airflow
    from signs_emulator.credentials import airflow_connections
    from signs_provider.opensign.hooks import OpenSignHook
    from signs_provider.opensign.receiver import webhook_path

    api, control = local_airflow.api, local_airflow.control
    for name, value in airflow_connections(local_airflow.emulator_url).items():
        monkeypatch.setenv(name, value)
    hook = OpenSignHook()
    receiver_url = local_airflow.url + webhook_path(CONN_ID)
    # The launcher pointed the emulator's webhook at the receiver.
    assert control._call("GET", "/opensign/sandbox/webhook")["url"] == receiver_url
    started = time.monotonic()
    api.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
    try:
        # 1. Webhook on: the signature becomes an asset event, then a run that archives the document.
        first = _signed_document(hook, control, "Event-driven contract")
        [delivery] = wait_for(
            "the completed delivery",
            lambda: [
                d
                for d in control.webhook_deliveries("sandbox", event="completed", document_id=first)
                if d["status"] != "pending"
            ],
            timeout=30,
        )
        assert delivery["http_status"] == 201, delivery
        run = wait_for(
            "a run for the webhook event",
            lambda: _run_for(local_airflow, first, "webhook"),
            timeout=240,
            interval=1.0,
        )
        webhook_seconds = time.monotonic() - started
        assert run["run_type"] == "asset_triggered"
        assert _archived(local_airflow, first) == [f"{first}-certificate.pdf", f"{first}-signed.pdf"]

        # 2. A replay of that delivery and a forged one record nothing.
        headers = {"x-webhook-signature": delivery["signature"], "content-type": "application/json"}
        replay = httpx.post(receiver_url, content=delivery["body"].encode(), headers=headers, timeout=30)
        assert replay.status_code == 409, replay.text
        forged_body = json.loads(delivery["body"])
        forged_body["objectId"] = "forgedDoc01"
        forged = httpx.post(
            receiver_url, content=json.dumps(forged_body).encode(), headers=headers, timeout=30
        )
        assert forged.status_code == 401, forged.text
        assert [e["extra"]["payload"]["source"] for e in _events(local_airflow, first)].count("webhook") == 1
        assert _events(local_airflow, "forgedDoc01") == []

        # 3. Webhook off: the asset's watcher (the polling trigger) starts the run instead. It only
        # emits documents completed after its first poll, so wait until it polls.
        control._call("PUT", "/opensign/sandbox/webhook", {"url": ""})
        polls = control.count(path=r"^/opensign/sandbox/api/.*documentlist", method="GET")
        wait_for(
            "the watcher to poll OpenSign",
            lambda: control.count(path=r"^/opensign/sandbox/api/.*documentlist", method="GET") > polls + 1,
            timeout=180,
            interval=1.0,
        )
        second = _signed_document(hook, control, "Polled contract")
        wait_for(
            "a run for the polled event",
            lambda: _run_for(local_airflow, second, "poll"),
            timeout=180,
            interval=1.0,
        )
        assert control.webhook_deliveries("sandbox", document_id=second) == []
        assert _archived(local_airflow, second) == [f"{second}-certificate.pdf", f"{second}-signed.pdf"]
        print(
            f"\nwebhook: archived {webhook_seconds:.0f} s after unpausing; "
            f"whole test {time.monotonic() - started:.0f} s"
        )
    finally:
        api.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": True})
