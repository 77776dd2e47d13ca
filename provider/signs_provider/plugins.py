"""Airflow plugin: make the UI's Test button work for this provider's connections on Airflow <= 3.3.2.

The connection list's Test button posts ``port: 0`` (the React UI's ``Number(null)``) for a stored
connection without a port, and ours never have one (the field is hidden). Airflow 3.3.2's
``POST /api/v2/connections/test`` compares that 0 with the stored NULL, decides the destination
changed, and refuses the masked password with 400 "The host or port to test differs from the stored
connection". Upstream fixed it in apache/airflow#73298 by treating 0 like an empty port.

This ASGI middleware applies the same normalisation, for ``optisigns`` and ``opensign`` connections
only, in that one request only, and only while the running Airflow still has the bug (checked once,
on the first such request). Importing this module is cheap: every Airflow process loads plugins.

The plugin also mounts the OpenSign webhook receiver (:mod:`signs_provider.opensign.receiver`) on the
API server at ``/signs``: ``POST /signs/opensign/<conn_id>/webhook`` records each completed or declined
document as an asset event. Its module is as cheap to import (standard library only until a delivery).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from functools import cache
from typing import Any

from airflow.plugins_manager import AirflowPlugin

from signs_provider.opensign import receiver

_TEST_PATH = "/api/v2/connections/test"
_CONN_TYPES = frozenset({"optisigns", "opensign"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@cache
def airflow_rejects_port_zero() -> bool:
    """Whether this Airflow treats ``port: 0`` as a different destination than no port."""
    try:
        from airflow.api_fastapi.core_api.routes.public.connections import _same_endpoint
    except Exception:  # moved or renamed upstream: assume fixed and change nothing
        return False
    return not _same_endpoint(0, None)


class PortlessConnectionTestFix:
    """Rewrite ``port: 0`` to ``null`` in Test requests for this provider's connection types."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope.get("type") != "http"
            or scope.get("method") != "POST"
            or not str(scope.get("path", "")).endswith(_TEST_PATH)
            or not airflow_rejects_port_zero()
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("conn_type") in _CONN_TYPES and data.get("port") == 0:
            data["port"] = None
            body = json.dumps(data).encode()
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
            scope = {**scope, "headers": [*headers, (b"content-length", str(len(body)).encode())]}
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class SignsProviderPlugin(AirflowPlugin):
    """Registered through the ``airflow.plugins`` entry point."""

    name = "signs_provider"
    fastapi_root_middlewares = [
        {"middleware": PortlessConnectionTestFix, "name": "signs: Test button for connections without a port"}
    ]
    # Mounted beside Airflow's API, not under it: Airflow's authentication does not apply, the HMAC
    # of each delivery does (see the receiver module).
    fastapi_apps = [
        {"app": receiver.app, "url_prefix": receiver.URL_PREFIX, "name": "signs: OpenSign webhook receiver"}
    ]
