"""Helpers of the tests that start real servers (a local Airflow, a distributed one): wait, and check
that stopping left no process behind."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import pytest


def wait_for(what: str, check: Callable[[], Any], *, timeout: float, interval: float = 0.5) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def descendants(pid: int) -> dict[int, Any]:
    """The process ``pid`` and all its children, by pid (empty when it is gone)."""
    import psutil

    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        return {p.pid: p for p in [root, *root.children(recursive=True)]}
    return {}


def still_running(processes: dict[int, Any]) -> list[str]:
    """Those of ``processes`` that still run (zombies excepted), as ``"pid command"`` lines."""
    import psutil

    alive = []
    for proc in processes.values():
        with contextlib.suppress(psutil.Error):
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{proc.pid} {' '.join(proc.cmdline())[:120]}")
    return alive
