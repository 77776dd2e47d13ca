"""Control and inspection API (mounted at ``/_emulator``). JSON in and out; never faulted nor counted.

``GET    /_emulator/health``                 ``{"status": "ok", "opensign": true}``
``GET    /_emulator/state``                  clock, OptiSigns and OpenSign state
``POST   /_emulator/reset``                  seeded state, start-up faults, zero counters, real time
``GET    /_emulator/clock``                  ``{"now": "..."}``
``POST   /_emulator/clock/advance``          ``{"seconds": 3600}`` -> ``{"now": "..."}``
``GET    /_emulator/faults``                 armed rules with ``matched``/``injected``/``remaining``
``POST   /_emulator/faults``                 ``{"kind": "503", "path": "^/optisigns", "method": "POST",
                                             "operation": "pushToScreens", "times": 1, "skip": 0,
                                             "retry_after": 2, "delay": 10}`` (only ``kind`` required)
``DELETE /_emulator/faults`` and ``/_emulator/faults/{id}``
``GET    /_emulator/requests``               ``?path=&method=&operation=&fault=`` -> ``{"summary", "requests"}``
``DELETE /_emulator/requests``               zero the counters
``GET    /_emulator/credentials``            demo credentials, URLs and ``AIRFLOW_CONN_*`` values
``GET    /_emulator/page`` (and ``GET /``)   read-only HTML page of the state

OptiSigns extras live under ``/_emulator/optisigns`` and OpenSign ones under ``/_emulator/opensign``.

``router`` is mounted at ``/_emulator`` and ``page_router`` (just ``GET /``) at the root; the handlers get the
emulator's runtime through ``Depends`` (``request.app.state.emulator``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from signs_emulator import credentials
from signs_emulator.faults import FaultRule
from signs_emulator.runtime import Runtime


class AdvanceClock(BaseModel):
    """Body of ``POST /_emulator/clock/advance``."""

    seconds: float = Field(ge=0)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


router = APIRouter()
#: Only ``GET /``, the HTML page, mounted at the root of the app.
page_router = APIRouter()


def page(request: Request, runtime: Runtime) -> HTMLResponse:
    """Read-only HTML page of the state (``?refresh=N`` reloads it every N seconds)."""
    from signs_emulator.page import render_page

    refresh = request.query_params.get("refresh")
    return HTMLResponse(
        render_page(runtime.snapshot(_base(request)), refresh_seconds=int(refresh) if refresh else None)
    )


page_router.add_api_route("/", page, methods=["GET"], response_class=HTMLResponse)
router.add_api_route("/page", page, methods=["GET"], response_class=HTMLResponse)


@router.get("/health")
def health(runtime: Runtime) -> dict[str, Any]:
    return {"status": "ok", "opensign": runtime.opensign is not None}


@router.get("/state")
def state(request: Request, runtime: Runtime) -> dict[str, Any]:
    return runtime.snapshot(_base(request))


@router.post("/reset")
def reset(runtime: Runtime) -> dict[str, Any]:
    runtime.reset()
    return {"status": "reset", "now": runtime.clock.now().isoformat()}


@router.get("/clock")
def clock(runtime: Runtime) -> dict[str, Any]:
    return {"now": runtime.clock.now().isoformat()}


@router.post("/clock/advance")
def advance(body: AdvanceClock, runtime: Runtime) -> dict[str, Any]:
    now = runtime.clock.advance(timedelta(seconds=body.seconds))
    runtime.optisigns.state.settle()
    return {"now": now.isoformat()}


@router.get("/faults")
def faults(runtime: Runtime) -> dict[str, Any]:
    return {"faults": runtime.faults.rules()}


@router.post("/faults")
def add_fault(body: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    try:
        rule = FaultRule.from_dict(body)
    except (TypeError, ValueError) as exc:
        raise HTTPException(400, str(exc)) from None
    return runtime.faults.add(rule).to_dict()


@router.delete("/faults")
def clear_faults(runtime: Runtime) -> dict[str, Any]:
    runtime.faults.clear_rules()
    return {"faults": []}


@router.delete("/faults/{rule_id}")
def remove_fault(rule_id: str, runtime: Runtime) -> dict[str, Any]:
    if not runtime.faults.remove(rule_id):
        raise HTTPException(404, f"no fault rule {rule_id!r}")
    return {"removed": rule_id}


@router.get("/requests")
def requests_log(
    runtime: Runtime,
    path: str | None = None,
    method: str | None = None,
    operation: str | None = None,
    fault: str | None = None,
) -> dict[str, Any]:
    try:
        records = runtime.faults.requests(path=path, method=method, operation=operation, fault=fault)
    except Exception as exc:  # a bad regex
        raise HTTPException(400, f"bad filter: {exc}") from None
    return {"summary": runtime.faults.summary(), "count": len(records), "requests": records}


@router.delete("/requests")
def reset_requests(runtime: Runtime) -> dict[str, Any]:
    runtime.faults.reset_counts()
    return {"summary": runtime.faults.summary()}


@router.get("/credentials")
def creds(request: Request, runtime: Runtime) -> dict[str, Any]:
    base = _base(request)
    return {
        "urls": {
            "optisigns_graphql": f"{base}/optisigns/graphql",
            "upload": f"{base}/transloadit/assemblies",
            "opensign": {env: f"{base}/opensign/{env}" for env in credentials.OPENSIGN_TOKENS},
            "feeds": f"{base}/feeds",
            "page": f"{base}/",
        },
        "optisigns": {
            "team_id": credentials.OPTISIGNS_DEFAULT_TEAM_ID,
            "api_keys": {k: sorted(v) for k, v in credentials.OPTISIGNS_API_KEYS.items()},
        },
        "opensign": {"tokens": credentials.OPENSIGN_TOKENS},
        "airflow_connections": credentials.airflow_connections(base),
    }
