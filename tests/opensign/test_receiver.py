"""The OpenSign webhook receiver on a real Airflow API server app, fed by the emulator over real HTTP.

Airflow's own API app (``create_app()``, plugins included, so the receiver is mounted where the
plugin puts it) runs under uvicorn on loopback with this session's migrated SQLite DB; the emulator's
webhook points at it. A small DAG scheduled on the connection's ``completed`` and ``declined``
assets is written to the DB as the DAG processor would, so the assets exist.
"""

from __future__ import annotations

import json
import socket
import textwrap
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.opensign.conftest import signer

CONN_ID = "opensign_default"
DAG_ID = "receiver_test_consumer"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def api_server(airflow_db) -> Iterator[str]:
    """Airflow's API server app under uvicorn on loopback, in a thread of this process."""
    import uvicorn
    from airflow.api_fastapi.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def consumer_dag(airflow_db, tmp_path_factory) -> str:
    """A DAG scheduled on the completed and declined documents of ``opensign_default``, in the DB, unpaused."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    folder = tmp_path_factory.mktemp("receiver-dags")
    (folder / f"{DAG_ID}.py").write_text(
        textwrap.dedent(
            f"""
            from airflow.sdk import dag, task
            from signs_provider.opensign.events import opensign_documents_asset

            @dag(schedule=[opensign_documents_asset({CONN_ID!r}, "completed")
                           | opensign_documents_asset({CONN_ID!r}, "declined")])
            def {DAG_ID}():
                task(lambda: None, task_id="noop")()

            {DAG_ID}()

            @dag(schedule=[opensign_documents_asset("opensign_completed_only", "completed")])
            def completed_only():
                task(lambda: None, task_id="noop")()

            completed_only()
            """
        )
    )
    DagBundlesManager().sync_bundles_to_db()
    bag = BundleDagBag(dag_folder=str(folder), bundle_path=folder, bundle_name="dags-folder")
    assert not bag.import_errors, bag.import_errors
    sync_bag_to_db(bag, "dags-folder", None)
    with create_session() as session:
        session.get(DagModel, DAG_ID).is_paused = False
    return DAG_ID


@pytest.fixture
def secret(opensign) -> str:
    return opensign.control._call("GET", "/opensign/sandbox/webhook")["secret"]


@pytest.fixture
def connection(opensign, monkeypatch, secret):
    """``opensign_default`` with the emulator's webhook secret; returns a function to change its extra."""

    def configure(conn_id: str = CONN_ID, **extra: Any) -> None:
        conn = json.loads(opensign.connections()["AIRFLOW_CONN_OPENSIGN_DEFAULT"])
        conn["extra"].update(extra)
        monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(conn))

    configure(webhook_secret=secret)
    return configure


@pytest.fixture(autouse=True)
def no_asset_events(airflow_db) -> None:
    """The emulator's reset gives the same document ids again: forget the events of earlier tests."""
    from airflow.models.asset import AssetDagRunQueue, AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    with create_session() as session:
        session.execute(delete(AssetDagRunQueue))
        session.execute(delete(AssetEvent))


@pytest.fixture
def webhook(hook, api_server, consumer_dag, connection) -> str:
    url = f"{api_server}/signs/opensign/{CONN_ID}/webhook"
    hook.set_webhook(url)
    return url


def _deliveries(emulator, document_id: str, count: int) -> list[dict]:
    deadline = time.monotonic() + 30
    while True:
        found = emulator.control.webhook_deliveries("sandbox", document_id=document_id)
        if len(found) >= count and all(d["status"] != "pending" for d in found):
            return found
        assert time.monotonic() < deadline, f"deliveries did not finish: {found}"
        time.sleep(0.05)


