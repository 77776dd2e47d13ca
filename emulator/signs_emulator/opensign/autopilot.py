"""Signers on autopilot: the emulator signs (or declines) documents by itself a while after they are sent.

Demos, sample-DAG tests and a real Airflow scheduler need signers who act while a sensor waits, without a
test thread that watches for new documents. An autopilot is set per environment through the control API
(``PUT /_emulator/opensign/{env}/autopilot``) and acts through the same state machine as the manual
control endpoints, so webhooks, audit trail and credits behave exactly as if people had signed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from . import machine
from .links import Links
from .state import IN_PROGRESS, ControlError

if TYPE_CHECKING:
    from .emulator import OpenSignEmulator

_TICK_SECONDS = 0.2


@dataclass
class Autopilot:
    """What the signers of one environment do by themselves.

    :param action: ``sign`` (everyone signs) or ``decline`` (the first signer declines).
    :param after_seconds: how long after a document is sent its signers act (on the emulator clock).
    :param decline: emails that decline instead of signing, whatever ``action`` says.
    :param reason: the decline reason.
    """

    action: str = "sign"
    after_seconds: float = 1.0
    decline: frozenset[str] = field(default_factory=frozenset)
    reason: str = "Declined by the emulator's autopilot"
    api_base: str = ""

    @classmethod
    def from_body(cls, body: dict[str, Any], api_base: str) -> Autopilot:
        action = str(body.get("action", "sign"))
        if action not in ("sign", "decline"):
            raise ControlError(400, "action must be 'sign' or 'decline' (DELETE the autopilot to stop it)")
        try:
            after = float(body.get("after_seconds", 1.0))
        except (TypeError, ValueError):
            raise ControlError(400, "after_seconds must be a number") from None
        decline = body.get("decline") or []
        if not isinstance(decline, list) or not all(isinstance(e, str) for e in decline):
            raise ControlError(400, "decline must be a list of signer emails")
        return cls(
            action=action,
            after_seconds=max(0.0, after),
            decline=frozenset(e.strip().lower() for e in decline),
            reason=str(body.get("reason") or cls.reason),
            api_base=api_base,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "after_seconds": self.after_seconds,
            "decline": sorted(self.decline),
            "reason": self.reason,
        }


class AutopilotRunner:
    """A daemon thread that lets the autopilots act; it runs only while at least one is set."""

    def __init__(self, emu: OpenSignEmulator) -> None:
        self.emu = emu
        self.pilots: dict[str, Autopilot] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def set(self, env: str, pilot: Autopilot | None) -> None:
        with self.emu.lock:
            if pilot is None:
                self.pilots.pop(env, None)
            else:
                self.pilots[env] = pilot
        if pilot is not None and (self._thread is None or not self._thread.is_alive()):
            self._thread = threading.Thread(target=self._run, name="opensign-autopilot", daemon=True)
            self._thread.start()
        self._wake.set()

    def clear(self) -> None:
        with self.emu.lock:
            self.pilots.clear()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(_TICK_SECONDS)
            self._wake.clear()
            self.tick()

    def tick(self) -> None:
        """Act once on every due document (also callable directly, e.g. from tests)."""
        with self.emu.lock:
            now = self.emu.clock.now()
            for env_name, pilot in list(self.pilots.items()):
                env = self.emu.environments.get(env_name)
                if env is None:
                    continue
                due = [
                    doc
                    for doc in env.documents.values()
                    if doc.deleted_at is None
                    and doc.sent_at is not None
                    and doc.status(now) == IN_PROGRESS
                    and doc.sent_at + timedelta(seconds=pilot.after_seconds) <= now
                ]
                for doc in due:
                    events = self._act(doc, pilot, now, env.timezone_offset_minutes)
                    if events:
                        links = Links(pilot.api_base, env.name, self.emu.files)
                        self.emu.publish(env, links, [(doc, e) for e in events])

    @staticmethod
    def _act(doc: Any, pilot: Autopilot, now: Any, offset: int) -> list[machine.Event]:
        events: list[machine.Event] = []
        for signer in doc.signers:
            if not signer.must_act or signer.signed_at or signer.declined_at:
                continue
            try:
                if pilot.action == "decline" or signer.email.lower() in pilot.decline:
                    events += machine.decline(doc, signer, pilot.reason, now, offset)
                    break
                events += machine.sign(
                    doc,
                    signer,
                    now,
                    access_code=signer.access_code,
                    ip_address="127.0.0.1",
                    offset_minutes=offset,
                )
            except ControlError:
                break  # e.g. strict signing order: the next tick tries again
        return events
