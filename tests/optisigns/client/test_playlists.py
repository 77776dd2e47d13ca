"""Playlists: upsert by name, exact item sync, position edits, lost answers (client.playlists).

Everything runs against the emulator over loopback.
"""

from __future__ import annotations

import pytest

from signs_provider.common.errors import SignsApiError, SignsConfigError
from signs_provider.optisigns.hooks import (
    PROVIDER_TAG,
    PlaylistEntry,
)
from tests.optisigns.conftest import (
    mutations,
    playlist_items,
    slow_hook,
)


@pytest.mark.signs_emulator_pessimistic(
    False, reason="asserts the playlist's tags (PlaylistInput.tags: no evidence)"
)
def test_upsert_playlist_is_create_or_update_by_name(hook, emulator) -> None:
    created = hook.upsert_playlist("Lobby KPIs", tags=["lobby"])
    again = hook.upsert_playlist("Lobby KPIs", tags=["lobby"])
    assert again["_id"] == created["_id"] and again["tags"] == [PROVIDER_TAG, "lobby"]
    assert mutations(emulator) == ["savePlaylist"]  # the second call found nothing to change
    retagged = hook.upsert_playlist("Lobby KPIs", tags=["kpi"])
    assert retagged["tags"] == [PROVIDER_TAG, "lobby", "kpi"]
    assert len(hook.list_playlists(name="Lobby KPIs")) == 1


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="its fault hits the first request, which pessimistic mode refuses in validation (a weak name) before the repaired one is sent",
)
def test_upsert_playlist_after_a_lost_answer_creates_one(hook, emulator) -> None:
    emulator.control.add_fault("lost_response", operation="savePlaylist")
    created = hook.upsert_playlist("Lost")
    assert [p["_id"] for p in hook.list_playlists(name="Lost")] == [created["_id"]]


def test_set_playlist_items_exact_and_rerun_sends_nothing(hook, emulator) -> None:
    a = hook.upsert_website_asset("A", "https://a.example.com")["_id"]
    b = hook.upsert_website_asset("B", "https://b.example.com")["_id"]
    c = hook.upsert_website_asset("C", "https://c.example.com")["_id"]
    playlist = hook.upsert_playlist("Exact")["_id"]
    hook.set_playlist_items(playlist, [(a, 15), {"asset_id": b, "duration": 20}, c])
    assert playlist_items(hook, playlist) == [(a, 15.0), (b, 20.0), (c, 10.0)]
    emulator.control.reset_requests()
    hook.set_playlist_items(playlist, [(a, 15), {"asset_id": b, "duration": 20}, c])
    assert mutations(emulator) == []
    assert playlist_items(hook, playlist) == [(a, 15.0), (b, 20.0), (c, 10.0)]
    # Shrink: only the item that goes is removed (c stays where it is), then its duration set.
    emulator.control.reset_requests()
    hook.set_playlist_items(playlist, [(a, 15), (c, 5)])
    assert playlist_items(hook, playlist) == [(a, 15.0), (c, 5.0)]
    assert mutations(emulator) == ["removePlaylistItems", "updatePlaylistItems"]
    hook.set_playlist_items(playlist, [])
    assert playlist_items(hook, playlist) == []


def test_set_playlist_items_converges_after_a_lost_answer(hook, emulator) -> None:
    a = hook.upsert_website_asset("A", "https://a.example.com")["_id"]
    b = hook.upsert_website_asset("B", "https://b.example.com")["_id"]
    playlist = hook.upsert_playlist("Lossy")["_id"]
    emulator.control.add_fault("lost_response", operation="addPlaylistItems")
    hook.set_playlist_items(playlist, [(a, 12), (b, 8)])
    assert playlist_items(hook, playlist) == [(a, 12.0), (b, 8.0)]
    assert emulator.control.count(operation="addPlaylistItems") == 1


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([("x", 0)], r"items\[0\].duration: must be positive"),
        ([("x", "soon")], r"items\[0\].duration: 'soon' is not a number"),
        ([""], r"items\[0\]: the asset id is empty"),
        ([42], r"items\[0\]: 42 is not a playlist entry"),
    ],
)
def test_bad_playlist_items_fail_before_any_request(hook, emulator, items, message) -> None:
    with pytest.raises(SignsConfigError, match=message):
        hook.set_playlist_items("any", items)
    assert emulator.control.requests() == []


