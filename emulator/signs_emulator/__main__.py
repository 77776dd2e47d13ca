"""``signs-emulator`` / ``python -m signs_emulator``: run the emulator in the foreground.

Prints the base URLs, the demo credentials and ready-to-paste ``AIRFLOW_CONN_*`` lines; Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import os
import shlex
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from signs_emulator import credentials

FAULTS_ENV_VAR = "SIGNS_EMULATOR_FAULTS"
PESSIMISTIC_ENV_VAR = "SIGNS_EMULATOR_PESSIMISTIC"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="signs-emulator",
        description="Local emulator of the OptiSigns and OpenSign APIs (for offline DAG development and tests).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=8099, help="port; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="arm a fault rule, e.g. 'kind=503,path=^/optisigns/graphql$,times=2' or "
        "'kind=429,operation=pushToScreens,retry_after=3,times=0' (times=0: always). Repeatable. "
        f"Also read from ${FAULTS_ENV_VAR} (rules separated by ';').",
    )
    parser.add_argument(
        "--asset-ready-seconds",
        type=float,
        default=2.0,
        help="seconds an uploaded OptiSigns asset stays 'converting' (default: %(default)s; 0 = at once)",
    )
    parser.add_argument(
        "--autopilot-seconds",
        type=float,
        default=None,
        metavar="N",
        help="OpenSign signers (every environment) sign each document N seconds after it is sent; "
        "without it they wait for the control API (default: off)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of ids and sample data (default: %(default)s)"
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="where uploads are stored (default: a temp dir)"
    )
    parser.add_argument(
        "--pessimistic",
        action="store_true",
        help="serve the OptiSigns schema without every name that no trusted public document uses "
        f"(see --weak-names; also ${PESSIMISTIC_ENV_VAR}=1)",
    )
    parser.add_argument(
        "--weak-names",
        action="store_true",
        help="print the OptiSigns names that --pessimistic removes, with their best evidence, and exit",
    )
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    return parser


def banner(base_url: str) -> str:
    """What the CLI prints at start-up: URLs, demo credentials, Airflow connection lines."""
    lines = [
        f"signs emulator listening on {base_url}",
        "",
        f"  State page (HTML)     {base_url}/",
        f"  OptiSigns GraphQL     {base_url}/optisigns/graphql",
        f"  OptiSigns upload      {base_url}/transloadit/assemblies",
    ]
    lines += [
        f"  OpenSign {env:<12} {base_url}/opensign/{env}/api/v1.2" for env in credentials.OPENSIGN_TOKENS
    ]
    lines += [
        f"  Sample feeds          {base_url}/feeds",
        f"  Control API           {base_url}/_emulator   (docs: {base_url}/_emulator/docs)",
        "",
        "Demo credentials:",
        f"  OptiSigns API key     {credentials.OPTISIGNS_DEMO_KEY}  (all scopes; team id {credentials.OPTISIGNS_DEFAULT_TEAM_ID})",
        f"                        {credentials.OPTISIGNS_READONLY_KEY}  (read scopes only)",
        f"                        {credentials.OPTISIGNS_NOSCOPE_KEY}  (no scopes)",
    ]
    lines += [
        f"  OpenSign {env:<12} x-api-token: {token}" for env, token in credentials.OPENSIGN_TOKENS.items()
    ]
    lines += ["", "Airflow connections (paste into your shell):"]
    lines += [
        f"export {name}={shlex.quote(value)}"
        for name, value in credentials.airflow_connections(base_url).items()
    ]
    lines += ["", "Press Ctrl-C to stop."]
    return "\n".join(lines)


def env_flag(name: str) -> bool:
    """Whether environment variable ``name`` is set to a true value (1, true, yes, on)."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``signs-emulator``."""
    args = _parser().parse_args(argv)
    if args.weak_names:
        from signs_emulator.optisigns.evidence import weak_names_table

        print(weak_names_table())
        return 0
    pessimistic = args.pessimistic or env_flag(PESSIMISTIC_ENV_VAR)
    try:
        import uvicorn

        from signs_emulator.app import EmulatorSettings, build_app, parse_fault
    except ModuleNotFoundError as exc:
        print(
            f"signs-emulator needs the 'emulator' extra ({exc.name} is missing): "
            "pip install 'airflow-provider-signs[emulator]'",
            file=sys.stderr,
        )
        return 2
    specs = list(args.fault) + [s for s in os.environ.get(FAULTS_ENV_VAR, "").split(";") if s.strip()]
    try:
        faults = [parse_fault(spec) for spec in specs]
    except ValueError as exc:
        print(f"signs-emulator: bad --fault: {exc}", file=sys.stderr)
        return 2
    if args.asset_ready_seconds < 0:
        print("signs-emulator: --asset-ready-seconds must be >= 0", file=sys.stderr)
        return 2
    settings = EmulatorSettings(
        host=args.host,
        port=args.port,
        asset_ready_seconds=args.asset_ready_seconds,
        faults=list(faults),
        data_dir=args.data_dir,
        seed=args.seed,
        pessimistic=pessimistic,
    )
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
    except OSError as exc:
        print(f"signs-emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    app = build_app(settings)
    base_url = f"http://{host}:{port}"
    opensign = app.state.emulator.opensign
    if args.autopilot_seconds is not None and opensign is not None:
        from signs_emulator.opensign.autopilot import Autopilot

        for env in credentials.OPENSIGN_TOKENS:
            pilot = Autopilot(after_seconds=max(0.0, args.autopilot_seconds), api_base=f"{base_url}/opensign")
            opensign.autopilot.set(env, pilot)
        print(
            f"Signer autopilot: documents are signed {args.autopilot_seconds:g}s after they are sent.",
            flush=True,
        )
    if pessimistic:
        print("OptiSigns schema: pessimistic (weakly evidenced names removed; see --weak-names).", flush=True)
    print(banner(base_url), flush=True)
    for rule in faults:
        print(f"Fault armed: {rule.to_dict()}", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level=args.log_level, timeout_graceful_shutdown=1))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        app.state.emulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
