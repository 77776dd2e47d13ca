"""A real local Airflow 3 with this provider and the emulator, for trying the provider in the UI.

``make airflow`` runs this file. It starts, each in its own process group:

- the emulator of both APIs (``python -m signs_emulator``),
- the Airflow API server (the UI), scheduler, triggerer and DAG processor,

in a project-local ``AIRFLOW_HOME`` (``.airflow/local``, SQLite, LocalExecutor), with the sample
DAGs of ``dags/`` loaded, the connections they use stored in Airflow's database and pointing at the
emulator, the emulator's OpenSign (sandbox) webhook pointed at the API server's receiver
(``/signs/opensign/opensign_default/webhook``, with the secret in that connection's extra
``webhook_secret``), and the connection form's Test button enabled. When everything answers, it prints the UI
address, the login and the emulator page's address. Ctrl-C (or SIGTERM) stops everything it started,
grandchildren included.

The connections go into the metadata DB (``airflow connections import``) rather than
``AIRFLOW_CONN_*`` variables: only stored connections are listed, editable and testable in the UI,
and that is where a user looks first.

Options (``python dev/airflow_local.py --help``) and environment variables: ``AIRFLOW_LOCAL_PORT``
(UI, default 8080), ``AIRFLOW_LOCAL_EMULATOR_PORT`` (default 8099), ``AIRFLOW_LOCAL_HOME``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_HOME = REPO / ".airflow" / "local"
DEFAULT_DAGS = REPO / "dags"
DEFAULT_PORT = 8080
DEFAULT_EMULATOR_PORT = 8099
USERNAME = "admin"
# A fixed, printed password is fine here: the UI listens on loopback only and the instance is a
# throw-away development copy. Override with --password for anything else.
DEFAULT_PASSWORD = "admin"
SIMPLE_AUTH_MANAGER = "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
READY_BANNER = "Airflow is ready"

# Stopped in this order: first what starts work (scheduler), last what work talks to (API, emulator).
AIRFLOW_COMPONENTS = ("scheduler", "triggerer", "dag-processor", "api-server")


class LauncherError(Exception):
    """Something the user can fix; printed without a traceback."""


# -- processes ------------------------------------------------------------------------------------


def _parent_death_signal() -> Callable[[], None] | None:
    """A pre-exec hook that makes a child get SIGTERM if the launcher dies uncleanly (Linux only).

    libc is loaded here, in the parent: the hook runs between fork and exec, where loading a
    library could deadlock on a lock held by one of the launcher's output threads.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM))

    return hook


_DIE_WITH_PARENT = _parent_death_signal()


@dataclass
class Component:
    name: str
    process: subprocess.Popen[bytes]
    pump: threading.Thread


