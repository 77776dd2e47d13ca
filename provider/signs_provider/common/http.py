"""Request handling shared by the OptiSigns and OpenSign hooks.

One place holds what both APIs need from HTTP: one ``requests.Session`` per hook instance
(the connection is read once, not on every call), a timeout on every request, bounded retries
with exponential backoff and jitter that honour ``Retry-After``, a User-Agent naming the
provider, the secret registered with Airflow's masker, and an ``https://`` check.

What is retried: network errors, timeouts, 429 and 5xx, and only for reads and idempotent
writes. A non-idempotent request (an OpenSign create, a GraphQL mutation that adds something)
is sent once; if its outcome is unknown the hook raises :class:`AmbiguousWriteError` so that the
caller can look for what it may have created instead of creating it twice.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from airflow.sdk import BaseHook

from signs_provider import __version__
from signs_provider.common.errors import AmbiguousWriteError, SignsConfigError, SignsTransportError

if TYPE_CHECKING:
    import httpx
    import requests
    from airflow.sdk import Connection

DEFAULT_TIMEOUT = 30.0
USER_AGENT = f"airflow-provider-signs/{__version__}"


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine (where plain http is acceptable, e.g. the emulator)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secure_url(url: str, *, field: str) -> str:
    """Return ``url`` without a trailing slash, or raise if it could leak the credential.

    >>> require_secure_url("http://127.0.0.1:8099/optisigns/graphql", field="host")
    'http://127.0.0.1:8099/optisigns/graphql'
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SignsConfigError(
            f"{field}: {url!r} is not an absolute URL. Use a full URL such as https://api.example.com."
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise SignsConfigError(
            f"{field}: {url!r} uses plain http, which would send the credential unencrypted. "
            "Use https://, or a loopback host (127.0.0.1, localhost) for the local emulator."
        )
    return url.rstrip("/")


def is_retryable_status(status: int) -> bool:
    """429 (rate limited) and every 5xx are worth another try for an idempotent request."""
    return status == 429 or 500 <= status <= 599


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try an idempotent request.

    :param max_attempts: attempts in all, the first one included.
    :param initial_backoff: wait in seconds after the first failure; doubled each time.
    :param max_backoff: ceiling of one wait.
    :param max_elapsed: the whole budget in seconds, waits included; a ``Retry-After`` that
        would go past it ends the retries at once rather than sleeping in vain.

    Example::

        OpenSignHook(retry_policy=RetryPolicy(max_attempts=3, max_elapsed=20))
    """

    max_attempts: int = 5
    initial_backoff: float = 0.5
    max_backoff: float = 30.0
    max_elapsed: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise SignsConfigError("retry_policy.max_attempts must be at least 1.")
        if self.initial_backoff < 0 or self.max_backoff < 0 or self.max_elapsed < 0:
            raise SignsConfigError("retry_policy times must not be negative.")

    def backoff(self, attempt: int) -> float:
        """Wait after failed attempt number ``attempt`` (1-based): exponential with jitter."""
        ceiling = min(self.max_backoff, self.initial_backoff * 2 ** (attempt - 1))
        # Half fixed, half random: spreads clients out without ever retrying instantly.
        return ceiling / 2 + random.uniform(0, ceiling / 2)


NO_RETRY = RetryPolicy(max_attempts=1)


class _Attempts:
    """The retry decisions of one logical request, shared by the sync and async loops."""

    def __init__(
        self, policy: RetryPolicy, *, idempotent: bool, method: str, url: str, quote_errors: bool = True
    ) -> None:
        self.policy = policy
        self.idempotent = idempotent
        self.method = method
        self.url = url
        # False when the URL is itself a credential (pre-signed): the client library's error text
        # repeats the URL, so only the error's type is reported.
        self.quote_errors = quote_errors
        self.count = 0
        self.started = time.monotonic()
        self.log_reason = ""

    def start(self) -> None:
        self.count += 1

    def delay_after_status(self, status: int, retry_after: str | None) -> float | None:
        """Seconds to wait before trying again after an HTTP answer, or ``None`` to stop."""
        if not (self.idempotent and is_retryable_status(status)):
            return None
        wait = parse_retry_after(retry_after) if status in (429, 503) else None
        self.log_reason = f"HTTP {status}"
        return self._next_delay(wait)

    def delay_after_error(self, exc: BaseException, *, sent: bool) -> float:
        """Seconds to wait after a network error; raises when the request must not be retried."""
        kind = type(exc).__name__
        if not self.idempotent:
            if sent:
                raise AmbiguousWriteError(
                    f"{self.method} {self.url}: the request was sent but no answer came back ({kind}). "
                    "It may have been applied on the server, so it is not retried blindly.",
                    method=self.method,
                    url=self.url,
                    timed_out="Timeout" in kind,
                ) from None
            detail = f"{kind}: {exc}" if self.quote_errors else kind
            raise SignsTransportError(
                f"{self.method} {self.url}: could not connect ({detail}). Nothing was sent."
            ) from None
        self.log_reason = kind
        wait = self._next_delay(None)
        if wait is None:
            detail = f"{kind}: {exc}" if self.quote_errors else kind
            raise SignsTransportError(
                f"{self.method} {self.url} failed after {self.count} attempt(s) "
                f"in {time.monotonic() - self.started:.1f}s: {detail}"
            ) from None
        return wait

    def _next_delay(self, retry_after: float | None) -> float | None:
        if self.count >= self.policy.max_attempts:
            return None
        wait = retry_after if retry_after is not None else self.policy.backoff(self.count)
        if time.monotonic() - self.started + wait > self.policy.max_elapsed:
            return None
        return wait


class SignsHttpHook(BaseHook):
    """Base of the OptiSigns and OpenSign hooks: connection parsing and resilient requests.

    Subclasses set the Airflow hook attributes, read their own connection fields in
    :meth:`_auth_headers` and :attr:`base_url`, and turn error responses into typed errors in
    :meth:`_raise_for_response`. The connection is read once per hook instance; reuse one hook
    for many calls.
    """

    conn_name_attr: ClassVar[str]
    default_conn_name: ClassVar[str]
    conn_type: ClassVar[str]
    hook_name: ClassVar[str]

    def __init__(
        self,
        *,
        conn_id: str,
        timeout: float | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__()
        self.conn_id = conn_id
        self._timeout_override = timeout
        self.retry_policy = retry_policy or RetryPolicy()

    # -- connection ---------------------------------------------------------------------------

    @cached_property
    def connection(self) -> Connection:
        """The Airflow connection, read once and with its secret registered for masking."""
        conn = self.get_connection(self.conn_id)
        self._check_connection(conn)
        return conn

    def _check_connection(self, conn: Connection) -> None:
        if conn.conn_type and conn.conn_type.replace("-", "_") != self.conn_type:
            raise SignsConfigError(
                f"Connection {conn.conn_id!r} has type {conn.conn_type!r}, but {type(self).__name__} needs "
                f"type {self.conn_type!r}. Create the connection with conn_type {self.conn_type!r}."
            )
        if not conn.password:
            raise SignsConfigError(
                f"Connection {conn.conn_id!r} has no {self._secret_label}. Put it in the connection's "
                f"password field (labelled '{self._secret_label}' in the UI)."
            )
        register_secret(conn.password)

    _secret_label: ClassVar[str] = "password"

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

    @cached_property
    def timeout(self) -> float:
        """Seconds to wait for each response: the hook argument, else the connection's ``timeout``."""
        if self._timeout_override is not None:
            return _positive_seconds(self._timeout_override, field="timeout")
        raw = self.extra_field("timeout")
        if raw is None:
            return DEFAULT_TIMEOUT
        return _positive_seconds(raw, field=f"connection {self.conn_id!r} extra 'timeout'")

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    def _auth_headers(self) -> dict[str, str]:
        raise NotImplementedError

    def _raise_for_response(self, response: requests.Response | httpx.Response, *, attempts: int) -> None:
        """Raise a typed error for an error response; return for a success."""
        raise NotImplementedError

    def _retry_status(self, response: requests.Response | httpx.Response) -> int:
        """The status that decides a retry; an API that reports errors inside HTTP 200 overrides it."""
        return response.status_code

    def _default_headers(self) -> dict[str, str]:
        return {"User-Agent": USER_AGENT, "Accept": "application/json", **self._auth_headers()}

    @cached_property
    def session(self) -> requests.Session:
        """One ``requests.Session`` per hook: connection pooling across every call of a task."""
        import requests

        session = requests.Session()
        session.headers.update(self._default_headers())
        # Proxies and certificates from the environment still apply (trust_env stays on).
        return session

    def close(self) -> None:
        """Close the pooled connections (the hook reopens them if used again)."""
        session = self.__dict__.pop("session", None)
        if session is not None:
            session.close()

    # -- requests -----------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        data: Any = None,
        check: bool = True,
        session: requests.Session | None = None,
        label: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one logical request with the retry policy; raise typed errors when ``check``.

        ``data`` may be a zero-argument callable returning the body, so that a streamed body
        (a file, a generator) is rebuilt for each attempt. ``session`` replaces the hook's own
        (e.g. one without the API credential, for pre-signed URLs); ``label``, when given, stands for
        the URL in logs and errors, for URLs that are themselves credentials.
        """
        import requests

        attempts = _Attempts(
            self.retry_policy,
            idempotent=idempotent,
            method=method,
            url=label or url,
            quote_errors=label is None,
        )
        sender = session if session is not None else self.session
        while True:
            attempts.start()
            body = data() if callable(data) else data
            try:
                response = sender.request(method, url, data=body, timeout=self.timeout, **kwargs)
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                wait = attempts.delay_after_error(exc, sent=not _never_sent(exc))
            else:
                retry_wait = attempts.delay_after_status(
                    self._retry_status(response), response.headers.get("Retry-After")
                )
                if retry_wait is None:
                    if check:
                        self._raise_for_response(response, attempts=attempts.count)
                    return response
                response.close()
                wait = retry_wait
            self.log.warning(
                "%s %s: %s on attempt %d of %d; retrying in %.1fs",
                method,
                attempts.url,
                attempts.log_reason,
                attempts.count,
                self.retry_policy.max_attempts,
                wait,
            )
            time.sleep(wait)

    # -- async (triggers) ---------------------------------------------------------------------

    async def aconnection(self) -> Connection:
        """The connection, fetched without blocking the triggerer's event loop."""
        if "connection" not in self.__dict__:
            from airflow.providers.common.compat.connection import get_async_connection

            conn = await get_async_connection(self.conn_id, hook=self)
            self._check_connection(conn)
            self.__dict__["connection"] = conn
        return self.__dict__["connection"]

    async def _asend(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool = True,
        check: bool = True,
        **kwargs: Any,
    ) -> httpx.Response:
        """The async twin of :meth:`_send`, on httpx; for the polling triggers (reads only)."""
        import httpx

        await self.aconnection()
        client = self._async_client()
        attempts = _Attempts(self.retry_policy, idempotent=idempotent, method=method, url=url)
        while True:
            attempts.start()
            try:
                response = await client.request(method, url, **kwargs)
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                sent = not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                wait = attempts.delay_after_error(exc, sent=sent)
            else:
                retry_wait = attempts.delay_after_status(
                    self._retry_status(response), response.headers.get("Retry-After")
                )
                if retry_wait is None:
                    if check:
                        self._raise_for_response(response, attempts=attempts.count)
                    return response
                wait = retry_wait
            self.log.warning(
                "%s %s: %s on attempt %d; retrying in %.1fs",
                method,
                url,
                attempts.log_reason,
                attempts.count,
                wait,
            )
            await asyncio.sleep(wait)

    def _async_client(self) -> httpx.AsyncClient:
        client = self.__dict__.get("_aclient")
        if client is None or client.is_closed:
            import httpx

            client = httpx.AsyncClient(headers=self._default_headers(), timeout=self.timeout)
            self.__dict__["_aclient"] = client
        return client

    async def aclose(self) -> None:
        client = self.__dict__.pop("_aclient", None)
        if client is not None:
            await client.aclose()


def response_json(response: requests.Response | httpx.Response) -> Any:
    """The JSON body, or ``None`` when the body is not JSON (a proxy's HTML error page, a cut body)."""
    try:
        return response.json()
    except ValueError:
        return None


def _never_sent(exc: BaseException) -> bool:
    """Whether a requests error happened before the request left (safe to resend even a create)."""
    import requests

    if isinstance(exc, requests.ConnectTimeout):
        return True
    # urllib3 wraps "connection refused" as NewConnectionError inside the ConnectionError.
    text = repr(exc)
    return "NewConnectionError" in text or "ConnectionRefusedError" in text


def _positive_seconds(value: Any, *, field: str) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise SignsConfigError(f"{field}: {value!r} is not a number of seconds. Use e.g. 30.") from None
    if seconds <= 0:
        raise SignsConfigError(f"{field}: must be a positive number of seconds, got {value!r}.")
    return seconds


def register_secret(secret: str) -> None:
    from airflow.sdk.log import mask_secret

    mask_secret(secret)
