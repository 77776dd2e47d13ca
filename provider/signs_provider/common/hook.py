"""The Airflow side shared by both hooks: the connection, its secret, and the transports built on it.

What the API needs from HTTP lives in :mod:`signs_provider.common.transport` (Airflow-free); this
base only reads the connection once, registers the secret with Airflow's masker, and builds one
:class:`~signs_provider.common.transport.SyncTransport` (tasks) or
:class:`~signs_provider.common.transport.AsyncTransport` (triggers) per hook instance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseHook

from signs_provider.common.errors import SignsConfigError
from signs_provider.common.recovery import landing_wait
from signs_provider.common.transport import (
    DEFAULT_TIMEOUT,
    USER_AGENT,
    ApiErrors,
    AsyncTransport,
    RetryPolicy,
    SyncTransport,
    positive_seconds,
)

if TYPE_CHECKING:
    from airflow.sdk import Connection


class SignsHttpHook(BaseHook):
    """Base of the OptiSigns and OpenSign hooks: connection parsing and the transports.

    A subclass sets the Airflow hook attributes and supplies :attr:`base_url`,
    :meth:`_auth_headers` and :attr:`api_errors` (its one status mapping). The connection is read
    once per hook instance; reuse one hook for many calls.

    :param conn_id: the Airflow connection id.
    :param timeout: seconds per request; overrides the connection's ``timeout``.
    :param retry_policy: how reads and idempotent writes are retried.
    :param landing_wait: how long a write whose answer was lost may still take to show up before
        the hook decides (see :mod:`signs_provider.common.recovery`); default twice the timeout,
        at most 60 s.
    """

    conn_name_attr: ClassVar[str]
    default_conn_name: ClassVar[str]
    conn_type: ClassVar[str]
    hook_name: ClassVar[str]
    _secret_label: ClassVar[str] = "password"
    #: Headers that carry the credential: never sent along a redirect to another host.
    _secret_headers: ClassVar[frozenset[str]] = frozenset({"authorization"})

    def __init__(
        self,
        *,
        conn_id: str,
        timeout: float | None = None,
        retry_policy: RetryPolicy | None = None,
        landing_wait: float | None = None,
    ) -> None:
        super().__init__()
        self.conn_id = conn_id
        self._timeout_override = timeout
        self.retry_policy = retry_policy or RetryPolicy()
        if landing_wait is not None and landing_wait < 0:
            raise SignsConfigError("landing_wait must not be negative.")
        self._landing_wait_override = landing_wait
        self._connection: Connection | None = None
        self._transport: SyncTransport | None = None
        self._atransport: AsyncTransport | None = None

    # -- connection ---------------------------------------------------------------------------

    @property
    def connection(self) -> Connection:
        """The Airflow connection, read once and with its secret registered for masking."""
        if self._connection is None:
            self._connection = self._checked(self.get_connection(self.conn_id))
        return self._connection

    async def aconnection(self) -> Connection:
        """The connection, fetched without blocking the triggerer's event loop."""
        if self._connection is None:
            from airflow.providers.common.compat.connection import get_async_connection

            self._connection = self._checked(await get_async_connection(self.conn_id, hook=self))
        return self._connection

    def _checked(self, conn: Connection) -> Connection:
        if conn.conn_type and conn.conn_type.replace("-", "_") != self.conn_type:
            raise SignsConfigError(
                f"Connection {conn.conn_id!r} has type {conn.conn_type!r}, but {type(self).__name__} needs "
                f"type {self.conn_type!r}. Create the connection with conn_type {self.conn_type!r}."
            )
        if not (conn.password or "").strip():
            raise SignsConfigError(
                f"Connection {conn.conn_id!r} has no {self._secret_label}. Put it in the connection's "
                f"password field (labelled '{self._secret_label}' in the UI)."
            )
        register_secret(conn.password or "")
        return conn

    @property
    def secret(self) -> str:
        """The API key or token (checked non-empty and masked when the connection was read)."""
        return self.connection.password or ""

    def extra_field(self, name: str, default: Any = None) -> Any:
        """A field of the connection's extra: the plain key, or the legacy ``extra__<type>__<name>``."""
        extra = self.connection.extra_dejson
        for key in (name, f"extra__{self.conn_type}__{name}"):
            value = extra.get(key)
            if value not in (None, ""):
                return value
        return default

    @property
    def timeout(self) -> float:
        """Seconds to wait for each response: the hook argument, else the connection's ``timeout``."""
        if self._timeout_override is not None:
            return positive_seconds(self._timeout_override, field="timeout")
        raw = self.extra_field("timeout")
        if raw is None:
            return DEFAULT_TIMEOUT
        return positive_seconds(raw, field=f"connection {self.conn_id!r} extra 'timeout'")

    @property
    def landing_wait(self) -> float:
        """How long a write with a lost answer may still land (see the class parameters)."""
        return landing_wait(timeout=self.timeout, override=self._landing_wait_override)

    # -- what a subclass supplies -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    def _auth_headers(self) -> dict[str, str]:
        raise NotImplementedError

    @property
    def api_errors(self) -> ApiErrors:
        raise NotImplementedError

    # -- transports ---------------------------------------------------------------------------

    def _default_headers(self) -> dict[str, str]:
        return {"User-Agent": USER_AGENT, "Accept": "application/json", **self._auth_headers()}

    @property
    def transport(self) -> SyncTransport:
        """The hook's transport (one pooled session for every call of a task)."""
        if self._transport is None:
            self._transport = SyncTransport(
                headers=self._default_headers(),
                timeout=self.timeout,
                policy=self.retry_policy,
                errors=self.api_errors,
                secret_headers=self._secret_headers,
            )
        return self._transport

    async def atransport(self) -> AsyncTransport:
        """The async transport, for triggers; reads the connection without blocking."""
        if self._atransport is None:
            await self.aconnection()
            self._atransport = AsyncTransport(
                headers=self._default_headers(),
                timeout=self.timeout,
                policy=self.retry_policy,
                errors=self.api_errors,
            )
        return self._atransport

    def close(self) -> None:
        """Close the pooled connections (the hook reopens them if used again)."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    async def aclose(self) -> None:
        if self._atransport is not None:
            await self._atransport.aclose()
            self._atransport = None


def register_secret(secret: str) -> None:
    """Register ``secret`` with Airflow's masker (logs, rendered templates, XCom views)."""
    from airflow.sdk.log import mask_secret

    mask_secret(secret)
