"""``dags/_handoff.py``: where the sample DAGs put the files one task writes for the next, and the
check that the reading task reads what the writing task wrote (locally and on an S3 store)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("_handoff", REPO / "dags" / "_handoff.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["_handoff"] = module
    spec.loader.exec_module(module)
    return module


handoff = _load()


def _context(params: dict | None = None, run_id: str = "manual__2026-12-02T04:00:00+00:00") -> dict:
    return {"params": params or {}, "dag_run": SimpleNamespace(dag_id="some_dag", run_id=run_id)}


def test_each_run_writes_under_its_own_folder_of_the_param_the_variable_or_airflow_home(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.delenv("AIRFLOW_VAR_SIGNS_WORK_FOLDER", raising=False)
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "home"))
    folder = handoff.run_folder(_context())
    assert str(folder) == f"{tmp_path}/home/signs-work/some_dag/manual__2026-12-02T04_00_00_00_00"

    monkeypatch.setenv("AIRFLOW_VAR_SIGNS_WORK_FOLDER", str(tmp_path / "variable"))
    assert str(handoff.run_folder(_context(run_id="a"))) == f"{tmp_path}/variable/some_dag/a"
    param = handoff.run_folder(_context({"work_folder": str(tmp_path / "param")}, run_id="b"))
    assert str(param) == f"{tmp_path}/param/some_dag/b"
    assert Path(str(param)).is_dir()


def test_the_reader_gets_the_file_the_writer_wrote_or_a_clear_failure(tmp_path: Path) -> None:
    from airflow.sdk import ObjectStoragePath

    written = handoff.write_file(ObjectStoragePath(str(tmp_path)), "image.png", b"first")
    handoff.check_handoff(written, written["path"], writer="render_image")  # the same file: fine

    with pytest.raises(handoff.HandoffError, match="but render_image wrote"):
        handoff.check_handoff(written, str(tmp_path / "other.png"), writer="render_image")

    (tmp_path / "image.png").write_bytes(b"another run's image")
    with pytest.raises(handoff.HandoffError, match="changed since render_image wrote it"):
        handoff.check_handoff(written, written["path"], writer="render_image")

    (tmp_path / "image.png").unlink()
    with pytest.raises(handoff.HandoffError, match="is not there.*signs_work_folder.*s3://"):
        handoff.check_handoff(written, written["path"], writer="render_image")

    with pytest.raises(handoff.HandoffError, match="left no 'handoff' XCom"):
        handoff.check_handoff(None, written["path"], writer="render_image")


def test_the_pre_execute_hook_checks_the_rendered_field_against_the_same_map_index(tmp_path: Path) -> None:
    from airflow.sdk import ObjectStoragePath

    written = handoff.write_file(ObjectStoragePath(str(tmp_path)), "3.pdf", b"%PDF-1.4 three")
    pulled = []

    class TI:
        map_index = 3

        def xcom_pull(self, **kwargs):
            pulled.append(kwargs)
            return written

    hook = handoff.checked_before_execute("build_contract", "file")
    hook({"ti": TI(), "task": SimpleNamespace(file=written["path"])})
    assert pulled == [{"task_ids": "build_contract", "key": "handoff", "map_indexes": 3}]
    (tmp_path / "3.pdf").write_bytes(b"%PDF-1.4 changed")
    with pytest.raises(handoff.HandoffError, match="changed since build_contract"):
        hook({"ti": TI(), "task": SimpleNamespace(file=written["path"])})


def test_an_s3_work_folder_works_through_the_amazon_provider(tmp_path: Path, monkeypatch) -> None:
    """``s3://`` URLs go through ObjectStoragePath to an S3-compatible store (moto's server here)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        monkeypatch.setenv(
            "AIRFLOW_CONN_AWS_DEFAULT",
            json.dumps(
                {
                    "conn_type": "aws",
                    "login": "testing",
                    "password": "testing",
                    "extra": {"region_name": "us-east-1", "endpoint_url": endpoint},
                }
            ),
        )
        import boto3

        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket="signs")
        # The connection is named in the URL: without it the Amazon provider does not read aws_default
        # but boto3's own credentials (AWS_* variables, an instance role), anonymous when there are none.
        monkeypatch.setenv("AIRFLOW_VAR_SIGNS_WORK_FOLDER", "s3://aws_default@signs/work")
        folder = handoff.run_folder(_context(run_id="scheduled__2026-12-02"))
        written = handoff.write_file(folder, "board.png", b"png bytes")
        assert written["path"] == "s3://aws_default@signs/work/some_dag/scheduled__2026-12-02/board.png"
        handoff.check_handoff(written, written["path"], writer="render_board")
    finally:
        server.stop()
