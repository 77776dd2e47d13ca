"""OptiSignsNotifier over real HTTP against the emulator: the slide, the takeover and its revert, the
playlist, and every failure logged rather than raised."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

import pytest
from PIL import Image

from signs_provider.common.errors import SignsConfigError
from signs_provider.optisigns import notifications
from signs_provider.optisigns.notifications import (
    ALERT_TAG,
    OptiSignsNotifier,
    Slide,
    ascii_text,
    build_slide,
    render_png,
    send_optisigns_notification,
)
from tests.optisigns.conftest import FAST, LANDING_WAIT, mutations, showing


def _ti(**overrides):
    values = {
        "dag_id": "nightly_report",
        "task_id": "send_for_signature",
        "run_id": "scheduled__2026-12-01T06:00:00+00:00",
        "try_number": 2,
        "map_index": -1,
        "state": "failed",
        "end_date": None,
        "log_url": "http://airflow.example.com/dags/nightly_report/runs/r1/tasks/send_for_signature?try_number=2",
    }
    return SimpleNamespace(**{**values, **overrides})


def _context(**extra):
    return {"ti": _ti(), "exception": ValueError("the contract PDF is missing"), **extra}


def _notifier(**kwargs) -> OptiSignsNotifier:
    kwargs.setdefault("tags", ["ops"])
    # Not waiting for the conversion saves seconds per test (the emulator plays an unconverted asset);
    # the takeover test waits for it as the default does.
    kwargs.setdefault("ready_timeout", 0)
    return OptiSignsNotifier(retry_policy=FAST, landing_wait=LANDING_WAIT, timeout=5, **kwargs)


@pytest.fixture
def ops(optisigns_env, hook):
    """Two screens tagged ops, showing a seeded playlist; one office screen that must stay untouched."""
    ops_ids = optisigns_env.control.add_screens(2, tags=["ops"], name_prefix="Ops")
    other = optisigns_env.control.add_screens(1, tags=["office"], name_prefix="Office")[0]
    playlist_id = hook.list_playlists()[0]["_id"]
    hook.assign_content([*ops_ids, other], playlist_id=playlist_id)
    return SimpleNamespace(ids=ops_ids, other=other, playlist_id=playlist_id)


@pytest.fixture
def slides(monkeypatch):
    """Every Slide the notifier draws (it still draws and uploads it)."""
    drawn: list[Slide] = []

    def record(slide, *args, **kwargs):
        drawn.append(slide)
        return render_png(slide, *args, **kwargs)

    monkeypatch.setattr(notifications, "render_png", record)
    return drawn


def _alert_assets(hook) -> list[dict]:
    return [a for a in hook.list_assets() if ALERT_TAG in (a.get("tags") or [])]


# -- construction: bad settings fail the DAG file, naming the field ---------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "tags=['ops']"),
        ({"tags": ["ops"], "minutes": 0}, "minutes"),
        ({"tags": ["ops"], "slide_seconds": "x"}, "slide_seconds"),
        ({"tags": ["ops"], "fallback": "push"}, "fallback"),
    ],
)
def test_bad_settings_are_refused_at_construction(kwargs, field) -> None:
    with pytest.raises(SignsConfigError, match=field.replace("[", r"\[")):
        OptiSignsNotifier(**kwargs)


def test_alias_is_the_notifier() -> None:
    assert send_optisigns_notification is OptiSignsNotifier


# -- the slide --------------------------------------------------------------------------------------------


def test_the_slide_says_what_failed_when_and_where_to_look() -> None:
    slide = build_slide(_context())
    assert slide.title == "nightly_report FAILED"
    text = "\n".join(slide.lines)
    for expected in (
        "nightly_report",
        "send_for_signature",
        "scheduled__2026-12-01",
        "Try:  2",
        "ValueError: the contract",
    ):
        assert expected in text
    assert slide.link == _ti().log_url


def test_a_dag_level_callback_links_to_the_run(monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "https://airflow.example.com/")
    run = SimpleNamespace(dag_id="d1", run_id="manual__1", state="failed", end_date=None)
    slide = build_slide({"dag_run": run, "reason": "task_failure"})
    assert slide.title == "d1 FAILED"
    assert slide.link == "https://airflow.example.com/dags/d1/runs/manual__1"
    assert "task_failure" in slide.lines


def test_the_png_is_a_screen_sized_image(tmp_path) -> None:
    path = tmp_path / "slide.png"
    path.write_bytes(render_png(Slide("T", ["x" * 500] * 40, "http://l")))
    image = Image.open(path)
    assert image.size == (1920, 1080)
    image = image.convert("RGB")
    assert image.getpixel((5, 5)) == (176, 32, 38)  # the banner
    # The headline is drawn in white on the banner.
    assert (255, 255, 255) in {image.getpixel((x, y)) for x in range(80, 200) for y in range(40, 100)}


def test_text_outside_the_font_is_folded() -> None:
    assert ascii_text("Café — “ok” 日") == 'Cafe - "ok" ?'


def test_secrets_never_reach_the_slide(optisigns_env, slides) -> None:
    from airflow.sdk.log import mask_secret

    key = json.loads(optisigns_env.connections()["AIRFLOW_CONN_OPTISIGNS_DEFAULT"])["password"]
    mask_secret("hunter2-database-password")
    context = _context(exception=RuntimeError(f"login failed with hunter2-database-password and {key}"))
    # The key is in the link too: a URL with a token must not be shown either.
    _notifier(playlist="Alerts", tags=(), link=f"https://x.example.com/?token={key}")(context)
    (slide,) = slides
    shown = "\n".join([slide.title, *slide.lines, slide.link])
    assert "hunter2-database-password" not in shown and key not in shown
    assert shown.count("***") == 3


# -- the takeover ------------------------------------------------------------------------------------------


# pushToScreens (TEMPORARILY) is refused in pessimistic mode; the fallback has its own tests below.
@pytest.mark.signs_emulator_pessimistic(False)
def test_a_failure_takes_over_the_ops_screens_and_they_revert(optisigns_env, ops, hook) -> None:
    optisigns_env.control.reset_requests()
    _notifier(ready_timeout=10)(_context())

    (asset,) = _alert_assets(hook)
    # Each ops screen shows the slide; the office screen still plays its playlist.
    for screen_id in ops.ids:
        assert showing(optisigns_env, screen_id) == ("ASSET", asset["_id"])
    assert showing(optisigns_env, ops.other) == ("PLAYLIST", ops.playlist_id)
    # One temporary push for both screens.
    assert mutations(optisigns_env).count("pushToScreens") == 1
    pushed = optisigns_env.control.requests(operation="pushToScreens")[0]
    assert pushed["status"] == 200
    # The file uploaded is the slide: a 1920x1080 PNG.
    state = optisigns_env.control.optisigns_state()
    uploaded = next(a for a in state["assets"] if a["_id"] == asset["_id"])
    assert uploaded["fileType"] == "image" and uploaded["originalFileName"].endswith(".png")

    optisigns_env.control.advance_clock(minutes=16)
    for screen_id in ops.ids:
        assert showing(optisigns_env, screen_id) == ("PLAYLIST", ops.playlist_id)


# pushToScreens (TEMPORARILY) is refused in pessimistic mode; the fallback has its own tests below.
@pytest.mark.signs_emulator_pessimistic(False)
def test_the_takeover_lasts_the_minutes_given(optisigns_env, ops, hook) -> None:
    _notifier(minutes=30)(_context())
    (asset,) = _alert_assets(hook)
    optisigns_env.control.advance_clock(minutes=29)
    assert showing(optisigns_env, ops.ids[0]) == ("ASSET", asset["_id"])
    optisigns_env.control.advance_clock(minutes=2)
    assert showing(optisigns_env, ops.ids[0]) == ("PLAYLIST", ops.playlist_id)


# pushToScreens (TEMPORARILY) is refused in pessimistic mode; the fallback has its own tests below.
@pytest.mark.signs_emulator_pessimistic(False)
def test_a_lost_push_answer_is_settled_by_looking_not_by_pushing_again(
    optisigns_env, ops, hook, caplog
) -> None:
    optisigns_env.control.add_fault("lost_response", operation="pushToScreens", times=1)
    _notifier()(_context())
    (asset,) = _alert_assets(hook)
    assert all(showing(optisigns_env, i) == ("ASSET", asset["_id"]) for i in ops.ids)
    assert mutations(optisigns_env).count("pushToScreens") == 1


def test_a_push_that_never_landed_is_logged_not_raised(optisigns_env, ops, hook, caplog) -> None:
    optisigns_env.control.add_fault("drop", operation="pushToScreens", times=0)
    with caplog.at_level(logging.ERROR):
        assert _notifier()(_context()) is None
    assert "screens were not taken over" in caplog.text
    assert showing(optisigns_env, ops.ids[0]) == ("PLAYLIST", ops.playlist_id)
    # Each try's unknown outcome was looked for (the landing wait) before the one more try; no more.
    assert mutations(optisigns_env).count("pushToScreens") == 2


@pytest.mark.parametrize(
    ("kind", "operation", "pushes"),
    [
        ("500", "saveAsset", 1),
        ("drop", "saveAsset", 1),
        ("malformed", "saveAsset", 1),
        ("502", "pushToScreens", 2),
        ("drop", "pushToScreens", 2),
        ("malformed", "devices", 1),
    ],
)
def test_a_passing_failure_is_tried_once_more(optisigns_env, ops, hook, kind, operation, pushes) -> None:
    """A lost alert is worse than a second slide or a restarted takeover (these failed before)."""
    optisigns_env.control.reset_requests()
    optisigns_env.control.add_fault(kind, operation=operation, times=1)
    _notifier()(_context())
    alerts = _alert_assets(hook)
    assert alerts
    assert showing(optisigns_env, ops.ids[0]) in {("ASSET", a["_id"]) for a in alerts}
    assert mutations(optisigns_env).count("pushToScreens") == pushes


@pytest.mark.parametrize("kind", ["500", "drop"])
def test_an_api_failure_is_logged_not_raised(optisigns_env, ops, caplog, kind) -> None:
    optisigns_env.control.add_fault(kind, path="^/optisigns/graphql", times=0)
    with caplog.at_level(logging.ERROR):
        assert _notifier()(_context()) is None
    assert "OptiSigns notification failed (the callback goes on)" in caplog.text


def test_a_bad_key_is_logged_not_raised(optisigns_env, ops, monkeypatch, caplog) -> None:
    conn = json.loads(optisigns_env.connections()["AIRFLOW_CONN_OPTISIGNS_DEFAULT"])
    monkeypatch.setenv("AIRFLOW_CONN_OPTISIGNS_WRONG", json.dumps({**conn, "password": "not-a-key-123"}))
    with caplog.at_level(logging.ERROR):
        _notifier(optisigns_conn_id="optisigns_wrong")(_context())
    assert "OptiSigns notification failed" in caplog.text
    assert "not-a-key-123" not in caplog.text
    assert not optisigns_env.control.requests(operation="saveAsset")


def test_an_unknown_tag_is_logged_not_raised(optisigns_env, ops, caplog) -> None:
    with caplog.at_level(logging.ERROR):
        _notifier(tags=["no-such-tag"])(_context())
    assert "screens were not taken over" in caplog.text and "no-such-tag" in caplog.text


def test_a_missing_connection_is_logged_not_raised(optisigns_env, caplog) -> None:
    with caplog.at_level(logging.ERROR):
        _notifier(optisigns_conn_id="nowhere")(_context())
    assert "OptiSigns notification failed" in caplog.text


def test_a_template_error_is_logged_not_raised(optisigns_env, caplog) -> None:
    with caplog.at_level(logging.ERROR):
        _notifier(message="{{ undefined_thing.attribute }}")(_context())
    assert "OptiSigns notification not sent" in caplog.text


# -- templates ----------------------------------------------------------------------------------------------


def test_templated_fields_are_rendered_from_the_context(optisigns_env, ops, hook, slides) -> None:
    from airflow.sdk import DAG

    notifier = _notifier(
        tags="{{ params.screen_tag }}",
        title="{{ dag.dag_id }} needs you",
        message="Broke at {{ ts }}",
    )
    context = _context(dag=DAG("templated_dag"), ts="2026-12-01T06:00:00+00:00", params={"screen_tag": "ops"})
    notifier(context)
    (slide,) = slides
    assert slide.title == "templated_dag needs you"
    assert slide.lines == ["Broke at 2026-12-01T06:00:00+00:00"]
    (asset,) = _alert_assets(hook)
    assert showing(optisigns_env, ops.ids[0]) == ("ASSET", asset["_id"])
    # The instance keeps its templates: the next callback renders them again from its own context.
    assert notifier.title == "{{ dag.dag_id }} needs you"
    notifier(_context(dag=DAG("other_dag"), ts="t", params={"screen_tag": "ops"}))
    assert slides[1].title == "other_dag needs you"


# -- the playlist --------------------------------------------------------------------------------------------


def test_on_a_playlist_the_slide_goes_first_and_old_alerts_leave(optisigns_env, hook) -> None:
    notifier = _notifier(tags=(), playlist="Alerts", minutes=15, slide_seconds=12)
    notifier(_context())
    (first,) = _alert_assets(hook)
    playlist = hook.find_playlist("Alerts")
    assert [(i["_id"], i["duration"]) for i in playlist["assets"]] == [(first["_id"], 12)]

    optisigns_env.control.advance_clock(minutes=5)
    notifier(_context())
    second = next(a for a in _alert_assets(hook) if a["_id"] != first["_id"])
    assert [i["_id"] for i in hook.find_playlist("Alerts")["assets"]] == [second["_id"], first["_id"]]

    # More than 15 minutes after the first: the next alert takes it out, keeps the second.
    optisigns_env.control.advance_clock(minutes=12)
    notifier(_context())
    third = next(a for a in _alert_assets(hook) if a["_id"] not in (first["_id"], second["_id"]))
    assert [i["_id"] for i in hook.find_playlist("Alerts")["assets"]] == [third["_id"], second["_id"]]
    assert len(hook.list_playlists(name="Alerts")) == 1


def test_the_playlist_is_tried_when_the_takeover_failed(optisigns_env, hook, caplog) -> None:
    with caplog.at_level(logging.ERROR):
        _notifier(tags=["no-such-tag"], playlist="Alerts")(_context())
    (asset,) = _alert_assets(hook)
    assert [i["_id"] for i in hook.find_playlist("Alerts")["assets"]] == [asset["_id"]]
    assert "screens were not taken over" in caplog.text


# -- where the API refuses pushToScreens (it rests on a draft SDK) -----------------------------------------


@pytest.mark.signs_emulator_pessimistic
def test_refused_push_falls_back_to_setting_the_screens_content(optisigns_env, ops, hook, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        _notifier()(_context())
    (asset,) = _alert_assets(hook)
    for screen_id in ops.ids:
        assert showing(optisigns_env, screen_id) == ("ASSET", asset["_id"])
    assert showing(optisigns_env, ops.other) == ("PLAYLIST", ops.playlist_id)
    assert "does not revert by itself" in caplog.text


@pytest.mark.signs_emulator_pessimistic
def test_refused_push_without_fallback_only_logs(optisigns_env, ops, hook, caplog) -> None:
    optisigns_env.control.reset_requests()
    with caplog.at_level(logging.ERROR):
        _notifier(fallback="none")(_context())
    assert showing(optisigns_env, ops.ids[0]) == ("PLAYLIST", ops.playlist_id)
    assert "refuses pushToScreens" in caplog.text
    assert "updateDevice" not in mutations(optisigns_env)


def test_async_notify_shows_the_slide_too(optisigns_env, ops, hook) -> None:
    import asyncio

    asyncio.run(_notifier().async_notify(_context()))
    (asset,) = _alert_assets(hook)
    assert showing(optisigns_env, ops.ids[0]) == ("ASSET", asset["_id"])
