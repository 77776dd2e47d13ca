"""Constant calls however many screens or playlist items (issue 14): over real HTTP against the emulator.

Each figure asserted here grew with the team (or the playlist) before: a listing of every screen to find
one, a page of every tagged screen to push to a tag, the whole tail of a playlist re-sent for a change
at its start, a playlist read twice when nothing changed.
"""

from __future__ import annotations

import json

import pytest

from signs_provider.optisigns.errors import UnknownScreensError
from tests.optisigns.conftest import mutations, playlist_items

#: More screens than one page of the provider's listing (500): a listing takes two calls.
TEAM = 600


def _bodies(hook) -> list[dict]:
    """Every GraphQL body the hook sends from now on (a response hook on its ``requests`` session)."""
    sent: list[dict] = []
    hook.transport.session.hooks["response"].append(
        lambda response, *args, **kwargs: sent.append(json.loads(response.request.body or b"{}"))
    )
    return sent


def _graphql(emulator) -> list[list[str]]:
    return [r["fields"] for r in emulator.control.requests(path="/optisigns/graphql")]


@pytest.fixture
def big_team(emulator, hook) -> list[str]:
    ids = emulator.control.add_screens(TEAM, tags=["bulk"], path="/Bulk", name_prefix="Bulk")
    # One read first: where the API refuses a weak name (pessimistic mode: teamId on devices), the
    # hook learns it here, once per connection, so that the counts below are the steady ones.
    hook.get_screen(ids[0])
    return ids


def test_one_screen_by_id_is_one_call_in_a_large_team(hook, emulator, big_team) -> None:
    emulator.control.reset_requests()
    [found] = hook.find_screens(ids=[big_team[-1]])
    assert found["_id"] == big_team[-1]
    assert _graphql(emulator) == [["devices"]]  # was a listing of the team: 2 calls here, 11 at 5,000


def test_one_screen_by_name_is_one_call_in_a_large_team(hook, emulator, big_team) -> None:
    name = emulator.control.screen(big_team[-1])["deviceName"]
    emulator.control.reset_requests()
    assert [s["_id"] for s in hook.find_screens(names=[name])] == [big_team[-1]]
    assert _graphql(emulator) == [["devices"]]


def test_assign_content_to_one_screen_is_two_calls_in_a_large_team(hook, emulator, big_team) -> None:
    asset = hook.upsert_website_asset("Scale", "https://scale.example.com")["_id"]
    emulator.control.reset_requests()
    assert [s["_id"] for s in hook.assign_content([big_team[0]], asset_id=asset)] == [big_team[0]]
    assert _graphql(emulator) == [["devices"], ["updateDevice"]]
    assert emulator.control.screen(big_team[0])["currentAssetId"] == asset


@pytest.mark.signs_emulator_pessimistic(
    False, reason="pushToScreens rests on an SDK draft: refused in pessimistic mode by design"
)
def test_a_push_now_by_tag_checks_the_tag_with_one_screen_then_pushes(hook, emulator, big_team) -> None:
    asset = hook.upsert_website_asset("Scale", "https://scale.example.com")["_id"]
    emulator.control.reset_requests()
    sent = _bodies(hook)
    result = hook.push_to_screens(asset_id=asset, tags=["bulk"])
    assert _graphql(emulator) == [["devices"], ["pushToScreens"]]  # was 2 pages of 500 screens, then the push
    assert sent[0]["variables"]["first"] == 1 and sent[0]["variables"]["query"] == {"tags": ["bulk"]}
    # The screens reached are those the API reports, all of them, not the one read to check the tag.
    assert sorted(result["screen_ids"]) == sorted(big_team)
    assert all(emulator.control.screen(i)["currentAssetId"] == asset for i in big_team[::97])


@pytest.mark.signs_emulator_pessimistic(
    False, reason="pushToScreens rests on an SDK draft: refused in pessimistic mode by design"
)
def test_a_push_to_an_unknown_tag_sends_nothing_and_names_the_known_tags(hook, emulator, big_team) -> None:
    asset = hook.upsert_website_asset("Scale", "https://scale.example.com")["_id"]
    emulator.control.reset_requests()
    with pytest.raises(UnknownScreensError, match=r"Unknown screen tag\(s\): bulky.*bulk"):
        hook.push_to_screens(asset_id=asset, tags=["bulky"])
    assert "pushToScreens" not in mutations(emulator)


