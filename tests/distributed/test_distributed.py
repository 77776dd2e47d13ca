"""The three sample DAGs on a distributed Airflow: CeleryExecutor with two workers that share no disk,
PostgreSQL, Redis, the triggerer, and an S3-compatible store for the files handed between tasks.

Checks what issue 12 found broken: tasks run on both workers and still read each other's files
(through the object store), the deferred sensor resumes through the triggerer, the screens show the
image the run rendered, the signed files land in the archive in the object store, a second run of
the same day sends no document twice, and stopping leaves nothing running.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import httpx
import pytest

from tests.distributed.conftest import DistributedAirflow, wait_for

pytestmark = [pytest.mark.distributed, pytest.mark.timeout(900)]

SCREENS, BOARD, CONTRACTS = (
    "optisigns_api_data_to_screens",
    "signature_status_board",
    "opensign_send_for_signature",
)
BUCKET = "signs"


def task_instances(cluster: DistributedAirflow, dag_id: str, run_id: str) -> list[dict[str, Any]]:
    response = cluster.api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 100})
    response.raise_for_status()
    return response.json()["task_instances"]


def run_state(cluster: DistributedAirflow, dag_id: str, run_id: str) -> str:
    response = cluster.api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
    response.raise_for_status()
    return str(response.json()["state"])


def xcom(
    cluster: DistributedAirflow,
    dag_id: str,
    run_id: str,
    task_id: str,
    key: str = "return_value",
    map_index: int = -1,
) -> Any:
    response = cluster.api.get(
        f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}",
        params={"map_index": map_index},
    )
    response.raise_for_status()
    return response.json()["value"]


def trigger(cluster: DistributedAirflow, dag_id: str) -> str:
    cluster.api.patch(f"/api/v2/dags/{dag_id}", json={"is_paused": False}).raise_for_status()
    response = cluster.api.post(f"/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": {}})
    assert response.status_code == 200, response.text
    return str(response.json()["dag_run_id"])


def describe(cluster: DistributedAirflow, runs: dict[str, str]) -> str:
    lines = []
    for dag_id, run_id in runs.items():
        states = sorted(
            f"{ti['task_id']}[{ti['map_index']}]={ti['state']}@{ti['hostname']}"
            for ti in task_instances(cluster, dag_id, run_id)
        )
        lines.append(f"{dag_id} {run_id}: {states}")
    return "\n".join(lines) + f"\n--- launcher log tail ---\n{cluster.log_tail()}"


def finished(cluster: DistributedAirflow, runs: dict[str, str]) -> dict[str, str] | None:
    states = {dag_id: run_state(cluster, dag_id, run_id) for dag_id, run_id in runs.items()}
    return states if all(s in ("success", "failed") for s in states.values()) else None


def test_the_sample_dags_run_on_two_workers_that_share_no_disk(distributed: DistributedAirflow) -> None:
    cluster, control = distributed, distributed.control
    started = time.monotonic()
    runs = {dag_id: trigger(cluster, dag_id) for dag_id in (CONTRACTS, SCREENS, BOARD)}

    # The signature sensor defers: its trigger is taken by the running triggerer (no worker slot).
    def deferred_to_triggerer() -> dict[str, Any] | None:
        sensor = next(
            t
            for t in task_instances(cluster, CONTRACTS, runs[CONTRACTS])
            if t["task_id"] == "wait_for_signatures"
        )
        if sensor["state"] in ("success", "failed", "upstream_failed"):
            pytest.fail(
                f"the sensor ended {sensor['state']} before it was seen deferred\n{describe(cluster, runs)}"
            )
        job = sensor.get("triggerer_job") or {}
        taken = (
            sensor["state"] == "deferred"
            and job.get("job_type") == "TriggererJob"
            and job.get("state") == "running"
        )
        return sensor if taken else None

    sensor = wait_for(
        "the signature sensor to be deferred to the triggerer", deferred_to_triggerer, timeout=240
    )
    assert sensor["trigger"]["classpath"].startswith("signs_provider.opensign.")

    states = wait_for("the three runs to finish", lambda: finished(cluster, runs), timeout=300, interval=2.0)
    assert states == dict.fromkeys(runs, "success"), describe(cluster, runs)

    # Tasks ran on both workers, which share no disk: the files went through the object store.
    hosts = {
        ti["hostname"] for dag_id, run_id in runs.items() for ti in task_instances(cluster, dag_id, run_id)
    }
    assert {"worker-1", "worker-2"} <= hosts, describe(cluster, runs)

    # The sensor resumed in its first try: through the triggerer, not by a retry on a worker.
    resumed = next(
        t
        for t in task_instances(cluster, CONTRACTS, runs[CONTRACTS])
        if t["task_id"] == "wait_for_signatures"
    )
    assert resumed["state"] == "success" and resumed["try_number"] == 1

    s3 = cluster.s3()
    # The lobby screens show the image this run rendered, byte for byte.
    for dag_id, render, tag, playlist_name in (
        (SCREENS, "render_image", "lobby", "Lobby KPIs"),
        (BOARD, "render_board", "office", "Pending signatures"),
    ):
        handoff = xcom(cluster, dag_id, runs[dag_id], render, key="handoff")
        assert handoff["path"].startswith(f"s3://aws_default@{BUCKET}/work/{dag_id}/")
        key = handoff["path"].split(f"@{BUCKET}/", 1)[1]
        stored = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert hashlib.sha256(stored).hexdigest() == handoff["sha256"]
        asset_id = xcom(cluster, dag_id, runs[dag_id], "upload")["asset_id"]
        state = control.optisigns_state()
        playlist = next(p for p in state["playlists"] if p["name"] == playlist_name)
        assert [item["_id"] for item in playlist["assets"]] == [asset_id]
        screens = [s for s in state["screens"] if tag in (s.get("tags") or [])]
        assert screens and all(s["currentPlaylistId"] == playlist["_id"] for s in screens)
        shown = httpx.get(f"{cluster.emulator_url}/_emulator/optisigns/files/{asset_id}", timeout=30)
        shown.raise_for_status()
        assert hashlib.sha256(shown.content).hexdigest() == handoff["sha256"]

    # One document per contract, each signed, and its signed PDF and certificate in the object store.
    documents = control.opensign_state("sandbox")["documents"]
    first_sent = sorted(d for d in xcom_list(cluster, CONTRACTS, runs[CONTRACTS], "send_for_signature"))
    assert len(documents) == len(first_sent) >= 2
    assert all(d["status"] == "completed" for d in documents)
    archived = {
        obj["Key"].rsplit("/", 1)[1]
        for obj in s3.list_objects_v2(Bucket=BUCKET, Prefix="signed-archive/").get("Contents", [])
        if not obj["Key"].endswith("/.archive")  # the DAG's folder marker (see signed_documents)
    }
    expected = {f"{d['id']}-signed.pdf" for d in documents} | {
        f"{d['id']}-certificate.pdf" for d in documents
    }
    assert archived == expected

    # The same day again (as a manual run beside the scheduled one): the contracts' idempotency keys
    # find the documents already sent; nothing is sent, or paid for, twice.
    credits = control.opensign_state("sandbox")["credits"]["total_credits"]
    again = {CONTRACTS: trigger(cluster, CONTRACTS)}
    states = wait_for(
        "the second run of the day to finish", lambda: finished(cluster, again), timeout=240, interval=2.0
    )
    assert states == {CONTRACTS: "success"}, describe(cluster, again)
    assert sorted(xcom_list(cluster, CONTRACTS, again[CONTRACTS], "send_for_signature")) == first_sent
    after = control.opensign_state("sandbox")
    assert len(after["documents"]) == len(documents)
    assert after["credits"]["total_credits"] == credits
    print(
        f"\nthree sample DAGs and a second day-run on two Celery workers in {time.monotonic() - started:.0f} s"
    )


def xcom_list(cluster: DistributedAirflow, dag_id: str, run_id: str, task_id: str) -> list[str]:
    """The documents the map indexes of a mapped send task returned (a second send finds, "recovered")."""
    tis = [t for t in task_instances(cluster, dag_id, run_id) if t["task_id"] == task_id]
    return [xcom(cluster, dag_id, run_id, task_id, map_index=t["map_index"])["document_id"] for t in tis]


def test_stopping_leaves_nothing_running(distributed: DistributedAirflow) -> None:
    stopped = distributed.stop()
    assert stopped["tracked"] > 10  # PostgreSQL, Redis, the store, the emulator, Airflow and its workers
    assert stopped["code"] == 0 and stopped["leftovers"] == [], f"{stopped}\n{distributed.log_tail(3000)}"
