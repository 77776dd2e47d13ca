"""Schedules and their items: play an asset or playlist at wall-clock times, repeated by an rrule."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from signs_provider.common.errors import SignsConfigError
from signs_provider.optisigns.client._inputs import (
    SCHEDULE_TIME_SUFFIX,
    api_time,
    content,
    name_text,
    oldest,
    required,
    zone,
)
from signs_provider.optisigns.client.graphql import Mutation, list_query
from signs_provider.optisigns.errors import OptiSignsGraphQLError

if TYPE_CHECKING:
    from signs_provider.optisigns.client.graphql import GraphQLSession

SCHEDULE_FIELDS = "_id name tags path createdAt"
# Not ScheduleItem.scheduleId (no public document selects it; the caller knows the schedule it listed).
SCHEDULE_ITEM_FIELDS = (
    "_id name type assetId playlistId range { startDate endDate } repeatObject { rrule repeat }"
)
SCHEDULES_QUERY = list_query("schedules", "QueryScheduleInput", SCHEDULE_FIELDS)
SCHEDULE_ITEMS_QUERY = list_query("scheduleItems", "QueryScheduleItemsInput", SCHEDULE_ITEM_FIELDS)
_SAVE_SCHEDULE = (
    "mutation SaveSchedule($payload: ScheduleInput!, $teamId: String) {\n"
    f"  saveSchedule(payload: $payload, teamId: $teamId) {{ {SCHEDULE_FIELDS} }}\n}}"
)
#: Saving without an ``_id`` creates a schedule: never sent twice blindly.
CREATE_SCHEDULE = Mutation(_SAVE_SCHEDULE, "saveSchedule", idempotent=False)
#: Saving the same fields on the same ``_id`` again changes nothing: safe to retry.
UPDATE_SCHEDULE = Mutation(_SAVE_SCHEDULE, "saveSchedule", idempotent=True)
#: Adds an item each time it is sent: never sent twice blindly.
ADD_SCHEDULE_ITEM = Mutation(
    "mutation AddScheduleItem($force: Boolean, $payload: AddScheduleItemInput!, $teamId: String) {\n"
    f"  addScheduleItem(force: $force, payload: $payload, teamId: $teamId) {{ {SCHEDULE_ITEM_FIELDS} }}\n}}",
    "addScheduleItem",
    idempotent=False,
)
#: Removing an item that is already gone leaves the same end state.
REMOVE_SCHEDULE_ITEM = Mutation(
    "mutation RemoveScheduleItem($payload: RemoveScheduleItemInput!, $teamId: String) {\n"
    "  removeScheduleItem(payload: $payload, scope: ALL, teamId: $teamId)\n}",
    "removeScheduleItem",
    idempotent=True,
)

log = logging.getLogger(__name__)

_CONTENT_FIELD = {"ASSET": "assetId", "PLAYLIST": "playlistId"}


class Schedules:
    """The team's schedules."""

    def __init__(self, graphql: GraphQLSession) -> None:
        self.graphql = graphql

    def list(self, *, name: str | None = None) -> builtins.list[dict[str, Any]]:
        """The team's schedules, optionally filtered by exact name."""
        return self.graphql.list(SCHEDULES_QUERY, {"name": name})

    def upsert(self, name: str, *, tags: Iterable[str] = (), path: str | None = None) -> dict[str, Any]:
        """Create the schedule ``name``, or return the one that exists (tags merged; the oldest if several)."""
        name = name_text(name)
        return self.graphql.upsert_named(  # type: ignore[no-any-return]
            name,
            tags,
            path,
            find=lambda: oldest(s for s in self.list(name=name) if s.get("name") == name),
            create=CREATE_SCHEDULE,
            update=UPDATE_SCHEDULE,
            what=f"schedule {name!r}",
            object_type="SCHEDULE",
        )

    def list_items(self, schedule_id: str) -> builtins.list[dict[str, Any]]:
        """The items of a schedule."""
        return self.graphql.list(
            SCHEDULE_ITEMS_QUERY, {"scheduleId": required(schedule_id, field="schedule_id")}
        )

    def add_item(
        self,
        schedule_id: str,
        *,
        start: datetime | str,
        end: datetime | str,
        asset_id: str | None = None,
        playlist_id: str | None = None,
        rrule: str | None = None,
        repeat: str | None = None,
        name: str | None = None,
        force: bool = False,
        local_timezone: str | None = None,
    ) -> dict[str, Any]:
        """Play an asset or playlist from ``start`` to ``end``, repeated by an iCalendar ``rrule``.

        Times are the screens' local wall-clock time: OptiSigns stores them with a ``Z`` suffix
        but plays them as floating local times (reference §4). So 09:00 means 09:00 on each
        screen, whatever the datetime's tzinfo: an aware datetime keeps its wall-clock time
        (it is not shifted to UTC), unless ``local_timezone`` (the screens' IANA zone) is given,
        in which case it is first converted to that zone. ``end`` is the end of the first
        occurrence; the series ends at the rule's ``UNTIL``.

        :param rrule: e.g. ``"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"``; ``DTSTART`` is added from ``start``.
        :raises OptiSignsScheduleOverlapError: the item clashes with another (unless ``force``).
        """
        kind, content_id = content(asset_id, playlist_id, None)
        payload = item_payload(
            schedule_id,
            kind=kind,
            content_id=content_id,
            start=start,
            end=end,
            rrule=rrule,
            repeat=repeat,
            name=name,
            local_timezone=local_timezone,
        )
        start_s = payload["range"]["startDate"]

        def look() -> dict[str, Any] | None:
            for item in self.list_items(schedule_id):
                same_range = (item.get("range") or {}).get("startDate") == start_s
                if same_range and item.get(_CONTENT_FIELD[kind]) == content_id:
                    return item
            return None

        return self.graphql.create_once(  # type: ignore[no-any-return]
            ADD_SCHEDULE_ITEM,
            {"payload": payload, "force": force},
            look=look,
            what=f"an item of schedule {schedule_id}",
        )

    def remove_item(self, item_id: str) -> None:
        """Remove a schedule item (every occurrence); an item that is already gone is not an error.

        The removal is retried after a lost answer, and a retry of the task sends it again: when the
        first one had landed, OptiSigns answers "not found" (404) for the item it removed. The end
        state is the one asked for, so that answer counts as done (and is logged).
        """
        item_id = required(item_id, field="item_id")
        try:
            self.graphql.send(REMOVE_SCHEDULE_ITEM, {"payload": {"_id": item_id}})
        except OptiSignsGraphQLError as exc:
            if exc.code != "404":
                raise
            log.warning("Schedule item %s is already gone (%s): nothing to remove.", item_id, exc.api_message)


