"""The sample DAGs' failure alert for real: ``airflow dags test`` with OpenSign down shows the slide on the ops screens."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DAG_ID = "signature_status_board"


def _failing_run(emulator, env: dict[str, str] | None = None) -> str:
    """``airflow dags test`` of the board while OpenSign answers 500 to everything; its output."""
    emulator.control.add_fault("500", path="^/opensign", times=0)
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "test", DAG_ID],
        capture_output=True,
        text=True,
        env={**os.environ, **emulator.connections(), **(env or {})},
        timeout=600,
    )
    output = result.stdout + result.stderr
    finished = re.search(rf"DagRun Finished: dag_id={DAG_ID},.*?state=(\w+)", output)
    assert finished and finished.group(1) == "failed", output[-8000:]
    return output


def test_a_failed_task_puts_the_alert_on_the_ops_screens(airflow_db, emulator) -> None:
    ops = emulator.control.add_screens(2, tags=["ops"], name_prefix="Ops")
    output = _failing_run(emulator)

    state = emulator.control.optisigns_state()
    alerts = [a for a in state["assets"] if "airflow-alert" in (a.get("tags") or [])]
    # One failed task (read_open_documents; the others are upstream_failed): one slide.
    assert len(alerts) == 1, output[-8000:]
    (slide,) = alerts
    assert DAG_ID in slide["originalFileName"]
    for screen_id in ops:
        screen = emulator.control.screen(screen_id)
        assert (screen["currentType"], screen["currentAssetId"]) == ("ASSET", slide["_id"])
    # The office screens the DAG feeds are not used for alerts.
    office = [s for s in state["screens"] if "office" in (s.get("tags") or [])]
    assert office and all(s.get("currentAssetId") != slide["_id"] for s in office)
    assert "OptiSigns alert slide" in output


def test_the_variable_names_the_alert_screens(monkeypatch) -> None:
    """Read when the callback runs, through the context's ``var`` (as Airflow gives it), not at parse time."""
    from airflow.sdk.execution_time.context import VariableAccessor

    from _handoff import ops_screen_alert

    context = {"var": {"value": VariableAccessor(deserialize_json=False)}}
    notifier = ops_screen_alert()
    notifier.render_template_fields(context)
    assert notifier.tags == "ops"
    monkeypatch.setenv("AIRFLOW_VAR_SIGNS_OPS_SCREEN_TAG", '["noc", "ops"]')
    notifier = ops_screen_alert(minutes=5)
    notifier.render_template_fields(context)
    assert notifier.tags == '["noc", "ops"]' and notifier.minutes == 5


def test_every_sample_dag_that_works_on_a_schedule_alerts_the_ops_screens() -> None:
    from airflow.dag_processing.dagbag import DagBag

    from signs_provider.optisigns.notifications import OptiSignsNotifier

    bag = DagBag(dag_folder=str(Path(__file__).resolve().parents[2] / "dags"))
    assert not bag.import_errors
    for dag_id in ("optisigns_api_data_to_screens", "opensign_send_for_signature", "signature_status_board"):
        callbacks = {type(cb) for task in bag.dags[dag_id].tasks for cb in _callbacks(task)}
        assert callbacks == {OptiSignsNotifier}, dag_id


def _callbacks(task) -> list:
    callback = task.on_failure_callback
    return list(callback) if isinstance(callback, (list, tuple)) else [callback] if callback else []