def _recorded(document_id: str) -> list[dict]:
    """The asset events of any asset whose payload names ``document_id``."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        rows = session.execute(
            select(AssetModel.uri, AssetEvent.extra).join(AssetModel, AssetModel.id == AssetEvent.asset_id)
        )
        return [
            {"uri": uri, **extra}
            for uri, extra in rows
            if isinstance(extra, dict) and (extra.get("payload") or {}).get("document_id") == document_id
        ]


def _queued(dag_id: str) -> int:
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return int(session.scalar(select(func.count()).where(AssetDagRunQueue.target_dag_id == dag_id)) or 0)


def _signed_document(send, opensign, *people: str) -> str:
    document_id = send(*(signer(p.title(), f"{p}@example.com") for p in people)).document_id
    for person in people:
        opensign.control.sign(document_id, f"{person}@example.com")
    return document_id


def test_a_signature_becomes_one_asset_event_with_the_trigger_payload(webhook, send, opensign) -> None:
    document_id = _signed_document(send, opensign, "ada")
    deliveries = _deliveries(opensign, document_id, 4)
    answers = {d["event"]: d["http_status"] for d in deliveries}
    # Only the terminal status is recorded; the others are acknowledged quickly.
    assert answers == {"created": 202, "viewed": 202, "signed": 202, "completed": 201}, deliveries
    [recorded] = _recorded(document_id)
    assert recorded["uri"].endswith(f"{CONN_ID}/documents/completed")
    assert recorded["from_webhook"] is True
    payload = recorded["payload"]
    assert payload["document_id"] == document_id and payload["status"] == "completed"
    assert payload["source"] == "webhook" and payload["environment"] == "sandbox"
    from signs_provider.opensign.events import EVENT_KEYS

    assert set(payload) == set(EVENT_KEYS)  # the same shape as the polling trigger's events
    assert _queued(DAG_ID) >= 1  # the scheduler will create a run of the consumer DAG


def test_a_declined_document_is_recorded_on_the_declined_asset(webhook, send, opensign) -> None:
    document_id = send(signer("Bob", "bob@example.com")).document_id
    opensign.control.decline(document_id, "bob@example.com", reason="Wrong start date")
    declined = [d for d in _deliveries(opensign, document_id, 2) if d["event"] == "declined"]
    assert declined and declined[0]["http_status"] == 201
    [recorded] = _recorded(document_id)
    assert recorded["uri"].endswith("/documents/declined")
    assert recorded["payload"]["reason"] == "Wrong start date"


def test_a_replayed_delivery_is_refused_and_records_nothing(webhook, send, opensign) -> None:
    document_id = _signed_document(send, opensign, "ada")
    [completed] = [d for d in _deliveries(opensign, document_id, 4) if d["event"] == "completed"]
    headers = {"x-webhook-signature": completed["signature"], "content-type": "application/json"}
    # Twice: the second copy reaches the receiver's DB check, not only a memory of this process.
    for _ in range(2):
        replay = httpx.post(webhook, content=completed["body"].encode(), headers=headers)
        assert replay.status_code == 409, replay.text
        assert "already recorded" in replay.json()["detail"]
    assert len(_recorded(document_id)) == 1


def test_forged_deliveries_are_refused_and_record_nothing(webhook, send, opensign) -> None:
    document_id = send(signer("Ada", "ada@example.com")).document_id
    [created] = _deliveries(opensign, document_id, 1)
    # A completed event nobody signed: the created delivery's body, edited; the real signature.
    forged = json.loads(created["body"])
    forged.update(event="completed", completedAt=forged["createdAt"], certificate="https://x/c.pdf")
    body = json.dumps(forged, separators=(",", ":")).encode()
    for headers in ({"x-webhook-signature": created["signature"]}, {}, {"x-webhook-signature": "0" * 64}):
        answer = httpx.post(webhook, content=body, headers=headers)
        assert answer.status_code == 401, answer.text
        assert CONN_ID in answer.json()["detail"]
    assert _recorded(document_id) == []


def test_oversized_bodies_are_refused_unread(webhook, secret) -> None:
    from signs_emulator.opensign.webhooks import sign_body
    from signs_provider.opensign.webhooks import MAX_WEBHOOK_BYTES

    big = b'{"event":"completed","pad":"' + b"x" * MAX_WEBHOOK_BYTES + b'"}'
    declared = httpx.post(webhook, content=big, headers={"x-webhook-signature": sign_body(secret, big)})
    assert declared.status_code == 413, declared.text

    def chunks() -> Iterator[bytes]:  # no Content-Length: the receiver counts as it reads
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    streamed = httpx.post(webhook, content=chunks(), headers={"x-webhook-signature": sign_body(secret, big)})
    assert streamed.status_code == 413, streamed.text


def test_connection_problems_are_named(api_server, consumer_dag, connection, monkeypatch) -> None:
    base = f"{api_server}/signs/opensign"
    body = b'{"event":"completed","objectId":"x"}'
    unknown = httpx.post(f"{base}/no_such_conn/webhook", content=body)
    assert unknown.status_code == 404 and "no_such_conn" in unknown.json()["detail"]

    monkeypatch.setenv("AIRFLOW_CONN_SIGNS_HTTP", json.dumps({"conn_type": "http", "host": "x"}))
    wrong_type = httpx.post(f"{base}/signs_http/webhook", content=body)
    assert wrong_type.status_code == 404 and "'http', not 'opensign'" in wrong_type.json()["detail"]

    connection("opensign_nosecret")  # no webhook_secret
    no_secret = httpx.post(f"{base}/opensign_nosecret/webhook", content=body)
    assert no_secret.status_code == 403
    assert (
        "webhook_secret" in no_secret.json()["detail"]
        and "webhook_allow_unsigned" in no_secret.json()["detail"]
    )

    get = httpx.get(f"{base}/{CONN_ID}/webhook")
    assert get.status_code == 405
    other = httpx.post(f"{api_server}/signs/elsewhere", content=body)
    assert other.status_code == 404


def test_an_unwatched_connection_is_a_404_naming_the_asset(
    api_server, consumer_dag, connection, secret
) -> None:
    from signs_emulator.opensign.webhooks import sign_body

    connection("opensign_unwatched", webhook_secret=secret)
    body = json.dumps(
        {
            "event": "completed",
            "objectId": "doc-unwatched",
            "completedAt": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
        }
    ).encode()
    answer = httpx.post(
        f"{api_server}/signs/opensign/opensign_unwatched/webhook",
        content=body,
        headers={"x-webhook-signature": sign_body(secret, body)},
    )
    assert answer.status_code == 404, answer.text
    assert "opensign://opensign_unwatched/documents/completed" in answer.json()["detail"]


def test_unsigned_deliveries_only_when_explicitly_allowed(webhook, connection, send, opensign) -> None:
    opensign.control._call("PUT", "/opensign/sandbox/webhook", {"secret": None})  # reset after the test
    connection(webhook_secret="", webhook_allow_unsigned=True)
    document_id = _signed_document(send, opensign, "ada")
    answers = {d["event"]: d["http_status"] for d in _deliveries(opensign, document_id, 4)}
    assert answers["completed"] == 201
    assert len(_recorded(document_id)) == 1


def test_the_receiver_module_imports_without_airflow_or_fastapi() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import signs_provider.opensign.receiver; "
        "print(sorted(m for m in ('airflow', 'fastapi', 'sqlalchemy', 'starlette', 'requests') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_plugin_mounts_the_receiver(api_server) -> None:
    from signs_provider.opensign import receiver
    from signs_provider.plugins import SignsProviderPlugin

    [mounted] = SignsProviderPlugin.fastapi_apps
    assert mounted["app"] is receiver.app and mounted["url_prefix"] == "/signs"
    assert receiver.webhook_path("x") == "/signs/opensign/x/webhook"


def test_the_manuals_registration_snippet_sets_the_receiver_url(opensign, monkeypatch) -> None:
    import runpy

    from tests.conftest import REPO

    for name, value in opensign.connections().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AIRFLOW_PUBLIC_URL", "http://127.0.0.1:8080")
    runpy.run_path(str(REPO / "docs" / "snippets" / "register_webhook.py"))
    webhook = opensign.control._call("GET", "/opensign/sandbox/webhook")
    assert webhook["url"] == f"http://127.0.0.1:8080/signs/opensign/{CONN_ID}/webhook"


def test_recorded_on_an_airflow_without_source_is_api(webhook, send, opensign, monkeypatch) -> None:
    """Airflow 3.2's ``register_asset_change`` has no ``source_is_api``: the receiver does not pass it."""
    from airflow.assets.manager import asset_manager

    original = asset_manager.register_asset_change
    calls: list[dict] = []

    def register(*, asset: Any, extra: Any, session: Any) -> Any:
        calls.append(extra)
        return original(asset=asset, extra=extra, session=session)

    monkeypatch.setattr(asset_manager, "register_asset_change", register)
    document_id = _signed_document(send, opensign, "ada")
    answers = {d["event"]: d["http_status"] for d in _deliveries(opensign, document_id, 4)}
    assert answers["completed"] == 201
    assert [c["payload"]["document_id"] for c in calls] == [document_id]


def test_a_status_nobody_watches_is_acknowledged_not_recorded(
    api_server, consumer_dag, connection, secret
) -> None:
    from signs_emulator.opensign.webhooks import sign_body

    connection("opensign_completed_only", webhook_secret=secret)
    now = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
    body = json.dumps({"event": "declined", "objectId": "doc-declined", "declinedAt": now}).encode()
    answer = httpx.post(
        f"{api_server}/signs/opensign/opensign_completed_only/webhook",
        content=body,
        headers={"x-webhook-signature": sign_body(secret, body)},
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["recorded"] is False
    assert "opensign://opensign_completed_only/documents/completed" in answer.json()["detail"]
    assert _recorded("doc-declined") == []
