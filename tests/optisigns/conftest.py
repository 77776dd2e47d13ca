"""Fixtures shared by the OptiSigns tests: connections pointing at the emulator, a fast retry policy."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from signs_emulator.credentials import OPTISIGNS_READONLY_KEY
from signs_provider.common.transport import RetryPolicy
from signs_provider.optisigns.hooks import OptiSignsHook

# Quick retries: tests wait for behaviour, not for backoff.
FAST = RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.05, max_elapsed=10)


@pytest.fixture
def optisigns_env(emulator, monkeypatch):
    """The emulator's AIRFLOW_CONN_* variables (optisigns_default, signs_feeds, ...) for one test."""
    for name, value in emulator.connections().items():
        monkeypatch.setenv(name, value)
    return emulator


#: A short landing wait: a write whose answer was lost is settled in seconds, not in a minute.
LANDING_WAIT = 1.0


@pytest.fixture
def hook(optisigns_env) -> OptiSignsHook:
    return OptiSignsHook(retry_policy=FAST, landing_wait=LANDING_WAIT)


@pytest.fixture
def readonly_hook(optisigns_env, monkeypatch) -> OptiSignsHook:
    conn = json.loads(optisigns_env.connections()["AIRFLOW_CONN_OPTISIGNS_DEFAULT"])
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPTISIGNS_READONLY", json.dumps({**conn, "password": OPTISIGNS_READONLY_KEY})
    )
    return OptiSignsHook(optisigns_conn_id="optisigns_readonly", retry_policy=FAST)


@pytest.fixture
def png(tmp_path):
    """A real 64x36 PNG on disk."""
    from PIL import Image

    path = tmp_path / "slide.png"
    Image.new("RGB", (64, 36), (200, 30, 30)).save(path)
    return path


def mutations(emulator) -> list[str]:
    """Root fields of the GraphQL mutations the emulator received, in order."""
    return [
        f for r in emulator.control.requests() if r.get("operation_type") == "mutation" for f in r["fields"]
    ]


def screens_by_name(hook) -> dict[str, dict]:
    return {s["deviceName"]: s for s in hook.list_screens()}


def emulated_now(emulator) -> datetime:
    return datetime.fromisoformat(emulator.control.now())


def playlist_items(hook, playlist_id) -> list[tuple[str, float]]:
    """``(asset id, duration)`` of each item of a playlist, in order."""
    return [(i["_id"], i["duration"]) for i in hook.get_playlist(playlist_id)["assets"]]


def showing(emulator, screen_id) -> tuple:
    """What a screen plays, as the emulator (not the API under test) says."""
    from signs_provider.optisigns.hooks import screen_content

    return screen_content(emulator.control.screen(screen_id))


def slow_hook(optisigns_env) -> OptiSignsHook:
    """A hook that gives up on a request after 1 s (the emulator's ``slow`` fault takes longer).

    Its landing wait is the default, min(2 * 1 s, 60) = 2 s.
    """
    return OptiSignsHook(retry_policy=FAST, timeout=1)
