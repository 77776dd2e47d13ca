"""Timestamps as both APIs write them. Standard library only: webhook receivers import it without Airflow."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def parse_api_time(value: Any) -> datetime | None:
    """An API timestamp as an aware UTC datetime, or ``None`` when absent or unreadable.

    Reads ISO 8601 (``Z`` allowed; no offset means UTC) and epoch milliseconds.

    >>> parse_api_time("2025-05-16T10:48:34.120Z").isoformat()
    '2025-05-16T10:48:34.120000+00:00'
    >>> parse_api_time(1747392514120).isoformat()
    '2025-05-16T10:48:34.120000+00:00'
    """
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    text = str(value).strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
