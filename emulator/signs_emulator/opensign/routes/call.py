"""What every OpenSign API operation receives, and how it is registered.

An operation is a module-level function of one area (``account``, ``contacts``, ``documents``...) taking a
:class:`Call` and its path parameters, registered with :func:`operation` on the area's router. The endpoint
that :func:`operation` builds gets the emulated service through FastAPI's ``Depends`` (from
``request.app.state``), authenticates the call, parses the body, then runs the handler under the service's
lock and publishes the webhook events the handler recorded. An :class:`~..state.ApiError` anywhere becomes
OpenSign's JSON error answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import machine
from ..emulator import OpenSignEmulator
from ..links import Links, api_base
from ..state import ApiError, Document, Environment
from ..validation import bad_input


async def opensign_service(request: Request) -> OpenSignEmulator:
    """The OpenSign service of the app serving ``request`` (``build_app`` sets ``app.state.emulator``)."""
    service: OpenSignEmulator = request.app.state.emulator.opensign
    return service


#: A route parameter of this type receives the OpenSign service.
OpenSign = Annotated[OpenSignEmulator, Depends(opensign_service)]


@dataclass
class Call:
    """One authenticated API call: the environment, parsed body and query, URL factory and clock."""

    emu: OpenSignEmulator
    env: Environment
    body: dict[str, Any]
    query: dict[str, str]
    links: Links
    now: datetime
    client_ip: str
    events: list[tuple[Document, machine.Event]] = field(default_factory=list)


Handler = Callable[..., Any]
H = TypeVar("H", bound=Handler)


def operation(router: APIRouter, method: str, path: str) -> Callable[[H], H]:
    """Register ``handler(call, **path_params)`` as ``method path`` on ``router`` (paths are relative to
    ``/{env}/api/{version}``, which the assembling router adds). The handler is returned unchanged."""

    def register(handler: H) -> H:
        async def endpoint(request: Request, emu: OpenSign) -> Response:
            params = dict(request.path_params)
            env_name, version = params.pop("env"), params.pop("version")
            try:
                env = emu.authenticate(env_name, version, request.headers.get("x-api-token"))
                body = await _json_body(request) if method in ("POST", "PUT") else {}
                with emu.lock:
                    call = Call(
                        emu=emu,
                        env=env,
                        body=body,
                        query=dict(request.query_params),
                        links=Links(api_base(request), env.name, emu.files),
                        now=emu.clock.now(),
                        client_ip=request.client.host if request.client else "",
                    )
                    result = handler(call, **params)
                    emu.publish(call.env, call.links, call.events)
            except ApiError as exc:
                return JSONResponse(exc.body, status_code=exc.status)
            return JSONResponse(result)

        router.add_api_route(
            path,
            endpoint,
            methods=[method],
            name=f"opensign_{handler.__name__}",
            include_in_schema=False,
        )
        return handler

    return register


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise bad_input() from exc
    if not isinstance(body, dict):
        raise bad_input()
    return body
