"""Errors of the OptiSigns API, decoded from its GraphQL ``errors`` array, and :class:`OptiSignsApiErrors`,
the one place that maps an answer to them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from signs_provider.common.errors import SignsApiError, SignsConfigError, SignsError
from signs_provider.common.transport import is_retryable_status

if TYPE_CHECKING:
    from signs_provider.common.transport import Reply


class OptiSignsAuthError(SignsApiError):
    """The API key was refused at the HTTP level (401/403)."""


class OptiSignsGraphQLError(SignsApiError):
    """OptiSigns answered with an ``errors`` array (it does so with HTTP 200).

    :ivar code: ``extensions.code`` of the first error (OptiSigns uses the HTTP code as a string).
    :ivar path: the GraphQL path of the field that failed, e.g. ``["updateDevice"]``.
    :ivar errors: the whole ``errors`` array.
    """

    def __init__(
        self,
        message: str,
        *,
        api_message: str,
        code: str | None = None,
        path: list[Any] | None = None,
        status: int | None = None,
        errors: list[Any] | None = None,
    ) -> None:
        super().__init__(message, status=status, api_message=api_message)
        self.code = code
        self.path = path
        self.errors = errors or []

    @classmethod
    def from_error(
        cls,
        api_message: str,
        *,
        code: Any = None,
        path: list[Any] | None = None,
        status: int | None = None,
        errors: list[Any] | None = None,
    ) -> OptiSignsGraphQLError:
        where = ".".join(str(p) for p in path) if path else None
        message = cls._describe(api_message, where)
        details = [f"code {code}"] if code is not None else []
        if where:
            details.append(f"path {where}")
        if len(errors or []) > 1:
            details.append(f"{len(errors or []) - 1} more error(s)")
        if details:
            message += f" ({', '.join(details)})"
        return cls(
            message,
            api_message=api_message,
            code=None if code is None else str(code),
            path=path,
            status=status,
            errors=errors,
        )

    @staticmethod
    def _describe(api_message: str, where: str | None) -> str:
        return f"OptiSigns error: {api_message}"


class OptiSignsScopeError(OptiSignsGraphQLError):
    """The API key lacks the scope for the operation (``API_SCOPE_OFF``)."""

    @staticmethod
    def _describe(api_message: str, where: str | None) -> str:
        what = where or "this operation"
        return (
            f"This OptiSigns API key lacks the scope for {what}: {api_message}. "
            "In app.optisigns.com > API Keys, edit the key and enable the needed scope "
            "(Create/Edit/Delete on the resource, or Tags), then retry."
        )


class OptiSignsScheduleOverlapError(OptiSignsGraphQLError):
    """A schedule item clashes with an existing item of the same schedule."""

    @staticmethod
    def _describe(api_message: str, where: str | None) -> str:
        return (
            f"The schedule item overlaps an item already in the schedule: {api_message}. "
            "Choose another date range or recurrence, remove the other item, or pass force=True "
            "to let the new item take priority."
        )


class OptiSignsGuessRefutedError(OptiSignsGraphQLError):
    """The API refused a name the provider used on weak evidence, and the feature cannot work without it.

    The request failed validation, so nothing was applied. :attr:`refuted` is the name as the
    emulator's ``--weak-names`` table writes it (``Mutation.pushToScreens``, ``Query.assets(first)``,
    ``QueryAssetInput.tags``); the message says what to do instead (see
    :mod:`signs_provider.optisigns.client.evidence`).
    """

    refuted: str = ""


class OptiSignsNotFoundError(SignsApiError):
    """The screen, asset, playlist or schedule does not exist (or the key's team cannot see it)."""


class UnknownScreensError(SignsConfigError):
    """Screen names, ids or tags that match no screen of the team; raised before anything is changed.

    :ivar unknown: the names, ids or tags that matched nothing.
    :ivar known: what the team does have, to pick from.
    """

    def __init__(self, message: str, *, unknown: list[str], known: list[str]) -> None:
        super().__init__(message)
        self.unknown = unknown
        self.known = known


class AssetProcessingError(SignsApiError):
    """OptiSigns could not convert an uploaded file into a playable asset."""


class OptiSignsTimeoutError(SignsError):
    """A wait (for an asset to be ready, for screens to come online) ran out of time."""


class OptiSignsApiErrors:
    """How OptiSigns reports failures: the one status mapping the transport applies to each answer.

    OptiSigns answers most errors with HTTP 200 and a GraphQL ``errors`` array, so the body is read
    here (once: :attr:`Reply.body <signs_provider.common.transport.Reply.body>` is cached) both to
    decide a retry and to raise the typed error.

    :param conn_id: named in the message of an authentication error.
    :param url: the GraphQL endpoint, named in errors.
    """

    def __init__(self, *, conn_id: str, url: str) -> None:
        self.conn_id = conn_id
        self.url = url

    def retry_status(self, reply: Reply) -> int:
        """OptiSigns reports errors inside HTTP 200: a rate limit or server error there is retried too."""
        status = reply.status_code
        if status != 200:
            return status
        body = reply.body
        errors = body.get("errors") if isinstance(body, dict) else None
        if not errors or body.get("data"):
            return status
        inner: list[int] = []
        for error in errors:
            code = (
                ((error.get("extensions") or {}).get("response") or {}).get("statusCode")
                if isinstance(error, dict)
                else None
            )
            inner.append(code if isinstance(code, int) else 0)
        # Only when every error is transient: a mix with a real error must surface that error.
        if inner and all(is_retryable_status(code) for code in inner):
            return inner[0]
        return status

    def raise_for(self, reply: Reply, *, attempts: int) -> None:
        """Raise the typed error of a failed answer (HTTP error, or GraphQL errors inside HTTP 200)."""
        status = reply.status_code
        body = reply.body
        if status < 400:
            self.data(reply)
            return
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors and status in (401, 403):
            # A refused key is an auth error however it comes, with the API's own words.
            first = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
            raise self.auth_error(status, api_message=str(first.get("message") or "") or None)
        if errors:
            # Some gateways answer errors with a non-200 status and the GraphQL shape: keep the detail.
            self.data(reply)
        tried = f" after {attempts} attempts" if attempts > 1 else ""
        if status in (401, 403):
            raise self.auth_error(status)
        raise SignsApiError(f"OptiSigns answered HTTP {status}{tried} for POST {self.url}.", status=status)

    def data(self, reply: Reply) -> dict[str, Any]:
        """The ``data`` of a GraphQL answer, or the typed error its ``errors`` array stands for."""
        body = reply.body
        if not isinstance(body, dict):
            error = SignsApiError(
                f"OptiSigns sent a response that is not JSON (HTTP {reply.status_code}) from {self.url}.",
                status=reply.status_code,
            )
            # A write whose answer cannot be read may have been applied (see common.recovery).
            error.unreadable = True  # type: ignore[attr-defined]
            raise error
        errors = body.get("errors")
        if errors:
            first: dict[str, Any] = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
            message = str(first.get("message") or "unknown error")
            extensions = first.get("extensions") or {}
            code = extensions.get("code")
            path = first.get("path")
            status = (extensions.get("response") or {}).get("statusCode")
            scope_off = any("API_SCOPE_OFF" in str(e) for e in errors)
            if not scope_off and (status in (401, 403) or str(code) in ("401", "403", "UNAUTHENTICATED")):
                # The key itself was refused, inside an HTTP 200 ([INFERRED]: OptiSigns' HTTP status for
                # a bad key is undocumented; both forms get the same error).
                raise self.auth_error(status if isinstance(status, int) else 401, api_message=message)
            cls: type[OptiSignsGraphQLError] = OptiSignsGraphQLError
            if scope_off:
                cls = OptiSignsScopeError
            elif "overlap" in message.lower():
                cls = OptiSignsScheduleOverlapError
            raise cls.from_error(message, code=code, path=path, status=status, errors=errors)
        data = body.get("data")
        if data is None:
            raise SignsApiError("OptiSigns answered with neither data nor errors.", status=reply.status_code)
        return data  # type: ignore[no-any-return]

    def auth_error(self, status: int, api_message: str | None = None) -> OptiSignsAuthError:
        said = f": {api_message}" if api_message else ""
        return OptiSignsAuthError(
            f"OptiSigns rejected the API key of connection {self.conn_id!r} (HTTP {status}{said}). "
            "Check the key in the connection's password field and that it has not been revoked.",
            status=status,
            api_message=api_message,
        )
