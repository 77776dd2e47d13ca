"""OptiSignsHook: connection parsing, GraphQL error decoding, pagination, and the API methods.

Everything that talks HTTP runs against the emulator over loopback.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from signs_emulator.credentials import OPTISIGNS_DEMO_KEY, OPTISIGNS_READONLY_KEY
from signs_provider.common.errors import SignsApiError, SignsConfigError
from signs_provider.common.times import parse_api_time
from signs_provider.common.transport import RetryPolicy
from signs_provider.optisigns.errors import (
    OptiSignsAuthError,
    OptiSignsGraphQLError,
    OptiSignsNotFoundError,
    OptiSignsScheduleOverlapError,
    OptiSignsScopeError,
    OptiSignsTimeoutError,
    UnknownScreensError,
)
from signs_provider.optisigns.hooks import (
    DEFAULT_ENDPOINT,
    DEFAULT_UPLOAD_URL,
    PROVIDER_TAG,
    OptiSignsHook,
    PlaylistEntry,
    asset_state,
    operation_type,
    screen_content,
    screen_is_online,
)
from tests.optisigns.conftest import FAST, mutations


def _connect(monkeypatch, conn_id: str = "optisigns_test", **conn) -> OptiSignsHook:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "optisigns", **conn}))
    return OptiSignsHook(optisigns_conn_id=conn_id)


# -- connection ---------------------------------------------------------------------------------


def test_defaults_to_the_public_endpoint(monkeypatch) -> None:
    hook = _connect(monkeypatch, password="k-123456")
    assert hook.base_url == DEFAULT_ENDPOINT == "https://graphql-gateway.optisigns.com/graphql"
    assert hook.upload_url == DEFAULT_UPLOAD_URL
    assert hook.team_id is None
    assert hook.timeout == 30.0


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("graphql-gateway.optisigns.com", "https://graphql-gateway.optisigns.com/graphql"),
        ("https://beta-graphql-gateway.optisigns.com", "https://beta-graphql-gateway.optisigns.com/graphql"),
        ("http://127.0.0.1:8099/optisigns/graphql", "http://127.0.0.1:8099/optisigns/graphql"),
    ],
)
def test_host_override(monkeypatch, host: str, expected: str) -> None:
    assert _connect(monkeypatch, password="k-123456", host=host).base_url == expected


def test_extra_fields_plain_and_legacy_prefixed(monkeypatch) -> None:
    hook = _connect(monkeypatch, password="k-123456", extra={"team_id": 7, "timeout": "12.5"})
    assert (hook.team_id, hook.timeout) == ("7", 12.5)
    legacy = _connect(monkeypatch, "legacy", password="k-123456", extra={"extra__optisigns__team_id": "3"})
    assert legacy.team_id == "3"


def test_timeout_argument_wins_over_the_connection(monkeypatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_T",
        json.dumps({"conn_type": "optisigns", "password": "k-123456", "extra": {"timeout": 50}}),
    )
    assert OptiSignsHook(optisigns_conn_id="t", timeout=3).timeout == 3


@pytest.mark.parametrize(
    ("conn", "message"),
    [
        ({"password": "k-123456", "host": "http://signs.example.com"}, "plain http"),
        ({"password": "k-123456", "extra": {"timeout": "soon"}}, "timeout"),
        ({"password": "k-123456", "extra": {"timeout": 0}}, "positive"),
        ({}, "no API key"),
    ],
)
def test_bad_connection_settings_name_the_field(monkeypatch, conn: dict, message: str) -> None:
    hook = _connect(monkeypatch, **conn)
    with pytest.raises(SignsConfigError, match=message):
        hook.execute("query { me { _id } }")


def test_wrong_connection_type_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_OTHER", json.dumps({"conn_type": "opensign", "password": "t-123456"}))
    with pytest.raises(SignsConfigError, match="needs type 'optisigns'"):
        _ = OptiSignsHook(optisigns_conn_id="other").connection


def test_operation_type() -> None:
    assert operation_type("query Q { me { _id } }") == "query"
    assert operation_type("  # comment\n mutation { x }") == "mutation"
    assert operation_type("{ me { _id } }") == "query"
    with pytest.raises(SignsConfigError, match="query"):
        operation_type("me { _id }")


# -- over HTTP, against the emulator --------------------------------------------------------------


@pytest.fixture
def core_hook(emulator, monkeypatch) -> OptiSignsHook:
    return _connect(monkeypatch, password=OPTISIGNS_DEMO_KEY, host=emulator.optisigns_graphql_url)


def test_execute_returns_data_and_sends_the_bearer_key(core_hook, emulator) -> None:
    me = core_hook.execute("query { me { _id email } }")["me"]
    assert me["_id"] and "@" in me["email"]
    ok, message = core_hook.test_connection()
    assert ok and me["email"] in message


def test_team_id_is_sent_where_the_operation_declares_it(emulator, monkeypatch) -> None:
    # Team "999" does not exist: the emulator only says so if the hook really sent it.
    hook = _connect(
        monkeypatch,
        password=OPTISIGNS_DEMO_KEY,
        host=emulator.optisigns_graphql_url,
        extra={"team_id": "999"},
    )
    with pytest.raises(OptiSignsGraphQLError, match="Team '999' not found"):
        hook.execute(
            "query Devices($teamId: String) { devices(query: {}, teamId: $teamId) { page { edges { node { _id } } } } }"
        )
    # An operation without $teamId gets no teamId variable (the server would reject an undeclared one).
    assert hook.execute("query { me { _id } }")["me"]["_id"]


def test_wrong_key_fails_clearly(emulator, monkeypatch) -> None:
    hook = _connect(monkeypatch, password="not-a-real-key", host=emulator.optisigns_graphql_url)
    ok, message = hook.test_connection()
    assert not ok
    assert "not-a-real-key" not in message
    # However the refusal comes (HTTP 401, or inside HTTP 200 with statusCode 401): one clear error.
    with pytest.raises(OptiSignsAuthError, match="rejected the API key.*invalid API key") as info:
        hook.execute("query { me { _id } }")
    assert info.value.status == 401 and "not-a-real-key" not in str(info.value)


def test_graphql_errors_in_http_200_raise_with_code_and_path(core_hook) -> None:
    with pytest.raises(OptiSignsGraphQLError) as info:
        core_hook.execute(
            'mutation { updateDevice(_id: "000000000000000000000000", payload: {deviceName: "x"}) { _id } }'
        )
    error = info.value
    assert (error.status, error.code) == (404, "404")
    assert error.path == ["updateDevice"]
    assert "updateDevice" in str(error)


def test_validation_error_for_selection_on_a_json_scalar(core_hook) -> None:
    with pytest.raises(OptiSignsGraphQLError, match="pushToScreens"):
        core_hook.execute(
            'mutation { pushToScreens(payload: {deviceIds: [], type: NOW}, teamId: "1") { status } }'
        )


def test_scope_error_says_which_scope_is_missing(emulator, monkeypatch) -> None:
    hook = _connect(monkeypatch, password=OPTISIGNS_READONLY_KEY, host=emulator.optisigns_graphql_url)
    assert hook.execute("query { me { _id } }")["me"]
    with pytest.raises(OptiSignsScopeError, match="lacks the scope for savePlaylist") as info:
        hook.execute('mutation { savePlaylist(payload: {name: "x"}) { _id } }')
    assert "API_SCOPE_OFF" in info.value.api_message


DEVICE_PAGE = """
query Devices($first: Int, $after: String) {
  devices(query: {}, first: $first, after: $after) {
    page { edges { cursor node { _id deviceName } } pageInfo { hasNextPage endCursor } }
  }
}
"""


def test_paginate_walks_every_page(core_hook, emulator) -> None:
    everything = core_hook.execute("query { devices(query: {}) { page { edges { node { _id } } } } }")
    all_ids = [e["node"]["_id"] for e in everything["devices"]["page"]["edges"]]
    assert len(all_ids) >= 3
    emulator.control.reset_requests()
    paged = [node["_id"] for node in core_hook.paginate(DEVICE_PAGE, connection_field="devices", page_size=2)]
    assert paged == all_ids
    graphql_calls = [r for r in emulator.control.requests() if r["path"].endswith("/graphql")]
    # One request per page: the last page says hasNextPage false, so no empty page is fetched.
    assert len(graphql_calls) == -(-len(all_ids) // 2)


def test_paginate_rejects_a_bad_page_size(core_hook) -> None:
    with pytest.raises(SignsConfigError, match="page_size"):
        list(core_hook.paginate(DEVICE_PAGE, connection_field="devices", page_size=0))


def test_malformed_body_is_a_clear_error(core_hook, emulator) -> None:
    emulator.control.add_fault(kind="malformed", path="/optisigns/graphql")
    with pytest.raises(SignsApiError, match="not JSON"):
        core_hook.execute("query { me { _id } }")


# == API methods (issue 4) ========================================================================


def _screens_by_name(hook) -> dict[str, dict]:
    return {s["deviceName"]: s for s in hook.list_screens()}


def _emulated_now(emulator) -> datetime:
    return datetime.fromisoformat(emulator.control.now())


# -- screens ----------------------------------------------------------------------------------


def test_list_and_filter_screens(hook) -> None:
    names = set(_screens_by_name(hook))
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
    kitchen = _screens_by_name(hook)["Office Kitchen"]
    assert hook.get_screen(kitchen["_id"])["deviceName"] == "Office Kitchen"
    with pytest.raises(OptiSignsNotFoundError, match="no screen with id 'nope'"):
        hook.get_screen("nope")


def test_find_screens_by_name_tag_id_and_folder(hook) -> None:
    screens = _screens_by_name(hook)
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
    kitchen = _screens_by_name(hook)["Office Kitchen"]
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


# -- assets: upload ------------------------------------------------------------------------------


def test_upload_file_three_steps_then_ready(hook, emulator, png) -> None:
    asset = hook.upload_file(png, name="Lobby slide", tags=["lobby"])
    assert asset["originalFileName"] == "Lobby slide.png"
    assert asset["status"] == "converting" and asset_state(asset) == "processing"
    assert asset["tags"] == [PROVIDER_TAG, "lobby"]
    calls = [(r["path"], r["fields"]) for r in emulator.control.requests()]
    assert calls == [
        ("/optisigns/graphql", ["getFileUploadOptions"]),
        ("/transloadit/assemblies", []),
        ("/optisigns/graphql", ["saveAsset"]),
    ]
    emulator.control.advance_clock(seconds=10)
    ready = hook.wait_for_asset_ready(asset["_id"], poll_interval=0.01)
    assert ready["status"] == "done" and asset_state(ready) == "ready"
    showing = emulator.control.optisigns_state()
    assert asset["_id"] in str(showing)


def test_upload_bytes_and_object_storage_path(hook, emulator, png) -> None:
    from airflow.sdk import ObjectStoragePath

    from_bytes = hook.upload_file(png.read_bytes(), filename="menu.png", name="Menu")
    from_store = hook.upload_file(ObjectStoragePath(f"file://{png}"))
    assert from_bytes["originalFileName"] == "Menu.png"
    assert from_store["originalFileName"] == "slide.png"
    sizes = {a["_id"]: a["fileSize"] for a in hook.list_assets(tags=[PROVIDER_TAG])}
    assert sizes[from_bytes["_id"]] == sizes[from_store["_id"]] == png.stat().st_size


def test_upload_does_not_send_the_api_key_to_the_upload_service(hook, emulator, png) -> None:
    hook.upload_file(png)
    # The emulator records which auth header each request carried (the name only, never the value).
    (upload,) = emulator.control.requests(path="/transloadit/assemblies")
    assert upload["auth_header"] is None
    assert upload["user_agent"].startswith("airflow-provider-signs/")
    graphql = emulator.control.requests(path="/optisigns/graphql")
    assert len(graphql) == 2 and {r["auth_header"] for r in graphql} == {"authorization"}


def test_upload_boundary_is_unique_so_any_file_content_survives(hook, emulator, png) -> None:
    # A file that contains the boundary the hook used to use for every upload.
    data = png.read_bytes() + b"\r\n--airflow-provider-signs-00000000\r\n" + b"tail" * 64
    first = hook.upload_file(data, filename="tricky.png")
    second = hook.upload_file(data, filename="tricky2.png")
    sizes = {a["_id"]: a["fileSize"] for a in hook.list_assets(tags=[PROVIDER_TAG])}
    assert sizes[first["_id"]] == sizes[second["_id"]] == len(data)


@pytest.mark.parametrize(
    ("make_source", "kwargs", "message"),
    [
        (lambda tmp: tmp / "missing.png", {}, "does not exist"),
        (lambda tmp: _write(tmp / "notes.txt", b"hello"), {}, "not a file type OptiSigns plays.*\\.png"),
        (lambda tmp: _write(tmp / "empty.png", b""), {}, "is empty"),
        (lambda tmp: b"\x89PNG....", {}, "filename: required"),
        (lambda tmp: 42, {}, "not a path"),
    ],
)
def test_bad_upload_sources_fail_before_any_request(
    hook, emulator, tmp_path, make_source, kwargs, message
) -> None:
    with pytest.raises(SignsConfigError, match=message):
        hook.upload_file(make_source(tmp_path), **kwargs)
    assert emulator.control.requests() == []


def test_file_over_the_limit_fails_before_any_request(optisigns_env, png) -> None:
    small = OptiSignsHook(max_upload_bytes=100)
    with pytest.raises(SignsConfigError, match="over the upload limit.*max_upload_mb"):
        small.upload_file(png)
    assert optisigns_env.control.requests() == []


def test_upload_limit_from_the_connection(monkeypatch, optisigns_env) -> None:
    conn = json.loads(optisigns_env.connections()["AIRFLOW_CONN_OPTISIGNS_DEFAULT"])
    conn["extra"]["max_upload_mb"] = "25"
    monkeypatch.setenv("AIRFLOW_CONN_FREE_PLAN", json.dumps(conn))
    assert OptiSignsHook(optisigns_conn_id="free_plan").max_upload_bytes == 25 * 1024 * 1024


def test_upload_with_a_read_only_key_changes_nothing(readonly_hook, emulator, png) -> None:
    before = len(readonly_hook.list_assets())
    with pytest.raises(OptiSignsScopeError, match="getFileUploadOptions"):
        readonly_hook.upload_file(png)
    assert emulator.control.count(path="/transloadit") == 0
    assert len(readonly_hook.list_assets()) == before


def test_upload_retries_the_upload_service_on_503(hook, emulator, png) -> None:
    emulator.control.add_fault("503", path="^/transloadit/assemblies$", times=2)
    asset = hook.upload_file(png)
    assert emulator.control.count(path="^/transloadit/assemblies$") == 3
    assert hook.get_asset(asset["_id"])["processId"] == asset["processId"]


def test_lost_answer_to_save_asset_leaves_exactly_one_asset(hook, emulator, png) -> None:
    emulator.control.add_fault("lost_response", operation="saveAsset")
    asset = hook.upload_file(png, name="Once")
    assert [a["_id"] for a in hook.list_assets(name="Once.png")] == [asset["_id"]]
    assert emulator.control.count(operation="saveAsset") == 1


def test_wait_for_asset_ready_times_out(hook, png) -> None:
    asset = hook.upload_file(png)
    with pytest.raises(OptiSignsTimeoutError, match="still 'converting'"):
        hook.wait_for_asset_ready(asset["_id"], timeout=0, poll_interval=0.01)


def test_asset_state_vocabulary() -> None:
    assert asset_state({"status": "converting"}) == "processing"
    assert asset_state({"status": "FAILED"}) == "failed"
    assert asset_state({"status": "done"}) == "ready"
    assert asset_state({"status": None}) == "ready"  # website assets


def test_get_asset_unknown(hook) -> None:
    with pytest.raises(OptiSignsNotFoundError, match="no asset"):
        hook.get_asset("nope")


# -- assets: website, tags, delete, clean-up ---------------------------------------------------------


def test_upsert_website_asset_updates_instead_of_duplicating(hook, emulator) -> None:
    first = hook.upsert_website_asset("Menu board", "https://menu.example.com/today", tags=["cafe"])
    second = hook.upsert_website_asset("Menu board", "https://menu.example.com/tomorrow")
    assert first["_id"] == second["_id"]
    assert second["webLink"] == "https://menu.example.com/tomorrow"
    assert second["tags"] == [PROVIDER_TAG, "cafe"]
    assert [a["_id"] for a in hook.list_assets(name="Menu board")] == [first["_id"]]


def test_upsert_website_asset_after_a_lost_answer_creates_one(hook, emulator) -> None:
    emulator.control.add_fault("lost_response", operation="saveAsset")
    created = hook.upsert_website_asset("Status page", "https://status.example.com")
    assert [a["_id"] for a in hook.list_assets(name="Status page")] == [created["_id"]]
    assert emulator.control.count(operation="saveAsset") == 1


@pytest.mark.parametrize("url", ["status.example.com", "ftp://x.example.com/", ""])
def test_upsert_website_asset_rejects_a_bad_url(hook, emulator, url) -> None:
    with pytest.raises(SignsConfigError, match="url"):
        hook.upsert_website_asset("Bad", url)
    assert emulator.control.requests() == []


def test_tag_assets_add_set_clear(hook) -> None:
    asset = hook.upsert_website_asset("Tagged", "https://t.example.com")
    hook.tag_assets([asset["_id"]], ["a", "b"])
    assert hook.get_asset(asset["_id"])["tags"] == [PROVIDER_TAG, "a", "b"]
    hook.tag_assets([asset["_id"]], ["only"], mode="SET")
    assert hook.get_asset(asset["_id"])["tags"] == ["only"]
    hook.tag_assets([asset["_id"]], [], mode="CLEAR")
    assert hook.get_asset(asset["_id"])["tags"] == []
    with pytest.raises(SignsConfigError, match="at least one tag"):
        hook.tag_assets([asset["_id"]], [])


def test_delete_assets(hook) -> None:
    asset = hook.upsert_website_asset("Doomed", "https://d.example.com")
    assert hook.delete_assets([asset["_id"]]) == [asset["_id"]]
    assert hook.list_assets(name="Doomed") == []
    assert hook.delete_assets([]) == []


def test_cleanup_deletes_only_old_provider_assets(hook, emulator, png) -> None:
    seeded = {a["_id"] for a in hook.list_assets()}
    old = hook.upload_file(png, name="Old", tags=["dag-a"])
    emulator.control.advance_clock(days=3)
    new = hook.upload_file(png, name="New", tags=["dag-a"])
    now = _emulated_now(emulator)
    preview = hook.cleanup_assets(older_than=timedelta(days=1), now=now, dry_run=True)
    assert preview == [old["_id"]]
    assert hook.cleanup_assets(older_than=timedelta(days=1), tags=["dag-b"], now=now) == []
    assert hook.cleanup_assets(older_than=timedelta(days=1), tags=["dag-a"], now=now) == [old["_id"]]
    remaining = {a["_id"] for a in hook.list_assets()}
    assert remaining == seeded | {new["_id"]}


def test_delete_unused_provider_assets_keeps_what_is_in_use(hook, png) -> None:
    in_playlist = hook.upload_file(png, name="In playlist")
    unused = hook.upload_file(png, name="Unused")
    playlist = hook.upsert_playlist("Keep")
    hook.set_playlist_items(playlist["_id"], [in_playlist["_id"]])
    seeded = next(a["_id"] for a in hook.list_assets(name="Welcome Slide.png"))
    deleted = hook.delete_unused_provider_assets([in_playlist["_id"], unused["_id"], seeded])
    assert deleted == [unused["_id"]]


# -- playlists ------------------------------------------------------------------------------------


def _items(hook, playlist_id) -> list[tuple[str, float]]:
    return [(i["_id"], i["duration"]) for i in hook.get_playlist(playlist_id)["assets"]]


def test_upsert_playlist_is_create_or_update_by_name(hook, emulator) -> None:
    created = hook.upsert_playlist("Lobby KPIs", tags=["lobby"])
    again = hook.upsert_playlist("Lobby KPIs", tags=["lobby"])
    assert again["_id"] == created["_id"] and again["tags"] == [PROVIDER_TAG, "lobby"]
    assert mutations(emulator) == ["savePlaylist"]  # the second call found nothing to change
    retagged = hook.upsert_playlist("Lobby KPIs", tags=["kpi"])
    assert retagged["tags"] == [PROVIDER_TAG, "lobby", "kpi"]
    assert len(hook.list_playlists(name="Lobby KPIs")) == 1


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
    assert _items(hook, playlist) == [(a, 15.0), (b, 20.0), (c, 10.0)]
    emulator.control.reset_requests()
    hook.set_playlist_items(playlist, [(a, 15), {"asset_id": b, "duration": 20}, c])
    assert mutations(emulator) == []
    assert _items(hook, playlist) == [(a, 15.0), (b, 20.0), (c, 10.0)]
    # Reorder and shrink: only the tail after the common start is replaced, new items first so
    # that screens playing the playlist never see it empty.
    emulator.control.reset_requests()
    hook.set_playlist_items(playlist, [(a, 15), (c, 5)])
    assert _items(hook, playlist) == [(a, 15.0), (c, 5.0)]
    assert mutations(emulator) == ["addPlaylistItems", "removePlaylistItems", "updatePlaylistItems"]
    hook.set_playlist_items(playlist, [])
    assert _items(hook, playlist) == []


def test_set_playlist_items_converges_after_a_lost_answer(hook, emulator) -> None:
    a = hook.upsert_website_asset("A", "https://a.example.com")["_id"]
    b = hook.upsert_website_asset("B", "https://b.example.com")["_id"]
    playlist = hook.upsert_playlist("Lossy")["_id"]
    emulator.control.add_fault("lost_response", operation="addPlaylistItems")
    hook.set_playlist_items(playlist, [(a, 12), (b, 8)])
    assert _items(hook, playlist) == [(a, 12.0), (b, 8.0)]
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
    assert _items(hook, playlist) == [(c, 30.0), (a, 10.0), (b, 10.0)]
    hook.move_playlist_items(playlist, [0], to=2)
    assert [i for i, _ in _items(hook, playlist)] == [a, b, c]
    hook.remove_playlist_items(playlist, [1])
    assert [i for i, _ in _items(hook, playlist)] == [a, c]
    with pytest.raises(SignsConfigError, match="not a position"):
        hook.remove_playlist_items(playlist, [5])
    with pytest.raises(SignsConfigError, match="outside the playlist"):
        hook.add_playlist_items(playlist, [a], position=9)


def test_add_playlist_items_after_a_lost_answer_adds_once(hook, emulator) -> None:
    a = hook.upsert_website_asset("A", "https://a.example.com")["_id"]
    playlist = hook.upsert_playlist("Once")["_id"]
    emulator.control.add_fault("lost_response", operation="addPlaylistItems")
    hook.add_playlist_items(playlist, [a])
    assert [i for i, _ in _items(hook, playlist)] == [a]


def test_add_playlist_items_resent_when_the_request_never_applied(hook, emulator) -> None:
    a = hook.upsert_website_asset("A", "https://a.example.com")["_id"]
    playlist = hook.upsert_playlist("Dropped")["_id"]
    # "drop" closes the connection before the handler runs: the hook sees the same error as a
    # lost answer, reads the playlist back, finds it unchanged and sends the addition again.
    emulator.control.add_fault("drop", operation="addPlaylistItems")
    hook.add_playlist_items(playlist, [a])
    assert [i for i, _ in _items(hook, playlist)] == [a]
    assert emulator.control.count(operation="addPlaylistItems") == 2


def test_delete_playlists(hook) -> None:
    playlist = hook.upsert_playlist("Gone")
    hook.delete_playlists([playlist["_id"]])
    assert hook.find_playlist("Gone") is None


# -- delivery -----------------------------------------------------------------------------------


def _showing(emulator, screen_id) -> tuple:
    screen = emulator.control.screen(screen_id)
    return screen_content(screen)


def test_assign_content_sets_each_screen(hook, emulator) -> None:
    screens = _screens_by_name(hook)
    kitchen, wall = screens["Office Kitchen"]["_id"], screens["Office KPI Wall"]["_id"]
    playlist = hook.find_playlist("Lobby Loop")["_id"]
    updated = hook.assign_content([kitchen, wall], playlist_id=playlist)
    assert [screen_content(s) for s in updated] == [("PLAYLIST", playlist)] * 2
    assert _showing(emulator, kitchen) == ("PLAYLIST", playlist)
    assert emulator.control.count(operation="updateDevice") == 2
    hook.assign_content([kitchen])
    assert _showing(emulator, kitchen) == ("NONE", None)


def test_assign_content_is_retried_as_idempotent(hook, emulator) -> None:
    kitchen = _screens_by_name(hook)["Office Kitchen"]["_id"]
    asset = hook.upsert_website_asset("Assigned", "https://x.example.com")["_id"]
    emulator.control.add_fault("lost_response", operation="updateDevice")
    hook.assign_content([kitchen], asset_id=asset)
    assert _showing(emulator, kitchen) == ("ASSET", asset)
    assert emulator.control.count(operation="updateDevice") == 2


def test_push_now_to_a_tag_is_one_call(hook, emulator) -> None:
    asset = hook.upsert_website_asset("Pushed", "https://p.example.com")["_id"]
    emulator.control.reset_requests()
    result = hook.push_to_screens(asset_id=asset, tags=["office"])
    assert emulator.control.count(operation="pushToScreens") == 1
    office = [s["_id"] for s in hook.list_screens(tags=["office"])]
    assert sorted(result["screen_ids"]) == sorted(office)
    assert all(_showing(emulator, i) == ("ASSET", asset) for i in office)
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


def test_push_scheduled_with_expiry_then_reverts(hook, emulator) -> None:
    kitchen = _screens_by_name(hook)["Office Kitchen"]
    before = screen_content(kitchen)
    asset = hook.upsert_website_asset("Promo", "https://promo.example.com")["_id"]
    start = _emulated_now(emulator) + timedelta(hours=1)
    hook.push_to_screens(
        asset_id=asset,
        screen_ids=[kitchen["_id"]],
        mode="SCHEDULE",
        start_at=start,
        expire_at=start + timedelta(hours=2),
    )
    assert _showing(emulator, kitchen["_id"]) == before
    emulator.control.advance_clock(hours=1, minutes=1)
    assert _showing(emulator, kitchen["_id"]) == ("ASSET", asset)
    emulator.control.advance_clock(hours=2)
    assert _showing(emulator, kitchen["_id"]) == before


def test_push_takeover_then_reverts(hook, emulator) -> None:
    entrance = _screens_by_name(hook)["Lobby Entrance"]
    asset = hook.upsert_website_asset("Alert", "https://alert.example.com")["_id"]
    hook.push_to_screens(asset_id=asset, tags=["lobby"], mode="TEMPORARILY", takeover_minutes=5)
    assert _showing(emulator, entrance["_id"]) == ("ASSET", asset)
    emulator.control.advance_clock(minutes=6)
    assert _showing(emulator, entrance["_id"]) == screen_content(entrance)


def test_push_scheduled_is_not_retried_blindly(hook, emulator) -> None:
    asset = hook.upsert_website_asset("Promo", "https://promo.example.com")["_id"]
    emulator.control.add_fault("lost_response", operation="pushToScreens")
    from signs_provider.common.errors import AmbiguousWriteError

    with pytest.raises(AmbiguousWriteError):
        hook.push_to_screens(asset_id=asset, tags=["lobby"], mode="SCHEDULE", start_at="2031-01-01T09:00:00Z")
    assert emulator.control.count(operation="pushToScreens") == 1


def test_push_now_is_retried_after_a_lost_answer(hook, emulator) -> None:
    asset = hook.upsert_website_asset("Promo", "https://promo.example.com")["_id"]
    emulator.control.add_fault("lost_response", operation="pushToScreens")
    hook.push_to_screens(asset_id=asset, tags=["kpi"])
    assert emulator.control.count(operation="pushToScreens") == 2
    assert all(_showing(emulator, s["_id"]) == ("ASSET", asset) for s in hook.list_screens(tags=["kpi"]))


# -- schedules ----------------------------------------------------------------------------------


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


# -- async reads (triggers) -----------------------------------------------------------------------


def test_aexecute_refuses_mutations(hook) -> None:
    import asyncio

    with pytest.raises(SignsConfigError, match="queries only"):
        asyncio.run(hook.aexecute('mutation { savePlaylist(payload: {name: "x"}) { _id } }'))


def test_async_reads_match_the_sync_ones(hook) -> None:
    import asyncio

    async def read():
        try:
            screens = await hook.alist_screens()
            asset = await hook.aget_asset(hook.list_assets()[0]["_id"])
            return screens, asset
        finally:
            await hook.aclose()

    screens, asset = asyncio.run(read())
    assert [s["_id"] for s in screens] == [s["_id"] for s in hook.list_screens()]
    assert asset["_id"] == hook.list_assets()[0]["_id"]


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_upload_streams_the_file(hook, tmp_path) -> None:
    """Memory does not grow with the file: a 16 MB upload allocates a small fraction of it."""
    import tracemalloc

    big = tmp_path / "big.mp4"
    with big.open("wb") as handle:
        handle.truncate(16 * 1024 * 1024)
    hook.test_connection()  # connect first: only the upload is measured
    tracemalloc.start()
    try:
        hook.upload_file(big)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The emulator (same process) is measured too; both stream in chunks.
    assert peak < 4 * 1024 * 1024, f"peak {peak / 2**20:.1f} MB for a 16 MB file"


# -- review fixes: one test per bug ---------------------------------------------------------------


def _slow_hook(optisigns_env) -> OptiSignsHook:
    """A hook that gives up on a request after 1 s (the emulator's ``slow`` fault takes longer)."""
    return OptiSignsHook(retry_policy=FAST, timeout=1)


def test_sync_replacing_every_item_adds_before_it_removes(hook, emulator) -> None:
    a, b = (hook.upsert_website_asset(n, f"https://{n}.example.com")["_id"] for n in "ab")
    playlist = hook.upsert_playlist("Live")["_id"]
    hook.set_playlist_items(playlist, [a])
    emulator.control.reset_requests()
    hook.set_playlist_items(playlist, [(b, 7)])
    # Had the removal come first, screens playing "Live" would have had an empty playlist.
    assert mutations(emulator) == ["addPlaylistItems", "removePlaylistItems", "updatePlaylistItems"]
    assert _items(hook, playlist) == [(b, 7.0)]


def test_cleanup_keeps_old_assets_that_are_in_use(hook, emulator) -> None:
    def web(name: str) -> str:
        return hook.upsert_website_asset(name, f"https://{name.lower()}.example.com", tags=["dag-x"])["_id"]

    in_playlist, on_screen, scheduled, unused = (web(n) for n in ("Listed", "Shown", "Planned", "Unused"))
    hook.set_playlist_items(hook.upsert_playlist("Keeps")["_id"], [in_playlist])
    kitchen = _screens_by_name(hook)["Office Kitchen"]["_id"]
    hook.assign_content([kitchen], asset_id=on_screen)
    schedule = hook.upsert_schedule("Keeps")["_id"]
    hook.add_schedule_item(
        schedule, asset_id=scheduled, start=datetime(2031, 1, 6, 8), end=datetime(2031, 1, 6, 9)
    )
    emulator.control.advance_clock(days=3)
    now = _emulated_now(emulator)
    assert hook.cleanup_assets(older_than=timedelta(days=1), tags=["dag-x"], now=now, dry_run=True) == [
        unused
    ]
    assert hook.cleanup_assets(older_than=timedelta(days=1), tags=["dag-x"], now=now) == [unused]
    left = {a["_id"] for a in hook.list_assets(tags=["dag-x"])}
    assert left == {in_playlist, on_screen, scheduled}
    assert _showing(emulator, kitchen) == ("ASSET", on_screen)
    wiped = hook.cleanup_assets(older_than=timedelta(days=1), tags=["dag-x"], now=now, keep_in_use=False)
    assert sorted(wiped) == sorted(left)


def test_timed_out_asset_create_is_found_not_sent_twice(optisigns_env, png) -> None:
    hook = _slow_hook(optisigns_env)
    # The server reads the request, stalls past the client's timeout, then creates the asset.
    optisigns_env.control.add_fault("slow", operation="saveAsset", delay=2)
    asset = hook.upload_file(png, name="Slow")
    assert [a["_id"] for a in hook.list_assets(name="Slow.png")] == [asset["_id"]]
    assert optisigns_env.control.count(operation="saveAsset") == 1


def test_timed_out_create_that_never_shows_up_raises_instead_of_resending(optisigns_env) -> None:
    import time

    from signs_provider.common.errors import AmbiguousWriteError

    hook = _slow_hook(optisigns_env)
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
    hook = _slow_hook(optisigns_env)
    a, b = (hook.upsert_website_asset(n, f"https://{n}.example.com")["_id"] for n in "ab")
    playlist = hook.upsert_playlist("Slow adds")["_id"]
    optisigns_env.control.add_fault("slow", operation="addPlaylistItems", delay=2)
    hook.add_playlist_items(playlist, [a])
    assert [i for i, _ in _items(hook, playlist)] == [a]
    optisigns_env.control.add_fault("slow", operation="addPlaylistItems", delay=2)
    hook.set_playlist_items(playlist, [a, (b, 9)])
    assert _items(hook, playlist) == [(a, 10.0), (b, 9.0)]
    assert optisigns_env.control.count(operation="addPlaylistItems") == 2


def test_set_playlist_items_raises_when_the_api_does_not_apply_a_change(hook, emulator, monkeypatch) -> None:
    a = hook.upsert_website_asset("A", "https://a.example.com")["_id"]
    playlist = hook.upsert_playlist("Stubborn")["_id"]
    # The emulator always applies durations; an API that ignores them is simulated by not sending them.
    monkeypatch.setattr(hook.client.playlists, "set_durations", lambda playlist_id, by_duration: None)
    with pytest.raises(SignsApiError, match=r"position 0: 10(\.0)?s instead of 25(\.0)?s"):
        hook.set_playlist_items(playlist, [(a, 25)])


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


def test_scheduled_push_times_are_the_screens_local_time(hook, emulator) -> None:
    from zoneinfo import ZoneInfo

    kitchen = _screens_by_name(hook)["Office Kitchen"]["_id"]
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


def test_folder_filter_takes_subfolders_but_not_lookalike_folders(hook, emulator) -> None:
    (lookalike,) = emulator.control.add_screens(1, path="/Lobby2", name_prefix="Lookalike")
    (nested,) = emulator.control.add_screens(1, path="/Lobby/East", name_prefix="Nested")
    lobby = {s["_id"] for s in hook.list_screens() if s.get("path") == "/Lobby"}
    found = {s["_id"] for s in hook.find_screens(path="/Lobby")}
    assert found == lobby | {nested}
    assert lookalike not in found
    assert {s["_id"] for s in hook.find_screens(path="/Lobby2/")} == {lookalike}


def test_assign_with_one_unknown_id_changes_no_screen(hook, emulator) -> None:
    screens = _screens_by_name(hook)
    kitchen, wall = screens["Office Kitchen"], screens["Office KPI Wall"]
    asset = hook.upsert_website_asset("Assigned", "https://x.example.com")["_id"]
    with pytest.raises(UnknownScreensError, match="ffffffffffffffffffffffff"):
        hook.assign_content([kitchen["_id"], wall["_id"], "ffffffffffffffffffffffff"], asset_id=asset)
    assert emulator.control.count(operation="updateDevice") == 0
    assert _showing(emulator, kitchen["_id"]) == screen_content(kitchen)


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


def test_the_cleaned_api_key_is_masked_too(optisigns_env, monkeypatch) -> None:
    import uuid

    from airflow.sdk.log import _secrets_masker

    key = f"fresh-key-{uuid.uuid4().hex}"
    optisigns_env.control.add_api_key(key, ["devices:read"])
    conn = json.loads(optisigns_env.connections()["AIRFLOW_CONN_OPTISIGNS_DEFAULT"])
    # Pasted from the web app with a zero-width space: the header carries the key without it.
    monkeypatch.setenv("AIRFLOW_CONN_OPTISIGNS_PASTED", json.dumps({**conn, "password": key + "\u200b"}))
    hook = OptiSignsHook(optisigns_conn_id="optisigns_pasted", retry_policy=FAST)
    assert hook.list_screens()
    assert key not in str(_secrets_masker().redact(f"sent Bearer {key}"))


@pytest.mark.parametrize("status", ["429", "503"])
def test_transient_errors_inside_http_200_are_retried_for_queries(hook, emulator, status: str) -> None:
    emulator.control.add_fault(status, path="/optisigns/graphql", in_body=True, times=2, retry_after=0)
    hook.retry_policy = RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.02)
    assert hook.execute("query { me { _id } }")["me"]["_id"]
    assert [r["fault"] for r in emulator.control.requests(path="/graphql")] == [status, status, None]


def test_transient_errors_inside_http_200_are_not_retried_for_mutations(hook, emulator) -> None:
    emulator.control.add_fault("503", path="/optisigns/graphql", in_body=True, times=0)
    with pytest.raises(OptiSignsGraphQLError):
        hook.execute('mutation { savePlaylist(payload: {name: "once"}) { _id } }')
    assert len(emulator.control.requests(path="/graphql")) == 1
