"""Sensors: poke, reschedule and deferrable modes against the emulator."""

from __future__ import annotations

import pytest
from airflow.sdk import PokeReturnValue
from airflow.sdk.exceptions import AirflowRescheduleException, TaskDeferred

from signs_provider.common.errors import SignsConfigError, SignsError
from signs_provider.optisigns.errors import AssetProcessingError, OptiSignsTimeoutError, UnknownScreensError
from signs_provider.optisigns.hooks import OptiSignsHook
from signs_provider.optisigns.links import LINK_XCOM_KEY
from signs_provider.optisigns.sensors import OptiSignsAssetReadySensor, OptiSignsScreensOnlineSensor
from signs_provider.optisigns.triggers import OptiSignsAssetReadyTrigger, OptiSignsScreensOnlineTrigger


class _TaskInstance:
    def __init__(self) -> None:
        self.xcom: dict[str, object] = {}

    def xcom_push(self, key: str, value: object) -> None:
        self.xcom[key] = value

    def get_first_reschedule_date(self, context):
        return None


@pytest.fixture
def context():
    return {"ti": _TaskInstance()}


@pytest.fixture
def converting(optisigns_env, png) -> str:
    return OptiSignsHook().upload_file(png)["_id"]


def test_asset_sensor_pokes_until_ready(optisigns_env, converting, context) -> None:
    sensor = OptiSignsAssetReadySensor(task_id="ready", asset_id=converting, deferrable=False)
    assert sensor.poke(context) is False
    optisigns_env.control.mark_asset_ready(converting)
    result = sensor.poke(context)
    assert isinstance(result, PokeReturnValue) and result.is_done
    assert result.xcom_value == {
        "asset_id": converting,
        "name": "slide.png",
        "status": "done",
        "file_type": "image",
    }
    assert context["ti"].xcom[LINK_XCOM_KEY].endswith(f"/assets/{converting}")


def test_asset_sensor_poke_mode_returns_the_asset(optisigns_env, converting, context) -> None:
    optisigns_env.control.mark_asset_ready(converting)
    sensor = OptiSignsAssetReadySensor(
        task_id="ready", asset_id=converting, deferrable=False, poke_interval=0.01
    )
    assert sensor.execute(context)["status"] == "done"


def test_asset_sensor_reschedule_mode_frees_the_slot(optisigns_env, converting, context) -> None:
    sensor = OptiSignsAssetReadySensor(
        task_id="ready", asset_id=converting, mode="reschedule", deferrable=False
    )
    with pytest.raises(AirflowRescheduleException):
        sensor.execute(context)


def test_asset_sensor_defers_to_a_polling_trigger(optisigns_env, converting, context) -> None:
    sensor = OptiSignsAssetReadySensor(task_id="ready", asset_id=converting, deferrable=True, timeout=600)
    with pytest.raises(TaskDeferred) as info:
        sensor.execute(context)
    trigger = info.value.trigger
    assert isinstance(trigger, OptiSignsAssetReadyTrigger)
    assert trigger.asset_id == converting and trigger.end_time is not None
    assert info.value.method_name == "execute_complete"


def test_asset_sensor_does_not_defer_when_already_ready(optisigns_env, converting, context) -> None:
    optisigns_env.control.mark_asset_ready(converting)
    sensor = OptiSignsAssetReadySensor(task_id="ready", asset_id=converting, deferrable=True)
    assert sensor.execute(context)["asset_id"] == converting


def test_asset_sensor_execute_complete(context) -> None:
    sensor = OptiSignsAssetReadySensor(task_id="ready", asset_id="a1")
    asset = {"asset_id": "a1", "name": "x.png", "status": "done", "file_type": "image"}
    assert sensor.execute_complete(context, {"status": "ready", "asset": asset}) == asset
    assert context["ti"].xcom[LINK_XCOM_KEY].endswith("/assets/a1")
    with pytest.raises(AssetProcessingError, match="bad file"):
        sensor.execute_complete(context, {"status": "failed", "message": "bad file"})
    with pytest.raises(OptiSignsTimeoutError, match="late"):
        sensor.execute_complete(context, {"status": "timeout", "message": "late"})
    with pytest.raises(SignsError, match="boom"):
        sensor.execute_complete(context, {"status": "error", "message": "boom"})
    with pytest.raises(SignsError, match="unexpected trigger event"):
        sensor.execute_complete(context, None)


