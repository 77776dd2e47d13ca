"""The one way to settle a write whose answer was lost: wait for it to land, look, then decide.

Neither API takes an idempotency key, so a create or a position-addressed change that timed out,
lost its connection or met a gateway error may or may not have been applied. Both products recover
the same way, through :func:`send_once`:

1. send the write once (the transport never resends a non-idempotent request by itself);
2. if its outcome is unknown (:func:`is_ambiguous`), look for its result, and keep looking for up to
   the *landing wait* (one setting, :func:`landing_wait`: twice the request timeout, at most 60 s),
   because a backend may still apply a request after the client or a gateway gave up;
3. found: return it, nothing is sent again; not found: send again only where the caller allows it
   (a bounded number of attempts, and never after a timeout unless the caller says so), else raise
   :class:`~signs_provider.common.errors.AmbiguousWriteError` so that nothing is created twice.

Example::

    created = send_once(
        lambda: api.create(payload),
        lambda: api.find_by_name(name),
        what=f"playlist {name!r}",
        wait=landing_wait(timeout=30),
    )
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from signs_provider.common.errors import AmbiguousWriteError, SignsApiError

T = TypeVar("T")

#: The longest a write with an unknown outcome is given to show up before deciding.
MAX_LANDING_WAIT = 60.0

log = logging.getLogger(__name__)


def landing_wait(*, timeout: float, override: float | None = None) -> float:
    """How long a lost write may still take to land: ``override``, else ``min(2 * timeout, 60)``."""
    if override is not None:
        return max(0.0, override)
    return min(2 * timeout, MAX_LANDING_WAIT)


def is_ambiguous(exc: BaseException) -> bool:
    """Whether a failed non-idempotent request may nevertheless have been applied.

    A request sent without an answer, an answer that could not be read, or a 5xx (a gateway's 502 or
    504 often means the backend is still working). A 4xx means the server refused it.
    """
    if isinstance(exc, AmbiguousWriteError):
        return True
    if isinstance(exc, SignsApiError):
        return exc.status is not None and exc.status >= 500 or getattr(exc, "unreadable", False)
    return False


def settle(
    look: Callable[[], T | None],
    *,
    wait: float,
    interval: float | None = None,
    sleep: Callable[[float], None] | None = None,
) -> T | None:
    """``look()`` now, then every ``interval`` seconds until it finds something or ``wait`` is over.

    ``interval`` defaults to ``wait`` (one more look at the end), for looks that are expensive.
    """
    found = look()
    if found is not None or wait <= 0:
        return found
    step = wait if interval is None else max(0.05, interval)
    deadline = time.monotonic() + wait
    while found is None:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        (sleep or time.sleep)(min(step, left))
        found = look()
    return found


def send_once(
    send: Callable[[], T],
    look: Callable[[], T | None],
    *,
    what: str,
    wait: float,
    attempts: int = 2,
    resend_after_timeout: bool = True,
    interval: float | None = None,
    ambiguous: Callable[[BaseException], bool] = is_ambiguous,
) -> T:
    """Send a write that must not happen twice, settling a lost answer by looking.

    :param send: sends the write once and returns its result.
    :param look: the result of an earlier send if it landed, else ``None``.
    :param what: names the write in logs and errors (``"document with marker af-..."``).
    :param wait: the landing wait (see :func:`landing_wait`).
    :param attempts: sends in all; each resend only after ``look`` found nothing.
    :param resend_after_timeout: whether a send that timed out (the server may still be working on
        it) may be followed by another one once the wait is over.
    :param ambiguous: which failures leave the outcome unknown; others are raised at once.
    """
    for attempt in range(1, attempts + 1):
        try:
            return send()
        except Exception as exc:
            if not ambiguous(exc):
                raise
            failure = exc
        timed_out = isinstance(failure, AmbiguousWriteError) and failure.timed_out
        log.warning("%s: outcome unknown (%s); looking for it", what, failure)
        found = settle(look, wait=wait, interval=interval)
        if found is not None:
            log.warning("%s: the earlier attempt landed; using it rather than sending again", what)
            return found
        if attempt == attempts or (timed_out and not resend_after_timeout):
            raise _gave_up(failure, what=what, waited=wait, attempt=attempt, timed_out=timed_out)
        log.warning("%s: it did not land within %.0fs; sending it again", what, wait)
    raise AssertionError("unreachable")  # pragma: no cover


def _gave_up(
    failure: BaseException, *, what: str, waited: float, attempt: int, timed_out: bool
) -> AmbiguousWriteError:
    method = getattr(failure, "method", "POST")
    url = getattr(failure, "url", "")
    error = AmbiguousWriteError(
        f"{what}: no answer after {attempt} attempt(s) ({failure}), and it had not appeared {waited:.0f}s "
        "later. It was not sent again, so that nothing is created twice: check before retrying "
        "(a retry of the task looks for it first where it can).",
        method=method,
        url=url,
        timed_out=timed_out,
    )
    error.__cause__ = failure
    return error
