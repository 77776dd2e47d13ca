"""Files that one task of a sample DAG writes and a later task reads, on whatever machine each runs.

Shared by the sample DAGs of this folder: copy it with them. It also holds their failure alert,
:func:`ops_screen_alert` (a slide on the "ops" screens). (Its name starts with ``_`` so that
tools listing DAG files skip it; Airflow puts the DAG folder on ``sys.path``, so the DAGs import it.)

Where the files go, first match wins:

1. the DAG's ``work_folder`` Param, for one run;
2. the Airflow Variable ``signs_work_folder`` (set in the UI, with ``airflow variables set``, or as the
   environment variable ``AIRFLOW_VAR_SIGNS_WORK_FOLDER`` on every machine);
3. ``$AIRFLOW_HOME/signs-work`` on the machine that runs the task.

The default is enough when every task runs on one machine. When workers share no disk (Celery or
Kubernetes executors), give an object storage URL that every worker reaches, e.g.
``s3://aws_default@my-bucket/signs-work``: that needs ``apache-airflow-providers-amazon[s3fs]``
installed on every worker and the ``aws`` connection named before the ``@`` (stored in Airflow, or
given as ``AIRFLOW_CONN_AWS_DEFAULT`` on every machine). Name it: with a plain ``s3://bucket/...``
the Amazon provider uses no Airflow connection at all, only boto3's own credentials (``AWS_*``
environment variables, an instance role), and anonymous access when there are none.

Each run writes under ``<folder>/<dag_id>/<run_id>/``, so two runs never read each other's files.
The writing task returns, in XCom, the path and the SHA-256 of what it wrote; the reading task
checks both before it sends anything (:func:`check_handoff`): a missing file or different content
fails the task with a message saying which, instead of sending another run's file.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from typing import Any

WORK_FOLDER_VARIABLE = "signs_work_folder"
HANDOFF_KEY = "handoff"  # the XCom key of the path and checksum a writing task pushes


class HandoffError(RuntimeError):
    """The file a task was given is missing, or is not the one the writing task wrote."""


def default_work_folder() -> str:
    return os.path.join(os.path.expanduser(os.environ.get("AIRFLOW_HOME", "~/airflow")), "signs-work")


def run_folder(context: Any) -> Any:
    """``<work folder>/<dag_id>/<run_id>`` as an ``ObjectStoragePath`` (created when local)."""
    from airflow.sdk import ObjectStoragePath, Variable

    override = (context.get("params") or {}).get("work_folder")
    base = override or Variable.get(WORK_FOLDER_VARIABLE, default=None) or default_work_folder()
    run = context["dag_run"]
    # Run ids hold ':' and '+'; keep keys and file names plain on every store.
    run_part = re.sub(r"[^A-Za-z0-9._-]", "_", run.run_id)
    folder = ObjectStoragePath(base) / run.dag_id / run_part
    folder.mkdir(parents=True, exist_ok=True)  # a no-op on object stores
    return folder


def write_file(folder: Any, name: str, data: bytes) -> dict[str, str]:
    """Write ``data`` to ``folder / name``; return the handoff: its path and SHA-256."""
    path = folder / name
    with path.open("wb") as handle:
        handle.write(data)
    return {"path": str(path), "sha256": hashlib.sha256(data).hexdigest()}


def _sha256(path: Any) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_handoff(handoff: dict[str, str] | None, path: str, *, writer: str) -> None:
    """Fail unless ``path`` is the file ``writer`` wrote, with the same content."""
    from airflow.sdk import ObjectStoragePath

    if not handoff:
        raise HandoffError(f"{writer} left no {HANDOFF_KEY!r} XCom: it did not run, or an old version did.")
    if str(path) != handoff["path"]:
        raise HandoffError(f"Asked to read {path}, but {writer} wrote {handoff['path']}.")
    file = ObjectStoragePath(path)
    if not file.exists():
        raise HandoffError(
            f"{path}, written by {writer}, is not there. If tasks run on machines that share no disk, "
            f"set the Airflow Variable {WORK_FOLDER_VARIABLE!r} (or AIRFLOW_VAR_{WORK_FOLDER_VARIABLE.upper()}) "
            "to an object storage URL that every worker reaches, e.g. s3://aws_default@bucket/signs-work."
        )
    found = _sha256(file)
    if found != handoff["sha256"]:
        raise HandoffError(
            f"{path} changed since {writer} wrote it (SHA-256 {found}, expected {handoff['sha256']}); "
            "something else writes to the same place. Not sending it."
        )


def checked_before_execute(writer: str, attribute: str, *, local_copy: bool = False) -> Callable[[Any], None]:
    """A ``pre_execute`` hook: check the file in the operator's ``attribute`` against ``writer``'s handoff.

    The operator's fields are rendered by then; a mapped task checks the writer's task of the same
    map index. With ``local_copy``, a file on object storage is copied, while being checked, to this
    worker's temporary folder and the operator is given the copy: what it sends is then exactly
    what was checked. (The OptiSigns upload needs that today: its streamed upload cannot measure a
    file opened on S3.)
    """

    def pre_execute(context: Any) -> None:
        import logging

        ti = context["ti"]
        handoff = ti.xcom_pull(task_ids=writer, key=HANDOFF_KEY, map_indexes=ti.map_index)
        path = getattr(context["task"], attribute)
        check_handoff(handoff, path, writer=writer)
        log = logging.getLogger(__name__)
        log.info("%s is the file %s wrote (SHA-256 %s).", handoff["path"], writer, handoff["sha256"])
        if local_copy and "://" in str(path) and not str(path).startswith("file://"):
            setattr(context["task"], attribute, _copy_checked(handoff, writer))

    return pre_execute


def _copy_checked(handoff: dict[str, str], writer: str) -> str:
    """Copy the file to a temporary folder of this worker, checking the copy's SHA-256; return its path."""
    import tempfile

    from airflow.sdk import ObjectStoragePath

    source = ObjectStoragePath(handoff["path"])
    folder = tempfile.mkdtemp(prefix="signs-handoff-")
    target = os.path.join(folder, source.name)
    digest = hashlib.sha256()
    with source.open("rb") as reader, open(target, "wb") as writer_file:
        for block in iter(lambda: reader.read(1 << 20), b""):
            digest.update(block)
            writer_file.write(block)
    if digest.hexdigest() != handoff["sha256"]:
        raise HandoffError(f"{handoff['path']} changed while it was copied; {writer} wrote something else.")
    return target


