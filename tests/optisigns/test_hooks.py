"""OptiSignsHook: connection parsing, the generic GraphQL calls, error decoding, pagination, async reads.

The API methods are tested by area in tests/optisigns/client/ (through the hook, as users call them).

Everything that talks HTTP runs against the emulator over loopback.
"""

from __future__ import annotations

import json

import pytest

from signs_emulator.credentials import OPTISIGNS_DEMO_KEY, OPTISIGNS_READONLY_KEY
from signs_provider.common.errors import SignsApiError, SignsConfigError
from signs_provider.common.transport import RetryPolicy
from signs_provider.optisigns.errors import (
    OptiSignsAuthError,
    OptiSignsGraphQLError,
    OptiSignsScopeError,
)
from signs_provider.optisigns.hooks import (
    DEFAULT_ENDPOINT,
    DEFAULT_UPLOAD_URL,
    OptiSignsHook,
    operation_type,
)
from tests.optisigns.conftest import FAST


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


@pytest.mark.signs_emulator_pessimistic(
    False, reason="sends query { me } (third-party evidence only) as a user's document"
)
def test_execute_returns_data_and_sends_the_bearer_key(core_hook, emulator) -> None:
    me = core_hook.execute("query { me { _id email } }")["me"]
    assert me["_id"] and "@" in me["email"]
    ok, message = core_hook.test_connection()
    assert ok and me["email"] in message


@pytest.mark.signs_emulator_pessimistic(
    False, reason="asserts teamId is sent where no trusted document sends it"
)
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


@pytest.mark.signs_emulator_pessimistic(
    False, reason="sends query { me } (third-party evidence only) as a user's document"
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
@pytest.mark.signs_emulator_pessimistic(
    False, reason="sends query { me } (third-party evidence only) as a user's document"
)
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


# Every public method of the hook before the client package, with its parameters, in order.
FACADE = {
    "execute": ["query", "variables", "idempotent"],
    "aexecute": ["query", "variables"],
    "apaginate": ["query", "variables", "connection_field", "page_size"],
    "aget_asset": ["asset_id"],
    "alist_screens": [],
    "paginate": ["query", "variables", "connection_field", "page_size"],
    "test_connection": [],
    "list_screens": ["tags", "path", "name"],
    "get_screen": ["screen_id"],
    "find_screens": ["ids", "names", "tags", "path"],
    "screens_status": ["screens", "now", "max_heartbeat_age"],
    "list_assets": ["name", "tags", "asset_type"],
    "get_asset": ["asset_id"],
    "get_upload_options": [],
    "upload_file": ["source", "name", "filename", "tags", "path"],
    "wait_for_asset_ready": ["asset_id", "timeout", "poll_interval"],
    "upsert_website_asset": ["name", "url", "tags", "path"],
    "tag_assets": ["asset_ids", "tags", "mode"],
    "delete_assets": ["asset_ids"],
    "delete_unused_provider_assets": ["asset_ids"],
    "cleanup_assets": ["older_than", "tags", "now", "dry_run", "keep_in_use"],
    "list_playlists": ["name", "tags"],
    "get_playlist": ["playlist_id"],
    "find_playlist": ["name"],
    "upsert_playlist": ["name", "tags", "path"],
    "set_playlist_items": ["playlist_id", "items"],
    "sync_playlist": ["name", "items", "tags", "path", "delete_replaced_assets"],
    "add_playlist_items": ["playlist_id", "asset_ids", "position", "duration"],
    "remove_playlist_items": ["playlist_id", "positions"],
    "move_playlist_items": ["playlist_id", "positions", "to"],
    "delete_playlists": ["playlist_ids"],
    "assign_content": ["screen_ids", "asset_id", "playlist_id", "schedule_id"],
    "push_to_screens": [
        "asset_id",
        "playlist_id",
        "schedule_id",
        "screen_ids",
        "screen_names",
        "tags",
        "tag_rules",
        "mode",
        "start_at",
        "expire_at",
        "local_timezone",
        "takeover_minutes",
        "force",
    ],  # fmt: skip
    "list_schedules": ["name"],
    "upsert_schedule": ["name", "tags", "path"],
    "list_schedule_items": ["schedule_id"],
    "add_schedule_item": [
        "schedule_id",
        "start",
        "end",
        "asset_id",
        "playlist_id",
        "rrule",
        "repeat",
        "name",
        "force",
        "local_timezone",
    ],  # fmt: skip
    "remove_schedule_item": ["item_id"],
}


@pytest.mark.parametrize("name", sorted(FACADE))
def test_the_hook_keeps_every_public_method_and_its_parameters(name) -> None:
    import inspect

    params = list(inspect.signature(getattr(OptiSignsHook, name)).parameters)
    assert params == ["self", *FACADE[name]]


def test_the_hook_keeps_its_connection_properties_and_reaches_the_client(monkeypatch) -> None:
    hook = _connect(monkeypatch, password="k-123456", extra={"max_upload_mb": 2})
    assert (hook.base_url, hook.upload_url, hook.team_id) == (DEFAULT_ENDPOINT, DEFAULT_UPLOAD_URL, None)
    assert hook.max_upload_bytes == 2 * 1024 * 1024
    client = hook.client
    assert client is hook.client  # built once per hook
    assert client.uploads.max_bytes == hook.max_upload_bytes and client.graphql.url == hook.base_url
    # The dependencies between areas are the objects each was given.
    assert client.delivery.screens is client.screens
    assert client.housekeeping.playlists is client.playlists and client.uploads.assets is client.assets
    assert client.graphql.landing_wait == hook.landing_wait == 60.0
