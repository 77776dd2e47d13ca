"""The manual's hook examples, run by ``tests/docs/test_snippets.py`` against the emulator."""

from __future__ import annotations


def read_both_accounts() -> tuple[dict, dict]:
    # --8<-- [start:hooks]
    from signs_provider.opensign.hooks import OpenSignHook
    from signs_provider.optisigns.hooks import OptiSignsHook

    screens = OptiSignsHook(optisigns_conn_id="optisigns_default")
    me = screens.execute("query { me { _id email } }")  # the GraphQL `data` dict

    signatures = OpenSignHook(opensign_conn_id="opensign_default")
    credits = signatures.get_credits()  # {"plan_credits": ..., "total_credits": ...}
    # --8<-- [end:hooks]
    return me, credits


def tuned_retries() -> None:
    # --8<-- [start:retry]
    from signs_provider.common.transport import RetryPolicy
    from signs_provider.opensign.hooks import OpenSignHook

    hook = OpenSignHook(
        retry_policy=RetryPolicy(max_attempts=3, max_elapsed=20),  # reads and idempotent writes
        timeout=10,  # seconds per request
        landing_wait=20,  # how long a lost write may still take to show up
    )
    # --8<-- [end:retry]
    hook.get_user()
