"""`make demo`: the sample DAGs end to end against the local emulator, with a real Airflow.

What it does, in order:

1. a fresh, project-local Airflow home (``.airflow/demo``) with a migrated SQLite metadata DB;
2. shows that Airflow discovered the provider and its two connection types;
3. starts the emulator of both APIs on loopback (port 8099 when free) and points the connections at it;
4. runs each sample DAG with ``airflow dags test`` (the real task runner, XComs, deferral);
   the emulator's signer autopilot plays the people who sign, and one of them declines;
5. event-driven, no sensor: serves Airflow's API app (with the provider's webhook receiver) on
   loopback, registers it as the account's webhook (``OpenSignHook.set_webhook``), signs a document
   in the emulator, shows the delivery recorded as an asset event that queues
   ``opensign_archive_signed``, then runs that DAG with ``dag.test()`` on that event (what the
   scheduler of ``make airflow`` does by itself within seconds);
6. prints what each screen shows, the documents and their signers, and the archived signed files.

When run from a terminal it then keeps the emulator up so that its page can be opened, until Ctrl-C.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOME = REPO / ".airflow" / "demo"
ARCHIVE = HOME / "signed-archive"
DAGS = ("optisigns_api_data_to_screens", "opensign_send_for_signature", "signature_status_board")


def step(title: str) -> None:
    print(f"\n=== {title}", flush=True)


def airflow_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        # The sample DAG checks its documents every minute by default; a demo can be quicker.
        "OPENSIGN_POLL_SECONDS": "1",
        **(extra or {}),
    }


def airflow(
    *args: str, env: dict[str, str] | None = None, log: Path | None = None
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "airflow", *args], env=env or airflow_env(), capture_output=True, text=True
    )
    if log is not None:
        log.write_text(result.stdout + result.stderr)
    return result


def free_port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            return 0


def run_dag(dag_id: str, env: dict[str, str]) -> bool:
    log = HOME / "logs" / f"demo-{dag_id}.log"
    started = time.monotonic()
    result = airflow("dags", "test", dag_id, env=env, log=log)
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    finished = re.search(rf"DagRun Finished: dag_id={re.escape(dag_id)},.*?state=(\w+)", output)
    state = "success" if result.returncode == 0 and finished and finished.group(1) == "success" else "FAILED"
    print(f"{dag_id}: {state} in {seconds:.0f}s (log: {log.relative_to(REPO)})")
    if state != "success":
        print("\n".join(output.splitlines()[-40:]))
    return state == "success"


def describe_screens(emu) -> None:
    for screen in emu.control.optisigns_state()["screens"]:
        showing = screen.get("showing") or {}
        kind = showing.get("type") or screen.get("currentType")
        if kind == "PLAYLIST" and showing.get("playlist"):
            playlist = showing["playlist"]
            items = ", ".join(item.get("name", item["_id"]) for item in playlist.get("items", []))
            what = f"playlist '{playlist.get('name')}': {items or '(empty)'}"
        elif kind == "ASSET" and showing.get("asset"):
            what = f"asset '{showing['asset'].get('name', showing['asset'].get('_id'))}'"
        else:
            what = kind or "nothing"
        tags = ",".join(screen.get("tags") or [])
        print(f"  {screen['deviceName']:<22} [{tags:<14}] {screen.get('status', ''):<7} {what}")


def describe_documents(emu) -> None:
    for doc in emu.control.opensign_state("sandbox")["documents"]:
        signers = ", ".join(f"{s['email']}={s['state']}" for s in doc.get("signers", []))
        print(f"  {doc['id']}  {doc['status']:<11} {doc['name'][:40]:<40} {signers}")


def send_unsigned_documents(emu) -> None:
    import io

    from PIL import Image

    from signs_provider.opensign.hooks import OpenSignHook

    os.environ.update(emu.connections())
    hook = OpenSignHook()
    page = io.BytesIO()
    Image.new("RGB", (612, 792), "white").save(page, "PDF")
    waiting = [("Supplier agreement", "Mina Sato"), ("Office lease renewal", "Jon Berg"), ("NDA", "Ana Ruiz")]
    for title, name in waiting:
        email = name.lower().replace(" ", ".") + "@example.com"
        widget = {"type": "signature", "page": 1, "x": 72, "y": 640, "w": 200, "h": 50}
        hook.send_for_signature(
            page.getvalue(), title=title, signers=[{"name": name, "email": email, "widgets": [widget]}]
        )
    print(f"sent {len(waiting)} more documents that nobody has signed yet")


EVENT_DAG = "opensign_archive_signed"


def event_driven(emu) -> bool:
    """Step 5, in a child process: Airflow must be imported with the demo's AIRFLOW_HOME."""
    import json

    secret = emu.control._call("GET", "/opensign/sandbox/webhook")["secret"]
    connections = emu.connections()
    conn = json.loads(connections["AIRFLOW_CONN_OPENSIGN_DEFAULT"])
    conn["extra"]["webhook_secret"] = secret  # the Webhook Security Key, copied into the connection
    connections["AIRFLOW_CONN_OPENSIGN_DEFAULT"] = json.dumps(conn)
    log = HOME / "logs" / f"demo-{EVENT_DAG}.log"
    summary = HOME / "event-driven.json"
    with log.open("w") as out:
        result = subprocess.run(
            [sys.executable, __file__, "--event-driven", emu.url, str(summary)],
            env=airflow_env(connections),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if result.returncode != 0 or not summary.exists():
        print(f"FAILED (log: {log.relative_to(REPO)})")
        print("\n".join(log.read_text(errors="replace").splitlines()[-40:]))
        return False
    report = json.loads(summary.read_text())
    print(
        f"receiver: POST {report['receiver']}  (Airflow's API app, plugin mounted; registered with set_webhook)"
    )
    print(f"signed document {report['document_id']} ('{report['title']}'); OpenSign's deliveries:")
    for delivery in report["deliveries"]:
        print(f"  {delivery['event']:<10} -> HTTP {delivery['http_status']}")
    print(
        f"asset event #{report['asset_event_id']} on {report['asset']}; queued DAGs: {', '.join(report['queued'])}"
    )
    print(f"the same delivery replayed -> HTTP {report['replay_status']} (nothing recorded)")
    print(
        f"{EVENT_DAG}: {report['state']} (a run consuming that event; tasks {', '.join(report['tasks'])}; "
        f"no sensor; log: {log.relative_to(REPO)})"
    )
    return bool(report["state"] == "success")


def _event_driven_child(emulator_url: str, summary: Path) -> int:
    """The child of :func:`event_driven`: receiver over real HTTP, then the run of its asset event."""
    import json
    import threading
    from unittest import mock

    import httpx
    import uvicorn
    from airflow.api_fastapi.app import create_app
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models import dagrun as dagrun_module
    from airflow.models.asset import AssetDagRunQueue, AssetEvent
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from PIL import Image
    from sqlalchemy import select

    from signs_emulator.client import ControlClient
    from signs_provider.opensign.hooks import OpenSignHook
    from signs_provider.opensign.receiver import webhook_path

    # The DAGs as the DAG processor writes them (the asset must exist), the archive DAG unpaused.
    DagBundlesManager().sync_bundles_to_db()
    bag = BundleDagBag(dag_folder=str(REPO / "dags"), bundle_path=REPO / "dags", bundle_name="dags-folder")
    sync_bag_to_db(bag, "dags-folder", None)
    with create_session() as session:
        session.get(DagModel, EVENT_DAG).is_paused = False

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    receiver = f"http://127.0.0.1:{port}{webhook_path('opensign_default')}"
    hook = OpenSignHook()
    hook.set_webhook(receiver)

    import io

    page = io.BytesIO()
    Image.new("RGB", (612, 792), "white").save(page, "PDF")
    title = "Event-driven contract"
    widget = {"type": "signature", "page": 1, "x": 72, "y": 640, "w": 200, "h": 50}
    sent = hook.send_for_signature(
        page.getvalue(),
        title=title,
        signers=[{"name": "Lea Moreau", "email": "lea.moreau@example.com", "widgets": [widget]}],
    )
    control = ControlClient(emulator_url)
    control.sign(sent.document_id, "lea.moreau@example.com")
    deadline = time.monotonic() + 60
    while True:
        deliveries = control.webhook_deliveries("sandbox", document_id=sent.document_id)
        if any(d["event"] == "completed" for d in deliveries) and all(
            d["status"] != "pending" for d in deliveries
        ):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"the completed delivery did not arrive: {deliveries}")
        time.sleep(0.1)
    completed = next(d for d in deliveries if d["event"] == "completed")
    replay = httpx.post(
        receiver, content=completed["body"].encode(), headers={"x-webhook-signature": completed["signature"]}
    )
    with create_session() as session:
        event = session.scalars(select(AssetEvent).order_by(AssetEvent.id.desc())).first()
        assert event is not None and event.extra["payload"]["document_id"] == sent.document_id
        event_id, asset_uri = event.id, event.asset.uri
        queued = sorted(session.scalars(select(AssetDagRunQueue.target_dag_id)))
    server.should_exit = True

    # The run the scheduler creates for the queued DAG: dag.test() makes a manual run, so the
    # event is attached to it as the scheduler attaches it to an asset-triggered run.
    original = dagrun_module.get_or_create_dagrun

    def with_event(*args, session, **kwargs):
        run = original(*args, session=session, **kwargs)
        run.consumed_asset_events.append(session.get(AssetEvent, event_id))
        session.commit()
        return run

    with mock.patch.object(dagrun_module, "get_or_create_dagrun", with_event):
        run = bag.dags[EVENT_DAG].test()
    from airflow.models.taskinstance import TaskInstance

    with create_session() as session:
        tasks = [
            f"{task_id}{'' if index < 0 else f'[{index}]'}={state}"
            for task_id, index, state in session.execute(
                select(TaskInstance.task_id, TaskInstance.map_index, TaskInstance.state).where(
                    TaskInstance.dag_id == EVENT_DAG, TaskInstance.run_id == run.run_id
                )
            )
        ]
    summary.write_text(
        json.dumps(
            {
                "receiver": receiver,
                "document_id": sent.document_id,
                "title": title,
                "deliveries": [{"event": d["event"], "http_status": d["http_status"]} for d in deliveries],
                "asset_event_id": event_id,
                "asset": asset_uri,
                "queued": queued,
                "replay_status": replay.status_code,
                "state": str(run.state),
                "tasks": tasks,
            }
        )
    )
    return 0


