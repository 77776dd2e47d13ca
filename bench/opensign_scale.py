"""One poll of the OpenSign document sensor with 10, 100, 1,000 and 5,000 open documents (issue 14).

Run with ``python -m bench opensign_scale`` (or ``make bench``). Everything runs against a local
emulator started here; requests are counted by its request log. Counts, not seconds, are the point.

The account holds M open documents (one is sent through the API, the others are copies of it put in
the emulator's state directly, each last updated a minute before the next, so that the sending does
not dominate the run). The sensor waits for N of them, the *oldest* ones: the end of the
newest-first lists, the worst case for a batched read. Each poll (``get_document_states``, what the
sensor and the trigger call) is printed next to two baselines measured in the same run:

* **per document**: one ``GET /document/{id}`` per awaited document (N requests);
* **open list**: the pages of ``documentlist/inprogress`` (at most 500 a page, the API's limit) it
  takes to reach the oldest document, i.e. reading the whole list, the old batched poll's cost.

The list API filters by status only (no id filter): a poll cannot cost fewer requests than the smaller
of the two, and the provider's poll never costs more than twice that.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
from datetime import timedelta
from functools import partial

SIZES = (10, 100, 1000, 5000)
AWAITED = (1, 3, 50, 500)


def _seed(emu, hook, count: int) -> list[str]:
    """``count`` open documents, oldest first; returns their ids."""
    signers = [
        {"name": "Ada", "email": "ada@example.com", "widgets": [{"type": "signature", "x": 60, "y": 700}]}
    ]
    pdf = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    first = hook.send_for_signature(pdf, title="Scale 0", signers=signers).document_id
    env = emu.runtime.opensign.environments["sandbox"]
    template = env.documents[first]
    ids = [first]
    for i in range(1, count):
        moment = template.updated_at + timedelta(minutes=i)
        copy = dataclasses.replace(
            template, id=env.new_id(), title=f"Scale {i}", created_at=moment, updated_at=moment
        )
        env.documents[copy.id] = copy
        ids.append(copy.id)
    return ids


def _poll_into(hook, awaited: list[str], states: dict) -> None:
    states.update(hook.get_document_states(awaited))


def _requests(emu, poll) -> int:
    emu.control.reset_requests()
    poll()
    return emu.control.request_summary()["total"]


def main() -> None:
    from signs_emulator import Emulator

    with tempfile.TemporaryDirectory(prefix="signs-bench-") as tmp, Emulator(data_dir=tmp) as emu:
        os.environ.update(emu.connections())
        from signs_provider.common.transport import RetryPolicy
        from signs_provider.opensign.hooks import OpenSignHook

        hook = OpenSignHook(retry_policy=RetryPolicy(max_attempts=1))
        rows = []
        for size in SIZES:
            emu.control.reset()
            emu.control.set_credits("sandbox", plan_credits=10_000)
            ids = _seed(emu, hook, size)
            for awaited_count in AWAITED:
                if awaited_count > size:
                    continue
                awaited = ids[:awaited_count]  # the oldest: the end of the newest-first list
                states: dict = {}
                provider = _requests(emu, partial(_poll_into, hook, awaited, states))
                if {s.status.name for s in states.values()} != {"IN_PROGRESS"}:
                    raise AssertionError(f"a poll misread the documents: {states}")
                each = _requests(emu, lambda awaited=awaited: [hook.get_document(i) for i in awaited])
                rows.append((size, awaited_count, provider, each, math.ceil(size / 500)))
        hook.close()

    print("One poll of the document sensor for N awaited documents (the oldest) among M open ones:")
    print()
    print(
        "| open (M) | awaited (N) | provider's poll | baseline: per document | baseline: open list to its end |"
    )
    print(
        "|---------:|------------:|----------------:|-----------------------:|-------------------------------:|"
    )
    for size, count, provider, each, pages in rows:
        print(f"| {size:>8,} | {count:>11,} | {provider:>15} | {each:>22} | {pages:>30} |")
