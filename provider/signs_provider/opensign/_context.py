"""What the operators and the sensor read from their arguments and the task context.

Shared by :mod:`.operators` and :mod:`.sensors` so that neither imports the other; cheap to import
(no hook, no HTTP library).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from signs_provider.common.errors import SignsConfigError

if TYPE_CHECKING:
    from airflow.sdk import Context


def document_ids_of(value: Any) -> list[str]:
    """Document ids from an id, a list of ids, send-operator results (dicts with ``document_id``) or
    the hook's :class:`~signs_provider.opensign.client.sending.SentDocument` results."""
    if value is None:
        raise SignsConfigError("document_ids: nothing to wait for.")
    if isinstance(value, (str, dict)) or hasattr(value, "document_id"):
        value = [value]
    ids: list[str] = []
    for item in value:
        if isinstance(item, dict):
            item = item.get("document_id") or item.get("objectId")
        elif hasattr(item, "document_id"):
            item = item.document_id
        text = str(item or "").strip()
        if not text:
            raise SignsConfigError(f"document_ids: {item!r} is not a document id.")
        if text not in ids:
            ids.append(text)
    if not ids:
        raise SignsConfigError("document_ids: the list is empty; nothing to wait for.")
    return ids


def wait_started(context: Context) -> datetime | None:
    """When the documents of this run can first have changed: the run's start (or scheduled time).

    It bounds how far back the finished-document lists are read (a document finished earlier costs
    one ``GET /document`` instead); it stays the same across pokes, reschedules and the deferral.
    """
    return run_moment(context, ("start_date", "run_after", "logical_date"))


def run_moment(context: Context, attributes: Sequence[str]) -> datetime | None:
    """The first of the DAG run's ``attributes`` that is set, as an aware datetime."""
    dag_run = context.get("dag_run")
    for attr in attributes:
        moment = getattr(dag_run, attr, None)
        if isinstance(moment, datetime):
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return None
