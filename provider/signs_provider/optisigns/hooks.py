"""Hook for the OptiSigns GraphQL API.

The hook holds all knowledge of the API; operators and sensors stay thin over it.

Example::

    hook = OptiSignsHook(optisigns_conn_id="optisigns_default")
    data = hook.execute("query { me { _id email } }")
    for device in hook.paginate(DEVICES_QUERY, connection_field="devices"):
        print(device["deviceName"])
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from signs_provider.common.errors import SignsApiError, SignsConfigError
from signs_provider.common.http import SignsHttpHook, require_secure_url, response_json
from signs_provider.optisigns.errors import OptiSignsAuthError, OptiSignsGraphQLError, OptiSignsScopeError

if TYPE_CHECKING:
    import httpx
    import requests

DEFAULT_ENDPOINT = "https://graphql-gateway.optisigns.com/graphql"
DEFAULT_UPLOAD_URL = "https://api2.transloadit.com/assemblies"

# The first keyword of a GraphQL document says whether it may change state. Comments and
# whitespace may come first; an anonymous "{ ... }" is a query.
_OPERATION_TYPE = re.compile(r"^(?:\s|#[^\n]*\n|,)*(query|mutation|subscription|\{)")
_DECLARES_TEAM_ID = re.compile(r"\$teamId\s*:")


def operation_type(document: str) -> str:
    """``query``, ``mutation`` or ``subscription`` for a GraphQL document.

    >>> operation_type("# list\\n{ me { _id } }")
    'query'
    """
    match = _OPERATION_TYPE.match(document)
    if not match:
        raise SignsConfigError(
            "query: not a GraphQL operation. Start it with 'query', 'mutation' or '{', "
            "e.g. 'query { me { _id } }'."
        )
    keyword = match.group(1)
    return "query" if keyword == "{" else keyword


class OptiSignsHook(SignsHttpHook):
    """Talk to OptiSigns through an Airflow connection of type ``optisigns``.

    The connection holds the API key in its password field; its host, if set, replaces the
    public endpoint (e.g. the local emulator); extra ``team_id`` is sent as ``teamId`` to
    every operation that declares a ``$teamId`` variable; extra ``timeout`` bounds each request.

    :param optisigns_conn_id: the Airflow connection id.
    :param timeout: seconds per request; overrides the connection's ``timeout``.
    :param retry_policy: how reads and idempotent writes are retried.
    """

    conn_name_attr = "optisigns_conn_id"
    default_conn_name = "optisigns_default"
    conn_type = "optisigns"
    hook_name = "OptiSigns"
    _secret_label: ClassVar[str] = "API key"

    def __init__(self, *, optisigns_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(conn_id=optisigns_conn_id, **kwargs)
        self.optisigns_conn_id = optisigns_conn_id

    @cached_property
    def base_url(self) -> str:
        """The GraphQL endpoint: the connection host (``/graphql`` added to a bare host) or the public one."""
        host = (self.connection.host or "").strip()
        if not host:
            return DEFAULT_ENDPOINT
        if "://" not in host:
            host = f"https://{host}"
        url = require_secure_url(host, field=f"connection {self.conn_id!r} host")
        # A bare origin means the gateway root; every client posts to /graphql on it.
        return url if urlpath(url) else f"{url}/graphql"

    @cached_property
    def upload_url(self) -> str:
        """Where file uploads go (Transloadit assemblies), from extra ``upload_url``."""
        url = self.extra_field("upload_url") or DEFAULT_UPLOAD_URL
        return require_secure_url(str(url), field=f"connection {self.conn_id!r} extra 'upload_url'")

    @cached_property
    def team_id(self) -> str | None:
        """The team to act in, or ``None`` for the key's default team."""
        value = self.extra_field("team_id")
        return None if value is None else str(value)

    def _auth_headers(self) -> dict[str, str]:
        # Keys pasted from the web app sometimes carry zero-width characters that break the header.
        key = "".join(ch for ch in self.secret if ch.isprintable()).strip()
        return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    # -- core ---------------------------------------------------------------------------------

    def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        """Run one GraphQL operation and return its ``data``.

        Queries are retried on network errors, 429 and 5xx. Mutations are sent once unless
        ``idempotent=True`` says that repeating them is harmless (setting a device's content is;
        adding playlist items is not).

        :raises OptiSignsGraphQLError: the response has an ``errors`` array (OptiSigns answers
            errors with HTTP 200).
        :raises OptiSignsScopeError: the API key lacks the scope for the operation.
        """
        kind = operation_type(query)
        if kind == "subscription":
            raise SignsConfigError("query: subscriptions need a websocket; use a query or a mutation.")
        if idempotent is None:
            idempotent = kind == "query"
        payload_vars = dict(variables or {})
        if self.team_id is not None and "teamId" not in payload_vars and _DECLARES_TEAM_ID.search(query):
            payload_vars["teamId"] = self.team_id
        body = {"query": query, "variables": payload_vars}
        response = self._send("POST", self.base_url, idempotent=idempotent, json=body)
        return self._data_or_raise(response_json(response), response)

    def paginate(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        connection_field: str,
        page_size: int = 100,
    ) -> Iterator[dict[str, Any]]:
        """Yield every node of a Relay-style list, one page at a time.

        The query must declare ``$first: Int`` and ``$after: String`` and select
        ``<connection_field>(first: $first, after: $after, ...) { page { edges { node {...} }
        pageInfo { hasNextPage endCursor } } }``.
        """
        if page_size < 1:
            raise SignsConfigError("page_size must be at least 1.")
        after: str | None = None
        while True:
            data = self.execute(query, {**(variables or {}), "first": page_size, "after": after})
            page = ((data or {}).get(connection_field) or {}).get("page") or {}
            for edge in page.get("edges") or []:
                yield edge["node"]
            info = page.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            cursor = info.get("endCursor")
            if not cursor or cursor == after:
                raise SignsApiError(
                    f"OptiSigns said {connection_field} has a next page but gave no new endCursor; "
                    "stopping rather than looping. Select pageInfo { hasNextPage endCursor }."
                )
            after = cursor

    def test_connection(self) -> tuple[bool, str]:
        """Check the key with a cheap read (``me``); used by the UI's Test button."""
        try:
            me = self.execute("query { me { _id email } }")["me"] or {}
        except Exception as exc:
            return False, str(exc)
        who = me.get("email") or me.get("_id") or "unknown user"
        return True, f"Connected to OptiSigns at {self.base_url} as {who}."

    # -- errors -------------------------------------------------------------------------------

    def _raise_for_response(self, response: requests.Response | httpx.Response, *, attempts: int) -> None:
        status = response.status_code
        if status < 400:
            return
        body = response_json(response)
        graphql_errors = body.get("errors") if isinstance(body, dict) else None
        if graphql_errors:
            # Some gateways answer errors with a non-200 status and the GraphQL shape: keep the detail.
            self._data_or_raise(body, response)
        tried = f" after {attempts} attempts" if attempts > 1 else ""
        if status in (401, 403):
            raise OptiSignsAuthError(
                f"OptiSigns rejected the API key of connection {self.conn_id!r} (HTTP {status}). "
                "Check the key in the connection's password field and that it has not been revoked.",
                status=status,
            )
        raise SignsApiError(
            f"OptiSigns answered HTTP {status}{tried} for POST {self.base_url}.", status=status
        )

    def _data_or_raise(self, body: Any, response: requests.Response | httpx.Response) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise SignsApiError(
                f"OptiSigns sent a response that is not JSON (HTTP {response.status_code}) from {self.base_url}.",
                status=response.status_code,
            )
        errors = body.get("errors")
        if errors:
            first: dict[str, Any] = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
            message = str(first.get("message") or "unknown error")
            extensions = first.get("extensions") or {}
            code = extensions.get("code")
            path = first.get("path")
            status = (extensions.get("response") or {}).get("statusCode")
            cls = OptiSignsScopeError if any("API_SCOPE_OFF" in str(e) for e in errors) else OptiSignsGraphQLError
            raise cls.from_error(message, code=code, path=path, status=status, errors=errors)
        data = body.get("data")
        if data is None:
            raise SignsApiError("OptiSigns answered with neither data nor errors.", status=response.status_code)
        return data


def urlpath(url: str) -> str:
    """The path of ``url`` without slashes at either end (empty for a bare origin)."""
    from urllib.parse import urlsplit

    return urlsplit(url).path.strip("/")
