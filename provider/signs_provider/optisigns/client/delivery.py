"""Delivery: put content on screens, by a push (one call for many screens) or as their lasting setting.

Depends on :class:`~signs_provider.optisigns.client.screens.Screens`, which resolves names, ids and
tags (one listing) before anything is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from signs_provider.common.errors import SignsConfigError
from signs_provider.common.recovery import send_once
from signs_provider.optisigns.client._inputs import (
    CONTENT_ID_FIELD,
    PUSH_TIME_SUFFIX,
    api_time,
    content,
    str_list,
    zone,
)
from signs_provider.optisigns.client.graphql import Mutation, list_query
from signs_provider.optisigns.client.screens import DIRECT_LOOKUPS

if TYPE_CHECKING:
    from signs_provider.optisigns.client.graphql import GraphQLSession
    from signs_provider.optisigns.client.screens import Screens
    from signs_provider.optisigns.client.types import PushMode, Screen

# Evidence: pushToScreens rests on an unshipped draft of OptiSigns' SDK (sdkdraft-03, official-draft) and
# a third party; where the API refuses it the call raises OptiSignsGuessRefutedError pointing to
# assign_content (updateDevice, official). See client/evidence.py WEAK_NAMES.
_PUSH_TO_SCREENS = (
    "mutation PushToScreens($force: Boolean, $payload: PushToScreensInput!, $teamId: String) {\n"
    "  pushToScreens(force: $force, payload: $payload, teamId: $teamId)\n}"
)
log = logging.getLogger(__name__)

#: What a screen has queued (``scheduleGoLive``: scheduled pushes not started yet) and the takeover it
#: shows (``temporarily``): the fields the official SDK lists on a device; their inner shape is
#: [INFERRED] from the SDK (``currentType``, ``current*Id``, ``scheduleTime``; ``until``).
PUSHES_QUERY = list_query(
    "devices",
    "QueryDeviceInput",
    "_id currentType currentAssetId currentPlaylistId currentScheduleId scheduleGoLive temporarily",
)
#: Pushing the same content now again leaves the screens as they are: safe to retry.
PUSH_NOW = Mutation(_PUSH_TO_SCREENS, "pushToScreens", idempotent=True)
#: A repeated scheduled push may queue the change twice, and a repeated takeover restarts its
#: timer: not retried blindly.
PUSH_LATER = Mutation(_PUSH_TO_SCREENS, "pushToScreens", idempotent=False)


class Delivery:
    """What screens play.

    :param graphql: the GraphQL session.
    :param screens: resolves the target screens.
    """

    def __init__(self, graphql: GraphQLSession, screens: Screens) -> None:
        self.graphql = graphql
        self.screens = screens

    def assign(
        self,
        *,
        screen_ids: Iterable[str] = (),
        screen_names: Iterable[str] = (),
        tags: Iterable[str] = (),
        asset_id: str | None = None,
        playlist_id: str | None = None,
        schedule_id: str | None = None,
    ) -> dict[str, Any]:
        """Set what screens play (``updateDevice``, one call per screen); no content blanks them.

        The screens are resolved, and every id, name and tag checked, before any screen is changed
        (see :meth:`Screens.find <signs_provider.optisigns.client.screens.Screens.find>` for the cost).

        :return: ``{"content_type", "content_id", "screen_ids", "screens"}`` (``screens`` as updated).
        :raises UnknownScreensError: a screen is not one of the team's; nothing was changed.
        """
        ids = list(dict.fromkeys(str_list(screen_ids, field="screen_ids")))
        names = str_list(screen_names, field="screen_names")
        tag_list = str_list(tags, field="tags")
        if not (ids or names or tag_list):
            raise SignsConfigError("No screens: pass screen_ids, screen_names or tags.")
        kind, content_id = content(asset_id, playlist_id, schedule_id, allow_none=True)
        targets = self.screens.find(ids=ids, names=names, tags=tag_list)
        updated = [self.screens.set_content(s["_id"], kind, content_id) for s in targets]
        return {
            "content_type": kind,
            "content_id": content_id,
            "screen_ids": [s["_id"] for s in updated],
            "screens": updated,
        }

    def push(
        self,
        *,
        asset_id: str | None = None,
        playlist_id: str | None = None,
        schedule_id: str | None = None,
        screen_ids: Iterable[str] = (),
        screen_names: Iterable[str] = (),
        tags: Iterable[str] = (),
        tag_rules: Iterable[str] = (),
        mode: PushMode = "NOW",
        start_at: datetime | str | None = None,
        expire_at: datetime | str | None = None,
        local_timezone: str = "UTC",
        takeover_minutes: float | None = None,
        force: bool | None = None,
        once: bool = False,
    ) -> dict[str, Any]:
        """Push content to screens with one ``pushToScreens`` call, whatever the number of screens.

        Ids, names and tags are checked before anything is sent (each must match a screen).

        :param screen_ids: target screens by id.
        :param screen_names: target screens by name (resolved to ids).
        :param tags: target every screen carrying any of these tags (each must match a screen).
        :param tag_rules: target by tag rules (names of rules defined in OptiSigns; not checked,
            so the returned ``screen_ids`` may then be empty or incomplete).
        :param mode: ``NOW``; ``SCHEDULE`` (from ``start_at``, until ``expire_at`` if given);
            ``TEMPORARILY`` (a takeover for ``takeover_minutes``, then the screens revert).
        :param start_at: for ``SCHEDULE``. A naive time (or an ISO string without an offset) is
            the screens' wall-clock time and is sent as written; an aware time (or a string with
            an offset or ``Z``) is converted to ``local_timezone`` first.
        :param expire_at: like ``start_at``.
        :param local_timezone: the screens' IANA time zone, e.g. ``"Europe/Berlin"`` (checked).
        :param once: for ``SCHEDULE`` and ``TEMPORARILY``: first read the screens, and send nothing
            if every target already holds this push (a retry of a task whose first try sent it).

        A ``SCHEDULE`` or ``TEMPORARILY`` push is sent once: sent twice, a scheduled change is
        queued twice and a takeover restarts its timer. When its answer is lost, the target screens
        are read (their queued pushes and takeover, see :meth:`pushed`) for up to the landing wait:
        found, it is done; not found, :class:`~signs_provider.common.errors.AmbiguousWriteError`
        (not sent again). With ``tag_rules`` the screens are not known here and cannot be read.

        :return: ``{"content_type", "content_id", "mode", "screen_ids", "result"}``: ``screen_ids``
            are those the API reports reached, else those resolved here (for a push ``NOW`` by tags,
            the screens given by id or name only: the tags' screens are not listed, which would cost
            a call per 500 of them); ``result`` is the API's answer.

        Cost (issue 14): one ``pushToScreens``, after one call per tag (does it have a screen?) and
        per id or name (see :meth:`Screens.find <signs_provider.optisigns.client.screens.Screens.find>`),
        whatever the number of screens. A ``SCHEDULE`` or ``TEMPORARILY`` push by tags reads the
        tags' screens (a page per 500), which it needs to look for the push after a lost answer.
        """
        kind, content_id = content(asset_id, playlist_id, schedule_id)
        ids = str_list(screen_ids, field="screen_ids")
        names = str_list(screen_names, field="screen_names")
        tag_list = str_list(tags, field="tags")
        rules = str_list(tag_rules, field="tag_rules")
        if not (ids or names or tag_list or rules):
            raise SignsConfigError("No target: pass screen_ids, screen_names, tags or tag_rules.")
        payload: dict[str, Any] = {"type": mode, "currentType": kind, CONTENT_ID_FIELD[kind]: content_id}
        if mode == "NOW":
            operation = PUSH_NOW
        elif mode == "SCHEDULE":
            payload["scheduleData"] = schedule_data(start_at, expire_at, local_timezone)
            operation = PUSH_LATER
        elif mode == "TEMPORARILY":
            payload["temporarilyFlashData"] = {"scheduleTimeMinutes": takeover(takeover_minutes)}
            force = True if force is None else force  # as the official SDK does for a takeover
            operation = PUSH_LATER
        else:
            raise SignsConfigError(f"mode: {mode!r} is not one of NOW, SCHEDULE, TEMPORARILY.")
        # A push NOW goes to the tags' screens without this listing them: only that each tag has a
        # screen is checked (one call per tag, whatever the team's size). A scheduled push or a
        # takeover may have to be looked for on its screens (a lost answer, once=True): all are read.
        screens: list[Screen] = (
            self.screens.find(ids=ids, names=names, tags=tag_list, tag_members=mode != "NOW")
            if (ids or names or tag_list)
            else []
        )
        if names:
            # Names are resolved here; the API takes ids and tags.
            by_name = {s["_id"] for s in screens if {s.get("deviceName"), s.get("name")} & set(names)}
            ids = list(dict.fromkeys([*ids, *sorted(by_name)]))
        payload["deviceIds"] = ids
        if tag_list:
            payload["tags"] = tag_list
        if rules:
            payload["tagRules"] = rules
        variables = {"payload": payload, "force": force}
        targets = [s["_id"] for s in screens]
        if operation.idempotent or rules:
            # A push NOW is safe to repeat; with tag rules the screens are unknown here, so a lost
            # answer cannot be looked for (the transport raises AmbiguousWriteError).
            result = self.graphql.send(operation, variables)
        else:
            what = f"{mode} push of {kind} {content_id}"
            if once and self.pushed(targets, payload):
                log.info("%s: the screens already hold it (an earlier try sent it); not sent again.", what)
                result = {"deviceIds": targets, "already": True}
            else:
                result = send_once(
                    lambda: self.graphql.send(operation, variables),
                    lambda: {"deviceIds": targets, "found": True} if self.pushed(targets, payload) else None,
                    what=what,
                    wait=self.graphql.landing_wait,
                    interval=self.graphql.look_interval,
                    attempts=1,
                )
        reached = result.get("deviceIds") if isinstance(result, dict) else None
        return {
            "content_type": kind,
            "content_id": content_id,
            "mode": mode,
            "screen_ids": list(reached or (ids if mode == "NOW" and tag_list else targets)),
            "result": result,
        }

    def pushed(self, screen_ids: list[str], payload: Mapping[str, Any]) -> bool:
        """Whether every screen of ``screen_ids`` holds the scheduled push or takeover ``payload``."""
        if not screen_ids:
            return False
        if len(screen_ids) <= DIRECT_LOOKUPS:
            # A few screens: one query each by id (trusted filter), not a listing of the team.
            devices = {
                d["_id"]: d
                for i in dict.fromkeys(screen_ids)
                for d in self.graphql.list(PUSHES_QUERY, {"_id": i})
            }
        else:
            devices = {d["_id"]: d for d in self.graphql.list(PUSHES_QUERY, {})}
        return all(holds(devices.get(screen_id) or {}, payload) for screen_id in screen_ids)


# -- pure logic --------------------------------------------------------------------------------------


def holds(device: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    """Whether a device (with ``scheduleGoLive`` and ``temporarily``) holds the push ``payload``.

    A takeover: the device shows it now. A scheduled push: one of its queued pushes has the same
    content and start time (compared as instants: the push is sent as wall-clock time in its
    zone, the API may answer in UTC). [INFERRED] shapes, see :data:`PUSHES_QUERY`.
    """
    kind = payload["currentType"]
    field = CONTENT_ID_FIELD[kind]

    def same_content(entry: Any) -> bool:
        return (
            isinstance(entry, Mapping)
            and entry.get("currentType") == kind
            and entry.get(field) == payload[field]
        )

    if payload["type"] == "TEMPORARILY":
        return same_content(device.get("temporarily"))
    data = payload.get("scheduleData") or {}
    start = _instant(data.get("scheduleTime"), data.get("localTimezone"))
    queued = device.get("scheduleGoLive") or []
    return any(
        same_content(entry) and _instant(entry.get("scheduleTime"), data.get("localTimezone")) == start
        for entry in (queued if isinstance(queued, list) else [queued])
    )


def _instant(value: Any, zone_name: Any) -> datetime | None:
    """An API time as an aware instant; a time without offset is read in ``zone_name``."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(zone_name, field="local_timezone") if zone_name else timezone.utc)
    return parsed.astimezone(timezone.utc)


