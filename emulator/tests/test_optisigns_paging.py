"""One page of a big OptiSigns account costs one page's work: only its objects are turned into views.

Counted in view calls, not timed (``python -m bench emulator_pages`` has the times), and the pages
must be the same as a walk over every object would give.
"""

from __future__ import annotations

import base64

from optisigns_client import data

from signs_emulator import Emulator

PAGE = (
    "query P($first: Int, $after: String) { devices(query: {}, first: $first, after: $after) "
    "{ page { edges { cursor node { _id deviceName } } pageInfo { hasNextPage endCursor } } pageData { limit offset } } }"
)


def _count_views(emulator: Emulator, monkeypatch) -> list[str]:
    state = emulator.runtime.optisigns.state
    seen: list[str] = []
    original = type(state).device_view

    def counting(self, device):
        seen.append(device["_id"])
        return original(self, device)

    monkeypatch.setattr(type(state), "device_view", counting)
    return seen


def test_a_page_builds_the_views_of_its_own_screens_only(emulator: Emulator, monkeypatch) -> None:
    emulator.control.add_screens(120, tags=["paging"])
    seen = _count_views(emulator, monkeypatch)
    page = data(emulator, PAGE, {"first": 25})["devices"]
    assert len(page["page"]["edges"]) == 25
    assert seen == [edge["node"]["_id"] for edge in page["page"]["edges"]]


def test_walking_the_pages_gives_every_screen_once_in_order(emulator: Emulator) -> None:
    emulator.control.add_screens(57, tags=["paging"])
    everything = data(emulator, PAGE, {})["devices"]["page"]["edges"]
    walked, after, offsets = [], None, []
    while True:
        page = data(emulator, PAGE, {"first": 10, "after": after})["devices"]
        walked += page["page"]["edges"]
        offsets.append(page["pageData"]["offset"])
        if not page["page"]["pageInfo"]["hasNextPage"]:
            break
        after = page["page"]["pageInfo"]["endCursor"]
    assert walked == everything
    assert offsets == list(range(0, len(everything), 10))
    assert base64.b64decode(walked[-1]["cursor"]).decode() == f"arrayconnection:{len(everything) - 1}"
