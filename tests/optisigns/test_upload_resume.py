"""Issue 13 part 2, the upload id: a retried upload task finishes the upload of its first try.

An OptiSigns upload is three steps (upload options, the file's POST to the upload service, then
``saveAsset`` with the upload's id). On Airflow 3.3 the upload operator records the upload id (the
Transloadit assembly id) in the task state store the moment the upload service answers, before
``saveAsset``. A try that dies after that (a worker lost, a ``saveAsset`` that failed or whose answer
was lost and not found in the landing wait) leaves its retry the upload to finish: the asset holding
that upload is looked for, and saved when there is none, without sending the file again.

Before, the retry sent the whole file again. Over real HTTP against the emulator; the worker's death
is a :class:`WorkerLost` (a ``BaseException``, like the signal that ends a task) raised by the store
right after it kept the record.
"""

from __future__ import annotations

import pytest

from signs_provider.common.errors import AmbiguousWriteError, SignsApiError
from signs_provider.common.task_state import record_key
from signs_provider.optisigns.hooks import OptiSignsHook
from signs_provider.optisigns.operators import KEY_TAG_PREFIX, OptiSignsUploadAssetOperator, marker_tag
from tests.optisigns.conftest import FAST

UPLOAD = "^/transloadit/assemblies$"
MARKER = marker_tag(KEY_TAG_PREFIX, "dag/task/scheduled__1/-1")
RECORD = record_key("optisigns-asset", MARKER)


class WorkerLost(BaseException):
    """The worker process died (not an ``Exception``: nothing in the task catches it)."""


class _TaskInstance:
    def __init__(self, try_number: int) -> None:
        self.dag_id, self.task_id, self.run_id, self.map_index = "dag", "task", "scheduled__1", -1
        self.try_number = try_number

    def xcom_push(self, key: str, value: object) -> None:
        pass


class _Store:
    """Airflow 3.3's ``context["task_state_store"]``; ``die_after_upload`` kills the try once the upload
    id is recorded (between the upload service's answer and ``saveAsset``)."""

    def __init__(self, die_after_upload: bool = False) -> None:
        self.values: dict[str, object] = {}
        self.die_after_upload = die_after_upload
        self.written: list[dict] = []

    def get(self, key: str, default: object = None) -> object:
        return self.values.get(key, default)

    def set(self, key: str, value: dict, *, retention: object = None) -> None:
        self.values[key] = value
        self.written.append(dict(value))
        if self.die_after_upload and "assembly_id" in value:
            self.die_after_upload = False
            raise WorkerLost


def run(try_number: int, store: _Store | None, source, **hook_options) -> dict:
    """One try of the upload task (a new operator, as a new worker would make)."""
    op = OptiSignsUploadAssetOperator(task_id="task", source=str(source), name="Menu")
    op.hook = OptiSignsHook(retry_policy=FAST, **hook_options)
    context = {"ti": _TaskInstance(try_number), **({"task_state_store": store} if store is not None else {})}
    return op.execute(context)


def menu_assets() -> list[dict]:
    return OptiSignsHook().list_assets(name="Menu.png")


@pytest.fixture
def big_png(tmp_path):
    """A 1 MB PNG (noise does not compress): what a retry sends again, or not."""
    import os

    from PIL import Image

    path = tmp_path / "menu.png"
    Image.frombytes("RGB", (600, 600), os.urandom(600 * 600 * 3)).save(path)
    return path


def test_a_retry_after_the_worker_died_between_upload_and_save_sends_no_file(optisigns_env, big_png) -> None:
    """Before: the retry found no asset by tag and sent the 1 MB file again (1 file POST + options)."""
    store = _Store(die_after_upload=True)
    with pytest.raises(WorkerLost):
        run(1, store, big_png)
    assert optisigns_env.control.count(path=UPLOAD) == 1
    assert optisigns_env.control.count(operation="saveAsset") == 0  # recorded before saveAsset
    (upload,) = optisigns_env.control.optisigns_state()["uploads"]

    optisigns_env.control.reset_requests()
    retry = run(2, store, big_png)
    assert optisigns_env.control.count(path=UPLOAD) == 0
    assert optisigns_env.control.count(operation="getFileUploadOptions") == 0
    assert optisigns_env.control.count(operation="saveAsset") == 1
    (asset,) = menu_assets()
    assert asset["_id"] == retry["asset_id"] and asset["processId"] == upload["assembly_id"]
    assert store.values == {RECORD: {"asset_id": retry["asset_id"], "marker": MARKER}}


