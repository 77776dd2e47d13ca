"""Composition of the emulator: one ASGI app serving both APIs, the feeds, the control API and the page.

URL layout::

    POST /optisigns/graphql                 OptiSigns GraphQL API
    POST /transloadit/assemblies            Transloadit-style upload (step 2 of the OptiSigns file upload)
    *    /opensign/{env}/api/{version}/...  OpenSign REST API (env: sandbox, live, eu)
    GET  /opensign/files/{token}            OpenSign signed-file downloads
    GET  /feeds/...                         sample data feeds
    *    /_emulator/...                     control and inspection API (see control.py)
    GET  /                                  read-only HTML page of the state
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from signs_emulator.clock import Clock
from signs_emulator.faults import FaultMiddleware, FaultRegistry, FaultRule
from signs_emulator.optisigns import OptiSignsEmulator
from signs_emulator.runtime import EmulatorRuntime, EmulatorSettings

log = logging.getLogger(__name__)


def parse_fault(spec: FaultRule | dict[str, Any] | str) -> FaultRule:
    """A fault rule from a rule, a JSON-like dict or a CLI spec such as ``kind=503,path=^/optisigns,times=2``."""
    if isinstance(spec, FaultRule):
        return spec
    if isinstance(spec, dict):
        return FaultRule.from_dict(spec)
    return FaultRule.parse(spec)


class EmulatorApp(FastAPI):
    """FastAPI app whose outermost layer is the fault middleware.

    Outermost matters: dropping a connection needs uvicorn's own ``send`` (which knows the transport), and
    Starlette's error middleware would otherwise wrap it.
    """

    fault_registry: FaultRegistry

    def build_middleware_stack(self) -> Any:
        return FaultMiddleware(super().build_middleware_stack(), self.fault_registry)


def _load_opensign(clock: Clock, webhook_timeout: float) -> Any | None:
    try:
        from signs_emulator.opensign import OpenSignEmulator
    except ModuleNotFoundError as exc:
        # Only a missing OpenSign package is tolerated; errors inside it must surface.
        if exc.name not in ("signs_emulator.opensign",):
            raise
        log.warning("OpenSign emulator not available; serving OptiSigns only")
        return None
    return OpenSignEmulator(clock=clock, webhook_timeout=webhook_timeout)


def build_app(settings: EmulatorSettings | None = None) -> FastAPI:
    """Build the emulator app (not started); its runtime is ``app.state.emulator``.

    The routers are module-level and shared by every app; each route finds its state through ``Depends``
    from ``request.app.state.emulator``, so several apps (emulators) can run in one process.
    """
    settings = settings or EmulatorSettings()
    runtime = _build_runtime(settings)
    app = EmulatorApp(
        title="signs emulator (OptiSigns + OpenSign)",
        docs_url="/_emulator/docs",
        redoc_url=None,
        openapi_url="/_emulator/openapi.json",
    )
    app.fault_registry = runtime.faults
    app.state.emulator = runtime
    _include_routers(app, opensign=runtime.opensign is not None)
    return app


def _build_runtime(settings: EmulatorSettings) -> EmulatorRuntime:
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if settings.data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="signs-emulator-")
        data_dir = Path(tmp.name)
    else:
        data_dir = Path(settings.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    return EmulatorRuntime(
        settings=settings,
        clock=clock,
        faults=FaultRegistry(parse_fault(f) for f in settings.faults),
        optisigns=OptiSignsEmulator(
            clock=clock,
            data_dir=data_dir / "optisigns",
            asset_ready_seconds=settings.asset_ready_seconds,
            seed=settings.seed,
            max_upload_bytes=settings.max_upload_bytes,
            pessimistic=settings.pessimistic,
        ),
        opensign=_load_opensign(clock, settings.webhook_timeout),
        data_dir=data_dir,
        _tmp=tmp,
    )


def _include_routers(app: FastAPI, *, opensign: bool) -> None:
    """Mount every service's routers (see the URL layout in the module docstring)."""
    from signs_emulator import control, feeds
    from signs_emulator.optisigns import control as optisigns_control
    from signs_emulator.optisigns import graphql_api, transloadit

    # Built now, so a schema without a resolver fails at start-up rather than on the first request.
    graphql_api.build_optisigns_schema()
    app.include_router(graphql_api.router, prefix="/optisigns", tags=["OptiSigns"])
    app.include_router(transloadit.router, prefix="/transloadit", tags=["OptiSigns upload"])
    app.include_router(optisigns_control.router, prefix="/_emulator/optisigns", tags=["control"])
    if opensign:
        from signs_emulator.opensign import routes as opensign_routes

        app.include_router(opensign_routes.api_router, prefix="/opensign", tags=["OpenSign"])
        app.include_router(opensign_routes.control_router, prefix="/_emulator/opensign", tags=["control"])
    app.include_router(feeds.router, prefix="/feeds", tags=["feeds"])
    app.include_router(control.router, prefix="/_emulator", tags=["control"])
    app.include_router(control.page_router, include_in_schema=False)
