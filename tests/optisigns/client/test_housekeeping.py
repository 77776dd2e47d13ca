"""Housekeeping: clean-up of the provider's assets, keeping what is in use (client.housekeeping).

Everything runs against the emulator over loopback.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.optisigns.conftest import (
    emulated_now,
    screens_by_name,
    showing,
)


def test_cleanup_deletes_only_old_provider_assets(hook, emulator, png) -> None:
    seeded = {a["_id"] for a in hook.list_assets()}
    old = hook.upload_file(png, name="Old", tags=["dag-a"])
    emulator.control.advance_clock(days=3)
    new = hook.upload_file(png, name="New", tags=["dag-a"])
    now = emulated_now(emulator)
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


@pytest.mark.signs_emulator_pessimistic(
    False, reason="puts an asset in a schedule item (AddScheduleItemInput.assetId: no evidence)"
)
def test_cleanup_keeps_old_assets_that_are_in_use(hook, emulator) -> None:
    def web(name: str) -> str:
        return hook.upsert_website_asset(name, f"https://{name.lower()}.example.com", tags=["dag-x"])["_id"]

    in_playlist, on_screen, scheduled, unused = (web(n) for n in ("Listed", "Shown", "Planned", "Unused"))
    hook.set_playlist_items(hook.upsert_playlist("Keeps")["_id"], [in_playlist])
    kitchen = screens_by_name(hook)["Office Kitchen"]["_id"]
    hook.assign_content([kitchen], asset_id=on_screen)
    schedule = hook.upsert_schedule("Keeps")["_id"]
    hook.add_schedule_item(
        schedule, asset_id=scheduled, start=datetime(2031, 1, 6, 8), end=datetime(2031, 1, 6, 9)
    )
    emulator.control.advance_clock(days=3)
    now = emulated_now(emulator)
    assert hook.cleanup_assets(older_than=timedelta(days=1), tags=["dag-x"], now=now, dry_run=True) == [
        unused
    ]
    assert hook.cleanup_assets(older_than=timedelta(days=1), tags=["dag-x"], now=now) == [unused]
    left = {a["_id"] for a in hook.list_assets(tags=["dag-x"])}
    assert left == {in_playlist, on_screen, scheduled}
    assert showing(emulator, kitchen) == ("ASSET", on_screen)
    wiped = hook.cleanup_assets(older_than=timedelta(days=1), tags=["dag-x"], now=now, keep_in_use=False)
    assert sorted(wiped) == sorted(left)
