"""The emulator's time for one page of 500, as the account grows: OptiSigns screens against OpenSign documents.

Run with ``python -m bench emulator_pages`` (or ``make bench``). The provider's tests and benchmarks
page through big accounts; a page must cost the same whatever the account's size, as the real APIs'
pages do. For each size (10, 100, 1,000 and 5,000 objects in the account):

* **OptiSigns**: the first page of 500 screens (``devices(query: {}, first: 500)`` with the
  provider's own selection), and the page at the end of the account (``after`` the last full page).
* **OpenSign** (the baseline, measured in the same run): ``GET documentlist/inprogress?limit=500``.

Each figure is the median of ``REPEAT`` requests, timed by the client (raw ``requests``, one pooled
connection), the emulator in the same process. The OpenSign account is filled by copying one sent
document inside the emulator's state: creating 5,000 documents over HTTP would take minutes.
"""

from __future__ import annotations

import base64
import copy
import statistics
import tempfile
import time

SIZES = (10, 100, 1_000, 5_000)
PAGE = 500
REPEAT = 7
SCREENS = (
    "query List($query: QueryDeviceInput!, $first: Int, $after: String) {\n"
    "  devices(query: $query, first: $first, after: $after) {\n"
    "    page { edges { node { _id deviceName name tags path currentType currentAssetId currentPlaylistId "
    "currentScheduleId lastHeartBeat status orientation } } pageInfo { hasNextPage endCursor } }\n  }\n}"
)


def _median_ms(call) -> float:
    call()  # warm-up
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    import requests

    from bench.opensign_wait import _pdf
    from signs_emulator import Emulator
    from signs_emulator.credentials import OPENSIGN_TOKENS, OPTISIGNS_DEMO_KEY

    rows = []
    with tempfile.TemporaryDirectory(prefix="signs-bench-") as tmp, Emulator(data_dir=tmp) as emu:
        session = requests.Session()
        graphql = emu.optisigns_graphql_url
        opti_headers = {"Authorization": f"Bearer {OPTISIGNS_DEMO_KEY}"}
        opensign = f"{emu.opensign_host('sandbox')}/api/v1.2"
        os_headers = {"x-api-token": OPENSIGN_TOKENS["sandbox"]}
        emu.control.set_credits("sandbox", plan_credits=10_000)
        signers = [
            {"name": "Ada", "email": "ada@example.com", "widgets": [{"type": "signature", "x": 60, "y": 700}]}
        ]
        sent = session.post(
            f"{opensign}/createdocument",
            headers=os_headers,
            json={"file": base64.b64encode(_pdf()).decode(), "title": "Bench page", "signers": signers},
        )
        sent.raise_for_status()
        environment = emu.runtime.opensign.environments["sandbox"]
        original = environment.documents[sent.json()["objectId"]]

        def screens_page(after: str | None) -> int:
            variables = {"query": {}, "first": PAGE, "after": after}
            answer = session.post(
                graphql, headers=opti_headers, json={"query": SCREENS, "variables": variables}
            )
            answer.raise_for_status()
            return len(answer.json()["data"]["devices"]["page"]["edges"])

        def documents_page() -> int:
            answer = session.get(
                f"{opensign}/documentlist/inprogress", headers=os_headers, params={"limit": PAGE}
            )
            answer.raise_for_status()
            return len(answer.json()["result"])

        screens, documents = screens_page(None), documents_page()  # the emulator's seed
        for size in SIZES:
            emu.control.add_screens(size - screens, tags=["bench-page"], name_prefix="Page")
            screens = size
            with emu.runtime.opensign.lock:
                for _ in range(size - documents):
                    clone = copy.deepcopy(original)
                    clone.id = environment.new_id()
                    environment.documents[clone.id] = clone
            documents = size
            last = ((size - 1) // PAGE) * PAGE
            after = base64.b64encode(f"arrayconnection:{last - 1}".encode()).decode() if last else None
            assert screens_page(None) == documents_page() == min(PAGE, size)
            rows.append(
                (
                    size,
                    _median_ms(lambda: screens_page(None)),
                    _median_ms(lambda after=after: screens_page(after)),
                    _median_ms(documents_page),
                )
            )
        session.close()

    print(f"One page of up to {PAGE} objects as the account grows (median of {REPEAT} requests, in ms):")
    print()
    print(
        "| objects in the account | OptiSigns first page | OptiSigns last page | OpenSign page (baseline) | OptiSigns / OpenSign |"
    )
    print(
        "|-----------------------:|---------------------:|--------------------:|-------------------------:|---------------------:|"
    )
    for size, first, last, baseline in rows:
        print(
            f"| {size:>22,} | {first:>17.1f} ms | {last:>16.1f} ms | {baseline:>21.1f} ms | {first / baseline:>20.2f} |"
        )
    full = [row for row in rows if row[0] >= PAGE]  # sizes where the page is full: the same work
    if len(full) >= 2:
        (small, first_small, _, base_small), (big, first_big, _, base_big) = full[0], full[-1]
        print()
        print(
            f"A full page at {big:,} / at {small:,} objects: OptiSigns {first_big / first_small:.2f}, "
            f"OpenSign {base_big / base_small:.2f} (flat: about 1)"
        )


if __name__ == "__main__":
    main()
