"""The REST session under every OpenSign area: endpoints, requests, JSON, pages.

Each area module declares the endpoints it calls as :class:`Endpoint` constants, next to the code
that sends them: the method, the path template and whether the request may be sent again blindly
(``idempotent``). That flag is decided there, once, and nowhere else. Status codes become typed
errors in :class:`~signs_provider.opensign.errors.OpenSignApiErrors`, through the transport.
"""

from __future__ import annotations

import json as _json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from signs_provider.common.errors import SignsApiError, SignsConfigError

if TYPE_CHECKING:
    import requests

    from signs_provider.common.transport import AsyncTransport, Reply, SyncTransport

#: Query ``limit``/``skip`` on list reads: declared by the spec on contactlist, documentlist, templatelist
#: and folderlist (which also declares ``parentFolderId``).
MAX_PAGE_SIZE = 500  # documented maximum of `limit` on list endpoints
JSON_HEADERS = {"Content-Type": "application/json"}
_PLACEHOLDER = re.compile(r"{(\w+)}")
#: Methods that RFC 9110 defines as idempotent: the default of the generic :meth:`RestSession.request`
#: only. Declared endpoints say it themselves.
_IDEMPOTENT_BY_DEFINITION = frozenset({"GET", "HEAD", "PUT", "DELETE"})


@dataclass(frozen=True)
class Endpoint:
    """One endpoint of API v1.2: ``method``, ``path`` (relative, ``{name}`` placeholders for ids)
    and whether sending it twice is harmless (then network errors, 429 and 5xx are retried)."""

    method: str
    path: str
    idempotent: bool

    def path_for(self, *ids: str) -> str:
        """The path with its placeholders filled, in order, by checked object ids."""
        names = _PLACEHOLDER.findall(self.path)
        if len(names) != len(ids):
            raise TypeError(f"{self.path} takes {len(names)} id(s), got {len(ids)}")
        values = iter(object_id(i) for i in ids)
        return _PLACEHOLDER.sub(lambda _: next(values), self.path)


def read(path: str) -> Endpoint:
    """A ``GET`` of a path the areas do not declare (the hook's generic ``paginate``/``arequest``)."""
    return Endpoint("GET", path.lstrip("/"), idempotent=True)


def object_id(value: Any) -> str:
    """An object id for a URL path: refuse what would change the path (``/``, ``?``, blanks)."""
    text = str(value or "").strip()
    if not text or any(ch in text for ch in "/?#% ") or text in (".", ".."):
        raise SignsConfigError(f"{value!r} is not an OpenSign object id (like 'FGik23bhUJ').")
    return text


class Wire(Protocol):
    """What the session needs from the hook: the API root and the transports built on its connection."""

    @property
    def base_url(self) -> str: ...

    @property
    def transport(self) -> SyncTransport: ...

    async def atransport(self) -> AsyncTransport: ...


