"""The GraphQL session: one way to send an operation, page through a list, and settle a lost write.

Each operation the client sends is an :class:`Operation` declared beside the code that sends it,
carrying its document *and* whether it may be repeated blindly (``idempotent``), so that no call
site decides it. A creating mutation goes through :meth:`GraphQLSession.create_once`, which
settles a lost answer with :func:`signs_provider.common.recovery.send_once`.

Airflow-free: the session is given a transport (or a way to get the hook's), the endpoint, the
team and the landing wait.
"""

from __future__ import annotations

import builtins
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from signs_provider.common.errors import SignsApiError, SignsConfigError
from signs_provider.common.recovery import send_once
from signs_provider.common.transport import parse_retry_after
from signs_provider.optisigns.client import evidence, rewrite
from signs_provider.optisigns.client._inputs import merge_tags, with_provider_tag
from signs_provider.optisigns.errors import OptiSignsGraphQLError

if TYPE_CHECKING:
    from signs_provider.common.transport import AsyncTransport, Reply, SyncTransport
    from signs_provider.optisigns.errors import OptiSignsApiErrors

# The first keyword of a GraphQL document says whether it may change state. Comments and
# whitespace may come first; an anonymous "{ ... }" is a query.
_OPERATION_TYPE = re.compile(r"^(?:\s|#[^\n]*\n|,)*(query|mutation|subscription|\{)")
_DECLARES_TEAM_ID = re.compile(r"\$teamId\s*:")
#: How many names one request may lose before the hook gives up repairing it.
_MAX_REPAIRS = 8

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class Operation:
    """A GraphQL document, the root field whose value it returns, and whether it may be repeated.

    Queries are always idempotent; a mutation says so where it is declared (setting a screen's
    content is, adding playlist items is not).
    """

    document: str
    field: str
    idempotent: bool


def Query(document: str, field: str) -> Operation:
    """A read: retried on network errors, 429 and 5xx."""
    return Operation(document, field, idempotent=True)


def Mutation(document: str, field: str, *, idempotent: bool) -> Operation:
    """A write; ``idempotent`` says whether sending it twice leaves the same end state."""
    return Operation(document, field, idempotent=idempotent)


def list_query(field: str, input_type: str, fields: str) -> Operation:
    """The Relay-style list query of ``field``, filtered by a ``query`` input.

    Evidence (client/evidence.py): ``first``/``after``/``pageInfo`` are trusted for ``devices`` only
    (official cookbook); elsewhere they are weak and fall back to one call. ``teamId`` is sent only
    when the connection sets a team.
    """
    return Query(
        f"query List($query: {input_type}!, $first: Int, $after: String, $teamId: String) {{\n"
        f"  {field}(query: $query, first: $first, after: $after, teamId: $teamId) {{\n"
        f"    page {{ edges {{ node {{ {fields} }} }} pageInfo {{ hasNextPage endCursor }} }}\n"
        "  }\n}",
        field,
    )


# deleteObjects serves every area (assets, playlists): deleting what is already gone leaves the same
# end state, so a retry after a lost answer is fine.
DELETE_OBJECTS = Mutation(
    "mutation DeleteObjects($payload: DeleteObjectInput!, $teamId: String) {\n"
    "  deleteObjects(payload: $payload, teamId: $teamId)\n}",
    "deleteObjects",
    idempotent=True,
)


