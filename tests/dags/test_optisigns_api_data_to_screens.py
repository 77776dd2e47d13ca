"""The sample DAG, run for real with ``airflow dags test`` against the emulator (twice: a re-run
must replace the content, not pile up assets)."""

from __future__ import annotations

import pytest

from signs_provider.optisigns.hooks import OptiSignsHook, screen_content

DAG_ID = "optisigns_api_data_to_screens"


def test_dag_file_imports_cleanly() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder="dags/optisigns_api_data_to_screens.py")
    assert bag.import_errors == {}
    dag = bag.dags[DAG_ID]
    assert [t.task_id for t in dag.topological_sort()] == [
        "fetch_data",
        "to_rows",
        "render_image",
        "upload",
        "wait_until_ready",
        "sync_playlist",
        "push_to_screens",
        "cleanup_old_assets",
    ]
    assert [o.uri for o in dag.get_task("push_to_screens").outlets] == ["optisigns://screens/tag/lobby"]
    assert dag.get_task("cleanup_old_assets").trigger_rule == "all_done"


def test_dag_file_does_not_import_http_libraries_at_parse_time() -> None:
    # A fresh interpreter: what parsing the file loads (DAG files are parsed every 30 s).
    import subprocess
    import sys

    code = (
        "import runpy, sys; runpy.run_path('dags/optisigns_api_data_to_screens.py'); "
        "print(sorted(m for m in ('requests', 'aiohttp', 'requests_toolbelt', "
        "'airflow.providers.http.operators.http') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (1234.4, "EUR", "1,234 EUR"),
        ("1234.6", None, "1,235"),
        ("n/a", "%", "n/a %"),
        (None, None, "-"),
        (True, None, "True"),
    ],
)
def test_kpi_values_may_be_numbers_or_text(value, unit, shown) -> None:
    import runpy

    value_text = runpy.run_path("dags/optisigns_api_data_to_screens.py")["value_text"]
    assert value_text(value, unit) == shown


@pytest.fixture
def optisigns(emulator, monkeypatch) -> OptiSignsHook:
    for name, value in emulator.connections().items():
        monkeypatch.setenv(name, value)
    return OptiSignsHook()


def test_data_reaches_the_lobby_screens_and_a_rerun_replaces_it(emulator, optisigns, dags_test) -> None:
    dags_test(DAG_ID)
    first = optisigns.list_assets(name="Lobby KPIs.png")
    assert len(first) == 1 and first[0]["status"] == "done"
    playlist = optisigns.find_playlist("Lobby KPIs")
    assert [item["_id"] for item in playlist["assets"]] == [first[0]["_id"]]
    assert playlist["assets"][0]["duration"] == 20
    lobby = optisigns.list_screens(tags=["lobby"])
    assert lobby and all(screen_content(s) == ("PLAYLIST", playlist["_id"]) for s in lobby)
    # One push reached every lobby screen.
    assert emulator.control.count(operation="pushToScreens") == 1

    dags_test(DAG_ID)
    second = optisigns.list_assets(name="Lobby KPIs.png")
    assert len(second) == 1 and second[0]["_id"] != first[0]["_id"]  # replaced, not added
    again = optisigns.find_playlist("Lobby KPIs")
    assert again["_id"] == playlist["_id"]
    assert [item["_id"] for item in again["assets"]] == [second[0]["_id"]]
    assert len(optisigns.list_playlists(name="Lobby KPIs")) == 1

    # The push task's outlet was emitted: a DAG scheduled on it would run.
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        events = (
            session.query(AssetEvent)
            .join(AssetModel, AssetEvent.asset_id == AssetModel.id)
            .filter(AssetModel.uri == "optisigns://screens/tag/lobby", AssetEvent.source_dag_id == DAG_ID)
            .count()
        )
    assert events >= 2
