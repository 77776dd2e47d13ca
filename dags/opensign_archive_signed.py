"""Archive each signed document and its certificate as soon as it is completed: no sensor, no schedule.

    opensign://opensign_default/documents/completed   (an asset: one event per completed document)
                          |
              documents_to_archive   (the run's triggering events: one item per document)
                          |
              archive (one per document: the signed PDF and the completion certificate)

The DAG is scheduled on the asset of the account's completed documents. Its events come from two
places, with the same ``payload`` (``document_id``, ``title``, ``status``, ``reached_at``, ...):

- the webhook receiver on the Airflow API server (``POST /signs/opensign/opensign_default/webhook``,
  see the manual's "Event-driven DAGs" page): OpenSign posts each signature there and a run starts
  within seconds;
- the asset's watcher, ``OpenSignDocumentEventTrigger`` in the triggerer: it lists the account's
  documents every ``OPENSIGN_POLL_SECONDS`` (default 60) and emits one event per document that
  completed since it started, so the DAG also works with the webhook off (or lost).

With both on, a document may be archived twice (once per path): the second run writes the same
files to the same place, so the archive is the same. A run usually handles one document; when
several complete between two scheduler loops, Airflow gives one run all their events, and the run
archives each of them (one mapped task per document).

Files: ``<archive folder>/<day the document completed>/<document id>-signed.pdf`` and
``...-certificate.pdf``. The archive folder is the ``archive_folder`` Param, else the Airflow Variable
``signs_archive_folder``, else ``$AIRFLOW_HOME/signed-archive`` on the worker; an ``s3://`` URL needs
``apache-airflow-providers-amazon[s3fs]`` on the workers (see ``opensign_send_for_signature``).

A manual run archives the documents of its ``document_ids`` Param (for a document completed before
the DAG was unpaused). Connection: ``opensign_default`` (type ``opensign``).
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import AssetWatcher, Param, dag, task

from signs_provider.opensign.events import OpenSignDocumentEventTrigger, opensign_documents_asset
from signs_provider.opensign.operators import OpenSignDownloadDocumentOperator

CONN_ID = "opensign_default"
AIRFLOW_HOME = os.path.expanduser(os.environ.get("AIRFLOW_HOME", "~/airflow"))
ARCHIVE_VARIABLE = "signs_archive_folder"
ARCHIVE_FOLDER = os.path.join(AIRFLOW_HOME, "signed-archive")  # without the Param or the Variable
POLL_SECONDS = float(os.environ.get("OPENSIGN_POLL_SECONDS", "60"))

# [START completed_documents_asset]
# The asset the webhook receiver records on, with a watcher for when no webhook arrives.
completed_documents = opensign_documents_asset(
    CONN_ID,
    "completed",
    watchers=[
        AssetWatcher(
            name="opensign_completed_documents",
            trigger=OpenSignDocumentEventTrigger(
                opensign_conn_id=CONN_ID, statuses=("completed",), poll_interval=POLL_SECONDS
            ),
        )
    ],
)
# [END completed_documents_asset]


@dag(
    schedule=[completed_documents],
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["opensign", "example"],
    params={
        "archive_folder": Param(
            None,
            type=["null", "string"],
            description="Where signed PDFs are archived (local path or s3://...); empty: the Variable "
            f"{ARCHIVE_VARIABLE}, else $AIRFLOW_HOME/signed-archive",
        ),
        "document_ids": Param(
            [],
            type="array",
            items={"type": "string"},
            description="Manual runs only: the OpenSign document ids to archive.",
        ),
    },
)
def opensign_archive_signed():
    # [START documents_to_archive]
    @task
    def documents_to_archive(**context) -> list[dict]:
        """One item per completed document of this run: its id and the archive folder of its day."""
        from airflow.sdk import Variable

        base = context["params"].get("archive_folder") or Variable.get(ARCHIVE_VARIABLE, default=None)
        base = (base or ARCHIVE_FOLDER).rstrip("/")
        today = context["dag_run"].run_after.date().isoformat()
        found: dict[str, str] = {}
        for events in context["triggering_asset_events"].values():
            for event in events:
                # The receiver's and the watcher's events both carry the document under "payload".
                payload = (event.extra or {}).get("payload") or {}
                if payload.get("document_id") and payload.get("status") == "completed":
                    day = str(payload.get("reached_at") or "")[:10] or today
                    found.setdefault(str(payload["document_id"]), day)
        for document_id in context["params"].get("document_ids") or []:
            found.setdefault(str(document_id), today)
        return [
            {"document_id": document_id, "destination": f"{base}/{day}/"}
            for document_id, day in found.items()
        ]

    # [END documents_to_archive]

    OpenSignDownloadDocumentOperator.partial(
        task_id="archive",
        opensign_conn_id=CONN_ID,
        # A retry downloads the same files again to the same names: safe.
        retries=2,
    ).expand_kwargs(documents_to_archive())


opensign_archive_signed()
