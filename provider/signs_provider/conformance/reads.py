"""The only way the conformance check talks to an API: GraphQL queries and HTTP GETs, nothing else.

Every request goes through :class:`ReadOnlyClient`, which refuses (before sending) a GraphQL document that
is not a query and has no method but GET for REST. A read answered 429, 502 or 503 (a rate limit or a busy
gateway: the check sends some sixty reads in a row) is sent again, up to :data:`ATTEMPTS` times, after the
``Retry-After`` the API asks for (at most :data:`MAX_WAIT` seconds); any other failure is reported as it is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from signs_provider.common.transport import parse_retry_after
from signs_provider.optisigns.client.graphql import operation_type

if TYPE_CHECKING:
    import requests

TIMEOUT = 30.0
ATTEMPTS = 3
MAX_WAIT = 30.0
_BUSY = frozenset({429, 502, 503})


class WriteRefused(RuntimeError):
    """The check tried to send something that is not a read (a bug of the check: it never writes)."""


@dataclass
class Answer:
    """One HTTP answer: status, decoded JSON body (``None`` if not JSON) and the raw text's start."""

    status: int
    body: Any
    text: str

    def graphql_errors(self) -> list[dict[str, Any]]:
        errors = self.body.get("errors") if isinstance(self.body, dict) else None
        return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []

    def error_codes(self) -> set[str]:
        return {str((e.get("extensions") or {}).get("code") or "") for e in self.graphql_errors()} - {""}

    def messages(self) -> list[str]:
        return [str(e.get("message") or "") for e in self.graphql_errors()]


class ReadOnlyClient:
    """Sends GraphQL queries (POST, as GraphQL over HTTP does) and REST GETs with the given headers."""

    def __init__(self, headers: dict[str, str], *, user_agent: str) -> None:
        import requests

        self._session: requests.Session = requests.Session()
        self._session.headers.update({**headers, "User-Agent": user_agent})

    def close(self) -> None:
        self._session.close()

    def query(self, url: str, document: str, variables: dict[str, Any] | None = None) -> Answer:
        """Send a GraphQL ``query``; anything else is refused before it leaves."""
        if operation_type(document) != "query":
            raise WriteRefused(f"the conformance check only reads; refused to send: {document[:60]!r}")
        body: dict[str, Any] = {"query": document}
        if variables:
            body["variables"] = variables
        return self._send("POST", url, json=body)

    def get(self, url: str, params: dict[str, Any] | None = None) -> Answer:
        return self._send("GET", url, params=params)

    def _send(self, method: str, url: str, **kwargs: Any) -> Answer:
        # Only reads get here (query() checked the document): sending one again changes nothing.
        for attempt in range(1, ATTEMPTS + 1):
            response = self._session.request(method, url, timeout=TIMEOUT, **kwargs)
            if response.status_code not in _BUSY or attempt == ATTEMPTS:
                break
            wait = parse_retry_after(response.headers.get("Retry-After"))
            time.sleep(min(MAX_WAIT, wait if wait is not None else float(attempt)))
        return self._answer(response)

    @staticmethod
    def _answer(response: requests.Response) -> Answer:
        try:
            body = response.json()
        except ValueError:
            body = None
        return Answer(response.status_code, body, response.text[:300])
