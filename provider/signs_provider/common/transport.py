"""The one transport under both hooks: timeouts, bounded retries, and what may be sent again.

Airflow-free on purpose (no hook, no connection): a hook builds a :class:`SyncTransport` (on
``requests``, for tasks) or an :class:`AsyncTransport` (on ``httpx``, for triggers) from its
connection, and hands it an :class:`ApiErrors` that knows how its API reports failures. The two
classes are small and share every decision through :class:`_Attempts`, the way the HTTP provider
splits ``HttpHook`` and ``HttpAsyncHook`` over shared helpers.

What is retried: network errors, timeouts, 429 and 5xx, and only for requests declared
``idempotent`` (reads, and writes that are harmless to repeat). Whether an operation is idempotent
is declared once, next to the operation (see the products' ``Mutation`` and ``Endpoint``), never at
the call site. A non-idempotent request is sent once; if its outcome is unknown the transport raises
:class:`~signs_provider.common.errors.AmbiguousWriteError`, and
:func:`~signs_provider.common.recovery.send_once` settles it by looking.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import logging
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from signs_provider import __version__
from signs_provider.common.errors import AmbiguousWriteError, SignsConfigError, SignsTransportError

if TYPE_CHECKING:
    import httpx
    import requests

DEFAULT_TIMEOUT = 30.0
USER_AGENT = f"airflow-provider-signs/{__version__}"

log = logging.getLogger(__name__)


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


def positive_seconds(value: Any, *, field: str) -> float:
    """``value`` as a positive number of seconds, or a :class:`SignsConfigError` naming ``field``."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise SignsConfigError(f"{field}: {value!r} is not a number of seconds. Use e.g. 30.") from None
    if seconds <= 0:
        raise SignsConfigError(f"{field}: must be a positive number of seconds, got {value!r}.")
    return seconds


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


class Reply:
    """One HTTP answer, its JSON body decoded at most once (by whoever asks first).

    Wraps a ``requests.Response`` or an ``httpx.Response``; ``response`` stays reachable for
    streaming (downloads).
    """

    def __init__(self, response: requests.Response | httpx.Response) -> None:
        self.response = response

    @property
    def status_code(self) -> int:
        return self.response.status_code

    @property
    def headers(self) -> Any:
        return self.response.headers

    @property
    def content(self) -> bytes:
        return self.response.content

    @cached_property
    def body(self) -> Any:
        """The JSON body, or ``None`` when it is not JSON (a proxy's HTML error page, a cut body)."""
        try:
            return self.response.json()
        except ValueError:
            return None


class ApiErrors(Protocol):
    """How one API reports failures; each product has one (its single status mapping)."""

    def retry_status(self, reply: Reply) -> int:
        """The status that decides a retry (an API reporting errors inside HTTP 200 maps them)."""

    def raise_for(self, reply: Reply, *, attempts: int) -> None:
        """Raise the product's typed error for a failed answer; return for a success."""


class _Attempts:
    """The retry decisions of one logical request, shared by the sync and async transports."""

    def __init__(self, policy: RetryPolicy, *, idempotent: bool, method: str, url: str, quote: bool) -> None:
        self.policy = policy
        self.idempotent = idempotent
        self.method = method
        self.url = url
        # False when the URL is itself a credential (pre-signed): the client library's error text
        # repeats the URL, so only the error's type is reported.
        self.quote = quote
        self.count = 0
        self.started = time.monotonic()
        self.reason = ""

    def start(self) -> None:
        self.count += 1

    def delay_after_status(self, status: int, retry_after: str | None) -> float | None:
        """Seconds to wait before trying again after an HTTP answer, or ``None`` to stop."""
        if not (self.idempotent and is_retryable_status(status)):
            return None
        wait = parse_retry_after(retry_after) if status in (429, 503) else None
        self.reason = f"HTTP {status}"
        return self._next_delay(wait)

    def after_error(self, exc: BaseException, *, sent: bool) -> float | SignsTransportError:
        """Seconds to wait after a network error, or the error to raise (built outside ``except``).

        The error is returned rather than raised so that the caller raises it after leaving its
        ``except`` block: nothing of the client library's exception (whose request carries the
        credential headers) stays reachable through ``__context__``.
        """
        kind = type(exc).__name__
        detail = f"{kind}: {exc}" if self.quote else kind
        if not self.idempotent:
            if sent:
                return AmbiguousWriteError(
                    f"{self.method} {self.url}: the request was sent but no answer came back ({kind}). "
                    "It may have been applied on the server, so it is not retried blindly.",
                    method=self.method,
                    url=self.url,
                    timed_out="Timeout" in kind,
                )
            return SignsTransportError(
                f"{self.method} {self.url}: could not connect ({detail}). Nothing was sent."
            )
        self.reason = kind
        wait = self._next_delay(None)
        if wait is None:
            return SignsTransportError(
                f"{self.method} {self.url} failed after {self.count} attempt(s) "
                f"in {time.monotonic() - self.started:.1f}s: {detail}"
            )
        return wait

    def _next_delay(self, retry_after: float | None) -> float | None:
        if self.count >= self.policy.max_attempts:
            return None
        wait = retry_after if retry_after is not None else self.policy.backoff(self.count)
        if time.monotonic() - self.started + wait > self.policy.max_elapsed:
            return None
        return wait

    def log_retry(self, wait: float) -> None:
        log.warning(
            "%s %s: %s on attempt %d of %d; retrying in %.1fs",
            self.method,
            self.url,
            self.reason,
            self.count,
            self.policy.max_attempts,
            wait,
        )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: ``__cause__``/``__context__``, urllib3's ``reason``, ``args``."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for inner in (
            current.__cause__,
            current.__context__,
            getattr(current, "reason", None),
            *current.args,
        ):
            if isinstance(inner, BaseException):
                stack.append(inner)


