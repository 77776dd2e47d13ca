"""Never twice, never lost (issue 11, OptiSigns): the cases found under faults, each over real HTTP.

A dropped connection whose write lands late (``late_write``), task retries after a first try that
applied its write, concurrent upserts of one name, a position-addressed removal that lands late,
a rate-limited mutation, and bad input refused before any request.

The hooks here give up on a request after 1 s, so their landing wait is min(2 * 1 s, 60) = 2 s: a
write landing 0.5 s after the error is found; one landing 3.5 s after it is not, and the hook raises
:class:`AmbiguousWriteError` without sending it again. The test then waits for the late write, and
checks that there is exactly one of everything, including after a retry.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from signs_provider.common.errors import AmbiguousWriteError, SignsConfigError
from signs_provider.optisigns.hooks import OptiSignsHook
from signs_provider.optisigns.operators import (
    KEY_TAG_PREFIX,
    OptiSignsPushToScreensOperator,
    OptiSignsUploadAssetOperator,
    marker_tag,
)
from tests.optisigns.conftest import FAST, emulated_now, playlist_items, screens_by_name

GRAPHQL = "^/optisigns/graphql$"


def timeout_hook() -> OptiSignsHook:
    """Gives up after 1 s; landing wait 2 s (the default for that timeout)."""
    return OptiSignsHook(retry_policy=FAST, timeout=1)


def eventually(check: Callable[[], bool], within: float = 10.0) -> None:
    """Wait for a late write to land (polling), then let the caller assert on the end state."""
    deadline = time.monotonic() + within
    while not check() and time.monotonic() < deadline:
        time.sleep(0.2)


def late_drop(emulator, operation: str, late: float) -> None:
    emulator.control.add_fault("drop", path=GRAPHQL, operation=operation, late_write=late)


def named(items, name, field="name") -> list:
    return [i for i in items if i.get(field) == name]


# -- a dropped connection whose write lands late ------------------------------------------------------


def _landed_once(call, count, *, late: float) -> None:
    """``call()`` under the fault: found if it lands within the wait, else raised; one object in the end."""
    if late < 2:
        call()
    else:
        with pytest.raises(AmbiguousWriteError, match="not sent again"):
            call()
        eventually(lambda: count() >= 1)
    assert count() == 1
    call()  # what a retry does: finds it
    assert count() == 1


@pytest.mark.parametrize("late", [0.5, 3.5])
@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="its fault hits the first request, which pessimistic mode refuses in validation (a weak name) before the repaired one is sent",
)
def test_upsert_playlist_after_a_late_drop_makes_one(optisigns_env, late) -> None:
    hook = timeout_hook()
    late_drop(optisigns_env, "savePlaylist", late)
    _landed_once(
        lambda: hook.upsert_playlist("Late"), lambda: len(named(hook.list_playlists(), "Late")), late=late
    )
    assert optisigns_env.control.count(operation="savePlaylist") == 1


@pytest.mark.parametrize("late", [0.5, 3.5])
@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="its fault hits the first request, which pessimistic mode refuses in validation (a weak name) before the repaired one is sent",
)
def test_upsert_schedule_after_a_late_drop_makes_one(optisigns_env, late) -> None:
    hook = timeout_hook()
    late_drop(optisigns_env, "saveSchedule", late)
    _landed_once(
        lambda: hook.upsert_schedule("Late"), lambda: len(named(hook.list_schedules(), "Late")), late=late
    )


@pytest.mark.parametrize("late", [0.5, 3.5])
def test_upsert_website_asset_after_a_late_drop_makes_one(optisigns_env, late) -> None:
    hook = timeout_hook()
    late_drop(optisigns_env, "saveAsset", late)
    _landed_once(
        lambda: hook.upsert_website_asset("Late", "https://late.example.com"),
        lambda: len(hook.list_assets(name="Late")),
        late=late,
    )


@pytest.mark.parametrize("late", [0.5, 3.5])
def test_upload_file_after_a_late_drop_makes_one_asset(optisigns_env, png, late) -> None:
    hook = timeout_hook()
    late_drop(optisigns_env, "saveAsset", late)
    if late < 2:
        hook.upload_file(png, name="Late")
    else:
        with pytest.raises(AmbiguousWriteError, match="not sent again"):
            hook.upload_file(png, name="Late")
        eventually(lambda: len(hook.list_assets(name="Late.png")) >= 1)
    assert len(hook.list_assets(name="Late.png")) == 1
    assert optisigns_env.control.count(operation="saveAsset") == 1


@pytest.mark.parametrize("late", [0.5, 3.5])
def test_set_playlist_items_after_a_late_dropped_add_adds_once(optisigns_env, late) -> None:
    hook = timeout_hook()
    a, b = (hook.upsert_website_asset(n, f"https://{n}.example.com")["_id"] for n in "ab")
    playlist = hook.upsert_playlist("Adds")["_id"]
    hook.set_playlist_items(playlist, [a])
    late_drop(optisigns_env, "addPlaylistItems", late)
    _landed_once(
        lambda: hook.set_playlist_items(playlist, [a, b]),
        lambda: [i for i, _ in playlist_items(hook, playlist)].count(b),
        late=late,
    )
    assert [i for i, _ in playlist_items(hook, playlist)] == [a, b]


@pytest.mark.parametrize("late", [0.5, 3.5])
def test_set_playlist_items_after_a_late_dropped_removal_loses_nothing(optisigns_env, late) -> None:
    hook = timeout_hook()
    a1, a2, a3, a4 = (hook.upsert_website_asset(f"a{n}", f"https://a{n}.example.com")["_id"] for n in "1234")
    playlist = hook.upsert_playlist("Removals")["_id"]
    hook.set_playlist_items(playlist, [a1, a2, a3, a4])
    late_drop(optisigns_env, "removePlaylistItems", late)
    wanted = [a1, a3, a4]
    if late < 2:
        hook.set_playlist_items(playlist, wanted)
    else:
        with pytest.raises(AmbiguousWriteError, match="not sent again"):
            hook.set_playlist_items(playlist, wanted)
        eventually(lambda: len(playlist_items(hook, playlist)) == 3)
        hook.set_playlist_items(playlist, wanted)  # the retry
    # Never resent blindly: the late original is the only removal that applied.
    assert optisigns_env.control.count(operation="removePlaylistItems") == 1
    assert [i for i, _ in playlist_items(hook, playlist)] == wanted


def test_remove_playlist_items_after_a_late_dropped_removal_takes_nothing_else(optisigns_env) -> None:
    # The lost write: "remove position 1" resent, then the late original removes position 1
    # again, and a3 disappears after the call returned.
    hook = timeout_hook()
    a1, a2, a3, a4 = (hook.upsert_website_asset(f"a{n}", f"https://a{n}.example.com")["_id"] for n in "1234")
    playlist = hook.upsert_playlist("Removals")["_id"]
    hook.set_playlist_items(playlist, [a1, a2, a3, a4])
    late_drop(optisigns_env, "removePlaylistItems", 3.5)
    started = time.monotonic()
    with pytest.raises(AmbiguousWriteError, match="not sent again"):
        hook.remove_playlist_items(playlist, [1])
    # Waiting (not asserting on time): past the moment the late removal lands.
    time.sleep(max(0.0, 3.5 + 1.5 - (time.monotonic() - started)))
    assert [i for i, _ in playlist_items(hook, playlist)] == [a1, a3, a4]
    assert optisigns_env.control.count(operation="removePlaylistItems") == 1


# -- concurrent upserts of one name -----------------------------------------------------------------


def _concurrently(call: Callable[[], dict], n: int = 10) -> list[dict]:
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: call(), range(n)))


def test_concurrent_upsert_playlist_converges_on_one(optisigns_env) -> None:
    results = _concurrently(lambda: OptiSignsHook(retry_policy=FAST).upsert_playlist("Mapped"))
    left = named(OptiSignsHook().list_playlists(), "Mapped")
    assert len(left) == 1
    assert {r["_id"] for r in results} == {left[0]["_id"]}


def test_concurrent_upsert_website_asset_converges_on_one(optisigns_env) -> None:
    results = _concurrently(
        lambda: OptiSignsHook(retry_policy=FAST).upsert_website_asset("Mapped", "https://m.example.com")
    )
    left = OptiSignsHook().list_assets(name="Mapped")
    assert len(left) == 1
    assert {r["_id"] for r in results} == {left[0]["_id"]}


@pytest.mark.signs_emulator_pessimistic(
    False, reason="deletes a schedule (OBJECT_TYPES.SCHEDULE: no evidence)"
)
def test_concurrent_upsert_schedule_converges_on_one(optisigns_env) -> None:
    results = _concurrently(lambda: OptiSignsHook(retry_policy=FAST).upsert_schedule("Mapped"))
    left = named(OptiSignsHook().list_schedules(), "Mapped")
    assert len(left) == 1
    assert {r["_id"] for r in results} == {left[0]["_id"]}


# -- a rate-limited mutation is sent again (it was not applied) --------------------------------------------


@pytest.mark.parametrize("in_body", [False, True], ids=["http-429", "429-inside-200"])
@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="counts requests: pessimistic mode adds the first one, refused in validation for a weak name",
)
def test_a_rate_limited_create_is_retried(optisigns_env, in_body) -> None:
    hook = OptiSignsHook(retry_policy=FAST, landing_wait=0.5)
    optisigns_env.control.add_fault(
        "429", path=GRAPHQL, operation="savePlaylist", retry_after=0, in_body=in_body
    )
    playlist = hook.upsert_playlist("Limited")
    assert named(hook.list_playlists(), "Limited") == [playlist]
    assert optisigns_env.control.count(operation="savePlaylist") == 2


def test_a_rate_limited_playlist_change_is_retried(optisigns_env) -> None:
    hook = OptiSignsHook(retry_policy=FAST, landing_wait=0.5)
    a = hook.upsert_website_asset("a", "https://a.example.com")["_id"]
    playlist = hook.upsert_playlist("Limited")["_id"]
    optisigns_env.control.add_fault("429", path=GRAPHQL, operation="addPlaylistItems", retry_after=0)
    hook.set_playlist_items(playlist, [a])
    assert [i for i, _ in playlist_items(hook, playlist)] == [a]


# -- bad input, refused before any request ------------------------------------------------------------


def test_a_huge_asset_name_is_refused_before_any_request(optisigns_env, png) -> None:
    hook = OptiSignsHook(retry_policy=FAST)
    name = "x" * 100_000
    for call in (
        lambda: hook.upload_file(png, name=name),
        lambda: hook.upsert_website_asset(name, "https://a.example.com"),
        lambda: hook.upsert_playlist(name),
        lambda: hook.upsert_schedule(name),
    ):
        with pytest.raises(SignsConfigError, match=r"name: 100000 characters, over the limit of 255"):
            call()
    assert optisigns_env.control.requests() == []


def test_a_plain_http_upload_url_is_refused_before_any_request(optisigns_env, monkeypatch, png) -> None:
    conn = json.loads(optisigns_env.connections()["AIRFLOW_CONN_OPTISIGNS_DEFAULT"])
    extra = {**conn.get("extra", {}), "upload_url": "http://uploads.example.com/assemblies"}
    monkeypatch.setenv("AIRFLOW_CONN_OPTISIGNS_PLAIN", json.dumps({**conn, "extra": extra}))
    hook = OptiSignsHook(optisigns_conn_id="optisigns_plain", retry_policy=FAST)
    with pytest.raises(SignsConfigError, match="upload_url.*plain http"):
        hook.upload_file(png)
    assert optisigns_env.control.requests() == []


# -- task retries ---------------------------------------------------------------------------------------


class _TaskInstance:
    def __init__(self, run_id: str = "scheduled__1", task_id: str = "task") -> None:
        self.dag_id, self.task_id, self.run_id, self.map_index = "dag", task_id, run_id, -1

    def xcom_push(self, key: str, value: object) -> None:
        pass


def test_upload_operator_retry_returns_the_first_tries_asset(optisigns_env, png) -> None:
    context = {"ti": _TaskInstance()}
    op = OptiSignsUploadAssetOperator(task_id="task", source=str(png), name="Menu")
    first = op.execute(context)
    second = OptiSignsUploadAssetOperator(task_id="task", source=str(png), name="Menu").execute(context)
    assert second["asset_id"] == first["asset_id"]
    assert len(OptiSignsHook().list_assets(name="Menu.png")) == 1
    assert optisigns_env.control.count(operation="saveAsset") == 1


def test_upload_operator_retry_after_a_lost_save_that_landed_late(optisigns_env, png) -> None:
    context = {"ti": _TaskInstance()}
    late_drop(optisigns_env, "saveAsset", 3.5)
    op = OptiSignsUploadAssetOperator(task_id="task", source=str(png), name="Menu")
    op.hook = timeout_hook()
    with pytest.raises(AmbiguousWriteError):
        op.execute(context)
    eventually(lambda: len(OptiSignsHook().list_assets(name="Menu.png")) == 1)
    retry = OptiSignsUploadAssetOperator(task_id="task", source=str(png), name="Menu").execute(context)
    assets = OptiSignsHook().list_assets(name="Menu.png")
    assert [a["_id"] for a in assets] == [retry["asset_id"]]


def test_upload_operator_idempotency_key_is_shared_across_runs_and_tasks(optisigns_env, png) -> None:
    key = "contract-42-2026-12-02"
    made = [
        OptiSignsUploadAssetOperator(task_id=task, source=str(png), idempotency_key=key).execute(
            {"ti": _TaskInstance(run_id=run, task_id=task)}
        )
        for run, task in (("run-1", "a"), ("run-2", "a"), ("run-2", "b"))
    ]
    assert len({m["asset_id"] for m in made}) == 1
    asset = OptiSignsHook().get_asset(made[0]["asset_id"])
    assert marker_tag(KEY_TAG_PREFIX, key) in asset["tags"]
    other = OptiSignsUploadAssetOperator(task_id="a", source=str(png), idempotency_key="another").execute(
        {"ti": _TaskInstance()}
    )
    assert other["asset_id"] != made[0]["asset_id"]
    with pytest.raises(SignsConfigError, match="idempotency_key: rendered empty"):
        OptiSignsUploadAssetOperator(task_id="a", source=str(png), idempotency_key=" ").execute(
            {"ti": _TaskInstance()}
        )


def _push(optisigns_env, mode: str, **extra) -> tuple[OptiSignsPushToScreensOperator, str]:
    hook = OptiSignsHook()
    playlist = hook.find_playlist("Office Rotation")["_id"]
    kitchen = screens_by_name(hook)["Office Kitchen"]["_id"]
    op = OptiSignsPushToScreensOperator(
        task_id="task", playlist_id=playlist, screen_ids=[kitchen], mode=mode, **extra
    )
    return op, kitchen


def _later(optisigns_env) -> str:
    return (
        (emulated_now(optisigns_env).replace(tzinfo=None) + timedelta(days=1))
        .replace(microsecond=0)
        .isoformat()
    )


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_push_operator_schedule_retry_does_not_queue_twice(optisigns_env) -> None:
    context = {"ti": _TaskInstance()}
    op, kitchen = _push(optisigns_env, "SCHEDULE", start_at=_later(optisigns_env))
    op.execute(context)
    op.execute(context)
    assert optisigns_env.control.count(operation="pushToScreens") == 1
    assert len(optisigns_env.control.screen(kitchen)["scheduleGoLive"]) == 1


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_push_operator_takeover_retry_does_not_restart_the_timer(optisigns_env) -> None:
    context = {"ti": _TaskInstance()}
    op, kitchen = _push(optisigns_env, "TEMPORARILY", takeover_minutes=30)
    op.execute(context)
    until = optisigns_env.control.screen(kitchen)["temporarily"]["until"]
    optisigns_env.control.advance_clock(minutes=10)
    op.execute(context)
    assert optisigns_env.control.count(operation="pushToScreens") == 1
    assert optisigns_env.control.screen(kitchen)["temporarily"]["until"] == until


@pytest.mark.parametrize("fault", ["lost_response", "late_drop"])
@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_push_operator_schedule_with_a_lost_answer_is_found_on_the_screens(optisigns_env, fault) -> None:
    context = {"ti": _TaskInstance()}
    op, kitchen = _push(optisigns_env, "SCHEDULE", start_at=_later(optisigns_env))
    op.hook = timeout_hook()
    if fault == "lost_response":
        optisigns_env.control.add_fault("lost_response", path=GRAPHQL, operation="pushToScreens")
    else:
        late_drop(optisigns_env, "pushToScreens", 0.5)
    op.execute(context)
    assert optisigns_env.control.count(operation="pushToScreens") == 1
    assert len(optisigns_env.control.screen(kitchen)["scheduleGoLive"]) == 1


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_push_operator_takeover_lost_beyond_the_wait_raises_and_the_retry_finds_it(optisigns_env) -> None:
    context = {"ti": _TaskInstance()}
    op, kitchen = _push(optisigns_env, "TEMPORARILY", takeover_minutes=30)
    op.hook = timeout_hook()
    late_drop(optisigns_env, "pushToScreens", 3.5)
    with pytest.raises(AmbiguousWriteError, match="not sent again"):
        op.execute(context)
    eventually(lambda: optisigns_env.control.screen(kitchen)["temporarily"] is not None)
    retry, _ = _push(optisigns_env, "TEMPORARILY", takeover_minutes=30)
    retry.execute(context)
    assert optisigns_env.control.count(operation="pushToScreens") == 1


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_push_now_is_still_sent_each_time(optisigns_env) -> None:
    # NOW is idempotent: a retry sends it again, which leaves the screens as they are.
    context = {"ti": _TaskInstance()}
    op, kitchen = _push(optisigns_env, "NOW")
    op.execute(context)
    op.execute(context)
    assert optisigns_env.control.count(operation="pushToScreens") == 2


# -- issue 13 part 2: a retry resumes from what the previous try recorded in the task state store ---------


class _Store:
    """Airflow 3.3's ``context["task_state_store"]``: kept across the tries of one task instance."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def get(self, key: str, default: object = None) -> object:
        return self.values.get(key, default)

    def set(self, key: str, value: object, *, retention: object = None) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


