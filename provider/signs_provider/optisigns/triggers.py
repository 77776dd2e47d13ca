"""Triggers that wait on OptiSigns in the triggerer, for deferrable sensors.

They only read (GraphQL queries through :meth:`OptiSignsHook.aexecute`): a trigger may run more
than once, so it must never change anything. Their arguments are JSON primitives.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from signs_provider.optisigns import DEFAULT_CONN_ID, DEFAULT_HEARTBEAT_MAX_AGE_SECONDS
from signs_provider.optisigns.errors import AssetProcessingError

if TYPE_CHECKING:
    from signs_provider.optisigns.hooks import OptiSignsHook


class _PollingTrigger(BaseTrigger):
    """Poll until :meth:`check` returns an event payload or ``end_time`` (epoch seconds) passes."""

    def __init__(self, *, optisigns_conn_id: str, poll_interval: float, end_time: float | None) -> None:
        super().__init__()
        self.optisigns_conn_id = optisigns_conn_id
        self.poll_interval = float(poll_interval)
        self.end_time = None if end_time is None else float(end_time)

    def _common_kwargs(self) -> dict[str, Any]:
        return {
            "optisigns_conn_id": self.optisigns_conn_id,
            "poll_interval": self.poll_interval,
            "end_time": self.end_time,
        }

    async def check(self, hook: OptiSignsHook) -> dict[str, Any] | None:
        raise NotImplementedError

    def timeout_payload(self) -> dict[str, Any]:
        raise NotImplementedError

    async def run(self) -> AsyncIterator[TriggerEvent]:
        # Imported here: the triggerer loads this module for every trigger it deserializes.
        from signs_provider.optisigns.hooks import OptiSignsHook

        hook = OptiSignsHook(optisigns_conn_id=self.optisigns_conn_id)
        try:
            while True:
                try:
                    payload = await self.check(hook)
                except AssetProcessingError as exc:
                    payload = {"status": "failed", "message": str(exc)}
                except Exception as exc:  # reported to the task, which raises it there
                    payload = {"status": "error", "message": f"{type(exc).__name__}: {exc}"}
                if payload is None and self.end_time is not None and time.time() >= self.end_time:
                    payload = self.timeout_payload()
                if payload is not None:
                    yield TriggerEvent(payload)
                    return
                await asyncio.sleep(self.poll_interval)
        finally:
            await hook.aclose()


class OptiSignsAssetReadyTrigger(_PollingTrigger):
    """Wait until OptiSigns has converted an uploaded asset.

    Yields one event: ``{"status": "ready", "asset_id", "asset": {...}}``, or ``status``
    ``failed`` / ``timeout`` / ``error`` with a ``message``.

    :param asset_id: the asset to watch.
    :param optisigns_conn_id: the Airflow connection id.
    :param poll_interval: seconds between two reads.
    :param end_time: give up at this time (seconds since the epoch); ``None`` waits for ever.
    """

    def __init__(
        self,
        *,
        asset_id: str,
        optisigns_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 10.0,
        end_time: float | None = None,
    ) -> None:
        super().__init__(optisigns_conn_id=optisigns_conn_id, poll_interval=poll_interval, end_time=end_time)
        self.asset_id = asset_id

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "signs_provider.optisigns.triggers.OptiSignsAssetReadyTrigger",
            {"asset_id": self.asset_id, **self._common_kwargs()},
        )

    async def check(self, hook: OptiSignsHook) -> dict[str, Any] | None:
        from signs_provider.optisigns.client.assets import asset_state, asset_summary

        asset = await hook.aget_asset(self.asset_id)
        state = asset_state(asset)
        if state == "ready":
            return {"status": "ready", "asset_id": self.asset_id, "asset": asset_summary(asset)}
        if state == "failed":
            return {
                "status": "failed",
                "asset_id": self.asset_id,
                "message": f"OptiSigns could not process asset {self.asset_id}: status {asset.get('status')!r}.",
            }
        return None

    def timeout_payload(self) -> dict[str, Any]:
        return {
            "status": "timeout",
            "asset_id": self.asset_id,
            "message": f"Asset {self.asset_id} was not ready by the sensor's timeout.",
        }


class OptiSignsScreensOnlineTrigger(_PollingTrigger):
    """Wait until at least ``min_online`` of the given screens are online.

    Yields one event: ``{"status": "online", "online": [ids], "offline": [ids]}``, or ``status``
    ``timeout`` / ``error`` with a ``message``.

    :param screen_ids: the screens to watch (resolve names and tags before deferring).
    :param min_online: how many must be online; ``None`` means all of them.
    :param max_heartbeat_age: seconds since the last heartbeat after which a screen is offline.
    """

    def __init__(
        self,
        *,
        screen_ids: list[str],
        min_online: int | None = None,
        max_heartbeat_age: float = DEFAULT_HEARTBEAT_MAX_AGE_SECONDS,
        optisigns_conn_id: str = DEFAULT_CONN_ID,
        poll_interval: float = 30.0,
        end_time: float | None = None,
    ) -> None:
        super().__init__(optisigns_conn_id=optisigns_conn_id, poll_interval=poll_interval, end_time=end_time)
        self.screen_ids = list(screen_ids)
        self.min_online = min_online
        self.max_heartbeat_age = float(max_heartbeat_age)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            "signs_provider.optisigns.triggers.OptiSignsScreensOnlineTrigger",
            {
                "screen_ids": self.screen_ids,
                "min_online": self.min_online,
                "max_heartbeat_age": self.max_heartbeat_age,
                **self._common_kwargs(),
            },
        )

    async def check(self, hook: OptiSignsHook) -> dict[str, Any] | None:
        from signs_provider.optisigns.client.screens import split_online

        result = split_online(
            await hook.alist_screens(), self.screen_ids, max_heartbeat_age=self.max_heartbeat_age
        )
        needed = len(self.screen_ids) if self.min_online is None else self.min_online
        if len(result["online"]) >= needed:
            return {"status": "online", **result}
        self.log.info(
            "%d of %d screen(s) online; waiting for %d.", len(result["online"]), len(self.screen_ids), needed
        )
        return None

    def timeout_payload(self) -> dict[str, Any]:
        return {"status": "timeout", "message": "The screens were not online by the sensor's timeout."}
