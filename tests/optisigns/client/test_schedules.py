"""Schedules: items, recurrence, overlap, wall-clock times, lost answers (client.schedules).

Everything runs against the emulator over loopback.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from signs_provider.common.errors import SignsConfigError
from signs_provider.optisigns.errors import (
    OptiSignsScheduleOverlapError,
)


def test_schedule_items_with_recurrence_and_overlap(hook, emulator) -> None:
    schedule = hook.upsert_schedule("Cafe hours", tags=["cafe"])
    assert hook.upsert_schedule("Cafe hours", tags=["cafe"])["_id"] == schedule["_id"]
    playlist = hook.find_playlist("Lobby Loop")["_id"]
    item = hook.add_schedule_item(
        schedule["_id"],
        playlist_id=playlist,
        start=datetime(2030, 1, 7, 8, 0),
        end=datetime(2030, 1, 7, 11, 0),
        rrule="FREQ=WEEKLY;BYDAY=MO,WE,FR",
        name="Breakfast",
    )
    assert item["repeatObject"]["rrule"] == "DTSTART:20300107T080000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR"
    assert item["range"] == {"startDate": "2030-01-07T08:00:00.000Z", "endDate": "2030-01-07T11:00:00.000Z"}
    with pytest.raises(OptiSignsScheduleOverlapError, match="overlaps.*force=True") as info:
        hook.add_schedule_item(
            schedule["_id"], playlist_id=playlist, start="2030-01-09T10:00:00Z", end="2030-01-09T12:00:00Z"
        )
    assert "overlap" in info.value.api_message.lower()
    forced = hook.add_schedule_item(
        schedule["_id"],
        playlist_id=playlist,
        start="2030-01-09T10:00:00Z",
        end="2030-01-09T12:00:00Z",
        force=True,
    )
    assert {i["_id"] for i in hook.list_schedule_items(schedule["_id"])} == {item["_id"], forced["_id"]}
    hook.remove_schedule_item(forced["_id"])
    assert [i["_id"] for i in hook.list_schedule_items(schedule["_id"])] == [item["_id"]]


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="its fault hits the first request, which pessimistic mode refuses in validation (a weak name) before the repaired one is sent",
)
def test_add_schedule_item_after_a_lost_answer_adds_once(hook, emulator) -> None:
    schedule = hook.upsert_schedule("Lossy schedule")["_id"]
    asset = hook.upsert_website_asset("S", "https://s.example.com")["_id"]
    emulator.control.add_fault("lost_response", operation="addScheduleItem")
    item = hook.add_schedule_item(
        schedule, asset_id=asset, start="2030-02-01T09:00:00Z", end="2030-02-01T10:00:00Z"
    )
    assert [i["_id"] for i in hook.list_schedule_items(schedule)] == [item["_id"]]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": "2030-01-01T10:00:00Z", "end": "2030-01-01T09:00:00Z"}, "end: must be after start"),
        ({"start": "tomorrow", "end": "2030-01-01T09:00:00Z"}, "start: 'tomorrow' is not an ISO 8601"),
        ({"start": "2030-01-01T08:00:00Z", "end": "2030-01-01T09:00:00Z", "rrule": "WEEKLY"}, "rrule.*FREQ"),
    ],
)
def test_bad_schedule_items_fail_before_any_request(hook, emulator, kwargs, message) -> None:
    with pytest.raises(SignsConfigError, match=message):
        hook.add_schedule_item("s", asset_id="a", **kwargs)
    assert emulator.control.requests() == []


def test_schedule_times_keep_the_wall_clock_of_aware_datetimes(hook) -> None:
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    schedule = hook.upsert_schedule("Opening hours")["_id"]
    playlist = hook.find_playlist("Lobby Loop")["_id"]
    item = hook.add_schedule_item(
        schedule,
        playlist_id=playlist,
        start=datetime(2031, 3, 3, 9, 0, tzinfo=berlin),
        end=datetime(2031, 3, 3, 17, 0, tzinfo=berlin),
    )
    # 09:00 in Berlin plays at 09:00 on the screens, not at 08:00 (its UTC time).
    assert item["range"] == {"startDate": "2031-03-03T09:00:00.000Z", "endDate": "2031-03-03T17:00:00.000Z"}
    # With the screens' zone given, an aware time is first converted to it.
    london = hook.add_schedule_item(
        schedule,
        playlist_id=playlist,
        start=datetime(2031, 3, 4, 9, 0, tzinfo=berlin),
        end=datetime(2031, 3, 4, 10, 0, tzinfo=berlin),
        local_timezone="Europe/London",
    )
    assert london["range"]["startDate"] == "2031-03-04T08:00:00.000Z"


# -- pure logic: times and recurrence -------------------------------------------------------------------


def test_item_payload_sends_wall_clock_times_and_a_full_rrule() -> None:
    from signs_provider.optisigns.client.schedules import item_payload

    payload = item_payload(
        "s1",
        kind="PLAYLIST",
        content_id="p1",
        start=datetime(2031, 3, 3, 9, 0),
        end="2031-03-03T17:30:00",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        name="Opening",
    )
    assert payload == {
        "scheduleId": "s1",
        "type": "PLAYLIST",
        "playlistId": "p1",
        "range": {"startDate": "2031-03-03T09:00:00.000Z", "endDate": "2031-03-03T17:30:00.000Z"},
        "name": "Opening",
        "repeatObject": {"rrule": "DTSTART:20310303T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO", "repeat": "custom"},
    }


def test_full_rrule_keeps_a_given_dtstart_and_refuses_a_rule_without_freq() -> None:
    from signs_provider.optisigns.client.schedules import full_rrule

    assert (
        full_rrule("RRULE:FREQ=DAILY", "2030-01-01T09:00:00.000Z")
        == "DTSTART:20300101T090000Z\nRRULE:FREQ=DAILY"
    )
    given = "DTSTART:20300101T080000Z\nRRULE:FREQ=DAILY"
    assert full_rrule(given, "2030-01-01T09:00:00.000Z") == given
    with pytest.raises(SignsConfigError, match="FREQ"):
        full_rrule("WEEKLY", "2030-01-01T09:00:00.000Z")


def test_api_time_keeps_the_wall_clock_or_converts_to_the_given_zone() -> None:
    from zoneinfo import ZoneInfo

    from signs_provider.optisigns.client._inputs import api_time

    berlin = datetime(2031, 7, 1, 9, 0, 0, 250000, tzinfo=ZoneInfo("Europe/Berlin"))
    assert api_time(berlin, field="t") == "2031-07-01T09:00:00.250Z"
    assert api_time(berlin, field="t", zone=ZoneInfo("UTC"), suffix="") == "2031-07-01T07:00:00.250"
    assert (
        api_time("2031-07-01T09:00:00Z", field="t", zone=ZoneInfo("Europe/Berlin"))
        == "2031-07-01T11:00:00.000Z"
    )
    assert api_time("2031-07-01T09:00", field="t") == "2031-07-01T09:00:00.000Z"
    with pytest.raises(SignsConfigError, match="t: 42 is not a datetime"):
        api_time(42, field="t")  # type: ignore[arg-type]
