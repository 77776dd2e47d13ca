"""Uploads: the three steps, streaming, limits, and lost answers to saveAsset (client.uploads).

Everything runs against the emulator over loopback.
"""

from __future__ import annotations

import json

import pytest

from signs_provider.common.errors import SignsConfigError
from signs_provider.optisigns.errors import (
    OptiSignsScopeError,
)
from signs_provider.optisigns.hooks import (
    PROVIDER_TAG,
    OptiSignsHook,
    asset_state,
)
from tests.optisigns.conftest import (
    slow_hook,
)


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="counts requests: pessimistic mode adds the first one, refused in validation for a weak name",
)
def test_upload_file_three_steps_then_ready(hook, emulator, png) -> None:
    asset = hook.upload_file(png, name="Lobby slide", tags=["lobby"])
    assert asset["originalFileName"] == "Lobby slide.png"
    assert asset["status"] == "converting" and asset_state(asset) == "processing"
    assert asset["tags"] == [PROVIDER_TAG, "lobby"]
    calls = [(r["path"], r["fields"]) for r in emulator.control.requests()]
    assert calls == [
        ("/optisigns/graphql", ["getFileUploadOptions"]),
        ("/transloadit/assemblies", []),
        ("/optisigns/graphql", ["saveAsset"]),
    ]
    emulator.control.advance_clock(seconds=10)
    ready = hook.wait_for_asset_ready(asset["_id"], poll_interval=0.01)
    assert ready["status"] == "done" and asset_state(ready) == "ready"
    showing = emulator.control.optisigns_state()
    assert asset["_id"] in str(showing)


def test_upload_bytes_and_object_storage_path(hook, emulator, png) -> None:
    from airflow.sdk import ObjectStoragePath

    from_bytes = hook.upload_file(png.read_bytes(), filename="menu.png", name="Menu")
    from_store = hook.upload_file(ObjectStoragePath(f"file://{png}"))
    assert from_bytes["originalFileName"] == "Menu.png"
    assert from_store["originalFileName"] == "slide.png"
    sizes = {a["_id"]: a["fileSize"] for a in hook.list_assets(tags=[PROVIDER_TAG])}
    assert sizes[from_bytes["_id"]] == sizes[from_store["_id"]] == png.stat().st_size


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="counts requests: pessimistic mode adds the first one, refused in validation for a weak name",
)
def test_upload_does_not_send_the_api_key_to_the_upload_service(hook, emulator, png) -> None:
    hook.upload_file(png)
    # The emulator records which auth header each request carried (the name only, never the value).
    (upload,) = emulator.control.requests(path="/transloadit/assemblies")
    assert upload["auth_header"] is None
    assert upload["user_agent"].startswith("airflow-provider-signs/")
    graphql = emulator.control.requests(path="/optisigns/graphql")
    assert len(graphql) == 2 and {r["auth_header"] for r in graphql} == {"authorization"}


def test_upload_boundary_is_unique_so_any_file_content_survives(hook, emulator, png) -> None:
    # A file that contains the boundary the hook used to use for every upload.
    data = png.read_bytes() + b"\r\n--airflow-provider-signs-00000000\r\n" + b"tail" * 64
    first = hook.upload_file(data, filename="tricky.png")
    second = hook.upload_file(data, filename="tricky2.png")
    sizes = {a["_id"]: a["fileSize"] for a in hook.list_assets(tags=[PROVIDER_TAG])}
    assert sizes[first["_id"]] == sizes[second["_id"]] == len(data)


@pytest.mark.parametrize(
    ("make_source", "kwargs", "message"),
    [
        (lambda tmp: tmp / "missing.png", {}, "does not exist"),
        (lambda tmp: _write(tmp / "notes.txt", b"hello"), {}, "not a file type OptiSigns plays.*\\.png"),
        (lambda tmp: _write(tmp / "empty.png", b""), {}, "is empty"),
        (lambda tmp: b"\x89PNG....", {}, "filename: required"),
        (lambda tmp: 42, {}, "not a path"),
    ],
)
def test_bad_upload_sources_fail_before_any_request(
    hook, emulator, tmp_path, make_source, kwargs, message
) -> None:
    with pytest.raises(SignsConfigError, match=message):
        hook.upload_file(make_source(tmp_path), **kwargs)
    assert emulator.control.requests() == []