class GraphQLSession:
    """Sends GraphQL operations to one endpoint, for one team.

    :param url: the GraphQL endpoint.
    :param errors: how the API reports failures (decodes ``data`` or raises).
    :param transport: returns the transport to send on (the hook's, built lazily).
    :param atransport: the same for the async transport (triggers); optional.
    :param team_id: sent as ``teamId`` to every operation that declares ``$teamId``.
    :param landing_wait: how long a write with a lost answer may still land
        (:func:`signs_provider.common.recovery.landing_wait`).
    :param look_interval: seconds between two looks for such a write.
    """

    def __init__(
        self,
        *,
        url: str,
        errors: OptiSignsApiErrors,
        transport: Callable[[], SyncTransport],
        atransport: Callable[[], Awaitable[AsyncTransport]] | None = None,
        team_id: str | None = None,
        landing_wait: float = 0.0,
        look_interval: float | None = None,
    ) -> None:
        self.url = url
        self.errors = errors
        self._transport = transport
        self._atransport = atransport
        self.team_id = team_id
        self.landing_wait = landing_wait
        self.look_interval = look_interval
        #: Names the API refuted (as ``Query.assets(first)``, ``AssetPage.pageInfo``,
        #: ``QueryAssetInput.tags``): never sent again by this session.
        self.refuted: set[str] = set()
        self._prepared: dict[str, str] = {}

    @property
    def transport(self) -> SyncTransport:
        return self._transport()

    # -- sending --------------------------------------------------------------------------------

    def send(self, operation: Operation, variables: Mapping[str, Any] | None = None) -> Any:
        """Run a declared operation; return the value of its root field."""
        return self.execute(operation.document, variables, idempotent=operation.idempotent, repair=True)[
            operation.field
        ]

    def execute(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        idempotent: bool,
        repair: bool = False,
    ) -> dict[str, Any]:
        """Run one GraphQL document and return its ``data`` (the body is decoded once).

        A mutation that is not idempotent is still sent again after a rate limit (429, as HTTP
        status or inside an HTTP 200): see :meth:`_send_mutation`. A request the API refuses in
        validation is repaired and sent again when the name it refuted was optional (see
        :meth:`_repair`), for the provider's own documents only (``repair``): a user's document is
        sent as written (but for ``teamId``, filled in only when the connection sets a team).
        """

        def send(body: dict[str, Any]) -> Reply:
            if idempotent:
                return self.transport.send("POST", self.url, idempotent=True, json=body)
            return self._send_mutation(body)

        return self._with_repairs(document, variables, send, self._data, repair=repair)

    def _with_repairs(
        self,
        document: str,
        variables: Mapping[str, Any] | None,
        send: Callable[[dict[str, Any]], Any],
        decode: Callable[[Any], dict[str, Any]],
        *,
        repair: bool,
    ) -> Any:
        for _ in range(_MAX_REPAIRS + 1):
            sent = self.prepared(document, repair=repair)
            body = self.body(sent, variables, repair=repair)
            try:
                return decode(send(body))
            except OptiSignsGraphQLError as exc:
                if not repair or exc.code not in rewrite.VALIDATION_CODES:
                    raise
                self._repair(document, sent, exc)
        raise SignsApiError(  # pragma: no cover - each repair drops a name of a finite document
            f"OptiSigns kept refusing names in the same request after {_MAX_REPAIRS} repairs."
        )

    # -- evidence: what is sent, and what the API refuted ---------------------------------------------

    def prepared(self, document: str, *, repair: bool = True) -> str:
        """``document`` as it is sent: without ``teamId`` when no team is set, without refuted names.

        Repairs are remembered per document for the session's life (the hook's), so a refuted
        name costs one refused request, not one per call.
        """
        known = self._prepared.get(document) if repair else None
        if known is not None:
            return known
        sent = document
        if self.team_id is None:
            # teamId is sent only when the connection sets a team (issue 10: nothing optional unasked).
            sent = rewrite.rewrite_arguments(sent, lambda field, name: name in ("teamId", "$teamId"))
        if not repair:
            return rewrite.prune_declarations(sent) if sent != document else sent
        refuted = {name.split(".", 1)[1] for name in self.refuted if name.endswith(")")}
        sent = rewrite.rewrite_arguments(sent, lambda field, name: f"{field}({name})" in refuted)
        if any(f"{field}(" in document for field in self._unpaged()):
            sent = rewrite.drop_selection(sent, "pageInfo")
        sent = rewrite.prune_declarations(sent) if sent != document else sent
        self._prepared[document] = sent
        return sent

    def _repair(self, original: str, sent: str, exc: OptiSignsGraphQLError) -> None:
        """Drop from ``original`` the optional names ``exc`` refutes, or raise what to do instead.

        A refused request was not executed, so sending the repaired one is safe even for a mutation.
        """
        repaired, progress = sent, False
        refuted: builtins.list[tuple[str, str, evidence.WeakName]] = []
        for error in exc.errors or [{"message": exc.api_message}]:
            message = str(error.get("message") if isinstance(error, dict) else error)
            name, kind = rewrite.refuted_name(message)
            if name is None:
                continue
            weak = evidence.WEAK_NAMES.get(name)
            if weak is None or weak.fallback == evidence.ESSENTIAL:
                raise rewrite.refuted(exc, name, weak.advice if weak else evidence.UNLISTED_ADVICE)
            refuted.append((name, kind, weak))
        if len(refuted) < len(exc.errors or [None]):
            raise exc  # a refusal that names no name of the table: nothing to repair
        for name, kind, weak in refuted:
            if name not in self.refuted:
                self.refuted.add(name)
                progress = True
                self._warn(name, weak)
            if kind == "argument":
                field, argument = name.split(".", 1)[1].rstrip(")").split("(")
                dropped = ("first", "after") if argument in ("first", "after") else (argument,)
                repaired = rewrite.rewrite_arguments(repaired, rewrite.argument_of(field, dropped))
                if argument in ("first", "after"):
                    # Pagination refuted: read the list in one call (the API's own page bound).
                    repaired = rewrite.drop_selection(repaired, "pageInfo")
            elif kind == "field":
                field_name = name.split(".", 1)[1]
                repaired = rewrite.drop_selection(repaired, field_name)
                if field_name == "pageInfo":
                    repaired = rewrite.rewrite_arguments(repaired, lambda f, n: n in ("first", "after"))
        if not progress and repaired == sent:
            raise exc
        self._prepared[original] = rewrite.prune_declarations(repaired)

    def _warn(self, name: str, weak: evidence.WeakName) -> None:
        team = (
            f" The connection's team_id {self.team_id!r} is not applied there: the key acts in its own team."
            if name.endswith("(teamId)") and self.team_id is not None
            else ""
        )
        log.warning(
            "OptiSigns refused %s, a name the provider used on weak evidence (%s); %s. "
            "Sending the request again without it (remembered for this connection).%s",
            name,
            weak.trust,
            weak.fallback,
            team,
        )

    def _unpaged(self) -> set[str]:
        """Root fields whose pagination the API refuted."""
        return {
            name.split(".", 1)[1].split("(")[0]
            for name in self.refuted
            if name.endswith(("(first)", "(after)"))
        }

    def dropped_filters(self, document: str, filters: Mapping[str, Any]) -> dict[str, Any]:
        """The filter keys of a list query the API refuted (applied on the client instead)."""
        input_type = rewrite.declared_variables(document).get("query")
        return {key: value for key, value in filters.items() if f"{input_type}.{key}" in self.refuted}

    def _send_mutation(self, body: dict[str, Any]) -> Reply:
        """Send a non-idempotent mutation; resend it only after a 429, honouring ``Retry-After``.

        OptiSigns answers 429 before it runs an operation, so a rate-limited mutation was not applied
        and is safe to send again ([INFERRED]: the rate limiter sits in front of the API, as its
        ``Retry-After`` suggests). The shared transport resends only idempotent requests, so this
        one decision about OptiSigns' 429 is made here, under the same retry policy. Every other
        failure is raised at once (a lost answer is settled by the caller, by looking).
        """
        transport = self.transport
        policy = transport.policy
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            reply = transport.send("POST", self.url, idempotent=False, json=body, check=False)
            if self.errors.retry_status(reply) != 429:
                self.errors.raise_for(reply, attempts=attempt)
                return reply
            wait = parse_retry_after(reply.headers.get("Retry-After"))
            if wait is None:
                wait = policy.backoff(attempt)
            if attempt >= policy.max_attempts or time.monotonic() - started + wait > policy.max_elapsed:
                self.errors.raise_for(reply, attempts=attempt)
                return reply  # pragma: no cover - raise_for raises for a 429
            log.warning(
                "POST %s: rate limited (429) on attempt %d of %d; the mutation was not applied, "
                "sending it again in %.1fs",
                self.url,
                attempt,
                policy.max_attempts,
                wait,
            )
            time.sleep(wait)

    async def aexecute(
        self, document: str, variables: Mapping[str, Any] | None = None, *, repair: bool = False
    ) -> dict[str, Any]:
        """Run a query without blocking the event loop (triggers only read); ``repair`` as in :meth:`execute`."""
        if self._atransport is None:
            raise SignsConfigError("This GraphQL session has no async transport.")
        transport = await self._atransport()
        for _ in range(_MAX_REPAIRS + 1):
            sent = self.prepared(document, repair=repair)
            try:
                reply = await transport.send(
                    "POST", self.url, idempotent=True, json=self.body(sent, variables, repair=repair)
                )
                return self._data(reply)
            except OptiSignsGraphQLError as exc:
                if not repair or exc.code not in rewrite.VALIDATION_CODES:
                    raise
                self._repair(document, sent, exc)
        raise SignsApiError(  # pragma: no cover - each repair drops a name of a finite document
            f"OptiSigns kept refusing names in the same request after {_MAX_REPAIRS} repairs."
        )

    def body(
        self, document: str, variables: Mapping[str, Any] | None, *, repair: bool = True
    ) -> dict[str, Any]:
        """The request body: only the variables ``document`` declares, without refuted input fields.

        A nullable variable whose value is ``None`` is not sent (its argument was dropped with
        it by :meth:`prepared` when it is ``teamId``; otherwise the API reads a missing variable
        as null).
        """
        declared = rewrite.declared_variables(document)
        payload_vars: dict[str, Any] = {}
        for key, value in (variables or {}).items():
            if key not in declared or (value is None and repair):
                continue
            if repair and isinstance(value, Mapping):
                value = {k: v for k, v in value.items() if f"{declared[key]}.{k}" not in self.refuted}
            payload_vars[key] = value
        if self.team_id is not None and "teamId" not in payload_vars and _DECLARES_TEAM_ID.search(document):
            payload_vars["teamId"] = self.team_id
        return {"query": document, "variables": payload_vars}

    def _data(self, reply: Reply) -> dict[str, Any]:
        # The transport checked the answer already; this reads the decoded body again (cached).
        return self.errors.data(reply)

    # -- lists ----------------------------------------------------------------------------------

    def paginate(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        connection_field: str,
        page_size: int = 100,
        repair: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Yield every node of a Relay-style list, one page at a time."""
        if page_size < 1:
            raise SignsConfigError("page_size must be at least 1.")
        after: str | None = None
        while True:
            # A list is a query: retried like any read.
            data = self.execute(
                document,
                {**(variables or {}), "first": page_size, "after": after},
                idempotent=True,
                repair=repair,
            )
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

    async def apaginate(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        connection_field: str,
        page_size: int = 500,
        repair: bool = False,
    ) -> builtins.list[dict[str, Any]]:
        """The async twin of :meth:`paginate` (queries only), returning all nodes."""
        nodes: builtins.list[dict[str, Any]] = []
        after: str | None = None
        while True:
            data = await self.aexecute(
                document, {**(variables or {}), "first": page_size, "after": after}, repair=repair
            )
            page = ((data or {}).get(connection_field) or {}).get("page") or {}
            nodes.extend(edge["node"] for edge in page.get("edges") or [])
            info = page.get("pageInfo") or {}
            cursor = info.get("endCursor")
            if not info.get("hasNextPage") or not cursor or cursor == after:
                return nodes
            after = cursor

    def list(self, query: Operation, filters: Mapping[str, Any], page_size: int = 500) -> builtins.list[Any]:
        """Every node of a list query, filtered by the API on the non-empty ``filters``."""
        query_input = {key: value for key, value in filters.items() if value not in (None, [], ())}
        nodes = list(
            self.paginate(
                query.document,
                {"query": query_input},
                connection_field=query.field,
                page_size=page_size,
                repair=True,
            )
        )
        return rewrite.filtered(nodes, self.dropped_filters(query.document, query_input))

    async def alist(self, query: Operation, filters: Mapping[str, Any]) -> builtins.list[Any]:
        query_input = {key: value for key, value in filters.items() if value not in (None, [], ())}
        nodes = await self.apaginate(
            query.document, {"query": query_input}, connection_field=query.field, repair=True
        )
        return rewrite.filtered(nodes, self.dropped_filters(query.document, query_input))

    # -- writes that must not happen twice ----------------------------------------------------------

    def create_once(
        self,
        operation: Operation,
        variables: Mapping[str, Any],
        *,
        look: Callable[[], Any],
        what: str,
    ) -> Any:
        """Send a creating mutation once; when its outcome is unknown, look for the object.

        A create is never sent twice: after a lost answer (a timeout, a dropped connection, a
        gateway error, an unreadable answer), ``look`` searches for what the request may have made
        (by name, tag or upload id), for up to the landing wait. Found: it is used. Not found:
        :class:`~signs_provider.common.errors.AmbiguousWriteError` is raised, because a gateway
        may have passed the request on and the backend may still apply it later; a retry of the
        call (or of the task) looks again first and creates it only if it is still missing.
        """
        return send_once(
            lambda: self.send(operation, variables),
            lambda: look() or None,
            what=f"creating {what}",
            wait=self.landing_wait,
            interval=self.look_interval,
            attempts=1,
            resend_after_timeout=False,
        )

    def upsert_named(
        self,
        name: str,
        tags: Iterable[str],
        path: str | None,
        *,
        find: Callable[[], Any],
        create: Operation,
        update: Operation,
        what: str,
        object_type: str,
    ) -> Any:
        """Create a named object (tags include the provider's), or merge tags and set the folder of the one found.

        Concurrent upserts of one name converge on one object: after a create, the name is looked
        up again and, if an older object of that name exists (another caller created it meanwhile),
        the one just created is deleted and the oldest is used (see :meth:`keep_oldest`).
        """
        all_tags = with_provider_tag(tags)
        existing = find()
        payload: dict[str, Any] = {"name": name, "tags": all_tags}
        if path is not None:
            payload["path"] = path
        if not existing:
            created = self.create_once(create, {"payload": payload}, look=find, what=what)
            existing = self.keep_oldest(created, find, object_type=object_type, what=what)
            if existing is created:
                return created
        merged = merge_tags(existing.get("tags"), all_tags)
        # Only what the API takes is compared: where it refused tags or path (weak evidence, see
        # client/evidence.py), an object saved without them is as good as it gets.
        input_type = rewrite.declared_variables(create.document).get("payload")
        tags_taken = f"{input_type}.tags" not in self.refuted
        path_taken = f"{input_type}.path" not in self.refuted
        tags_same = not tags_taken or merged == list(existing.get("tags") or [])
        if tags_same and (path is None or not path_taken or path == existing.get("path")):
            return existing
        payload.update(_id=existing["_id"], tags=merged)
        return self.send(update, {"payload": payload})

    def keep_oldest(self, created: Any, find: Callable[[], Any], *, object_type: str, what: str) -> Any:
        """``created``, or the oldest object ``find`` returns if that is another one (``created`` is then deleted).

        Two callers that check, then create, at the same time both create: each then finds the
        oldest of the name, and the younger one deletes its own. Both end up with the same object.
        """
        oldest = find()
        if not oldest or oldest.get("_id") == created.get("_id"):
            return created
        log.warning(
            "%s was created concurrently by another caller (%s); deleting the newer %s and using the oldest",
            what,
            oldest.get("_id"),
            created.get("_id"),
        )
        self.delete_objects([created["_id"]], object_type)
        return oldest

    def delete_objects(self, ids: builtins.list[str], object_type: str) -> None:
        """Delete objects of one type (``ASSET``, ``PLAYLIST``, ...) in one call."""
        self.send(DELETE_OBJECTS, {"payload": {"ids": ids, "type": object_type}})
