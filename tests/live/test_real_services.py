"""Smoke tests against the real OptiSigns and OpenSign services.

Skipped unless credentials are in the environment (no machine in CI reaches the services):

- ``SIGNS_LIVE_OPTISIGNS_API_KEY``: an OptiSigns API key (read scopes are enough);
- ``SIGNS_LIVE_OPENSIGN_SANDBOX_TOKEN``: an OpenSign **sandbox** token (nothing here spends a credit).

Only reads are made, so they are safe to run against a production account. The last two tests run the
live conformance check (``python -m signs_provider.conformance``) and print its report: ``pytest -s
tests/live`` shows what to paste into a bug report when a guess of the provider is refuted.
``SIGNS_LIVE_OPTISIGNS_ENDPOINT`` / ``SIGNS_LIVE_OPENSIGN_ENDPOINT`` point those two elsewhere (a dry run
against ``signs-emulator``: its demo key and sandbox token, its ``/optisigns/graphql`` and
``/opensign/sandbox`` URLs).
"""

from __future__ import annotations

import json
import os

import pytest

from signs_provider.opensign.errors import OpenSignAuthError
from signs_provider.opensign.hooks import OpenSignHook
from signs_provider.optisigns.hooks import OptiSignsHook

OPTISIGNS_KEY = os.environ.get("SIGNS_LIVE_OPTISIGNS_API_KEY")
OPENSIGN_TOKEN = os.environ.get("SIGNS_LIVE_OPENSIGN_SANDBOX_TOKEN")


@pytest.fixture
def optisigns(monkeypatch) -> OptiSignsHook:
    if not OPTISIGNS_KEY:
        pytest.skip("set SIGNS_LIVE_OPTISIGNS_API_KEY to run against the real OptiSigns API")
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPTISIGNS_LIVE_TEST", json.dumps({"conn_type": "optisigns", "password": OPTISIGNS_KEY})
    )
    return OptiSignsHook(optisigns_conn_id="optisigns_live_test")


@pytest.fixture
def opensign_sandbox(monkeypatch) -> OpenSignHook:
    if not OPENSIGN_TOKEN:
        pytest.skip("set SIGNS_LIVE_OPENSIGN_SANDBOX_TOKEN to run against the real OpenSign sandbox")
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPENSIGN_LIVE_TEST",
        json.dumps(
            {"conn_type": "opensign", "password": OPENSIGN_TOKEN, "extra": {"environment": "sandbox"}}
        ),
    )
    return OpenSignHook(opensign_conn_id="opensign_live_test")


def test_optisigns_test_connection(optisigns) -> None:
    ok, message = optisigns.test_connection()
    assert ok, message


def test_optisigns_device_pages(optisigns) -> None:
    query = """query D($first: Int, $after: String) { devices(query: {}, first: $first, after: $after) {
        page { edges { node { _id deviceName } } pageInfo { hasNextPage endCursor } } } }"""
    devices = list(optisigns.paginate(query, connection_field="devices", page_size=2))
    assert all(d["_id"] for d in devices)


def test_opensign_sandbox_user_and_credits(opensign_sandbox) -> None:
    assert opensign_sandbox.get_user()["objectId"]
    credits = opensign_sandbox.get_credits()
    assert {"plan_credits", "addon_credits", "total_credits"} <= set(credits)


def test_opensign_sandbox_token_is_refused_by_live_with_405(opensign_sandbox, monkeypatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPENSIGN_WRONG_ENV",
        json.dumps({"conn_type": "opensign", "password": OPENSIGN_TOKEN, "extra": {"environment": "live"}}),
    )
    with pytest.raises(OpenSignAuthError, match="405"):
        OpenSignHook(opensign_conn_id="opensign_wrong_env").get_user()


# -- the live conformance check (python -m signs_provider.conformance) -----------------------------------


def _conformance(*arguments: str, secret: str) -> str:
    """Run the check as a user does; its report is printed (``pytest -s`` shows it) and returned."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "signs_provider.conformance", *arguments],
        capture_output=True,
        text=True,
        timeout=600,
        env={k: v for k, v in os.environ.items() if k not in ("OPTISIGNS_API_KEY", "OPENSIGN_API_TOKEN")},
    )
    print(result.stdout, result.stderr)
    assert secret not in result.stdout + result.stderr
    # 0: the real API agrees with every guess; 1: a guess refuted (the report says which: please send it
    # to the maintainers); 2: the check could not run.
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-2000:]
    return result.stdout


def test_optisigns_agrees_with_the_providers_guesses() -> None:
    if not OPTISIGNS_KEY:
        pytest.skip("set SIGNS_LIVE_OPTISIGNS_API_KEY to run against the real OptiSigns API")
    endpoint = os.environ.get("SIGNS_LIVE_OPTISIGNS_ENDPOINT")  # e.g. a regional gateway; default public
    extra = ["--optisigns-endpoint", endpoint] if endpoint else []
    out = _conformance("--optisigns-key", OPTISIGNS_KEY, *extra, secret=OPTISIGNS_KEY)
    assert "PASS    [setup] read the screens" in out


def test_opensign_sandbox_answers_have_the_spec_shapes() -> None:
    if not OPENSIGN_TOKEN:
        pytest.skip("set SIGNS_LIVE_OPENSIGN_SANDBOX_TOKEN to run against the real OpenSign sandbox")
    endpoint = os.environ.get("SIGNS_LIVE_OPENSIGN_ENDPOINT")  # default: the sandbox's host
    extra = ["--opensign-endpoint", endpoint] if endpoint else []
    out = _conformance(
        "--opensign-token", OPENSIGN_TOKEN, "--opensign-environment", "sandbox", *extra, secret=OPENSIGN_TOKEN
    )
    assert "[read] GET /getuser" in out