@pytest.mark.signs_emulator_pessimistic(True)
def test_where_the_api_refuses_the_tag_filter_the_check_stops_at_the_first_tagged_screen(
    hook, emulator, big_team
) -> None:
    """Pessimistic mode refuses ``QueryDeviceInput.tags`` (no public document): bounded, not one screen a call."""
    emulator.control.reset_requests()
    [one] = hook.client.screens.find(tags=["bulk"], tag_members=False)
    assert "bulk" in one["tags"]
    calls = emulator.control.count(path="/optisigns/graphql")
    # The refused request, the repaired page of one screen, then full pages up to the first tagged one.
    assert calls <= 2 + -(-(TEAM + 10) // 500)
    emulator.control.reset_requests()
    hook.client.screens.find(tags=["bulk"], tag_members=False)
    assert emulator.control.count(path="/optisigns/graphql") <= 1 + -(-(TEAM + 10) // 500)


def test_several_look_ups_in_a_small_team_read_its_one_page(hook, emulator) -> None:
    screens = hook.list_screens()
    ids = [s["_id"] for s in screens[:3]]
    emulator.control.reset_requests()
    assert {s["_id"] for s in hook.find_screens(ids=ids)} == set(ids)
    assert _graphql(emulator) == [["devices"]]


def test_several_look_ups_in_a_large_team_cost_one_call_each_after_the_first_page(
    hook, emulator, big_team
) -> None:
    ids = [big_team[0], big_team[-1], big_team[300]]
    emulator.control.reset_requests()
    assert {s["_id"] for s in hook.find_screens(ids=ids)} == set(ids)
    assert len(_graphql(emulator)) == 1 + len(ids)


def test_an_unknown_id_still_lists_the_known_ones(hook, emulator, big_team) -> None:
    with pytest.raises(UnknownScreensError, match="Unknown screen id") as info:
        hook.find_screens(ids=["nope"])
    assert big_team[0] in info.value.known


# -- playlists ------------------------------------------------------------------------------------------


ITEMS = 120


@pytest.fixture
def long_playlist(hook) -> tuple[str, list[str]]:
    assets = [hook.upsert_website_asset(f"S{i}", f"https://s{i}.example.com")["_id"] for i in range(4)]
    items = [assets[i % 3] for i in range(ITEMS)]  # repeats, as real rotations have
    playlist = hook.upsert_playlist("Long")["_id"]
    hook.set_playlist_items(playlist, items)
    return playlist, [*items, assets[3]]


def test_a_sync_without_change_reads_the_playlist_once(hook, emulator, long_playlist) -> None:
    _, items = long_playlist
    emulator.control.reset_requests()
    hook.sync_playlist("Long", items[:ITEMS])
    assert _graphql(emulator) == [["playlists"]]  # was read twice


def test_a_first_item_replaced_sends_that_item_only(hook, emulator, long_playlist) -> None:
    playlist, items = long_playlist
    wanted = [items[-1], *items[1:ITEMS]]
    emulator.control.reset_requests()
    sent = _bodies(hook)
    hook.sync_playlist("Long", wanted)
    assert [i for i, _ in playlist_items(hook, playlist)] == wanted
    assert mutations(emulator) == ["removePlaylistItems", "addPlaylistItems"]
    [add] = [b for b in sent if "addPlaylistItems" in b["query"]]
    # Was the whole list after the first item (119 ids), the playlist briefly holding 239 items.
    assert add["variables"]["payload"] == {"ids": [items[-1]], "pos": 0, "type": "ASSET"}


def test_a_lost_answer_mid_sync_is_settled_by_reading_and_not_sent_twice(
    hook, emulator, long_playlist
) -> None:
    playlist, items = long_playlist
    wanted = [*items[:50], items[-1], *items[51:ITEMS]]  # one item in the middle replaced
    emulator.control.reset_requests()
    emulator.control.add_fault("lost_response", operation="removePlaylistItems")
    emulator.control.add_fault("lost_response", operation="addPlaylistItems")
    hook.sync_playlist("Long", wanted)
    assert [i for i, _ in playlist_items(hook, playlist)] == wanted
    assert emulator.control.count(operation="removePlaylistItems") == 1
    assert emulator.control.count(operation="addPlaylistItems") == 1


def test_replacing_every_item_bridges_with_one_old_item(hook, emulator) -> None:
    a, b, c, d = (hook.upsert_website_asset(n, f"https://{n}.example.com")["_id"] for n in "abcd")
    playlist = hook.upsert_playlist("Bridge")["_id"]
    hook.set_playlist_items(playlist, [a, b, a, b])
    emulator.control.reset_requests()
    emulator.control.add_fault("lost_response", operation="addPlaylistItems")
    hook.set_playlist_items(playlist, [c, d, c])
    assert [i for i, _ in playlist_items(hook, playlist)] == [c, d, c]
    assert mutations(emulator) == ["removePlaylistItems", "addPlaylistItems", "removePlaylistItems"]


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="its fault hits the first request, which pessimistic mode refuses in validation "
    "(movePlaylistItems(teamId), weak) before the repaired one is sent",
)
def test_a_swap_is_one_move_and_its_lost_answer_is_settled(hook, emulator, long_playlist) -> None:
    playlist, items = long_playlist
    wanted = [*items[: ITEMS - 2], items[ITEMS - 1], items[ITEMS - 2]]
    emulator.control.reset_requests()
    emulator.control.add_fault("lost_response", operation="movePlaylistItems")
    hook.sync_playlist("Long", wanted)
    assert [i for i, _ in playlist_items(hook, playlist)] == wanted
    assert mutations(emulator) == ["movePlaylistItems"]  # was a removal of the last two, then an add
