"""``OptiSignsEmulator``: the emulated OptiSigns service the emulator core mounts, and the dependency that
hands it to the routes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request

from signs_emulator.clock import Clock
from signs_emulator.optisigns.state import MAX_UPLOAD_BYTES, OptiSignsState


class OptiSignsEmulator:
    """One emulated OptiSigns account (``state``) and the settings its routes read.

    ``pessimistic`` serves the schema without the names that no trusted public document uses (see
    :mod:`signs_emulator.optisigns.evidence`); it may be switched while the emulator runs.

    The routes are module-level and find this object as ``request.app.state.emulator.optisigns``: the core
    mounts :data:`.graphql_api.router` at ``/optisigns`` (``POST /optisigns/graphql``),
    :data:`.transloadit.router` at ``/transloadit`` and :data:`.control.router` at ``/_emulator/optisigns``.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        data_dir: Path,
        asset_ready_seconds: float = 2.0,
        seed: int = 0,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
        pessimistic: bool = False,
    ) -> None:
        self.state = OptiSignsState(
            clock, data_dir=data_dir, asset_ready_seconds=asset_ready_seconds, seed=seed
        )
        self.max_upload_bytes = max_upload_bytes
        self.pessimistic = pessimistic

    def snapshot(self, base_url: str = "") -> dict[str, Any]:
        """JSON-serialisable state (screens with what they show now, assets, playlists, schedules)."""
        return self.state.snapshot(base_url)

    def reset(self) -> None:
        """Back to the seeded account."""
        self.state.reset()


async def optisigns_service(request: Request) -> OptiSignsEmulator:
    """The OptiSigns service of the app serving ``request`` (``build_app`` sets ``app.state.emulator``)."""
    service: OptiSignsEmulator = request.app.state.emulator.optisigns
    return service


async def optisigns_state(request: Request) -> OptiSignsState:
    """The emulated account of the app serving ``request``."""
    return (await optisigns_service(request)).state


#: A route parameter of this type receives the OptiSigns service.
OptiSigns = Annotated[OptiSignsEmulator, Depends(optisigns_service)]
#: A route parameter of this type receives the emulated account.
State = Annotated[OptiSignsState, Depends(optisigns_state)]
