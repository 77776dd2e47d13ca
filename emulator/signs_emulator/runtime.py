"""The live parts of one emulator app and how its routes reach them (a FastAPI dependency).

Apart from ``app.py`` so that the route modules (control, feeds, ...) and the app that mounts them do
not import each other.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request

from signs_emulator.clock import Clock
from signs_emulator.faults import FaultRegistry, FaultRule
from signs_emulator.optisigns import OptiSignsEmulator
from signs_emulator.optisigns.state import MAX_UPLOAD_BYTES


@dataclass
class EmulatorSettings:
    """How to run the emulator. Everything has a default suitable for tests."""

    host: str = "127.0.0.1"
    port: int = 8099
    #: Seconds an uploaded OptiSigns asset stays ``converting`` (emulated time; 0 = ready at once).
    asset_ready_seconds: float = 2.0
    #: Fault rules armed from the start (and re-armed by a reset): FaultRule objects, dicts or CLI specs.
    faults: list[FaultRule | dict[str, Any] | str] = field(default_factory=list)
    #: Where uploads and seeded files go; a temporary directory when None.
    data_dir: Path | None = None
    #: Seed of ids and sample data: the same seed gives the same account and feeds.
    seed: int = 0
    #: Timeout of OpenSign webhook deliveries to your receiver.
    webhook_timeout: float = 5.0
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    #: Serve the OptiSigns schema without every name that no trusted public document uses
    #: (``signs_emulator.optisigns.evidence``).
    pessimistic: bool = False


@dataclass
class EmulatorRuntime:
    """The live parts of one emulator app, reachable as ``app.state.emulator``."""

    settings: EmulatorSettings
    clock: Clock
    faults: FaultRegistry
    optisigns: OptiSignsEmulator
    opensign: Any | None
    data_dir: Path
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    def reset(self) -> None:
        """Seeded state, start-up fault rules, zero counters, real time."""
        self.clock.reset()
        self.faults.reset()
        self.optisigns.reset()
        if self.opensign is not None:
            self.opensign.reset()

    def snapshot(self, base_url: str = "") -> dict[str, Any]:
        return {
            "now": self.clock.now().isoformat(),
            "optisigns": self.optisigns.snapshot(base_url),
            "opensign": self.opensign.snapshot() if self.opensign is not None else None,
        }

    def close(self) -> None:
        if self.opensign is not None and hasattr(self.opensign, "close"):
            self.opensign.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


async def emulator_runtime(request: Request) -> EmulatorRuntime:
    """The runtime of the app serving ``request``: how every route finds its state (``Depends``)."""
    runtime: EmulatorRuntime = request.app.state.emulator
    return runtime


#: A route parameter of this type receives the emulator's runtime.
Runtime = Annotated[EmulatorRuntime, Depends(emulator_runtime)]