class _CrashingTaskInstance(_TaskInstance):
    """The worker dies after the API answered (here: when the task stores its link, try 1 only)."""

    def __init__(self, try_number: int = 1) -> None:
        super().__init__()
        self.try_number = try_number

    def xcom_push(self, key: str, value: object) -> None:
        if self.try_number == 1:
            raise RuntimeError("worker lost")


def _crash_then_retry(op_factory, store: _Store | None, between: Callable[[], None] = lambda: None):
    def context(try_number: int) -> dict:
        return {"ti": _CrashingTaskInstance(try_number), **({"task_state_store": store} if store else {})}

    first, retry = op_factory(), op_factory()
    with pytest.raises(RuntimeError, match="worker lost"):
        first.execute(context(1))
    between()
    return retry.execute(context(2))


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_a_takeover_retried_after_a_crash_and_after_it_ended_is_not_restarted(optisigns_env) -> None:
    """Before: the retry read the screens, found the (ended) takeover gone, and took them over again."""
    store = _Store()
    kitchen = _push(optisigns_env, "TEMPORARILY", takeover_minutes=30)[1]
    retry = _crash_then_retry(
        lambda: _push(optisigns_env, "TEMPORARILY", takeover_minutes=30)[0],
        store,
        between=lambda: optisigns_env.control.advance_clock(minutes=40),  # retry_delay past the takeover
    )
    assert optisigns_env.control.count(operation="pushToScreens") == 1
    assert optisigns_env.control.screen(kitchen)["temporarily"] is None
    assert retry["mode"] == "TEMPORARILY" and retry["screen_ids"] == [kitchen]
    assert store.values == {}  # forgotten once the task finished: a clear after success pushes again


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_a_push_retried_after_a_crash_sends_no_request(optisigns_env) -> None:
    store = _Store()
    _crash_then_retry(lambda: _push(optisigns_env, "NOW")[0], store, optisigns_env.control.reset_requests)
    assert optisigns_env.control.count() == 0  # before: the screens listing and the push again


