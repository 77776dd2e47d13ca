"""Fixtures of the OpenSign tests: connections to the emulator, a hook with quick retries, PDFs.

Everything talks real HTTP to the emulator on loopback. The only stand-in is :class:`RunningTask`,
the bit of Airflow's task runtime an operator reads from its context (ids, try number, XCom push),
for operator tests that do not need a whole ``airflow dags test`` run.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from signs_provider.common.transport import RetryPolicy

QUICK_RETRIES = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.05, max_elapsed=10)
SIGNATURE = {"type": "signature", "page": 1, "x": 60, "y": 700, "w": 150, "h": 50}


def make_pdf(pages: int = 1, text: str = "Contract") -> bytes:
    """A real PDF made with Pillow (uncompressed page objects, so its pages can be counted)."""
    from PIL import Image, ImageDraw

    images = []
    for number in range(1, pages + 1):
        image = Image.new("RGB", (595, 842), "white")
        ImageDraw.Draw(image).text((60, 60), f"{text}, page {number}", fill="black")
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


def signer(name: str, email: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "email": email, "widgets": [dict(SIGNATURE)], **extra}


@dataclass
class RunningTask:
    """What operators read from ``context["ti"]``; records XCom pushes."""

    dag_id: str = "contracts"
    task_id: str = "send"
    run_id: str = "manual__2026-01-01T00:00:00"
    map_index: int = -1
    try_number: int = 1
    xcoms: dict[str, Any] = field(default_factory=dict)

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


class StateStore:
    """Airflow's ``context["task_state_store"]`` (3.3+): one task instance's keys, kept across its tries."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        if value is None:
            raise ValueError("Cannot set value as None")
        self.values[key] = value


def task_context(
    ti: RunningTask | None = None, *, started: datetime | None = None, store: StateStore | None = None
) -> dict[str, Any]:
    moment = started or datetime.now(timezone.utc)
    context = {
        "ti": ti or RunningTask(),
        "dag_run": SimpleNamespace(run_after=moment, start_date=moment, logical_date=None),
    }
    if store is not None:
        context["task_state_store"] = store
    return context


@pytest.fixture
def opensign(emulator, monkeypatch):
    """The emulator, with the ``AIRFLOW_CONN_OPENSIGN_*`` connections pointing at it."""
    for name, value in emulator.connections().items():
        monkeypatch.setenv(name, value)
    return emulator


@pytest.fixture
def make_hook(opensign) -> Callable[..., Any]:
    from signs_provider.opensign.hooks import OpenSignHook

    hooks = []

    def make(**kwargs: Any) -> OpenSignHook:
        kwargs.setdefault("timeout", 5)
        kwargs.setdefault("retry_policy", QUICK_RETRIES)
        hook = OpenSignHook(**kwargs)
        hooks.append(hook)
        return hook

    yield make
    for hook in hooks:
        hook.close()


@pytest.fixture
def hook(make_hook):
    return make_hook()


@pytest.fixture
def pdf() -> bytes:
    return make_pdf()


@pytest.fixture
def send(hook, pdf) -> Callable[..., Any]:
    """Send a one-page document to the given signers (default: Ada); returns the ``SentDocument``."""

    def send_document(*people: dict[str, Any], title: str = "Contract", **kwargs: Any) -> Any:
        return hook.send_for_signature(
            pdf, title=title, signers=list(people) or [signer("Ada Lovelace", "ada@example.com")], **kwargs
        )

    return send_document


def credits_left(emulator) -> int:
    return emulator.control.opensign_state("sandbox")["credits"]["total_credits"]


def documents(emulator) -> list[dict[str, Any]]:
    return emulator.control.opensign_state("sandbox")["documents"]


class LateCreate(threading.Thread):
    """The server side of a create whose answer was lost: it lands ``after`` seconds later.

    Plays a backend that goes on creating the document after a gateway answered 502/504 or after
    the worker that sent it was killed: once the fault rule ``rule_id`` has fired (or at once
    without one), it waits, then creates the document with ``marker`` through the real API.
    """

    def __init__(self, emulator, make_hook, pdf: bytes, marker: str, *, after: float, rule_id=None) -> None:
        super().__init__(daemon=True)
        self.control = emulator.control
        self.hook = make_hook()
        self.pdf, self.marker, self.after, self.rule_id = pdf, marker, after, rule_id
        self.document_id: str | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            deadline = time.monotonic() + 30
            while self.rule_id and time.monotonic() < deadline:
                if not any(f["id"] == self.rule_id and f["injected"] for f in self.control.faults()):
                    time.sleep(0.02)
                    continue
                break
            time.sleep(self.after)
            sent = self.hook.send_for_signature(
                self.pdf,
                title="Contract",
                signers=[signer("Ada Lovelace", "ada@example.com")],
                marker=self.marker,
            )
            self.document_id = sent.document_id
        except BaseException as exc:  # reported by the test through .error
            self.error = exc
