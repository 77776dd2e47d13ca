"""Send each new employment contract for signature, wait for the signatures, archive the signed PDFs.

fetch_contracts --> check_credits ----------------------------> send_for_signature (one per contract)
              \\--> build_contract (one PDF per contract) ------/            |
                                                              wait_for_signatures (deferred)
                                                                  |                  \\
                                                   archive_signed (one per signed)    |
                                                                  \\--------------> report

1. ``fetch_contracts``: GET the day's new contracts (name, email, role, contract title) from an HR
   or CRM API through the HTTP connection ``signs_feeds``; with the local emulator that is its
   sample feed ``/contracts``. The day is the run's logical date, or the time the run was due for a
   manual run without one.
2. ``check_credits``: each document costs an OpenSign API credit; stop before sending anything when
   there are fewer credits than contracts.
3. ``build_contract``: draw each contract as a PDF with Pillow, with a signature line, into this run's
   folder ``<work folder>/opensign_send_for_signature/<run_id>/<contract id>.pdf`` (see Files below).
4. ``send_for_signature``: one OpenSign document per contract (dynamic task mapping), with a
   signature field on the line. It first checks that the PDF is the one ``build_contract`` wrote
   (path and SHA-256 from XCom). Each document carries a marker derived from its contract id (the
   operator's ``idempotency_key``): a retried task, or another run of the same day (a manual run
   beside the scheduled one), finds the document already sent instead of paying for a second one.
5. ``wait_for_signatures``: one deferred sensor for all documents; each check costs a list request
   or two, not one request per document. Declined and expired documents do not fail it here: they
   are reported.
6. ``archive_signed``: the signed PDF and its completion certificate, per signed document, into the
   archive folder, by date: the ``archive_folder`` Param, else the Airflow Variable
   ``signs_archive_folder``, else ``$AIRFLOW_HOME/signed-archive`` on the worker.
7. ``report``: what was signed and archived, and which documents were declined or expired, and why.
   A day without contracts sends nothing, skips the wait and reports zeros.

Each run waits up to ``DAYS_TO_SIGN + 1`` days for its own signatures, so runs overlap: up to that
many wait at once, each deferred to the triggerer (no worker slot). ``max_active_runs`` leaves room
for all of them, so a waiting run never holds back the next day's sends.

``catchup=False`` on purpose: every document costs a credit, and a copy of this file must not send a
backlog of past days on its first unpause. A day the scheduler missed (paused, down) is not run by
itself: trigger a run for that date (or ``airflow backfill create``) to send it; the idempotency
key (the contract id) makes re-running a day that was already sent safe.

Files: the work folder is the ``work_folder`` Param, else the Airflow Variable ``signs_work_folder``,
else ``$AIRFLOW_HOME/signs-work``. When workers share no disk, set both Variables (or
``AIRFLOW_VAR_SIGNS_WORK_FOLDER`` and ``AIRFLOW_VAR_SIGNS_ARCHIVE_FOLDER``) to object storage URLs such
as ``s3://aws_default@bucket/signs-work`` and ``s3://aws_default@bucket/signed-archive``: ``s3://``
needs ``apache-airflow-providers-amazon[s3fs]`` on the workers and the ``aws`` connection named
before the ``@`` (e.g. ``AIRFLOW_CONN_AWS_DEFAULT``); without a name, boto3's own credentials are used.
See ``_handoff.py`` beside this file (the DAG imports it).

Connections: ``opensign_default`` (type ``opensign``: the API token and environment) and
``signs_feeds`` (type ``http``); ``optisigns_default`` (type ``optisigns``) for the failure alert.
``signs-emulator`` prints them for the local emulator.

Failures: a task that fails for good (after its retries) puts an alert slide on the screens tagged
``ops`` (the Variable ``signs_ops_screen_tag`` names another tag) for 15 minutes; see ``_handoff.py``.
Set ``OPENSIGN_POLL_SECONDS`` in the environment to check more or less often (default 60).

Try it: ``airflow dags test opensign_send_for_signature``.
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import Param, dag, task

from _handoff import HANDOFF_KEY, checked_before_execute, ops_screen_alert, run_folder, write_file
from signs_provider.opensign.operators import (
    OpenSignCheckCreditsOperator,
    OpenSignDownloadDocumentOperator,
    OpenSignSendForSignatureOperator,
)
from signs_provider.opensign.sensors import OpenSignDocumentSensor

FEED_CONN_ID = "signs_feeds"
AIRFLOW_HOME = os.path.expanduser(os.environ.get("AIRFLOW_HOME", "~/airflow"))
ARCHIVE_VARIABLE = "signs_archive_folder"
ARCHIVE_FOLDER = os.path.join(AIRFLOW_HOME, "signed-archive")  # without the Param or the Variable
POLL_SECONDS = float(os.environ.get("OPENSIGN_POLL_SECONDS", "60"))
DAYS_TO_SIGN = 7

# The page is A4 at 150 dpi; OpenSign places fields in PDF points (1/72 inch) from the top-left.
DPI = 150
PAGE_POINTS = (595, 842)
SIGNATURE_BOX = {"x": 72, "y": 640, "w": 220, "h": 60}  # where the employee signs, in points


def _px(points: float) -> int:
    return round(points * DPI / 72)


def _run_day(dag_run) -> str:
    """The day a run handles: its logical date, or when it was due (manual runs may have no date)."""
    return (dag_run.logical_date or dag_run.run_after).date().isoformat()


@dag(
    schedule="@daily",
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    # See the module docstring: overlapping runs, and no automatic backlog of paid sends.
    catchup=False,
    max_active_runs=DAYS_TO_SIGN + 3,
    tags=["opensign", "example"],
    # A task that fails for good shows an alert slide on the "ops" screens (see _handoff.py).
    default_args={"on_failure_callback": ops_screen_alert()},
    params={
        "archive_folder": Param(
            None,
            type=["null", "string"],
            description="Where signed PDFs are archived (local path or s3://...); empty: the Variable "
            f"{ARCHIVE_VARIABLE}, else $AIRFLOW_HOME/signed-archive",
        ),
        "work_folder": Param(
            None,
            type=["null", "string"],
            description="Where the PDFs wait to be sent (local path or s3://...); empty: the Variable "
            "signs_work_folder, else $AIRFLOW_HOME/signs-work",
        ),
    },
)
def opensign_send_for_signature():
    @task(retries=2)
    def fetch_contracts(dag_run=None) -> list[dict]:
        """The day's new contracts from the HR feed (a read: safe to retry)."""
        # Imported here, not at the top: DAG files are parsed every 30 s, the HTTP provider is heavy.
        from airflow.providers.http.hooks.http import HttpHook

        response = HttpHook(method="GET", http_conn_id=FEED_CONN_ID).run(
            "contracts", data={"date": _run_day(dag_run)}
        )
        return list(response.json()["contracts"])

    contracts = fetch_contracts()
    check_credits = OpenSignCheckCreditsOperator(task_id="check_credits", required=contracts)

    @task
    def build_contract(contract: dict, **context) -> dict:
        """Draw the contract as a one-page PDF in this run's folder; return the send operator's arguments."""
        import io

        from PIL import Image, ImageDraw, ImageFont

        page = Image.new("RGB", (_px(PAGE_POINTS[0]), _px(PAGE_POINTS[1])), "white")
        draw = ImageDraw.Draw(page)
        title_font, font = ImageFont.load_default(size=44), ImageFont.load_default(size=28)
        draw.text((_px(72), _px(72)), contract["contract_title"], font=title_font, fill="black")
        lines = [
            f"Employee: {contract['name']} <{contract['email']}>",
            f"Position: {contract['role']}, {contract['department']}",
            f"Start date: {contract['start_date']}",
            "",
            "The Employee and the Company agree to the terms of employment set out in the",
            "Company's standard conditions, which form part of this contract.",
        ]
        for i, line in enumerate(lines):
            draw.text((_px(72), _px(150 + 22 * i)), line, font=font, fill="black")
        box = SIGNATURE_BOX
        bottom = _px(box["y"] + box["h"])
        draw.line((_px(box["x"]), bottom, _px(box["x"] + box["w"]), bottom), fill="black", width=3)
        draw.text((_px(box["x"]), bottom + 12), "Employee signature", font=font, fill="black")

        pdf = io.BytesIO()
        page.save(pdf, format="PDF", resolution=DPI)
        handoff = write_file(run_folder(context), f"{contract['id']}.pdf", pdf.getvalue())
        context["ti"].xcom_push(key=HANDOFF_KEY, value=handoff)
        return {
            "file": handoff["path"],
            # The business key: one document per contract, whichever run or try sends it (a
            # scheduled and a manual run of the same day, a retry after a lost answer).
            "idempotency_key": f"contract {contract['id']}",
            "title": f"{contract['contract_title']} - {contract['name']}",
            "note": f"Contract {contract['id']}: please review and sign.",
            "signers": [
                {
                    "name": contract["name"],
                    "email": contract["email"],
                    "role": "Employee",
                    "widgets": [{"type": "signature", "page": 1, **SIGNATURE_BOX}],
                }
            ],
        }

    send_for_signature = OpenSignSendForSignatureOperator.partial(
        task_id="send_for_signature",
        options={"timeToCompleteDays": DAYS_TO_SIGN, "sendInOrder": False},
        # Fails before sending unless the PDF is the one build_contract wrote (path and SHA-256).
        pre_execute=checked_before_execute("build_contract", "file"),
        # Safe despite the credit per document: a retry, or another run of the same day, looks for the
        # document of its contract's key and returns it instead of sending a second one.
        retries=2,
    ).expand_kwargs(build_contract.expand(contract=contracts))
    check_credits >> send_for_signature

    wait_for_signatures = OpenSignDocumentSensor(
        task_id="wait_for_signatures",
        document_ids=send_for_signature.output,
        failure_statuses=(),  # declined and expired documents are reported, not a failure
        deferrable=True,
        poke_interval=POLL_SECONDS,
        timeout=(DAYS_TO_SIGN + 1) * 24 * 3600,
    )

    @task
    def signed_documents(outcome: dict, **context) -> list[dict]:
        """The documents everybody signed, each with the archive folder of the run's day."""
        from airflow.sdk import ObjectStoragePath, Variable

        base = context["params"].get("archive_folder") or Variable.get(ARCHIVE_VARIABLE, default=None)
        folder = f"{(base or ARCHIVE_FOLDER).rstrip('/')}/{_run_day(context['dag_run'])}/"
        if outcome["completed"] and "://" in folder and not folder.startswith("file://"):
            # Works around the provider (0.1.0): on object storage it takes a destination folder that
            # holds no object yet for a file name, and writes the signed PDF and the certificate to
            # that one key. An object in the folder makes it a folder.
            (ObjectStoragePath(folder) / ".archive").write_bytes(
                b"signed PDFs archived by opensign_send_for_signature\n"
            )
        return [{"document_id": document_id, "destination": folder} for document_id in outcome["completed"]]

    archive_signed = OpenSignDownloadDocumentOperator.partial(
        task_id="archive_signed",
        retries=2,
    ).expand_kwargs(signed_documents(wait_for_signatures.output))

    @task(trigger_rule="none_failed")
    def report(outcome: dict | None, archived: list[dict] | None = None) -> dict:
        """Log what happened to each contract; the return value is the run's summary.

        ``outcome`` is None on a day without contracts: nothing was sent, the wait was skipped.
        """
        import logging

        log = logging.getLogger(__name__)
        outcome = outcome or {"completed": [], "declined": [], "expired": [], "problems": {}}
        files = [f for a in archived or [] for f in (a["signed_pdf"], a["certificate"]) if f]
        for path in files:
            log.info("Archived %s", path)
        for why in outcome["problems"].values():
            log.warning("Not signed: %s", why)
        return {
            "signed": len(outcome["completed"]),
            "archived_files": files,
            "declined": outcome["declined"],
            "expired": outcome["expired"],
            "problems": outcome["problems"],
        }

    report(wait_for_signatures.output, archive_signed.output)


opensign_send_for_signature()
