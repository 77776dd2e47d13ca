"""Fault injection and request counting for every emulated API.

One ASGI middleware sits in front of the whole emulator. For each API request it

* counts the request (method, path, GraphQL operation and root fields, final status, injected fault), so a
  test can assert exactly what a client did, e.g. "pushToScreens was sent once, despite the lost response";
* applies the first matching :class:`FaultRule`, if any.

Fault kinds:

``429``            answer 429 with a ``Retry-After`` header; the handler does not run.
``500`` ``502`` ``503``
                   answer that status; the handler does not run. 502/503 carry an HTML body, as a load
                   balancer in front of the real service would, so clients must not assume JSON on errors.
``drop``           close the connection before any response; the handler does not run.
``slow``           read the request, wait ``delay`` seconds (longer than the client's timeout), then run the
                   handler (the side effect happens even though the client gave up) and answer.
``malformed``      answer 200 with a truncated JSON body; the handler does not run.
``lost_response``  run the real handler (the side effect happens), then close the connection instead of
                   answering: the case that makes a naive retry create a duplicate.
``redirect``       answer 302 (GET, HEAD) or 307 (other methods, which keeps the body) to ``location``, an
                   absolute URL; the handler does not run. Point it at another host name (``localhost``
                   for ``127.0.0.1``) to see what a client carries along: the request log records whether
                   the redirected request had a credential header.

With ``late_write: N`` a status fault or ``drop`` plays a gateway that gave up while the backend behind it
goes on: the request is still applied, N seconds after the client got its error.

Control paths (``/_emulator``) are never faulted nor counted, so a test can always inspect and reset.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FAULT_KINDS = ("429", "500", "502", "503", "drop", "slow", "malformed", "lost_response", "redirect")
CONTROL_PREFIX = "/_emulator"
GRAPHQL_PATHS = frozenset({"/optisigns/graphql"})
_AUTH_HEADERS = ("authorization", "x-api-token")
#: GraphQL bodies bigger than this are not parsed for operation matching (uploads never go to /graphql).
_MAX_GRAPHQL_BODY = 2 * 1024 * 1024
_MAX_RECORDS = 20_000


@dataclass
class FaultRule:
    """Inject ``kind`` into requests matching ``method``, ``path`` and ``operation``.

    ``path`` is a regular expression searched in the URL path; ``operation`` matches a GraphQL operation name
    or a root field name (``pushToScreens``). ``skip`` lets that many matching requests through first;
    ``times`` is how many requests get the fault (0 = every matching request, for ever).
    """

    kind: str
    path: str = ".*"
    method: str | None = None
    operation: str | None = None
    times: int = 1
    skip: int = 0
    retry_after: int | None = None
    #: For status kinds on the GraphQL API: answer HTTP 200 with the status inside ``errors``, the way
    #: OptiSigns reports its errors ([INFERRED] for rate limits and server errors: undocumented).
    in_body: bool = False
    #: For status kinds and ``drop``: the backend behind the failing gateway still applies the request,
    #: this many seconds after the client got its error (None: the request is not applied).
    late_write: float | None = None
    delay: float = 10.0
    #: For ``redirect``: the absolute URL the client is sent to.
    location: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    matched: int = 0
    injected: int = 0

    def __post_init__(self) -> None:
        self.kind = str(self.kind).lower()
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault 'kind' must be one of {', '.join(FAULT_KINDS)}; got {self.kind!r}")
        try:
            self._path_re = re.compile(self.path)
        except re.error as exc:
            raise ValueError(f"fault 'path' is not a valid regular expression: {exc}") from None
        if self.method is not None:
            self.method = self.method.upper()
        for name in ("times", "skip"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"fault {name!r} must be a whole number >= 0; got {value!r}")
        if self.retry_after is not None and (not isinstance(self.retry_after, int) or self.retry_after < 0):
            raise ValueError(f"fault 'retry_after' must be whole seconds >= 0; got {self.retry_after!r}")
        if not isinstance(self.delay, (int, float)) or self.delay < 0:
            raise ValueError(f"fault 'delay' must be seconds >= 0; got {self.delay!r}")
        if self.kind == "redirect" and not str(self.location or "").startswith(("http://", "https://")):
            raise ValueError(
                f"fault 'redirect' needs 'location', an absolute http(s) URL; got {self.location!r}"
            )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        """Build a rule from a JSON object, naming any unknown field."""
        allowed = {
            "kind",
            "path",
            "method",
            "operation",
            "times",
            "skip",
            "retry_after",
            "delay",
            "in_body",
            "late_write",
            "location",
        }
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault field(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
        if "kind" not in data:
            raise ValueError(f"fault needs a 'kind', one of {', '.join(FAULT_KINDS)}")
        return cls(**{**data, "kind": str(data["kind"])})

    @classmethod
    def parse(cls, spec: str) -> FaultRule:
        """Parse a CLI/env spec: JSON, or ``kind=503,path=^/optisigns,times=2``, or just ``503``."""
        spec = spec.strip()
        if spec.startswith("{"):
            return cls.from_dict(json.loads(spec))
        if "=" not in spec:
            return cls(kind=spec)
        data: dict[str, Any] = {}
        for part in spec.split(","):
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"fault spec part {part!r} is not key=value (spec {spec!r})")
            key = key.strip()
            value = value.strip()
            if key in {"times", "skip", "retry_after"}:
                data[key] = int(value)
            elif key in ("delay", "late_write"):
                data[key] = float(value)
            elif key == "in_body":
                data[key] = value.strip().lower() in ("1", "true", "yes")
            else:
                data[key] = value
        return cls.from_dict(data)

    @property
    def exhausted(self) -> bool:
        return self.times != 0 and self.injected >= self.times

    def matches(self, method: str, path: str, graphql: GraphQLSummary | None) -> bool:
        if self.method is not None and self.method != method:
            return False
        if not self._path_re.search(path):
            return False
        if self.operation is not None:
            if graphql is None:
                return False
            return self.operation == graphql.operation_name or self.operation in graphql.fields
        return True

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        data["remaining"] = None if self.times == 0 else max(self.times - self.injected, 0)
        return data


@dataclass(frozen=True)
class GraphQLSummary:
    """What a GraphQL request asks for: its operation name and root field names."""

    operation_name: str | None
    operation_type: str | None
    fields: tuple[str, ...]


def summarize_graphql(body: bytes) -> GraphQLSummary | None:
    """Read the operation name and root fields from a GraphQL JSON body; None if it is not one."""
    try:
        payload = json.loads(body)
        query = payload["query"]
        name = payload.get("operationName")
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    from graphql import GraphQLError, OperationDefinitionNode, parse
    from graphql.language import FieldNode

    try:
        document = parse(query)
    except (GraphQLError, TypeError):
        return GraphQLSummary(name, None, ())
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = next((op for op in operations if name and op.name and op.name.value == name), None)
    if chosen is None and operations:
        chosen = operations[0]
    if chosen is None:
        return GraphQLSummary(name, None, ())
    fields = tuple(s.name.value for s in chosen.selection_set.selections if isinstance(s, FieldNode))
    return GraphQLSummary(
        name or (chosen.name.value if chosen.name else None), chosen.operation.value, fields
    )


class FaultRegistry:
    """Thread-safe store of fault rules and of the request log and counters."""

    def __init__(self, initial_rules: Iterable[FaultRule] = ()) -> None:
        self._lock = threading.Lock()
        self._initial = [FaultRule.from_dict(_rule_config(r)) for r in initial_rules]
        self._rules: list[FaultRule] = []
        self._records: deque[dict[str, Any]] = deque(maxlen=_MAX_RECORDS)
        self._seq = itertools.count(1)
        self._counts: Counter[str] = Counter()
        self.reset()

    # -- rules -------------------------------------------------------------------------------------------
    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear_rules(self) -> None:
        with self._lock:
            self._rules = []

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_dict() for r in self._rules]

    def match(self, method: str, path: str, graphql: GraphQLSummary | None) -> FaultRule | None:
        """Return the rule to apply to this request (and consume one of its uses), if any."""
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, path, graphql):
                    continue
                rule.matched += 1
                if rule.matched <= rule.skip:
                    continue
                rule.injected += 1
                return rule
        return None

    # -- request log ---------------------------------------------------------------------------------------
    def start_record(
        self,
        method: str,
        path: str,
        query: str,
        graphql: GraphQLSummary | None,
        rule: FaultRule | None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        record: dict[str, Any] = {
            "seq": next(self._seq),
            "time": time.time(),
            "method": method,
            "path": path,
            "query": query,
            "operation": graphql.operation_name if graphql else None,
            "operation_type": graphql.operation_type if graphql else None,
            "fields": list(graphql.fields) if graphql else [],
            "fault": rule.kind if rule else None,
            "rule_id": rule.id if rule else None,
            "status": None,
            "duration_ms": None,
            # What a test needs to check the client's headers, never the credential itself.
            "user_agent": (headers or {}).get("user-agent"),
            "auth_header": next((h for h in _AUTH_HEADERS if h in (headers or {})), None),
        }
        with self._lock:
            self._records.append(record)
            self._counts["total"] += 1
            self._counts[f"path:{path}"] += 1
            for name in record["fields"]:
                self._counts[f"field:{name}"] += 1
            if rule is not None:
                self._counts[f"fault:{rule.kind}"] += 1
        return record

    def requests(
        self,
        *,
        path: str | None = None,
        method: str | None = None,
        operation: str | None = None,
        fault: str | None = None,
    ) -> list[dict[str, Any]]:
        """Logged requests, oldest first, filtered by path regex, method, operation/field and fault kind."""
        path_re = re.compile(path) if path else None
        with self._lock:
            records = list(self._records)
        return [
            dict(r)
            for r in records
            if (path_re is None or path_re.search(r["path"]))
            and (method is None or r["method"] == method.upper())
            and (operation is None or operation == r["operation"] or operation in r["fields"])
            and (fault is None or r["fault"] == fault)
        ]

    def summary(self) -> dict[str, Any]:
        with self._lock:
            counts = dict(self._counts)
        grouped: dict[str, Any] = {"total": counts.pop("total", 0), "paths": {}, "fields": {}, "faults": {}}
        for key, value in counts.items():
            group, _, name = key.partition(":")
            grouped[{"path": "paths", "field": "fields", "fault": "faults"}[group]][name] = value
        return grouped

    def reset_counts(self) -> None:
        with self._lock:
            self._records.clear()
            self._counts.clear()
            self._seq = itertools.count(1)

    def reset(self) -> None:
        """Forget run-time rules and counts; re-arm the rules the emulator was started with."""
        with self._lock:
            self._rules = [FaultRule.from_dict(_rule_config(r)) for r in self._initial]
        self.reset_counts()


def _rule_config(rule: FaultRule) -> dict[str, Any]:
    keys = ("kind", "path", "method", "operation", "times", "skip", "retry_after", "delay", "location")
    return {k: getattr(rule, k) for k in keys}


# -- canned bodies -------------------------------------------------------------------------------------------
def _graphql_error(status: int) -> tuple[bytes, str]:
    phrase = HTTPStatus(status).phrase
    payload = {
        "data": None,
        "errors": [
            {
                "message": phrase,
                "extensions": {"code": str(status), "response": {"statusCode": status, "error": phrase}},
            }
        ],
    }
    return json.dumps(payload).encode(), "application/json"


def _error_response(path: str, status: int) -> tuple[bytes, str]:
    phrase = HTTPStatus(status).phrase
    if status in (502, 503):
        html = f"<html><head><title>{status} {phrase}</title></head><body><h1>{status} {phrase}</h1></body></html>"
        return html.encode(), "text/html; charset=utf-8"
    if path.startswith("/optisigns"):
        payload: dict[str, Any] = {
            "errors": [
                {
                    "message": phrase,
                    "extensions": {"code": str(status), "response": {"statusCode": status, "error": phrase}},
                }
            ]
        }
    elif path.startswith("/transloadit"):
        payload = {"error": "RATE_LIMIT_REACHED" if status == 429 else "INTERNAL_ERROR", "message": phrase}
    else:
        payload = {"error": phrase}
    return json.dumps(payload).encode(), "application/json"


def _malformed_body(path: str) -> bytes:
    if path.startswith("/optisigns"):
        return b'{"data":{"devices":{"page":{"edges":[{"cursor":"YXJyYXljb25uZWN0aW9uOjA=","node":{"_id":"66'
    return b'{"result":[{"objectId":"FGik23bhUJ","Name":"Offer Let'


# -- middleware ----------------------------------------------------------------------------------------------
class FaultMiddleware:
    """ASGI middleware that counts every API request and injects the configured faults."""

    def __init__(self, app: ASGIApp, registry: FaultRegistry) -> None:
        self.app = app
        self.registry = registry
        # Late writes run after their request has been answered; keep them referenced until done.
        self._late_tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(CONTROL_PREFIX) or path in ("/", "/favicon.ico"):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        graphql: GraphQLSummary | None = None
        if method == "POST" and path in GRAPHQL_PATHS:
            body = await _read_body(receive, _MAX_GRAPHQL_BODY)
            if body is not None:
                graphql = summarize_graphql(body)
                receive = _replay(body, receive)
        rule = self.registry.match(method, path, graphql)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        record = self.registry.start_record(
            method, path, scope.get("query_string", b"").decode("latin-1"), graphql, rule, headers
        )
        started = time.monotonic()

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record["status"] = message["status"]
            await send(message)

        try:
            if rule is None:
                await self.app(scope, receive, counting_send)
            else:
                await self._inject(rule, scope, receive, send, counting_send, record)
        finally:
            record["duration_ms"] = round((time.monotonic() - started) * 1000, 1)

    async def _apply_late(self, delay: float, scope: Scope, receive: Receive) -> Receive:
        """Read the request now and have the real handler apply it ``delay`` seconds later, unseen."""
        body = await _read_body(receive, limit=1 << 62) or b""
        task = asyncio.get_running_loop().create_task(_run_later(self.app, delay, scope, body))
        self._late_tasks.add(task)
        task.add_done_callback(self._late_tasks.discard)
        return _replay(body, receive)

    async def _inject(
        self,
        rule: FaultRule,
        scope: Scope,
        receive: Receive,
        raw_send: Send,
        send: Send,
        record: dict[str, Any],
    ) -> None:
        path: str = scope["path"]
        if rule.late_write is not None and rule.kind in ("429", "500", "502", "503", "drop"):
            receive = await self._apply_late(rule.late_write, scope, receive)
        if rule.kind in ("429", "500", "502", "503"):
            status = int(rule.kind)
            in_body = rule.in_body and path in GRAPHQL_PATHS
            body, content_type = _graphql_error(status) if in_body else _error_response(path, status)
            headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
            retry_after = rule.retry_after if rule.retry_after is not None else (1 if status == 429 else None)
            if retry_after is not None:
                headers.append((b"retry-after", str(retry_after).encode()))
            await send(
                {"type": "http.response.start", "status": 200 if in_body else status, "headers": headers}
            )
            await send({"type": "http.response.body", "body": body})
        elif rule.kind == "malformed":
            body = _malformed_body(path)
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif rule.kind == "slow":
            # A slow server has usually received the whole request before it stalls, and goes on to
            # apply it after the client gave up: take the body first, then wait, then run the handler.
            request_body = await _read_body(receive, limit=1 << 62)
            await asyncio.sleep(rule.delay)
            await self.app(scope, _replay(request_body or b"", receive), send)
        elif rule.kind == "drop":
            await _drain(receive)
            await _abort_connection(raw_send)
        elif rule.kind == "redirect":
            await _drain(receive)
            status = 302 if scope["method"] in ("GET", "HEAD") else 307
            headers = [(b"location", str(rule.location).encode()), (b"content-length", b"0")]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
        elif rule.kind == "lost_response":

            async def swallow(message: Message) -> None:
                if message["type"] == "http.response.start":
                    record["handler_status"] = message["status"]

            await self.app(scope, receive, swallow)
            await _abort_connection(raw_send)


async def _run_later(app: ASGIApp, delay: float, scope: Scope, body: bytes) -> None:
    await asyncio.sleep(delay)

    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def discard(message: Message) -> None:
        return None

    await app(dict(scope), replay, discard)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
        if size > limit:
            # Too big to be a real GraphQL document; keep streaming it to the handler without parsing.
            return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _drain(receive: Receive) -> None:
    """Read the request body, so the client has finished sending when the connection goes away."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _abort_connection(send: Send) -> None:
    """Close the TCP connection without answering.

    Under uvicorn ``send`` is a bound method of the protocol's request cycle, which holds the transport;
    aborting it resets the connection, which clients see as "connection reset / remote end closed".
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        # Let uvicorn notice the lost connection, so it does not try to answer with a 500.
        await asyncio.sleep(0.01)
        return
    # Fallback for other servers: promise a body, send part of it, then fail, which closes the connection.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1048576")]})
    await send({"type": "http.response.body", "body": b"{", "more_body": True})
    raise ConnectionAbortedError("emulator fault: connection dropped")