def test_playlist_entry_coerce_forms() -> None:
    assert PlaylistEntry.coerce("a") == PlaylistEntry("a")
    assert PlaylistEntry.coerce(["a", "7"]) == PlaylistEntry("a", 7.0)
    assert PlaylistEntry.coerce({"_id": "a", "duration": 3}) == PlaylistEntry("a", 3.0)


def test_add_move_remove_playlist_items(hook, emulator) -> None:
    a, b, c = (hook.upsert_website_asset(n, f"https://{n}.example.com")["_id"] for n in "abc")
    playlist = hook.upsert_playlist("Edit")["_id"]
    hook.add_playlist_items(playlist, [a, b])
    hook.add_playlist_items(playlist, [c], position=0, duration=30)
    assert playlist_items(hook, playlist) == [(c, 30.0), (a, 10.0), (b, 10.0)]
    hook.move_playlist_items(playlist, [0], to=2)
    assert [i for i, _ in playlist_items(hook, playlist)] == [a, b, c]
    hook.remove_playlist_items(playlist, [1])
    assert [i for i, _ in playlist_items(hook, playlist)] == [a, c]
    with pytest.raises(SignsConfigError, match="not a position"):
        hook.remove_playlist_items(playlist, [5])
    with pytest.raises(SignsConfigError, match="outside the playlist"):
        hook.add_playlist_items(playlist, [a], position=9)


def test_add_playlist_items_after_a_lost_answer_adds_once(hook, emulator) -> None:
    a = hook.upsert_website_asset("A", "https://a.example.com")["_id"]
    playlist = hook.upsert_playlist("Once")["_id"]
    emulator.control.add_fault("lost_response", operation="addPlaylistItems")
    hook.add_playlist_items(playlist, [a])
    assert [i for i, _ in playlist_items(hook, playlist)] == [a]


def test_add_playlist_items_not_resent_when_the_request_never_applied(hook, emulator) -> None:
    from signs_provider.common.errors import AmbiguousWriteError

    a = hook.upsert_website_asset("A", "https://a.example.com")["_id"]
    playlist = hook.upsert_playlist("Dropped")["_id"]
    # "drop" closes the connection before the handler runs: the hook cannot tell it from a gateway
    # that passed the request on, so it reads the playlist back until the landing wait is over,
    # finds it unchanged and raises rather than risk adding twice.
    emulator.control.add_fault("drop", operation="addPlaylistItems")
    with pytest.raises(AmbiguousWriteError, match="not sent again"):
        hook.add_playlist_items(playlist, [a])
    assert emulator.control.count(operation="addPlaylistItems") == 1
    # What a retry does: set_playlist_items re-reads and sends the difference.
    hook.set_playlist_items(playlist, [a])
    assert [i for i, _ in playlist_items(hook, playlist)] == [a]


def test_delete_playlists(hook) -> None:
    playlist = hook.upsert_playlist("Gone")
    hook.delete_playlists([playlist["_id"]])
    assert hook.find_playlist("Gone") is None


