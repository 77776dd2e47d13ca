"""Errors of the OpenSign API, decoded from its own use of HTTP status codes.

OpenSign gives some codes meanings of its own: 405 is a bad (or other-environment) token and
401 a conflict, not an authentication failure. See reference ``opensign-api.md`` §1.3.
"""

from __future__ import annotations

from airflow.sdk.exceptions import AirflowFailException

from signs_provider.common.errors import SignsApiError, SignsError

# Defined with the webhook code, which must import without Airflow; re-exported here with the rest.
from signs_provider.opensign.webhooks import OpenSignWebhookError

__all__ = [
    "OpenSignApiError",
    "OpenSignAuthError",
    "OpenSignBadRequestError",
    "OpenSignConflictError",
    "OpenSignCreditsError",
    "OpenSignDocumentFailedError",
    "OpenSignDocumentStateError",
    "OpenSignInvalidResponseError",
    "OpenSignNotFoundError",
    "OpenSignWebhookError",
]


class OpenSignApiError(SignsApiError):
    """OpenSign answered with an error; ``api_message`` is its ``error`` text."""


class OpenSignAuthError(OpenSignApiError):
    """HTTP 405 ``Invalid API Token!``: a wrong or revoked token, or a token of another environment."""


class OpenSignConflictError(OpenSignApiError):
    """HTTP 401: the object already exists (duplicate contact email or webhook URL).

    :ivar existing_id: the ``objectId`` of the existing object when OpenSign returns it.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        api_message: str | None = None,
        existing_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, api_message=api_message)
        self.existing_id = existing_id


class OpenSignNotFoundError(OpenSignApiError):
    """HTTP 404: the object does not exist, or belongs to another user or environment."""


class OpenSignCreditsError(OpenSignApiError):
    """HTTP 429, or a pre-check: the account has too few API credits to create the documents."""


class OpenSignBadRequestError(OpenSignApiError):
    """HTTP 400: OpenSign refused the request, with its own message."""


class OpenSignInvalidResponseError(OpenSignApiError):
    """OpenSign answered 2xx with a body that is not the expected JSON (cut short, or a proxy's page).

    For a create this is as ambiguous as a lost response: the document may exist.
    """


class OpenSignDocumentStateError(SignsError):
    """The document is not in a state that allows the operation (e.g. downloading before completion)."""


class OpenSignDocumentFailedError(SignsError, AirflowFailException):
    """A document being waited for was declined, expired or is gone; the task fails without retrying
    (waiting again would not change the outcome).

    :ivar result: the wait's JSON-serialisable summary (each document's status and a sentence on
        every document that did not complete).
    """

    def __init__(self, message: str, *, result: dict | None = None) -> None:
        super().__init__(message)
        self.result = result or {}
