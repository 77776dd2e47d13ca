"""Calls per second through the hooks, sequential, against ``HttpHook.run`` on the same endpoints.

Run with ``python -m bench calls`` (or ``make bench``). One emulator, started here, answers both
sides in the same run:

* **Provider**: ``OpenSignHook.get_user()`` (``GET /getuser``), ``OpenSignHook.get_document(id)``
  (``GET /document/{id}``) and ``OptiSignsHook.execute(query)`` (one GraphQL ``devices`` query of
  one screen by id), one hook reused for every call, as a task does.
* **Baseline**: the HTTP provider's ``HttpHook.run`` on the same URL, with the same credential
  header and body, one hook reused for every call (``run`` builds its session on every call: that
  is how the HTTP provider works, and what a task using it pays).

The emulator runs in a process of its own, as a real API would (in the same process, its thread
would share the interpreter lock with the client being timed). Each figure is the median of
``ROUNDS`` rounds of ``CALLS`` calls, the two sides alternating round by round so that a busy moment
of the shared machine hits both. Two measures: calls per second (wall: the client, the emulator's
answer and the loopback), and the client's own CPU time per call (``time.thread_time``), which
leaves the emulator out. The ratios are the point: the absolute figures depend on the machine.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

CALLS = 300
ROUNDS = 5
SCREEN_QUERY = (
    "query Bench($id: String) { devices(query: {_id: $id}) { page { edges { node { _id deviceName } } } } }"
)


def _rate(call: Callable[[], object]) -> tuple[float, float]:
    """Calls per second (wall), and the calling thread's own CPU milliseconds per call."""
    started, cpu = time.perf_counter(), time.thread_time()
    for _ in range(CALLS):
        call()
    return CALLS / (time.perf_counter() - started), (time.thread_time() - cpu) * 1000 / CALLS


def _compare(provider: Callable[[], object], baseline: Callable[[], object]) -> tuple[float, ...]:
    """Median calls/s and client CPU ms per call of each side, after a warm-up of both."""
    for _ in range(20):
        provider()
        baseline()
    ours, theirs = [], []
    for _ in range(ROUNDS):
        ours.append(_rate(provider))
        theirs.append(_rate(baseline))
    return (
        statistics.median(r for r, _ in ours),
        statistics.median(r for r, _ in theirs),
        statistics.median(c for _, c in ours),
        statistics.median(c for _, c in theirs),
    )


def measure(emu) -> list[tuple[Any, ...]]:
    """``(label, provider calls/s, HttpHook.run calls/s, provider CPU ms/call, HttpHook CPU ms/call)``."""
    from airflow.providers.http.hooks.http import HttpHook

    from signs_emulator.credentials import OPENSIGN_TOKENS, OPTISIGNS_DEMO_KEY
    from signs_provider.common.transport import RetryPolicy
    from signs_provider.opensign.hooks import OpenSignHook
    from signs_provider.optisigns.hooks import OptiSignsHook

    os.environ.update(emu.connections())
    os.environ["AIRFLOW_CONN_BENCH_HTTP"] = json.dumps({"conn_type": "http", "host": emu.url.rstrip("/")})
    emu.control.set_credits("sandbox", plan_credits=10_000)
    opensign = OpenSignHook(retry_policy=RetryPolicy(max_attempts=1))
    optisigns = OptiSignsHook(retry_policy=RetryPolicy(max_attempts=1))
    from bench.opensign_wait import _pdf

    signers = [
        {"name": "Ada", "email": "ada@example.com", "widgets": [{"type": "signature", "x": 60, "y": 700}]}
    ]
    document_id = opensign.send_for_signature(_pdf(), title="Bench calls", signers=signers).document_id
    screen_id = emu.control.add_screens(1, tags=["bench-calls"], path="/Bench", name_prefix="Calls")[0]

    token = {"x-api-token": OPENSIGN_TOKENS["sandbox"], "Accept": "application/json"}
    http_get = HttpHook(method="GET", http_conn_id="bench_http")
    http_post = HttpHook(method="POST", http_conn_id="bench_http")
    graphql_headers = {"Authorization": f"Bearer {OPTISIGNS_DEMO_KEY}", "Content-Type": "application/json"}
    graphql_body = {"query": SCREEN_QUERY, "variables": {"id": screen_id}}

    def check(response) -> object:  # the baseline decodes the body too, as a caller must
        return response.json()

    rows = [
        (
            "OpenSign getuser",
            *_compare(
                opensign.get_user,
                lambda: check(http_get.run("/opensign/sandbox/api/v1.2/getuser", headers=token)),
            ),
        ),
        (
            "OpenSign get_document",
            *_compare(
                lambda: opensign.get_document(document_id),
                lambda: check(
                    http_get.run(f"/opensign/sandbox/api/v1.2/document/{document_id}", headers=token)
                ),
            ),
        ),
        (
            "OptiSigns query (execute)",
            *_compare(
                lambda: optisigns.execute(SCREEN_QUERY, {"id": screen_id}),
                lambda: check(
                    http_post.run("/optisigns/graphql", json=graphql_body, headers=graphql_headers)
                ),
            ),
        ),
    ]
    opensign.close()
    optisigns.close()
    return rows


def main() -> None:
    from bench._server import external_emulator

    with tempfile.TemporaryDirectory(prefix="signs-bench-") as tmp, external_emulator(tmp) as emu:
        rows = measure(emu)
    print(
        f"Sequential calls, one hook reused (median of {ROUNDS} rounds of {CALLS} calls; emulator in its own process):"
    )
    print()
    print(
        "| call | provider | HttpHook.run (baseline) | calls/s ratio (goal ≥ 2) "
        "| provider CPU/call | HttpHook CPU/call | CPU ratio |"
    )
    print(
        "|------|---------:|------------------------:|------------------------:|---------:|---------:|---------:|"
    )
    for label, ours, theirs, our_cpu, their_cpu in rows:
        print(
            f"| {label} | {ours:.0f}/s | {theirs:.0f}/s | ×{ours / theirs:.2f} "
            f"| {our_cpu:.2f} ms | {their_cpu:.2f} ms | ×{their_cpu / our_cpu:.2f} |"
        )
    print()
    print(
        "CPU/call is the calling thread's own time (time.thread_time): what the client costs, without the "
        "emulator's time, which is in every round trip of both sides and bounds the calls/s ratio."
    )


if __name__ == "__main__":
    main()
