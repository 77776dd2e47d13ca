"""Operators: thin, templated, JSON results, the OptiSigns link, checked input, cheap to import.

Each operator's ``execute`` runs against the emulator with a minimal task context (the part of
the Airflow runtime an operator touches: ``ti.xcom_push``). The whole chain also runs for real
under ``airflow dags test`` in tests/dags.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta

import pytest
from airflow.sdk import DAG

from signs_provider.common.errors import SignsConfigError
from signs_provider.optisigns import DEFAULT_CONN_ID
from signs_provider.optisigns.errors import UnknownScreensError
from signs_provider.optisigns.hooks import PROVIDER_TAG, OptiSignsHook, screen_content
from signs_provider.optisigns.links import LINK_XCOM_KEY
from signs_provider.optisigns.operators import (
    KEY_TAG_PREFIX,
    OptiSignsAssignContentOperator,
    OptiSignsCleanupAssetsOperator,
    OptiSignsGraphQLOperator,
    OptiSignsPushToScreensOperator,
    OptiSignsSyncPlaylistOperator,
    OptiSignsUploadAssetOperator,
    OptiSignsUpsertWebsiteAssetOperator,
    marker_tag,
    template_list,
)
from signs_provider.optisigns.outlets import screens_tag_asset
from tests.optisigns.conftest import mutations


class _TaskInstance:
    """The one part of the runtime context the operators use."""

    def __init__(self, run_id: str = "manual__1", map_index: int = -1) -> None:
        self.xcom: dict[str, object] = {}
        self.dag_id, self.task_id, self.run_id, self.map_index = "dag", "task", run_id, map_index

    def xcom_push(self, key: str, value: object) -> None:
        self.xcom[key] = value


@pytest.fixture
def context():
    return {"ti": _TaskInstance()}


def _run(op, context):
    result = op.execute(context)
    json.dumps(result)  # every result is a small JSON value
    return result


def test_default_conn_id_matches_the_hook() -> None:
    assert OptiSignsHook.default_conn_name == DEFAULT_CONN_ID


def test_importing_the_operators_does_not_import_the_hook_or_http_clients() -> None:
    code = (
        "import sys, signs_provider.optisigns.operators, signs_provider.optisigns.sensors,"
        " signs_provider.optisigns.triggers;"
        "print(sorted(m for m in ('signs_provider.optisigns.hooks', 'signs_provider.optisigns.client',"
        " 'signs_provider.common.hook', 'signs_provider.common.http', 'requests',"
        " 'requests_toolbelt', 'PIL') if m in sys.modules))"
    )
    # (httpx is not in the list: the Airflow SDK imports it itself.)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_template_fields_are_attributes() -> None:
    with DAG("t_fields"):
        ops = [
            OptiSignsGraphQLOperator(task_id="g", query="{ me { _id } }"),
            OptiSignsUploadAssetOperator(task_id="u", source="/x.png"),
            OptiSignsUpsertWebsiteAssetOperator(task_id="w", name="n", url="https://x.example.com"),
            OptiSignsSyncPlaylistOperator(task_id="s", name="n", items=[]),
            OptiSignsPushToScreensOperator(task_id="p", asset_id="a", tags=["t"]),
            OptiSignsAssignContentOperator(task_id="a", asset_id="a", tags=["t"]),
            OptiSignsCleanupAssetsOperator(task_id="c", older_than=7),
        ]
    for op in ops:
        assert "optisigns_conn_id" in op.template_fields
        for field in op.template_fields:
            assert hasattr(op, field), (op.task_id, field)


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="a user's document filtering playlists by name (QueryPlaylistInput.name: no evidence), sent as written",
)
def test_graphql_operator_renders_and_returns_data(optisigns_env, context) -> None:
    with DAG("t_graphql", params={"name": "Lobby Loop"}):
        op = OptiSignsGraphQLOperator(
            task_id="q",
            query="query P($q: QueryPlaylistInput!) { playlists(query: $q) { page { edges { node { name } } } } }",
            variables={"q": {"name": "{{ params.name }}"}},
        )
    op.render_template_fields({**context, "params": {"name": "Lobby Loop"}})
    data = _run(op, context)
    assert data["playlists"]["page"]["edges"] == [{"node": {"name": "Lobby Loop"}}]


def test_upload_operator_uploads_tags_and_links(optisigns_env, context, png) -> None:
    with DAG("t_upload"):
        op = OptiSignsUploadAssetOperator(task_id="up", source=str(png), name="Menu", tags=["cafe"])
    result = _run(op, context)
    assert result["name"] == "Menu.png" and result["status"] == "converting"
    asset = OptiSignsHook().get_asset(result["asset_id"])
    assert asset["tags"] == [
        PROVIDER_TAG,
        "cafe",
        "airflow-dag-t_upload",
        marker_tag(KEY_TAG_PREFIX, "dag/task/manual__1/-1"),
    ]
    assert context["ti"].xcom[LINK_XCOM_KEY] == f"https://app.optisigns.com/app/assets/{result['asset_id']}"


def test_upload_operator_can_wait_until_ready(optisigns_env, context, png) -> None:
    optisigns_env.control.add_fault("503", operation="assets", times=1)  # a read retried mid-wait
    op = OptiSignsUploadAssetOperator(task_id="up", source=str(png), wait_until_ready=True, poll_interval=0.2)
    result = _run(op, context)
    assert result["status"] == "done"


def test_upload_operator_refuses_a_big_file_before_sending(optisigns_env, context, png) -> None:
    op = OptiSignsUploadAssetOperator(task_id="up", source=str(png), max_upload_bytes=10)
    with pytest.raises(SignsConfigError, match="over the upload limit"):
        op.execute(context)
    assert optisigns_env.control.requests() == []


def test_website_operator_is_an_upsert(optisigns_env, context) -> None:
    op = OptiSignsUpsertWebsiteAssetOperator(task_id="w", name="Board", url="https://b.example.com/1")
    first = _run(op, context)
    op.url = "https://b.example.com/2"
    second = _run(op, context)
    assert first["asset_id"] == second["asset_id"] and second["url"] == "https://b.example.com/2"


def test_sync_playlist_operator_replaces_content_and_deletes_the_old_asset(
    optisigns_env, context, png
) -> None:
    hook = OptiSignsHook()
    old = hook.upload_file(png, name="Chart")
    new = hook.upload_file(png, name="Chart")
    with DAG("t_sync"):
        op = OptiSignsSyncPlaylistOperator(
            task_id="sync", name="Lobby KPIs", items=[{"asset_id": old["_id"], "duration": 15}]
        )
    first = _run(op, context)
    assert first["items"] == [{"asset_id": old["_id"], "duration": 15.0}] and first["deleted_asset_ids"] == []
    op.items = json.dumps([{"asset_id": new["_id"], "duration": 15}])  # as a rendered template gives it
    op.delete_replaced_assets = True
    second = _run(op, context)
    assert second["playlist_id"] == first["playlist_id"]
    assert second["items"] == [{"asset_id": new["_id"], "duration": 15.0}]
    assert second["deleted_asset_ids"] == [old["_id"]]
    assert [a["_id"] for a in hook.list_assets(name="Chart.png")] == [new["_id"]]
    assert context["ti"].xcom[LINK_XCOM_KEY].endswith(f"/playlists/{first['playlist_id']}")
    optisigns_env.control.reset_requests()
    _run(op, context)
    assert mutations(optisigns_env) == []  # a re-run with the same items changes nothing


def test_sync_playlist_operator_checks_items_first(optisigns_env, context) -> None:
    op = OptiSignsSyncPlaylistOperator(task_id="sync", name="X", items=[{"asset_id": "a", "duration": -1}])
    with pytest.raises(SignsConfigError, match="duration"):
        op.execute(context)
    assert optisigns_env.control.requests() == []


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_push_operator_by_tag_and_names(optisigns_env, context) -> None:
    hook = OptiSignsHook()
    playlist = hook.find_playlist("Office Rotation")["_id"]
    op = OptiSignsPushToScreensOperator(
        task_id="push", playlist_id=playlist, tags='["lobby"]', screen_names=["Office Kitchen"]
    )
    optisigns_env.control.reset_requests()
    result = _run(op, context)
    # One listing of the screens (names and tags resolved together), then one push.
    assert [r["fields"] for r in optisigns_env.control.requests(path="/optisigns/graphql")] == [
        ["devices"],
        ["pushToScreens"],
    ]
    expected = {s["_id"] for s in hook.find_screens(tags=["lobby"], names=["Office Kitchen"])}
    assert set(result["screen_ids"]) == expected and len(result["screen_ids"]) == 4
    assert result["content_type"] == "PLAYLIST" and result["mode"] == "NOW"
    assert all(screen_content(hook.get_screen(i)) == ("PLAYLIST", playlist) for i in expected)
    assert optisigns_env.control.count(operation="pushToScreens") == 1


def test_push_operator_unknown_name_fails_before_pushing(optisigns_env, context) -> None:
    op = OptiSignsPushToScreensOperator(task_id="push", asset_id="x", screen_names=["Nowhere"])
    with pytest.raises(UnknownScreensError, match="Nowhere.*Lobby Entrance"):
        op.execute(context)
    assert mutations(optisigns_env) == []


def test_assign_operator(optisigns_env, context) -> None:
    hook = OptiSignsHook()
    asset = hook.find_playlist("Lobby Loop")["assets"][0]["_id"]
    op = OptiSignsAssignContentOperator(task_id="assign", asset_id=asset, tags=["kpi"])
    result = _run(op, context)
    assert len(result["screen_ids"]) == 2
    assert all(screen_content(hook.get_screen(i)) == ("ASSET", asset) for i in result["screen_ids"])
    with pytest.raises(SignsConfigError, match="No screens"):
        OptiSignsAssignContentOperator(task_id="none", asset_id=asset).execute(context)


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="counts requests: pessimistic mode adds the first one, refused in validation for a weak name",
)
def test_assign_operator_resolves_the_screens_once(optisigns_env, context) -> None:
    hook = OptiSignsHook()
    asset = hook.find_playlist("Lobby Loop")["assets"][0]["_id"]
    op = OptiSignsAssignContentOperator(
        task_id="assign", asset_id=asset, screen_names=["Office Kitchen"], tags=["lobby"]
    )
    optisigns_env.control.reset_requests()
    result = _run(op, context)
    assert result["content_type"] == "ASSET" and len(result["screen_ids"]) == 4
    # One listing of the screens checks every name and tag; then one updateDevice per screen.
    assert optisigns_env.control.count(operation="devices") == 1
    assert mutations(optisigns_env) == ["updateDevice"] * 4


def test_push_and_assign_operators_take_the_hooks_arguments() -> None:
    """The push arguments are declared once: the operator's signature, template fields and call follow."""
    import inspect

    from signs_provider.optisigns._arguments import PUSH_TO_SCREENS_ARGUMENTS

    hook_params = inspect.signature(OptiSignsHook.push_to_screens).parameters
    op_params = inspect.signature(OptiSignsPushToScreensOperator.__init__).parameters
    for name, argument in PUSH_TO_SCREENS_ARGUMENTS.items():
        assert hook_params[name].default == argument.default, name
        assert op_params[name].default == argument.default, name
    assert set(hook_params) - set(PUSH_TO_SCREENS_ARGUMENTS) == {"self", "force"}
    assert "start_at" in OptiSignsPushToScreensOperator.template_fields
    assert "mode" not in OptiSignsPushToScreensOperator.template_fields
    assert "tag_rules" not in OptiSignsAssignContentOperator.template_fields
    # Airflow reads the signature: default_args and dynamic task mapping know the arguments.
    with DAG("t_push_args", default_args={"local_timezone": "Europe/Berlin"}):
        op = OptiSignsPushToScreensOperator(task_id="p", asset_id="a", tags=["t"])
        mapped = OptiSignsPushToScreensOperator.partial(task_id="m", asset_id="a").expand(
            screen_ids=[["s1"], ["s2"]]
        )
    assert op.local_timezone == "Europe/Berlin" and op.mode == "NOW" and op.tags == ["t"]
    assert mapped.expand_input.value == {"screen_ids": [["s1"], ["s2"]]}
    with pytest.raises(TypeError):
        OptiSignsPushToScreensOperator(task_id="bad", asset_id="a", modes="NOW")


