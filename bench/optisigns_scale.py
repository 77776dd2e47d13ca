"""OptiSigns calls at 10, 100, 1,000 and 5,000 screens and playlist items (issue 14).

Run with ``python -m bench optisigns_scale`` (or ``make bench``). Everything runs against a local
emulator started here. Counts, not seconds, are the point: calls come from the emulator's request
log, bytes from a response hook on the hook's own HTTP session (request bodies sent, answers read).
Each row is printed next to its baseline, measured in the same run:

* **tag push**: ``push_to_screens(tags=[t])`` (every screen carries ``t``); baseline: the API's own
  cost, one ``pushToScreens``.
* **one screen**: ``find_screens(ids=[one])``, ``push_to_screens(screen_ids=[one])``,
  ``assign_content([one])``; baseline: ``get_screen`` (one filtered ``devices`` query).
* **playlist sync**: ``sync_playlist`` of a playlist of N items whose *first* (or middle) item is
  replaced, or whose first and last items are swapped; baseline: the same with the *last* item
  replaced. "Peak" is the most items the playlist held on
  the way, computed from the adds and removals sent. Then a sync with no change, against one
  ``get_playlist``.
* **pessimistic**: the tag check of a push where the API refuses the tag filter (the emulator's
  pessimistic mode: a name without trusted evidence is refused and the hook repairs the request),
  against the same check where the filter is taken.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

SIZES = (10, 100, 1000, 5000)
#: Distinct assets a long playlist cycles through (a real rotation repeats its slides).
ASSETS = 20


class Meter:
    """Calls, bytes sent and bytes read by one hook, from a response hook on its ``requests`` session."""

    def __init__(self, emu: Any, hook: Any) -> None:
        self.emu = emu
        self.bodies: list[dict[str, Any]] = []
        self.sent = self.read = 0
        hook.transport.session.hooks["response"].append(self._seen)

    def _seen(self, response: Any, *args: Any, **kwargs: Any) -> None:
        body = response.request.body or b""
        self.sent += len(body)
        self.read += len(response.content or b"")
        try:
            self.bodies.append(json.loads(body))
        except ValueError:
            self.bodies.append({})

    def start(self) -> None:
        self.emu.control.reset_requests()
        self.bodies.clear()
        self.sent = self.read = 0

    def figures(self) -> dict[str, Any]:
        calls = self.emu.control.count(path="/optisigns/graphql")
        return {"calls": calls, "sent": self.sent, "read": self.read}


def _add_screens(emu: Any, count: int) -> list[str]:
    """``count`` screens tagged ``scale``, in chunks: one control call stays under its timeout."""
    ids: list[str] = []
    while len(ids) < count:
        chunk = min(500, count - len(ids))
        ids += emu.control.add_screens(chunk, tags=["scale"], path="/Scale", name_prefix="Scale")
    return ids


def _kb(count: int) -> str:
    return f"{count / 1024:,.1f} KB"


def _peak(start: int, bodies: list[dict[str, Any]]) -> int:
    """The most items a playlist of ``start`` items held, replaying the adds and removals sent."""
    size = peak = start
    for body in bodies:
        query, payload = body.get("query") or "", (body.get("variables") or {}).get("payload") or {}
        if "addPlaylistItems(" in query:
            size += len(payload.get("ids") or [])
        elif "removePlaylistItems(" in query:
            size -= len(payload.get("pos") or [])
        peak = max(peak, size)
    return peak


def _push_now():
    from signs_provider.optisigns.client.delivery import PUSH_NOW

    return PUSH_NOW


def _push_vars(asset: str) -> dict[str, Any]:
    return {
        "payload": {
            "type": "NOW",
            "currentType": "ASSET",
            "currentAssetId": asset,
            "deviceIds": [],
            "tags": ["scale"],
        }
    }


def _playlists(emu: Any, hook: Any, meter: Meter) -> list[tuple[Any, ...]]:
    rows = []
    for size in SIZES:
        emu.control.reset()
        assets = [
            hook.upsert_website_asset(f"Slide {i}", f"https://slide{i}.example.com")["_id"]
            for i in range(ASSETS + 2)
        ]
        items = [assets[i % ASSETS] for i in range(size)]
        first_new, last_new = assets[ASSETS], assets[ASSETS + 1]
        figures = {}
        for label, name, wanted in (
            ("first item replaced", "First", [first_new, *items[1:]]),
            ("middle item replaced", "Middle", [*items[: size // 2], first_new, *items[size // 2 + 1 :]]),
            ("first and last items swapped", "Swap", [items[-1], *items[1:-1], items[0]]),
            ("last item replaced (baseline)", "Last", [*items[:-1], last_new]),
        ):
            hook.sync_playlist(name, items)
            meter.start()
            hook.sync_playlist(name, wanted)
            figures[label] = {**meter.figures(), "peak": _peak(size, meter.bodies)}
        meter.start()
        hook.sync_playlist("First", [first_new, *items[1:]])
        figures["no change: reads"] = meter.figures()
        playlist_id = hook.find_playlist("First")["_id"]
        meter.start()
        hook.get_playlist(playlist_id)
        figures["get_playlist (baseline)"] = meter.figures()
        rows.append((size, figures))
    return rows


def _pessimistic(emu: Any, hook_factory: Any, meter_factory: Any) -> list[tuple[int, list[int]]]:
    """Calls of the tag check: a tag every screen has, and one only the last screen listed has."""
    rows = []
    for size in SIZES:
        emu.control.reset()
        _add_screens(emu, size - 1)
        emu.control.add_screens(1, tags=["last"], path="/Scale", name_prefix="Last")
        counts = []
        for tag in ("scale", "last"):
            for pessimistic in (True, False):
                emu.pessimistic = pessimistic
                hook = hook_factory()  # a new connection: the refusal is learnt again
                meter = meter_factory(hook)
                meter.start()
                hook.client.screens.find(tags=[tag], tag_members=False)
                counts.append(meter.figures()["calls"])
                hook.close()
        emu.pessimistic = False
        rows.append((size, counts))
    return rows


def main() -> None:
    from signs_emulator import Emulator

    with tempfile.TemporaryDirectory(prefix="signs-bench-") as tmp, Emulator(data_dir=tmp) as emu:
        os.environ.update(emu.connections())
        from signs_provider.common.transport import RetryPolicy
        from signs_provider.optisigns.hooks import OptiSignsHook

        def new_hook() -> OptiSignsHook:
            return OptiSignsHook(retry_policy=RetryPolicy(max_attempts=1), landing_wait=1.0)

        hook = new_hook()
        meter = Meter(emu, hook)
        screen_rows = []
        for size in SIZES:
            emu.control.reset()
            asset = hook.upsert_website_asset("Scale slide", "https://scale.example.com")["_id"]
            screen_rows.extend(_screens_at(emu, hook, meter, asset, size))
        playlist_rows = _playlists(emu, hook, meter)
        pessimistic_rows = _pessimistic(emu, new_hook, lambda h: Meter(emu, h))
        hook.close()

    print(
        "Screens: calls (and bytes read) of one operation in a team of N screens, each next to its baseline:"
    )
    print()
    print("| screens | operation | calls | sent | read |")
    print("|--------:|-----------|------:|-----:|-----:|")
    for size, label, fig in screen_rows:
        print(f"| {size:>7,} | {label} | {fig['calls']} | {_kb(fig['sent'])} | {_kb(fig['read'])} |")
    print()
    print(
        f"Playlists of N items ({ASSETS} assets repeated): sync_playlist with one item replaced, and without change:"
    )
    print()
    print("| items | sync | calls | sent | read | peak items |")
    print("|------:|------|------:|-----:|-----:|-----------:|")
    for size, figures in playlist_rows:
        for label, fig in figures.items():
            peak = f"{fig['peak']:,}" if "peak" in fig else ""
            print(
                f"| {size:>5,} | {label} | {fig['calls']} | {_kb(fig['sent'])} | {_kb(fig['read'])} | {peak} |"
            )
    print()
    print(
        "The tag check of a push where the API refuses the tag filter (pessimistic emulator, a new "
        "connection: the refused requests are counted), against the filter taken:"
    )
    print()
    print(
        "| screens | tag on every screen: refused | taken (baseline) | tag on the last screen only: refused | taken (baseline) |"
    )
    print("|--------:|-----:|-----:|-----:|-----:|")
    for size, counts in pessimistic_rows:
        print(f"| {size:>7,} | {' | '.join(str(c) for c in counts)} |")


def _screens_at(
    emu: Any, hook: Any, meter: Meter, asset: str, size: int
) -> list[tuple[int, str, dict[str, Any]]]:
    ids = _add_screens(emu, size)
    one = ids[-1]
    rows = []
    for label, call in (
        ("push_to_screens(tags=[t])", lambda: hook.push_to_screens(asset_id=asset, tags=["scale"])),
        (
            "baseline: the API's own cost, one pushToScreens",
            lambda: hook.client.graphql.send(_push_now(), _push_vars(asset)),
        ),
        ("find_screens(ids=[one])", lambda: hook.find_screens(ids=[one])),
        ("push_to_screens(screen_ids=[one])", lambda: hook.push_to_screens(asset_id=asset, screen_ids=[one])),
        ("assign_content([one])", lambda: hook.assign_content([one], asset_id=asset)),
        ("baseline: get_screen(one)", lambda: hook.get_screen(one)),
    ):
        meter.start()
        call()
        rows.append((size, label, meter.figures()))
    return rows
