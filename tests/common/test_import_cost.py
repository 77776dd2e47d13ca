"""DAG files import the operators and sensors at every parse: what that must not load.

Counted in modules, not timed (``python -m bench imports`` has the times): a fresh interpreter
imports both products' operators and sensors, and none of the modules below may come with them.
"""

from __future__ import annotations

import subprocess
import sys

PARSE_TIME = (
    "signs_provider.opensign.operators",
    "signs_provider.opensign.sensors",
    "signs_provider.optisigns.operators",
    "signs_provider.optisigns.sensors",
)
# Needed only when a task runs: the hooks, the HTTP client, the OpenSign status dataclasses and
# webhook code (half of the import time when the sensor loaded them), the error classes.
NOT_AT_PARSE = (
    "signs_provider.opensign.hooks",
    "signs_provider.optisigns.hooks",
    "signs_provider.common.transport",
    "signs_provider.opensign.status",
    "signs_provider.opensign.webhooks",
    "signs_provider.opensign.errors",
    "signs_provider.optisigns.errors",
    "requests",
)


def test_operators_and_sensors_load_no_hook_client_or_status_code() -> None:
    code = (
        f"import sys, importlib\nfor m in {PARSE_TIME!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in {NOT_AT_PARSE!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_the_webhook_error_is_still_reexported_by_the_errors_module() -> None:
    from signs_provider.opensign import errors, webhooks
    from signs_provider.opensign.errors import OpenSignWebhookError

    assert OpenSignWebhookError is webhooks.OpenSignWebhookError is errors.OpenSignWebhookError
    assert "OpenSignWebhookError" in errors.__all__
