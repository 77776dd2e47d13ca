"""In-memory OptiSigns account: screens, assets, playlists, schedules, uploads, and how they change over time.

Everything that depends on time (a scheduled push going live or expiring, a temporary takeover reverting,
an uploaded asset finishing conversion) is applied lazily by :meth:`OptiSignsState.settle`, which every
request calls first, with the time taken from the shared :class:`~signs_emulator.clock.Clock`. So
advancing the clock through the control API is enough to make those things happen.

Behaviour the public sources do not pin down is marked [INFERRED] next to the constant or branch that
implements our guess.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import struct
import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Any

from signs_emulator.clock import Clock
from signs_emulator.credentials import OPTISIGNS_API_KEYS, OPTISIGNS_DEFAULT_TEAM_ID

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
_SCHEDULE_HORIZON = timedelta(days=2 * 366)
_MAX_OCCURRENCES = 2000

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


class OptiSignsState:
    """One emulated OptiSigns account. All public methods are thread-safe."""

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

    def _new_assembly_id(self) -> str:
        return "".join(self._rng.choice("0123456789abcdef") for _ in range(32))

    # ------------------------------------------------------------------------------------------------------
    # seeding
    def reset(self) -> None:
        """Back to the seeded account (same ids every time for the same seed)."""
        with self.lock:
            self._rng = random.Random(self.seed)
            self.api_keys: dict[str, frozenset[str]] = dict(OPTISIGNS_API_KEYS)
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
            self.teams: dict[str, dict[str, Any]] = {
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
            self.devices: dict[str, dict[str, Any]] = {}
            self.assets: dict[str, dict[str, Any]] = {}
            self.playlists: dict[str, dict[str, Any]] = {}
            self.schedules: dict[str, dict[str, Any]] = {}
            self.schedule_items: dict[str, dict[str, Any]] = {}
            self.uploads: dict[str, Upload] = {}
            self.pending_codes: dict[str, dict[str, Any]] = {}
            self.scheduled_pushes: list[dict[str, Any]] = []
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
    # time-driven changes
    def settle(self) -> None:
        """Apply everything that became due by the clock's now, in time order."""
        with self.lock:
            now = self.clock.now()
            events: list[tuple[datetime, int, str, Any]] = []
            for asset in self.assets.values():
                ready_at = asset.get("emu_ready_at")
                if ready_at is not None and ready_at <= now:
                    events.append((ready_at, 0, "ready", asset))
            for push in self.scheduled_pushes:
                if not push["started"] and push["start"] <= now:
                    events.append((push["start"], 1, "start", push))
                if push["expire"] is not None and not push["expired"] and push["expire"] <= now:
                    events.append((push["expire"], 2, "expire", push))
            for device in self.devices.values():
                takeover = device.get("emu_temporarily")
                if takeover and takeover["until"] <= now:
                    events.append((takeover["until"], 3, "revert", device))
            events.sort(key=lambda e: (e[0], e[1]))
            for _when, _order, kind, target in events:
                if kind == "ready":
                    target["status"] = ASSET_READY
                    target["emu_ready_at"] = None
                elif kind == "start":
                    screen = self.devices.get(target["deviceId"])
                    target["started"] = True
                    if screen is not None:
                        target["previous"] = _current(screen)
                        screen.pop("emu_temporarily", None)
                        self._assign(screen, target["content"])
                elif kind == "expire":
                    target["expired"] = True
                    screen = self.devices.get(target["deviceId"])
                    # After expiry the screen goes back to what it showed before the push. [INFERRED]
                    if screen is not None and target["started"] and _current(screen) == target["content"]:
                        self._assign(screen, target["previous"])
                elif kind == "revert":
                    takeover = target.pop("emu_temporarily")
                    self._assign(target, takeover["previous"])
            self.scheduled_pushes = [
                p
                for p in self.scheduled_pushes
                if not (p["started"] and (p["expire"] is None or p["expired"]))
            ]

    # ------------------------------------------------------------------------------------------------------
    # auth
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

    # ------------------------------------------------------------------------------------------------------
    # views
    def device_view(self, device: dict[str, Any]) -> dict[str, Any]:
        view = _public(device)
        now = self.clock.now()
        online = device["emu_online"]
        view["status"] = DEVICE_ONLINE if online else DEVICE_OFFLINE
        # Online screens heartbeat every heartbeatInterval seconds, so their last beat is always recent.
        view["lastHeartBeat"] = iso(now - timedelta(seconds=17)) if online else iso(device["emu_last_seen"])
        takeover = device.get("emu_temporarily")
        view["temporarily"] = (
            {"until": iso(takeover["until"]), **takeover["content"], "revertTo": takeover["previous"]}
            if takeover
            else None
        )
        pending = [p for p in self.scheduled_pushes if p["deviceId"] == device["_id"] and not p["started"]]
        view["scheduleGoLive"] = [
            {"scheduleTime": iso(p["start"]), "expireScheduleTime": iso(p["expire"]), **p["content"]}
            for p in pending
        ] or None
        return view

    def asset_view(self, asset: dict[str, Any], base_url: str) -> dict[str, Any]:
        view = _public(asset)
        if asset.get("emu_file") and asset["status"] == ASSET_READY:
            view["thumbnail"] = f"{base_url}/_emulator/optisigns/files/{asset['_id']}"
        return view

    def playlist_view(self, playlist: dict[str, Any], base_url: str) -> dict[str, Any]:
        view = _public(playlist)
        view["assets"] = self.playlist_items(playlist, base_url)
        view["totalDuration"] = sum(item.get("duration") or 0 for item in view["assets"])
        return view

    def playlist_items(self, playlist: dict[str, Any], base_url: str) -> list[dict[str, Any]]:
        items = []
        for item in playlist["emu_items"]:
            ref = item["emu_ref"]
            if item["emu_kind"] == "PLAYLIST":
                nested = self.playlists.get(ref)
                base: dict[str, Any] = {"_id": ref, "type": "playlist", "fileType": "playlist"}
                if nested is not None:
                    base["filename"] = nested["name"]
            else:
                asset = self.assets.get(ref)
                base = self.asset_view(asset, base_url) if asset is not None else {"_id": ref}
            base = {k: base.get(k) for k in _PLAYLIST_ITEM_FIELDS if k in base}
            base.update({k: v for k, v in item.items() if not k.startswith("emu_")})
            items.append(base)
        return items

    # ------------------------------------------------------------------------------------------------------
    # lookups
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

    # ------------------------------------------------------------------------------------------------------
    # devices
    def _new_device(
        self,
        name: str,
        path: str,
        tags: list[str],
        online: bool,
        team: str,
        t: datetime,
        model: str = "Fire TV Stick 4K",
    ) -> dict[str, Any]:
        device_id = self._hex24()
        device = {
            "_id": device_id,
            "UUID": "-".join(self._hex24()[:n] for n in (8, 4, 4, 4, 12)),
            "deviceName": name,
            "name": name,
            "pairingCode": self._pairing_code(),
            "path": path,
            "tags": list(tags),
            "teamId": team,
            "lastTeamId": team,
            "accountId": self.account_id,
            "currentType": "NONE",
            "currentAssetId": None,
            "currentPlaylistId": None,
            "currentScheduleId": None,
            "currentSelectionDate": iso(t),
            "orientation": "LANDSCAPE",
            "scale": "FIT",
            "localAppVersion": "5.8.12",
            "platform": "android",
            "os": "Android",
            "osVersion": "9",
            "manufacturer": "Amazon" if "Fire" in model else "Google",
            "model": model,
            "heartbeatInterval": 60,
            "pollingInterval": 30,
            "muted": False,
            "isVirtual": False,
            "isWebViewer": False,
            "createdAt": iso(t),
            "creationDate": iso(t),
            "activationDate": iso(t),
            "createdBy": self.user["_id"],
            "lastUpdatedBy": self.user["_id"],
            "lastUpdatedDate": iso(t),
            "emu_online": online,
            "emu_last_seen": t - timedelta(hours=3),
        }
        self.devices[device_id] = device
        return device

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

    def pair_device(self, payload: dict[str, Any], team: str) -> dict[str, Any]:
        code = (payload.get("pairingCode") or "").strip().upper()
        with self.lock:
            if any(d["pairingCode"] == code for d in self.devices.values()):
                raise OptiSignsError(406, "This device is already paired")
            pending = self.pending_codes.pop(code, None)
            if pending is None:
                raise OptiSignsError(404, f"No screen is showing pairing code {code!r}")  # [INFERRED] wording
            team = payload.get("teamId") or team
            self.check_team(team)
            name = payload.get("deviceName") or f"Screen {code}"
            device = self._new_device(
                name,
                payload.get("path") or "/",
                [],
                True,
                team,
                self.clock.now(),
                pending.get("model", "Fire TV Stick 4K"),
            )
            device["pairingCode"] = code
            return device

    def update_device(self, device_id: str, payload: dict[str, Any], team: str) -> dict[str, Any]:
        with self.lock:
            device = self._device(device_id, team)
            changes = dict(payload)
            if changes.get("currentType") is not None:
                content = {k: changes.pop(k, None) for k in _CONTENT_KEYS}
                self._validate_content(content, team)
                device.pop("emu_temporarily", None)
                self._assign(device, content)
            else:
                for key in _CONTENT_KEYS:
                    if changes.get(key) is not None:
                        raise OptiSignsError(400, f"{key} needs currentType in the same payload")
                    changes.pop(key, None)
            if "deviceName" in changes and changes["deviceName"]:
                changes["name"] = changes["deviceName"]
            if changes.get("teamId"):
                self.check_team(changes["teamId"])
            if changes.get("path") == "":
                changes["path"] = "/"
            for key, value in changes.items():
                device[key] = value
            device["lastUpdatedDate"] = iso(self.clock.now())
            return device

    def unpair_devices(self, device_ids: list[str], team: str) -> bool:
        with self.lock:
            # Unknown ids are ignored, so a retried unpair succeeds. [INFERRED]
            for device_id in device_ids:
                device = self.devices.get(device_id)
                if device is None or device["teamId"] != team:
                    continue
                del self.devices[device_id]
                # The unpaired screen shows its pairing code again. [INFERRED]
                self.pending_codes[device["pairingCode"]] = {"model": device.get("model")}
                self.scheduled_pushes = [p for p in self.scheduled_pushes if p["deviceId"] != device_id]
            return True

    def push_to_screens(self, payload: dict[str, Any], force: bool | None, team: str) -> dict[str, Any]:
        """Put content on screens now, at a time (optionally until a time), or for some minutes."""
        with self.lock:
            targets: dict[str, dict[str, Any]] = {}
            for device_id in payload.get("deviceIds") or []:
                if device_id:
                    targets[device_id] = self._device(device_id, team)
            # Tag rules are matched like tags here; the rule language is undocumented. [INFERRED]
            wanted_tags = set(payload.get("tags") or []) | set(payload.get("tagRules") or [])
            if wanted_tags:
                for device in self.devices.values():
                    if device["teamId"] == team and wanted_tags & set(device.get("tags") or []):
                        targets.setdefault(device["_id"], device)
            if not targets:
                raise OptiSignsError(
                    400, "pushToScreens needs deviceIds or tags that match at least one screen"
                )
            content = _push_content(payload)
            self._validate_content(content, team)
            now = self.clock.now()
            push_type = payload["type"]
            result: dict[str, Any] = {"status": True, "type": push_type, "deviceIds": list(targets)}
            if push_type == "NOW":
                for device in targets.values():
                    appended = (
                        payload.get("addToPlaylist")
                        and content["currentType"] == "ASSET"
                        and self._append_to_current_playlist(
                            device, content, payload.get("playlistData") or {}
                        )
                    )
                    if appended:
                        continue
                    device.pop("emu_temporarily", None)
                    self._assign(device, content)
            elif push_type == "SCHEDULE":
                data = payload.get("scheduleData")
                if not data:
                    raise OptiSignsError(
                        400, "scheduleData (scheduleTime, localTimezone) is required for SCHEDULE"
                    )
                tz_name = data.get("localTimezone")
                start = parse_time(data.get("scheduleTime"), "scheduleData.scheduleTime", tz_name)
                expire = None
                if (
                    data.get("expireScheduleTime") not in (None, "")
                    and data.get("isCheckExpireTime") is not False
                ):
                    expire = parse_time(
                        data["expireScheduleTime"], "scheduleData.expireScheduleTime", tz_name
                    )
                    if expire <= start:
                        raise OptiSignsError(
                            400, "scheduleData.expireScheduleTime must be after scheduleTime"
                        )
                # afterExpire (NOW|SCHEDULE|TEMPORARILY) has undocumented semantics; expiry reverts. [INFERRED]
                for device in targets.values():
                    self.scheduled_pushes.append(
                        {
                            "deviceId": device["_id"],
                            "content": content,
                            "start": start,
                            "expire": expire,
                            "started": False,
                            "expired": False,
                            "previous": None,
                        }
                    )
                result["scheduleTime"] = iso(start)
                result["expireScheduleTime"] = iso(expire)
            else:  # TEMPORARILY
                minutes = (payload.get("temporarilyFlashData") or {}).get("scheduleTimeMinutes")
                if not minutes or minutes <= 0:
                    raise OptiSignsError(
                        400, "temporarilyFlashData.scheduleTimeMinutes (> 0) is required for TEMPORARILY"
                    )
                until = now + timedelta(minutes=minutes)
                for device in targets.values():
                    previous = (
                        device["emu_temporarily"]["previous"]
                        if device.get("emu_temporarily")
                        else _current(device)
                    )
                    self._assign(device, content)
                    device["emu_temporarily"] = {"content": content, "until": until, "previous": previous}
                result["until"] = iso(until)
            # `force` is accepted; its effect is undocumented (the SDK sets it for TEMPORARILY). [INFERRED]
            result["force"] = bool(force)
        self.settle()
        return result

    def _append_to_current_playlist(
        self, device: dict[str, Any], content: dict[str, Any], playlist_data: dict[str, Any]
    ) -> bool:
        if device["currentType"] != "PLAYLIST":
            return False
        playlist = self.playlists.get(device.get("currentPlaylistId") or device.get("currentAssetId") or "")
        if playlist is None:
            return False
        item = _item(content["currentAssetId"], "ASSET")
        if playlist_data.get("duration"):
            item["duration"] = float(playlist_data["duration"])
        playlist["emu_items"].append(item)
        return True

    # ------------------------------------------------------------------------------------------------------
    # assets
    def _new_file_asset(
        self,
        name: str,
        path: Path,
        size: int,
        content_type: str,
        process_id: str | None,
        team: str,
        t: datetime,
    ) -> dict[str, Any]:
        ext = Path(name).suffix.lower().lstrip(".")
        file_type = _FILE_TYPES.get(ext)
        if file_type is None:
            supported = ", ".join(sorted(_FILE_TYPES))
            raise OptiSignsError(400, f"Unsupported file type {ext or '(none)'!r}; supported: {supported}")
        asset_id = self._meteor()
        asset: dict[str, Any] = {
            "_id": asset_id,
            "type": "file",
            "fileType": file_type,
            "appType": None,
            "name": name,
            "originalFileName": name,
            "filename": f"{asset_id}.{ext}",
            "fileExtension": ext,
            "originalFileExtension": ext,
            "fileSize": float(size),
            "originalFileSize": float(size),
            "processId": process_id,
            "AWSS3ID": f"{self.account_id}/{asset_id}.{ext}",
            "bucket": "optisigns-emulator",
            "status": ASSET_CONVERTING,
            "path": None,
            "tags": [],
            "teamId": team,
            "lastTeamId": team,
            "accountId": self.account_id,
            "createdAt": iso(t),
            "createdBy": self.user["_id"],
            "lastUpdatedBy": self.user["_id"],
            "lastUpdatedDate": iso(t),
            "emu_file": str(path),
            "emu_content_type": content_type or _CONTENT_TYPES.get(ext, "application/octet-stream"),
            "emu_ready_at": t + timedelta(seconds=self.asset_ready_seconds),
        }
        if file_type == "image":
            asset.update({"width": 320, "height": 180})
        self.assets[asset_id] = asset
        return asset

    def _new_web_asset(self, payload: dict[str, Any], team: str, t: datetime) -> dict[str, Any]:
        if not payload.get("webLink"):
            raise OptiSignsError(400, "webLink is required for a website asset")
        asset_id = self._meteor()
        name = payload.get("originalFileName") or payload["webLink"]
        asset: dict[str, Any] = {
            "_id": asset_id,
            "type": "web",
            "subType": "static",
            "fileType": "web",
            "webType": "website",
            "appType": "website",
            "status": ASSET_READY,
            "path": None,
            "tags": [],
            "teamId": team,
            "lastTeamId": team,
            "accountId": self.account_id,
            "createdAt": iso(t),
            "createdBy": self.user["_id"],
            "lastUpdatedBy": self.user["_id"],
            "lastUpdatedDate": iso(t),
        }
        asset.update({k: v for k, v in payload.items() if k not in ("_id", "teamId", "status")})
        asset["name"] = name
        asset["filename"] = name
        asset["originalFileName"] = name
        self.assets[asset_id] = asset
        return asset

    def save_asset(self, payload: dict[str, Any], team: str) -> dict[str, Any]:
        with self.lock:
            now = self.clock.now()
            if payload.get("_id"):
                asset = self._asset(payload["_id"], team)
                for key, value in payload.items():
                    if key in ("_id", "accountId", "createdAt", "createdBy", "processId"):
                        continue
                    if key == "status" and asset.get("emu_ready_at") is not None:
                        continue  # conversion state is the server's, not the client's
                    asset[key] = value
                if payload.get("originalFileName"):
                    asset["name"] = payload["originalFileName"]
                asset["lastUpdatedDate"] = iso(now)
                return asset
            target_team = payload.get("teamId") or team
            self.check_team(target_team)
            if payload.get("processId"):
                upload = self.uploads.get(payload["processId"])
                if upload is None:
                    raise OptiSignsError(404, f"No upload with processId {payload['processId']!r}")
                name = payload.get("originalFileName") or upload.filename
                if not Path(name).suffix:
                    name += Path(upload.filename).suffix
                asset = self._new_file_asset(
                    name, upload.path, upload.size, upload.content_type, upload.assembly_id, target_team, now
                )
                for key in ("path", "tags"):
                    if payload.get(key) is not None:
                        asset[key] = payload[key]
                self.settle()  # a zero ready delay makes the asset ready at once
                return asset
            if payload.get("webLink") or payload.get("type") == "web":
                return self._new_web_asset(payload, target_team, now)
            raise OptiSignsError(
                400,
                "saveAsset payload needs webLink (website asset), processId (uploaded file) or _id (update)",
            )

    def mark_asset_ready(self, asset_id: str) -> dict[str, Any]:
        with self.lock:
            asset = self.assets.get(asset_id)
            if asset is None:
                raise KeyError(asset_id)
            asset["status"] = ASSET_READY
            asset["emu_ready_at"] = None
            return asset

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
    # playlists
    def _new_playlist(self, payload: dict[str, Any], team: str, t: datetime) -> dict[str, Any]:
        playlist_id = self._meteor()
        playlist = {
            "_id": playlist_id,
            "name": payload["name"],
            "color": None,
            "path": None,
            "tags": [],
            "options": None,
            "teamId": team,
            "lastTeamId": team,
            "accountId": self.account_id,
            "isDisable": False,
            "createdAt": iso(t),
            "createdBy": self.user["_id"],
            "lastUpdatedBy": self.user["_id"],
            "lastUpdatedDate": iso(t),
            "emu_items": [],
        }
        playlist.update({k: v for k, v in payload.items() if k not in ("_id", "teamId") and v is not None})
        self.playlists[playlist_id] = playlist
        return playlist

    def save_playlist(self, payload: dict[str, Any], team: str) -> dict[str, Any]:
        with self.lock:
            if payload.get("_id"):
                playlist = self._playlist(payload["_id"], team)
                for key, value in payload.items():
                    if key not in ("_id", "teamId"):
                        playlist[key] = value
                playlist["lastUpdatedDate"] = iso(self.clock.now())
                return playlist
            if not (payload.get("name") or "").strip():
                raise OptiSignsError(400, "name must not be empty")
            target_team = payload.get("teamId") or team
            self.check_team(target_team)
            return self._new_playlist(payload, target_team, self.clock.now())

    def add_playlist_items(self, playlist_id: str, payload: dict[str, Any], team: str) -> dict[str, Any]:
        with self.lock:
            playlist = self._playlist(playlist_id, team)
            kind = payload.get("type") or "ASSET"
            if kind not in ("ASSET", "PLAYLIST"):
                raise OptiSignsError(400, "type must be ASSET or PLAYLIST")
            new_items = []
            for ref in payload["ids"]:
                if kind == "ASSET":
                    self._asset(ref, team)
                else:
                    self._playlist(ref, team)
                    if ref == playlist_id:
                        raise OptiSignsError(400, "A playlist cannot contain itself")
                new_items.append(_item(ref, kind))
            items = playlist["emu_items"]
            pos = payload.get("pos")
            if pos is None:
                pos = len(items)
            if pos < 0:
                raise OptiSignsError(400, f"pos must be >= 0; got {pos}")
            pos = min(pos, len(items))  # past the end appends [INFERRED]
            items[pos:pos] = new_items
            playlist["lastUpdatedDate"] = iso(self.clock.now())
            return playlist

    def _check_positions(self, playlist: dict[str, Any], positions: Iterable[int], field: str) -> list[int]:
        count = len(playlist["emu_items"])
        checked = []
        for pos in positions:
            if not 0 <= pos < count:
                raise OptiSignsError(400, f"{field} {pos} is out of range: the playlist has {count} item(s)")
            checked.append(pos)
        return checked

    def update_playlist_items(self, playlist_id: str, payload: dict[str, Any], team: str) -> dict[str, Any]:
        with self.lock:
            playlist = self._playlist(playlist_id, team)
            updates = []
            for entry in payload["items"]:
                positions = self._check_positions(playlist, entry["pos"], "pos")
                changes = {k: v for k, v in (entry.get("item") or {}).items() if v is not None}
                updates.append((positions, changes))
            for positions, changes in updates:
                for pos in positions:
                    playlist["emu_items"][pos].update(changes)
            playlist["lastUpdatedDate"] = iso(self.clock.now())
            return playlist

    def remove_playlist_items(self, playlist_id: str, positions: list[int], team: str) -> dict[str, Any]:
        with self.lock:
            playlist = self._playlist(playlist_id, team)
            drop = set(self._check_positions(playlist, positions, "pos"))
            playlist["emu_items"] = [item for i, item in enumerate(playlist["emu_items"]) if i not in drop]
            playlist["lastUpdatedDate"] = iso(self.clock.now())
            return playlist

    def move_playlist_items(self, playlist_id: str, froms: list[int], to: int, team: str) -> dict[str, Any]:
        """Take the items at ``froms`` (in that order) out and insert them at ``to`` of what remains. [INFERRED]"""
        with self.lock:
            playlist = self._playlist(playlist_id, team)
            positions = self._check_positions(playlist, froms, "froms")
            if len(set(positions)) != len(positions):
                raise OptiSignsError(400, "froms must not repeat a position")
            if to < 0:
                raise OptiSignsError(400, f"to must be >= 0; got {to}")
            items = playlist["emu_items"]
            moving = [items[p] for p in positions]
            rest = [item for i, item in enumerate(items) if i not in set(positions)]
            to = min(to, len(rest))
            playlist["emu_items"] = rest[:to] + moving + rest[to:]
            playlist["lastUpdatedDate"] = iso(self.clock.now())
            return playlist

    # ------------------------------------------------------------------------------------------------------
    # schedules
    def _new_schedule(self, payload: dict[str, Any], team: str, t: datetime) -> dict[str, Any]:
        schedule_id = self._meteor()
        schedule = {
            "_id": schedule_id,
            "name": payload.get("name") or "Untitled schedule",
            "path": payload.get("path"),
            "tags": payload.get("tags") or [],
            "groupId": payload.get("groupId"),
            "teamId": team,
            "lastTeamId": team,
            "accountId": self.account_id,
            "createdAt": iso(t),
            "createdBy": self.user["_id"],
            "lastUpdatedBy": self.user["_id"],
            "lastUpdatedDate": iso(t),
        }
        self.schedules[schedule_id] = schedule
        return schedule

    def save_schedule(self, payload: dict[str, Any], team: str) -> dict[str, Any]:
        with self.lock:
            if payload.get("_id"):
                schedule = self._schedule(payload["_id"], team)
                for key, value in payload.items():
                    if key not in ("_id", "teamId"):
                        schedule[key] = value
                schedule["lastUpdatedDate"] = iso(self.clock.now())
                return schedule
            target_team = payload.get("teamId") or team
            self.check_team(target_team)
            return self._new_schedule(payload, target_team, self.clock.now())

    def _item_fields(self, payload: dict[str, Any], team: str) -> dict[str, Any]:
        fields = {k: v for k, v in payload.items() if k not in ("_id", "scheduleId") and v is not None}
        kind = (fields.get("type") or "").upper()
        if fields.get("playlistId"):
            self._playlist(fields["playlistId"], team)
            kind = kind or "PLAYLIST"
        if fields.get("assetId"):
            self._asset(fields["assetId"], team)
            kind = kind or "ASSET"
        if kind:
            fields["type"] = kind
        return fields

    def _new_schedule_item(self, payload: dict[str, Any], team: str, t: datetime) -> dict[str, Any]:
        item_id = self._hex24()
        item = {
            "_id": item_id,
            "scheduleId": payload["scheduleId"],
            "name": payload.get("name"),
            "type": None,
            "assetId": None,
            "playlistId": None,
            "teamId": team,
            "repeatObject": None,
            "range": None,
            "documentDuration": None,
            "createdAt": iso(t),
            "lastUpdatedDate": iso(t),
        }
        item.update(self._item_fields(payload, team))
        self.schedule_items[item_id] = item
        return item

    def add_schedule_item(self, payload: dict[str, Any], force: bool | None, team: str) -> dict[str, Any]:
        with self.lock:
            self._schedule(payload["scheduleId"], team)
            fields = self._item_fields(payload, team)
            if not (fields.get("assetId") or fields.get("playlistId")):
                raise OptiSignsError(400, "A schedule item needs assetId or playlistId")
            candidate = {"scheduleId": payload["scheduleId"], **fields}
            occurrences = _occurrences(candidate)
            if not force:
                self._check_overlap(candidate, occurrences, exclude=None)
            return self._new_schedule_item(payload, team, self.clock.now())

    def update_schedule_item(self, payload: dict[str, Any], force: bool | None, team: str) -> dict[str, Any]:
        with self.lock:
            item = self.schedule_items.get(payload["_id"])
            if item is None or item["teamId"] != team:
                raise OptiSignsError(404, f"Schedule item {payload['_id']!r} not found")
            fields = self._item_fields(payload, team)
            candidate = {**item, **fields}
            occurrences = _occurrences(candidate)
            if not force:
                self._check_overlap(candidate, occurrences, exclude=item["_id"])
            item.update(fields)
            item["lastUpdatedDate"] = iso(self.clock.now())
            return item

    def remove_schedule_item(self, item_id: str, team: str) -> bool:
        with self.lock:
            item = self.schedule_items.get(item_id)
            if item is None or item["teamId"] != team:
                raise OptiSignsError(404, f"Schedule item {item_id!r} not found")
            del self.schedule_items[item_id]
            return True

    def _check_overlap(
        self, candidate: dict[str, Any], occurrences: list[tuple[datetime, datetime]], exclude: str | None
    ) -> None:
        for other in self.schedule_items.values():
            if other["scheduleId"] != candidate["scheduleId"] or other["_id"] == exclude:
                continue
            if _intervals_overlap(occurrences, _occurrences(other)):
                raise OptiSignsError(
                    409,
                    f"Schedule item overlaps with existing item {other['_id']!r} ({other.get('name') or 'unnamed'}); "
                    "pass force: true to add it anyway",
                )

    def active_schedule_item(self, schedule_id: str) -> dict[str, Any] | None:
        """The item a schedule plays now; the last updated wins on overlap (support article)."""
        now = self.clock.now().replace(tzinfo=None)
        playing = []
        for item in self.schedule_items.values():
            if item["scheduleId"] != schedule_id:
                continue
            try:
                start, length, rule = _series(item)
            except OptiSignsError:
                continue
            last = rule.before(now, inc=True) if rule is not None else (start if start <= now else None)
            if last is not None and last <= now < last + length:
                playing.append(item)
        playing.sort(key=lambda i: i.get("lastUpdatedDate") or "")
        return playing[-1] if playing else None

    # ------------------------------------------------------------------------------------------------------
    # uploads (Transloadit-style)
    def sign_params(self, params_json: str) -> str:
        digest = hmac.new(self.upload_secret.encode(), params_json.encode(), hashlib.sha384).hexdigest()
        return f"sha384:{digest}"

    def file_upload_options(self, team: str) -> dict[str, Any]:
        expires = self.clock.now() + UPLOAD_OPTIONS_TTL
        params = {
            "auth": {"key": TRANSLOADIT_AUTH_KEY, "expires": expires.strftime("%Y/%m/%d %H:%M:%S+00:00")},
            "template_id": "optisigns-emulator-file-upload",
            "fields": {"accountId": self.account_id, "teamId": team},
        }
        # Signed over the compact JSON the cookbook sends back: json.dumps(params, separators=(",", ":")).
        return {"params": params, "signature": self.sign_params(json.dumps(params, separators=(",", ":")))}

    def new_upload_target(self, filename: str) -> tuple[str, Path]:
        with self.lock:
            assembly_id = self._new_assembly_id()
        safe = Path(filename).name.replace("\x00", "") or "upload.bin"
        directory = self.data_dir / "uploads" / assembly_id
        directory.mkdir(parents=True, exist_ok=True)
        return assembly_id, directory / safe

    def add_upload(self, upload: Upload) -> None:
        with self.lock:
            self.uploads[upload.assembly_id] = upload

    # ------------------------------------------------------------------------------------------------------
    # control helpers
    def add_screens(
        self,
        count: int,
        *,
        tags: list[str],
        path: str,
        online: bool,
        name_prefix: str,
        team: str,
    ) -> list[str]:
        with self.lock:
            self.check_team(team)
            start = sum(1 for d in self.devices.values() if d["deviceName"].startswith(name_prefix))
            now = self.clock.now()
            return [
                self._new_device(f"{name_prefix} {start + i + 1:03d}", path, tags, online, team, now)["_id"]
                for i in range(count)
            ]

    def set_online(self, device_id: str, online: bool) -> dict[str, Any]:
        with self.lock:
            device = self.devices.get(device_id)
            if device is None:
                raise KeyError(device_id)
            if device["emu_online"] and not online:
                device["emu_last_seen"] = self.clock.now()
            device["emu_online"] = online
            return device

    def add_pairing_code(self, code: str | None, model: str | None) -> str:
        with self.lock:
            code = (code or self._pairing_code()).upper()
            if len(code) != 6 or not code.isalnum():
                raise ValueError("a pairing code is 6 letters or digits")
            self.pending_codes[code] = {"model": model or "Fire TV Stick 4K"}
            return code

    # ------------------------------------------------------------------------------------------------------
    # what screens show
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


