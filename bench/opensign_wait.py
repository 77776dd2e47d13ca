"""Waiting for 1, 50 and 500 open OpenSign documents, and the memory of sending a 10 MB PDF.

Run with ``python -m bench opensign_wait`` (or ``make bench``). Everything runs against a local
emulator started here, so requests are counted exactly by the emulator's request log.

* **Batched** (the provider's sensor and trigger): ``OpenSignHook.get_document_states`` reads the
  ``documentlist`` pages (500 documents each) and stops once every awaited document is placed.
* **Per document** (the baseline, measured in the same run): one ``GET /document/{id}`` per
  awaited document, as a sensor per document would do.

The account holds 551 open documents, and the awaited ones are the oldest (the last on the list,
the worst case for the batched read). CPU time is the polling thread's own
(``time.thread_time``), so the emulator's work, which runs in another thread, is not counted.

The memory figures come from separate processes (the emulator is not in them): peak Python
allocations (tracemalloc) and peak resident memory growth (sampled every 2 ms) while sending one
10 MB PDF, streamed by the provider, against building the whole JSON body in memory first.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WAIT_COUNTS = (1, 50, 500)
POLLS = 5

_SEND_SCRIPT = """
import base64, json, sys, threading, tracemalloc
import psutil
from signs_provider.opensign.hooks import OpenSignHook

path, mode = sys.argv[1], sys.argv[2]
signers = [{"name": "Ada", "email": "ada@example.com",
            "widgets": [{"type": "signature", "page": 1, "x": 60, "y": 700, "w": 150, "h": 50}]}]
hook = OpenSignHook()
hook.get_credits()  # imports and the connection are set up before measuring
process = psutil.Process()
before = peak = process.memory_info().rss
done = threading.Event()

def sample():  # resident memory every 2 ms while the document is sent
    global peak
    while not done.wait(0.002):
        peak = max(peak, process.memory_info().rss)

sampler = threading.Thread(target=sample)
sampler.start()
tracemalloc.start()
if mode == "streamed":
    hook.send_for_signature(path, title="Bench 10 MB", signers=signers)
else:  # the whole body in memory: file bytes, their base64, the JSON text, its encoding
    with open(path, "rb") as handle:
        data = handle.read()
    body = json.dumps({"file": base64.b64encode(data).decode(), "title": "Bench 10 MB", "signers": signers})
    hook.request("POST", "createdocument", data=body.encode(), headers={"Content-Type": "application/json"})
_, traced_peak = tracemalloc.get_traced_memory()
done.set()
sampler.join()
print(json.dumps({"rss_growth": peak - before, "traced_peak": traced_peak}))
"""


def _pdf(size: int = 0) -> bytes:
    """A small real PDF, padded with a comment to ``size`` bytes when asked."""
    head = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    )
    tail = b"trailer<</Root 1 0 R>>\n%%EOF\n"
    padding = max(0, size - len(head) - len(tail))
    return head + (b"%" + os.urandom(padding // 2).hex().encode())[:padding] + tail


def _poll(emu, poll) -> tuple[float, float, float]:
    """Requests, CPU ms and wall ms per poll, averaged over ``POLLS`` polls (after one warm-up poll)."""
    poll()
    emu.control.reset_requests()
    cpu = wall = 0.0
    for _ in range(POLLS):
        cpu_start, wall_start = time.thread_time(), time.perf_counter()
        poll()
        cpu += time.thread_time() - cpu_start
        wall += time.perf_counter() - wall_start
    requests = emu.control.request_summary()["total"]
    return requests / POLLS, cpu * 1000 / POLLS, wall * 1000 / POLLS


def _send_memory(emu, workdir: Path, size: int) -> dict[str, dict[str, int]]:
    path = workdir / "ten-mb.pdf"
    path.write_bytes(_pdf(size))
    env = {**os.environ, **emu.connections()}
    results = {}
    for mode in ("streamed", "in-memory"):
        out = subprocess.run(
            [sys.executable, "-c", _SEND_SCRIPT, str(path), mode],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results[mode] = json.loads(out.strip().splitlines()[-1])
    return results


def main() -> None:
    from signs_emulator import Emulator

    with (
        tempfile.TemporaryDirectory(prefix="signs-bench-") as tmp,
        Emulator(data_dir=tmp) as emu,
    ):
        os.environ.update(emu.connections())
        from signs_provider.common.transport import RetryPolicy
        from signs_provider.opensign.client.pdf import MAX_FILE_BYTES
        from signs_provider.opensign.hooks import OpenSignHook
        from signs_provider.opensign.status import DocumentState

        emu.control.set_credits("sandbox", plan_credits=10_000)
        hook = OpenSignHook(retry_policy=RetryPolicy(max_attempts=1))
        pdf = _pdf()
        signers = [
            {"name": "Ada", "email": "ada@example.com", "widgets": [{"type": "signature", "x": 60, "y": 700}]}
        ]
        ids = [
            hook.send_for_signature(pdf, title=f"Bench {i}", signers=signers).document_id
            for i in range(sum(WAIT_COUNTS))
        ]

        rows = []
        for count in WAIT_COUNTS:
            awaited = ids[:count]  # the oldest: the end of the newest-first list
            batched = _poll(emu, lambda awaited=awaited: hook.get_document_states(awaited))
            each = _poll(
                emu,
                lambda awaited=awaited: [
                    DocumentState.from_document(hook.get_document(i), i) for i in awaited
                ],
            )
            rows.append((count, batched, each))
        memory = _send_memory(emu, Path(tmp), MAX_FILE_BYTES)
        hook.close()

    print(
        f"One poll of N open documents; the account holds {len(ids)} open documents (mean of {POLLS} polls):"
    )
    print()
    print(
        "| documents | batched requests | per-document requests | request ratio "
        "| batched CPU | per-document CPU | CPU ratio | batched wall | per-document wall |"
    )
    print(
        "|----------:|-----------------:|----------------------:|--------------:"
        "|------------:|-----------------:|----------:|-------------:|------------------:|"
    )
    for count, (requests, cpu, wall), (each_requests, each_cpu, each_wall) in rows:
        print(
            f"| {count:>9} | {requests:>16.0f} | {each_requests:>21.0f} | {requests / each_requests:>13.3f} "
            f"| {cpu:>8.1f} ms | {each_cpu:>13.1f} ms | {cpu / each_cpu:>9.2f} | {wall:>9.1f} ms | {each_wall:>14.1f} ms |"
        )
    mb = 1024 * 1024
    print()
    print(f"Sending one {MAX_FILE_BYTES / mb:.0f} MB PDF (separate processes; the emulator is not in them):")
    print()
    print("| body | Python allocations peak | / file size | peak RSS growth | / file size |")
    print("|------|------------------------:|------------:|----------------:|------------:|")
    for mode, label in (("streamed", "provider, streamed"), ("in-memory", "whole body in memory (baseline)")):
        figures = memory[mode]
        print(
            f"| {label} | {figures['traced_peak'] / mb:>20.2f} MB | {figures['traced_peak'] / MAX_FILE_BYTES:>11.1%} "
            f"| {figures['rss_growth'] / mb:>12.1f} MB | {figures['rss_growth'] / MAX_FILE_BYTES:>11.1%} |"
        )


if __name__ == "__main__":
    main()