def test_a_retry_after_a_failed_save_finishes_the_upload(optisigns_env, big_png) -> None:
    """``saveAsset`` answered 500 past the retries and nothing was found in the landing wait."""
    optisigns_env.control.add_fault("500", operation="saveAsset", times=20)
    with pytest.raises(AmbiguousWriteError):
        run(1, store := _Store(), big_png, landing_wait=0.5, timeout=2)
    assert menu_assets() == []
    optisigns_env.control.clear_faults()

    optisigns_env.control.reset_requests()
    retry = run(2, store, big_png)
    assert optisigns_env.control.count(path=UPLOAD) == 0
    assert [a["_id"] for a in menu_assets()] == [retry["asset_id"]]


def test_a_retry_after_a_lost_save_that_landed_uses_that_asset(optisigns_env, big_png) -> None:
    """The answer was lost and the write landed after the landing wait: found, neither sent again."""
    optisigns_env.control.add_fault("drop", operation="saveAsset", late_write=1.5)
    with pytest.raises(AmbiguousWriteError):
        run(1, store := _Store(), big_png, landing_wait=0.5, timeout=2)
    optisigns_env.control.reset_requests()
    _wait_for(lambda: len(menu_assets()) == 1)
    retry = run(2, store, big_png)
    assert optisigns_env.control.count(path=UPLOAD) == 0
    assert optisigns_env.control.count(operation="saveAsset") == 0
    assert [a["_id"] for a in menu_assets()] == [retry["asset_id"]]


def test_a_recorded_upload_the_api_refuses_is_uploaded_again(optisigns_env, big_png, capsys) -> None:
    """The upload service no longer has the file (OptiSigns refuses its id): a fresh upload, logged."""
    store = _Store()
    store.values[RECORD] = {"marker": MARKER, "assembly_id": "a" * 32}
    retry = run(2, store, big_png)
    logged = capsys.readouterr().out  # the task logger (structlog) writes to stdout here
    assert "could not be finished" in logged and "uploading the file again" in logged
    assert optisigns_env.control.count(path=UPLOAD) == 1
    assert [a["_id"] for a in menu_assets()] == [retry["asset_id"]]
    assert store.values[RECORD] == {"asset_id": retry["asset_id"], "marker": MARKER}


def test_a_retry_that_cannot_reach_optisigns_raises_and_keeps_the_record(optisigns_env, big_png) -> None:
    """A 500 (past the retries) while finishing is OptiSigns unwell, not a refusal: no fresh upload."""
    store = _Store(die_after_upload=True)
    with pytest.raises(WorkerLost):
        run(1, store, big_png)
    optisigns_env.control.reset_requests()
    optisigns_env.control.add_fault("500", path="^/optisigns/graphql$", operation="saveAsset", times=50)
    with pytest.raises(AmbiguousWriteError):
        run(2, store, big_png, landing_wait=0.5, timeout=2)
    assert optisigns_env.control.count(path=UPLOAD) == 0
    assert "assembly_id" in store.values[RECORD]  # the next retry resumes again
    optisigns_env.control.clear_faults()
    # The search by tag answers; the look for the upload's asset gets 500s past the retries.
    optisigns_env.control.add_fault("500", operation="assets", skip=1, times=50)
    with pytest.raises(SignsApiError) as raised:
        run(3, store, big_png)
    assert raised.value.status == 500
    assert optisigns_env.control.count(path=UPLOAD) == 0
    optisigns_env.control.clear_faults()
    retry = run(4, store, big_png)
    assert optisigns_env.control.count(path=UPLOAD) == 0
    assert [a["_id"] for a in menu_assets()] == [retry["asset_id"]]


def test_a_record_of_another_key_is_not_resumed(optisigns_env, big_png) -> None:
    """An upload recorded under another marker (another idempotency key) is not this task's file."""
    first = OptiSignsHook().client.uploads
    other: list[str] = []
    first.upload_file(big_png, name="Other", on_uploaded=other.append)
    store = _Store()
    store.values[RECORD] = {"marker": "airflow-key-other", "assembly_id": other[0]}
    optisigns_env.control.reset_requests()
    retry = run(2, store, big_png)
    assert optisigns_env.control.count(path=UPLOAD) == 1
    assert menu_assets()[0]["processId"] != other[0] and [a["_id"] for a in menu_assets()] == [
        retry["asset_id"]
    ]


