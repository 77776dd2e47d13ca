"""Sensor that waits until OpenSign documents are signed, and fails clearly when they are not.

This module stays cheap to import (DAG files import it at every parse): the hook and the HTTP
libraries are imported only when a task runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import PokeReturnValue

from signs_provider.common.errors import SignsConfigError
from signs_provider.common.sensors import DeferrableSignsSensor
from signs_provider.opensign import DEFAULT_CONN_ID
from signs_provider.opensign._context import document_ids_of, wait_started

if TYPE_CHECKING:
    from airflow.sdk import Context

    from signs_provider.opensign.hooks import OpenSignHook
    from signs_provider.opensign.status import DocumentState
    from signs_provider.opensign.triggers import OpenSignDocumentsTrigger

__all__ = ["OpenSignDocumentSensor", "document_ids_of", "wait_started"]

# What the constructor checks at every parse, without importing .status and .errors (their enums and
# frozen dataclasses were half of the provider's import time): the spellings DocumentStatus.parse
# maps to a final status. tests/opensign/test_sensors.py checks both agree on every spelling.
_DEFAULT_FAILURE_STATUSES = ("declined", "expired")  # status.UNSUCCESSFUL_STATUS_NAMES
_FINAL_STATUSES = {
    "completed": "completed",
    "declined": "declined",
    "revoked": "declined",
    "expired": "expired",
}


def final_status(value: Any) -> str | None:
    """The final status a spelling names (as ``DocumentStatus.parse(value).value``), or ``None``."""
    return _FINAL_STATUSES.get("".join(ch for ch in str(value or "").lower() if ch.isalnum()))


class OpenSignDocumentSensor(DeferrableSignsSensor):
    """Wait until one or many documents are completed (signed by everybody).

    However many documents it waits for, a check costs a few list requests (OpenSign's
    ``documentlist`` pages, 500 documents each), not one request per document. Runs in ``poke`` or
    ``reschedule`` mode, or deferred to the triggerer (``deferrable=True``; the default comes from
    ``[operators] default_deferrable``). Set the interval between checks with ``poke_interval``
    (seconds, default 60) and the longest wait with ``timeout``.

    It fails at once, without retrying, when a document is declined (or revoked) or expires, naming
    the documents and who had and had not signed; with ``failure_statuses=()`` those are outcomes to
    report instead, and the sensor succeeds once every document is finished.

    Returns (XCom) ``{"documents": {id: {"status", "title"}}, "completed": [...], "declined": [...],
    "expired": [...], "problems": {id: sentence}}``.

    :param document_ids: a document id, a list of them, or the results of the send operators
        (dicts with ``document_id``), e.g. ``send.output`` of a mapped send (templated).
    :param failure_statuses: statuses that fail the task (default ``("declined", "expired")``).
    :param opensign_conn_id: the Airflow connection id.
    :param deferrable: wait in the triggerer instead of a worker slot.
    """

    template_fields: Sequence[str] = ("document_ids", "opensign_conn_id")
    ui_color = "#fff3e0"

    def __init__(
        self,
        *,
        document_ids: str | Sequence[str | dict[str, Any]] | Any,
        failure_statuses: Iterable[str] = _DEFAULT_FAILURE_STATUSES,
        opensign_conn_id: str = DEFAULT_CONN_ID,
        poke_interval: float = 60,
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, **kwargs)
        self.document_ids = document_ids
        statuses = [failure_statuses] if isinstance(failure_statuses, str) else list(failure_statuses)
        self.failure_statuses: list[str] = []
        for status in statuses:
            final = final_status(status)
            if final is None:
                raise SignsConfigError(
                    f"failure_statuses: {status!r} is not a final status; use declined and/or expired."
                )
            self.failure_statuses.append(final)
        self.opensign_conn_id = opensign_conn_id
        self._states: dict[str, DocumentState] = {}

    @cached_property
    def hook(self) -> OpenSignHook:
        from signs_provider.opensign.hooks import OpenSignHook

        return OpenSignHook(opensign_conn_id=self.opensign_conn_id)

    def poke(self, context: Context) -> bool | PokeReturnValue:
        from signs_provider.opensign.errors import OpenSignDocumentFailedError
        from signs_provider.opensign.status import evaluate_wait

        ids = document_ids_of(self.document_ids)
        pending = [i for i in ids if i not in self._states or not self._states[i].status.is_terminal]
        if pending:
            self._states.update(self.hook.get_document_states(pending, since=wait_started(context)))
        outcome = evaluate_wait(ids, self._states, self.failure_statuses)
        if outcome.failed:
            raise OpenSignDocumentFailedError(f"OpenSign: {outcome.message}", result=outcome.result)
        if outcome.done:
            self.log.info("OpenSign: %s", outcome.message)
            return PokeReturnValue(is_done=True, xcom_value=outcome.result)
        self.log.info("OpenSign: %s", outcome.message)
        return False

    def trigger(self, context: Context) -> OpenSignDocumentsTrigger:
        """The trigger that polls on in the triggerer, knowing the documents already finished."""
        from signs_provider.opensign.triggers import OpenSignDocumentsTrigger

        since = wait_started(context)
        return OpenSignDocumentsTrigger(
            document_ids=document_ids_of(self.document_ids),
            opensign_conn_id=self.opensign_conn_id,
            poll_interval=self.poke_interval,
            failure_statuses=self.failure_statuses,
            since=since.isoformat() if since else None,
            known={k: v.as_dict() for k, v in self._states.items() if v.status.is_terminal},
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the trigger: return the summary, or fail with the trigger's reason."""
        from signs_provider.opensign.errors import OpenSignDocumentFailedError

        status = (event or {}).get("status")
        message = (event or {}).get("message") or "no message"
        if status == "success":
            self.log.info("OpenSign: %s", message)
            return event["result"]  # type: ignore[index]
        if status == "failed":
            raise OpenSignDocumentFailedError(f"OpenSign: {message}", result=(event or {}).get("result"))
        from signs_provider.common.errors import SignsError

        raise SignsError(f"OpenSign: waiting for the documents failed: {message}")
