"""OpenSign's one status mapping (``OpenSignApiErrors``), apart from HTTP: answers built by hand."""

from __future__ import annotations

import json

import pytest
import requests

from signs_provider.common.recovery import is_ambiguous
from signs_provider.common.transport import Reply
from signs_provider.opensign.errors import (
    OpenSignApiError,
    OpenSignApiErrors,
    OpenSignAuthError,
    OpenSignBadRequestError,
    OpenSignConflictError,
    OpenSignCreditsError,
    OpenSignInvalidResponseError,
    OpenSignNotFoundError,
)
from signs_provider.opensign.hooks import ENVIRONMENT_HOSTS


def _reply(status: int, body: object = None, *, raw: bytes | None = None) -> Reply:
    response = requests.Response()
    response.status_code = status
    response._content = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    response.request = requests.Request("POST", "https://sandbox.opensignlabs.com/api/v1.2/x").prepare()
    return Reply(response)


def _errors(host: str | None = None) -> OpenSignApiErrors:
    return OpenSignApiErrors(
        conn_id="opensign_default", environment=lambda: "sandbox", host=host, hosts=ENVIRONMENT_HOSTS
    )


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (
            405,
            {"error": "Invalid API Token!"},
            OpenSignAuthError,
            "set the connection's extra 'environment' to 'live'",
        ),
        (
            401,
            {"error": "Contact already exists!", "objectId": "C1"},
            OpenSignConflictError,
            "already exists",
        ),
        (404, {"error": "Not found"}, OpenSignNotFoundError, "this connection uses sandbox"),
        (429, {"error": "Quota exceeded"}, OpenSignCreditsError, "no API credits left"),
        (400, {"error": "Please provide valid field names!"}, OpenSignBadRequestError, "valid field names"),
        (502, None, OpenSignApiError, "HTTP 502 after 3 attempts"),
    ],
)
def test_each_status_becomes_its_error(status, body, error, text) -> None:
    with pytest.raises(error, match=text) as raised:
        _errors().raise_for(_reply(status, body), attempts=3)
    assert type(raised.value) is error and raised.value.status == status
    assert is_ambiguous(raised.value) is (status >= 500)  # a gateway error may hide an applied write
    if status == 401:
        assert raised.value.existing_id == "C1"


def test_a_405_names_the_host_override_when_there_is_one() -> None:
    with pytest.raises(OpenSignAuthError, match="the host override 'https://sign.example.com'"):
        _errors(host="https://sign.example.com").raise_for(_reply(405, {}), attempts=1)


def test_an_answer_that_is_not_json_is_unreadable_and_ambiguous() -> None:
    errors = _errors()
    errors.raise_for(_reply(200, {"objectId": "D1"}), attempts=1)  # a success returns
    errors.raise_for(_reply(200), attempts=1)  # so does an empty body
    with pytest.raises(OpenSignInvalidResponseError, match="not JSON") as cut:
        errors.raise_for(_reply(200, raw=b'{"objectId": "D'), attempts=1)
    assert is_ambiguous(cut.value)
    with pytest.raises(OpenSignApiError, match="HTTP 503"):  # a proxy's HTML page: no API message
        errors.raise_for(_reply(503, raw=b"<html>Service Unavailable</html>"), attempts=1)