# -- pure logic --------------------------------------------------------------------------------------


def item_payload(
    schedule_id: str,
    *,
    kind: str,
    content_id: str | None,
    start: datetime | str,
    end: datetime | str,
    rrule: str | None = None,
    repeat: str | None = None,
    name: str | None = None,
    local_timezone: str | None = None,
) -> dict[str, Any]:
    """The ``addScheduleItem`` payload, every argument checked.

    Times are the screens' local wall-clock time: OptiSigns stores them with a ``Z`` suffix but
    plays them as floating local times (reference §4). An aware datetime keeps its wall-clock time
    unless ``local_timezone`` is given, in which case it is first converted to that zone.
    """
    tz = zone(local_timezone, field="local_timezone") if local_timezone is not None else None
    start_s = api_time(start, field="start", zone=tz, suffix=SCHEDULE_TIME_SUFFIX)
    end_s = api_time(end, field="end", zone=tz, suffix=SCHEDULE_TIME_SUFFIX)
    if end_s <= start_s:
        raise SignsConfigError("end: must be after start.")
    payload: dict[str, Any] = {
        "scheduleId": required(schedule_id, field="schedule_id"),
        "type": kind,
        _CONTENT_FIELD[kind]: content_id,
        "range": {"startDate": start_s, "endDate": end_s},
    }
    if name:
        payload["name"] = name
    if rrule:
        payload["repeatObject"] = {"rrule": full_rrule(rrule, start_s), "repeat": repeat or "custom"}
    return payload


def full_rrule(rrule: str, start: str) -> str:
    """``rrule`` with a ``DTSTART`` taken from ``start`` (an API time), unless it has one.

    >>> full_rrule("FREQ=DAILY", "2030-01-01T09:00:00.000Z")
    'DTSTART:20300101T090000Z\\nRRULE:FREQ=DAILY'
    """
    text = rrule.strip()
    if "FREQ=" not in text.upper():
        raise SignsConfigError(f"rrule: {rrule!r} has no FREQ; use e.g. 'FREQ=DAILY;UNTIL=20261231T235900Z'.")
    if "DTSTART" in text.upper():
        return text
    rule = text if text.upper().startswith("RRULE:") else f"RRULE:{text}"
    dtstart = start.replace("-", "").replace(":", "").split(".")[0] + "Z"
    return f"DTSTART:{dtstart}\n{rule}"
