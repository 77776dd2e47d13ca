"""The manual's code is included from files that run: these tests run them against the emulator.

The README repeats some of them; a test checks that it repeats them exactly.
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


def _dags_test(emulator, dag_id: str, conf: dict, *, state: str = "success") -> str:
    """``airflow dags test`` of a snippet DAG against the emulator; fails with the output unless it ends in ``state``."""
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
    ended = finished.group(1) if finished else None
    assert ended == state and (state != "success" or result.returncode == 0), output[-6000:]
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


def test_a_failed_task_alerts_the_ops_screens(connections, airflow_db) -> None:
    ops = connections.control.add_screens(2, tags=["ops"], name_prefix="Ops")
    _dags_test(connections, "docs_screen_alerts", {}, state="failed")
    state = connections.control.optisigns_state()
    (slide,) = [a for a in state["assets"] if "airflow-alert" in (a.get("tags") or [])]
    assert "docs_screen_alerts" in slide["originalFileName"]
    for screen_id in ops:
        screen = connections.control.screen(screen_id)
        assert (screen["currentType"], screen["currentAssetId"]) == ("ASSET", slide["_id"])


def test_event_driven_dags_parse_with_their_watchers() -> None:
    from airflow.dag_processing.dagbag import DagBag

    from signs_provider.opensign.events import OpenSignDocumentEventTrigger
    from signs_provider.optisigns.events import OptiSignsScreensStatusTrigger

    bag = DagBag(dag_folder=str(SNIPPETS / "event_driven.py"))
    assert not bag.import_errors, bag.import_errors
    snippets = _load("event_driven.py")
    assert snippets["signed"].uri == "opensign://opensign_default/documents/completed"
    assert isinstance(snippets["signed"].watchers[0].trigger, OpenSignDocumentEventTrigger)
    assert isinstance(snippets["lobby_screens"].watchers[0].trigger, OptiSignsScreensStatusTrigger)
    assert set(bag.dags) == {"docs_on_signature", "docs_lobby_screens_changed"}


def test_the_signature_watcher_emits_a_document_signed_after_its_start(
    connections, pdf: Path, monkeypatch
) -> None:
    """The snippet's trigger, polling the emulator: silent at its first poll, then the signed document."""
    import asyncio

    from signs_provider.opensign import events
    from signs_provider.opensign.hooks import OpenSignHook
    from tests.opensign.conftest import signer
    from tests.opensign.test_events import AssetStore, Gate, Watcher

    trigger = _load("event_driven.py")["signed"].watchers[0].trigger
    trigger.asset_state_store = AssetStore()
    monkeypatch.setattr(events._CursorStore, "memory", {})
    sent = OpenSignHook(opensign_conn_id="opensign_default").send_for_signature(
        pdf, title="Offer", signers=[signer("Ada Lovelace", "ada@example.com")]
    )

    async def scenario() -> list[dict]:
        gate = Gate()
        monkeypatch.setattr(events, "_pause", gate.pause)
        watcher = Watcher(trigger, gate)
        await watcher.started()
        assert watcher.events == []
        await asyncio.to_thread(connections.control.sign, sent.document_id, "ada@example.com")
        await gate.next_poll()
        await watcher.stop()
        return watcher.payloads

    (payload,) = asyncio.run(scenario())
    assert (payload["document_id"], payload["status"], payload["title"]) == (
        sent.document_id,
        "completed",
        "Offer",
    )


def test_the_screens_watcher_reports_a_lobby_screen_going_offline(connections) -> None:
    """The snippet's trigger, one poll at a time against the emulator."""
    import asyncio

    from signs_provider.optisigns.hooks import OptiSignsHook

    lobby = connections.control.add_screens(2, tags=["lobby"], name_prefix="Lobby")
    trigger = _load("event_driven.py")["lobby_screens"].watchers[0].trigger

    async def scenario() -> tuple:
        hook = OptiSignsHook(optisigns_conn_id=trigger.optisigns_conn_id)
        try:
            first, snapshot = await trigger.poll(hook, None)
            await asyncio.to_thread(connections.control.set_screen_online, lobby[0], False)
            second, _ = await trigger.poll(hook, snapshot)
        finally:
            await hook.aclose()
        return first, second

    first, second = asyncio.run(scenario())
    assert first is None
    assert second is not None and lobby[0] in second["went_offline"] and second["came_back"] == []


def test_the_readme_repeats_the_snippets_exactly() -> None:
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    assert [b.strip() for b in blocks] == [
        _region("first_dag.py", "dag"),
        _region("first_send.py", "dag"),
        _region("event_driven.py", "asset"),
        _region("screen_alerts.py", "alert"),
    ]