class RestSession:
    """Requests to the OpenSign API over the hook's transports, decoded as JSON.

    :param wire: the hook (its ``base_url``, ``transport`` and ``atransport()``); read on each call,
        so that nothing touches the connection before the first request.
    """

    def __init__(self, wire: Wire) -> None:
        self.wire = wire

    def url(self, path: str) -> str:
        return f"{self.wire.base_url}/{path.lstrip('/')}"

    def call(
        self,
        endpoint: Endpoint,
        *ids: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
    ) -> Any:
        """Send a declared endpoint (``ids`` fill its path) and return the decoded JSON body.

        ``data`` (bytes, or a zero-argument callable that builds the body for each attempt) goes out
        as a JSON body as it is; ``json`` is encoded here.
        """
        return self.send(
            endpoint.method,
            endpoint.path_for(*ids),
            idempotent=endpoint.idempotent,
            json=json,
            params=params,
            data=data,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Any endpoint, for calls the areas do not declare; ``idempotent`` defaults to the method's
        HTTP definition (GET, HEAD, PUT and DELETE are retried; POST is sent once)."""
        method = method.upper()
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_BY_DEFINITION
        return self.send(
            method, path, idempotent=idempotent, json=json, params=params, data=data, headers=headers
        )

    def send(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        if json is not None:
            data = compact_json(json)
        if data is not None:
            headers = {**JSON_HEADERS, **(headers or {})}
        reply = self.wire.transport.send(
            method,
            self.url(path),
            idempotent=idempotent,
            data=data,
            params=dict(params) if params else None,
            headers=dict(headers) if headers else None,
        )
        return _decoded(reply)

    def fetch(self, url: str, *, session: requests.Session, label: str) -> requests.Response:
        """``GET`` a file outside the API (a pre-signed URL) through ``session``, streamed and unchecked.

        Retried like any read; ``label`` stands for the URL in logs and errors (it is a credential).
        """
        reply = self.wire.transport.send(
            "GET", url, idempotent=True, check=False, stream=True, session=session, label=label
        )
        response: requests.Response = reply.response  # type: ignore[assignment]  # SyncTransport: requests
        return response

    async def acall(self, endpoint: Endpoint, *ids: str, params: Mapping[str, Any] | None = None) -> Any:
        """The async twin of :meth:`call` without a body, for triggers (which only read)."""
        transport = await self.wire.atransport()
        reply = await transport.send(
            endpoint.method,
            self.url(endpoint.path_for(*ids)),
            idempotent=endpoint.idempotent,
            params=dict(params) if params else None,
        )
        return _decoded(reply)

    def delete(self, endpoint: Endpoint, *ids: str) -> Any:
        """A ``DELETE``, retried like any idempotent request; "not found" on a resend is a success.

        When the transport sent it more than once (the first answer was lost or was a 5xx), a 404 means
        the first attempt deleted the object: the call reports the deletion rather than an error.
        """
        from signs_provider.opensign.errors import OpenSignNotFoundError

        try:
            return self.call(endpoint, *ids)
        except OpenSignNotFoundError as exc:
            if exc.attempts <= 1:
                raise
        return {"objectId": ids[0] if ids else None, "recovered": True}

    def call_once(self, endpoint: Endpoint, *ids: str, what: str, **kwargs: Any) -> Any:
        """A non-idempotent create that cannot be looked for afterwards: sent once, and an unknown outcome
        (a lost answer, a 5xx, an unreadable answer) raised as :class:`AmbiguousWriteError` saying so."""
        from signs_provider.common.errors import AmbiguousWriteError
        from signs_provider.common.recovery import is_ambiguous

        try:
            return self.call(endpoint, *ids, **kwargs)
        except Exception as exc:
            if not is_ambiguous(exc) or isinstance(exc, AmbiguousWriteError):
                raise
            error = AmbiguousWriteError(
                f"{endpoint.method} {endpoint.path_for(*ids)}: {exc} The {what} may have been created all "
                "the same; it was not sent again, so that it is not created twice. Check before creating it again.",
                method=endpoint.method,
                url=self.url(endpoint.path_for(*ids)),
            )
        raise error

    def paginate(
        self,
        endpoint: Endpoint,
        *ids: str,
        params: Mapping[str, Any] | None = None,
        page_size: int = 100,
        max_items: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every item of a ``limit``/``skip`` list endpoint (its ``{"result": [...]}``).

        Lists come newest first (documents and templates by last update, contacts and folders by
        creation), so stopping early reads only the recent pages.
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise SignsConfigError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}.")
        skip = 0
        yielded = 0
        while True:
            items = self.page(endpoint, *ids, params={**(params or {}), "limit": page_size, "skip": skip})
            for item in items:
                yield item
                yielded += 1
                if max_items is not None and yielded >= max_items:
                    return
            if len(items) < page_size:
                return
            skip += len(items)

    def page(self, endpoint: Endpoint, *ids: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One page of a list endpoint."""
        return result_list(self.call(endpoint, *ids, params=params), endpoint.path_for(*ids))


def _decoded(reply: Reply) -> Any:
    # Not-JSON answers were turned into errors by the transport's ApiErrors; an empty body is None.
    return reply.body


def compact_json(fields: Any) -> bytes:
    return _json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()


def result_list(body: Any, path: str) -> list[dict[str, Any]]:
    """The items of a list answer (``{"result": [...]}``, or a bare list)."""
    if isinstance(body, dict) and isinstance(body.get("result"), list):
        return body["result"]
    if isinstance(body, list):
        return body
    raise SignsApiError(f"OpenSign {path}: expected a list in 'result', got {type(body).__name__}.")
