"""The manual's code is included from files that run: these tests run them against the emulator.

The README repeats two of them for the first screen; a test checks that it repeats them exactly.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO

SNIPPETS = REPO / "docs" / "snippets"


@pytest.fixture
def connections(emulator, monkeypatch):
    for name, value in emulator.connections().items():
        monkeypatch.setenv(name, value)
    return emulator


@pytest.fixture
def image(tmp_path: Path) -> Path:
    from PIL import Image

    path = tmp_path / "lobby.png"
    Image.new("RGB", (64, 36), "navy").save(path)
    return path


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (595, 842), "white")
    ImageDraw.Draw(page).text((60, 60), "Offer", fill="black")
    out = io.BytesIO()
    page.save(out, "PDF")
    path = tmp_path / "offer.pdf"
    path.write_bytes(out.getvalue())
    return path


def _load(name: str) -> dict:
    import runpy

    return runpy.run_path(str(SNIPPETS / name))


def _region(name: str, region: str) -> str:
    text = (SNIPPETS / name).read_text()
    start = text.index(f"# --8<-- [start:{region}]\n") + len(f"# --8<-- [start:{region}]\n")
    end = text.index(f"# --8<-- [end:{region}]")
    return textwrap.dedent(text[start:end]).strip()


def _dags_test(emulator, dag_id: str, conf: dict) -> str:
    """``airflow dags test`` of a snippet DAG against the emulator; fails with the output unless it succeeds."""
    env = {**os.environ, **emulator.connections(), "AIRFLOW__CORE__DAGS_FOLDER": str(SNIPPETS)}
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "test", dag_id, "-c", json.dumps(conf)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    output = result.stdout + result.stderr
    finished = re.search(rf"DagRun Finished: dag_id={dag_id},.*?state=(\w+)", output)
    assert result.returncode == 0 and finished and finished.group(1) == "success", output[-6000:]
    return output


def test_hook_snippets_run(connections) -> None:
    snippets = _load("hooks.py")
    me, credits = snippets["read_both_accounts"]()
    assert me["me"]["_id"] and "total_credits" in credits
    snippets["tuned_retries"]()


def test_the_emulator_test_example_passes(emulator, monkeypatch) -> None:
    _load("test_flaky_api.py")["test_my_code_survives_a_flaky_api"](emulator, monkeypatch)


def test_first_dag_shows_the_image_on_the_lobby_screens(connections, airflow_db, image: Path) -> None:
    _dags_test(connections, "docs_first_dag", {"image": str(image)})
    state = connections.control.optisigns_state()
    (asset,) = [a for a in state["assets"] if a.get("name") == "Lobby welcome.png"]
    lobby = [s for s in state["screens"] if "lobby" in s["tags"]]
    assert lobby and all(s["showing"]["asset"]["_id"] == asset["_id"] for s in lobby), lobby


def test_outlets_snippet_runs(connections, airflow_db, image: Path) -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(SNIPPETS / "optisigns_outlets.py"))
    assert [o.uri for o in bag.dags["docs_optisigns_outlets"].get_task("push").outlets] == [
        "optisigns://screens/tag/lobby"
    ]
    _dags_test(connections, "docs_optisigns_outlets", {"image": str(image)})
    assert [a for a in connections.control.optisigns_state()["assets"] if a.get("name") == "Lobby KPIs.png"]


def _sent(emulator, name: str) -> list[str]:
    """The statuses of the sandbox documents called ``name``."""
    return [d["status"] for d in emulator.control.opensign_state("sandbox")["documents"] if d["name"] == name]


def test_first_send_is_signed_and_the_sensor_resumes(connections, airflow_db, pdf: Path) -> None:
    connections.control.autopilot("sandbox", after_seconds=1)
    _dags_test(connections, "docs_first_send", {"pdf": str(pdf)})
    assert _sent(connections, "Offer") == ["completed"]


def test_bulk_send_sends_one_document_per_recipient(connections, airflow_db, pdf: Path) -> None:
    connections.control.autopilot("sandbox", after_seconds=1)
    _dags_test(connections, "docs_opensign_bulk", {"pdf": str(pdf)})
    assert _sent(connections, "Offer") == ["completed", "completed"]


def test_the_readme_repeats_the_snippets_exactly() -> None:
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    assert [b.strip() for b in blocks] == [_region("first_dag.py", "dag"), _region("first_send.py", "dag")]
