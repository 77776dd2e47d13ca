"""A fake transport for unit tests of the client: answers from a script, records what was sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from signs_provider.common.transport import Reply, RetryPolicy
from signs_provider.optisigns.client.graphql import GraphQLSession
from signs_provider.optisigns.errors import OptiSignsApiErrors

URL = "https://graphql.example.com/graphql"


class FakeResponse:
    """Just enough of ``requests.Response`` for :class:`Reply`; counts JSON decodes."""

    def __init__(self, body: Any, status_code: int = 200) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}
        self._text = body if isinstance(body, str) else json.dumps(body)
        self.decodes = 0

    @property
    def content(self) -> bytes:
        return self._text.encode()

    def json(self) -> Any:
        self.decodes += 1
        return json.loads(self._text)


class FakeTransport:
    """Sends nothing: ``answer(body)`` returns the reply, or raises to simulate a lost answer."""

    #: Read by the GraphQL session's resend of a rate-limited mutation.
    policy = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02, max_elapsed=5)

    def __init__(self, answer: Callable[[dict[str, Any]], Any]) -> None:
        self.answer = answer
        self.sent: list[tuple[dict[str, Any], bool]] = []

    def send(
        self, method: str, url: str, *, idempotent: bool, json: Any = None, check: bool = True, **_: Any
    ) -> Reply:
        self.sent.append((json, idempotent))
        answer = self.answer(json)
        status = 200
        if isinstance(answer, tuple):  # (status, body)
            status, answer = answer
        reply = Reply(FakeResponse(answer, status))  # type: ignore[arg-type]
        if check:
            OptiSignsApiErrors(conn_id="fake", url=url).raise_for(reply, attempts=1)
        return reply

    def fields(self) -> list[str]:
        """The operation name of each document sent (``mutation AddScheduleItem(...)`` -> AddScheduleItem)."""
        return [body["query"].split("(")[0].split()[-1] for body, _ in self.sent]


def session(
    transport: FakeTransport, *, team_id: str | None = None, landing_wait: float = 0.0
) -> GraphQLSession:
    return GraphQLSession(
        url=URL,
        errors=OptiSignsApiErrors(conn_id="fake", url=URL),
        transport=lambda: transport,  # type: ignore[arg-type,return-value]
        team_id=team_id,
        landing_wait=landing_wait,
        look_interval=0.01,
    )
