"""Exceptions shared by the OptiSigns and OpenSign sides of the provider.

Every error the provider raises is a :class:`SignsError`, itself an ``AirflowException``, so a task
fails with a readable message. None of them ever carries an API key or token: messages are built
from the method, the URL (which never holds a secret) and the API's own error text.
"""

from __future__ import annotations

from airflow.sdk.exceptions import AirflowException


class SignsError(AirflowException):
    """Base class of every error raised by ``airflow-provider-signs``."""


class SignsConfigError(SignsError, ValueError):
    """Bad input or connection settings, raised before any request is sent.

    The message names the field and says how to fix it.
    """


class SignsTransportError(SignsError):
    """The request did not get an HTTP answer (connection refused or dropped, timeout).

    Raised after the retry budget is spent for idempotent requests, or at once for a
    non-idempotent request that never reached the server.
    """


class AmbiguousWriteError(SignsTransportError):
    """A non-idempotent request was sent but its outcome is unknown.

    The server may or may not have applied it (for example a timeout or a dropped
    connection after the body was sent). It is never retried blindly: the caller must
    look for the object it may have created before trying again.
    """

    def __init__(self, message: str, *, method: str, url: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        #: The client gave up waiting (the server may still be working on it), rather than the
        #: connection being dropped.
        self.timed_out = timed_out


class SignsApiError(SignsError):
    """The API answered with an error.

    :param status: the HTTP status code, or ``None`` where the API reports errors inside
        an HTTP 200 (OptiSigns GraphQL).
    :param api_message: the API's own error text, unchanged.
    """

    def __init__(self, message: str, *, status: int | None = None, api_message: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.api_message = api_message
