"""The records of the emulated OptiSigns account: constants, the API error, time helpers and small shapes.

Objects are plain dicts in the API's own shape; keys starting with ``emu_`` are the emulator's own and never
leave it (see :func:`_public`). Behaviour the public sources do not pin down is marked [INFERRED] next to
the constant or branch that implements our guess.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Any

# [CONFLICT] the SDK types Device.status as a number; a third-party client maps ONLINE/SLEEP/OFFLINE strings.
# We follow the strings.
DEVICE_ONLINE = "ONLINE"
DEVICE_OFFLINE = "OFFLINE"
ASSET_CONVERTING = "converting"
# The status a file asset reaches after conversion is undocumented. [INFERRED]
ASSET_READY = "done"
# Default duration of a playlist item in seconds; undocumented (one client treats 7 s as "unchanged"). [INFERRED]
DEFAULT_ITEM_DURATION = 10.0
#: "The individual file upload limit is 1 GB by default" (support article).
MAX_UPLOAD_BYTES = 1024**3
#: How long signed upload parameters stay valid; Transloadit params carry auth.expires. [INFERRED]
UPLOAD_OPTIONS_TTL = timedelta(hours=1)
TRANSLOADIT_AUTH_KEY = "emulator-transloadit-auth-key"
# Schedules repeat for ever unless UNTIL/COUNT says otherwise; overlap checks look this far ahead.
_METEOR_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
_PAIRING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_SEED_TIME = datetime(2025, 3, 3, 9, 0, tzinfo=timezone.utc)

_FILE_TYPES = {
    **dict.fromkeys(("png", "jpg", "jpeg", "bmp", "gif"), "image"),
    **dict.fromkeys(("mp4", "avi"), "video"),
    **dict.fromkeys(
        ("pdf", "doc", "docx", "ppt", "pptx", "xls", "xlsx", "odt", "ods", "odp", "odg"), "document"
    ),
}
_CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "mp4": "video/mp4",
    "avi": "video/x-msvideo",
    "pdf": "application/pdf",
}


class OptiSignsError(Exception):
    """An API error; rendered as a GraphQL error with ``extensions.code`` and ``extensions.response``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def extensions(self) -> dict[str, Any]:
        phrase = HTTPStatus(self.status).phrase
        return {"code": str(self.status), "response": {"statusCode": self.status, "error": phrase}}


def iso(dt: datetime | None) -> str | None:
    """Format like the API does: UTC, milliseconds, ``Z``."""
    if dt is None:
        return None
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: Any, field: str, tz_name: str | None = None) -> datetime:
    """Parse an ISO 8601 string or epoch milliseconds into an aware datetime.

    A time without an offset is read in ``tz_name`` (the screen's local time zone) or UTC.
    """
    if isinstance(value, bool) or value is None or value == "":
        raise OptiSignsError(400, f"{field} is required: an ISO 8601 time or epoch milliseconds")
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    if not isinstance(value, str):
        raise OptiSignsError(400, f"{field} must be an ISO 8601 string or epoch milliseconds; got {value!r}")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise OptiSignsError(400, f"{field} is not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        tz: Any = timezone.utc
        if tz_name:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                tz = ZoneInfo(tz_name)
            except (ZoneInfoNotFoundError, ValueError):
                raise OptiSignsError(400, f"localTimezone {tz_name!r} is not an IANA time zone") from None
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def _floating(value: Any, field: str) -> datetime:
    """Schedule times are floating wall-clock times written with a ``Z``; compare them as naive datetimes."""
    return parse_time(value, field).replace(tzinfo=None)


def _public(obj: dict[str, Any]) -> dict[str, Any]:
    """The API-visible part of a stored object (internal keys start with ``emu_``)."""
    return {k: v for k, v in obj.items() if not k.startswith("emu_")}


def png_bytes(width: int, height: int, rgb: tuple[int, int, int], stripe: tuple[int, int, int]) -> bytes:
    """A small striped PNG, so seeded image assets have real pictures to show."""
    rows = []
    for y in range(height):
        color = stripe if (y // 12) % 4 == 0 else rgb
        rows.append(b"\x00" + bytes(color) * width)
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@dataclass
class Upload:
    """A file received by the Transloadit-style endpoint."""

    assembly_id: str
    filename: str
    path: Path
    size: int
    content_type: str
    uploaded_at: datetime
    params: dict[str, Any]


# -------------------------------------------------------------------------------------------------------------
_CONTENT_KEYS = ("currentType", "currentAssetId", "currentPlaylistId", "currentScheduleId")
# Asset fields copied onto a playlist item (the item's own settings such as duration come on top).
_PLAYLIST_ITEM_FIELDS = frozenset(
    {
        "AWSS3ID", "_id", "appType", "bucket", "commonType", "doc_pages", "duration", "embedLink", "fileSize",
        "fileType", "filename", "framerate", "height", "iFrameAllow", "isCaption", "isHide", "refreshInterval",
        "requestDesktopSite", "status", "subType", "thumbnail", "type", "video_1080p", "video_bitrate",
        "video_codec", "webLink", "webType", "width", "youtubeType",
    }
)  # fmt: skip


def _content(kind: str, ref: str | None) -> dict[str, Any]:
    key = {"ASSET": "currentAssetId", "PLAYLIST": "currentPlaylistId", "SCHEDULE": "currentScheduleId"}.get(
        kind
    )
    content: dict[str, Any] = {"currentType": kind}
    if key:
        content[key] = ref
    return content


def _current(device: dict[str, Any]) -> dict[str, Any]:
    return {key: device.get(key) for key in _CONTENT_KEYS}


def _item(ref: str, kind: str) -> dict[str, Any]:
    return {"emu_ref": ref, "emu_kind": kind, "duration": DEFAULT_ITEM_DURATION}


def _matches(obj: dict[str, Any], key: str, value: Any) -> bool:
    if key == "tags":
        return not value or bool(set(value) & set(obj.get("tags") or []))
    return obj.get(key) == value
