"""The fault matrix (issue 11): every OptiSigns write of the hook and the write operators, under every fault.

Each case injects one fault into the GraphQL operation a write sends, runs the write with a 1 s
request timeout, waits for a late write to land, then runs the write again as a retry of the task
would. It fails on a duplicate (two objects where one was asked for, an item added twice, a push
queued twice, a takeover restarted) or a lost write (a wanted item missing, the end state not the
one asked for once the retry has run). A clear error from the faulted call is fine; a wrong end
state is not.

Faults: 429, 500, 502, 503, 503 inside HTTP 200, drop, slow past the timeout, malformed,
lost_response, and drop/503 whose write lands 0.5 s and 3.5 s after the client's error. The landing
wait is 1 s (the default would be 2 s for a 1 s timeout): it catches the writes landing after
0.5 s and after the slow fault, and misses those landing after 3.5 s, which must then be neither
duplicated nor lost either.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from signs_provider.optisigns.hooks import OptiSignsHook
from signs_provider.optisigns.operators import (
    OptiSignsAssignContentOperator,
    OptiSignsPushToScreensOperator,
    OptiSignsUploadAssetOperator,
)
from tests.optisigns.conftest import FAST, emulated_now, playlist_items

GRAPHQL = "^/optisigns/graphql$"

FAULTS: dict[str, dict[str, Any]] = {
    "429": {"kind": "429", "retry_after": 0},
    "500": {"kind": "500"},
    "502": {"kind": "502"},
    "503": {"kind": "503"},
    "503-in-200": {"kind": "503", "in_body": True},
    "drop": {"kind": "drop"},
    "slow": {"kind": "slow", "delay": 1.3},
    "malformed": {"kind": "malformed"},
    "lost_response": {"kind": "lost_response"},
    "drop-late-0.5": {"kind": "drop", "late_write": 0.5},
    "drop-late-3.5": {"kind": "drop", "late_write": 3.5},
    "503-late-0.5": {"kind": "503", "late_write": 0.5},
    "503-late-3.5": {"kind": "503", "late_write": 3.5},
    # No fault: the first try applies its write, then the task fails for another reason and is retried.
    "task-retry": {},
}


class _TaskInstance:
    dag_id, task_id, run_id, map_index = "matrix", "task", "scheduled__1", -1

    def xcom_push(self, key: str, value: object) -> None:
        pass


@dataclass
class Case:
    """One write: what it needs first, the call, and the end state it must leave (after its retry)."""

    operation: str
    setup: Callable[[OptiSignsHook, Any], dict[str, Any]]
    call: Callable[[OptiSignsHook, dict[str, Any]], Any]
    #: Checked after the faulted call and after the retry: raises AssertionError on a duplicate.
    never_twice: Callable[[OptiSignsHook, dict[str, Any]], None]
    #: Checked after the retry: raises AssertionError on a lost write.
    done: Callable[[OptiSignsHook, dict[str, Any]], None]
    #: Whether calling again is how a retry behaves (False: the retry is skipped, e.g. a move).
    retry: bool = True


def _named(items: list[dict], name: str) -> list[dict]:
    return [i for i in items if i.get("name") == name]


def _assets(hook: OptiSignsHook, *names: str) -> list[str]:
    return [hook.upsert_website_asset(n, f"https://{n}.example.com")["_id"] for n in names]


def _at_most_one(count: Callable[[OptiSignsHook, dict], int]) -> Callable[[OptiSignsHook, dict], None]:
    def check(hook: OptiSignsHook, s: dict) -> None:
        assert count(hook, s) <= 1, "duplicate"

    return check


def _exactly_one(count: Callable[[OptiSignsHook, dict], int]) -> Callable[[OptiSignsHook, dict], None]:
    def check(hook: OptiSignsHook, s: dict) -> None:
        assert count(hook, s) == 1, "lost"

    return check


def _items(hook: OptiSignsHook, s: dict) -> list[str]:
    return [i for i, _ in playlist_items(hook, s["playlist"])]


def _upload_setup(hook: OptiSignsHook, env: Any) -> dict[str, Any]:
    return {"png": env.png}


def _playlist_setup(*items: str) -> Callable[[OptiSignsHook, Any], dict[str, Any]]:
    def setup(hook: OptiSignsHook, env: Any) -> dict[str, Any]:
        ids = _assets(hook, *items)
        playlist = hook.upsert_playlist("Matrix")["_id"]
        hook.set_playlist_items(playlist, ids)
        return {"playlist": playlist, "ids": ids}

    return setup


def _screen_setup(hook: OptiSignsHook, env: Any) -> dict[str, Any]:
    kitchen = {s["deviceName"]: s for s in hook.list_screens()}["Office Kitchen"]["_id"]
    later = emulated_now(env.emulator).replace(tzinfo=None, microsecond=0) + timedelta(days=1)
    return {
        "playlist": hook.find_playlist("Office Rotation")["_id"],
        "screen": kitchen,
        "start": later.isoformat(),
        "emulator": env.emulator,
    }


def _push_op(s: dict, mode: str) -> OptiSignsPushToScreensOperator:
    extra: dict[str, Any] = {
        "SCHEDULE": {"start_at": s["start"]},
        "TEMPORARILY": {"takeover_minutes": 30},
    }.get(mode, {})
    op = OptiSignsPushToScreensOperator(
        task_id="task", playlist_id=s["playlist"], screen_ids=[s["screen"]], mode=mode, **extra
    )
    op.hook = s["hook"]
    return op


def _screen(s: dict) -> dict:
    return s["emulator"].control.screen(s["screen"])


def _schedule_setup(hook: OptiSignsHook, env: Any) -> dict[str, Any]:
    (asset,) = _assets(hook, "item")
    schedule = hook.upsert_schedule("Matrix")["_id"]
    return {"schedule": schedule, "asset": asset}


def _upload_op(s: dict) -> OptiSignsUploadAssetOperator:
    op = OptiSignsUploadAssetOperator(task_id="task", source=str(s["png"]), name="Matrix")
    op.hook = s["hook"]
    return op


CASES: dict[str, Case] = {
    "upload_file": Case(
        "saveAsset",
        _upload_setup,
        lambda hook, s: hook.upload_file(s["png"], name="Matrix"),
        _at_most_one(lambda hook, s: len(hook.list_assets(name="Matrix.png"))),
        # upload_file always makes a new asset (the operator is the retry-safe way): no retry here.
        lambda hook, s: None,
        retry=False,
    ),
    "UploadAssetOperator": Case(
        "saveAsset",
        _upload_setup,
        lambda hook, s: _upload_op(s).execute({"ti": _TaskInstance()}),
        _at_most_one(lambda hook, s: len(hook.list_assets(name="Matrix.png"))),
        _exactly_one(lambda hook, s: len(hook.list_assets(name="Matrix.png"))),
    ),
    "upsert_website_asset": Case(
        "saveAsset",
        lambda hook, env: {},
        lambda hook, s: hook.upsert_website_asset("Matrix", "https://m.example.com"),
        _at_most_one(lambda hook, s: len(hook.list_assets(name="Matrix"))),
        _exactly_one(lambda hook, s: len(hook.list_assets(name="Matrix"))),
    ),
    "upsert_playlist": Case(
        "savePlaylist",
        lambda hook, env: {},
        lambda hook, s: hook.upsert_playlist("Matrix"),
        _at_most_one(lambda hook, s: len(_named(hook.list_playlists(), "Matrix"))),
        _exactly_one(lambda hook, s: len(_named(hook.list_playlists(), "Matrix"))),
    ),
    "upsert_schedule": Case(
        "saveSchedule",
        lambda hook, env: {},
        lambda hook, s: hook.upsert_schedule("Matrix"),
        _at_most_one(lambda hook, s: len(_named(hook.list_schedules(), "Matrix"))),
        _exactly_one(lambda hook, s: len(_named(hook.list_schedules(), "Matrix"))),
    ),
    "set_playlist_items (add)": Case(
        "addPlaylistItems",
        lambda hook, env: {**_playlist_setup("a", "b")(hook, env), "new": _assets(hook, "c")[0]},
        lambda hook, s: hook.set_playlist_items(s["playlist"], [*s["ids"], s["new"]]),
        _at_most_one(lambda hook, s: _items(hook, s).count(s["new"])),
        lambda hook, s: _expect(_items(hook, s), [*s["ids"], s["new"]]),
    ),
    "set_playlist_items (remove)": Case(
        "removePlaylistItems",
        _playlist_setup("a1", "a2", "a3", "a4"),
        lambda hook, s: hook.set_playlist_items(s["playlist"], [s["ids"][0], *s["ids"][2:]]),
        lambda hook, s: _no_missing(_items(hook, s), [s["ids"][0], *s["ids"][2:]]),
        lambda hook, s: _expect(_items(hook, s), [s["ids"][0], *s["ids"][2:]]),
    ),
    "set_playlist_items (durations)": Case(
        "updatePlaylistItems",
        _playlist_setup("a", "b"),
        lambda hook, s: hook.set_playlist_items(s["playlist"], [(i, 9) for i in s["ids"]]),
        lambda hook, s: _expect(_items(hook, s), s["ids"]),
        lambda hook, s: _expect(playlist_items(hook, s["playlist"]), [(i, 9.0) for i in s["ids"]]),
    ),
    "remove_playlist_items": Case(
        "removePlaylistItems",
        _playlist_setup("a1", "a2", "a3", "a4"),
        lambda hook, s: hook.remove_playlist_items(s["playlist"], [1]),
        # Removed once or not at all: a removal applied twice takes a wanted item (a3) with it.
        lambda hook, s: _one_of(_items(hook, s), s["ids"], [s["ids"][0], *s["ids"][2:]], label="lost"),
        lambda hook, s: None,
        retry=False,  # removing position 1 again removes another item: the caller re-reads first
    ),
    "move_playlist_items": Case(
        "movePlaylistItems",
        _playlist_setup("a", "b", "c"),
        lambda hook, s: hook.move_playlist_items(s["playlist"], [0], 2),
        # Moved once or not at all, never twice (b, c, a moved again would be b, a, c... or worse).
        lambda hook, s: _one_of(_items(hook, s), s["ids"], [s["ids"][1], s["ids"][2], s["ids"][0]]),
        lambda hook, s: None,
        retry=False,  # moving again moves again: a retry is the caller's decision, after reading
    ),
    "add_schedule_item": Case(
        "addScheduleItem",
        _schedule_setup,
        lambda hook, s: hook.add_schedule_item(
            s["schedule"], start="2031-01-01T09:00:00", end="2031-01-01T17:00:00", asset_id=s["asset"]
        ),
        _at_most_one(lambda hook, s: len(hook.list_schedule_items(s["schedule"]))),
        lambda hook, s: None,
        retry=False,  # a second item with the same range is refused as an overlap (a clear error)
    ),
    "remove_schedule_item": Case(
        "removeScheduleItem",
        lambda hook, env: {
            **(s := _schedule_setup(hook, env)),
            "item": hook.add_schedule_item(
                s["schedule"], start="2031-01-01T09:00:00", end="2031-01-01T17:00:00", asset_id=s["asset"]
            )["_id"],
        },
        lambda hook, s: hook.remove_schedule_item(s["item"]),
        lambda hook, s: None,
        lambda hook, s: _expect(hook.list_schedule_items(s["schedule"]), []),
    ),
    "PushToScreensOperator NOW": Case(
        "pushToScreens",
        _screen_setup,
        lambda hook, s: _push_op(s, "NOW").execute({"ti": _TaskInstance()}),
        lambda hook, s: None,
        lambda hook, s: _expect(_screen(s)["currentPlaylistId"], s["playlist"]),
    ),
    "PushToScreensOperator SCHEDULE": Case(
        "pushToScreens",
        _screen_setup,
        lambda hook, s: _push_op(s, "SCHEDULE").execute({"ti": _TaskInstance()}),
        _at_most_one(lambda hook, s: len(_screen(s)["scheduleGoLive"] or [])),
        _exactly_one(lambda hook, s: len(_screen(s)["scheduleGoLive"] or [])),
    ),
    "PushToScreensOperator TEMPORARILY": Case(
        "pushToScreens",
        _screen_setup,
        lambda hook, s: _push_op(s, "TEMPORARILY").execute({"ti": _TaskInstance()}),
        lambda hook, s: _takeover_not_restarted(s),
        lambda hook, s: _expect((_screen(s)["temporarily"] or {}).get("currentPlaylistId"), s["playlist"]),
    ),
    "AssignContentOperator": Case(
        "updateDevice",
        _screen_setup,
        lambda hook, s: _assign(hook, s),
        lambda hook, s: None,
        lambda hook, s: _expect(_screen(s)["currentPlaylistId"], s["playlist"]),
    ),
    "tag_assets": Case(
        "updateObjectTags",
        lambda hook, env: {"ids": _assets(hook, "t")},
        lambda hook, s: hook.tag_assets(s["ids"], ["matrix"]),
        _at_most_one(lambda hook, s: hook.get_asset(s["ids"][0])["tags"].count("matrix")),
        lambda hook, s: _expect(hook.get_asset(s["ids"][0])["tags"].count("matrix"), 1),
    ),
    "delete_playlists": Case(
        "deleteObjects",
        lambda hook, env: {"playlist": hook.upsert_playlist("Matrix")["_id"]},
        lambda hook, s: hook.delete_playlists([s["playlist"]]),
        lambda hook, s: None,
        lambda hook, s: _expect(_named(hook.list_playlists(), "Matrix"), []),
    ),
}


def _assign(hook: OptiSignsHook, s: dict) -> Any:
    op = OptiSignsAssignContentOperator(task_id="task", playlist_id=s["playlist"], screen_ids=[s["screen"]])
    op.hook = hook
    return op.execute({"ti": _TaskInstance()})


def _expect(actual: Any, wanted: Any) -> None:
    assert actual == wanted, "lost"


def _no_missing(actual: list[str], wanted: list[str]) -> None:
    assert all(w in actual for w in wanted), f"lost: {actual}"


def _one_of(actual: list[str], *allowed: list[str], label: str = "duplicate") -> None:
    assert actual in allowed, f"{label}: {actual}"


def _takeover_not_restarted(s: dict) -> None:
    takeover = _screen(s)["temporarily"]
    if takeover is None:
        return
    first = s.setdefault("until", takeover["until"])
    assert takeover["until"] == first, "duplicate: the takeover was restarted"


class _Env:
    def __init__(self, emulator: Any, png: Any) -> None:
        self.emulator = emulator
        self.png = png


#: Emulators run side by side, each in its own thread of this process, so that the cases' waits
#: (landing waits, late writes) overlap: the matrix takes about a minute instead of seven.
EMULATORS = 10


@pytest.fixture(scope="module")
def emulators(tmp_path_factory) -> Iterator[list[tuple[str, Any]]]:
    """``(connection id, emulator)`` pairs, each emulator with its own ``AIRFLOW_CONN_MATRIX_<n>``."""
    from signs_emulator import Emulator

    started: list[tuple[str, Any]] = []
    with ExitStack() as stack:
        for n in range(EMULATORS):
            emu = stack.enter_context(Emulator(data_dir=tmp_path_factory.mktemp(f"matrix{n}")))
            conn = emu.connections()["AIRFLOW_CONN_OPTISIGNS_DEFAULT"]
            stack.enter_context(_env(f"AIRFLOW_CONN_MATRIX_{n}", conn))
            started.append((f"matrix_{n}", emu))
        yield started


@contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def run_case(conn_id: str, emulator: Any, png: Any, case: str, fault: str) -> str:
    """Run one write under one fault; return ``"ok"``, ``"error: ..."`` (a clear error), or raise AssertionError."""
    spec = CASES[case]
    emulator.control.reset()
    hook = OptiSignsHook(optisigns_conn_id=conn_id, retry_policy=FAST, timeout=1, landing_wait=1.0)
    state = spec.setup(
        OptiSignsHook(optisigns_conn_id=conn_id, retry_policy=FAST, timeout=10), _Env(emulator, png)
    )
    state["hook"] = hook
    rule = FAULTS[fault]
    if rule:
        emulator.control.add_fault(path=GRAPHQL, operation=spec.operation, **rule)
    started = time.monotonic()
    outcome = "ok"
    try:
        spec.call(hook, state)
    except Exception as exc:  # a clear error is an acceptable outcome; the end state is what counts
        outcome = f"error: {type(exc).__name__}"
    spec.never_twice(hook, state)
    late = rule.get("late_write") or (rule.get("delay", 0) if rule.get("kind") == "slow" else 0)
    if late:
        # Let a late write land: the emulator applies it `late` seconds after the client's error.
        # The emulator gives the same ids after each reset, so a write landing in the next case could
        # hit its objects; and a retry sent before it lands is the one window no client can close
        # (a real retry comes minutes later). On a busy machine it may land later than `late`, so
        # once that time is past, the end state the retry would find is waited for (bounded).
        time.sleep(max(0.0, late + 0.5 - (time.monotonic() - started)))
        if spec.retry:
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                try:
                    spec.done(hook, state)
                    break
                except AssertionError:
                    time.sleep(0.2)
        spec.never_twice(hook, state)
    emulator.control.clear_faults()
    if spec.retry:
        # The retry of the task: a fresh hook, no fault, a generous timeout (the machine may be busy).
        state["hook"] = retry = OptiSignsHook(optisigns_conn_id=conn_id, retry_policy=FAST, timeout=10)
        spec.call(retry, state)
        spec.never_twice(retry, state)
        spec.done(retry, state)
    return outcome


def test_fault_matrix_finds_no_duplicate_and_no_lost_write(emulators, png) -> None:
    """Every case under every fault: 0 duplicates, 0 lost writes (clear errors are fine)."""
    from concurrent.futures import ThreadPoolExecutor
    from queue import Queue

    free: Queue[tuple[str, Any]] = Queue()
    for pair in emulators:
        free.put(pair)

    def one(case: str, fault: str) -> tuple[str, str, str]:
        import requests

        conn_id, emu = free.get()
        try:
            for attempt in (1, 2):
                try:
                    return case, fault, run_case(conn_id, emu, png, case, fault)
                except requests.RequestException:
                    # Only the emulator's control client lets a requests error through (the provider
                    # wraps its own): a glitch of the test harness on a busy machine, run it again.
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")
        except AssertionError as exc:
            return case, fault, f"FAILED {exc}"
        except Exception as exc:
            return case, fault, f"FAILED (the retry or a check raised) {type(exc).__name__}: {exc}"
        finally:
            free.put((conn_id, emu))

    # The slowest (late writes) first, so that the pool stays busy to the end.
    combos = sorted(
        ((c, f) for c in CASES for f in FAULTS), key=lambda cf: -float(FAULTS[cf[1]].get("late_write") or 0)
    )
    with ThreadPoolExecutor(len(emulators)) as pool:
        results = list(pool.map(lambda cf: one(*cf), combos))
    failed = [
        f"{case} / {fault}: {outcome}" for case, fault, outcome in results if outcome.startswith("FAILED")
    ]
    errors = sum(outcome.startswith("error") for _, _, outcome in results)
    print(
        f"\nfault matrix: {len(results)} cases, {len(results) - errors - len(failed)} fine, {errors} clear errors, {len(failed)} failed"
    )
    assert not failed, "\n".join(failed)
