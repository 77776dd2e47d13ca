"""Errors of the OpenSign API, decoded from its own use of HTTP status codes.

OpenSign gives some codes meanings of its own: 405 is a bad (or other-environment) token and
401 a conflict, not an authentication failure. See reference ``opensign-api.md`` §1.3.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from airflow.sdk.exceptions import AirflowFailException

from signs_provider.common.errors import SignsApiError, SignsError

if TYPE_CHECKING:
    from signs_provider.common.transport import Reply
    from signs_provider.opensign.webhooks import OpenSignWebhookError


def __getattr__(name: str) -> object:
    # OpenSignWebhookError is defined with the webhook code (which must import without Airflow) and
    # re-exported here with the rest, on first use: importing .webhooks at every DAG parse cost more
    # than the operators themselves.
    if name == "OpenSignWebhookError":
        from signs_provider.opensign.webhooks import OpenSignWebhookError

        return OpenSignWebhookError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "OpenSignApiError",
    "OpenSignApiErrors",
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
    """OpenSign answered with an error; ``api_message`` is its ``error`` text.

    :ivar attempts: how many times the request was sent. Above 1, an earlier attempt's outcome was
        unknown (a lost answer or a 5xx), so "already exists" or "not found" may be that attempt's
        own doing.
    """

    attempts: int = 1


class OpenSignAuthError(OpenSignApiError):
    """HTTP 405 ``Invalid API Token!``: a wrong or revoked token, or a token of another environment."""


class OpenSignConflictError(OpenSignApiError):
    """HTTP 401: the object already exists (duplicate contact email or webhook URL).

    :ivar existing_id: the ``objectId`` of the existing object when OpenSign returns it.
    :ivar attempts: how many times the request was sent; above 1, an earlier attempt's outcome was
        unknown (its answer was lost or was a 5xx), so the object that "already exists" may be the one
        that attempt created.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        api_message: str | None = None,
        existing_id: str | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message, status=status, api_message=api_message)
        self.existing_id = existing_id
        self.attempts = attempts


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

    #: Read by :func:`signs_provider.common.recovery.is_ambiguous`: the request may have been applied.
    unreadable = True


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


class OpenSignApiErrors:
    """OpenSign's one status mapping (the transport's ``ApiErrors``): typed errors from its answers.

    :param conn_id: the connection, named in the 405 hint.
    :param environment: the connection's environment (a callable: it is read only when a 405 needs
        it, so a host override with an odd environment still works).
    :param host: the connection's host override, if any.
    :param hosts: the hosted environments' hosts, by environment.
    """

    def __init__(
        self, *, conn_id: str, environment: Callable[[], str], host: str | None, hosts: Mapping[str, str]
    ) -> None:
        self.conn_id = conn_id
        self.environment = environment
        self.host = host
        self.hosts = hosts

    def retry_status(self, reply: Reply) -> int:
        return reply.status_code

    def raise_for(self, reply: Reply, *, attempts: int) -> None:
        """Raise the error an answer stands for; a 2xx that is not JSON is unreadable, not a success."""
        try:
            self._raise_for(reply, attempts=attempts)
        except OpenSignApiError as exc:
            exc.attempts = attempts
            raise

    def _raise_for(self, reply: Reply, *, attempts: int) -> None:
        status = reply.status_code
        body = reply.body
        if status < 400:
            if body is None and reply.content:
                raise OpenSignInvalidResponseError(
                    f"OpenSign sent a response that is not JSON for {_where(reply)} (HTTP {status}).",
                    status=status,
                )
            return
        api_message = None
        if isinstance(body, dict):
            api_message = body.get("error") or body.get("message")
        api_message = str(api_message) if api_message else None
        said = f": {api_message}" if api_message else ""
        where = _where(reply)
        if status == 405:
            raise OpenSignAuthError(self._token_hint(said), status=status, api_message=api_message)
        if status == 401:
            existing = body.get("objectId") if isinstance(body, dict) else None
            raise OpenSignConflictError(
                f"OpenSign: already exists{said} ({where}).",
                status=status,
                api_message=api_message,
                existing_id=existing,
                attempts=attempts,
            )
        if status == 404:
            raise OpenSignNotFoundError(
                f"OpenSign: not found{said} ({where}). Objects of other users and other environments "
                f"are invisible; this connection uses {self.environment()}.",
                status=status,
                api_message=api_message,
            )
        if status == 429:
            raise OpenSignCreditsError(
                f"OpenSign: no API credits left{said} ({where}). Buy credits in OpenSign > Settings > "
                "API Token, or wait for the plan's renewal date (see get_credits()).",
                status=status,
                api_message=api_message,
            )
        if status == 400:
            raise OpenSignBadRequestError(
                f"OpenSign refused the request{said} ({where}).", status=status, api_message=api_message
            )
        tried = f" after {attempts} attempts" if attempts > 1 else ""
        raise OpenSignApiError(
            f"OpenSign answered HTTP {status}{tried}{said} ({where}).", status=status, api_message=api_message
        )

    def _token_hint(self, said: str) -> str:
        # OpenSign answers 405 "Invalid API Token!" for a token of another environment, too.
        environment = self.environment()
        other = "live" if environment != "live" else "sandbox"
        target = (
            f"the host override {self.host!r}"
            if self.host
            else f"the {environment} environment ({self.hosts[environment]})"
        )
        return (
            f"OpenSign rejected the API token of connection {self.conn_id!r} for {target} "
            f"(HTTP 405{said}). The token is wrong or revoked, or it belongs to another environment: "
            f"a sandbox token only works with environment 'sandbox' and a live token only with 'live'. "
            f"If this is a {other} token, set the connection's extra 'environment' to '{other}'."
        )


def _where(reply: Reply) -> str:
    request = getattr(reply.response, "request", None)
    return f"{request.method} {request.url}" if request is not None else "OpenSign"