def never_sent(exc: BaseException) -> bool:
    """Whether a client error happened before the request left (safe to resend even a create)."""
    import httpx
    import requests
    from urllib3.exceptions import NewConnectionError

    if isinstance(exc, (requests.ConnectTimeout, httpx.ConnectError, httpx.ConnectTimeout)):
        return True
    return any(isinstance(e, (NewConnectionError, ConnectionRefusedError)) for e in _causes(exc))


class _Session:
    """Builds the ``requests.Session`` of a :class:`SyncTransport` (imported lazily)."""

    @staticmethod
    def make(headers: dict[str, str], secret_headers: frozenset[str]) -> requests.Session:
        import requests

        class _Session(requests.Session):
            # requests strips only Authorization when a redirect leaves the host; the API's own
            # credential headers (x-api-token) must never follow a redirect elsewhere either.
            def rebuild_auth(self, prepared_request: Any, response: Any) -> None:
                super().rebuild_auth(prepared_request, response)
                if self.should_strip_auth(response.request.url, prepared_request.url):
                    for name in secret_headers:
                        prepared_request.headers.pop(name, None)

        session = _Session()
        session.headers.update(headers)
        # requests reads the environment (proxies, CA bundle, ~/.netrc) on every request when
        # trust_env is on: a third of a call's own time. The transport reads it once instead
        # (see SyncTransport._environment), and ~/.netrc no longer replaces the API's credential.
        session.trust_env = False
        return session


#: What :meth:`SyncTransport._send_prepared` takes; any other ``requests`` argument goes the long way.
_PREPARED_KWARGS = frozenset({"json", "params", "headers", "stream", "proxies", "verify"})


