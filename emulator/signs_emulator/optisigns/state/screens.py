"""Screens (devices): pairing, settings, unpairing, and the control API's bench screens and pairing codes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .core import StateCore
from .records import _CONTENT_KEYS, DEVICE_OFFLINE, DEVICE_ONLINE, OptiSignsError, _public, iso


class ScreensMixin(StateCore):
    """Screens of the account."""

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