@pytest.mark.signs_emulator_pessimistic(
    False,
    reason="pushes with pushToScreens (best evidence: an unshipped SDK draft); refused there by design, see test_evidence_fallbacks",
)
def test_a_push_with_other_arguments_on_the_retry_is_sent(optisigns_env) -> None:
    store = _Store()
    with pytest.raises(RuntimeError, match="worker lost"):
        _push(optisigns_env, "NOW")[0].execute({"ti": _CrashingTaskInstance(1), "task_state_store": store})
    other, kitchen = _push(optisigns_env, "NOW")
    other.screen_ids = [next(s["_id"] for s in OptiSignsHook().list_screens() if s["_id"] != kitchen)]
    other.execute({"ti": _CrashingTaskInstance(2), "task_state_store": store})
    assert optisigns_env.control.count(operation="pushToScreens") == 2


def test_an_upload_retried_after_a_crash_resumes_from_the_recorded_asset(optisigns_env, png) -> None:
    """The asset's tags were edited in OptiSigns between the tries (its key tag lost): before, the
    retry's search by tag found nothing and uploaded a second asset."""
    store = _Store()

    def edit_tags() -> None:
        (asset,) = OptiSignsHook().list_assets(name="Menu.png")
        OptiSignsHook().tag_assets([asset["_id"]], ["menu"], mode="SET")
        optisigns_env.control.reset_requests()

    retry = _crash_then_retry(
        lambda: OptiSignsUploadAssetOperator(task_id="task", source=str(png), name="Menu"), store, edit_tags
    )
    assert optisigns_env.control.count() == 1  # one read of the recorded asset, no upload
    assert [a["_id"] for a in OptiSignsHook().list_assets(name="Menu.png")] == [retry["asset_id"]]


