"""In-memory OptiSigns account: screens, assets, playlists, schedules, uploads, and how they change over time.

One module per area, each a mixin over the shared :class:`~.core.StateCore` (stores, ids, lock, lookups):

- :mod:`.records`: constants, :class:`OptiSignsError`, time helpers, :class:`Upload`;
- :mod:`.screens`: pairing, settings, unpairing; bench screens and pairing codes for the control API;
- :mod:`.assets`: file and website assets; :mod:`.uploads`: signed upload parameters and received files;
- :mod:`.playlists` and :mod:`.schedules` (with the RRULE overlap check);
- :mod:`.delivery`: ``pushToScreens`` and ``settle``, which applies everything time-driven;
- this module: :class:`OptiSignsState` (the composition, the seeded account and the inspection views).

Everything that depends on time is applied lazily by :meth:`OptiSignsState.settle`, which every request calls
first, with the time taken from the shared :class:`~signs_emulator.clock.Clock`. So advancing the clock
through the control API is enough to make those things happen.

Behaviour the public sources do not pin down is marked [INFERRED] next to the constant or branch that
implements our guess.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime
from pathlib import Path
from typing import Any

from signs_emulator.credentials import OPTISIGNS_API_KEYS, OPTISIGNS_DEFAULT_TEAM_ID

from .assets import AssetsMixin
from .delivery import DeliveryMixin
from .playlists import PlaylistsMixin
from .records import (
    _SEED_TIME,
    ASSET_CONVERTING,
    ASSET_READY,
    DEFAULT_ITEM_DURATION,
    DEVICE_OFFLINE,
    DEVICE_ONLINE,
    MAX_UPLOAD_BYTES,
    TRANSLOADIT_AUTH_KEY,
    UPLOAD_OPTIONS_TTL,
    OptiSignsError,
    Upload,
    _content,
    _current,
    _item,
    _public,
    iso,
    parse_time,
    png_bytes,
)
from .schedules import SchedulesMixin
from .screens import ScreensMixin
from .uploads import UploadsMixin

__all__ = [
    "ASSET_CONVERTING",
    "ASSET_READY",
    "DEFAULT_ITEM_DURATION",
    "DEVICE_OFFLINE",
    "DEVICE_ONLINE",
    "MAX_UPLOAD_BYTES",
    "TRANSLOADIT_AUTH_KEY",
    "UPLOAD_OPTIONS_TTL",
    "OptiSignsError",
    "OptiSignsState",
    "Upload",
    "iso",
    "parse_time",
    "png_bytes",
]


class OptiSignsState(DeliveryMixin, ScreensMixin, AssetsMixin, PlaylistsMixin, SchedulesMixin, UploadsMixin):
    """One emulated OptiSigns account. All public methods are thread-safe."""

    # ------------------------------------------------------------------------------------------------------
    # seeding
    def reset(self) -> None:
        """Back to the seeded account (same ids every time for the same seed)."""
        with self.lock:
            self._rng = random.Random(self.seed)
            self.api_keys = dict(OPTISIGNS_API_KEYS)
            self.account_id = "emu-account-" + self._hex24()[:8]
            self.user = {
                "_id": self._hex24(),
                "accountId": self.account_id,
                "firstName": "Dana",
                "lastName": "Demo",
                "name": "Dana Demo",
                "email": "dana.demo@example.com",
                "username": "dana.demo",
            }
            self.teams = {
                OPTISIGNS_DEFAULT_TEAM_ID: {
                    "_id": OPTISIGNS_DEFAULT_TEAM_ID,
                    "name": "Default Team",
                    "description": "Default team of the emulated account",
                    "accountId": self.account_id,
                    "createdAt": iso(_SEED_TIME),
                },
                "2": {
                    "_id": "2",
                    "name": "Marketing",
                    "description": "A second, empty team",
                    "accountId": self.account_id,
                    "createdAt": iso(_SEED_TIME),
                },
            }
            self.devices = {}
            self.assets = {}
            self.playlists = {}
            self.schedules = {}
            self.schedule_items = {}
            self.uploads = {}
            self.pending_codes = {}
            self.scheduled_pushes = []
            self.upload_secret = hashlib.sha256(f"optisigns-emulator-{self.seed}".encode()).hexdigest()
            self._seed_account()

    def _seed_account(self) -> None:
        seed_dir = self.data_dir / "seed"
        seed_dir.mkdir(parents=True, exist_ok=True)
        t = _SEED_TIME
        welcome = self._seed_image_asset(seed_dir, "Welcome Slide.png", (31, 78, 121), (242, 169, 0), t)
        menu = self._seed_image_asset(seed_dir, "Lunch Menu.png", (46, 125, 50), (255, 255, 255), t)
        website = self._seed_web_asset("Company Website", "https://www.example.com/", t)
        kpi = self._seed_web_asset("KPI Dashboard", "https://dashboard.example.com/kpi", t)
        lobby_loop = self._seed_playlist("Lobby Loop", [welcome, website, menu], ["lobby"], t)
        self._seed_playlist("Office Rotation", [kpi, welcome], ["office"], t)
        schedule = self._new_schedule(
            {"name": "Weekday Opening Hours", "path": "/Lobby"}, OPTISIGNS_DEFAULT_TEAM_ID, t
        )
        self._new_schedule_item(
            {
                "scheduleId": schedule["_id"],
                "name": "Lobby Loop during opening hours",
                "type": "PLAYLIST",
                "playlistId": lobby_loop,
                "range": {"startDate": "2025-03-03T08:00:00.000Z", "endDate": "2025-03-03T18:00:00.000Z"},
                "repeatObject": {
                    "repeat": "weekly",
                    "rrule": "DTSTART:20250303T080000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
                },
            },
            OPTISIGNS_DEFAULT_TEAM_ID,
            t,
        )
        screens = [
            ("Lobby Entrance", "/Lobby", ["lobby"], True, ("PLAYLIST", lobby_loop)),
            ("Lobby Reception", "/Lobby", ["lobby"], True, ("ASSET", welcome)),
            ("Lobby Elevator", "/Lobby", ["lobby"], False, ("NONE", None)),
            ("Office Kitchen", "/Office", ["office"], True, ("ASSET", menu)),
            ("Office KPI Wall", "/Office", ["office", "kpi"], True, ("ASSET", kpi)),
            ("Office Meeting Room", "/Office", ["office", "kpi"], False, ("SCHEDULE", schedule["_id"])),
        ]
        for name, path, tags, online, (kind, ref) in screens:
            device = self._new_device(name, path, tags, online, OPTISIGNS_DEFAULT_TEAM_ID, t)
            self._assign(device, _content(kind, ref))
        # Two screens waiting to be paired, showing the pairing codes from the docs' examples.
        for code, model in (("3JRKC8", "Fire TV Stick 4K"), ("M9JTSY", "Chromecast with Google TV")):
            self.pending_codes[code] = {"model": model}

    def _seed_image_asset(
        self, seed_dir: Path, name: str, rgb: tuple[int, int, int], stripe: tuple[int, int, int], t: datetime
    ) -> str:
        path = seed_dir / name
        data = png_bytes(320, 180, rgb, stripe)
        path.write_bytes(data)
        asset = self._new_file_asset(name, path, len(data), "image/png", None, OPTISIGNS_DEFAULT_TEAM_ID, t)
        asset["status"] = ASSET_READY
        asset["emu_ready_at"] = None
        return str(asset["_id"])

    def _seed_web_asset(self, name: str, url: str, t: datetime) -> str:
        payload = {
            "type": "web",
            "fileType": "web",
            "webType": "website",
            "originalFileName": name,
            "webLink": url,
        }
        return str(self._new_web_asset(payload, OPTISIGNS_DEFAULT_TEAM_ID, t)["_id"])

    def _seed_playlist(self, name: str, asset_ids: list[str], tags: list[str], t: datetime) -> str:
        playlist = self._new_playlist({"name": name, "tags": tags}, OPTISIGNS_DEFAULT_TEAM_ID, t)
        playlist["emu_items"] = [_item(a, "ASSET") for a in asset_ids]
        return str(playlist["_id"])

    # ------------------------------------------------------------------------------------------------------
    # what screens show (the page and the control API)
    def describe_asset(self, asset_id: str | None, base_url: str) -> dict[str, Any] | None:
        asset = self.assets.get(asset_id or "")
        if asset is None:
            return {"_id": asset_id, "missing": True} if asset_id else None
        kind = asset.get("fileType") or asset.get("type")
        url = asset.get("webLink")
        if asset.get("emu_file"):
            url = f"{base_url}/_emulator/optisigns/files/{asset['_id']}"
        return {
            "_id": asset["_id"],
            "name": asset.get("originalFileName") or asset.get("name"),
            "kind": kind,
            "status": asset.get("status"),
            "url": url,
        }

    def describe_content(self, content: dict[str, Any], base_url: str, depth: int = 0) -> dict[str, Any]:
        kind = content.get("currentType") or "NONE"
        if kind == "ASSET":
            return {"type": "ASSET", "asset": self.describe_asset(content.get("currentAssetId"), base_url)}
        if kind == "PLAYLIST":
            playlist_id = content.get("currentPlaylistId") or content.get("currentAssetId")
            return {"type": "PLAYLIST", "playlist": self.describe_playlist(playlist_id, base_url, depth)}
        if kind == "SCHEDULE":
            schedule = self.schedules.get(content.get("currentScheduleId") or "")
            active = self.active_schedule_item(schedule["_id"]) if schedule else None
            playing = None
            if active is not None and depth < 3:
                if active.get("playlistId"):
                    playing = self.describe_content(
                        {"currentType": "PLAYLIST", "currentPlaylistId": active["playlistId"]},
                        base_url,
                        depth + 1,
                    )
                elif active.get("assetId"):
                    playing = self.describe_content(
                        {"currentType": "ASSET", "currentAssetId": active["assetId"]}, base_url, depth + 1
                    )
            return {
                "type": "SCHEDULE",
                "schedule": {"_id": schedule["_id"], "name": schedule["name"]} if schedule else None,
                "active_item": _public(active) if active else None,
                # Nothing scheduled now means a black screen (support article on schedules).
                "playing": playing,
            }
        return {"type": "NONE"}

    def describe_playlist(
        self, playlist_id: str | None, base_url: str, depth: int = 0
    ) -> dict[str, Any] | None:
        playlist = self.playlists.get(playlist_id or "")
        if playlist is None:
            return {"_id": playlist_id, "missing": True} if playlist_id else None
        items = []
        for item in playlist["emu_items"]:
            duration = item.get("duration", DEFAULT_ITEM_DURATION)
            if item["emu_kind"] == "PLAYLIST":
                nested = self.playlists.get(item["emu_ref"])
                items.append(
                    {
                        "kind": "playlist",
                        "_id": item["emu_ref"],
                        "name": nested["name"] if nested else None,
                        "duration": duration,
                    }
                )
            else:
                described = self.describe_asset(item["emu_ref"], base_url) or {}
                items.append({**described, "duration": duration})
        return {"_id": playlist["_id"], "name": playlist["name"], "items": items}

    def snapshot(self, base_url: str = "") -> dict[str, Any]:
        """JSON-serialisable state for the inspection API and the HTML page."""
        self.settle()
        with self.lock:
            screens = []
            for device in self.devices.values():
                view = self.device_view(device)
                view["showing"] = self.describe_content(_current(device), base_url)
                screens.append(view)
            return {
                "teams": list(self.teams.values()),
                "screens": screens,
                "pending_pairing_codes": sorted(self.pending_codes),
                "assets": [self.asset_view(a, base_url) for a in self.assets.values()],
                "playlists": [self.playlist_view(p, base_url) for p in self.playlists.values()],
                "schedules": [
                    {
                        **s,
                        "items": [
                            _public(i) for i in self.schedule_items.values() if i["scheduleId"] == s["_id"]
                        ],
                    }
                    for s in self.schedules.values()
                ],
                "scheduled_pushes": [
                    {
                        "deviceId": p["deviceId"],
                        "content": p["content"],
                        "start": iso(p["start"]),
                        "expire": iso(p["expire"]),
                        "started": p["started"],
                    }
                    for p in self.scheduled_pushes
                ],
                "uploads": [
                    {
                        "assembly_id": u.assembly_id,
                        "filename": u.filename,
                        "size": u.size,
                        "uploaded_at": iso(u.uploaded_at),
                    }
                    for u in self.uploads.values()
                ],
                "api_keys": {key: sorted(scopes) for key, scopes in self.api_keys.items()},
            }