@dataclass
class Supervisor:
    """Starts commands in their own sessions, prefixes their output, and stops all of them."""

    out: IO[str] = field(default_factory=lambda: sys.stdout)
    components: list[Component] = field(default_factory=list)
    # Stopped first to last; components not named here go after them, in the order they started.
    stop_order: Sequence[str] = AIRFLOW_COMPONENTS
    # The last lines of each component, for launchers that wait for a line (a Celery worker's "ready").
    recent: dict[str, list[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def say(self, name: str, line: str) -> None:
        with self._lock:
            kept = self.recent.setdefault(name, [])
            kept.append(line)
            del kept[:-200]
        with self._lock, contextlib.suppress(OSError, ValueError):
            # A closed terminal or pipe must not stop the clean-up that follows.
            self.out.write(f"{name:<13}| {line}\n")
            self.out.flush()

    def start(self, name: str, argv: Sequence[str], env: dict[str, str], **popen: Any) -> Component:
        """Start ``argv``; ``popen`` passes more arguments to ``subprocess.Popen`` (``cwd``, ``user``)."""
        # A new session per component: Ctrl-C in the terminal reaches only the launcher, which then
        # stops the components in order, and killpg() reaches each component's own children.
        process = subprocess.Popen(
            list(argv),
            env=env,
            **popen,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_DIE_WITH_PARENT,
        )
        pump = threading.Thread(target=self._pump, args=(name, process), daemon=True)
        pump.start()
        component = Component(name, process, pump)
        self.components.append(component)
        return component

    def _pump(self, name: str, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in iter(process.stdout.readline, b""):
            self.say(name, raw.decode("utf-8", "replace").rstrip())

    def exited(self) -> Component | None:
        """The first component that is no longer running, if any."""
        return next((c for c in self.components if c.process.poll() is not None), None)

    def stop(self, *, grace: float = 20.0) -> list[int]:
        """Stop every component and everything it started; return the pids that needed SIGKILL."""
        import psutil  # an Airflow dependency; imported late to keep --help instant

        # Task processes run in process groups of their own (the task SDK's supervisor sets
        # that up), so remember every descendant now, before parents exit and orphans move away.
        tracked: dict[int, psutil.Process] = {}
        for component in self.components:
            with contextlib.suppress(psutil.Error):
                root = psutil.Process(component.process.pid)
                for proc in [root, *root.children(recursive=True)]:
                    tracked[proc.pid] = proc
        order = {name: i for i, name in enumerate(self.stop_order)}
        for component in sorted(self.components, key=lambda c: order.get(c.name, len(order))):
            if component.process.poll() is None:
                self.say("launcher", f"stopping {component.name}")
                _signal_group(component.process.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    component.process.wait(timeout=grace / 2)
        deadline = time.monotonic() + grace / 2
        while time.monotonic() < deadline and any(_alive(p) for p in tracked.values()):
            time.sleep(0.2)
        killed = []
        for component in self.components:
            if component.process.poll() is None:
                _signal_group(component.process.pid, signal.SIGKILL)
        for proc in tracked.values():
            if _alive(proc):
                killed.append(proc.pid)
                with contextlib.suppress(psutil.Error):
                    proc.kill()
        for component in self.components:
            with contextlib.suppress(subprocess.TimeoutExpired):
                component.process.wait(timeout=5)
            component.pump.join(timeout=5)
        return killed


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _alive(proc: Any) -> bool:
    import psutil

    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


# -- checks and HTTP ------------------------------------------------------------------------------


def check_port_free(host: str, port: int, what: str, option: str) -> None:
    """Fail with a clear message when ``port`` is taken, before anything is started."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As servers do: a port that only has closed connections in TIME_WAIT (a server that just
        # stopped) is free to use.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise LauncherError(
                f"Port {port} on {host} for the {what} is already in use ({exc.strerror}). "
                f"Stop whatever listens there (an earlier `make airflow`?) or pick another port with {option}."
            ) from None


def http_json(
    method: str, url: str, *, body: Any = None, token: str | None = None, timeout: float = 5.0
) -> tuple[int, Any]:
    """A small JSON request with the standard library (keeps the launcher free of extra imports)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def wait_until(
    what: str,
    check: Callable[[], bool],
    *,
    timeout: float,
    supervisor: Supervisor,
    interval: float = 1.0,
) -> None:
    """Poll ``check`` until it is true; fail if a component dies or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        dead = supervisor.exited()
        if dead is not None:
            raise LauncherError(
                f"{dead.name} exited with code {dead.process.returncode} while waiting for {what}; "
                f"its output is above."
            )
        try:
            if check():
                return
        except (OSError, ValueError):
            pass  # not listening yet
        if time.monotonic() > deadline:
            raise LauncherError(f"Timed out after {timeout:.0f} s waiting for {what}.")
        time.sleep(interval)


# -- Airflow set-up -------------------------------------------------------------------------------


@dataclass
class Settings:
    home: Path
    host: str
    port: int
    emulator_port: int
    emulator_url: str | None
    password: str
    dags_folder: Path
    parallelism: int
    ready_timeout: float
    autopilot_seconds: float

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def airflow_env(settings: Settings) -> dict[str, str]:
    """The environment of every Airflow process: everything this set-up relies on, set explicitly."""
    home = settings.home
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            # Never the user's own metadata DB, whatever their shell exports.
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(settings.parallelism),
            "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__CORE__AUTH_MANAGER": SIMPLE_AUTH_MANAGER,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USERNAME}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "False",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(_passwords_file(home)),
            "AIRFLOW__API__HOST": settings.host,
            "AIRFLOW__API__PORT": str(settings.port),
            # Task processes reach the Execution API through this; its default assumes port 8080.
            "AIRFLOW__API__BASE_URL": settings.url,
            # New DAG files show up within 30 s instead of Airflow's 5 minutes.
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
            "PYTHONUNBUFFERED": "1",
        }
    )
    # The sample OpenSign DAG polls every 60 s by default; locally a quicker loop is nicer to watch.
    env.setdefault("OPENSIGN_POLL_SECONDS", "5")
    # A connection in an AIRFLOW_CONN_* variable hides the stored one of the same id; the stored
    # ones are the point here (visible and editable in the UI).
    for name in list(env):
        if name.startswith("AIRFLOW_CONN_"):
            del env[name]
    return env


def _passwords_file(home: Path) -> Path:
    return home / "simple_auth_manager_passwords.json.generated"


def prepare_home(settings: Settings, env: dict[str, str], supervisor: Supervisor) -> None:
    """Create AIRFLOW_HOME, migrate the DB and set the admin password."""
    settings.home.mkdir(parents=True, exist_ok=True)
    # The simple auth manager keeps plain-text passwords in this file and generates one for each
    # user missing from it; writing ours first gives a known login.
    passwords = _passwords_file(settings.home)
    passwords.write_text(json.dumps({USERNAME: settings.password}) + "\n")
    passwords.chmod(0o600)
    supervisor.say("airflow-local", f"migrating the metadata DB in {settings.home}")
    _run_airflow(["db", "migrate"], env, "airflow db migrate")


def store_connections(connections: dict[str, str], env: dict[str, str], supervisor: Supervisor) -> list[str]:
    """Store the emulator's connections in Airflow's DB (replacing earlier ones of the same id)."""
    by_id: dict[str, Any] = {}
    for variable, value in connections.items():
        conn_id = variable.removeprefix("AIRFLOW_CONN_").lower()
        conn = json.loads(value)
        if "extra" in conn and not isinstance(conn["extra"], str):
            conn["extra_dejson"] = conn.pop("extra")
        by_id[conn_id] = conn
    fd, path = tempfile.mkstemp(prefix="signs-connections-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(by_id, file)
        _run_airflow(["connections", "import", "--overwrite", path], env, "airflow connections import")
    finally:
        os.unlink(path)
    supervisor.say("airflow-local", f"stored connections {', '.join(sorted(by_id))}")
    return sorted(by_id)


def _run_airflow(args: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "airflow", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        preexec_fn=_DIE_WITH_PARENT,
    )
    if result.returncode != 0:
        raise LauncherError(
            f"{what} failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-4000:]}"
        )


def emulator_connections(emulator_url: str) -> dict[str, str]:
    """``AIRFLOW_CONN_*`` JSON values pointing at the emulator, as the emulator package defines them."""
    from signs_emulator.credentials import airflow_connections

    return airflow_connections(emulator_url)


#: The connection whose account's webhook the launcher points at Airflow's receiver.
WEBHOOK_CONN_ID = "opensign_default"


def connect_webhook(
    emulator_url: str, settings: Settings, connections: dict[str, str], env_name: str = "sandbox"
) -> str:
    """Point the emulator's OpenSign webhook at the API server's receiver, and give ``opensign_default``
    the secret the emulator signs deliveries with (its extra ``webhook_secret``). Returns the URL.

    So that a signature in the emulator reaches Airflow as an asset event within a second, as it would
    from OpenSign with the URL registered by ``OpenSignHook.set_webhook`` and the Webhook Security Key
    copied into the connection.
    """
    from signs_provider.opensign.receiver import webhook_path  # standard library only

    control = f"{emulator_url}/_emulator/opensign/{env_name}/webhook"
    status, current = http_json("GET", control)
    if status != 200 or not isinstance(current, dict):
        raise LauncherError(f"Could not read the emulator's webhook settings: HTTP {status} {current!r}")
    secret = current.get("secret")
    if not secret:  # signing turned off in a reused emulator: turn it back on
        secret = os.urandom(32).hex()
    url = settings.url + webhook_path(WEBHOOK_CONN_ID)
    status, answer = http_json("PUT", control, body={"url": url, "secret": secret})
    if status != 200:
        raise LauncherError(f"Could not set the emulator's webhook: HTTP {status} {answer!r}")
    variable = f"AIRFLOW_CONN_{WEBHOOK_CONN_ID.upper()}"
    conn = json.loads(connections[variable])
    conn["extra"] = {**(conn.get("extra") or {}), "webhook_secret": secret}
    connections[variable] = json.dumps(conn)
    return url


def demo_credentials_lines() -> list[str]:
    """The emulator's demo key and tokens, for filling in the connection form by hand."""
    from signs_emulator.credentials import OPENSIGN_TOKENS, OPTISIGNS_DEMO_KEY

    tokens = ", ".join(f"{env}: {token}" for env, token in OPENSIGN_TOKENS.items())
    return [f"  Demo credentials: OptiSigns API key {OPTISIGNS_DEMO_KEY}; OpenSign tokens {tokens}"]


def api_token(settings: Settings) -> str:
    status, body = http_json(
        "POST", f"{settings.url}/auth/token", body={"username": USERNAME, "password": settings.password}
    )
    if status != 201 or not isinstance(body, dict):
        raise LauncherError(f"Could not log in to the API as {USERNAME!r}: HTTP {status} {body!r}")
    return str(body["access_token"])


def components_healthy(settings: Settings) -> bool:
    status, body = http_json("GET", f"{settings.url}/api/v2/monitor/health")
    if status != 200 or not isinstance(body, dict):
        return False
    parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    return all((body.get(part) or {}).get("status") == "healthy" for part in parts)


def dag_files(folder: Path) -> set[str]:
    """Python files in the DAGs folder that Airflow would parse (relative paths)."""
    ignored = ("_", ".")
    return {
        str(path.relative_to(folder))
        for path in folder.rglob("*.py")
        if not any(part.startswith(ignored) for part in path.relative_to(folder).parts)
    }


def dags_parsed(settings: Settings, token: str) -> tuple[bool, list[str], list[str]]:
    """Whether every DAG file was parsed; the DAG ids and the files with import errors."""
    status, dags = http_json("GET", f"{settings.url}/api/v2/dags?limit=1000", token=token)
    _, errors = http_json("GET", f"{settings.url}/api/v2/importErrors?limit=1000", token=token)
    if status != 200 or not isinstance(dags, dict) or not isinstance(errors, dict):
        return False, [], []
    seen = {d.get("relative_fileloc") for d in dags.get("dags", [])}
    broken = sorted({str(e.get("filename")) for e in errors.get("import_errors", [])})
    seen.update(Path(name).name for name in broken)
    seen.update(broken)
    files = dag_files(settings.dags_folder)
    done = all(name in seen or Path(name).name in seen for name in files)
    return done, sorted(d["dag_id"] for d in dags.get("dags", [])), broken


# -- main -----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(
        description="Run a local Airflow 3 (UI, scheduler, triggerer, DAG processor) with the signs "
        "provider, the sample DAGs and the API emulator. Ctrl-C stops everything."
    )
    parser.add_argument(
        "--home",
        type=Path,
        default=Path(os.environ.get("AIRFLOW_LOCAL_HOME", DEFAULT_HOME)),
        help="AIRFLOW_HOME to use (default .airflow/local; env AIRFLOW_LOCAL_HOME). Kept between runs.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("AIRFLOW_LOCAL_PORT", DEFAULT_PORT)),
        help=f"port of the UI and REST API (default {DEFAULT_PORT}; env AIRFLOW_LOCAL_PORT)",
    )
    parser.add_argument(
        "--emulator-port",
        type=int,
        default=int(os.environ.get("AIRFLOW_LOCAL_EMULATOR_PORT", DEFAULT_EMULATOR_PORT)),
        help=f"port of the emulator (default {DEFAULT_EMULATOR_PORT}; env AIRFLOW_LOCAL_EMULATOR_PORT)",
    )
    parser.add_argument(
        "--emulator-url",
        help="use an emulator that is already running at this URL instead of starting one",
    )
    parser.add_argument(
        "--password",
        default=DEFAULT_PASSWORD,
        help=f"password of the {USERNAME!r} user (default {DEFAULT_PASSWORD!r})",
    )
    parser.add_argument("--dags-folder", type=Path, default=DEFAULT_DAGS, help="DAGs folder (default dags/)")
    parser.add_argument(
        "--parallelism",
        type=int,
        default=8,
        help="task slots of the LocalExecutor (default 8; Airflow's 32 is too many for a laptop)",
    )
    parser.add_argument(
        "--autopilot-seconds",
        type=float,
        default=30.0,
        help="the emulator's OpenSign signers sign each document this many seconds after it is sent "
        "(default 30); 0 leaves signing to you, through the emulator's control API",
    )
    parser.add_argument(
        "--ready-timeout",
        type=float,
        default=240.0,
        help="seconds to wait for everything to start (default 240)",
    )
    args = parser.parse_args(argv)
    if args.parallelism < 1:
        parser.error("--parallelism must be at least 1")
    return Settings(
        home=args.home.resolve(),
        host=args.host,
        port=args.port,
        emulator_port=args.emulator_port,
        emulator_url=args.emulator_url.rstrip("/") if args.emulator_url else None,
        password=args.password,
        dags_folder=args.dags_folder.resolve(),
        parallelism=args.parallelism,
        ready_timeout=args.ready_timeout,
        autopilot_seconds=args.autopilot_seconds,
    )


def run(settings: Settings, supervisor: Supervisor, stop: threading.Event) -> None:
    """Start everything, print the banner, and return when ``stop`` is set or a component dies."""
    check_port_free(settings.host, settings.port, "Airflow UI", "--port / AIRFLOW_LOCAL_PORT")
    if settings.emulator_url is None:
        check_port_free(
            settings.host, settings.emulator_port, "emulator", "--emulator-port / AIRFLOW_LOCAL_EMULATOR_PORT"
        )
    env = airflow_env(settings)

    emulator_url = settings.emulator_url
    if emulator_url is None:
        emulator_url = f"http://{settings.host}:{settings.emulator_port}"
        argv = [sys.executable, "-m", "signs_emulator", "--host", settings.host]
        argv += ["--port", str(settings.emulator_port)]
        if settings.autopilot_seconds > 0:
            argv += ["--autopilot-seconds", f"{settings.autopilot_seconds:g}"]
        supervisor.start("emulator", argv, env)

    prepare_home(settings, env, supervisor)
    started = time.monotonic()
    wait_until(
        f"the emulator at {emulator_url}",
        lambda: http_json("GET", f"{emulator_url}/_emulator/health")[0] == 200,
        timeout=settings.ready_timeout,
        supervisor=supervisor,
    )
    connections = emulator_connections(emulator_url)
    webhook_url = connect_webhook(emulator_url, settings, connections)
    conn_ids = store_connections(connections, env, supervisor)

    for name in ("api-server", "scheduler", "triggerer", "dag-processor"):
        argv = [sys.executable, "-m", "airflow", name]
        if name == "api-server":
            argv += ["--host", settings.host, "--port", str(settings.port)]
        else:
            # Their log servers listen on every interface on fixed ports (8793, 8794), so two
            # instances would collide; with everything on one machine the API server reads the
            # log files directly.
            argv += ["--skip-serve-logs"] if name in ("scheduler", "triggerer") else []
        supervisor.start(name, argv, env)

    timeout = settings.ready_timeout

    def remaining() -> float:
        return max(1.0, timeout - (time.monotonic() - started))

    wait_until(
        "the scheduler, triggerer and DAG processor to report healthy",
        lambda: components_healthy(settings),
        timeout=remaining(),
        supervisor=supervisor,
    )
    token = api_token(settings)
    parsed: dict[str, Any] = {}

    def all_parsed() -> bool:
        done, dag_ids, broken = dags_parsed(settings, token)
        parsed.update(dag_ids=dag_ids, broken=broken)
        return done

    wait_until("the DAG processor to parse dags/", all_parsed, timeout=remaining(), supervisor=supervisor)

    lines = [
        "",
        "=" * 78,
        f"{READY_BANNER} ({time.monotonic() - started:.0f} s).",
        f"  UI and REST API:  {settings.url}    login: {USERNAME} / {settings.password}",
        f"  Emulator page:    {emulator_url}/",
        f"  Connections:      {', '.join(conn_ids)} (stored in Airflow, pointing at the emulator)",
        f"  DAGs:             {', '.join(parsed.get('dag_ids') or []) or '(none)'}",
        *demo_credentials_lines(),
        f"  OpenSign webhook: sandbox events go to {webhook_url} (the receiver; the secret is in "
        f"{WEBHOOK_CONN_ID}'s extra webhook_secret)",
    ]
    if settings.emulator_url is None:
        lines.append(
            f"  OpenSign signers: sign {settings.autopilot_seconds:g} s after a document is sent"
            if settings.autopilot_seconds > 0
            else f"  OpenSign signers: wait for you: POST {emulator_url}/_emulator/opensign/sandbox/"
            "documents/<id>/signers/<email>/sign"
        )
    if parsed.get("broken"):
        lines.append(f"  Import errors in: {', '.join(parsed['broken'])} (see Browse > DAG Import Errors)")
    lines += [
        f"  AIRFLOW_HOME:     {settings.home}",
        "  Sample DAGs start paused: tick 'Unpause on trigger' in the Trigger dialog, or use the toggle.",
        "Press Ctrl-C to stop everything.",
        "=" * 78,
    ]
    for line in lines:
        supervisor.say("airflow-local", line)

    while not stop.wait(1.0):
        dead = supervisor.exited()
        if dead is not None:
            raise LauncherError(
                f"{dead.name} exited with code {dead.process.returncode}; stopping everything."
            )


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    supervisor = Supervisor()
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():
            return
        supervisor.say("airflow-local", f"got {signal.Signals(signum).name}, stopping everything")
        stop.set()
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)

    code = 0
    try:
        run(settings, supervisor, stop)
    except KeyboardInterrupt:
        pass
    except LauncherError as exc:
        supervisor.say("airflow-local", f"ERROR: {exc}")
        code = 1
    finally:
        # Later signals must not interrupt the clean-up itself.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        killed = supervisor.stop()
        if killed:
            supervisor.say("airflow-local", f"force-killed processes that ignored SIGTERM: {killed}")
        supervisor.say("airflow-local", "stopped everything")
    return code


if __name__ == "__main__":
    sys.exit(main())