def test_sync_replacing_every_item_adds_before_it_removes(hook, emulator) -> None:
    a, b = (hook.upsert_website_asset(n, f"https://{n}.example.com")["_id"] for n in "ab")
    playlist = hook.upsert_playlist("Live")["_id"]
    hook.set_playlist_items(playlist, [a])
    emulator.control.reset_requests()
    hook.set_playlist_items(playlist, [(b, 7)])
    # Had the removal come first, screens playing "Live" would have had an empty playlist.
    assert mutations(emulator) == ["addPlaylistItems", "removePlaylistItems", "updatePlaylistItems"]
    assert playlist_items(hook, playlist) == [(b, 7.0)]


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="its fault hits the first request, which pessimistic mode refuses in validation (a weak name) before the repaired one is sent",
)
def test_timed_out_create_that_never_shows_up_raises_instead_of_resending(optisigns_env) -> None:
    import time

    from signs_provider.common.errors import AmbiguousWriteError

    hook = slow_hook(optisigns_env)
    # Lands after 8 s; the hook looks for min(2 * 1 s, 60) = 2 s after its timeout, then gives up
    # (the wide gap keeps the test true on a loaded machine).
    optisigns_env.control.add_fault("slow", operation="savePlaylist", delay=8)
    with pytest.raises(AmbiguousWriteError, match="not sent again") as info:
        hook.upsert_playlist("Very slow")
    assert info.value.timed_out
    deadline = time.monotonic() + 20  # let the stalled request finish on the server
    while not hook.list_playlists(name="Very slow") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(hook.list_playlists(name="Very slow")) == 1
    assert optisigns_env.control.count(operation="savePlaylist") == 1


def test_timed_out_playlist_add_is_not_applied_twice(optisigns_env) -> None:
    hook = slow_hook(optisigns_env)
    a, b = (hook.upsert_website_asset(n, f"https://{n}.example.com")["_id"] for n in "ab")
    playlist = hook.upsert_playlist("Slow adds")["_id"]
    optisigns_env.control.add_fault("slow", operation="addPlaylistItems", delay=2)
    hook.add_playlist_items(playlist, [a])
    assert [i for i, _ in playlist_items(hook, playlist)] == [a]
    optisigns_env.control.add_fault("slow", operation="addPlaylistItems", delay=2)
    hook.set_playlist_items(playlist, [a, (b, 9)])
    assert playlist_items(hook, playlist) == [(a, 10.0), (b, 9.0)]
    assert optisigns_env.control.count(operation="addPlaylistItems") == 2


def test_set_playlist_items_raises_when_the_api_does_not_apply_a_change(hook, emulator, monkeypatch) -> None:
    a = hook.upsert_website_asset("A", "https://a.example.com")["_id"]
    playlist = hook.upsert_playlist("Stubborn")["_id"]
    # The emulator always applies durations; an API that ignores them is simulated by not sending them.
    monkeypatch.setattr(hook.client.playlists, "set_durations", lambda playlist_id, by_duration: None)
    with pytest.raises(SignsApiError, match=r"position 0: 10(\.0)?s instead of 25(\.0)?s"):
        hook.set_playlist_items(playlist, [(a, 25)])


def test_find_playlist_takes_the_oldest_of_same_named_ones(hook, emulator, monkeypatch) -> None:
    first = hook.execute('mutation { savePlaylist(payload: {name: "Twin"}) { _id } }', idempotent=False)[
        "savePlaylist"
    ]["_id"]
    emulator.control.advance_clock(minutes=5)
    hook.execute('mutation { savePlaylist(payload: {name: "Twin"}) { _id } }', idempotent=False)
    assert hook.find_playlist("Twin")["_id"] == first
    # The API's order is not documented and the emulator lists oldest first: serve the same real
    # answer newest first, as another server could.
    listed = hook.client.playlists.list
    monkeypatch.setattr(hook.client.playlists, "list", lambda **kw: list(reversed(listed(**kw))))
    assert hook.find_playlist("Twin")["_id"] == first
    assert hook.upsert_playlist("Twin")["_id"] == first


# -- pure logic: what a sync sends -------------------------------------------------------------------


def _playlist(*items: tuple[str, float]) -> dict:
    return {"_id": "p", "assets": [{"_id": asset, "duration": seconds} for asset, seconds in items]}


