"""A distributed Airflow 3 on one machine: CeleryExecutor, two workers that share no disk, object storage.

``make airflow-distributed`` runs this file. It starts, each in its own process group, in a fresh
temporary folder (removed when it stops, unless ``--keep``):

- PostgreSQL (the metadata DB and Celery's result backend) and Redis (Celery's broker), from
  Debian's packages, as private instances on loopback ports; the packages are installed with
  ``apt-get`` when missing and this runs as root;
- an S3-compatible object store on loopback (moto's server) with the bucket ``signs``;
- the emulator of both APIs (``python -m signs_emulator``; it signs each document after
  ``--autopilot-seconds``);
- the Airflow API server (UI), scheduler, triggerer and DAG processor, sharing one ``AIRFLOW_HOME``;
- two Celery workers, ``worker-1`` and ``worker-2``: each has its own ``AIRFLOW_HOME``, ``TMPDIR``
  and working directory, and reports its own host name (what a task instance's ``hostname`` shows),
  as two machines would. They share nothing on disk but the DAG files.

The sample DAGs write the files they hand from task to task, and archive the signed PDFs, in the
object store: the Airflow Variables ``signs_work_folder`` and ``signs_archive_folder`` (stored in
the DB) name ``s3://aws_default@signs/...``, and the connection ``aws_default`` points at the store.

When everything answers it prints the addresses and a line starting with ``READY_BANNER``; Ctrl-C
or SIGTERM stops everything, grandchildren included, in the order that lets each part finish
cleanly (scheduler and workers first, the databases last).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import airflow_local as local

REPO = local.REPO
READY_BANNER = "Distributed Airflow is ready"
BUCKET = "signs"
WORKERS = ("worker-1", "worker-2")
# S3 credentials of the local store: moto accepts any.
S3_KEY, S3_SECRET = "signs-local", "signs-local-secret"
STOP_ORDER = (
    "scheduler",
    *WORKERS,
    "triggerer",
    "dag-processor",
    "api-server",
    "emulator",
    "object-store",
    "redis",
    "postgres",
)
LauncherError = local.LauncherError


@dataclass
class Settings:
    workdir: Path | None
    keep: bool
    host: str
    port: int
    emulator_port: int
    postgres_port: int
    redis_port: int
    s3_port: int
    password: str
    dags_folder: Path
    concurrency: int
    autopilot_seconds: float
    ready_timeout: float

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def s3_url(self) -> str:
        return f"http://{self.host}:{self.s3_port}"


# -- Debian packages ------------------------------------------------------------------------------


def _apt_install(packages: Sequence[str], say: Any) -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise LauncherError(
            f"Needs {', '.join(packages)} from Debian's packages: run `sudo apt-get install -y "
            f"{' '.join(packages)}` (or run this as root, which installs them)."
        )
    say(f"installing {', '.join(packages)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "-qq", *packages]
    if subprocess.run(command, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise LauncherError(f"apt-get install {' '.join(packages)} failed:\n{result.stderr[-2000:]}")


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian keeps them in /usr/lib/postgresql/<v>/bin)."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    found.sort(
        key=lambda path: int(Path(path).parent.parent.name) if Path(path).parent.parent.name.isdigit() else 0
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def ensure_packages(say: Any) -> Path:
    """Install PostgreSQL and Redis when missing; return PostgreSQL's bin folder."""
    missing = []
    if postgres_bin() is None:
        missing.append("postgresql")
    if not shutil.which("redis-server"):
        missing.append("redis-server")
    if missing:
        _apt_install(missing, say)
    found = postgres_bin()
    if found is None or not shutil.which("redis-server"):
        raise LauncherError("PostgreSQL or Redis is still missing after apt-get install.")
    return found


# -- the services ---------------------------------------------------------------------------------


