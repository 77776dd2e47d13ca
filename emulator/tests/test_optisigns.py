"""The OptiSigns emulator against the documented requests and responses (real HTTP on loopback)."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from optisigns_client import data, error, nodes, post

from signs_emulator import Emulator
from signs_emulator.credentials import OPTISIGNS_NOSCOPE_KEY, OPTISIGNS_READONLY_KEY

DEVICE_FIELDS = (
    "_id, deviceName, UUID, pairingCode, currentType, currentAssetId, currentPlaylistId, localAppVersion"
)


def _screen(emu: Emulator, name: str) -> dict:
    found = [d for d in nodes(emu, "devices", "_id deviceName tags path status") if d["deviceName"] == name]
    assert found, name
    return found[0]


def _asset_id(emu: Emulator, name: str) -> str:
    return nodes(emu, "assets", "_id", f'{{originalFileName: "{name}"}}')[0]["_id"]


def _playlist(emu: Emulator, name: str) -> dict:
    return [p for p in nodes(emu, "playlists", "_id name assets { _id duration }") if p["name"] == name][0]


# -- documented examples ------------------------------------------------------------------------------------
def test_get_started_devices_query_returns_the_seeded_screens(emulator: Emulator) -> None:
    # DOC-start, verbatim (trailing commas included).
    result = data(
        emulator,
        "query{ devices (query : {}) { page{ edges{ cursor, node{ _id, deviceName, UUID, pairingCode, currentType, "
        "currentAssetId, currentPlaylistId, localAppVersion, } } } } }",
    )
    edges = result["devices"]["page"]["edges"]
    assert len(edges) == 6
    assert [base64.b64decode(e["cursor"]).decode() for e in edges[:2]] == [
        "arrayconnection:0",
        "arrayconnection:1",
    ]
    node = edges[0]["node"]
    assert len(node["_id"]) == 24 and int(node["_id"], 16) >= 0
    assert len(node["pairingCode"]) == 6 and node["pairingCode"].isupper()
    assert node["currentType"] in {"ASSET", "PLAYLIST", "SCHEDULE", "NONE"}


def test_seeded_account_has_folders_tags_and_online_offline_screens(emulator: Emulator) -> None:
    screens = nodes(emulator, "devices", "deviceName path tags status lastHeartBeat")
    assert {s["path"] for s in screens} == {"/Lobby", "/Office"}
    assert {"lobby", "office", "kpi"} <= {t for s in screens for t in s["tags"]}
    assert {s["status"] for s in screens} == {"ONLINE", "OFFLINE"}
    kpi = nodes(emulator, "devices", "deviceName", '{tags: ["kpi"]}')
    assert {s["deviceName"] for s in kpi} == {"Office KPI Wall", "Office Meeting Room"}


def test_seeding_is_deterministic(emulator: Emulator) -> None:
    first = nodes(emulator, "devices", "_id pairingCode")
    emulator.control.reset()
    assert nodes(emulator, "devices", "_id pairingCode") == first


def test_assets_filtered_by_original_file_name(emulator: Emulator) -> None:
    result = data(
        emulator,
        'query{ assets (query : {originalFileName:"Company Website"}) '
        "{ page{ edges{ cursor, node{ _id, appType, fileType, name, filename } } } } }",
    )
    [edge] = result["assets"]["page"]["edges"]
    assert edge["node"]["fileType"] == "web"
    assert len(edge["node"]["_id"]) == 17


def test_pair_device_then_already_paired_error_in_documented_shape(emulator: Emulator) -> None:
    query = f'mutation {{ pairDevice(payload:{{pairingCode:"3JRKC8"}}){{ {DEVICE_FIELDS} }} }}'
    paired = data(emulator, query)["pairDevice"]
    assert paired["pairingCode"] == "3JRKC8" and paired["currentType"] == "NONE"
    err = error(emulator, query)
    # DEMO README's example body, exactly.
    assert err["message"] == "This device is already paired"
    assert err["extensions"] == {"code": "406", "response": {"statusCode": 406, "error": "Not Acceptable"}}
    assert err["path"] == ["pairDevice"]


def test_pair_device_with_sdk_variables_and_a_new_pairing_code(emulator: Emulator) -> None:
    code = emulator.control.add_pairing_code()
    result = data(
        emulator,
        "mutation($payload: PairDeviceInput!, $teamId: String!) { pairDevice(payload: $payload, teamId: $teamId)"
        " { _id path teamId } }",
        {"payload": {"pairingCode": code, "path": "/Lobby", "teamId": "1"}, "teamId": "1"},
    )
    assert result["pairDevice"]["path"] == "/Lobby"
    assert (
        error(emulator, 'mutation { pairDevice(payload:{pairingCode:"ZZZZZZ"}){ _id } }')["extensions"][
            "code"
        ]
        == "404"
    )


def test_update_device_documented_asset_and_playlist_forms(emulator: Emulator) -> None:
    device = _screen(emulator, "Lobby Elevator")
    asset = _asset_id(emulator, "Welcome Slide.png")
    playlist = _playlist(emulator, "Office Rotation")["_id"]
    result = data(
        emulator,
        f'mutation {{ updateDevice(_id:"{device["_id"]}",payload: {{deviceName: "GraphAPI Test", currentType: ASSET, '
        f'currentAssetId: "{asset}", orientation: LANDSCAPE}}){{ {DEVICE_FIELDS} }} }}',
    )["updateDevice"]
    assert (result["deviceName"], result["currentType"], result["currentAssetId"]) == (
        "GraphAPI Test",
        "ASSET",
        asset,
    )
    # The docs' playlist form puts the playlist id in currentAssetId; the emulator keeps it there.
    result = data(
        emulator,
        f'mutation {{ updateDevice(_id:"{device["_id"]}",payload: {{deviceName: "GraphAPI Test", currentType: PLAYLIST '
        f'currentAssetId: "{playlist}", orientation: LANDSCAPE}}){{ {DEVICE_FIELDS} }} }}',
    )["updateDevice"]
    assert (result["currentType"], result["currentAssetId"], result["currentPlaylistId"]) == (
        "PLAYLIST",
        playlist,
        None,
    )
    showing = emulator.control.screen(device["_id"])["showing"]
    assert showing["type"] == "PLAYLIST" and showing["playlist"]["name"] == "Office Rotation"
    err = error(
        emulator,
        f'mutation {{ updateDevice(_id:"{device["_id"]}", payload:{{currentType: ASSET, currentAssetId: "nope"}}){{ _id }} }}',
    )
    assert err["extensions"]["response"]["statusCode"] == 404


def test_unpair_devices_returns_a_scalar_and_removes_the_screen(emulator: Emulator) -> None:
    device = _screen(emulator, "Lobby Elevator")
    result = data(
        emulator,
        "mutation($payload: UnPairDeviceInput!, $teamId: String!) { unPairDevices(payload: $payload, teamId: $teamId) }",
        {"payload": {"deviceIds": [device["_id"]]}, "teamId": "1"},
    )
    assert result == {"unPairDevices": True}
    assert len(nodes(emulator, "devices", "_id")) == 5


def test_website_asset_documented_and_cookbook_payloads(emulator: Emulator) -> None:
    doc = data(
        emulator,
        "mutation saveAsset ($payload: AssetInput!, $teamId: String) {saveAsset (payload:$payload,teamId:$teamId)"
        "{ _id originalFileName webLink webType fileType } }",
        {
            "payload": {
                "originalFileName": "Docs site",
                "webLink": "https://example.org/",
                "webType": "website",
                "fileType": "web",
            }
        },
    )["saveAsset"]
    assert doc["webLink"] == "https://example.org/" and doc["fileType"] == "web"
    cookbook = data(
        emulator,
        "mutation($payload: AssetInput!, $teamId: String) { saveAsset(payload: $payload, teamId: $teamId)"
        " { _id, type, originalFileName, createdAt, status, lastUpdatedDate, teamId, path } }",
        {
            "teamId": "1",
            "payload": {
                "type": "web",
                "subType": "static",
                "path": None,
                "webLink": "https://www.optisigns.com/product/engage",
                "originalFileName": "Website App 1",
                "fileType": "web",
                "webType": "website",
            },
        },
    )["saveAsset"]
    assert cookbook["type"] == "web" and cookbook["teamId"] == "1" and cookbook["createdAt"].endswith("Z")
    updated = data(
        emulator,
        "mutation($p: AssetInput!) { saveAsset(payload: $p) { _id tags path } }",
        {"p": {"_id": cookbook["_id"], "tags": ["test-tag"], "path": "/A"}},
    )["saveAsset"]
    assert updated == {"_id": cookbook["_id"], "tags": ["test-tag"], "path": "/A"}


def test_delete_objects_and_update_object_tags(emulator: Emulator) -> None:
    asset = _asset_id(emulator, "Lunch Menu.png")
    playlist = _playlist(emulator, "Lobby Loop")
    tags = data(
        emulator,
        "mutation($p:UpdateObjectTagsInput!){ updateObjectTags(payload:$p) }",
        {"p": {"ids": [playlist["_id"]], "type": "PLAYLIST", "mutation": "SET", "tags": ["a", "b"]}},
    )
    assert tags["updateObjectTags"]["status"] is True
    assert _playlist(emulator, "Lobby Loop")["_id"] == playlist["_id"]
    assert nodes(emulator, "playlists", "tags", f'{{_id: "{playlist["_id"]}"}}')[0]["tags"] == ["a", "b"]
    result = data(
        emulator,
        "mutation($payload: DeleteObjectInput!, $teamId: String) { deleteObjects(payload: $payload, teamId: $teamId) }",
        {"payload": {"ids": [asset], "type": "ASSET"}, "teamId": "1"},
    )
    assert result == {"deleteObjects": True}
    assert nodes(emulator, "assets", "_id", f'{{_id: "{asset}"}}') == []
    # The deleted asset also left the playlist that contained it.
    assert asset not in [i["_id"] for i in _playlist(emulator, "Lobby Loop")["assets"]]


def test_me_and_teams(emulator: Emulator) -> None:
    me = data(emulator, "query { me { _id accountId firstName lastName name email username } }")["me"]
    assert me["email"].endswith("@example.com")
    teams = data(
        emulator, "query { teams { page { edges { node { _id name description accountId createdAt } } } } }"
    )
    assert [e["node"]["_id"] for e in teams["teams"]["page"]["edges"]] == ["1", "2"]
    one = data(emulator, 'query { teams(teamId: "2") { page { edges { node { _id } } } } }')
    assert [e["node"]["_id"] for e in one["teams"]["page"]["edges"]] == ["2"]


def test_team_id_is_optional_and_scopes_lists(emulator: Emulator) -> None:
    assert (
        len(
            data(emulator, 'query { devices(query: {}, teamId: "1") { page { edges { cursor } } } }')[
                "devices"
            ]["page"]["edges"]
        )
        == 6
    )
    assert (
        data(emulator, 'query { devices(query: {}, teamId: "2") { page { edges { cursor } } } }')["devices"][
            "page"
        ]["edges"]
        == []
    )
    assert (
        error(emulator, 'query { devices(query: {}, teamId: "99") { page { edges { cursor } } } }')[
            "extensions"
        ]["code"]
        == "404"
    )


# -- validation, auth, scopes -----------------------------------------------------------------------------------
def test_unknown_field_fails_validation(emulator: Emulator) -> None:
    response = post(emulator, "{ devices(query: {}) { page { edges { node { _id appVersion } } } } }")
    assert response.status_code == 400
    [err] = response.json()["errors"]
    assert "appVersion" in err["message"] and err["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_sub_fields_of_a_json_scalar_fail_validation(emulator: Emulator) -> None:
    # PD's first version selected { status } on pushToScreens' JSONObject! result.
    response = post(
        emulator,
        'mutation { pushToScreens(payload: {deviceIds: ["x"], type: NOW}, teamId: "1") { status } }',
    )
    assert response.status_code == 400
    assert "must not have a selection" in response.json()["errors"][0]["message"]
    assert post(emulator, "{ getFileUploadOptions { params } }").status_code == 400


def test_syntax_errors_and_bad_variables_are_request_errors(emulator: Emulator) -> None:
    response = post(emulator, "{ devices(query: {}) { page ")
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    response = post(
        emulator, "query($q: QueryDeviceInput!) { devices(query: $q) { pageData { offset } } }", {}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("key", [None, "not-a-real-key"])
def test_missing_or_unknown_key_is_unauthorized(emulator: Emulator, key: str | None) -> None:
    response = post(emulator, "{ me { _id } }", key=key)
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["response"]["statusCode"] == 401


def test_operations_outside_the_key_scopes_fail_with_api_scope_off(emulator: Emulator) -> None:
    assert data(emulator, "{ devices(query: {}) { pageData { offset } } }", key=OPTISIGNS_READONLY_KEY)
    err = error(
        emulator, 'mutation { savePlaylist(payload: {name: "x"}) { _id } }', key=OPTISIGNS_READONLY_KEY
    )
    assert "API_SCOPE_OFF" in err["message"]
    assert err["extensions"]["code"] == "403" and err["extensions"]["response"]["statusCode"] == 403
    # A key without scopes can still run the "test connection" query.
    assert data(emulator, "{ me { _id } }", key=OPTISIGNS_NOSCOPE_KEY)["me"]["_id"]
    assert (
        "API_SCOPE_OFF"
        in error(emulator, "{ devices(query: {}) { pageData { offset } } }", key=OPTISIGNS_NOSCOPE_KEY)[
            "message"
        ]
    )


def test_custom_key_scopes_delete_and_tags(emulator: Emulator) -> None:
    emulator.control.add_api_key("no-delete-key", ["playlists:read", "playlists:create", "playlists:edit"])
    playlist = _playlist(emulator, "Lobby Loop")["_id"]
    delete = f'mutation {{ deleteObjects(payload: {{ids: ["{playlist}"], type: PLAYLIST}}) }}'
    assert "playlists:delete" in error(emulator, delete, key="no-delete-key")["message"]
    tags = (
        f'mutation {{ updateObjectTags(payload: {{ids: ["{playlist}"], type: PLAYLIST, mutation: CLEAR}}) }}'
    )
    assert "API_SCOPE_OFF" in error(emulator, tags, key="no-delete-key")["message"]
    assert data(emulator, 'mutation { savePlaylist(payload: {name: "mine"}) { _id } }', key="no-delete-key")


def test_partial_data_comes_with_the_error(emulator: Emulator) -> None:
    response = post(
        emulator,
        "{ me { _id } devices(query: {}) { pageData { offset } } }",
        key=OPTISIGNS_NOSCOPE_KEY,
    )
    body = response.json()
    assert response.status_code == 200
    assert body["data"]["me"]["_id"] and body["data"]["devices"] is None
    assert body["errors"][0]["path"] == ["devices"]


# -- pagination ---------------------------------------------------------------------------------------------------
def test_pagination_with_offset_cursors(emulator: Emulator) -> None:
    query = (
        "query($after: String) { devices(query: {}, first: 4, after: $after) { page { edges { cursor node { _id } } "
        "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } pageData { limit offset } } }"
    )
    first = data(emulator, query, {"after": None})["devices"]
    assert len(first["page"]["edges"]) == 4
    assert first["page"]["pageInfo"]["hasNextPage"] is True
    assert first["page"]["pageInfo"]["endCursor"] == base64.b64encode(b"arrayconnection:3").decode()
    assert first["pageData"] == {"limit": 4, "offset": 0}
    second = data(emulator, query, {"after": first["page"]["pageInfo"]["endCursor"]})["devices"]
    assert [base64.b64decode(e["cursor"]).decode() for e in second["page"]["edges"]] == [
        "arrayconnection:4",
        "arrayconnection:5",
    ]
    assert second["page"]["pageInfo"]["hasNextPage"] is False
    assert second["pageData"] == {"limit": 4, "offset": 4}
    ids = [e["node"]["_id"] for e in first["page"]["edges"] + second["page"]["edges"]]
    assert ids == [n["_id"] for n in nodes(emulator, "devices", "_id")]


def test_documented_cursor_and_no_first_returns_everything(emulator: Emulator) -> None:
    result = data(
        emulator,
        'query{ devices (query : {},first:1,after:"YXJyYXljb25uZWN0aW9uOjQ=") { page{ edges{ cursor, node{ _id } }, '
        "pageInfo{ hasNextPage, startCursor, endCursor } }, pageData{ limit, offset } } }",
    )["devices"]
    assert result["page"]["pageInfo"]["startCursor"] == base64.b64encode(b"arrayconnection:5").decode()
    everything = data(
        emulator, "{ devices(query: {}) { page { edges { cursor } pageInfo { hasNextPage } } } }"
    )
    assert len(everything["devices"]["page"]["edges"]) == 6
    # As with graphql-relay, hasNextPage is only computed when `first` is given.
    assert everything["devices"]["page"]["pageInfo"]["hasNextPage"] is False
    last = data(
        emulator, "{ devices(query: {}, last: 2) { page { edges { cursor } pageInfo { hasPreviousPage } } } }"
    )
    assert (
        len(last["devices"]["page"]["edges"]) == 2 and last["devices"]["page"]["pageInfo"]["hasPreviousPage"]
    )
    assert (
        error(emulator, "{ devices(query: {}, first: -1) { pageData { offset } } }")["extensions"]["code"]
        == "400"
    )


# -- playlists ----------------------------------------------------------------------------------------------------
def test_playlist_items_are_addressed_by_position(emulator: Emulator) -> None:
    created = data(
        emulator,
        'mutation { savePlaylist(payload:{name:"demo_playlist"}){ _id, name, path, assets{ _id, fileType, filename, '
        "duration, appType }, teamId, tags } }",
    )["savePlaylist"]
    assert created["assets"] == [] and created["name"] == "demo_playlist" and len(created["_id"]) == 17
    pid = created["_id"]
    a, b, c = (_asset_id(emulator, n) for n in ("Welcome Slide.png", "Company Website", "Lunch Menu.png"))
    sel = "{ _id, fileType, filename, duration, appType }"
    items = data(
        emulator, f'mutation {{ addPlaylistItems(_id:"{pid}",payload:{{ ids: ["{a}", "{b}"] }}){sel} }}'
    )
    assert [i["_id"] for i in items["addPlaylistItems"]] == [a, b]
    # Documented form: insert at pos 1.
    items = data(
        emulator, f'mutation {{ addPlaylistItems(_id:"{pid}",payload:{{ ids: ["{c}"], pos: 1 }}){sel} }}'
    )
    assert [i["_id"] for i in items["addPlaylistItems"]] == [a, c, b]
    items = data(
        emulator,
        f'mutation {{ updatePlaylistItems(_id:"{pid}",payload:{{ items: [{{item: {{duration:15}}, pos: [0,1]}}] }}){sel} }}',
    )
    assert [i["duration"] for i in items["updatePlaylistItems"]] == [15, 15, 10]
    items = data(
        emulator,
        "mutation($id:String!,$p:MovePlaylistItemsInput!){ movePlaylistItems(_id:$id, payload:$p){ _id } }",
        {"id": pid, "p": {"froms": [2], "to": 0}},
    )
    assert [i["_id"] for i in items["movePlaylistItems"]] == [b, a, c]
    items = data(emulator, f'mutation {{ removePlaylistItems(_id:"{pid}",payload:{{pos: [0,1]}}){sel} }}')
    assert [i["_id"] for i in items["removePlaylistItems"]] == [c]
    err = error(emulator, f'mutation {{ removePlaylistItems(_id:"{pid}",payload:{{pos: [5]}}){sel} }}')
    assert err["extensions"]["code"] == "400" and "out of range" in err["message"]
    total = nodes(emulator, "playlists", "totalDuration", f'{{_id: "{pid}"}}')[0]["totalDuration"]
    assert total == 15


# -- pushes and what screens show --------------------------------------------------------------------------------
PUSH = "mutation PushToScreens($force: Boolean, $payload: PushToScreensInput!, $teamId: String!) { pushToScreens(force: $force, payload: $payload, teamId: $teamId) }"


def test_push_now_shows_content_at_once(emulator: Emulator) -> None:
    device = _screen(emulator, "Lobby Reception")["_id"]
    playlist = _playlist(emulator, "Office Rotation")["_id"]
    result = data(
        emulator,
        PUSH,
        {"payload": {"deviceIds": [device], "currentPlaylistId": playlist, "type": "NOW"}, "teamId": "1"},
    )
    assert result["pushToScreens"]["status"] is True
    screen = emulator.control.screen(device)
    assert screen["currentType"] == "PLAYLIST" and screen["currentPlaylistId"] == playlist
    assert [i["name"] for i in screen["showing"]["playlist"]["items"]] == [
        "KPI Dashboard",
        "Welcome Slide.png",
    ]


def test_push_by_tag_targets_every_tagged_screen(emulator: Emulator) -> None:
    asset = _asset_id(emulator, "Company Website")
    data(
        emulator,
        PUSH,
        {
            "payload": {
                "deviceIds": [],
                "tags": ["kpi"],
                "currentType": "ASSET",
                "currentAssetId": asset,
                "type": "NOW",
            },
            "teamId": "1",
        },
    )
    kpi = nodes(emulator, "devices", "currentAssetId", '{tags: ["kpi"]}')
    assert [d["currentAssetId"] for d in kpi] == [asset, asset]


def test_push_schedule_starts_at_its_time_and_reverts_at_expiry(emulator: Emulator) -> None:
    device = _screen(emulator, "Office Kitchen")["_id"]
    before = emulator.control.screen(device)["currentAssetId"]
    website = _asset_id(emulator, "Company Website")
    now = emulator.control.now()
    from datetime import datetime, timedelta

    start = datetime.fromisoformat(now) + timedelta(hours=1)
    payload = {
        "deviceIds": [device],
        "currentType": "ASSET",
        "currentAssetId": website,
        "type": "SCHEDULE",
        "scheduleData": {
            "scheduleTime": start.isoformat(),
            "expireScheduleTime": (start + timedelta(hours=2)).isoformat(),
            "isCheckExpireTime": True,
            "localTimezone": "America/Chicago",
        },
    }
    data(emulator, PUSH, {"payload": payload, "teamId": "1"})
    screen = emulator.control.screen(device)
    assert screen["currentAssetId"] == before and screen["scheduleGoLive"]
    emulator.control.advance_clock(minutes=61)
    assert emulator.control.screen(device)["currentAssetId"] == website
    emulator.control.advance_clock(hours=2)
    assert emulator.control.screen(device)["currentAssetId"] == before


def test_push_temporarily_reverts_after_its_minutes(emulator: Emulator) -> None:
    device = _screen(emulator, "Lobby Entrance")["_id"]
    original = emulator.control.screen(device)
    menu = _asset_id(emulator, "Lunch Menu.png")
    payload = {
        "deviceIds": [device],
        "currentType": "ASSET",
        "currentAssetId": menu,
        "type": "TEMPORARILY",
        "temporarilyFlashData": {"scheduleTimeMinutes": 15},
    }
    data(emulator, PUSH, {"force": True, "payload": payload, "teamId": "1"})
    during = emulator.control.screen(device)
    assert during["currentAssetId"] == menu and during["temporarily"]["until"]
    assert during["showing"]["asset"]["kind"] == "image"
    emulator.control.advance_clock(minutes=14)
    assert emulator.control.screen(device)["currentType"] == "ASSET"
    emulator.control.advance_clock(minutes=2)
    after = emulator.control.screen(device)
    assert (after["currentType"], after["currentPlaylistId"]) == (
        original["currentType"],
        original["currentPlaylistId"],
    )
    assert after["temporarily"] is None


def test_push_errors_name_the_missing_field(emulator: Emulator) -> None:
    device = _screen(emulator, "Lobby Entrance")["_id"]
    err = error(
        emulator,
        PUSH,
        {"payload": {"deviceIds": [device], "currentAssetId": "x", "type": "TEMPORARILY"}, "teamId": "1"},
    )
    assert err["extensions"]["code"] == "404"  # the asset does not exist
    menu = _asset_id(emulator, "Lunch Menu.png")
    err = error(
        emulator,
        PUSH,
        {"payload": {"deviceIds": [device], "currentAssetId": menu, "type": "SCHEDULE"}, "teamId": "1"},
    )
    assert "scheduleData" in err["message"]


# -- schedules ----------------------------------------------------------------------------------------------------
ADD_ITEM = (
    "mutation addScheduleItem($force:Boolean,$payload: AddScheduleItemInput!, $teamId: String!){"
    " addScheduleItem(force:$force,payload:$payload,teamId:$teamId){ _id, name, assetId, teamId, playlistId,"
    " repeatObject{ id, repeat, text, type, rrule }, range{startDate,endDate}, documentDuration } }"
)


def test_schedules_and_overlapping_items(emulator: Emulator) -> None:
    schedule = data(
        emulator,
        "mutation CreateSchedule($payload: ScheduleInput!, $teamId: String) {saveSchedule (payload:$payload,"
        "teamId:$teamId){ _id, accountId, createdAt, createdBy, groupId, lastTeamId, lastUpdatedBy, lastUpdatedDate,"
        " name, path, tags, teamId }}",
        {"payload": {"name": "Store hours", "path": "/Lobby", "tags": ["store"]}, "teamId": "1"},
    )["saveSchedule"]
    playlist = _playlist(emulator, "Lobby Loop")["_id"]
    september = {
        "scheduleId": schedule["_id"],
        "type": "PLAYLIST",
        "playlistId": playlist,
        "range": {"startDate": "2026-09-01T00:00:00.000Z", "endDate": "2026-09-01T23:59:00.000Z"},
        "repeatObject": {
            "rrule": "DTSTART:20260901T000000Z\nRRULE:FREQ=DAILY;INTERVAL=1;UNTIL=20260930T235900Z",
            "repeat": "daily",
        },
    }
    item = data(emulator, ADD_ITEM, {"force": False, "payload": september, "teamId": "1"})["addScheduleItem"]
    assert item["repeatObject"]["repeat"] == "daily" and item["playlistId"] == playlist
    clash = {
        **september,
        "range": {"startDate": "2026-09-15T10:00:00.000Z", "endDate": "2026-09-15T11:00:00.000Z"},
    }
    clash.pop("repeatObject")
    err = error(emulator, ADD_ITEM, {"force": False, "payload": clash, "teamId": "1"})
    assert "overlap" in err["message"].lower()
    october = {
        **clash,
        "range": {"startDate": "2026-10-01T10:00:00.000Z", "endDate": "2026-10-01T11:00:00.000Z"},
    }
    later = data(emulator, ADD_ITEM, {"force": False, "payload": october, "teamId": "1"})["addScheduleItem"]
    forced = data(emulator, ADD_ITEM, {"force": True, "payload": clash, "teamId": "1"})["addScheduleItem"]
    listed = data(
        emulator,
        "query($q:QueryScheduleItemsInput!){ scheduleItems(query:$q){ page { edges { node { _id name type playlistId"
        " range { startDate endDate } repeatObject { rrule } } } } } }",
        {"q": {"scheduleId": schedule["_id"]}},
    )
    assert len(listed["scheduleItems"]["page"]["edges"]) == 3
    update = (
        "mutation($p: UpdateScheduleItemInput!, $force: Boolean) { updateScheduleItem(force: $force, payload: $p, scope: ALL)"
        " { _id range { startDate } } }"
    )
    moved = {
        "_id": later["_id"],
        "range": {"startDate": "2026-09-20T10:00:00.000Z", "endDate": "2026-09-20T11:00:00.000Z"},
    }
    assert "overlap" in error(emulator, update, {"p": moved})["message"].lower()
    removed = data(
        emulator,
        "mutation($p:RemoveScheduleItemInput!){ removeScheduleItem(payload:$p, scope:ALL) }",
        {"p": {"_id": forced["_id"]}},
    )
    assert removed == {"removeScheduleItem": True}
    names = [
        e["node"]["name"]
        for e in data(emulator, "query { schedules(query:{}) { page { edges { node { _id name } } } } }")[
            "schedules"
        ]["page"]["edges"]
    ]
    assert "Store hours" in names


def test_a_screen_on_a_schedule_plays_the_active_item(emulator: Emulator) -> None:
    device = _screen(emulator, "Office Meeting Room")["_id"]
    showing = emulator.control.screen(device)["showing"]
    assert showing["type"] == "SCHEDULE" and showing["schedule"]["name"] == "Weekday Opening Hours"
    # Weekdays 08:00-18:00 (floating time): step to the next Wednesday noon, then to 20:00.
    from datetime import datetime, timedelta

    now = datetime.fromisoformat(emulator.control.now())
    days = (2 - now.weekday()) % 7 or 7
    target = (now + timedelta(days=days)).replace(hour=12, minute=0, second=0, microsecond=0)
    emulator.control.advance_clock((target - now).total_seconds())
    assert emulator.control.screen(device)["showing"]["playing"]["playlist"]["name"] == "Lobby Loop"
    emulator.control.advance_clock(hours=8)
    assert emulator.control.screen(device)["showing"]["playing"] is None


# -- upload -------------------------------------------------------------------------------------------------------
def _upload(emu: Emulator, name: str, content: bytes, *, pretty: bool = False) -> requests.Response:
    options = data(emu, "query { getFileUploadOptions }")["getFileUploadOptions"]
    params = (
        json.dumps(options["params"], indent=2)
        if pretty
        else json.dumps(options["params"], separators=(",", ":"))
    )
    return requests.post(
        emu.upload_url,
        data={"params": params, "signature": options["signature"]},
        files={"file": (name, content, "application/octet-stream")},
        timeout=30,
    )


SAVE_FILE = (
    "mutation($payload: AssetInput!, $teamId: String) { saveAsset(payload: $payload, teamId: $teamId)"
    " { _id status fileType originalFileName fileSize thumbnail } }"
)


def test_three_step_file_upload(emulator: Emulator) -> None:
    from signs_emulator.optisigns.state import png_bytes

    picture = png_bytes(64, 36, (200, 10, 10), (0, 0, 0))
    assembly = _upload(emulator, "promo.png", picture)
    assert assembly.status_code == 200, assembly.text
    status = assembly.json()
    assert status["ok"] == "ASSEMBLY_COMPLETED" and len(status["assembly_id"]) == 32
    assert status["uploads"][0]["name"] == "promo.png" and status["uploads"][0]["size"] == len(picture)
    asset = data(
        emulator,
        SAVE_FILE,
        {
            "payload": {
                "type": "file",
                "originalFileName": status["uploads"][0]["name"],
                "processId": status["assembly_id"],
                "status": "converting",
                "path": None,
            },
            "teamId": "1",
        },
    )["saveAsset"]
    assert (
        asset["status"] == "converting" and asset["fileType"] == "image" and asset["fileSize"] == len(picture)
    )
    emulator.control.advance_clock(seconds=3)
    ready = nodes(emulator, "assets", "status thumbnail", f'{{_id: "{asset["_id"]}"}}')[0]
    assert ready["status"] == "done"
    assert requests.get(ready["thumbnail"], timeout=10).content == picture


def test_upload_signature_covers_the_exact_params_string(emulator: Emulator) -> None:
    response = _upload(emulator, "a.png", b"x", pretty=True)
    assert response.status_code == 401 and response.json()["error"] == "INVALID_SIGNATURE"
    assert emulator.runtime.optisigns.state.uploads == {}


def test_upload_params_expire(emulator: Emulator) -> None:
    options = data(emulator, "query { getFileUploadOptions }")["getFileUploadOptions"]
    emulator.control.advance_clock(hours=2)
    response = requests.post(
        emulator.upload_url,
        data={
            "params": json.dumps(options["params"], separators=(",", ":")),
            "signature": options["signature"],
        },
        files={"file": ("a.png", b"x")},
        timeout=10,
    )
    assert response.status_code == 401 and response.json()["error"] == "AUTH_EXPIRED"


def test_save_asset_with_an_unknown_process_id(emulator: Emulator) -> None:
    err = error(
        emulator, SAVE_FILE, {"payload": {"type": "file", "originalFileName": "a.png", "processId": "0" * 32}}
    )
    assert err["extensions"]["code"] == "404"


def test_large_upload_is_streamed_to_disk_in_chunks(emulator: Emulator) -> None:
    """A 24 MiB body sent in 64 KiB chunks: the server never holds more than a chunk of it."""
    import tracemalloc

    options = data(emulator, "query { getFileUploadOptions }")["getFileUploadOptions"]
    boundary = "----emulatortestboundary"
    size, chunk = 24 * 1024 * 1024, b"\xab" * 65536

    def body():
        for name, value in (
            ("params", json.dumps(options["params"], separators=(",", ":"))),
            ("signature", options["signature"]),
        ):
            yield f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        for _ in range(size // len(chunk)):
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    tracemalloc.start()
    try:
        response = requests.post(
            emulator.upload_url,
            data=body(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            timeout=60,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["uploads"][0]["size"] == size
    assert status["emulator"]["largest_write_bytes"] <= 1024 * 1024
    assert peak < size / 4, f"peak traced memory {peak} bytes for a {size}-byte upload"
    stored = emulator.runtime.optisigns.state.uploads[status["assembly_id"]].path
    assert stored.stat().st_size == size


def test_asset_ready_delay_zero_and_configurable(tmp_path) -> None:
    with Emulator(asset_ready_seconds=0, data_dir=tmp_path) as emu:
        assembly = _upload(emu, "doc.pdf", b"%PDF-1.4 tiny").json()
        asset = data(emu, SAVE_FILE, {"payload": {"type": "file", "processId": assembly["assembly_id"]}})[
            "saveAsset"
        ]
        assert asset["status"] == "done" and asset["fileType"] == "document"
        assert asset["originalFileName"] == "doc.pdf"


# -- control helpers ------------------------------------------------------------------------------------------------
def test_control_adds_bench_screens_and_toggles_online(emulator: Emulator) -> None:
    ids = emulator.control.add_screens(500, tags=["bench"])
    assert len(ids) == 500 and len(set(ids)) == 500
    bench = data(emulator, '{ devices(query: {tags: ["bench"]}) { page { edges { node { _id status } } } } }')
    assert len(bench["devices"]["page"]["edges"]) == 500
    emulator.control.set_screen_online(ids[0], False)
    assert nodes(emulator, "devices", "status", f'{{_id: "{ids[0]}"}}')[0]["status"] == "OFFLINE"
    emulator.control.set_screen_online(ids[0], True)
    assert nodes(emulator, "devices", "status", f'{{_id: "{ids[0]}"}}')[0]["status"] == "ONLINE"


def test_introspection_lists_every_operation(emulator: Emulator) -> None:
    schema = data(
        emulator, "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }"
    )["__schema"]
    queries = {f["name"] for f in schema["queryType"]["fields"]}
    mutations = {f["name"] for f in schema["mutationType"]["fields"]}
    assert {
        "devices",
        "assets",
        "playlists",
        "schedules",
        "scheduleItems",
        "me",
        "teams",
        "getFileUploadOptions",
    } <= queries
    assert {
        "pairDevice", "updateDevice", "unPairDevices", "pushToScreens", "saveAsset", "deleteObjects", "updateObjectTags",
        "savePlaylist", "addPlaylistItems", "updatePlaylistItems", "removePlaylistItems", "movePlaylistItems",
        "saveSchedule", "addScheduleItem", "updateScheduleItem", "removeScheduleItem",
    } <= mutations  # fmt: skip
