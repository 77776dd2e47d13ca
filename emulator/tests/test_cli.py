"""``python -m signs_emulator``: banner, per-run faults, clean Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from signs_emulator.__main__ import main


def _start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str, list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "signs_emulator", "--port", "0", "--log-level", "warning", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C"):
            break
    match = re.search(r"listening on (http://\S+)", "\n".join(lines))
    assert match, lines
    url = match.group(1)
    while time.monotonic() < deadline:
        try:
            requests.get(f"{url}/_emulator/health", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.05)
    return process, url, lines


def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()


def test_cli_prints_urls_credentials_and_connections_and_exits_on_ctrl_c() -> None:
    process, url, lines = _start(
        "--fault",
        "kind=503,path=^/feeds/kpis$",
        "--asset-ready-seconds",
        "0",
        env={"SIGNS_EMULATOR_FAULTS": "kind=429,path=^/feeds/weather$"},
    )
    try:
        text = "\n".join(lines)
        assert f"{url}/optisigns/graphql" in text and f"{url}/opensign/sandbox/api/v1.2" in text
        assert "optisigns-demo-key" in text and "opensign-sandbox-token" in text
        assert "export AIRFLOW_CONN_OPTISIGNS_DEFAULT=" in text
        assert requests.get(f"{url}/feeds/kpis", timeout=5).status_code == 503
        assert requests.get(f"{url}/feeds/kpis", timeout=5).status_code == 200
        assert requests.get(f"{url}/feeds/weather", timeout=5).status_code == 429
        summary = requests.get(f"{url}/_emulator/requests", timeout=5).json()["summary"]
        assert summary["faults"] == {"503": 1, "429": 1}
    finally:
        code = _stop(process)
    assert code == 0


def test_cli_autopilot_lets_signers_act_by_themselves() -> None:
    process, url, lines = _start("--autopilot-seconds", "0.5")
    try:
        assert any(line.startswith("Signer autopilot") for line in lines)
        pilot = requests.get(f"{url}/_emulator/opensign/live/autopilot", timeout=5).json()
        assert pilot["action"] == "sign" and pilot["after_seconds"] == 0.5
    finally:
        assert _stop(process) == 0


@pytest.mark.parametrize(
    ("args", "env"),
    [
        pytest.param(("--pessimistic",), {}, id="option"),
        pytest.param((), {"SIGNS_EMULATOR_PESSIMISTIC": "1"}, id="env"),
    ],
)
def test_cli_serves_the_pessimistic_schema_on_request(args: tuple[str, ...], env: dict[str, str]) -> None:
    process, url, lines = _start(*args, env=env)
    try:
        assert any(line.startswith("OptiSigns schema: pessimistic") for line in lines)
        response = requests.post(
            f"{url}/optisigns/graphql",
            json={"query": '{ getFileUploadOptions(teamId: "1") }'},
            headers={"Authorization": "Bearer optisigns-demo-key"},
            timeout=5,
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["message"] == (
            'Unknown argument "teamId" on field "Query.getFileUploadOptions".'
        )
    finally:
        assert _stop(process) == 0


def test_cli_rejects_a_bad_fault_spec(capsys) -> None:
    assert main(["--fault", "kind=teapot"]) == 2
    assert "kind" in capsys.readouterr().err