def _as_postgres_user() -> dict[str, Any]:
    """PostgreSQL refuses to run as root: as root, run it as Debian's ``postgres`` user."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


def start_postgres(settings: Settings, root: Path, bin_dir: Path, supervisor: local.Supervisor) -> str:
    data, sockets = root / "postgres" / "data", root / "postgres" / "sockets"
    sockets.mkdir(parents=True)
    as_user = _as_postgres_user()
    if as_user:
        shutil.chown(root / "postgres", "postgres", "postgres")
        shutil.chown(sockets, "postgres", "postgres")
    result = subprocess.run(
        [str(bin_dir / "initdb"), "-D", str(data), "-U", "airflow", "-A", "trust", "-E", "UTF8", "--no-sync"],
        capture_output=True,
        text=True,
        cwd=root,
        **as_user,
    )
    if result.returncode != 0:
        raise LauncherError(f"initdb failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    argv = [str(bin_dir / "postgres"), "-D", str(data), "-p", str(settings.postgres_port)]
    argv += ["-h", settings.host, "-k", str(sockets)]
    # A throw-away DB: durability buys nothing here, speed does.
    argv += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    argv += ["-c", "max_connections=200"]
    supervisor.start("postgres", argv, dict(os.environ), cwd=root, **as_user)
    ready = [str(bin_dir / "pg_isready"), "-h", settings.host, "-p", str(settings.postgres_port), "-q"]
    local.wait_until(
        "PostgreSQL",
        lambda: subprocess.run(ready, capture_output=True).returncode == 0,
        timeout=60,
        supervisor=supervisor,
        interval=0.3,
    )
    create = [str(bin_dir / "createdb"), "-h", settings.host, "-p", str(settings.postgres_port)]
    result = subprocess.run([*create, "-U", "airflow", "airflow"], capture_output=True, text=True)
    if result.returncode != 0:
        raise LauncherError(f"createdb failed: {result.stderr}")
    return f"airflow@{settings.host}:{settings.postgres_port}/airflow"


def start_redis(settings: Settings, root: Path, supervisor: local.Supervisor) -> None:
    folder = root / "redis"
    folder.mkdir()
    argv = ["redis-server", "--port", str(settings.redis_port), "--bind", settings.host]
    argv += ["--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", str(folder)]
    supervisor.start("redis", argv, dict(os.environ), cwd=folder)

    def answers() -> bool:
        import socket

        with socket.create_connection((settings.host, settings.redis_port), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    local.wait_until("Redis", answers, timeout=60, supervisor=supervisor, interval=0.3)


def s3_client(settings: Settings) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=settings.s3_url,
        region_name="us-east-1",
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
    )


def start_object_store(settings: Settings, root: Path, supervisor: local.Supervisor) -> None:
    folder = root / "object-store"
    folder.mkdir()
    argv = [sys.executable, "-m", "moto.server", "-H", settings.host, "-p", str(settings.s3_port)]
    supervisor.start("object-store", argv, {**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=folder)

    def bucket_made() -> bool:
        try:
            s3_client(settings).create_bucket(Bucket=BUCKET)
        except Exception as exc:  # botocore's errors: not listening yet
            if "BucketAlreadyOwnedByYou" in str(exc):
                return True
            raise OSError(str(exc)) from exc
        return True

    local.wait_until(f"the object store's bucket {BUCKET!r}", bucket_made, timeout=60, supervisor=supervisor)


def aws_connection(settings: Settings) -> dict[str, Any]:
    return {
        "conn_type": "aws",
        "login": S3_KEY,
        "password": S3_SECRET,
        "extra": {"region_name": "us-east-1", "endpoint_url": settings.s3_url},
    }


# -- Airflow --------------------------------------------------------------------------------------


def airflow_env(settings: Settings, home: Path, database: str, shared: dict[str, str]) -> dict[str, str]:
    """The environment of the central components; the workers get it with their own home."""
    env = local.airflow_env(local_settings_for(settings, home))
    env.update(shared)
    env.update(
        {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{database}",
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": f"redis://{settings.host}:{settings.redis_port}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://{database}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(settings.concurrency),
            # One task at a time from the queue per free slot: work spreads over both workers.
            "AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER": "1",
        }
    )
    return env


IDENTITY_MODULE = "signs_worker_identity"


def worker_env(base: dict[str, str], root: Path, name: str) -> tuple[dict[str, str], Path]:
    """A worker's own AIRFLOW_HOME, TMPDIR, working directory and host name."""
    folder = root / name
    home, tmp, cwd, identity = folder / "home", folder / "tmp", folder / "cwd", folder / "identity"
    for path in (home, tmp, cwd, identity):
        path.mkdir(parents=True)
    # What get_hostname() answers in this worker's processes: two names as two machines would have.
    (identity / f"{IDENTITY_MODULE}.py").write_text(f"def hostname() -> str:\n    return {name!r}\n")
    env = dict(base)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "TMPDIR": str(tmp),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(identity), base.get("PYTHONPATH")])),
            "AIRFLOW__CORE__HOSTNAME_CALLABLE": f"{IDENTITY_MODULE}.hostname",
        }
    )
    return env, cwd


def store_variables(variables: dict[str, str], env: dict[str, str], root: Path) -> None:
    path = root / "variables.json"
    path.write_text(json.dumps(variables))
    local._run_airflow(["variables", "import", str(path)], env, "airflow variables import")


