"""Polling many documents (client/polling.py): a few list pages per check, sync and async alike."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from signs_provider.opensign.hooks import OpenSignHook
from signs_provider.opensign.status import DocumentStatus, SignerProgress
from tests.opensign.conftest import (
    signer,
)


def test_states_of_many_documents_cost_a_few_list_pages(hook, send, opensign) -> None:
    sent = [send(signer(f"P{i}", f"p{i}@example.com")).document_id for i in range(12)]
    opensign.control.sign(sent[0], "p0@example.com")
    opensign.control.decline(sent[1], "p1@example.com", reason="salary")
    opensign.control.expire_document(sent[2])
    hook.delete_document(sent[3])
    opensign.control.reset_requests()
    states = hook.get_document_states(sent)
    assert states[sent[0]].status is DocumentStatus.COMPLETED
    assert states[sent[1]].status is DocumentStatus.DECLINED
    assert states[sent[1]].signers[0].progress is SignerProgress.PENDING  # details fetched for failures
    assert states[sent[2]].status is DocumentStatus.EXPIRED
    assert states[sent[3]].found is False
    assert {states[i].status for i in sent[4:]} == {DocumentStatus.IN_PROGRESS}
    paths = [r["path"].rsplit("/api/v1.2/", 1)[1] for r in opensign.control.requests()]
    # inprogress, completed, declined lists; then as many pages read as documents left to place (2):
    # GET for them (the expired one and the deleted one) and for the declined one's details.
    assert sorted(paths) == sorted(
        [
            "documentlist/inprogress",
            "documentlist/completed",
            "documentlist/declined",
            f"document/{sent[1]}",
            f"document/{sent[2]}",
            f"document/{sent[3]}",
        ]
    )
    opensign.control.reset_requests()
    assert {s.status for s in hook.get_document_states(sent[4:]).values()} == {DocumentStatus.IN_PROGRESS}
    assert opensign.control.count() == 1


def test_async_states_match_the_sync_ones(hook, send, opensign) -> None:
    import asyncio

    sent = [send().document_id, "doesNotExist"]
    opensign.control.sign(sent[0], "ada@example.com")

    async def poll():
        async_hook = OpenSignHook()
        try:
            return await async_hook.aget_document_states(sent)
        finally:
            await async_hook.aclose()

    states = asyncio.run(poll())
    assert states == hook.get_document_states(sent)
    assert states[sent[0]].status is DocumentStatus.COMPLETED and not states[sent[1]].found


def _item(minutes_ago: float) -> dict:
    moment = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return {"objectId": "x", "updatedAt": moment.isoformat().replace("+00:00", "Z")}


def test_a_search_stops_early_only_on_a_sorted_page_wholly_older_than_the_bound() -> None:
    from signs_provider.opensign.client import polling

    bound = datetime.now(timezone.utc) - timedelta(minutes=30)
    older = [_item(40), _item(50), _item(60)]
    assert polling.page_past_bound(older, bound) is True
    assert polling.page_past_bound(older, None) is False
    # One document on the page is newer than the bound: the next page may hold more.
    assert polling.page_past_bound([_item(10), _item(50)], bound) is False
    # Not newest first: the order the early stop relies on does not hold, so read on.
    assert polling.page_past_bound([_item(60), _item(40), _item(50)], bound) is False
    # A time that cannot be read proves nothing either.
    assert polling.page_past_bound([_item(40), {"objectId": "y", "updatedAt": "yesterday"}], bound) is False


def test_the_list_order_assumption_is_a_one_line_switch(monkeypatch) -> None:
    from signs_provider.opensign.client import polling

    bound = datetime.now(timezone.utc) - timedelta(minutes=30)
    monkeypatch.setattr(polling, "LISTS_NEWEST_FIRST", False)
    assert polling.page_past_bound([_item(40), _item(50)], bound) is False


# -- the poll itself, apart from HTTP: the generator answered by hand --------------------------------


def _drive(poll, answers):
    """Answer each read of ``poll`` from ``answers`` (path -> body, or -> a function of the list's
    ``skip``; lists not given are empty, documents not given unknown); returns the paths read and the states."""
    reads = []
    try:
        read = next(poll)
        while True:
            reads.append(read.path)
            answer = answers.get(read.path, {"result": []} if read.path.startswith("documentlist/") else None)
            read = poll.send(answer((read.params or {}).get("skip", 0)) if callable(answer) else answer)
    except StopIteration as done:
        return reads, done.value


def test_a_poll_stops_reading_lists_once_every_document_is_placed() -> None:
    from signs_provider.opensign.client.polling import poll_document_states

    answers = {
        "documentlist/inprogress": {"result": [{"objectId": "A", "title": "a"}, {"objectId": "C"}]},
        "documentlist/completed": {"result": [{"objectId": "B", "title": "b"}, {"objectId": "D"}]},
    }
    reads, states = _drive(poll_document_states(["A", "B", "A", "C", "D"]), answers)
    assert reads == ["documentlist/inprogress", "documentlist/completed"]  # not declined, expired, draft
    assert states["A"].status is DocumentStatus.IN_PROGRESS and states["B"].status is DocumentStatus.COMPLETED


def test_a_poll_reads_failures_and_unplaced_documents_one_by_one() -> None:
    from signs_provider.opensign.client.polling import poll_document_states

    answers = {
        "documentlist/declined": {"result": [{"objectId": "D"}]},
        "document/D": {"objectId": "D", "status": "declined", "signers": []},
    }
    reads, states = _drive(poll_document_states(["D", "GONE"]), answers)
    assert reads[-2:] == ["document/D", "document/GONE"]  # details of a failure; 404 (None) for the other
    assert states["D"].status is DocumentStatus.DECLINED
    assert states["GONE"].found is False
    # A lone document costs one GET, never a list page.
    reads, _ = _drive(poll_document_states(["D"]), answers)
    assert reads == ["document/D"]


def test_the_open_list_is_read_to_its_end_and_the_others_down_to_the_bound() -> None:
    from signs_provider.opensign.client.polling import poll_document_states

    old = [_item(60 * 24), _item(60 * 25)]  # a day old, sorted newest first
    answers = {
        # The open list: a full page (read on, however old), then a short one.
        "documentlist/inprogress": lambda skip: {"result": old if skip == 0 else []},
        # Full pages wholly older than the bound: the next page is not read.
        "documentlist/completed": lambda skip: {"result": old},
    }
    since = datetime.now(timezone.utc) - timedelta(hours=1)
    awaited = [f"P{i}" for i in range(8)]  # more than the pages read: the budget does not stop the lists
    reads, states = _drive(poll_document_states(awaited, since=since, page_size=2), answers)
    assert reads.count("documentlist/inprogress") == 2
    assert reads.count("documentlist/completed") == 1
    assert {s.found for s in states.values()} == {False}  # not in the lists: one GET each, answered 404


def _open_list(count: int):
    """``documentlist/inprogress`` of ``count`` open documents ``O0`` (newest) .. ``O{count-1}`` (oldest)."""
    return lambda skip: {"result": [{"objectId": f"O{i}"} for i in range(skip, min(skip + 500, count))]}


def test_a_poll_of_a_few_old_documents_among_thousands_leaves_the_lists_for_gets() -> None:
    """Issue 14: three awaited documents, the oldest of 5,000 open: 3 pages, then 3 GETs (was 10 pages)."""
    from signs_provider.opensign.client.polling import poll_document_states

    awaited = ["O4997", "O4998", "O4999"]
    answers = {"documentlist/inprogress": _open_list(5000)}
    answers.update({f"document/{i}": {"objectId": i, "status": "inprogress", "signers": []} for i in awaited})
    reads, states = _drive(poll_document_states(awaited), answers)
    assert reads == ["documentlist/inprogress"] * 3 + [f"document/{i}" for i in awaited]
    assert {s.status for s in states.values()} == {DocumentStatus.IN_PROGRESS}


def test_a_poll_of_many_documents_among_thousands_reads_the_open_list_once() -> None:
    """500 awaited, the oldest of 5,000 open: the open list's 10 pages, no GET (the list API's bound)."""
    from signs_provider.opensign.client.polling import poll_document_states

    awaited = [f"O{i}" for i in range(4500, 5000)]
    reads, states = _drive(poll_document_states(awaited), {"documentlist/inprogress": _open_list(5000)})
    assert reads == ["documentlist/inprogress"] * 10
    assert len(states) == 500
