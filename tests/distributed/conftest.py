"""A distributed Airflow (``dev/airflow_distributed.py``, what ``make airflow-distributed`` runs), started
once for the module that asks for it and stopped with SIGINT by the last test, which checks that
nothing it started is left running."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.processes import descendants, still_running, wait_for

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "distributed"
READY_BANNER = "Distributed Airflow is ready"
# The emulator's signers sign this many seconds after a document is sent: long enough for the
# sensor to be seen deferred to the triggerer, short enough for a quick test.
AUTOPILOT_SECONDS = 20


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "distributed: starts dev/airflow_distributed.py (Celery, PostgreSQL, Redis, S3); about 4 minutes",
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class DistributedAirflow:
    process: subprocess.Popen[bytes]
    url: str
    emulator_url: str
    s3_url: str
    log: Path
    api: httpx.Client
    control: Any  # signs_emulator.client.ControlClient
    stopped: dict[str, Any] = field(default_factory=dict)

    def log_tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def s3(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.s3_url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def stop(self) -> dict[str, Any]:
        """SIGINT (what Ctrl-C sends); return the exit code and whatever is still running after it."""
        if not self.stopped:
            tracked = descendants(self.process.pid)
            self.process.send_signal(signal.SIGINT)
            code: int | None = None
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self.process.wait(timeout=120)
            leftovers = still_running(tracked)
            for line in leftovers:  # clean up before failing, so that nothing outlives the test run
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(line.split()[0]), signal.SIGKILL)
            self.stopped.update(code=code, leftovers=leftovers, tracked=len(tracked))
        return self.stopped


@pytest.fixture(scope="module")
def distributed() -> Iterator[DistributedAirflow]:
    from signs_emulator.client import ControlClient

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ports = {name: free_port() for name in ("port", "emulator", "postgres", "redis", "s3")}
    log = ARTIFACTS / "airflow_distributed.log"
    env = {
        **os.environ,
        # Only the runs a test triggers: no scheduled run may queue in front of them.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "OPENSIGN_POLL_SECONDS": "2",
    }
    argv = [sys.executable, str(REPO / "dev" / "airflow_distributed.py"), "--port", str(ports["port"])]
    argv += ["--emulator-port", str(ports["emulator"]), "--postgres-port", str(ports["postgres"])]
    argv += ["--redis-port", str(ports["redis"]), "--s3-port", str(ports["s3"])]
    argv += ["--autopilot-seconds", str(AUTOPILOT_SECONDS), "--ready-timeout", "240"]
    with log.open("w") as out:
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )

    def ready() -> bool:
        if process.poll() is not None:
            pytest.fail(
                f"dev/airflow_distributed.py exited with {process.returncode}:\n{log.read_text()[-6000:]}"
            )
        return READY_BANNER in log.read_text(errors="replace")

    try:
        wait_for("dev/airflow_distributed.py to report ready", ready, timeout=270)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=120)
        raise
    url = f"http://127.0.0.1:{ports['port']}"
    token = httpx.post(
        f"{url}/auth/token", json={"username": "admin", "password": "admin"}, timeout=30
    ).json()["access_token"]
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    emulator_url = f"http://127.0.0.1:{ports['emulator']}"
    control = ControlClient(emulator_url)
    cluster = DistributedAirflow(
        process, url, emulator_url, f"http://127.0.0.1:{ports['s3']}", log, api, control
    )
    try:
        yield cluster
    finally:
        api.close()
        control.close()
        cluster.stop()
