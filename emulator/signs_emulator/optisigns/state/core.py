"""The shared core of the emulated OptiSigns account: its stores, ids, lock, lookups and the helpers every
area uses (team check, assigning content to a screen). The areas are mixins over this core (see the
package docstring); :class:`~signs_emulator.optisigns.state.OptiSignsState` composes them.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from signs_emulator.clock import Clock
from signs_emulator.credentials import OPTISIGNS_DEFAULT_TEAM_ID

from .records import (
    _METEOR_ALPHABET,
    _PAIRING_ALPHABET,
    ASSET_READY,
    OptiSignsError,
    Upload,
    _matches,
    _public,
    iso,
)


class StateCore:
    """Stores and helpers shared by every area of the account. All public methods are thread-safe."""

    # The stores, (re)built by ``reset``.
    api_keys: dict[str, frozenset[str]]
    account_id: str
    user: dict[str, Any]
    teams: dict[str, dict[str, Any]]
    devices: dict[str, dict[str, Any]]
    assets: dict[str, dict[str, Any]]
    playlists: dict[str, dict[str, Any]]
    schedules: dict[str, dict[str, Any]]
    schedule_items: dict[str, dict[str, Any]]
    uploads: dict[str, Upload]
    pending_codes: dict[str, dict[str, Any]]
    scheduled_pushes: list[dict[str, Any]]
    upload_secret: str
    _rng: random.Random

    def __init__(
        self, clock: Clock, *, data_dir: Path, asset_ready_seconds: float = 2.0, seed: int = 0
    ) -> None:
        if asset_ready_seconds < 0:
            raise ValueError("asset_ready_seconds must be >= 0")
        self.clock = clock
        self.data_dir = Path(data_dir)
        self.asset_ready_seconds = asset_ready_seconds
        self.seed = seed
        self.lock = threading.RLock()
        self.reset()

    # ------------------------------------------------------------------------------------------------------
    # identifiers
    def _hex24(self) -> str:
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(24))

    def _meteor(self) -> str:
        return "".join(self._rng.choice(_METEOR_ALPHABET) for _ in range(17))

    def _pairing_code(self) -> str:
        while True:
            code = "".join(self._rng.choice(_PAIRING_ALPHABET) for _ in range(6))
            if code not in self.pending_codes and all(
                d["pairingCode"] != code for d in self.devices.values()
            ):
                return code

    def reset(self) -> None:
        """Back to the seeded account (composed in ``OptiSignsState``)."""
        raise NotImplementedError

    def settle(self) -> None:
        """Apply what became due by the clock's now (the delivery area implements it)."""
        raise NotImplementedError

    # ------------------------------------------------------------------------------------------------------
    # auth and teams
    def scopes_for(self, key: str) -> frozenset[str] | None:
        with self.lock:
            return self.api_keys.get(key)

    def add_api_key(self, key: str, scopes: Iterable[str]) -> None:
        if len(key) < 6:
            raise ValueError("key must be at least 6 characters, so Airflow masks it in logs")
        with self.lock:
            self.api_keys[key] = frozenset(scopes)

    def check_team(self, team_id: str | None) -> str:
        team = team_id or OPTISIGNS_DEFAULT_TEAM_ID
        if team not in self.teams:
            raise OptiSignsError(404, f"Team {team_id!r} not found")
        return team

    def asset_view(self, asset: dict[str, Any], base_url: str) -> dict[str, Any]:
        """An asset as the API shows it (also inside playlists, hence here)."""
        view = _public(asset)
        if asset.get("emu_file") and asset["status"] == ASSET_READY:
            view["thumbnail"] = f"{base_url}/_emulator/optisigns/files/{asset['_id']}"
        return view

    # ------------------------------------------------------------------------------------------------------
    # lookups, and operations over several kinds of object
    def _device(self, device_id: str, team: str) -> dict[str, Any]:
        device = self.devices.get(device_id)
        if device is None or device["teamId"] != team:
            raise OptiSignsError(404, f"Device {device_id!r} not found")
        return device

    def _asset(self, asset_id: str, team: str) -> dict[str, Any]:
        asset = self.assets.get(asset_id)
        if asset is None or asset["teamId"] != team:
            raise OptiSignsError(404, f"Asset {asset_id!r} not found")
        return asset

    def _playlist(self, playlist_id: str, team: str) -> dict[str, Any]:
        playlist = self.playlists.get(playlist_id)
        if playlist is None or playlist["teamId"] != team:
            raise OptiSignsError(404, f"Playlist {playlist_id!r} not found")
        return playlist

    def _schedule(self, schedule_id: str, team: str) -> dict[str, Any]:
        schedule = self.schedules.get(schedule_id)
        if schedule is None or schedule["teamId"] != team:
            raise OptiSignsError(404, f"Schedule {schedule_id!r} not found")
        return schedule

    def list_objects(self, kind: str, query: dict[str, Any], team: str) -> list[dict[str, Any]]:
        """Objects of one kind in the team, filtered by exact matches on the query keys. [INFERRED]"""
        store = {
            "devices": self.devices,
            "assets": self.assets,
            "playlists": self.playlists,
            "schedules": self.schedules,
            "scheduleItems": self.schedule_items,
        }[kind]
        result = []
        for obj in store.values():
            if obj.get("teamId") != team:
                continue
            if all(_matches(obj, key, value) for key, value in query.items() if value is not None):
                result.append(obj)
        return result

    def delete_objects(self, ids: list[str], kind: str, team: str) -> bool:
        with self.lock:
            if kind == "DEVICE":
                raise OptiSignsError(400, "Screens cannot be deleted with deleteObjects; use unPairDevices")
            # Unknown ids are ignored, so a retried delete succeeds. [INFERRED]
            store = {"ASSET": self.assets, "PLAYLIST": self.playlists, "SCHEDULE": self.schedules}[kind]
            for object_id in ids:
                obj = store.get(object_id)
                if obj is None or obj["teamId"] != team:
                    continue
                del store[object_id]
                if kind == "ASSET":
                    for playlist in self.playlists.values():
                        playlist["emu_items"] = [
                            i for i in playlist["emu_items"] if i["emu_ref"] != object_id
                        ]
                elif kind == "SCHEDULE":
                    self.schedule_items = {
                        k: v for k, v in self.schedule_items.items() if v["scheduleId"] != object_id
                    }
            return True

    def update_object_tags(
        self, ids: list[str], kind: str, mutation: str, tags: list[str], team: str
    ) -> dict[str, Any]:
        with self.lock:
            store = {
                "ASSET": self.assets,
                "PLAYLIST": self.playlists,
                "DEVICE": self.devices,
                "SCHEDULE": self.schedules,
            }[kind]
            objects = []
            for object_id in ids:
                obj = store.get(object_id)
                if obj is None or obj["teamId"] != team:
                    raise OptiSignsError(404, f"{kind.title()} {object_id!r} not found")
                objects.append(obj)
            for obj in objects:
                current = list(obj.get("tags") or [])
                if mutation == "ADD":
                    current += [t for t in tags if t not in current]
                elif mutation == "SET":
                    current = list(dict.fromkeys(tags))
                else:  # CLEAR
                    current = []
                obj["tags"] = current
            return {"status": True, "modified": len(objects)}

    # ------------------------------------------------------------------------------------------------------
    # content of a screen (used by screens, delivery and the seeding)
    def _validate_content(self, content: dict[str, Any], team: str) -> None:
        kind = content["currentType"]
        if kind == "ASSET":
            if not content.get("currentAssetId"):
                raise OptiSignsError(400, "currentAssetId is required when currentType is ASSET")
            self._asset(content["currentAssetId"], team)
        elif kind == "PLAYLIST":
            # The docs put the playlist id in currentAssetId; clients in the wild use currentPlaylistId.
            playlist_id = content.get("currentPlaylistId") or content.get("currentAssetId")
            if not playlist_id:
                raise OptiSignsError(400, "currentPlaylistId is required when currentType is PLAYLIST")
            self._playlist(playlist_id, team)
        elif kind == "SCHEDULE":
            if not content.get("currentScheduleId"):
                raise OptiSignsError(400, "currentScheduleId is required when currentType is SCHEDULE")
            self._schedule(content["currentScheduleId"], team)

    def _assign(self, device: dict[str, Any], content: dict[str, Any]) -> None:
        # An assignment replaces the previous one: ids not given are cleared. [INFERRED]
        for key in ("currentType", "currentAssetId", "currentPlaylistId", "currentScheduleId"):
            device[key] = content.get(key)
        device["currentSelectionDate"] = iso(self.clock.now())