class SyncTransport:
    """Requests on ``requests``: one pooled session, the retry policy, and typed errors.

    :param headers: sent with every request (User-Agent, credential, ...).
    :param secret_headers: names of the headers that carry the credential (never redirected).
    :param errors: the API's :class:`ApiErrors`.
    """

    def __init__(
        self,
        *,
        headers: dict[str, str],
        timeout: float,
        policy: RetryPolicy,
        errors: ApiErrors,
        secret_headers: frozenset[str] = frozenset({"authorization"}),
    ) -> None:
        self.headers = headers
        self.timeout = timeout
        self.policy = policy
        self.errors = errors
        self.secret_headers = secret_headers
        self._session: requests.Session | None = None
        self._environments: dict[tuple[str, str], dict[str, Any]] = {}
        # (method, url, per-call headers) -> a request prepared without body, and its environment.
        self._templates: dict[tuple[Any, ...], tuple[requests.PreparedRequest, dict[str, Any]]] = {}

    @property
    def session(self) -> requests.Session:
        """One ``requests.Session``: connection pooling across every call of a task."""
        if self._session is None:
            self._session = _Session.make(self.headers, self.secret_headers)
        return self._session

    def close(self) -> None:
        """Close the pooled connections (reopened if the transport is used again)."""
        if self._session is not None:
            self._session.close()
            self._session = None
        self._environments.clear()
        self._templates.clear()

    def environment(self, url: str) -> dict[str, Any]:
        """Proxies and CA bundle for ``url``'s host, from the environment, read once per host.

        What ``requests`` would read on every request with ``trust_env`` on, read here at the
        transport's first request to each scheme and host: ``HTTPS_PROXY``/``HTTP_PROXY``/
        ``ALL_PROXY`` unless ``NO_PROXY`` names the host, and ``REQUESTS_CA_BUNDLE`` or
        ``CURL_CA_BUNDLE``. So a change of these variables applies to hooks made after it (each
        task makes its own), not to a hook already in use; :meth:`close` forgets them.
        """
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        found = self._environments.get(key)
        if found is None:
            from requests.utils import get_environ_proxies

            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            found = {"proxies": get_environ_proxies(url), "verify": bundle or True}
            self._environments[key] = found
        return found

    def send(
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
    ) -> Reply:
        """Send one logical request under the retry policy; raise typed errors when ``check``.

        ``data`` may be a zero-argument callable returning the body, so that a streamed body is
        rebuilt for each attempt. ``session`` replaces the transport's own (one without the
        credential, for pre-signed URLs); ``label`` stands for the URL in logs and errors, for URLs
        that are themselves credentials.
        """
        import requests

        attempts = _Attempts(
            self.policy, idempotent=idempotent, method=method, url=label or url, quote=label is None
        )
        # Our own session takes the short way unless the caller asks for what only Session.request knows.
        own = session is None and kwargs.keys() <= _PREPARED_KWARGS
        if session is None and not own:
            kwargs = {**self.environment(url), **kwargs}
        sender = self.session if session is None else session
        while True:
            attempts.start()
            body = data() if callable(data) else data
            outcome: float | SignsTransportError | None = None
            try:
                if own:
                    response = self._send_prepared(method, url, body, **kwargs)
                else:  # the caller's session (pre-signed URLs), with its own trust_env and headers
                    response = sender.request(method, url, data=body, timeout=self.timeout, **kwargs)
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                outcome = attempts.after_error(exc, sent=not never_sent(exc))
            if isinstance(outcome, SignsTransportError):
                raise outcome
            if outcome is None:
                reply = Reply(response)
                wait = attempts.delay_after_status(
                    self.errors.retry_status(reply), response.headers.get("Retry-After")
                )
                if wait is None:
                    if check:
                        self.errors.raise_for(reply, attempts=attempts.count)
                    return reply
                response.close()
                outcome = wait
            attempts.log_retry(outcome)
            time.sleep(outcome)

    def _send_prepared(
        self,
        method: str,
        url: str,
        body: Any,
        *,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        proxies: dict[str, str] | None = None,
        verify: Any = None,
    ) -> requests.Response:
        """What ``Session.request`` does, without what it redoes on every call for nothing.

        ``Session.request`` merges the session's headers, cookies, hooks and settings into each request
        through generic helpers (a typing-protocol ``isinstance`` per item, new cookie jars, the
        environment): most of a call's own time. Here the session's headers are merged once (per-call
        headers on top, ``None`` removing one, as ``requests`` does), each endpoint's request is
        prepared once (:meth:`_from_template`), and the request goes through ``Session.send``'s steps
        (:func:`_session_send`), so cookies, redirects (with :meth:`_Session.make`'s credential
        stripping), hooks and the connection pool behave as before.
        """
        session = self.session
        if params or len(session.cookies):
            # A query string, or cookies the server set: requests' own preparation, every time.
            prepared = self._prepare(method, url, headers, params)
            environment = self.environment(url)
        else:
            prepared, environment = self._from_template(method, url, headers)
        if body is not None or json is not None:
            # Prepared without a body, a POST says "Content-Length: 0": the body's own length (or
            # chunked transfer, for a stream of unknown length) replaces it, as if prepared in one go.
            if not (headers and any(name.lower() == "content-length" for name in headers)):
                prepared.headers.pop("Content-Length", None)
            prepared.prepare_body(body, None, json)
        return _session_send(
            session,
            prepared,
            timeout=self.timeout,
            stream=stream,
            verify=environment["verify"] if verify is None else verify,
            proxies=environment["proxies"] if proxies is None else proxies,
            cert=session.cert,
        )

    #: Distinct (method, URL, headers) templates kept; URLs carry object ids, so the cache is bounded.
    _MAX_TEMPLATES = 256

    def _prepare(
        self, method: str, url: str, headers: dict[str, str] | None, params: Any
    ) -> requests.PreparedRequest:
        """The request as ``requests`` prepares it, without its body: session headers merged once
        (per-call headers on top, ``None`` removing one, as ``Session.request`` does)."""
        import requests

        session = self.session
        merged: Any = session.headers
        if headers:
            merged = {**merged, **headers}
            merged = {k: v for k, v in merged.items() if v is not None}
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=method.upper(),
            url=url,
            headers=merged,
            params=params,
            cookies=session.cookies,
            hooks=session.hooks,
        )
        return prepared

    def _from_template(
        self, method: str, url: str, headers: dict[str, str] | None
    ) -> tuple[requests.PreparedRequest, dict[str, Any]]:
        """A fresh request for (method, URL, headers), copied from one prepared once.

        Preparing parses and re-quotes the URL, validates every header and reads the cookie jar: the
        same work for every call to the same endpoint. The copy has its own headers (a redirect's
        credential stripping changes only the copy), the session's cookie jar and hooks as
        ``prepare`` sets them; only taken while the jar is empty (a template holds no Cookie
        header) and without query parameters. The body is prepared on the copy.
        """
        import requests

        key = (method, url, tuple(headers.items()) if headers else None)
        found = self._templates.get(key)
        if found is None:
            if len(self._templates) >= self._MAX_TEMPLATES:
                self._templates.clear()
            found = (self._prepare(method, url, headers, None), self.environment(url))
            self._templates[key] = found
        template, environment = found
        prepared = requests.PreparedRequest()
        prepared.method = template.method
        prepared.url = template.url
        prepared.headers = template.headers.copy()
        prepared._cookies = self.session.cookies  # type: ignore[attr-defined]  # as prepare_cookies sets it
        prepared.body = template.body
        prepared.prepare_hooks(self.session.hooks)
        return prepared, environment


