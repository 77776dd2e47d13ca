"""OpenSign documents reaching a status, as Airflow asset events (event-driven scheduling).

SKELETON: the interface is fixed, the implementation is in progress.

- :func:`document_event`: the one payload shape for "a document reached a status", used by the
  polling trigger here and by webhook receivers (:func:`document_event_from_webhook`).
- :class:`OpenSignDocumentEventTrigger`: a ``BaseEventTrigger`` for ``AssetWatcher``.
- :func:`opensign_documents_asset`: the asset the trigger and receivers feed.

This module is imported by DAG files at parse time: it imports no HTTP client at module level.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from signs_provider.opensign import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow.sdk import Asset

    from signs_provider.opensign.webhooks import WebhookEvent

#: Statuses a watcher can wait for (terminal ones: a document reaches each at most once).
WATCHABLE_STATUSES = ("completed", "declined", "expired")
#: The payload keys, the same for both sources.
EVENT_KEYS = (
    "document_id",
    "title",
    "status",
    "signers",
    "folder_id",
    "created_at",
    "updated_at",
    "reached_at",
    "reason",
    "environment",
    "source",
)


def document_event(
    document: Mapping[str, Any],
    status: str,
    *,
    environment: str | None = None,
    source: str = "poll",
    reached_at: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """The payload of "document reached ``status``" from an OpenSign list item or ``GET /document`` body."""
    raise NotImplementedError


def document_event_from_webhook(event: WebhookEvent, *, environment: str | None = None) -> dict[str, Any]:
    """The same payload as :func:`document_event` from a ``completed`` or ``declined`` webhook."""
    raise NotImplementedError


def opensign_documents_asset(conn_id: str = DEFAULT_CONN_ID, status: str = "completed") -> Asset:
    """``opensign://<conn_id>/documents/<status>``: the documents of one account reaching ``status``."""
    raise NotImplementedError


class OpenSignDocumentEventTrigger(BaseEventTrigger):
    """Emit one event per document reaching a watched status after the watcher started."""

    def __init__(
        self,
        *,
        opensign_conn_id: str = DEFAULT_CONN_ID,
        statuses: Sequence[str] = ("completed",),
        folder_id: str | None = None,
        title_contains: str | None = None,
        poll_interval: float = 30.0,
    ) -> None:
        super().__init__()
        self.opensign_conn_id = opensign_conn_id
        self.statuses = list(statuses)
        self.folder_id = folder_id
        self.title_contains = title_contains
        self.poll_interval = float(poll_interval)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "opensign_conn_id": self.opensign_conn_id,
                "statuses": self.statuses,
                "folder_id": self.folder_id,
                "title_contains": self.title_contains,
                "poll_interval": self.poll_interval,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        raise NotImplementedError
        yield  # pragma: no cover
