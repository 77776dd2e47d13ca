"""``python -m signs_provider.conformance``: the command line of the live conformance check.

Credentials come from the arguments, the environment (``OPTISIGNS_API_KEY``, ``OPTISIGNS_TEAM_ID``,
``OPENSIGN_API_TOKEN``, ``OPENSIGN_ENVIRONMENT``) or Airflow connections (``--conn-id``, repeatable; the
connection type says which product). No Airflow is needed without ``--conn-id``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from signs_provider.common.errors import SignsConfigError
from signs_provider.common.transport import require_secure_url
from signs_provider.conformance.report import ERROR, Check, Report, mask

# The hooks' defaults, repeated so that the check runs without importing Airflow (tests/conformance
# checks they are the hooks' own).
OPTISIGNS_ENDPOINT = "https://graphql-gateway.optisigns.com/graphql"
OPENSIGN_HOSTS = {
    "sandbox": "https://sandbox.opensignlabs.com",
    "live": "https://app.opensignlabs.com",
    "eu": "https://eu-app.opensignlabs.com",
}
OPENSIGN_API_PATH = "/api/v1.2"


@dataclass
class Target:
    """One product to check: where, with which headers, and the secret to mask."""

    url: str
    headers: dict[str, str]
    secret: str
    team_id: str | None = None
    environment: str = ""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m signs_provider.conformance",
        description=(
            "Check, by reads only, whether the real OptiSigns and OpenSign APIs agree with the provider's "
            "guesses. Paste the output into a bug report: it names no secret. Exit status: 0 nothing "
            "refuted, 1 a guess refuted, 2 the check could not run."
        ),
    )
    p.add_argument(
        "--optisigns-key",
        default=os.environ.get("OPTISIGNS_API_KEY"),
        help="OptiSigns API key (env OPTISIGNS_API_KEY)",
    )
    p.add_argument(
        "--optisigns-team",
        default=os.environ.get("OPTISIGNS_TEAM_ID"),
        help="team id (env OPTISIGNS_TEAM_ID)",
    )
    p.add_argument("--optisigns-endpoint", default=None, help=f"GraphQL URL (default {OPTISIGNS_ENDPOINT})")
    p.add_argument(
        "--opensign-token",
        default=os.environ.get("OPENSIGN_API_TOKEN"),
        help="OpenSign API token (env OPENSIGN_API_TOKEN)",
    )
    p.add_argument(
        "--opensign-environment",
        choices=sorted(OPENSIGN_HOSTS),
        default=os.environ.get("OPENSIGN_ENVIRONMENT", "sandbox"),
        help="the environment that issued the token (env OPENSIGN_ENVIRONMENT; default sandbox)",
    )
    p.add_argument(
        "--opensign-endpoint",
        default=None,
        help="API host or root (default: the environment's host + /api/v1.2)",
    )
    p.add_argument(
        "--conn-id",
        action="append",
        default=[],
        help="an Airflow connection of type optisigns or opensign to take the credentials from (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--verbose", action="store_true", help="list every trusted name, not only their count")
    return p


def _opensign_root(endpoint: str) -> str:
    root = require_secure_url(
        endpoint if "://" in endpoint else f"https://{endpoint}", field="--opensign-endpoint"
    )
    return root if "/api/v" in root else root + OPENSIGN_API_PATH


def targets(args: argparse.Namespace) -> dict[str, Target]:
    """The products to check, from the arguments and connections (a connection wins over an argument)."""
    found: dict[str, Target] = {}
    if args.optisigns_key:
        key = "".join(ch for ch in args.optisigns_key if ch.isprintable()).strip()
        url = require_secure_url(args.optisigns_endpoint or OPTISIGNS_ENDPOINT, field="--optisigns-endpoint")
        found["optisigns"] = Target(
            url, {"Authorization": f"Bearer {key}"}, args.optisigns_key, args.optisigns_team
        )
    if args.opensign_token:
        environment = args.opensign_environment
        url = _opensign_root(args.opensign_endpoint or OPENSIGN_HOSTS[environment])
        token = args.opensign_token.strip()
        found["opensign"] = Target(url, {"x-api-token": token}, args.opensign_token, environment=environment)
    for conn_id in args.conn_id:
        found.update(_from_connection(conn_id))
    return found


def _from_connection(conn_id: str) -> dict[str, Target]:
    """A target from an Airflow connection, read by the provider's own hook (same URL, same headers)."""
    from airflow.sdk import BaseHook

    connection = BaseHook.get_connection(conn_id)
    secret = connection.password or ""
    if connection.conn_type == "optisigns":
        from signs_provider.optisigns.hooks import OptiSignsHook

        hook = OptiSignsHook(optisigns_conn_id=conn_id)
        headers = {k: v for k, v in hook._auth_headers().items() if k.lower() != "content-type"}
        return {"optisigns": Target(hook.base_url, headers, secret, hook.team_id)}
    if connection.conn_type == "opensign":
        from signs_provider.opensign.hooks import OpenSignHook

        ohook = OpenSignHook(opensign_conn_id=conn_id)
        return {
            "opensign": Target(ohook.base_url, ohook._auth_headers(), secret, environment=ohook.environment)
        }
    raise SignsConfigError(
        f"--conn-id {conn_id!r}: its type is {connection.conn_type!r}; give an optisigns or opensign connection."
    )


def _versions() -> dict[str, Any]:
    from importlib import metadata

    def version(distribution: str) -> str:
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "airflow-provider-signs": version("airflow-provider-signs"),
        "python": platform.python_version(),
        "graphql-core": version("graphql-core"),
    }


def run(args: argparse.Namespace) -> Report:
    """Run every check the credentials allow; never raises for an API's answer (it is reported)."""
    from signs_provider.conformance import opensign, optisigns
    from signs_provider.conformance.reads import ReadOnlyClient

    report = Report(context=_versions())
    agent = f"airflow-provider-signs-conformance/{report.context['airflow-provider-signs']}"
    for product, target in targets(args).items():
        client = ReadOnlyClient(target.headers, user_agent=agent)
        try:
            if product == "optisigns":
                checks, context = optisigns.check(client, target.url, team_id=target.team_id)
            else:
                checks, context = opensign.check(client, target.url, environment=target.environment)
        except Exception as exc:  # network and the like: reported, and the other product still checked
            checks, context = (
                [Check(product, "setup", "reach the API", ERROR, "", f"{type(exc).__name__}: {exc}")],
                {f"{product} endpoint": target.url},
            )
        finally:
            client.close()
        report.context.update(context)
        report.extend(checks)
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        found = targets(args)
    except SignsConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not found:
        print(
            "error: nothing to check. Give --optisigns-key (or OPTISIGNS_API_KEY), --opensign-token (or "
            "OPENSIGN_API_TOKEN) or --conn-id.",
            file=sys.stderr,
        )
        return 2
    secrets = [t.secret for t in found.values()] + [v for t in found.values() for v in t.headers.values()]
    report = run(args)
    print(mask(report.to_json() if args.json else report.to_text(verbose=args.verbose), secrets))
    return report.exit_code()