def schedule_data(
    start_at: datetime | str | None, expire_at: datetime | str | None, local_timezone: str
) -> dict[str, Any]:
    """``scheduleData`` of a scheduled push: wall-clock times in the screens' zone (checked)."""
    if start_at is None:
        raise SignsConfigError("start_at: required with mode='SCHEDULE' (when the change starts).")
    tz = zone(local_timezone, field="local_timezone")
    start = api_time(start_at, field="start_at", zone=tz, suffix=PUSH_TIME_SUFFIX)
    data: dict[str, Any] = {"scheduleTime": start, "localTimezone": local_timezone}
    if expire_at is not None:
        end = api_time(expire_at, field="expire_at", zone=tz, suffix=PUSH_TIME_SUFFIX)
        if end <= start:
            raise SignsConfigError("expire_at: must be after start_at.")
        data.update(expireScheduleTime=end, isCheckExpireTime=True)
    return data


def takeover(minutes: Any) -> float:
    """The minutes of a takeover, checked positive."""
    try:
        value = float(minutes) if minutes is not None else 0.0
    except (TypeError, ValueError):
        value = 0.0
    if not value > 0:
        raise SignsConfigError(
            f"takeover_minutes: a positive number of minutes is required with mode='TEMPORARILY', "
            f"got {minutes!r}."
        )
    return value
