"""Assets: reading, waiting for conversion, website assets, tags, deletion (client.assets).

Everything runs against the emulator over loopback.
"""

from __future__ import annotations

import pytest

from signs_provider.common.errors import SignsConfigError
from signs_provider.optisigns.errors import (
    OptiSignsNotFoundError,
    OptiSignsTimeoutError,
)
from signs_provider.optisigns.hooks import (
    PROVIDER_TAG,
    asset_state,
)


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
