"""The states of many documents for the price of a few list pages, for sensors and triggers.

:func:`poll_document_states` is written once as a generator of the reads it needs; a sync driver
(tasks) and an async one (triggers) answer them.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from signs_provider.common.times import parse_api_time
from signs_provider.opensign.client.documents import DOCUMENT_LIST, GET_DOCUMENT
from signs_provider.opensign.client.rest import MAX_PAGE_SIZE, Endpoint, RestSession, result_list
from signs_provider.opensign.errors import OpenSignNotFoundError
from signs_provider.opensign.status import DocumentState, DocumentStatus

#: Clock skew allowed between this machine and OpenSign when bounding a search by time.
CLOCK_SKEW = timedelta(minutes=15)
#: [INFERRED] ``documentlist`` pages come newest first by ``updatedAt``: the open-source server sorts
#: them so (reference opensign-api.md, list endpoints); the hosted API documents no order. Searches
#: stop early only on pages that are verifiably sorted that way and wholly older than their bound.
#: If the assumption turns out wrong, set this to False: every search then reads its lists to the end.
LISTS_NEWEST_FIRST = True
#: Where a sent document can be: a direct create and a template create go out in progress, and may
#: have been signed, declined or have expired since.
SENT_STATUSES = (
    DocumentStatus.IN_PROGRESS,
    DocumentStatus.COMPLETED,
    DocumentStatus.DECLINED,
    DocumentStatus.EXPIRED,
)
#: Order in which a batch poll scans the lists: the open set first (it holds most waited-for
#: documents), then where documents go when they leave it.
POLL_ORDER = (*SENT_STATUSES, DocumentStatus.DRAFT)


@dataclass(frozen=True)
class ListRead:
    """One ``GET`` a poll needs; ``single`` reads (``document/{id}``) may answer 404 (sent back as ``None``)."""

    endpoint: Endpoint
    ids: tuple[str, ...] = ()
    params: dict[str, Any] | None = None
    single: bool = False

    @property
    def path(self) -> str:
        return self.endpoint.path_for(*self.ids)


def poll_document_states(
    document_ids: Sequence[str],
    *,
    since: datetime | None = None,
    page_size: int = MAX_PAGE_SIZE,
    details_for: frozenset[DocumentStatus] = frozenset({DocumentStatus.DECLINED, DocumentStatus.EXPIRED}),
) -> Generator[ListRead, Any, dict[str, DocumentState]]:
    """The states of many documents, as a generator of the reads it needs (sync and async drivers share it).

    It scans the lists newest first, the open ones (``inprogress``) completely and the others
    (completed, declined, expired, draft) down to documents last updated before ``since`` less clock
    skew, and stops as soon as every id is placed. So a poll costs a few pages, however many
    documents are waited for. Ids not placed by the lists (older, deleted, another environment's)
    and documents in ``details_for`` states (for the signers' progress) get one ``GET /document``;
    so does a lone document, for which a ``GET`` is never dearer than a list page.

    The cost is bounded both ways (issue 14). The list API has no filter by id and pages of at most
    500 (``limit``): placing N documents among M open ones can take ``ceil(M / 500)`` pages of the
    open list. The lists are left as soon as the pages read reach the number of documents still
    unplaced; those then get one ``GET`` each. So a poll reads at most ``min(N, pages the lists
    need)`` pages and costs at most ``2 * N`` requests (plus the details GETs above): 1 for one
    document, 6 for 3 among 5,000 open at worst (the oldest), 10 for 500 among 5,000 open (the open
    list's 10 pages), never 500.
    Send each read's decoded JSON back into the generator; its return value maps id -> state.
    """
    wanted = list(dict.fromkeys(str(i) for i in document_ids))
    wanted_set = set(wanted)
    states: dict[str, DocumentState] = {}
    bound = since - CLOCK_SKEW if since is not None else None
    pages = 0
    # One document costs one GET however it is read, and the GET also tells who has signed.
    for status in POLL_ORDER if len(wanted) > 1 else ():
        skip = 0
        while len(states) < len(wanted_set):
            if pages >= len(wanted_set) - len(states):
                # As many pages read as documents left to place: one GET each for them costs no
                # more than the pages already spent, so the lists are left (issue 14). A poll thus
                # never costs more than twice one GET per document, however many are open.
                # The list API (v1.2 spec) filters by status only, 500 a page at most.
                break
            read = ListRead(DOCUMENT_LIST, (str(status.doctype),), {"limit": page_size, "skip": skip})
            pages += 1
            items = result_list((yield read), read.path)
            for item in items:
                document_id = str(item.get("objectId") or "")
                if document_id in wanted_set and document_id not in states:
                    states[document_id] = DocumentState.from_list_item(item, status)
            if len(items) < page_size:
                break
            # The open list is read to the end; the others only as far back as the wait goes (a
            # document missed there costs one GET /document below, never a wrong answer).
            if status is not DocumentStatus.IN_PROGRESS and page_past_bound(items, bound):
                break
            skip += len(items)
    for document_id in wanted:
        state = states.get(document_id)
        if state is None or (state.status in details_for and not state.signers):
            body = yield ListRead(GET_DOCUMENT, (document_id,), single=True)
            states[document_id] = (
                DocumentState.not_found(document_id)
                if body is None
                else DocumentState.from_document(body, document_id)
            )
    return states


def page_past_bound(items: Sequence[Mapping[str, Any]], bound: datetime | None) -> bool:
    """Whether a list may stop after this page: it holds nothing updated after ``bound``.

    Only when lists are assumed newest first (:data:`LISTS_NEWEST_FIRST`) and this page shows it:
    every ``updatedAt`` readable and none newer than the one before. Otherwise keep reading.
    """
    if bound is None or not LISTS_NEWEST_FIRST or not items:
        return False
    moments = [parse_api_time(item.get("updatedAt")) for item in items]
    if any(m is None for m in moments):
        return False
    known = [m for m in moments if m is not None]
    if any(later > earlier for earlier, later in zip(known, known[1:], strict=False)):
        return False  # not newest first after all: the bound proves nothing
    return known[0] < bound


class Polling:
    """Drives :func:`poll_document_states` over the REST session, sync or async (GETs only)."""

    def __init__(self, rest: RestSession) -> None:
        self.rest = rest

    def get_document_states(
        self, document_ids: Sequence[str], *, since: datetime | None = None
    ) -> dict[str, DocumentState]:
        poll = poll_document_states(document_ids, since=since)
        try:
            read = next(poll)
            while True:
                try:
                    answer = self.rest.call(read.endpoint, *read.ids, params=read.params)
                except OpenSignNotFoundError:
                    if not read.single:
                        raise
                    answer = None
                read = poll.send(answer)
        except StopIteration as done:
            return done.value

    async def aget_document_states(
        self, document_ids: Sequence[str], *, since: datetime | None = None
    ) -> dict[str, DocumentState]:
        poll = poll_document_states(document_ids, since=since)
        try:
            read = next(poll)
            while True:
                try:
                    answer = await self.rest.acall(read.endpoint, *read.ids, params=read.params)
                except OpenSignNotFoundError:
                    if not read.single:
                        raise
                    answer = None
                read = poll.send(answer)
        except StopIteration as done:
            return done.value