def _apply_steps(current: list[str], plan) -> list[str]:
    """What the playlist holds after each step, checking each step's ``before`` and ``after``."""
    items = list(current)
    for step in plan.steps:
        assert tuple(items) == step.before
        if step.add:
            items = items[: step.at] + step.add + items[step.at :]
        elif step.move:
            rest = [item for i, item in enumerate(items) if i not in set(step.move)]
            items = rest[: step.at] + [items[i] for i in step.move] + rest[step.at :]
        else:
            items = [item for i, item in enumerate(items) if i not in set(step.remove)]
        assert tuple(items) == step.after and (items or not plan.result)  # never empty on the way
    return items


def test_plan_removes_what_goes_then_adds_each_run_in_place() -> None:
    from signs_provider.optisigns.client.playlists import plan_changes

    plan = plan_changes(
        _playlist(("a", 10), ("b", 10), ("c", 10)), [PlaylistEntry("a"), PlaylistEntry("c", 5)]
    )
    assert [(s.add, s.remove) for s in plan.steps] == [([], [1])]  # only b goes; c stays
    assert _apply_steps(["a", "b", "c"], plan) == ["a", "c"] == plan.result
    assert plan.durations == {5.0: [1]}


def test_plan_of_a_first_item_replaced_sends_only_that_item() -> None:
    from signs_provider.optisigns.client.playlists import plan_changes

    current = [f"a{i}" for i in range(5000)]
    wanted = [PlaylistEntry("new"), *(PlaylistEntry(a) for a in current[1:])]
    plan = plan_changes(_playlist(*((a, 10) for a in current)), wanted)
    assert [(s.add, s.at, s.remove) for s in plan.steps] == [([], 0, [0]), (["new"], 0, [])]
    assert plan.largest == 5000  # never 10,000
    assert _apply_steps(current, plan) == plan.result


def test_plan_changes_in_the_middle_and_moves_keep_the_rest() -> None:
    from signs_provider.optisigns.client.playlists import plan_changes

    current = list("abcdefgh")
    wanted = list("abXdefhg")  # c replaced, g and h swapped
    plan = plan_changes(_playlist(*((a, 10) for a in current)), [PlaylistEntry(a) for a in wanted])
    assert _apply_steps(current, plan) == wanted
    assert sum(len(s.add) for s in plan.steps) <= 2 and plan.largest <= len(current)


def test_plan_of_a_swap_or_a_moved_block_is_one_move_keeping_durations() -> None:
    from signs_provider.optisigns.client.playlists import plan_changes

    current = [f"a{i}" for i in range(1000)]
    swapped = [*current[:-2], current[-1], current[-2]]
    plan = plan_changes(_playlist(*((a, 10) for a in current)), [PlaylistEntry(a, 10) for a in swapped])
    assert len(plan.steps) == 1 and plan.steps[0].move and not plan.durations
    assert _apply_steps(current, plan) == swapped
    block = [*current[10:20], *current[:10], *current[20:]]
    plan = plan_changes(_playlist(*((a, 10) for a in current)), [PlaylistEntry(a) for a in block])
    assert [len(s.move) for s in plan.steps] == [10]
    assert _apply_steps(current, plan) == block


def test_plan_with_many_scattered_changes_replaces_one_span() -> None:
    from signs_provider.optisigns.client.playlists import MAX_ADD_RUNS, plan_changes

    current = [f"a{i}" for i in range(40)]
    wanted = [f"x{i}" if i % 4 == 1 else a for i, a in enumerate(current)]  # ten runs of changes
    plan = plan_changes(_playlist(*((a, 10) for a in current)), [PlaylistEntry(a) for a in wanted])
    assert _apply_steps(current, plan) == wanted
    assert len([s for s in plan.steps if s.add]) == 1 <= MAX_ADD_RUNS
    assert plan.steps[0].remove[0] == 1 and plan.steps[0].remove[-1] == 37  # common ends kept


