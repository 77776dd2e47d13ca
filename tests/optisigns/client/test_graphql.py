"""The GraphQL session, against a fake transport: idempotency per operation, teamId, create-once."""

from __future__ import annotations

import pytest

from signs_provider.common.errors import AmbiguousWriteError
from signs_provider.optisigns.client import assets, delivery, playlists, schedules, screens
from signs_provider.optisigns.client.graphql import DELETE_OBJECTS, Mutation, Operation, Query
from tests.optisigns.client.fakes import FakeTransport, session

CREATE = Mutation(
    "mutation Make($payload: X!, $teamId: String) { make(payload: $payload) { _id } }",
    "make",
    idempotent=False,
)


def _lost(timed_out: bool) -> AmbiguousWriteError:
    return AmbiguousWriteError("no answer", method="POST", url="u", timed_out=timed_out)


def test_each_operation_declares_whether_it_may_be_repeated() -> None:
    declared = {
        name: value
        for module in (assets, delivery, playlists, schedules, screens)
        for name, value in vars(module).items()
        if isinstance(value, Operation)
    }
    idempotent = {name for name, op in declared.items() if op.idempotent}
    # Creates and position-addressed changes are sent once; reads and set-to-a-value writes may repeat.
    assert {"CREATE_ASSET", "CREATE_PLAYLIST", "CREATE_SCHEDULE", "ADD_SCHEDULE_ITEM", "PUSH_LATER"} <= (
        set(declared) - idempotent
    )
    assert {"ADD_ITEMS", "REMOVE_ITEMS", "MOVE_ITEMS"} <= set(declared) - idempotent
    assert {"UPDATE_ASSET", "UPDATE_PLAYLIST", "UPDATE_DEVICE", "PUSH_NOW", "UPDATE_ITEMS"} <= idempotent
    assert all(op.idempotent for name, op in declared.items() if name.endswith("_QUERY"))
    assert DELETE_OBJECTS.idempotent


def test_send_passes_the_operations_idempotency_and_returns_its_field() -> None:
    transport = FakeTransport(lambda body: {"data": {"make": {"_id": "new"}, "me": None}})
    graphql = session(transport, team_id="7")
    assert graphql.send(CREATE, {"payload": {}}) == {"_id": "new"}
    assert graphql.send(Query("query Q { me { _id } }", "me")) is None
    (first, first_idempotent), (second, second_idempotent) = transport.sent
    assert (first_idempotent, second_idempotent) == (False, True)
    # teamId goes only to documents that declare it.
    assert first["variables"] == {"payload": {}, "teamId": "7"}
    assert second["variables"] == {}


def test_create_once_uses_what_a_lost_create_made() -> None:
    calls = []

    def answer(body):
        calls.append(body)
        raise _lost(timed_out=False)

    graphql = session(FakeTransport(answer))
    found = graphql.create_once(CREATE, {"payload": {}}, look=lambda: {"_id": "landed"}, what="thing")
    assert found == {"_id": "landed"} and len(calls) == 1


def test_create_once_resends_after_a_drop_but_not_after_a_timeout() -> None:
    answers = iter([_lost(timed_out=False), {"data": {"make": {"_id": "second"}}}])

    def answer(body):
        value = next(answers)
        if isinstance(value, Exception):
            raise value
        return value

    transport = FakeTransport(answer)
    assert session(transport).create_once(CREATE, {}, look=lambda: None, what="thing") == {"_id": "second"}
    assert len(transport.sent) == 2

    def timed_out(body):
        raise _lost(timed_out=True)

    transport = FakeTransport(timed_out)
    with pytest.raises(AmbiguousWriteError, match="not sent again") as info:
        session(transport, landing_wait=0.05).create_once(CREATE, {}, look=lambda: None, what="thing")
    assert info.value.timed_out and len(transport.sent) == 1


def test_list_drops_empty_filters_and_walks_pages() -> None:
    pages = iter(
        [
            {"edges": [{"node": {"_id": "a"}}], "pageInfo": {"hasNextPage": True, "endCursor": "c1"}},
            {"edges": [{"node": {"_id": "b"}}], "pageInfo": {"hasNextPage": False, "endCursor": "c2"}},
        ]
    )
    transport = FakeTransport(lambda body: {"data": {"devices": {"page": next(pages)}}})
    nodes = session(transport).list(screens.SCREENS_QUERY, {"tags": None, "path": "/Lobby", "deviceName": []})
    assert [n["_id"] for n in nodes] == ["a", "b"]
    assert [body["variables"]["query"] for body, _ in transport.sent] == [{"path": "/Lobby"}] * 2
    assert [body["variables"]["after"] for body, _ in transport.sent] == [None, "c1"]
