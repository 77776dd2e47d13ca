"""A settable clock shared by both emulated APIs, so tests can expire things without sleeping."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class Clock:
    """Wall-clock time plus an offset that the control API can advance.

    Example::

        clock = Clock()
        clock.advance(timedelta(days=8))  # every deadline in the emulator moves 8 days closer
    """

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(timezone.utc) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta():
            raise ValueError("the emulator clock only moves forward")
        with self._lock:
            self._offset += delta
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta()
