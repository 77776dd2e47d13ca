"""Test settings shared by the whole suite.

Every run gets its own AIRFLOW_HOME, so tests never touch a developer's Airflow. This module
must set it before anything imports Airflow (Airflow reads its configuration at import time).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_HOME = Path(tempfile.mkdtemp(prefix="signs-airflow-home-"))
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS"] = "True"
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")
# Fixed test-only secrets: the API server refuses to start without them.
os.environ["AIRFLOW__API_AUTH__JWT_SECRET"] = "signs-provider-tests-jwt-secret-" + "x" * 40
os.environ["AIRFLOW__API__SECRET_KEY"] = "signs-provider-tests-api-secret"


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    return _HOME


@pytest.fixture(scope="session")
def airflow_db(airflow_home: Path) -> Path:
    """A migrated SQLite metadata DB in this session's AIRFLOW_HOME (about 4 s, once)."""
    subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    return airflow_home / "airflow.db"


@pytest.fixture(scope="session")
def dags_test(airflow_db, signs_emulator):
    """Run ``airflow dags test <dag_id>`` for real, against the emulator, with a real SQLite DB.

    Returns a function ``run(dag_id, *, env=None, timeout=600) -> subprocess.CompletedProcess``
    that fails the test with the output when the run does not succeed. The connections the
    sample DAGs use come from the emulator as ``AIRFLOW_CONN_*`` variables.
    """

    def run(
        dag_id: str, *, env: dict[str, str] | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess:
        full_env = {**os.environ, **signs_emulator.connections(), **(env or {})}
        result = subprocess.run(
            [sys.executable, "-m", "airflow", "dags", "test", dag_id],
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
        )
        output = result.stdout + result.stderr
        finished = re.search(rf"DagRun Finished: dag_id={re.escape(dag_id)},.*?state=(\w+)", output)
        assert result.returncode == 0 and finished and finished.group(1) == "success", output[-8000:]
        return result

    return run


# Under `make test` the suite runs on two pytest-xdist workers (`--dist loadgroup`). The tests that
# start whole Airflows (a local one with a browser, a distributed one with Celery and PostgreSQL)
# each take most of a core: they share one group, so they run one after another on one worker
# while the other worker takes everything else.
_REAL_SERVER_MARKERS = ("real_airflow", "distributed")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(name) for name in _REAL_SERVER_MARKERS):
            item.add_marker(pytest.mark.xdist_group("real-servers"))
