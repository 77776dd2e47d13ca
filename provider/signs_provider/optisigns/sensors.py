"""Sensors that wait on OptiSigns: an uploaded asset being ready, screens being online.

Both work in ``poke`` and ``reschedule`` mode and, with ``deferrable=True`` (default from the
``[operators] default_deferrable`` setting), hand the waiting to the triggerer, which only reads.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import PokeReturnValue

from signs_provider.common.sensors import DeferrableSignsSensor
from signs_provider.optisigns import DEFAULT_CONN_ID, DEFAULT_HEARTBEAT_MAX_AGE_SECONDS
from signs_provider.optisigns._arguments import template_list
from signs_provider.optisigns.links import LINK_XCOM_KEY, OptiSignsLink, optisigns_app_url

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger

    from signs_provider.optisigns.client.types import Screen
    from signs_provider.optisigns.hooks import OptiSignsHook


class _OptiSignsSensor(DeferrableSignsSensor):
    """Pokes on the worker; with ``deferrable`` (see the base), checks once, then waits in a trigger."""

    operator_extra_links = (OptiSignsLink(),)

    def __init__(self, *, optisigns_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.optisigns_conn_id = optisigns_conn_id

    @cached_property
    def hook(self) -> OptiSignsHook:
        from signs_provider.optisigns.hooks import OptiSignsHook

        return OptiSignsHook(optisigns_conn_id=self.optisigns_conn_id)

    def _end_time(self) -> float:
        """When the trigger gives up: the sensor's timeout from the moment it defers."""
        return time.time() + self.timeout

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        from signs_provider.optisigns.errors import AssetProcessingError, OptiSignsTimeoutError

        status = (event or {}).get("status")
        if status in ("ready", "online"):
            return self._result(context, event or {})
        message = (event or {}).get("message") or f"unexpected trigger event {event!r}"
        if status == "failed":
            raise AssetProcessingError(message)
        if status == "timeout":
            raise OptiSignsTimeoutError(message)
        from signs_provider.common.errors import SignsError

        raise SignsError(f"{self.task_id}: {message}")

    def _result(self, context: Context, event: dict[str, Any]) -> Any:
        raise NotImplementedError


class OptiSignsAssetReadySensor(_OptiSignsSensor):
    """Wait until OptiSigns has converted an uploaded asset; fail at once if it cannot.

    Returns ``{"asset_id", "name", "status", "file_type"}``.

    :param asset_id: the asset (templated), e.g. ``"{{ ti.xcom_pull('upload')['asset_id'] }}"``.
    :param deferrable: wait in the triggerer instead of holding a worker slot.
    """

    template_fields: Sequence[str] = ("asset_id", "optisigns_conn_id")

    def __init__(self, *, asset_id: str, poke_interval: float = 10, **kwargs: Any) -> None:
        super().__init__(poke_interval=poke_interval, **kwargs)
        self.asset_id = asset_id

    def poke(self, context: Context) -> bool | PokeReturnValue:
        from signs_provider.optisigns.client.assets import asset_state, asset_summary
        from signs_provider.optisigns.errors import AssetProcessingError

        asset = self.hook.get_asset(self.asset_id)
        state = asset_state(asset)
        if state == "failed":
            raise AssetProcessingError(
                f"OptiSigns could not process asset {self.asset_id}: status {asset.get('status')!r}."
            )
        if state != "ready":
            self.log.info("Asset %s is %s.", self.asset_id, asset.get("status"))
            return False
        return PokeReturnValue(True, self._result(context, {"asset": asset_summary(asset)}))

    def trigger(self, context: Context) -> BaseTrigger:
        from signs_provider.optisigns.triggers import OptiSignsAssetReadyTrigger

        return OptiSignsAssetReadyTrigger(
            asset_id=self.asset_id,
            optisigns_conn_id=self.optisigns_conn_id,
            poll_interval=self.poke_interval,
            end_time=self._end_time(),
        )

    def _result(self, context: Context, event: dict[str, Any]) -> Any:
        context["ti"].xcom_push(key=LINK_XCOM_KEY, value=optisigns_app_url("asset", self.asset_id))
        return event["asset"]


class OptiSignsScreensOnlineSensor(_OptiSignsSensor):
    """Wait until screens are online (recent heartbeat, not reported offline).

    Screens are chosen by ids, names, tags or folder path, resolved once; unknown ones fail the
    task at once. Returns ``{"online": [ids], "offline": [ids], "missing": [ids]}``.

    :param min_online: how many must be online; default all of them.
    :param max_heartbeat_age: a screen not heard from for longer is offline.
    """

    template_fields: Sequence[str] = ("screen_ids", "screen_names", "tags", "path", "optisigns_conn_id")

    def __init__(
        self,
        *,
        screen_ids: Sequence[str] = (),
        screen_names: Sequence[str] = (),
        tags: Sequence[str] = (),
        path: str | None = None,
        min_online: int | None = None,
        max_heartbeat_age: timedelta = timedelta(seconds=DEFAULT_HEARTBEAT_MAX_AGE_SECONDS),
        poke_interval: float = 30,
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, **kwargs)
        self.screen_ids = screen_ids
        self.screen_names = screen_names
        self.tags = tags
        self.path = path
        self.min_online = min_online
        self.max_heartbeat_age = max_heartbeat_age
        self._screens: list[Screen] | None = None

    @property
    def resolved_ids(self) -> list[str]:
        """The chosen screens' ids (resolved once, on first use)."""
        return [s["_id"] for s in self._resolve()[0]]

    def _resolve(self) -> tuple[list[Screen], bool]:
        """The chosen screens, and whether they were just read (then fresh enough for a first poke)."""
        if self._screens is not None:
            return self._screens, False
        screens = self.hook.find_screens(
            ids=template_list(self.screen_ids),
            names=template_list(self.screen_names),
            tags=template_list(self.tags),
            path=self.path,
        )
        if self.min_online is not None and not 0 < self.min_online <= len(screens):
            from signs_provider.common.errors import SignsConfigError

            raise SignsConfigError(f"min_online: must be between 1 and {len(screens)} (the screens chosen).")
        self._screens = screens
        return screens, True

    def poke(self, context: Context) -> bool | PokeReturnValue:
        from signs_provider.optisigns.client.screens import split_online

        chosen, just_read = self._resolve()
        ids = [s["_id"] for s in chosen]
        # The first poke judges the screens just resolved: no second listing of every screen.
        screens = chosen if just_read else self.hook.list_screens()
        result = split_online(screens, ids, max_heartbeat_age=self.max_heartbeat_age.total_seconds())
        needed = len(ids) if self.min_online is None else self.min_online
        if len(result["online"]) < needed:
            self.log.info(
                "%d of %d screen(s) online; waiting for %d.", len(result["online"]), len(ids), needed
            )
            return False
        return PokeReturnValue(True, self._result(context, result))

    def trigger(self, context: Context) -> BaseTrigger:
        from signs_provider.optisigns.triggers import OptiSignsScreensOnlineTrigger

        return OptiSignsScreensOnlineTrigger(
            screen_ids=self.resolved_ids,
            min_online=self.min_online,
            max_heartbeat_age=self.max_heartbeat_age.total_seconds(),
            optisigns_conn_id=self.optisigns_conn_id,
            poll_interval=self.poke_interval,
            end_time=self._end_time(),
        )

    def _result(self, context: Context, event: dict[str, Any]) -> Any:
        return {key: list(event.get(key) or []) for key in ("online", "offline", "missing")}
