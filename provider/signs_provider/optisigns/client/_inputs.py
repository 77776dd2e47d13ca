"""Argument checks and small pure helpers shared by the API areas (no requests are sent here)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone, tzinfo
from typing import Any

from signs_provider.common.errors import SignsConfigError
from signs_provider.common.times import parse_api_time

#: Tag put on every object the provider creates; clean-up only ever deletes objects carrying it.
PROVIDER_TAG = "airflow-provider-signs"

#: Which field of a screen (and of ``pushToScreens``) holds the id of each kind of content.
CONTENT_ID_FIELD = {
    "ASSET": "currentAssetId",
    "PLAYLIST": "currentPlaylistId",
    "SCHEDULE": "currentScheduleId",
}


def required(value: Any, *, field: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise SignsConfigError(f"{field}: must not be empty.")
    return text


#: The longest name the provider sends for an asset, playlist or schedule. OptiSigns documents no
#: limit; 255 characters is far beyond any name shown in its app and stops a runaway template (a
#: whole file rendered into ``name``) before it is sent. [INFERRED]
MAX_NAME_LENGTH = 255


def name_text(value: Any, *, field: str = "name") -> str:
    """A non-empty name of at most :data:`MAX_NAME_LENGTH` characters, checked before any request."""
    text = required(value, field=field)
    if len(text) > MAX_NAME_LENGTH:
        raise SignsConfigError(
            f"{field}: {len(text)} characters, over the limit of {MAX_NAME_LENGTH}. "
            f"Use a shorter name (it starts {text[:40]!r})."
        )
    return text


def str_list(values: Iterable[str] | str | None, *, field: str) -> list[str]:
    """A list of non-empty strings; a lone string is one item (not its characters)."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise SignsConfigError(f"{field}: {value!r} is not a non-empty string.")
        out.append(value.strip())
    return out


def positions(values: Iterable[int], *, size: int, field: str) -> list[int]:
    out = []
    for pos in values:
        if not isinstance(pos, int) or not 0 <= pos < size:
            raise SignsConfigError(f"{field}: {pos!r} is not a position in the playlist (0..{size - 1}).")
        out.append(pos)
    if not out:
        raise SignsConfigError(f"{field}: give at least one position.")
    return out


def with_provider_tag(tags: Iterable[str]) -> list[str]:
    return merge_tags([PROVIDER_TAG], str_list(tags, field="tags"))


def merge_tags(first: Iterable[str] | None, second: Iterable[str]) -> list[str]:
    merged = list(first or [])
    merged.extend(tag for tag in second if tag not in merged)
    return merged


def content(
    asset_id: str | None, playlist_id: str | None, schedule_id: str | None, *, allow_none: bool = False
) -> tuple[str, str | None]:
    """``(kind, id)`` of the one content given; ``("NONE", None)`` for none when ``allow_none``."""
    given = {
        k: v for k, v in (("ASSET", asset_id), ("PLAYLIST", playlist_id), ("SCHEDULE", schedule_id)) if v
    }
    if len(given) > 1:
        raise SignsConfigError("Give only one of asset_id, playlist_id and schedule_id.")
    if not given:
        if allow_none:
            return "NONE", None
        raise SignsConfigError("No content: give asset_id, playlist_id or schedule_id.")
    ((kind, content_id),) = given.items()
    return kind, str(content_id)


def oldest(found: Iterable[Any]) -> Any:
    """The first created of ``found`` (by ``createdAt``; unknown times last), or ``None``."""
    dated = [(parse_api_time(item.get("createdAt")), n, item) for n, item in enumerate(found)]
    far_future = datetime.max.replace(tzinfo=timezone.utc)
    dated.sort(key=lambda entry: (entry[0] or far_future, entry[1]))
    return dated[0][2] if dated else None


def web_url(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(str(url or "").strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SignsConfigError(f"url: {url!r} is not a web address; use a full http(s):// URL.")
    return parts.geturl()


def positive_int(value: Any, *, field: str) -> int:
    if not isinstance(value, int) or value <= 0:
        raise SignsConfigError(f"{field}: must be a positive number of bytes, got {value!r}.")
    return value


# -- times ------------------------------------------------------------------------------------------

# Schedule item times: floating local wall-clock written with a Z (reference §4, their UI writes
# 09:00Z for a 9am opening). Push times come with scheduleData.localTimezone, so they are sent as
# wall-clock time in that zone without a Z, which could be read as UTC. [INFERRED] one-line change.
SCHEDULE_TIME_SUFFIX = "Z"
PUSH_TIME_SUFFIX = ""


def api_time(value: datetime | str, *, field: str, zone: tzinfo | None = None, suffix: str = "Z") -> str:
    """A wall-clock time as OptiSigns writes it, e.g. ``2026-09-01T09:00:00.000Z``.

    Naive datetimes (and ISO strings without an offset) are the screens' wall-clock time and are
    sent as written. An aware datetime (or a string with an offset, ``Z`` included) is converted
    to ``zone`` when given, else keeps its own wall-clock time: it is never shifted to UTC.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text)
        except ValueError:
            raise SignsConfigError(
                f"{field}: {text!r} is not an ISO 8601 time, e.g. 2026-09-01T09:00:00."
            ) from None
    elif not isinstance(value, datetime):
        raise SignsConfigError(f"{field}: {value!r} is not a datetime or an ISO 8601 string.")
    if value.tzinfo is not None:
        if zone is not None:
            value = value.astimezone(zone)
        value = value.replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}{suffix}"


def zone(name: Any, *, field: str) -> tzinfo:
    """An IANA time zone, checked before it is sent (``zoneinfo`` knows the names OptiSigns uses)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise SignsConfigError(
            f"{field}: {name!r} is not an IANA time zone; use a name such as 'Europe/Berlin' or 'UTC'."
        ) from None
