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


def test_create_once_never_resends_after_a_drop_nor_after_a_timeout() -> None:
    # A drop after the request left is as ambiguous as a timeout: a gateway may have passed it on.
    for timed_out in (False, True):

        def lost(body, timed_out=timed_out):
            raise _lost(timed_out=timed_out)

        transport = FakeTransport(lost)
        with pytest.raises(AmbiguousWriteError, match="not sent again") as info:
            session(transport, landing_wait=0.05).create_once(CREATE, {}, look=lambda: None, what="thing")
        assert info.value.timed_out is timed_out and len(transport.sent) == 1


def test_a_rate_limited_mutation_is_sent_again_and_other_failures_are_not() -> None:
    from signs_provider.common.errors import SignsApiError

    limited = {"errors": [{"message": "Too many requests", "extensions": {"response": {"statusCode": 429}}}]}
    answers = iter(
        [(429, {"errors": [{"message": "slow down"}]}), limited, {"data": {"make": {"_id": "new"}}}]
    )
    transport = FakeTransport(lambda body: next(answers))
    assert session(transport).send(CREATE, {"payload": {}}) == {"_id": "new"}
    assert len(transport.sent) == 3
    # A 429 means not applied; a 500 may mean applied: sent once.
    transport = FakeTransport(lambda body: (500, "<html>oops</html>"))
    with pytest.raises(SignsApiError, match="HTTP 500"):
        session(transport).send(CREATE, {"payload": {}})
    assert len(transport.sent) == 1
    # Rate limited for ever: the policy's attempts bound it.
    transport = FakeTransport(lambda body: (429, {"errors": [{"message": "slow down"}]}))
    with pytest.raises(SignsApiError, match="slow down"):
        session(transport).send(CREATE, {"payload": {}})
    assert len(transport.sent) == FakeTransport.policy.max_attempts


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
    # No variable is sent null "just in case" (issue 10): the first page has no "after".
    assert [body["variables"].get("after", "absent") for body, _ in transport.sent] == ["absent", "c1"]
