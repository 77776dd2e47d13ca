"""What importing the operators and sensors adds to a DAG file's parse, against the HTTP provider's.

Run with ``python -m bench imports`` (or ``make bench``). DAG files are parsed every 30 seconds, and a
parse starts with their imports. Each figure is the median, over ``RUNS`` fresh interpreters, of the
time to import the modules after ``import airflow.sdk`` and ``from airflow.sdk import DAG,
BaseOperator, BaseSensorOperator`` (which every DAG file with a task pays, and which are not counted): the provider's ``opensign``/``optisigns`` operators and sensors, against the HTTP
provider's ``HttpOperator`` and ``HttpSensor`` (the baseline, measured in the same run, interleaved).
Both sides import from compiled bytecode (written by an uncounted first run), as a deployed Airflow does.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile

RUNS = 9
GOAL_MS = 10.0

SETS = {
    "signs_provider (both products' operators and sensors)": [
        "signs_provider.opensign.operators",
        "signs_provider.opensign.sensors",
        "signs_provider.optisigns.operators",
        "signs_provider.optisigns.sensors",
    ],
    "HTTP provider (HttpOperator, HttpSensor; baseline)": [
        "airflow.providers.http.operators.http",
        "airflow.providers.http.sensors.http",
    ],
}

_SCRIPT = """
import importlib, json, sys, time
import airflow.sdk
from airflow.sdk import DAG, BaseOperator, BaseSensorOperator  # what any DAG file with a task has loaded
started = time.perf_counter()
for name in sys.argv[1:]:
    importlib.import_module(name)
elapsed = time.perf_counter() - started
heavy = sorted(m for m in ("requests", "httpx", "urllib3", "aiohttp") if m in sys.modules)
print(json.dumps({"ms": elapsed * 1000, "heavy": heavy}))
"""


def _once(modules: list[str], pycache: str) -> dict:
    # Compiled bytecode for every module, as an installed Airflow has: with PYTHONDONTWRITEBYTECODE
    # (set on some development machines) the provider's editable sources were compiled at every
    # import, more than half of the time measured. The cache goes to a temporary folder, not the tree.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING", "PYTHONPYCACHEPREFIX": pycache})
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *modules], env=env, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(runs: int = RUNS) -> dict[str, tuple[float, list[str]]]:
    """Median milliseconds of each set over ``runs`` fresh interpreters, and the HTTP libraries it loaded."""
    times: dict[str, list[float]] = {label: [] for label in SETS}
    heavy: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="signs-bench-pycache-") as pycache:
        for modules in SETS.values():  # not counted: writes the bytecode cache
            _once(modules, pycache)
        for _ in range(runs):
            for label, modules in SETS.items():  # interleaved: a busy moment hits both
                result = _once(modules, pycache)
                times[label].append(result["ms"])
                heavy[label] = result["heavy"]
    return {label: (statistics.median(values), heavy[label]) for label, values in times.items()}


def main() -> None:
    results = measure()
    print(
        f"Import time over `airflow.sdk` with DAG, BaseOperator and BaseSensorOperator loaded (median of {RUNS} fresh interpreters):"
    )
    print()
    print("| modules | import time | HTTP libraries loaded | goal |")
    print("|---------|------------:|-----------------------|-----:|")
    for label, (ms, heavy) in results.items():
        goal = f"≤ {GOAL_MS:.0f} ms" if label.startswith("signs") else ""
        print(f"| {label} | {ms:>8.1f} ms | {', '.join(heavy) or 'none'} | {goal} |")
    ours, baseline = (ms for ms, _ in results.values())
    print()
    print(f"signs_provider / HTTP provider: {ours / baseline:.3f}")


if __name__ == "__main__":
    main()
