"""Screens: listing, finding by id/name/tag/folder, online state (client.screens, through the hook).

Everything runs against the emulator over loopback.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from signs_provider.common.errors import SignsConfigError
from signs_provider.optisigns.errors import (
    OptiSignsNotFoundError,
    UnknownScreensError,
)
from signs_provider.optisigns.hooks import (
    screen_content,
    screen_is_online,
)
from tests.optisigns.conftest import (
    screens_by_name,
)


def test_list_and_filter_screens(hook) -> None:
    names = set(screens_by_name(hook))
    assert {"Lobby Entrance", "Lobby Elevator", "Office KPI Wall"} <= names
    assert {s["deviceName"] for s in hook.list_screens(tags=["kpi"])} == {
        "Office KPI Wall",
        "Office Meeting Room",
    }
    assert {s["deviceName"] for s in hook.list_screens(path="/Lobby")} == {
        "Lobby Entrance",
        "Lobby Reception",
        "Lobby Elevator",
    }
    assert [s["deviceName"] for s in hook.list_screens(name="Office Kitchen")] == ["Office Kitchen"]


def test_get_screen_by_id_and_unknown_id(hook) -> None:
    kitchen = screens_by_name(hook)["Office Kitchen"]
    assert hook.get_screen(kitchen["_id"])["deviceName"] == "Office Kitchen"
    with pytest.raises(OptiSignsNotFoundError, match="no screen with id 'nope'"):
        hook.get_screen("nope")


def test_find_screens_by_name_tag_id_and_folder(hook) -> None:
    screens = screens_by_name(hook)
    found = hook.find_screens(
        ids=[screens["Office Kitchen"]["_id"]], names=["Lobby Entrance"], tags=["kpi"], path="/Lobby"
    )
    assert {s["deviceName"] for s in found} == {
        "Office Kitchen",
        "Lobby Entrance",
        "Lobby Reception",
        "Lobby Elevator",
        "Office KPI Wall",
        "Office Meeting Room",
    }
    assert len(found) == len({s["_id"] for s in found})


@pytest.mark.parametrize(
    ("selector", "message", "unknown"),
    [
        (
            {"names": ["Lobby Entrance", "Roof Terrace"]},
            "Unknown screen name.*Roof Terrace.*Lobby Elevator",
            ["Roof Terrace"],
        ),
        (
            {"tags": ["lobby", "cafeteria"]},
            "Unknown screen tag.*cafeteria.*Known screen tags: kpi, lobby, office",
            ["cafeteria"],
        ),
        ({"ids": ["000000000000000000000000"]}, "Unknown screen id", ["000000000000000000000000"]),
        ({"path": "/Warehouse"}, "No screen is in folder '/Warehouse'.*/Lobby, /Office", ["/Warehouse"]),
    ],
)
def test_unknown_screens_list_the_known_ones(hook, selector, message, unknown) -> None:
    with pytest.raises(UnknownScreensError, match=message) as info:
        hook.find_screens(**selector)
    assert info.value.unknown == unknown
    assert info.value.known


def test_find_screens_needs_a_selector(hook) -> None:
    with pytest.raises(SignsConfigError, match="No screens given"):
        hook.find_screens()


def test_screens_status_shows_content_and_online(hook, emulator) -> None:
    statuses = {s["name"]: s for s in hook.screens_status()}
    entrance = statuses["Lobby Entrance"]
    assert entrance["online"] is True and entrance["content_type"] == "PLAYLIST" and entrance["content_id"]
    assert statuses["Lobby Elevator"]["online"] is False
    assert statuses["Lobby Elevator"]["content_type"] == "NONE"
    kitchen = screens_by_name(hook)["Office Kitchen"]
    emulator.control.set_screen_online(kitchen["_id"], False)
    assert hook.screens_status([hook.get_screen(kitchen["_id"])])[0]["online"] is False


def test_screen_is_online_rules() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
    recent = (now - timedelta(seconds=30)).isoformat()
    stale = (now - timedelta(hours=1)).isoformat()
    assert screen_is_online({"status": "ONLINE", "lastHeartBeat": recent}, now=now)
    assert not screen_is_online({"status": "ONLINE", "lastHeartBeat": stale}, now=now)
    assert not screen_is_online({"status": "SLEEP", "lastHeartBeat": recent}, now=now)
    # The SDK types status as a number: then the heartbeat decides.
    assert screen_is_online({"status": 1, "lastHeartBeat": recent}, now=now)
    assert not screen_is_online({"status": None, "lastHeartBeat": None}, now=now)


def test_screen_content_prefers_the_playlist_id() -> None:
    assert screen_content({"currentType": "PLAYLIST", "currentAssetId": "a", "currentPlaylistId": "p"}) == (
        "PLAYLIST",
        "p",
    )
    # The documented updateDevice form leaves a playlist id in currentAssetId.
    assert screen_content({"currentType": "PLAYLIST", "currentAssetId": "p"}) == ("PLAYLIST", "p")
    assert screen_content({"currentType": "NONE"}) == ("NONE", None)


def test_folder_filter_takes_subfolders_but_not_lookalike_folders(hook, emulator) -> None:
    (lookalike,) = emulator.control.add_screens(1, path="/Lobby2", name_prefix="Lookalike")
    (nested,) = emulator.control.add_screens(1, path="/Lobby/East", name_prefix="Nested")
    lobby = {s["_id"] for s in hook.list_screens() if s.get("path") == "/Lobby"}
    found = {s["_id"] for s in hook.find_screens(path="/Lobby")}
    assert found == lobby | {nested}
    assert lookalike not in found
    assert {s["_id"] for s in hook.find_screens(path="/Lobby2/")} == {lookalike}