def test_cleanup_operator_preview_and_delete(optisigns_env, context, png) -> None:
    hook = OptiSignsHook()
    asset = hook.upload_file(png, name="Stale")
    # Older than zero days: every asset the provider made before now (the seeded ones are not its own).
    op = OptiSignsCleanupAssetsOperator(task_id="c", older_than=0, preview=True)
    assert _run(op, context) == [asset["_id"]]
    assert hook.get_asset(asset["_id"])
    op.preview = False
    assert _run(op, context) == [asset["_id"]]
    assert hook.list_assets(name="Stale.png") == []
    assert OptiSignsCleanupAssetsOperator(task_id="d", older_than=2).older_than == timedelta(days=2)


def test_operators_accept_asset_outlets() -> None:
    with DAG("t_outlets"):
        op = OptiSignsPushToScreensOperator(
            task_id="push", asset_id="a", tags=["lobby"], outlets=[screens_tag_asset("lobby")]
        )
    assert [o.uri for o in op.outlets] == ["optisigns://screens/tag/lobby"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, []), ("", []), ("lobby", ["lobby"]), ('["a", "b"]', ["a", "b"]), (("a",), ["a"])],
)
def test_template_list(value, expected) -> None:
    assert template_list(value) == expected


# -- OpenLineage (issue 13 part 5) --------------------------------------------------------------------


