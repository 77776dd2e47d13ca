"""OptiSignsApiErrors: the one mapping from an answer to a retry decision and a typed error."""

from __future__ import annotations

import pytest

from signs_provider.common.errors import SignsApiError
from signs_provider.common.recovery import is_ambiguous
from signs_provider.common.transport import Reply
from signs_provider.optisigns.errors import (
    OptiSignsApiErrors,
    OptiSignsAuthError,
    OptiSignsGraphQLError,
    OptiSignsScheduleOverlapError,
    OptiSignsScopeError,
)
from tests.optisigns.client.fakes import FakeResponse

ERRORS = OptiSignsApiErrors(conn_id="optisigns_default", url="https://graphql.example.com/graphql")


def _error(message: str, status: int | None = None, code: str | None = None) -> dict:
    extensions: dict = {}
    if status is not None:
        extensions["response"] = {"statusCode": status}
    if code is not None:
        extensions["code"] = code
    return {"message": message, "extensions": extensions, "path": ["field"]}


def _reply(body, status: int = 200) -> Reply:
    return Reply(FakeResponse(body, status))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({"data": {"me": {}}}, 200, 200),
        ({"errors": [_error("slow down", 429)]}, 200, 429),
        ({"errors": [_error("busy", 503), _error("busy", 502)]}, 200, 503),
        # A real error mixed with a transient one surfaces the real one.
        ({"errors": [_error("busy", 503), _error("bad input", 400)]}, 200, 200),
        ({"errors": [_error("busy", 503)], "data": {"x": 1}}, 200, 200),
        ("<html>bad gateway</html>", 502, 502),
    ],
)
def test_retry_status_reads_errors_inside_http_200(body, status, expected) -> None:
    assert ERRORS.retry_status(_reply(body, status)) == expected


def test_the_body_is_decoded_once() -> None:
    response = FakeResponse({"errors": [_error("busy", 503)]})
    reply = Reply(response)  # type: ignore[arg-type]
    ERRORS.retry_status(reply)
    with pytest.raises(OptiSignsGraphQLError):
        ERRORS.raise_for(reply, attempts=1)
    assert response.decodes == 1


@pytest.mark.parametrize(
    ("body", "status", "error", "match"),
    [
        (
            {"errors": [_error("invalid API key")]},
            401,
            OptiSignsAuthError,
            "rejected the API key.*invalid API key",
        ),
        ({"errors": [_error("invalid API key", 401)]}, 200, OptiSignsAuthError, "HTTP 401"),
        ({"errors": [_error("nope", code="UNAUTHENTICATED")]}, 200, OptiSignsAuthError, "rejected"),
        ("", 403, OptiSignsAuthError, "HTTP 403"),
        ({"errors": [_error("API_SCOPE_OFF: no")]}, 200, OptiSignsScopeError, "lacks the scope for field"),
        ({"errors": [_error("Item overlaps another")]}, 200, OptiSignsScheduleOverlapError, "overlaps"),
        ({"errors": [_error("not found", 404, "404")]}, 200, OptiSignsGraphQLError, "code 404, path field"),
        ("oops", 500, SignsApiError, "HTTP 500 after 3 attempts"),
        ("not json", 200, SignsApiError, "not JSON"),
        ({"data": None}, 200, SignsApiError, "neither data nor errors"),
    ],
)
def test_raise_for_maps_every_failure_to_a_typed_error(body, status, error, match) -> None:
    with pytest.raises(error, match=match):
        ERRORS.raise_for(_reply(body, status), attempts=3)


def test_a_successful_answer_passes_and_an_unreadable_one_is_ambiguous() -> None:
    ERRORS.raise_for(_reply({"data": {"me": {"_id": "u"}}}), attempts=1)
    with pytest.raises(SignsApiError) as info:
        ERRORS.raise_for(_reply("cut off {", 200), attempts=1)
    # A write whose answer cannot be read may have been applied: recovery looks before resending.
    assert is_ambiguous(info.value)
