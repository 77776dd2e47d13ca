"""A real local Airflow 3 for the browser and real-scheduler tests, started once per session.

The fixture runs ``dev/airflow_local.py`` itself (what ``make airflow`` runs), so these tests also
prove the launcher: it must come up, serve the UI and the REST API, and leave nothing running after
Ctrl-C (SIGINT), which the fixture checks at the end of the session.

Browser tests drive Debian's Chromium (``/usr/bin/chromium``, or ``$SIGNS_CHROMIUM``) through
Playwright's Python package; no browser is downloaded. Without Chromium they skip locally and fail
in CI (``CI=true``), where ``.ci/run`` installs it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.processes import descendants, still_running, wait_for

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "ui"
CHROMIUM = os.environ.get("SIGNS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_MISSING = "install Debian's chromium (apt-get install chromium) to run the browser tests"
# Root needs --no-sandbox; the others keep Chromium from calling home on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# OpenSign's sample DAG polls this often (seconds) in the real-scheduler test.
POLL_SECONDS = 2


def _load_launcher() -> Any:
    spec = importlib.util.spec_from_file_location("airflow_local", REPO / "dev" / "airflow_local.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


launcher = _load_launcher()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalAirflow:
    """A running ``dev/airflow_local.py``: addresses, login, an API client and the emulator's control."""

    url: str
    emulator_url: str
    username: str
    password: str
    home: Path
    log: Path
    api: httpx.Client
    control: Any  # signs_emulator.client.ControlClient

    def log_tail(self, chars: int = 6000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


@contextlib.contextmanager
def running_local_airflow(
    home: Path, log: Path, env: dict[str, str], password: str
) -> Iterator[LocalAirflow]:
    """Run ``dev/airflow_local.py`` on free ports in ``home``; stop it with SIGINT and check nothing is left."""
    from signs_emulator.client import ControlClient

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port, emulator_port = free_port(), free_port()
    argv = [sys.executable, str(REPO / "dev" / "airflow_local.py"), "--home", str(home)]
    argv += ["--port", str(port), "--emulator-port", str(emulator_port), "--password", password]
    argv += ["--autopilot-seconds", "0", "--parallelism", "4", "--ready-timeout", "200"]
    started = time.monotonic()
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
            pytest.fail(f"dev/airflow_local.py exited with {process.returncode}:\n{log.read_text()[-6000:]}")
        return launcher.READY_BANNER in log.read_text(errors="replace")

    try:
        wait_for("dev/airflow_local.py to report ready", ready, timeout=240, interval=1.0)
    except BaseException:
        process.kill()
        raise
    url = f"http://127.0.0.1:{port}"
    token = httpx.post(
        f"{url}/auth/token", json={"username": launcher.USERNAME, "password": password}, timeout=30
    ).json()["access_token"]
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    emulator_url = f"http://127.0.0.1:{emulator_port}"
    control = ControlClient(emulator_url)
    print(f"\nlocal Airflow ready in {time.monotonic() - started:.0f} s at {url} (log: {log})")
    try:
        yield LocalAirflow(url, emulator_url, launcher.USERNAME, password, home, log, api, control)
    finally:
        api.close()
        control.close()
        tracked = descendants(process.pid)
        process.send_signal(signal.SIGINT)  # what Ctrl-C does
        code: int | None = None
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = process.wait(timeout=90)
        leftovers = still_running(tracked)
        for line in leftovers:  # clean up before failing, so that nothing outlives the test run
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(line.split()[0]), signal.SIGKILL)
        assert code == 0 and not leftovers, (
            f"after SIGINT the launcher exited with {code} and left running: {leftovers}\n{log.read_text()[-3000:]}"
        )


@pytest.fixture(scope="session")
def local_airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalAirflow]:
    """``dev/airflow_local.py`` on free ports in a temporary AIRFLOW_HOME, stopped with SIGINT at the end."""
    env = {
        **os.environ,
        # Only the runs a test triggers: no scheduled run may queue in front of them.
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "OPENSIGN_POLL_SECONDS": str(POLL_SECONDS),
    }
    home = tmp_path_factory.mktemp("airflow-local")
    with running_local_airflow(home, ARTIFACTS / "airflow_local.log", env, "ui-tests-password") as airflow:
        yield airflow


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (skipped locally, failed in CI, when missing)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: {CHROMIUM_MISSING}")
        pytest.skip(CHROMIUM_MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, local_airflow: LocalAirflow) -> Iterator[Any]:
    """A fresh browser tab, logged in to the local Airflow UI as the admin user."""
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    tab.goto(f"{local_airflow.url}/connections")
    tab.get_by_label("Username").fill(local_airflow.username)
    tab.get_by_label("Password").fill(local_airflow.password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url("**/connections")
    try:
        yield tab
    finally:
        context.close()
