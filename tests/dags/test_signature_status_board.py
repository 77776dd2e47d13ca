"""``airflow dags test signature_status_board`` for real: OpenSign's open documents on the office screens."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from pathlib import Path

from PIL import Image

DAG_ID = "signature_status_board"


def _send_open_documents(emulator) -> list[str]:
    """Three open documents (one half signed) and one completed, sent straight to the emulator."""
    from signs_provider.opensign.hooks import OpenSignHook
    from tests.opensign.conftest import make_pdf, signer

    saved = dict(os.environ)
    os.environ.update(emulator.connections())
    try:
        hook = OpenSignHook()
        ids = []
        for i, title in enumerate(["Offer - Ada", "NDA - Grace", "Lease - Hedy", "Invoice - Alan"]):
            people = [signer(f"Signer {i}", f"s{i}@example.com"), signer("Boss", "boss@example.com")]
            sent = hook.send_for_signature(
                make_pdf(), title=title, signers=people, options={"sendInOrder": False}
            )
            ids.append(sent.document_id)
        emulator.control.sign(ids[0], "s0@example.com")
        emulator.control.sign(ids[3], "s3@example.com")
        emulator.control.sign(ids[3], "boss@example.com")
        hook.close()
        return ids
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_the_board_of_open_documents_reaches_the_office_screens(
    dags_test, emulator, airflow_home: Path
) -> None:
    ids = _send_open_documents(emulator)
    emulator.control.reset_requests()
    dags_test(DAG_ID)

    with sqlite3.connect(airflow_home / "airflow.db") as db:
        (value,) = db.execute(
            "SELECT value FROM xcom WHERE dag_id = ? AND task_id = 'read_open_documents' AND key = 'return_value'",
            (DAG_ID,),
        ).fetchone()
    board = json.loads(value)
    assert board["open"] == 3
    assert [r["title"] for r in board["rows"]] == ["Offer - Ada", "NDA - Grace", "Lease - Hedy"]
    assert board["rows"][0] == {**board["rows"][0], "signed": ["Signer 0"], "waiting": ["Boss"]}
    # The open documents were read with one list request, then one GET per row on the board.
    opensign_reads = [r["path"] for r in emulator.control.requests(path="^/opensign/sandbox/api")]
    assert opensign_reads.count("/opensign/sandbox/api/v1.2/documentlist/inprogress") == 1
    assert len(opensign_reads) == 1 + 3 and all(ids[3] not in p for p in opensign_reads)

    # The image sits in the run's own folder, and the path and checksum the upload checked are in XCom.
    with sqlite3.connect(airflow_home / "airflow.db") as db:
        run_id, handoff = db.execute(
            "SELECT run_id, value FROM xcom WHERE dag_id = ? AND task_id = 'render_board' AND key = 'handoff' "
            "ORDER BY timestamp DESC LIMIT 1",
            (DAG_ID,),
        ).fetchone()
    handoff = json.loads(handoff)
    folder = re.sub(r"[^A-Za-z0-9._-]", "_", run_id)
    assert handoff["path"] == str(airflow_home / "signs-work" / DAG_ID / folder / "pending-signatures.png")
    assert hashlib.sha256(Path(handoff["path"]).read_bytes()).hexdigest() == handoff["sha256"]
    image = Image.open(handoff["path"])
    assert image.size == (1920, 1080)

    state = emulator.control.optisigns_state()
    playlist = next(p for p in state["playlists"] if p["name"] == "Pending signatures")
    office = [s for s in state["screens"] if "office" in (s.get("tags") or [])]
    assert office and all(s["currentPlaylistId"] == playlist["_id"] for s in office)
    asset_names = {a["_id"]: a.get("originalFileName") or a.get("name") for a in state["assets"]}
    assert [asset_names[item["_id"]] for item in playlist["assets"]] == ["Pending signatures.png"]