def _session_send(
    session: requests.Session, prepared: requests.PreparedRequest, **kwargs: Any
) -> requests.Response:
    """``session.send(prepared, allow_redirects=True, **kwargs)`` (requests 2.x), its steps in order,
    without the two that do nothing on a plain answer.

    Persisting cookies and resolving redirects are skipped only when the answer has no
    ``Set-Cookie``, is no redirect and has no history (a response hook may add some); otherwise they
    run as ``Session.send`` runs them (with :meth:`_Session.make`'s credential stripping on redirects).
    """
    from requests.cookies import extract_cookies_to_jar
    from requests.hooks import dispatch_hook

    adapter = session.get_adapter(url=prepared.url or "")
    started = time.perf_counter()
    response = adapter.send(prepared, **kwargs)
    response.elapsed = timedelta(seconds=time.perf_counter() - started)
    response = dispatch_hook("response", prepared.hooks, response, **kwargs)
    headers = response.headers
    if response.history or response.is_redirect or "set-cookie" in headers or "set-cookie2" in headers:
        for earlier in response.history:
            extract_cookies_to_jar(session.cookies, earlier.request, earlier.raw)
        extract_cookies_to_jar(session.cookies, prepared, response.raw)
        history = list(session.resolve_redirects(response, prepared, **kwargs))
        if history:
            history.insert(0, response)
            response = history.pop()
            response.history = history
    if not kwargs.get("stream"):
        response.content  # noqa: B018 - read the body now, as Session.send does
    return response


class AsyncTransport:
    """The async twin of :class:`SyncTransport` on ``httpx``, for triggers (which only read)."""

    def __init__(
        self,
        *,
        headers: dict[str, str],
        timeout: float,
        policy: RetryPolicy,
        errors: ApiErrors,
    ) -> None:
        self.headers = headers
        self.timeout = timeout
        self.policy = policy
        self.errors = errors
        self._client: httpx.AsyncClient | None = None

    def _client_now(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            import httpx

            # follow_redirects stays off (httpx's default): a redirect is never followed with the key.
            self._client = httpx.AsyncClient(headers=self.headers, timeout=self.timeout)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(
        self, method: str, url: str, *, idempotent: bool = True, check: bool = True, **kwargs: Any
    ) -> Reply:
        """Send one logical request under the retry policy (see :meth:`SyncTransport.send`)."""
        import httpx

        client = self._client_now()
        attempts = _Attempts(self.policy, idempotent=idempotent, method=method, url=url, quote=True)
        while True:
            attempts.start()
            outcome: float | SignsTransportError | None = None
            try:
                response = await client.request(method, url, **kwargs)
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                outcome = attempts.after_error(exc, sent=not never_sent(exc))
            if isinstance(outcome, SignsTransportError):
                raise outcome
            if outcome is None:
                reply = Reply(response)
                wait = attempts.delay_after_status(
                    self.errors.retry_status(reply), response.headers.get("Retry-After")
                )
                if wait is None:
                    if check:
                        self.errors.raise_for(reply, attempts=attempts.count)
                    return reply
                outcome = wait
            attempts.log_retry(outcome)
            await asyncio.sleep(outcome)
