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


# Under `make test` the suite runs on two pytest-xdist workers. The tests that start whole Airflows
# (tests/ui: a local one with a browser, and one for the event-driven DAG; tests/distributed: Celery,
# PostgreSQL, Redis) each take most of a core and share module- and session-wide servers: they form
# one unit that runs on one worker, one test after another, while the other worker takes everything
# else test by test. This is xdist's scheduler hook rather than `xdist_group` marks, which pytest 9.2's
# structured node ids make xdist ignore (pytest-dev/pytest-xdist#1386): the suite would then start
# each Airflow once per worker, side by side.
REAL_SERVER_TESTS = ("tests/ui/", "tests/distributed/test_distributed.py")


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class RealServersTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "real-servers" if nodeid.startswith(REAL_SERVER_TESTS) else nodeid

    return RealServersTogether(config, log)
