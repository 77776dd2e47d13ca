"""The OpenSign sample DAG under the real scheduler, triggerer and LocalExecutor.

Triggered through the REST API like a user would; the test plays the signers through the
emulator's control API. While the sensor waits it must be deferred, polled by the triggerer
process, and hold no worker slot; once everyone signed, the triggerer resumes it and the run
succeeds.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.ui.conftest import POLL_SECONDS, LocalAirflow, wait_for

pytestmark = pytest.mark.real_airflow

DAG_ID = "opensign_send_for_signature"
SENSOR = "wait_for_signatures"


def task_instances(local_airflow: LocalAirflow, run_id: str, **params: Any) -> list[dict[str, Any]]:
    response = local_airflow.api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", params=params)
    response.raise_for_status()
    return response.json()["task_instances"]


def sensor(local_airflow: LocalAirflow, run_id: str) -> dict[str, Any]:
    return next(ti for ti in task_instances(local_airflow, run_id) if ti["task_id"] == SENSOR)


def run_state(local_airflow: LocalAirflow, run_id: str) -> str:
    response = local_airflow.api.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")
    response.raise_for_status()
    return str(response.json()["state"])


def describe(local_airflow: LocalAirflow, run_id: str) -> str:
    states = sorted(
        f"{ti['task_id']}[{ti['map_index']}]={ti['state']}" for ti in task_instances(local_airflow, run_id)
    )
    return f"task states: {states}\n--- launcher log tail ---\n{local_airflow.log_tail()}"


@pytest.mark.timeout(600)
def test_sensor_is_deferred_to_the_real_triggerer_and_resumed(local_airflow: LocalAirflow) -> None:
    api, control = local_airflow.api, local_airflow.control
    started = time.monotonic()
    api.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False}).raise_for_status()
    # No logical date, as the UI's Trigger button sends by default: the DAG takes its day from run_after.
    response = api.post(f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": {}})
    assert response.status_code == 200, response.text
    run_id = response.json()["dag_run_id"]

    def sensor_deferred() -> dict[str, Any] | None:
        state = run_state(local_airflow, run_id)
        if state == "failed":
            pytest.fail(f"the run failed before the sensor deferred; {describe(local_airflow, run_id)}")
        ti = sensor(local_airflow, run_id)
        return ti if ti["state"] == "deferred" else None

    ti = wait_for("the sensor to defer", sensor_deferred, timeout=300, interval=1.0)
    deferred_after = time.monotonic() - started

    # Deferred means: a trigger row, owned by a live triggerer process, and no worker slot in use.
    assert ti["trigger"] is not None and ti["trigger"]["classpath"].startswith("signs_provider.opensign.")

    def taken_by_triggerer() -> dict[str, Any] | None:
        # The triggerer claims new trigger rows on its next loop: the row can exist a moment before.
        job = sensor(local_airflow, run_id).get("triggerer_job")
        return job if job and job["job_type"] == "TriggererJob" and job["state"] == "running" else None

    wait_for("a running triggerer to take the trigger", taken_by_triggerer, timeout=120, interval=1.0)
    documents = [d for d in control.opensign_state("sandbox")["documents"] if d["status"] == "in-progress"]
    assert documents, "the DAG sent no document for signature"

    # The triggerer keeps polling OpenSign while no task instance runs anywhere.
    polls_before = control.count(path=r"^/opensign/sandbox/api/", method="GET")
    # Bounded by a generous timeout, not a fixed sleep: on a loaded 2-core CI machine the triggerer's
    # next round can come later than the poll interval.
    wait_for(
        "the triggerer to poll OpenSign again",
        lambda: control.count(path=r"^/opensign/sandbox/api/", method="GET") > polls_before,
        timeout=20 * POLL_SECONDS + 30,
        interval=1.0,
    )
    assert sensor(local_airflow, run_id)["state"] == "deferred"
    assert task_instances(local_airflow, run_id, state="running") == []
    pool = api.get("/api/v2/pools/default_pool").json()
    assert pool["running_slots"] == 0 and pool["deferred_slots"] >= 1, pool

    # The signers sign, through the emulator's control API.
    for document in documents:
        for signer in document["signers"]:
            control.sign(document["id"], signer["email"])

    def finished() -> str | None:
        state = run_state(local_airflow, run_id)
        return state if state in ("success", "failed") else None

    state = wait_for("the run to finish", finished, timeout=300, interval=1.0)
    assert state == "success", describe(local_airflow, run_id)

    resumed = sensor(local_airflow, run_id)
    assert resumed["state"] == "success" and resumed["try_number"] == 1
    signed = {d["id"] for d in control.opensign_state("sandbox")["documents"] if d["status"] == "completed"}
    assert signed == {d["id"] for d in documents}
    archived = sorted(p.name for p in (local_airflow.home / "signed-archive").rglob("*.pdf"))
    assert archived == sorted([f"{i}-signed.pdf" for i in signed] + [f"{i}-certificate.pdf" for i in signed])
    print(
        f"\nsensor deferred {deferred_after:.0f} s after the trigger; "
        f"run succeeded {time.monotonic() - started:.0f} s after the trigger"
    )