def run(settings: Settings, root: Path, supervisor: local.Supervisor, stop: threading.Event) -> None:
    def say(line: str) -> None:
        supervisor.say("launcher", line)

    for port, what in (
        (settings.port, "Airflow UI"),
        (settings.emulator_port, "emulator"),
        (settings.postgres_port, "PostgreSQL"),
        (settings.redis_port, "Redis"),
        (settings.s3_port, "object store"),
    ):
        local.check_port_free(settings.host, port, what, "the options of --help")
    started = time.monotonic()
    bin_dir = ensure_packages(say)
    database = start_postgres(settings, root, bin_dir, supervisor)
    start_redis(settings, root, supervisor)
    start_object_store(settings, root, supervisor)

    emulator_url = f"http://{settings.host}:{settings.emulator_port}"
    argv = [
        sys.executable,
        "-m",
        "signs_emulator",
        "--host",
        settings.host,
        "--port",
        str(settings.emulator_port),
    ]
    if settings.autopilot_seconds > 0:
        argv += ["--autopilot-seconds", f"{settings.autopilot_seconds:g}"]
    supervisor.start("emulator", argv, {**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=root)

    from cryptography.fernet import Fernet

    # What every component must share; on real machines these come from your secrets store.
    shared = {
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(48),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
    }
    main_home = root / "main" / "home"
    env = airflow_env(settings, main_home, database, shared)
    local.prepare_home(local_settings_for(settings, main_home), env, supervisor)
    connections = local.emulator_connections(emulator_url)
    connections["AIRFLOW_CONN_AWS_DEFAULT"] = json.dumps(aws_connection(settings))
    conn_ids = local.store_connections(connections, env, supervisor)
    variables = {
        "signs_work_folder": f"s3://aws_default@{BUCKET}/work",
        "signs_archive_folder": f"s3://aws_default@{BUCKET}/signed-archive",
    }
    store_variables(variables, env, root)

    for name in ("api-server", "scheduler", "triggerer", "dag-processor"):
        argv = [sys.executable, "-m", "airflow", name]
        if name == "api-server":
            argv += ["--host", settings.host, "--port", str(settings.port)]
        elif name in ("scheduler", "triggerer"):
            argv += ["--skip-serve-logs"]
        supervisor.start(name, argv, env, cwd=root / "main")
    for name in WORKERS:
        wenv, cwd = worker_env(env, root, name)
        argv = [sys.executable, "-m", "airflow", "celery", "worker", "--celery-hostname", f"{name}@localhost"]
        # Task logs stay in the worker's own home: their log servers would all want port 8793.
        argv += ["--concurrency", str(settings.concurrency), "--skip-serve-logs"]
        supervisor.start(name, argv, wenv, cwd=cwd)

    def remaining() -> float:
        return max(1.0, settings.ready_timeout - (time.monotonic() - started))

    local.wait_until(
        f"the emulator at {emulator_url}",
        lambda: local.http_json("GET", f"{emulator_url}/_emulator/health")[0] == 200,
        timeout=remaining(),
        supervisor=supervisor,
    )
    lsettings = local_settings_for(settings, main_home)
    local.wait_until(
        "the scheduler, triggerer and DAG processor to report healthy",
        lambda: local.components_healthy(lsettings),
        timeout=remaining(),
        supervisor=supervisor,
    )
    for name in WORKERS:
        local.wait_until(
            f"Celery {name} to be ready",
            lambda name=name: any(" ready." in line for line in supervisor.recent.get(name, [])),
            timeout=remaining(),
            supervisor=supervisor,
        )
    token = local.api_token(lsettings)
    parsed: dict[str, Any] = {}

    def all_parsed() -> bool:
        done, dag_ids, broken = local.dags_parsed(lsettings, token)
        parsed.update(dag_ids=dag_ids, broken=broken)
        return done

    local.wait_until(
        "the DAG processor to parse dags/", all_parsed, timeout=remaining(), supervisor=supervisor
    )
    lines = [
        "",
        "=" * 78,
        f"{READY_BANNER} ({time.monotonic() - started:.0f} s).",
        f"  UI and REST API:  {settings.url}    login: {local.USERNAME} / {settings.password}",
        f"  Emulator page:    {emulator_url}/",
        f"  Executor:         CeleryExecutor, workers {', '.join(WORKERS)} "
        f"(each {settings.concurrency} slots, own AIRFLOW_HOME and TMPDIR under {root})",
        f"  Metadata DB:      postgresql://{database}",
        f"  Celery broker:    redis://{settings.host}:{settings.redis_port}/0",
        f"  Object store:     {settings.s3_url} (S3, bucket {BUCKET!r}; connection aws_default)",
        f"  Variables:        {', '.join(f'{k}={v}' for k, v in variables.items())}",
        f"  Connections:      {', '.join(conn_ids)}",
        f"  DAGs:             {', '.join(parsed.get('dag_ids') or []) or '(none)'}",
    ]
    if parsed.get("broken"):
        lines.append(f"  Import errors in: {', '.join(parsed['broken'])}")
    lines += ["Press Ctrl-C to stop everything.", "=" * 78]
    for line in lines:
        say(line)

    while not stop.wait(1.0):
        dead = supervisor.exited()
        if dead is not None:
            raise LauncherError(
                f"{dead.name} exited with code {dead.process.returncode}; stopping everything."
            )


def local_settings_for(settings: Settings, home: Path) -> local.Settings:
    return local.Settings(
        home=home,
        host=settings.host,
        port=settings.port,
        emulator_port=settings.emulator_port,
        emulator_url=None,
        password=settings.password,
        dags_folder=settings.dags_folder,
        parallelism=2 * len(WORKERS) * settings.concurrency,
        ready_timeout=settings.ready_timeout,
        autopilot_seconds=settings.autopilot_seconds,
    )


def parse_args(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(
        description="Run a distributed Airflow 3 on this machine (CeleryExecutor with two workers that "
        "share no disk, PostgreSQL, Redis, an S3-compatible store) with the signs provider, the sample "
        "DAGs and the API emulator. Ctrl-C stops everything."
    )
    parser.add_argument(
        "--workdir", type=Path, help="where everything lives (default: a new temporary folder)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the folder after stopping")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address for every service")
    for option, default, what in (
        ("--port", 8080, "the UI and REST API"),
        ("--emulator-port", 8099, "the emulator"),
        ("--postgres-port", 55432, "PostgreSQL"),
        ("--redis-port", 56379, "Redis"),
        ("--s3-port", 59000, "the S3-compatible object store"),
    ):
        parser.add_argument(option, type=int, default=default, help=f"port of {what} (default {default})")
    parser.add_argument("--password", default=local.DEFAULT_PASSWORD, help="password of the admin user")
    parser.add_argument(
        "--dags-folder", type=Path, default=local.DEFAULT_DAGS, help="DAGs folder (default dags/)"
    )
    parser.add_argument("--concurrency", type=int, default=2, help="task slots per worker (default 2)")
    parser.add_argument(
        "--autopilot-seconds",
        type=float,
        default=30.0,
        help="the emulator's signers sign each document this many seconds after it is sent (default 30; 0: never)",
    )
    parser.add_argument(
        "--ready-timeout", type=float, default=300.0, help="seconds to wait for everything to start"
    )
    args = parser.parse_args(argv)
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    return Settings(
        workdir=args.workdir.resolve() if args.workdir else None,
        keep=args.keep,
        host=args.host,
        port=args.port,
        emulator_port=args.emulator_port,
        postgres_port=args.postgres_port,
        redis_port=args.redis_port,
        s3_port=args.s3_port,
        password=args.password,
        dags_folder=args.dags_folder.resolve(),
        concurrency=args.concurrency,
        autopilot_seconds=args.autopilot_seconds,
        ready_timeout=args.ready_timeout,
    )


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    supervisor = local.Supervisor(stop_order=STOP_ORDER)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():
            return
        supervisor.say("launcher", f"got {signal.Signals(signum).name}, stopping everything")
        stop.set()
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    if settings.workdir is not None:
        settings.workdir.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="run-", dir=settings.workdir))
    else:
        root = Path(tempfile.mkdtemp(prefix="airflow-distributed-"))
    root.chmod(0o755)  # PostgreSQL runs as another user when this runs as root
    supervisor.say("launcher", f"working in {root}")
    code = 0
    try:
        run(settings, root, supervisor, stop)
    except KeyboardInterrupt:
        pass
    except LauncherError as exc:
        supervisor.say("launcher", f"ERROR: {exc}")
        code = 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        killed = supervisor.stop(grace=30.0)
        if killed:
            supervisor.say("launcher", f"force-killed processes that ignored SIGTERM: {killed}")
        if not settings.keep:
            with contextlib.suppress(OSError):
                shutil.rmtree(root)
        supervisor.say("launcher", "stopped everything" + (f"; kept {root}" if settings.keep else ""))
    return code


if __name__ == "__main__":
    sys.exit(main())
