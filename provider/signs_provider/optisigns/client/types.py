"""What the API's objects look like (plain JSON dicts, as OptiSigns returns them) and argument types."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypedDict

from signs_provider.common.errors import SignsConfigError

if TYPE_CHECKING:
    from airflow.sdk import ObjectStoragePath


class Screen(TypedDict, total=False):
    """A device (screen) as selected by :data:`~signs_provider.optisigns.client.screens.SCREEN_FIELDS`."""

    _id: str
    deviceName: str | None
    name: str | None
    tags: list[str] | None
    path: str | None
    currentType: str | None
    currentAssetId: str | None
    currentPlaylistId: str | None
    currentScheduleId: str | None
    lastHeartBeat: str | None
    status: str | int | None
    orientation: str | None


class ScreenStatus(TypedDict):
    """What a screen shows now and whether it is online; JSON-serializable for XCom."""

    id: str
    name: str | None
    tags: list[str]
    online: bool
    content_type: str | None
    content_id: str | None
    last_heartbeat: str | None


class AssetInfo(TypedDict, total=False):
    """An asset as selected by :data:`~signs_provider.optisigns.client.assets.ASSET_FIELDS`."""

    _id: str
    originalFileName: str | None
    name: str | None
    type: str | None
    fileType: str | None
    webLink: str | None
    status: str | None
    tags: list[str] | None
    path: str | None
    processId: str | None
    createdAt: str | None


class PlaylistItem(TypedDict, total=False):
    """One entry of a playlist: ``_id`` is the asset id, ``duration`` is in seconds."""

    _id: str
    filename: str | None
    fileType: str | None
    type: str | None
    duration: float | None


class PlaylistInfo(TypedDict, total=False):
    """A playlist; ``assets`` is the ordered item list."""

    _id: str
    name: str
    tags: list[str] | None
    path: str | None
    totalDuration: float | None
    createdAt: str | None
    assets: list[PlaylistItem]


@dataclass(frozen=True)
class PlaylistEntry:
    """One wanted playlist entry: an asset and how long it shows (seconds; ``None`` keeps the default)."""

    asset_id: str
    duration: float | None = None

    @classmethod
    def coerce(cls, value: PlaylistEntryLike, *, index: int = 0) -> PlaylistEntry:
        """Accept ``"assetId"``, ``("assetId", 15)`` or ``{"asset_id": ..., "duration": ...}``.

        The duration is checked here, so that a bad one names its item.
        """
        if isinstance(value, PlaylistEntry):
            entry = value
        elif isinstance(value, str):
            entry = cls(value)
        elif isinstance(value, Mapping):
            asset_id = value.get("asset_id") or value.get("_id") or value.get("id")
            entry = cls(str(asset_id or ""), value.get("duration"))
        elif isinstance(value, Sequence) and len(value) == 2:
            raw: Any = value[1]
            entry = cls(str(value[0]), raw)
        else:
            raise SignsConfigError(
                f"items[{index}]: {value!r} is not a playlist entry. Use an asset id, "
                "(asset_id, seconds) or {'asset_id': ..., 'duration': seconds}."
            )
        if not entry.asset_id:
            raise SignsConfigError(f"items[{index}]: the asset id is empty.")
        if entry.duration is not None:
            try:
                seconds = float(entry.duration)
            except (TypeError, ValueError):
                raise SignsConfigError(
                    f"items[{index}].duration: {entry.duration!r} is not a number of seconds."
                ) from None
            if not seconds > 0:
                raise SignsConfigError(
                    f"items[{index}].duration: must be positive seconds, got {entry.duration!r}."
                )
            entry = cls(entry.asset_id, seconds)
        return entry


PlaylistEntryLike: TypeAlias = "PlaylistEntry | str | Sequence[Any] | Mapping[str, Any]"
UploadSource: TypeAlias = "str | os.PathLike[str] | bytes | ObjectStoragePath"
PushMode = Literal["NOW", "SCHEDULE", "TEMPORARILY"]
TagMode = Literal["ADD", "SET", "CLEAR"]
