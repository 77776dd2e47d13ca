"""The one recovery helper: settle a lost write by looking, never by guessing (pure logic, no HTTP)."""

from __future__ import annotations

import pytest

from signs_provider.common.errors import AmbiguousWriteError, SignsApiError, SignsConfigError
from signs_provider.common.recovery import MAX_LANDING_WAIT, is_ambiguous, landing_wait, send_once, settle


def _lost(timed_out: bool = False) -> AmbiguousWriteError:
    return AmbiguousWriteError("lost", method="POST", url="https://api.example.com/x", timed_out=timed_out)


class Server:
    """A fake write: the first ``lose`` sends fail with ``error``; a lost send lands after ``lands_after`` looks."""

    def __init__(self, *, lose: int = 1, error: Exception | None = None, lands_after: int | None = None):
        self.lose = lose
        self.error = error or _lost()
        self.lands_after = lands_after
        self.sent = 0
        self.looks = 0
        self.created: list[str] = []

    def send(self) -> str:
        self.sent += 1
        if self.sent <= self.lose:
            raise self.error
        self.created.append(f"obj{self.sent}")
        return self.created[-1]

    def look(self) -> str | None:
        self.looks += 1
        if self.lands_after is not None and self.looks >= self.lands_after and not self.created:
            self.created.append("late")
        return self.created[0] if self.created else None


def test_landing_wait_is_twice_the_timeout_with_a_ceiling() -> None:
    assert landing_wait(timeout=5) == 10
    assert landing_wait(timeout=300) == MAX_LANDING_WAIT
    assert landing_wait(timeout=5, override=0) == 0


def test_which_failures_are_ambiguous() -> None:
    assert is_ambiguous(_lost())
    assert is_ambiguous(SignsApiError("bad gateway", status=502))
    assert not is_ambiguous(SignsApiError("refused", status=400))
    assert not is_ambiguous(SignsConfigError("title: missing"))


def test_a_write_that_answers_is_sent_once() -> None:
    server = Server(lose=0)
    assert send_once(server.send, server.look, what="x", wait=0) == "obj1"
    assert (server.sent, server.looks) == (1, 0)


def test_a_lost_write_that_landed_is_found_not_sent_again() -> None:
    server = Server(lose=1)
    server.created.append("landed")  # the lost send was applied
    assert send_once(server.send, server.look, what="x", wait=5) == "landed"
    assert server.sent == 1


def test_a_late_write_is_waited_for(monkeypatch) -> None:
    """The write lands while the helper keeps looking: it is returned, and no second send goes out."""
    server = Server(lose=1, lands_after=3)
    sleeps: list[float] = []
    monkeypatch.setattr("signs_provider.common.recovery.time.sleep", sleeps.append)
    found = send_once(server.send, server.look, what="x", wait=0.5, interval=0.1)
    assert found == "late" and server.sent == 1 and server.looks == 3 and sleeps


def test_a_write_that_never_landed_is_sent_again_after_the_wait() -> None:
    server = Server(lose=1)
    assert send_once(server.send, server.look, what="x", wait=0.05, interval=0.01) == "obj2"
    assert server.sent == 2


def test_a_timed_out_write_is_not_resent_when_the_caller_says_so() -> None:
    server = Server(lose=1, error=_lost(timed_out=True))
    with pytest.raises(AmbiguousWriteError, match="not sent again") as info:
        send_once(server.send, server.look, what="x", wait=0.01, resend_after_timeout=False)
    assert server.sent == 1 and info.value.timed_out


def test_attempts_bound_the_sends() -> None:
    server = Server(lose=5)
    with pytest.raises(AmbiguousWriteError, match="after 3 attempt"):
        send_once(server.send, server.look, what="x", wait=0, attempts=3)
    assert server.sent == 3


def test_a_refusal_is_raised_at_once_without_looking() -> None:
    server = Server(lose=1, error=SignsApiError("refused", status=400))
    with pytest.raises(SignsApiError, match="refused"):
        send_once(server.send, server.look, what="x", wait=5)
    assert server.looks == 0


def test_settle_looks_until_found_or_the_wait_is_over() -> None:
    looks = iter([None, None, "found"])
    assert settle(lambda: next(looks), wait=1, interval=0.01) == "found"
    assert settle(lambda: None, wait=0.03, interval=0.01) is None
