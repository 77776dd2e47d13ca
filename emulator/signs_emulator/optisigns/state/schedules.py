"""Schedules and their items: recurring time slots (RRULE) that play a playlist or an asset."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .core import StateCore
from .records import OptiSignsError, iso, parse_time

# Schedules repeat for ever unless UNTIL/COUNT says otherwise; overlap checks look this far ahead.
_SCHEDULE_HORIZON = timedelta(days=2 * 366)
_MAX_OCCURRENCES = 2000


class SchedulesMixin(StateCore):
    """Schedules of the account."""

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


def _floating(value: Any, field: str) -> datetime:
    """Schedule times are floating wall-clock times written with a ``Z``; compare them as naive datetimes."""
    return parse_time(value, field).replace(tzinfo=None)


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