def test_without_a_store_the_retry_uploads_the_file_again(optisigns_env, big_png) -> None:
    """Airflow 3.2: nothing recorded, so the file is sent again; still one asset."""
    optisigns_env.control.add_fault("500", operation="saveAsset", times=20)
    with pytest.raises(AmbiguousWriteError):
        run(1, None, big_png, landing_wait=0.5, timeout=2)
    optisigns_env.control.clear_faults()
    retry = run(2, None, big_png)
    assert optisigns_env.control.count(path=UPLOAD) == 2
    assert [a["_id"] for a in menu_assets()] == [retry["asset_id"]]


# -- the client ---------------------------------------------------------------------------------------


def test_on_uploaded_gets_the_id_before_save_asset_and_finish_upload_is_idempotent(
    optisigns_env, png
) -> None:
    uploads = OptiSignsHook(retry_policy=FAST).client.uploads
    seen: list[tuple[str, int]] = []

    def uploaded(assembly_id: str) -> None:
        seen.append((assembly_id, optisigns_env.control.count(operation="saveAsset")))

    asset = uploads.upload_file(png, name="Menu", tags=["menu"], on_uploaded=uploaded)
    assert seen == [(asset["processId"], 0)]
    optisigns_env.control.reset_requests()
    again = uploads.finish_upload(seen[0][0], png, name="Menu", tags=["menu"])
    assert again["_id"] == asset["_id"]
    assert optisigns_env.control.count(operation="saveAsset") == 0
    assert optisigns_env.control.count(path=UPLOAD) == 0


def test_finish_upload_refuses_an_empty_id_before_any_request(optisigns_env, png) -> None:
    from signs_provider.common.errors import SignsConfigError

    with pytest.raises(SignsConfigError, match="assembly_id"):
        OptiSignsHook().client.uploads.finish_upload(" ", png)
    assert optisigns_env.control.requests() == []


def _wait_for(check, within: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + within
    while not check() and time.monotonic() < deadline:
        time.sleep(0.2)


# -- a real Airflow run -----------------------------------------------------------------------------------

_DAG = """
import os
from datetime import datetime, timedelta

from airflow.sdk import DAG

from signs_provider.optisigns.operators import OptiSignsUploadAssetOperator

with DAG("signs_upload_resume", schedule=None, start_date=datetime(2026, 1, 1)):
    OptiSignsUploadAssetOperator(
        task_id="upload", source=os.environ["UPLOAD_SOURCE"], name="Menu", retries=1, retry_delay=timedelta(0)
    )
"""


def test_a_real_airflow_retry_finishes_the_upload_of_its_first_try(
    airflow_db, optisigns_env, big_png, tmp_path
):
    """``airflow dags test`` on Airflow 3.3 (its own task state store): try 1's saveAsset is lost (a
    dropped connection, never applied, not found in the 2 s landing wait) and the task fails; try 2
    finishes the upload. Before: try 2 sent the 1 MB file again (2 file POSTs)."""
    import json
    import os
    import re
    import subprocess
    import sys

    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "signs_upload_resume.py").write_text(_DAG)
    env = {**os.environ, **optisigns_env.connections()}
    conn = json.loads(env["AIRFLOW_CONN_OPTISIGNS_DEFAULT"])
    conn.setdefault("extra", {})["timeout"] = 1  # landing wait 2 s
    env.update(
        AIRFLOW_CONN_OPTISIGNS_DEFAULT=json.dumps(conn),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        UPLOAD_SOURCE=str(big_png),
    )
    optisigns_env.control.add_fault("drop", operation="saveAsset", times=1)
    result = subprocess.run(
        [sys.executable, "-m", "airflow", "dags", "test", "signs_upload_resume"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    output = result.stdout + result.stderr
    finished = re.search(r"DagRun Finished: dag_id=signs_upload_resume,.*?state=(\w+)", output)
    assert result.returncode == 0 and finished and finished.group(1) == "success", output[-8000:]
    assert "AmbiguousWriteError" in output  # try 1 failed as meant
    assert optisigns_env.control.count(path=UPLOAD) == 1
    assert optisigns_env.control.count(operation="saveAsset") == 2
    (asset,) = menu_assets()
    assert asset["processId"] == optisigns_env.control.optisigns_state()["uploads"][0]["assembly_id"]
