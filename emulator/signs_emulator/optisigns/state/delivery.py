"""Delivery: what screens show, now (``pushToScreens``), later (scheduled pushes) or for a while
(temporary takeovers), and :meth:`DeliveryMixin.settle`, which applies everything time-driven.

Everything that depends on time (a scheduled push going live or expiring, a temporary takeover reverting,
an uploaded asset finishing conversion) is applied lazily by ``settle``, which every request calls first,
with the time taken from the shared :class:`~signs_emulator.clock.Clock`. So advancing the clock through
the control API is enough to make those things happen.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from .core import StateCore
from .records import _CONTENT_KEYS, ASSET_READY, OptiSignsError, _current, _item, iso, parse_time


class DeliveryMixin(StateCore):
    """Putting content on screens."""

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

    def push_to_screens(self, payload: dict[str, Any], force: bool | None, team: str) -> dict[str, Any]:
        """Put content on screens now, at a time (optionally until a time), or for some minutes."""
        with self.lock:
            targets = self._push_targets(payload, team)
            content = _push_content(payload)
            self._validate_content(content, team)
            push_type = payload["type"]
            result: dict[str, Any] = {"status": True, "type": push_type, "deviceIds": list(targets)}
            if push_type == "NOW":
                self._push_now(targets.values(), content, payload)
            elif push_type == "SCHEDULE":
                result.update(self._push_later(targets.values(), content, payload))
            else:  # TEMPORARILY
                result.update(self._push_temporarily(targets.values(), content, payload))
            # `force` is accepted; its effect is undocumented (the SDK sets it for TEMPORARILY). [INFERRED]
            result["force"] = bool(force)
        self.settle()
        return result

    def _push_targets(self, payload: dict[str, Any], team: str) -> dict[str, dict[str, Any]]:
        """The screens a push goes to: the given ids, then the team's screens with a wanted tag."""
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
            raise OptiSignsError(400, "pushToScreens needs deviceIds or tags that match at least one screen")
        return targets

    def _push_now(
        self, targets: Iterable[dict[str, Any]], content: dict[str, Any], payload: dict[str, Any]
    ) -> None:
        for device in targets:
            appended = (
                payload.get("addToPlaylist")
                and content["currentType"] == "ASSET"
                and self._append_to_current_playlist(device, content, payload.get("playlistData") or {})
            )
            if appended:
                continue
            device.pop("emu_temporarily", None)
            self._assign(device, content)

    def _push_later(
        self, targets: Iterable[dict[str, Any]], content: dict[str, Any], payload: dict[str, Any]
    ) -> dict[str, Any]:
        """A ``SCHEDULE`` push: queued per screen, applied (and expired) by ``settle``."""
        data = payload.get("scheduleData")
        if not data:
            raise OptiSignsError(400, "scheduleData (scheduleTime, localTimezone) is required for SCHEDULE")
        tz_name = data.get("localTimezone")
        start = parse_time(data.get("scheduleTime"), "scheduleData.scheduleTime", tz_name)
        expire = None
        if data.get("expireScheduleTime") not in (None, "") and data.get("isCheckExpireTime") is not False:
            expire = parse_time(data["expireScheduleTime"], "scheduleData.expireScheduleTime", tz_name)
            if expire <= start:
                raise OptiSignsError(400, "scheduleData.expireScheduleTime must be after scheduleTime")
        # afterExpire (NOW|SCHEDULE|TEMPORARILY) has undocumented semantics; expiry reverts. [INFERRED]
        for device in targets:
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
        return {"scheduleTime": iso(start), "expireScheduleTime": iso(expire)}

    def _push_temporarily(
        self, targets: Iterable[dict[str, Any]], content: dict[str, Any], payload: dict[str, Any]
    ) -> dict[str, Any]:
        """A ``TEMPORARILY`` takeover: shown now, reverted by ``settle`` after the minutes given."""
        minutes = (payload.get("temporarilyFlashData") or {}).get("scheduleTimeMinutes")
        if not minutes or minutes <= 0:
            raise OptiSignsError(
                400, "temporarilyFlashData.scheduleTimeMinutes (> 0) is required for TEMPORARILY"
            )
        until = self.clock.now() + timedelta(minutes=minutes)
        for device in targets:
            previous = (
                device["emu_temporarily"]["previous"] if device.get("emu_temporarily") else _current(device)
            )
            self._assign(device, content)
            device["emu_temporarily"] = {"content": content, "until": until, "previous": previous}
        return {"until": iso(until)}

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
