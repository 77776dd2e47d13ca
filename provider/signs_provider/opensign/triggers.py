"""Trigger that waits, in the triggerer, until OpenSign documents are signed, declined or expired.

It only reads (``GET`` list pages and, for a few documents, ``GET /document``): a trigger may run
more than once, and a create costs a credit, so nothing here ever writes. Its arguments are JSON
primitives so that Airflow can store and rebuild it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from signs_provider.opensign import DEFAULT_CONN_ID
from signs_provider.opensign.status import (
    UNSUCCESSFUL_STATUS_NAMES,
    DocumentState,
    DocumentStatus,
    evaluate_wait,
)


class OpenSignDocumentsTrigger(BaseTrigger):
    """Poll many documents with a few list requests per round until the wait is decided.

    Yields one event, ``{"status": "success" | "failed" | "error", "message", "result"}``:
    ``success`` when every document reached a terminal state (none in ``failure_statuses``),
    ``failed`` as soon as one is in ``failure_statuses`` or was not found, ``error`` when OpenSign
    could not be read (after the hook's retries). ``result`` is the wait's summary.

    :param document_ids: the documents to wait for.
    :param opensign_conn_id: the Airflow connection id.
    :param poll_interval: seconds between rounds.
    :param failure_statuses: statuses that fail the wait (default declined and expired).
    :param since: ISO time the wait started (bounds how far back the finished lists are read).
    :param known: states already seen as terminal (``DocumentState.as_dict()``), not polled again.
    """

    def __init__(
        self,
        *,
        document_ids: Sequence[str],
        opensign_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 60.0,
        failure_statuses: Sequence[str] = UNSUCCESSFUL_STATUS_NAMES,
        since: str | None = None,
        known: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        super().__init__()
        self.document_ids = [str(i) for i in document_ids]
        self.opensign_conn_id = opensign_conn_id
        self.poll_interval = float(poll_interval)
        self.failure_statuses = [DocumentStatus.parse(s).value for s in failure_statuses]
        self.since = since
        self.known = dict(known or {})

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """The class path and the JSON arguments Airflow stores to rebuild this trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "document_ids": self.document_ids,
                "opensign_conn_id": self.opensign_conn_id,
                "poll_interval": self.poll_interval,
                "failure_statuses": self.failure_statuses,
                "since": self.since,
                "known": self.known,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until the wait is decided, then yield its one event (see the class docstring)."""
        from signs_provider.opensign.hooks import OpenSignHook

        hook = OpenSignHook(opensign_conn_id=self.opensign_conn_id)
        states = {key: DocumentState.from_dict(value) for key, value in self.known.items()}
        since = datetime.fromisoformat(self.since) if self.since else None
        try:
            while True:
                # Terminal states never change: only the open documents are polled again.
                pending = [
                    i for i in self.document_ids if i not in states or not states[i].status.is_terminal
                ]
                if pending:
                    states.update(await hook.aget_document_states(pending, since=since))
                outcome = evaluate_wait(self.document_ids, states, self.failure_statuses)
                if outcome.done:
                    status = "failed" if outcome.failed else "success"
                    yield TriggerEvent(
                        {"status": status, "message": outcome.message, "result": outcome.result}
                    )
                    return
                self.log.info("OpenSign: %s; next check in %.0fs", outcome.message, self.poll_interval)
                await asyncio.sleep(self.poll_interval)
        except Exception as exc:  # every failure becomes an event, so that the task fails with its reason
            yield TriggerEvent({"status": "error", "message": f"{type(exc).__name__}: {exc}", "result": {}})
        finally:
            await hook.aclose()