def test_file_over_the_limit_fails_before_any_request(optisigns_env, png) -> None:
    small = OptiSignsHook(max_upload_bytes=100)
    with pytest.raises(SignsConfigError, match="over the upload limit.*max_upload_mb"):
        small.upload_file(png)
    assert optisigns_env.control.requests() == []


def test_upload_limit_from_the_connection(monkeypatch, optisigns_env) -> None:
    conn = json.loads(optisigns_env.connections()["AIRFLOW_CONN_OPTISIGNS_DEFAULT"])
    conn["extra"]["max_upload_mb"] = "25"
    monkeypatch.setenv("AIRFLOW_CONN_FREE_PLAN", json.dumps(conn))
    assert OptiSignsHook(optisigns_conn_id="free_plan").max_upload_bytes == 25 * 1024 * 1024


def test_upload_with_a_read_only_key_changes_nothing(readonly_hook, emulator, png) -> None:
    before = len(readonly_hook.list_assets())
    with pytest.raises(OptiSignsScopeError, match="getFileUploadOptions"):
        readonly_hook.upload_file(png)
    assert emulator.control.count(path="/transloadit") == 0
    assert len(readonly_hook.list_assets()) == before


def test_upload_retries_the_upload_service_on_503(hook, emulator, png) -> None:
    emulator.control.add_fault("503", path="^/transloadit/assemblies$", times=2)
    asset = hook.upload_file(png)
    assert emulator.control.count(path="^/transloadit/assemblies$") == 3
    assert hook.get_asset(asset["_id"])["processId"] == asset["processId"]


def test_lost_answer_to_save_asset_leaves_exactly_one_asset(hook, emulator, png) -> None:
    emulator.control.add_fault("lost_response", operation="saveAsset")
    asset = hook.upload_file(png, name="Once")
    assert [a["_id"] for a in hook.list_assets(name="Once.png")] == [asset["_id"]]
    assert emulator.control.count(operation="saveAsset") == 1


def test_upload_streams_the_file(hook, tmp_path) -> None:
    """Memory does not grow with the file: a 16 MB upload allocates a small fraction of it."""
    import tracemalloc

    big = tmp_path / "big.mp4"
    with big.open("wb") as handle:
        handle.truncate(16 * 1024 * 1024)
    hook.test_connection()  # connect first: only the upload is measured
    tracemalloc.start()
    try:
        hook.upload_file(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The emulator (same process) is measured too; both stream in chunks.
    assert peak < 4 * 1024 * 1024, f"peak {peak / 2**20:.1f} MB for a 16 MB file"


def test_timed_out_asset_create_is_found_not_sent_twice(optisigns_env, png) -> None:
    hook = slow_hook(optisigns_env)
    # The server reads the request, stalls past the client's timeout, then creates the asset.
    optisigns_env.control.add_fault("slow", operation="saveAsset", delay=2)
    asset = hook.upload_file(png, name="Slow")
    assert [a["_id"] for a in hook.list_assets(name="Slow.png")] == [asset["_id"]]
    assert optisigns_env.control.count(operation="saveAsset") == 1


def test_upload_from_an_s3_object(hook, emulator, png, monkeypatch) -> None:
    """An S3 file object has no fileno and no getvalue: the streamed body must still know its length."""
    import json

    import boto3
    from airflow.sdk import ObjectStoragePath
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **keys)
        s3.create_bucket(Bucket="renders")
        s3.put_object(Bucket="renders", Key="lobby/kpis.png", Body=png.read_bytes())
        # A connection of its own: Airflow caches one store per protocol and connection id for the
        # process, and another test's aws_default may point at a moto server that has stopped.
        monkeypatch.setenv(
            "AIRFLOW_CONN_AWS_UPLOAD_TEST",
            json.dumps(
                {
                    "conn_type": "aws",
                    "login": "testing",
                    "password": "testing",
                    "extra": {"region_name": "us-east-1", "endpoint_url": endpoint},
                }
            ),
        )
        asset = hook.upload_file(ObjectStoragePath("s3://aws_upload_test@renders/lobby/kpis.png"))
    finally:
        server.stop()
    stored = emulator.control.optisigns_state()["assets"]
    (uploaded,) = [a for a in stored if a["_id"] == asset["_id"]]
    assert uploaded["name"] == "kpis.png"
