"""``airflow dags test opensign_send_for_signature`` for real, against the emulator.

The DAG knows nothing of the emulator. The people who sign are played by a thread of this test,
through the emulator's control API: the first document that appears is declined, the third expires,
every other one is signed.
"""

from __future__ import annotations

import json
import sqlite3
import threading
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
        result = dags_test(DAG_ID, env={"OPENSIGN_POLL_SECONDS": "1"})
    finally:
        signers.stop.set()
        signers.join(timeout=5)
    output = result.stdout + result.stderr

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
    for document_id in by_action["decline"] + by_action["expire"]:
        assert "Not signed: " in output and document_id in output
    assert "is declined" in output
    if by_action["expire"]:
        assert "is expired" in output

    with sqlite3.connect(airflow_home / "airflow.db") as db:
        rows = db.execute(
            "SELECT map_index, value FROM xcom WHERE dag_id = ? AND task_id = 'send_for_signature' "
            "AND key = '_link_OpenSignDocumentLink'",
            (DAG_ID,),
        ).fetchall()
    links = {json.loads(value) for _, value in rows}
    assert links == {f"{emulator.opensign_host('sandbox')}/recipientSignPdf/{d['id']}" for d in documents}
