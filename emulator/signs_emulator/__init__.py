"""Local emulator of the OptiSigns and OpenSign APIs, for offline DAG development and tests.

Like moto for AWS: start it, point your Airflow connections at it, and your DAGs talk to an in-memory
OptiSigns account and OpenSign sandbox/live/eu environments on loopback.

From a shell::

    signs-emulator            # or: python -m signs_emulator --port 8099

From Python or a test::

    from signs_emulator import Emulator

    with Emulator() as emu:                  # a free loopback port, state in a temp dir
        os.environ.update(emu.connections()) # AIRFLOW_CONN_OPTISIGNS_DEFAULT, ...
        emu.control.add_fault("503", path="^/optisigns/graphql$", times=2)
        ...
        assert emu.control.count(path="^/optisigns/graphql$") == 3

With pytest, the ``emulator`` fixture (plugin ``signs_emulator``) gives a started, freshly reset emulator.

Needs the ``emulator`` extra (fastapi, uvicorn, python-multipart, graphql-core); importing this module does not.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signs_emulator.credentials import airflow_connections

if TYPE_CHECKING:
    from signs_emulator.client import ControlClient
    from signs_emulator.faults import FaultRule
    from signs_emulator.runtime import EmulatorRuntime

__all__ = ["Emulator"]


class Emulator:
    """Run the emulator in a background thread (uvicorn) on a loopback port, as a context manager.

    ``port=0`` (the default) picks a free port. ``asset_ready_seconds`` is how long uploaded OptiSigns assets
    stay ``converting`` (emulated time, so advancing the clock also readies them). ``faults`` are armed from
    the start and re-armed by every reset: FaultRule objects, dicts or specs like ``"kind=503,times=2"``.
    ``pessimistic=True`` serves the OptiSigns schema without every name that no trusted public document uses
    (``signs-emulator --weak-names`` lists them); ``emulator.pessimistic`` switches it while running.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        asset_ready_seconds: float = 2.0,
        faults: Iterable[FaultRule | dict[str, Any] | str] = (),
        seed: int = 0,
        data_dir: str | Path | None = None,
        webhook_timeout: float = 5.0,
        log_level: str = "warning",
        startup_timeout: float = 20.0,
        pessimistic: bool = False,
    ) -> None:
        from signs_emulator.app import EmulatorSettings

        self.settings = EmulatorSettings(
            host=host,
            port=port,
            asset_ready_seconds=asset_ready_seconds,
            faults=list(faults),
            data_dir=Path(data_dir) if data_dir is not None else None,
            seed=seed,
            webhook_timeout=webhook_timeout,
            pessimistic=pessimistic,
        )
        self.log_level = log_level
        self.startup_timeout = startup_timeout
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._runtime: EmulatorRuntime | None = None
        self._control: ControlClient | None = None
        self._port: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> Emulator:
        """Start serving; returns once the server accepts connections."""
        if self._thread is not None:
            raise RuntimeError("this Emulator is already started")
        import uvicorn

        from signs_emulator.app import build_app

        app = build_app(self.settings)
        self._runtime = app.state.emulator
        sock = socket.socket(
            socket.AF_INET6 if ":" in self.settings.host else socket.AF_INET, socket.SOCK_STREAM
        )
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.settings.host, self.settings.port))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level=self.log_level,
            access_log=False,
            lifespan="on",
            # Requests held by a "slow" fault must not keep shutdown waiting.
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="signs-emulator", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator did not start on {self.settings.host}:{self._port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and clean up (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        if self._control is not None:
            self._control.close()
        if self._runtime is not None:
            self._runtime.close()
        self._server = self._thread = self._runtime = self._control = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def pessimistic(self) -> bool:
        """Whether the OptiSigns schema is served without its weakly evidenced names."""
        return self.runtime.optisigns.pessimistic if self._runtime is not None else self.settings.pessimistic

    @pessimistic.setter
    def pessimistic(self, value: bool) -> None:
        self.settings.pessimistic = bool(value)
        if self._runtime is not None:
            self._runtime.optisigns.pessimistic = bool(value)

    # -- addresses ---------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._port is None:
            raise RuntimeError("start the Emulator first")
        host = f"[{self.settings.host}]" if ":" in self.settings.host else self.settings.host
        return f"http://{host}:{self._port}"

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("start the Emulator first")
        return self._port

    @property
    def optisigns_graphql_url(self) -> str:
        return f"{self.url}/optisigns/graphql"

    @property
    def upload_url(self) -> str:
        """The Transloadit-style upload endpoint (step 2 of the OptiSigns file upload)."""
        return f"{self.url}/transloadit/assemblies"

    @property
    def feeds_url(self) -> str:
        return f"{self.url}/feeds"

    def opensign_host(self, env: str = "sandbox") -> str:
        """What an OpenSign connection's host should be (the hook appends ``/api/v1.2``)."""
        return f"{self.url}/opensign/{env}"

    def opensign_api_url(self, env: str = "sandbox", version: str = "v1.2") -> str:
        return f"{self.opensign_host(env)}/api/{version}"

    # -- helpers -----------------------------------------------------------------------------------------
    @property
    def control(self) -> ControlClient:
        """Client of the control API (faults, request counts, clock, state, signer actions...)."""
        if self._control is None:
            from signs_emulator.client import ControlClient

            self._control = ControlClient(self.url)
        return self._control

    @property
    def runtime(self) -> EmulatorRuntime:
        """In-process access to the clock, fault registry and emulated services (same thread-safe objects
        the server uses)."""
        if self._runtime is None:
            raise RuntimeError("start the Emulator first")
        return self._runtime

    def connections(self) -> dict[str, str]:
        """``AIRFLOW_CONN_*`` environment variables (JSON) for this emulator's demo credentials."""
        return airflow_connections(self.url)

    @contextmanager
    def fault(self, kind: str, **rule: Any) -> Iterator[dict[str, Any]]:
        """Arm a fault rule for the duration of a ``with`` block (arguments as ``control.add_fault``)."""
        armed = self.control.add_fault(kind, **rule)
        try:
            yield armed
        finally:
            # The rule may already be gone, removed by a reset inside the block.
            with suppress(Exception):
                self.control.remove_fault(armed["id"])
