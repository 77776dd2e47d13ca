"""``airflow dags test opensign_send_for_signature`` for real, against the emulator.

The DAG knows nothing of the emulator. The people who sign are played by a thread of this test,
through the emulator's control API: the first document that appears is declined, the third expires,
every other one is signed.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DAG_ID = "opensign_send_for_signature"


class Signers(threading.Thread):
    """Acts on each new in-progress document once, in the order they appear."""

    def __init__(self, emulator) -> None:
        super().__init__(daemon=True)
        self.control = emulator.control
        self.stop = threading.Event()
        self.actions: dict[str, str] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            for document in self.control.opensign_state("sandbox")["documents"]:
                if document["id"] in self.actions or document["status"] != "in-progress":
                    continue
                action = {0: "decline", 2: "expire"}.get(len(self.actions), "sign")
                email = document["signers"][0]["email"]
                if action == "decline":
                    self.control.decline(document["id"], email, reason="The start date is wrong")
                elif action == "expire":
                    self.control.expire_document(document["id"])
                else:
                    self.control.sign(document["id"], email)
                self.actions[document["id"]] = action
            self.stop.wait(0.2)


def test_contracts_are_sent_signed_archived_and_reported(dags_test, emulator, airflow_home: Path) -> None:
    credits_before = emulator.control.opensign_state("sandbox")["credits"]["total_credits"]
    signers = Signers(emulator)
    signers.start()
    try:
        dags_test(DAG_ID, env={"OPENSIGN_POLL_SECONDS": "1"})
    finally:
        signers.stop.set()
        signers.join(timeout=5)

    documents = emulator.control.opensign_state("sandbox")["documents"]
    assert len(documents) == len(signers.actions) >= 2  # one document per contract, none twice
    assert emulator.control.opensign_state("sandbox")["credits"]["total_credits"] == credits_before - len(
        documents
    )
    by_action = {
        a: sorted(i for i, x in signers.actions.items() if x == a) for a in ("sign", "decline", "expire")
    }
    assert sorted(d["id"] for d in documents if d["status"] == "completed") == by_action["sign"]

    archive = airflow_home / "signed-archive"
    archived = sorted(p.name for p in archive.rglob("*.pdf"))
    assert archived == sorted(
        [f"{i}-signed.pdf" for i in by_action["sign"]] + [f"{i}-certificate.pdf" for i in by_action["sign"]]
    )
    assert all(p.read_bytes().startswith(b"%PDF-") for p in archive.rglob("*.pdf"))
    report = _latest_report(airflow_home)
    assert report["signed"] == len(by_action["sign"])
    assert sorted(report["declined"]) == by_action["decline"]
    assert sorted(report["expired"]) == by_action["expire"]
    assert sorted(report["problems"]) == sorted(by_action["decline"] + by_action["expire"])
    assert sorted(Path(f).name for f in report["archived_files"]) == archived
    for document_id in by_action["decline"]:
        assert "is declined" in report["problems"][document_id]
    for document_id in by_action["expire"]:
        assert "is expired" in report["problems"][document_id]

    with sqlite3.connect(airflow_home / "airflow.db") as db:
        rows = db.execute(
            "SELECT map_index, value FROM xcom WHERE dag_id = ? AND task_id = 'send_for_signature' "
            "AND key = '_link_OpenSignDocumentLink'",
            (DAG_ID,),
        ).fetchall()
    links = {json.loads(value) for _, value in rows}
    assert links == {f"{emulator.opensign_host('sandbox')}/recipientSignPdf/{d['id']}" for d in documents}


def _latest_report(airflow_home: Path) -> dict:
    """The return value of the newest run's ``report`` task, as Airflow stored it."""
    with sqlite3.connect(airflow_home / "airflow.db") as db:
        (value,) = db.execute(
            "SELECT value FROM xcom WHERE dag_id = ? AND task_id = 'report' AND key = 'return_value' "
            "ORDER BY timestamp DESC LIMIT 1",
            (DAG_ID,),
        ).fetchone()
    return json.loads(value)


class EmptyFeed:
    """An HR feed on loopback that has no new contracts today."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps({"date": "today", "contracts": []}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_day_without_contracts_succeeds_with_an_empty_report(
    dags_test, emulator, airflow_home: Path
) -> None:
    credits_before = emulator.control.opensign_state("sandbox")["credits"]["total_credits"]
    with EmptyFeed() as feed:
        connection = json.dumps({"conn_type": "http", "host": feed})
        dags_test(DAG_ID, env={"AIRFLOW_CONN_SIGNS_FEEDS": connection, "OPENSIGN_POLL_SECONDS": "1"})
    assert _latest_report(airflow_home) == {
        "signed": 0,
        "archived_files": [],
        "declined": [],
        "expired": [],
        "problems": {},
    }
    state = emulator.control.opensign_state("sandbox")
    assert state["documents"] == [] and state["credits"]["total_credits"] == credits_before
