"""Triggers: exact serialisation, and real polling against the emulator (reads only)."""

from __future__ import annotations

import asyncio
import time

import pytest
from airflow.triggers.base import TriggerEvent

from signs_provider.optisigns.hooks import OptiSignsHook
from signs_provider.optisigns.triggers import OptiSignsAssetReadyTrigger, OptiSignsScreensOnlineTrigger
from tests.optisigns.conftest import mutations


def _first_event(trigger) -> TriggerEvent:
    async def first():
        return await trigger.run().__anext__()

    return asyncio.run(first())


def test_asset_trigger_serialize_is_exact_and_json() -> None:
    trigger = OptiSignsAssetReadyTrigger(
        asset_id="abc", optisigns_conn_id="c", poll_interval=3, end_time=1700000000
    )
    assert trigger.serialize() == (
        "signs_provider.optisigns.triggers.OptiSignsAssetReadyTrigger",
        {"asset_id": "abc", "optisigns_conn_id": "c", "poll_interval": 3.0, "end_time": 1700000000.0},
    )
    classpath, kwargs = trigger.serialize()
    assert OptiSignsAssetReadyTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_screens_trigger_serialize_is_exact() -> None:
    trigger = OptiSignsScreensOnlineTrigger(screen_ids=["a", "b"], min_online=1)
    assert trigger.serialize() == (
        "signs_provider.optisigns.triggers.OptiSignsScreensOnlineTrigger",
        {
            "screen_ids": ["a", "b"],
            "min_online": 1,
            "max_heartbeat_age": 300.0,
            "optisigns_conn_id": "optisigns_default",
            "poll_interval": 30.0,
            "end_time": None,
        },
    )


def test_asset_trigger_polls_until_ready(optisigns_env, png) -> None:
    asset = OptiSignsHook().upload_file(png)
    trigger = OptiSignsAssetReadyTrigger(asset_id=asset["_id"], poll_interval=0.05)
    optisigns_env.control.reset_requests()  # from here on, every request is the trigger's

    async def scenario():
        pending = asyncio.ensure_future(trigger.run().__anext__())
        await asyncio.sleep(0.3)
        assert not pending.done()  # still converting: no event yet
        await asyncio.to_thread(optisigns_env.control.mark_asset_ready, asset["_id"])
        return await pending

    event = asyncio.run(scenario())
    assert event == TriggerEvent(
        {
            "status": "ready",
            "asset_id": asset["_id"],
            "asset": {"asset_id": asset["_id"], "name": "slide.png", "status": "done", "file_type": "image"},
        }
    )
    # The trigger polled (more than once) and only read: no mutation came from it.
    polls = optisigns_env.control.requests(path="/optisigns/graphql")
    assert len(polls) >= 2 and {r["operation_type"] for r in polls} == {"query"}
    assert mutations(optisigns_env) == []


def test_asset_trigger_times_out(optisigns_env, png) -> None:
    asset = OptiSignsHook().upload_file(png)
    event = _first_event(OptiSignsAssetReadyTrigger(asset_id=asset["_id"], end_time=time.time() - 1))
    assert event.payload["status"] == "timeout" and asset["_id"] in event.payload["message"]


def test_asset_trigger_reports_an_unknown_asset_as_error(optisigns_env) -> None:
    event = _first_event(OptiSignsAssetReadyTrigger(asset_id="nope", poll_interval=0.01))
    assert event.payload["status"] == "error" and "no asset with id 'nope'" in event.payload["message"]


def test_asset_trigger_retries_reads(optisigns_env, png) -> None:
    asset = OptiSignsHook().upload_file(png)
    optisigns_env.control.mark_asset_ready(asset["_id"])
    optisigns_env.control.add_fault("503", operation="assets", times=1)
    trigger = OptiSignsAssetReadyTrigger(asset_id=asset["_id"])
    assert _first_event(trigger).payload["status"] == "ready"


@pytest.mark.parametrize(("min_online", "status"), [(None, "timeout"), (2, "online")])
def test_screens_trigger(optisigns_env, min_online, status) -> None:
    screens = {s["deviceName"]: s["_id"] for s in OptiSignsHook().list_screens(path="/Lobby")}
    ids = [screens["Lobby Entrance"], screens["Lobby Reception"], screens["Lobby Elevator"]]
    trigger = OptiSignsScreensOnlineTrigger(screen_ids=ids, min_online=min_online, end_time=time.time() - 1)
    event = _first_event(trigger)
    assert event.payload["status"] == status
    if status == "online":
        assert event.payload["online"] == ids[:2] and event.payload["offline"] == ids[2:]


def test_screens_trigger_waits_for_a_screen_to_come_online(optisigns_env) -> None:
    elevator = OptiSignsHook().list_screens(name="Lobby Elevator")[0]["_id"]
    trigger = OptiSignsScreensOnlineTrigger(screen_ids=[elevator], poll_interval=0.05)

    async def scenario():
        pending = asyncio.ensure_future(trigger.run().__anext__())
        await asyncio.sleep(0.3)
        assert not pending.done()
        await asyncio.to_thread(optisigns_env.control.set_screen_online, elevator, True)
        return await pending

    assert asyncio.run(scenario()).payload == {
        "status": "online",
        "online": [elevator],
        "offline": [],
        "missing": [],
    }