def main() -> int:
    from signs_emulator import Emulator

    step("A fresh Airflow home with a SQLite metadata DB")
    shutil.rmtree(HOME, ignore_errors=True)
    (HOME / "logs").mkdir(parents=True)
    migrated = airflow("db", "migrate")
    if migrated.returncode != 0:
        print(migrated.stdout + migrated.stderr)
        return 1
    print(f"AIRFLOW_HOME={HOME.relative_to(REPO)}: migrated")

    step("The provider as Airflow sees it")
    for line in airflow("providers", "list").stdout.splitlines():
        if "signs" in line:
            print(line.strip())
    for line in airflow("providers", "hooks").stdout.splitlines():
        if line.startswith(("optisigns", "opensign")):
            print(line.strip())

    step("The emulator of both APIs")
    with Emulator(port=free_port(8099), data_dir=HOME / "emulator") as emu:
        print(f"running at {emu.url}  (page: {emu.url}/)")
        env = airflow_env(emu.connections())
        # The people who sign: everyone signs a few seconds after a document is sent, except the
        # last person of today's contracts feed, who declines (so the DAG has something to report).
        import requests

        people = requests.get(f"{emu.feeds_url}/contracts", timeout=10).json().get("contracts", [])
        decliner = people[-1]["email"] if people else None
        emu.control.autopilot(
            "sandbox",
            after_seconds=2,
            decline=[decliner] if decliner else [],
            reason="The start date is wrong",
        )
        if decliner:
            print(f"signer autopilot: everyone signs after 2 s, except {decliner}, who declines")

        step("Running the sample DAGs with `airflow dags test`")
        results = []
        for dag_id in DAGS:
            if dag_id == "signature_status_board":
                # So that the board has something to show: stop the autopilot and send three
                # documents that nobody has signed yet.
                emu.control.stop_autopilot("sandbox")
                send_unsigned_documents(emu)
            results.append(run_dag(dag_id, env))

        step(f"Event-driven: a signature -> a webhook -> an asset event -> a run of {EVENT_DAG}, no sensor")
        results.append(event_driven(emu))

        step("What each screen shows now")
        describe_screens(emu)

        step("OpenSign documents (sandbox)")
        describe_documents(emu)

        board = HOME / "signature-board"
        if board.exists():
            step(f"The pending-signatures board rendered for the office screens ({board.relative_to(REPO)})")
            for path in sorted(board.glob("*.png")):
                print(f"  {path.name}  ({path.stat().st_size:,} bytes)")

        step(f"Archived signed files in {ARCHIVE.relative_to(REPO)}")
        files = sorted(p for p in ARCHIVE.rglob("*") if p.is_file()) if ARCHIVE.exists() else []
        for path in files:
            print(f"  {path.relative_to(ARCHIVE)}  ({path.stat().st_size:,} bytes)")
        if not files:
            print("  (none)")

        ok = bool(results) and all(results)
        print(f"\nDemo {'finished' if ok else 'FAILED'}.")
        if ok and sys.stdin.isatty():
            print(f"The emulator stays up so you can look at its page, {emu.url}/ ; press Ctrl-C to stop.")
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                print()
    # Without a terminal the emulator stopped with the block above: say so, and where to go next.
    print("The emulator has stopped.")
    print("Next: `make airflow` runs a real local Airflow (UI, scheduler, triggerer) against the emulator;")
    print("`make emulator` starts the emulator alone, with its page at http://127.0.0.1:8099/.")
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--event-driven"]:
        sys.exit(_event_driven_child(sys.argv[2], Path(sys.argv[3])))
    sys.exit(main())
