"""Issue 10: the hook survives a wrong guess (tests over a pessimistic emulator: every weak name refused).

A request refused in validation (HTTP 400 GRAPHQL_VALIDATION_FAILED / BAD_USER_INPUT) was not executed: the hook
drops the refuted name if it was optional and sends the request again once, warning with the name, and
remembers it; an essential name raises OptiSignsGuessRefutedError naming the guess and what to do. The table of
these names is signs_provider.optisigns.client.evidence.WEAK_NAMES.

Each of these tests failed before the fallbacks (the pessimistic emulator's refusal surfaced as an error).
"""

from __future__ import annotations

import json
import logging

import pytest

from signs_provider.optisigns.client.graphql import GraphQLSession
from signs_provider.optisigns.errors import OptiSignsGraphQLError, OptiSignsGuessRefutedError
from signs_provider.optisigns.hooks import OptiSignsHook
from tests.optisigns.conftest import FAST

pessimistic = pytest.mark.signs_emulator_pessimistic


def _refused(emulator, **filters) -> int:
    """How many requests the emulator refused in validation."""
    return sum(1 for r in emulator.control.requests(**filters) if r.get("status") == 400)


@pessimistic
def test_refused_pagination_reads_the_list_in_one_call_and_is_remembered(hook, optisigns_env, caplog) -> None:
    made = {hook.upsert_website_asset(f"Page {n}", f"https://example.com/{n}")["_id"] for n in range(3)}
    caplog.set_level(logging.WARNING)
    assert made <= {asset["_id"] for asset in hook.list_assets()}
    assert "Query.assets(first)" in caplog.text
    refused = _refused(optisigns_env, operation="assets")
    assert refused >= 1
    # Remembered for the hook's life: the next lists are not refused again.
    hook.list_assets()
    hook.list_assets()
    assert _refused(optisigns_env, operation="assets") == refused


@pessimistic
def test_a_refused_filter_key_is_applied_on_the_client(hook, caplog) -> None:
    hook.upsert_playlist("Filtered A")
    hook.upsert_playlist("Filtered B")
    caplog.set_level(logging.WARNING)
    assert [p["name"] for p in hook.list_playlists(name="Filtered A")] == ["Filtered A"]
    assert "QueryPlaylistInput.name" in caplog.text


@pessimistic
def test_a_refused_optional_input_field_of_a_create_is_dropped_and_the_create_sent_once(
    hook, optisigns_env, caplog
) -> None:
    caplog.set_level(logging.WARNING)
    playlist = hook.upsert_playlist("Made once", tags=["lobby"])
    assert "PlaylistInput.tags" in caplog.text
    assert [p["_id"] for p in hook.list_playlists() if p["name"] == "Made once"] == [playlist["_id"]]
    applied = [r for r in optisigns_env.control.requests(operation="savePlaylist") if r.get("status") == 200]
    assert len(applied) == 1
    # Upserting again finds it and sends nothing: the tags the API does not take are not compared.
    before = optisigns_env.control.count(operation="savePlaylist")
    assert hook.upsert_playlist("Made once", tags=["lobby"])["_id"] == playlist["_id"]
    assert optisigns_env.control.count(operation="savePlaylist") == before


@pessimistic
def test_a_refused_push_names_the_guess_and_the_way_out(hook, optisigns_env) -> None:
    screen = hook.list_screens()[0]
    asset = hook.upsert_website_asset("Pushed", "https://example.com/pushed")
    with pytest.raises(OptiSignsGuessRefutedError, match="pushToScreens") as raised:
        hook.push_to_screens(asset_id=asset["_id"], screen_ids=[screen["_id"]])
    assert raised.value.refuted == "Mutation.pushToScreens"
    assert "assign_content" in str(raised.value)
    assert "Nothing was applied" in str(raised.value)
    # The documented way works.
    hook.assign_content([screen["_id"]], asset_id=asset["_id"])
    assert hook.get_screen(screen["_id"])["currentAssetId"] == asset["_id"]


@pessimistic
def test_a_users_own_document_is_sent_as_written_not_repaired(hook) -> None:
    with pytest.raises(OptiSignsGraphQLError, match='Unknown argument "first"') as raised:
        hook.execute(
            "query { assets(query: {}, first: 2) { page { edges { node { _id } } } } }",
        )
    assert not isinstance(raised.value, OptiSignsGuessRefutedError)


@pessimistic
def test_test_connection_without_me_reads_the_screens(hook) -> None:
    ok, message = hook.test_connection()
    assert ok, message
    assert "screen(s) visible" in message


def test_team_id_is_sent_only_when_the_connection_sets_a_team(optisigns_env, monkeypatch) -> None:
    conn = json.loads(optisigns_env.connections()["AIRFLOW_CONN_OPTISIGNS_DEFAULT"])
    extra = conn.get("extra") or {}
    extra = json.loads(extra) if isinstance(extra, str) else dict(extra)
    extra.pop("team_id", None)
    monkeypatch.setenv("AIRFLOW_CONN_OPTISIGNS_NOTEAM", json.dumps({**conn, "extra": extra}))
    sent: list[dict] = []
    original = GraphQLSession.body

    def body(self, document, variables, **kwargs):
        result = original(self, document, variables, **kwargs)
        sent.append(result)
        return result

    monkeypatch.setattr(GraphQLSession, "body", body)
    hook = OptiSignsHook(optisigns_conn_id="optisigns_noteam", retry_policy=FAST, landing_wait=1.0)
    playlist = hook.upsert_playlist("No team")
    hook.list_assets()
    hook.get_upload_options()
    hook.list_schedules()
    hook.get_playlist(playlist["_id"])
    assert sent
    assert not [b["query"] for b in sent if "teamId" in b["query"] or "teamId" in b["variables"]]
    # No variable is sent null just in case.
    assert not [b for b in sent if None in b["variables"].values()]