def test_an_upload_whose_recorded_asset_was_deleted_is_uploaded_again(optisigns_env, png) -> None:
    store = _Store()

    def delete() -> None:
        (asset,) = OptiSignsHook().list_assets(name="Menu.png")
        OptiSignsHook().delete_assets([asset["_id"]])

    retry = _crash_then_retry(
        lambda: OptiSignsUploadAssetOperator(task_id="task", source=str(png), name="Menu"), store, delete
    )
    assert [a["_id"] for a in OptiSignsHook().list_assets(name="Menu.png")] == [retry["asset_id"]]
    assert list(store.values.values()) == [{"asset_id": retry["asset_id"], "marker": retry_marker()}]


def retry_marker() -> str:
    return marker_tag(KEY_TAG_PREFIX, "dag/task/scheduled__1/-1")


def test_without_a_task_state_store_an_upload_retry_searches_by_tag(optisigns_env, png) -> None:
    """Airflow 3.2: no store, the retry finds the first try's asset by its key tag."""
    retry = _crash_then_retry(
        lambda: OptiSignsUploadAssetOperator(task_id="task", source=str(png), name="Menu"), None
    )
    assert [a["_id"] for a in OptiSignsHook().list_assets(name="Menu.png")] == [retry["asset_id"]]
    assert optisigns_env.control.count(operation="saveAsset") == 1
