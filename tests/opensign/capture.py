"""Record every HTTP request the provider sends, at the transport (``requests.adapters.HTTPAdapter.send``).

The emulator's request log has no bodies, so the requests are captured where they leave: each
``PreparedRequest`` with its body read into bytes (a streamed create body is an iterator, consumed
once; it is joined here and sent as those bytes, with the same ``Content-Length``), and the answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass
class Exchange:
    request: Any  # requests.PreparedRequest, body as bytes
    response: Any  # requests.Response, or None when the request raised

    @property
    def method(self) -> str:
        return str(self.request.method)

    @property
    def path(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.request.url).path

    def json(self) -> Any:
        body = self.request.body
        if not body:
            return None
        return json.loads(body if isinstance(body, (bytes, str)) else b"".join(body))


@contextmanager
def capture(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Exchange]]:
    """Every request sent inside the block, in order, with its answer."""
    from requests.adapters import HTTPAdapter

    seen: list[Exchange] = []
    original = HTTPAdapter.send

    def send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        body = request.body
        if body is not None and not isinstance(body, (bytes, str)):
            request.body = b"".join(part if isinstance(part, bytes) else part.encode() for part in body)
        elif isinstance(body, str):
            request.body = body.encode()
        exchange = Exchange(request, None)
        seen.append(exchange)
        response = original(self, request, *args, **kwargs)
        exchange.response = response
        return response

    with monkeypatch.context() as patch:
        patch.setattr(HTTPAdapter, "send", send)
        yield seen


def bodies(seen: list[Exchange], method: str, path_end: str) -> list[Any]:
    """The JSON bodies of the captured requests ``method`` to a path ending in ``path_end``."""
    return [x.json() for x in seen if x.method == method and x.path.endswith(path_end)]