def test_asset_sensor_fails_at_once_on_a_failed_conversion(optisigns_env, converting, context) -> None:
    # The emulator never fails a conversion itself; once its conversion is over, a client may set the
    # status, so the asset reads "failed" as a failed conversion would.
    optisigns_env.control.mark_asset_ready(converting)
    OptiSignsHook().execute(
        "mutation($p: AssetInput!) { saveAsset(payload: $p) { _id } }",
        {"p": {"_id": converting, "status": "failed"}},
        idempotent=True,
    )
    sensor = OptiSignsAssetReadySensor(task_id="ready", asset_id=converting, deferrable=False)
    with pytest.raises(AssetProcessingError, match="could not process"):
        sensor.poke(context)


def test_screens_sensor_by_tag(optisigns_env, context) -> None:
    sensor = OptiSignsScreensOnlineSensor(task_id="online", tags=["lobby"], deferrable=False)
    assert sensor.poke(context) is False  # the lobby elevator is offline
    elevator = OptiSignsHook().list_screens(name="Lobby Elevator")[0]["_id"]
    optisigns_env.control.set_screen_online(elevator, True)
    result = sensor.poke(context)
    assert isinstance(result, PokeReturnValue)
    assert len(result.xcom_value["online"]) == 3 and result.xcom_value["offline"] == []


def test_screens_sensor_min_online(optisigns_env, context) -> None:
    sensor = OptiSignsScreensOnlineSensor(task_id="online", path="/Lobby", min_online=2, deferrable=False)
    assert sensor.execute(context)["offline"] == [
        OptiSignsHook().list_screens(name="Lobby Elevator")[0]["_id"]
    ]
    too_many = OptiSignsScreensOnlineSensor(task_id="x", tags=["lobby"], min_online=4, deferrable=False)
    with pytest.raises(SignsConfigError, match="min_online"):
        too_many.poke(context)


def test_screens_sensor_unknown_name_fails_at_once(optisigns_env, context) -> None:
    sensor = OptiSignsScreensOnlineSensor(task_id="online", screen_names=["Rooftop"], deferrable=False)
    with pytest.raises(UnknownScreensError, match="Rooftop"):
        sensor.poke(context)


def test_screens_sensor_defers_with_resolved_ids(optisigns_env, context) -> None:
    sensor = OptiSignsScreensOnlineSensor(task_id="online", tags=["lobby"], deferrable=True)
    with pytest.raises(TaskDeferred) as info:
        sensor.execute(context)
    trigger = info.value.trigger
    assert isinstance(trigger, OptiSignsScreensOnlineTrigger)
    assert sorted(trigger.screen_ids) == sorted(
        s["_id"] for s in OptiSignsHook().list_screens(tags=["lobby"])
    )
    done = sensor.execute_complete(
        context, {"status": "online", "online": ["a"], "offline": [], "missing": []}
    )
    assert done == {"online": ["a"], "offline": [], "missing": []}


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="counts requests: pessimistic mode adds the first one, refused in validation for a weak name",
)
def test_screens_sensor_first_poke_lists_the_screens_once(optisigns_env, context) -> None:
    """The screens resolved on the first poke are judged as read: no second listing of every screen."""
    sensor = OptiSignsScreensOnlineSensor(
        task_id="online", screen_names=["Lobby Elevator", "Office Kitchen"], deferrable=True
    )
    optisigns_env.control.reset_requests()
    with pytest.raises(TaskDeferred):
        sensor.execute(context)  # the elevator is offline: one poke, then the trigger
    assert optisigns_env.control.count(operation="devices") == 1
    # Later pokes read the screens' state again (once each).
    assert sensor.poke(context) is False
    assert optisigns_env.control.count(operation="devices") == 2
