"""Errors of the OptiSigns API, decoded from its GraphQL ``errors`` array."""

from __future__ import annotations

from typing import Any

from signs_provider.common.errors import SignsApiError, SignsConfigError, SignsError


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