def _push_content(payload: dict[str, Any]) -> dict[str, Any]:
    content = {key: payload.get(key) for key in _CONTENT_KEYS}
    if not content["currentType"]:
        # Without currentType, infer it from the id that was given. [INFERRED]
        for kind, key in (
            ("PLAYLIST", "currentPlaylistId"),
            ("SCHEDULE", "currentScheduleId"),
            ("ASSET", "currentAssetId"),
        ):
            if content[key]:
                content["currentType"] = kind
                break
        else:
            raise OptiSignsError(400, "pushToScreens needs currentType and the matching current*Id")
    return content


def _item(ref: str, kind: str) -> dict[str, Any]:
    return {"emu_ref": ref, "emu_kind": kind, "duration": DEFAULT_ITEM_DURATION}


def _matches(obj: dict[str, Any], key: str, value: Any) -> bool:
    if key == "tags":
        return not value or bool(set(value) & set(obj.get("tags") or []))
    return obj.get(key) == value


def _series(item: dict[str, Any]) -> tuple[datetime, timedelta, Any]:
    from dateutil.rrule import rrulestr

    range_ = item.get("range") or {}
    start = _floating(range_.get("startDate"), "range.startDate")
    end = _floating(range_.get("endDate"), "range.endDate")
    if end <= start:
        raise OptiSignsError(400, "range.endDate must be after range.startDate")
    text = ((item.get("repeatObject") or {}).get("rrule") or "").strip()
    if not text:
        return start, end - start, None
    try:
        rule = rrulestr(text, dtstart=start, ignoretz=True)
    except (ValueError, TypeError) as exc:
        raise OptiSignsError(400, f"repeatObject.rrule is not a valid RRULE: {exc}") from None
    return start, end - start, rule


def _occurrences(item: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    """Time intervals an item occupies (within the overlap horizon), sorted."""
    start, length, rule = _series(item)
    if rule is None:
        return [(start, start + length)]
    horizon = start + _SCHEDULE_HORIZON
    result: list[tuple[datetime, datetime]] = []
    for occurrence in rule:
        if occurrence > horizon or len(result) >= _MAX_OCCURRENCES:
            break
        result.append((occurrence, occurrence + length))
    return result


def _intervals_overlap(a: list[tuple[datetime, datetime]], b: list[tuple[datetime, datetime]]) -> bool:
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i][0] < b[j][1] and b[j][0] < a[i][1]:
            return True
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return False
