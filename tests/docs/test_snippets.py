"""The manual's code is included from files that run: these tests run them against the emulator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SNIPPETS = REPO / "docs" / "snippets"


@pytest.fixture
def connections(emulator, monkeypatch):
    for name, value in emulator.connections().items():
        monkeypatch.setenv(name, value)
    return emulator


def _load(name: str) -> dict:
    import runpy

    return runpy.run_path(str(SNIPPETS / name))


def test_hook_snippets_run(connections) -> None:
    snippets = _load("hooks.py")
    me, credits = snippets["read_both_accounts"]()
    assert me["me"]["_id"] and "total_credits" in credits
    snippets["tuned_retries"]()


def test_first_dag_runs_and_shows_the_image_on_the_lobby_screens(
    connections, airflow_db, tmp_path: Path
) -> None:
    from PIL import Image

    image = tmp_path / "lobby.png"
    Image.new("RGB", (64, 36), "navy").save(image)
    env = {
        **os.environ,
        **connections.connections(),
        "AIRFLOW__CORE__DAGS_FOLDER": str(SNIPPETS),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "airflow",
            "dags",
            "test",
            "docs_first_dag",
            "-c",
            json.dumps({"image": str(image)}),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    output = result.stdout + result.stderr
    finished = re.search(r"DagRun Finished: dag_id=docs_first_dag,.*?state=(\w+)", output)
    assert result.returncode == 0 and finished and finished.group(1) == "success", output[-6000:]
    state = connections.control.optisigns_state()
    (asset,) = [a for a in state["assets"] if a.get("name") == "Lobby welcome.png"]
    lobby = [s for s in state["screens"] if "lobby" in s["tags"]]
    assert lobby and all(s["showing"]["asset"]["_id"] == asset["_id"] for s in lobby), lobby