# -- the failure alert of the sample DAGs --------------------------------------------------------------

#: The Airflow Variable naming the tag of the screens that show failure alerts (a tag, or a JSON list).
OPS_SCREEN_TAG_VARIABLE = "signs_ops_screen_tag"
OPS_SCREEN_TAG = "ops"  # without the Variable


def ops_screen_alert(**settings: Any) -> Any:
    """The sample DAGs' ``on_failure_callback``: an alert slide on the "ops" screens for 15 minutes.

    The screens are those tagged with the Airflow Variable ``signs_ops_screen_tag`` (``AIRFLOW_VAR_SIGNS_OPS_SCREEN_TAG``),
    else ``ops``; the Variable is read when a task fails (a template), not each time the DAG file is
    parsed. The slide says which task failed, when, why, and links to its log; the screens go back to
    what they showed by themselves. Where the API refuses the temporary push, the slide is set as
    the screens' content instead (they then keep it: keep such screens for alerts). A failure to
    alert is logged in the task's log and never hides the task's own failure. ``settings`` go to
    :class:`~signs_provider.optisigns.notifications.OptiSignsNotifier` (e.g. ``minutes=30``,
    ``playlist="Alerts"``).
    """
    from signs_provider.optisigns.notifications import OptiSignsNotifier

    tag = "{{ var.value.get('" + OPS_SCREEN_TAG_VARIABLE + "', '" + OPS_SCREEN_TAG + "') }}"
    settings.setdefault("tags", tag)
    settings.setdefault("minutes", 15)
    return OptiSignsNotifier(**settings)