def _namespace() -> str:
    from urllib.parse import urlsplit

    return f"optisigns://{urlsplit(OptiSignsHook().base_url).netloc}"


def test_upload_website_playlist_and_push_report_their_lineage(optisigns_env, context, png) -> None:
    """The OpenLineage provider's own extractor manager picks the facets up from the operators."""
    pytest.importorskip("airflow.providers.openlineage")
    from tests.common.test_lineage import extracted, named

    ns = _namespace()
    upload = OptiSignsUploadAssetOperator(task_id="upload", source=str(png))
    asset_id = _run(upload, context)["asset_id"]
    facets = extracted(upload)
    assert [named(d) for d in facets.inputs] == [("file", str(png))]
    assert [named(d) for d in facets.outputs] == [(ns, f"assets/{asset_id}")]

    site = OptiSignsUpsertWebsiteAssetOperator(
        task_id="site", name="Menu", url="https://example.com/menu?d=1"
    )
    site_id = _run(site, context)["asset_id"]
    facets = extracted(site)
    assert [named(d) for d in facets.inputs] == [("https://example.com", "/menu")]
    assert [named(d) for d in facets.outputs] == [(ns, f"assets/{site_id}")]

    sync = OptiSignsSyncPlaylistOperator(task_id="sync", name="Lineage", items=[asset_id, [site_id, 10]])
    playlist_id = _run(sync, context)["playlist_id"]
    facets = extracted(sync)
    assert [named(d) for d in facets.inputs] == [(ns, f"assets/{asset_id}"), (ns, f"assets/{site_id}")]
    assert [named(d) for d in facets.outputs] == [(ns, f"playlists/{playlist_id}")]

    screen = OptiSignsHook().list_screens()[0]["_id"]
    assign = OptiSignsAssignContentOperator(task_id="assign", playlist_id=playlist_id, screen_ids=[screen])
    _run(assign, context)
    facets = extracted(assign)
    assert [named(d) for d in facets.inputs] == [(ns, f"playlists/{playlist_id}")]
    assert [named(d) for d in facets.outputs] == [(ns, f"screens/{screen}")]


def test_without_openlineage_the_operators_report_nothing(optisigns_env, context, png, monkeypatch) -> None:
    from tests.common.test_lineage import OPENLINEAGE_MODULES

    upload = OptiSignsUploadAssetOperator(task_id="upload", source=str(png))
    _run(upload, context)
    for name in OPENLINEAGE_MODULES:
        monkeypatch.setitem(sys.modules, name, None)
    assert upload.get_openlineage_facets_on_complete(None) is None
    # An operator that did not run (or failed before its write) reports nothing either.
    assert (
        OptiSignsUploadAssetOperator(task_id="u", source=str(png)).get_openlineage_facets_on_complete(None)
        is None
    )
