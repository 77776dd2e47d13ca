"""What a write task created, kept in Airflow's task state store so that a retry resumes it.

Airflow 3.3 gives a running task ``context["task_state_store"]``: keys scoped to the task instance
(dag, run, task, map index) and shared by all its tries (the rows are keyed by the dag run, the task and
the map index, not by the try). A write operator records what the API answered (the OpenSign document
id, the OptiSigns asset id, the push it made) the moment the answer arrives; a retry of the same task
instance reads it first and resumes from it, checking the recorded object with one cheap read, instead
of searching for it by its marker (lists, then the landing wait when nothing shows).

Where there is no store (Airflow 3.2), nothing was recorded (a try that died between the API's answer
and the record, or whose answer was lost), or the store cannot be read, :func:`remembered` returns
``None`` and the operator falls back to the marker search of :mod:`signs_provider.common.recovery`:
the record is a shortcut, never the only protection.

Example::

    key = record_key("optisigns-upload", marker)
    earlier = remembered(context, key)
    if earlier is None:
        asset = hook.upload_file(...)
        remember(context, key, {"asset_id": asset["_id"]})

The values are small JSON objects of ids, never a secret: the store is readable through Airflow's API
by whoever can read the DAG.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

#: The prefix of every key this provider writes (the store is shared with other code in the task).
KEY_PREFIX = "signs-provider/"
#: Airflow keeps keys of up to 512 characters; ours stay far below.
_MAX_KEY = 200


def state_store(context: Mapping[str, Any]) -> Any | None:
    """The task's state store (Airflow 3.3+), or ``None`` where there is none (3.2, tests)."""
    store = context.get("task_state_store")
    if store is None or not (callable(getattr(store, "get", None)) and callable(getattr(store, "set", None))):
        return None
    return store


def record_key(kind: str, *parts: Any) -> str:
    """A store key for one thing a task creates: ``kind`` and a digest of what identifies it.

    The parts (a marker, a key, a file) are hashed so that the key stays short and holds nothing
    readable: ``record_key("opensign-document", marker)`` ->
    ``"signs-provider/opensign-document/1f0c..."``.
    """
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:24]
    key = f"{KEY_PREFIX}{kind}/{digest}"
    return key[:_MAX_KEY]


def remembered(context: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """What an earlier try of this task instance recorded under ``key``, or ``None``.

    ``None`` also when there is no store or it cannot be read (logged): the caller then does what it
    did before records existed (the marker search), which is the safe side.
    """
    store = state_store(context)
    if store is None:
        return None
    try:
        value = store.get(key)
    except Exception as exc:
        log.warning("Could not read %s from the task state store (%s); searching instead.", key, exc)
        return None
    return dict(value) if isinstance(value, Mapping) else None


def remember(
    context: Mapping[str, Any], key: str, value: Mapping[str, Any], *, required: bool = False
) -> bool:
    """Record ``value`` under ``key`` for later tries of this task instance; whether it was recorded.

    Best effort by default: a record that could not be written only makes a retry search (logged).
    ``required=True`` raises instead, for a record whose absence a retry would misread.
    """
    store = state_store(context)
    if store is None:
        return False
    try:
        store.set(key, dict(value))
    except Exception as exc:
        if required:
            raise
        log.warning(
            "Could not record %s in the task state store (%s); a retry will search instead.", key, exc
        )
        return False
    return True


def forget(context: Mapping[str, Any], key: str) -> None:
    """Delete ``key`` (best effort): for records that must not outlive the try that finishes the task."""
    store = state_store(context)
    delete = getattr(store, "delete", None)
    if not callable(delete):
        return
    try:
        delete(key)
    except Exception as exc:
        log.warning("Could not delete %s from the task state store (%s).", key, exc)
