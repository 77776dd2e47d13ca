"""Delivery: assign and push content to screens, targets checked first, push times (client.delivery).

Everything runs against the emulator over loopback.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from signs_provider.common.errors import SignsConfigError
from signs_provider.common.times import parse_api_time
from signs_provider.optisigns.errors import (
    UnknownScreensError,
)
from signs_provider.optisigns.hooks import (
    screen_content,
)
from tests.optisigns.conftest import (
    emulated_now,
    screens_by_name,
    showing,
)


@pytest.mark.signs_emulator_pessimistic(
    False, reason="blanks a screen with currentType NONE (MEDIA_TYPES.NONE: third-party evidence only)"
)
def test_assign_content_sets_each_screen(hook, emulator) -> None:
    screens = screens_by_name(hook)
    kitchen, wall = screens["Office Kitchen"]["_id"], screens["Office KPI Wall"]["_id"]
    playlist = hook.find_playlist("Lobby Loop")["_id"]
    updated = hook.assign_content([kitchen, wall], playlist_id=playlist)
    assert [screen_content(s) for s in updated] == [("PLAYLIST", playlist)] * 2
    assert showing(emulator, kitchen) == ("PLAYLIST", playlist)
    assert emulator.control.count(operation="updateDevice") == 2
    hook.assign_content([kitchen])
    assert showing(emulator, kitchen) == ("NONE", None)


def test_assign_content_is_retried_as_idempotent(hook, emulator) -> None:
    kitchen = screens_by_name(hook)["Office Kitchen"]["_id"]
    asset = hook.upsert_website_asset("Assigned", "https://x.example.com")["_id"]
    emulator.control.add_fault("lost_response", operation="updateDevice")
    hook.assign_content([kitchen], asset_id=asset)
    assert showing(emulator, kitchen) == ("ASSET", asset)
    assert emulator.control.count(operation="updateDevice") == 2


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_push_now_to_a_tag_is_one_call(hook, emulator) -> None:
    asset = hook.upsert_website_asset("Pushed", "https://p.example.com")["_id"]
    emulator.control.reset_requests()
    result = hook.push_to_screens(asset_id=asset, tags=["office"])
    assert emulator.control.count(operation="pushToScreens") == 1
    office = [s["_id"] for s in hook.list_screens(tags=["office"])]
    assert sorted(result["screen_ids"]) == sorted(office)
    assert all(showing(emulator, i) == ("ASSET", asset) for i in office)
    assert result["result"]["status"] is True


def test_push_to_unknown_tag_or_id_changes_nothing(hook, emulator) -> None:
    asset = hook.upsert_website_asset("Pushed", "https://p.example.com")["_id"]
    with pytest.raises(UnknownScreensError, match="cafeteria"):
        hook.push_to_screens(asset_id=asset, tags=["office", "cafeteria"])
    with pytest.raises(UnknownScreensError, match="ffffffffffffffffffffffff"):
        hook.push_to_screens(asset_id=asset, screen_ids=["ffffffffffffffffffffffff"])
    assert emulator.control.count(operation="pushToScreens") == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"asset_id": "a"}, "No target"),
        ({"tags": ["lobby"]}, "No content"),
        ({"asset_id": "a", "playlist_id": "p", "tags": ["lobby"]}, "only one of"),
        ({"asset_id": "a", "tags": ["lobby"], "mode": "SCHEDULE"}, "start_at: required"),
        ({"asset_id": "a", "tags": ["lobby"], "mode": "TEMPORARILY"}, "takeover_minutes"),
        ({"asset_id": "a", "tags": ["lobby"], "mode": "LATER"}, "mode"),
        (
            {
                "asset_id": "a",
                "tags": ["lobby"],
                "mode": "SCHEDULE",
                "start_at": "2030-01-02T00:00:00Z",
                "expire_at": "2030-01-01T00:00:00Z",
            },
            "expire_at: must be after start_at",
        ),
    ],
)
def test_push_bad_input_fails_before_any_request(hook, emulator, kwargs, message) -> None:
    with pytest.raises(SignsConfigError, match=message):
        hook.push_to_screens(**kwargs)
    assert emulator.control.requests() == []


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_push_scheduled_with_expiry_then_reverts(hook, emulator) -> None:
    kitchen = screens_by_name(hook)["Office Kitchen"]
    before = screen_content(kitchen)
    asset = hook.upsert_website_asset("Promo", "https://promo.example.com")["_id"]
    start = emulated_now(emulator) + timedelta(hours=1)
    hook.push_to_screens(
        asset_id=asset,
        screen_ids=[kitchen["_id"]],
        mode="SCHEDULE",
        start_at=start,
        expire_at=start + timedelta(hours=2),
    )
    assert showing(emulator, kitchen["_id"]) == before
    emulator.control.advance_clock(hours=1, minutes=1)
    assert showing(emulator, kitchen["_id"]) == ("ASSET", asset)
    emulator.control.advance_clock(hours=2)
    assert showing(emulator, kitchen["_id"]) == before


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_push_takeover_then_reverts(hook, emulator) -> None:
    entrance = screens_by_name(hook)["Lobby Entrance"]
    asset = hook.upsert_website_asset("Alert", "https://alert.example.com")["_id"]
    hook.push_to_screens(asset_id=asset, tags=["lobby"], mode="TEMPORARILY", takeover_minutes=5)
    assert showing(emulator, entrance["_id"]) == ("ASSET", asset)
    emulator.control.advance_clock(minutes=6)
    assert showing(emulator, entrance["_id"]) == screen_content(entrance)


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_push_scheduled_with_a_lost_answer_is_found_on_the_screens_not_resent(hook, emulator) -> None:
    asset = hook.upsert_website_asset("Promo", "https://promo.example.com")["_id"]
    emulator.control.add_fault("lost_response", operation="pushToScreens")
    result = hook.push_to_screens(
        asset_id=asset, tags=["lobby"], mode="SCHEDULE", start_at="2031-01-01T09:00:00Z"
    )
    # The screens' queued pushes (scheduleGoLive) show it landed: sent once, not twice.
    assert emulator.control.count(operation="pushToScreens") == 1
    lobby = hook.list_screens(tags=["lobby"])
    assert set(result["screen_ids"]) == {s["_id"] for s in lobby}
    assert all(len(emulator.control.screen(s["_id"])["scheduleGoLive"]) == 1 for s in lobby)


def test_push_scheduled_whose_answer_is_lost_and_never_lands_raises(hook, emulator) -> None:
    from signs_provider.common.errors import AmbiguousWriteError

    asset = hook.upsert_website_asset("Promo", "https://promo.example.com")["_id"]
    emulator.control.add_fault("502", operation="pushToScreens")
    with pytest.raises(AmbiguousWriteError, match="not sent again"):
        hook.push_to_screens(asset_id=asset, tags=["lobby"], mode="SCHEDULE", start_at="2031-01-01T09:00:00Z")
    assert emulator.control.count(operation="pushToScreens") == 1


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_push_now_is_retried_after_a_lost_answer(hook, emulator) -> None:
    asset = hook.upsert_website_asset("Promo", "https://promo.example.com")["_id"]
    emulator.control.add_fault("lost_response", operation="pushToScreens")
    hook.push_to_screens(asset_id=asset, tags=["kpi"])
    assert emulator.control.count(operation="pushToScreens") == 2
    assert all(showing(emulator, s["_id"]) == ("ASSET", asset) for s in hook.list_screens(tags=["kpi"]))


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_scheduled_push_times_are_the_screens_local_time(hook, emulator) -> None:
    from zoneinfo import ZoneInfo

    kitchen = screens_by_name(hook)["Office Kitchen"]["_id"]
    asset = hook.upsert_website_asset("Promo", "https://promo.example.com")["_id"]
    # A naive 09:00 is 09:00 on screens in Berlin (07:00 UTC in summer), whatever the server's zone.
    hook.push_to_screens(
        asset_id=asset,
        screen_ids=[kitchen],
        mode="SCHEDULE",
        start_at=datetime(2031, 7, 1, 9, 0),
        local_timezone="Europe/Berlin",
    )
    # An aware time keeps its instant: 12:00 in New York is 18:00 in Berlin, 16:00 UTC.
    hook.push_to_screens(
        asset_id=asset,
        screen_ids=[kitchen],
        mode="SCHEDULE",
        start_at=datetime(2031, 7, 2, 12, 0, tzinfo=ZoneInfo("America/New_York")),
        local_timezone="Europe/Berlin",
    )
    starts = [p["scheduleTime"] for p in emulator.control.screen(kitchen)["scheduleGoLive"]]
    assert [parse_api_time(t) for t in starts] == [
        datetime(2031, 7, 1, 7, 0, tzinfo=timezone.utc),
        datetime(2031, 7, 2, 16, 0, tzinfo=timezone.utc),
    ]


def test_push_refuses_an_unknown_time_zone_before_sending(hook, emulator) -> None:
    with pytest.raises(SignsConfigError, match="local_timezone: 'Europe/Atlantis' is not an IANA"):
        hook.push_to_screens(
            asset_id="a",
            tags=["lobby"],
            mode="SCHEDULE",
            start_at="2031-01-01T09:00:00",
            local_timezone="Europe/Atlantis",
        )
    assert emulator.control.requests() == []


def test_assign_with_one_unknown_id_changes_no_screen(hook, emulator) -> None:
    screens = screens_by_name(hook)
    kitchen, wall = screens["Office Kitchen"], screens["Office KPI Wall"]
    asset = hook.upsert_website_asset("Assigned", "https://x.example.com")["_id"]
    with pytest.raises(UnknownScreensError, match="ffffffffffffffffffffffff"):
        hook.assign_content([kitchen["_id"], wall["_id"], "ffffffffffffffffffffffff"], asset_id=asset)
    assert emulator.control.count(operation="updateDevice") == 0
    assert showing(emulator, kitchen["_id"]) == screen_content(kitchen)


# -- pure logic: push options -------------------------------------------------------------------------


def test_schedule_data_sends_times_in_the_screens_zone_without_a_z() -> None:
    from signs_provider.optisigns.client.delivery import schedule_data

    assert schedule_data("2031-07-01T09:00:00", "2031-07-01T18:00:00", "Europe/Berlin") == {
        "scheduleTime": "2031-07-01T09:00:00.000",
        "localTimezone": "Europe/Berlin",
        "expireScheduleTime": "2031-07-01T18:00:00.000",
        "isCheckExpireTime": True,
    }
    with pytest.raises(SignsConfigError, match="expire_at: must be after start_at"):
        schedule_data("2031-07-01T09:00:00", "2031-07-01T08:00:00", "UTC")
    with pytest.raises(SignsConfigError, match="start_at: required"):
        schedule_data(None, None, "UTC")


@pytest.mark.parametrize("minutes", [None, 0, -5, "soon"])
def test_takeover_needs_positive_minutes(minutes) -> None:
    from signs_provider.optisigns.client.delivery import takeover

    with pytest.raises(SignsConfigError, match="takeover_minutes"):
        takeover(minutes)
    assert takeover("7.5") == 7.5