def test_plan_for_the_same_items_is_empty_and_durations_change_alone() -> None:
    from signs_provider.optisigns.client.playlists import plan_changes

    same = plan_changes(_playlist(("a", 15), ("b", 10)), [PlaylistEntry("a", 15), PlaylistEntry("b")])
    assert (same.steps, same.durations) == ([], {})
    longer = plan_changes(_playlist(("a", 15), ("b", 10)), [PlaylistEntry("a", 20), PlaylistEntry("b", 20)])
    assert (longer.steps, longer.durations) == ([], {20.0: [0, 1]})


def test_plan_replacing_everything_never_empties_the_playlist_nor_doubles_it() -> None:
    from signs_provider.optisigns.client.playlists import plan_changes

    plan = plan_changes(_playlist(("a", 10)), [PlaylistEntry("b", 7)])
    assert plan.add == ["b"] and _apply_steps(["a"], plan) == ["b"]
    current = [f"a{i}" for i in range(100)]
    wanted = [f"b{i}" for i in range(100)]
    plan = plan_changes(_playlist(*((a, 10) for a in current)), [PlaylistEntry(b) for b in wanted])
    assert _apply_steps(current, plan) == wanted
    assert len(plan.steps) == 3 and plan.largest == 101  # one old item bridges: never 200
    emptied = plan_changes(_playlist(("a", 10)), [])
    assert [s.remove for s in emptied.steps] == [[0]] and emptied.result == []


def test_differences_name_each_position() -> None:
    from signs_provider.optisigns.client.playlists import differences

    wanted = [PlaylistEntry("a", 25), PlaylistEntry("b"), PlaylistEntry("c")]
    assert differences(_playlist(("a", 10), ("x", 10)), wanted) == [
        "position 0: 10s instead of 25s",
        "position 1: x instead of b",
        "position 2: c is missing",
    ]
    assert differences(_playlist(("a", 25), ("b", 3), ("c", 1), ("d", 1)), wanted) == [
        "position 3: d should not be there"
    ]
    assert differences(_playlist(("a", 25.0000001)), [PlaylistEntry("a", 25)]) == []


# -- a lost answer to a position-addressed change, on a fake transport ---------------------------------


def _fake_playlists(after_lost: list[str], *, timed_out: bool = False):
    """Playlists whose ``addPlaylistItems`` answer is lost; reads then show ``after_lost``."""
    from signs_provider.common.errors import AmbiguousWriteError
    from signs_provider.optisigns.client.playlists import Playlists
    from tests.optisigns.client.fakes import FakeTransport, session

    state = {"items": ["a"]}

    def answer(body):
        if "addPlaylistItems" in body["query"]:
            state["items"] = after_lost
            raise AmbiguousWriteError("no answer", method="POST", url="u", timed_out=timed_out)
        page = {"edges": [{"node": {"_id": "p", "assets": [{"_id": i} for i in state["items"]]}}]}
        return {"data": {"playlists": {"page": page}}}

    transport = FakeTransport(answer)
    return Playlists(session(transport, landing_wait=0.05)), transport


def test_a_lost_add_that_landed_is_not_sent_again() -> None:
    playlists, transport = _fake_playlists(["a", "b"])
    playlists.add_items("p", ["b"])
    assert transport.fields().count("addPlaylistItems") == 1


def test_a_lost_add_that_timed_out_and_never_landed_is_not_sent_again() -> None:
    from signs_provider.common.errors import AmbiguousWriteError

    playlists, transport = _fake_playlists(["a"], timed_out=True)
    with pytest.raises(AmbiguousWriteError, match="had not applied"):
        playlists.add_items("p", ["b"])
    assert transport.fields().count("addPlaylistItems") == 1


def test_a_lost_add_with_the_playlist_changed_otherwise_is_reported() -> None:
    playlists, transport = _fake_playlists(["z"])
    with pytest.raises(SignsApiError, match=r"changed in another way meanwhile \(now \['z'\]\)"):
        playlists.add_items("p", ["b"])
    assert transport.fields().count("addPlaylistItems") == 1
