"""Errors of the OpenSign API, decoded from its own use of HTTP status codes.

OpenSign gives some codes meanings of its own: 405 is a bad (or other-environment) token and
401 a conflict, not an authentication failure. See reference ``opensign-api.md`` §1.3.
"""

from __future__ import annotations

from signs_provider.common.errors import SignsApiError


class OpenSignApiError(SignsApiError):
    """OpenSign answered with an error; ``api_message`` is its ``error`` text."""


class OpenSignAuthError(OpenSignApiError):
    """HTTP 405 ``Invalid API Token!``: a wrong or revoked token, or a token of another environment."""


class OpenSignConflictError(OpenSignApiError):
    """HTTP 401: the object already exists (duplicate contact email or webhook URL).

    :ivar existing_id: the ``objectId`` of the existing object when OpenSign returns it.
    """

    def __init__(self, message: str, *, status: int | None = None, api_message: str | None = None,
                 existing_id: str | None = None) -> None:
        super().__init__(message, status=status, api_message=api_message)
        self.existing_id = existing_id


class OpenSignNotFoundError(OpenSignApiError):
    """HTTP 404: the object does not exist, or belongs to another user or environment."""


class OpenSignCreditsError(OpenSignApiError):
    """HTTP 429: the account has no API credits left to create documents."""


class OpenSignBadRequestError(OpenSignApiError):
    """HTTP 400: OpenSign refused the request, with its own message."""
