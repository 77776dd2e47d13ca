"""The emulator in a process of its own, for benchmarks that time the client.

In-process (``signs_emulator.Emulator``, a thread), the emulator shares the interpreter lock with
the client being timed: every request then waits for the server thread to hand the lock back, and
the figures measure that contention more than either side. A real API runs elsewhere; so does this.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class ExternalEmulator:
    """A running ``python -m signs_emulator``: its ``url``, ``control`` client and ``connections()``."""

    def __init__(self, url: str) -> None:
        from signs_emulator.client import ControlClient

        self.url = url
        self.control: Any = ControlClient(url)

    def connections(self) -> dict[str, str]:
        from signs_emulator.credentials import airflow_connections

        return airflow_connections(self.url)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def external_emulator(data_dir: str | Path, *extra: str) -> Iterator[ExternalEmulator]:
    """Start the emulator in a subprocess on a free loopback port; stop it on exit."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "signs_emulator",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--data-dir",
            str(data_dir),
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the emulator did not start on port {port}") from None
                time.sleep(0.05)
        emulator = ExternalEmulator(f"http://127.0.0.1:{port}")
        yield emulator
        emulator.control.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
