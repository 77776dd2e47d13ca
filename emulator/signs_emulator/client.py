"""A small client of the emulator's control API, for tests and scripts (``Emulator.control``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests


class ControlError(RuntimeError):
    """The control API refused a call; the message carries its answer."""


class ControlClient:
    """Drive an emulator through ``/_emulator``: faults, request counts, clock, state, test actors.

    Example::

        emu.control.add_fault("503", path="^/optisigns/graphql$", operation="pushToScreens", times=2)
        ...run the code under test...
        assert emu.control.count(operation="pushToScreens") == 3
    """

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def _call(self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        response = self._session.request(
            method,
            f"{self.base_url}/_emulator{path}",
            json=json,
            params={k: v for k, v in (params or {}).items() if v is not None},
            timeout=self.timeout,
        )
        if response.status_code >= 400:
            raise ControlError(f"{method} /_emulator{path} -> {response.status_code}: {response.text}")
        return response.json()

    # -- everything --------------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def state(self) -> dict[str, Any]:
        """Clock, OptiSigns and OpenSign state (as shown on the HTML page)."""
        return self._call("GET", "/state")

    def reset(self) -> None:
        """Seeded state, start-up fault rules only, zero request counters, real time."""
        self._call("POST", "/reset")

    def now(self) -> str:
        """The emulated time (ISO 8601)."""
        return self._call("GET", "/clock")["now"]

    def advance_clock(
        self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> str:
        """Move emulated time forward; returns the new now."""
        total = seconds + 60 * minutes + 3600 * hours + 86400 * days
        return self._call("POST", "/clock/advance", {"seconds": total})["now"]

    def credentials(self) -> dict[str, Any]:
        return self._call("GET", "/credentials")

    # -- faults and counters -------------------------------------------------------------------------------
    def add_fault(
        self,
        kind: str,
        *,
        path: str = ".*",
        method: str | None = None,
        operation: str | None = None,
        times: int = 1,
        skip: int = 0,
        retry_after: int | None = None,
        delay: float | None = None,
        in_body: bool = False,
        late_write: float | None = None,
        location: str | None = None,
    ) -> dict[str, Any]:
        """Arm a fault rule (see :mod:`signs_emulator.faults`); returns it with its ``id``."""
        body: dict[str, Any] = {"kind": str(kind), "path": path, "times": times, "skip": skip}
        if in_body:
            body["in_body"] = True
        if late_write is not None:
            body["late_write"] = late_write
        for key, value in (
            ("method", method),
            ("operation", operation),
            ("retry_after", retry_after),
            ("delay", delay),
            ("location", location),
        ):
            if value is not None:
                body[key] = value
        return self._call("POST", "/faults", body)

    def faults(self) -> list[dict[str, Any]]:
        """Armed rules with how often each matched and was injected."""
        return self._call("GET", "/faults")["faults"]

    def remove_fault(self, rule_id: str) -> None:
        self._call("DELETE", f"/faults/{rule_id}")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def requests(
        self,
        *,
        path: str | None = None,
        method: str | None = None,
        operation: str | None = None,
        fault: str | None = None,
    ) -> list[dict[str, Any]]:
        """Logged API requests, oldest first (``path`` is a regex; ``operation`` a GraphQL op or root field)."""
        params = {"path": path, "method": method, "operation": operation, "fault": fault}
        return self._call("GET", "/requests", params=params)["requests"]

    def count(self, **filters: Any) -> int:
        """How many API requests match the filters of :meth:`requests`."""
        return len(self.requests(**filters))

    def request_summary(self) -> dict[str, Any]:
        """``{"total", "paths": {...}, "fields": {...}, "faults": {...}}``."""
        return self._call("GET", "/requests")["summary"]

    def reset_requests(self) -> None:
        self._call("DELETE", "/requests")

    # -- OptiSigns ---------------------------------------------------------------------------------------
    def optisigns_state(self) -> dict[str, Any]:
        return self._call("GET", "/optisigns/state")

    def add_screens(
        self,
        count: int,
        *,
        tags: Iterable[str] = ("bench",),
        path: str = "/Bench",
        online: bool = True,
        name_prefix: str = "Bench Screen",
        team_id: str = "1",
    ) -> list[str]:
        """Create ``count`` paired screens; returns their ids."""
        body = {
            "count": count,
            "tags": list(tags),
            "path": path,
            "online": online,
            "name_prefix": name_prefix,
            "team_id": team_id,
        }
        return self._call("POST", "/optisigns/screens", body)["ids"]

    def screen(self, device_id: str) -> dict[str, Any]:
        """A screen as the API shows it, plus ``showing``: what is on it now."""
        return self._call("GET", f"/optisigns/screens/{device_id}")

    def set_screen_online(self, device_id: str, online: bool) -> dict[str, Any]:
        return self._call("POST", f"/optisigns/screens/{device_id}/online", {"online": online})

    def add_pairing_code(self, code: str | None = None, model: str | None = None) -> str:
        """A new screen showing a pairing code, ready for ``pairDevice``."""
        return self._call("POST", "/optisigns/pairing-codes", {"code": code, "model": model})["pairingCode"]

    def add_api_key(self, key: str, scopes: Iterable[str]) -> None:
        """Accept another OptiSigns API key with these scopes (e.g. ``["devices:read", "tags"]``)."""
        self._call("POST", "/optisigns/api-keys", {"key": key, "scopes": list(scopes)})

    def mark_asset_ready(self, asset_id: str) -> dict[str, Any]:
        """Finish an uploaded asset's conversion now."""
        return self._call("POST", f"/optisigns/assets/{asset_id}/ready")

    # -- OpenSign (routes provided by the OpenSign emulator) -----------------------------------------------
    def opensign_state(self, env: str = "sandbox") -> dict[str, Any]:
        return self._call("GET", f"/opensign/{env}")

    def opensign_document(self, document_id: str, env: str = "sandbox") -> dict[str, Any]:
        return self._call("GET", f"/opensign/{env}/documents/{document_id}")

    def send_document(self, document_id: str, env: str = "sandbox") -> dict[str, Any]:
        """Send a draft for signature, as the owner would from the web app."""
        return self._call("POST", f"/opensign/{env}/documents/{document_id}/send")

    def signer_action(
        self, document_id: str, email: str, action: str, env: str = "sandbox", **body: Any
    ) -> dict[str, Any]:
        """A signer ``view``s, ``sign``s or ``decline``s (body e.g. ``reason=...``, ``responses={...}``)."""
        return self._call("POST", f"/opensign/{env}/documents/{document_id}/signers/{email}/{action}", body)

    def sign(self, document_id: str, email: str, env: str = "sandbox", **body: Any) -> dict[str, Any]:
        return self.signer_action(document_id, email, "sign", env, **body)

    def decline(self, document_id: str, email: str, reason: str = "", env: str = "sandbox") -> dict[str, Any]:
        return self.signer_action(document_id, email, "decline", env, reason=reason)

    def expire_document(self, document_id: str, env: str = "sandbox") -> dict[str, Any]:
        return self._call("POST", f"/opensign/{env}/documents/{document_id}/expire")

    def autopilot(
        self,
        env: str = "sandbox",
        *,
        action: str = "sign",
        after_seconds: float = 1.0,
        decline: Iterable[str] = (),
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Let the signers of ``env`` sign (or decline) every document by themselves after it is sent."""
        body: dict[str, Any] = {"action": action, "after_seconds": after_seconds, "decline": list(decline)}
        if reason:
            body["reason"] = reason
        return self._call("PUT", f"/opensign/{env}/autopilot", body)

    def stop_autopilot(self, env: str = "sandbox") -> None:
        self._call("DELETE", f"/opensign/{env}/autopilot")

    def set_credits(
        self,
        env: str = "sandbox",
        *,
        plan_credits: int | None = None,
        addon_credits: int | None = None,
        subscription: bool | None = None,
    ) -> dict[str, Any]:
        body = {
            k: v
            for k, v in (
                ("plan_credits", plan_credits),
                ("addon_credits", addon_credits),
                ("subscription", subscription),
            )
            if v is not None
        }
        return self._call("POST", f"/opensign/{env}/credits", body)

    def webhook_deliveries(
        self, env: str = "sandbox", *, event: str | None = None, document_id: str | None = None
    ) -> Any:
        return self._call(
            "GET", f"/opensign/{env}/webhook-deliveries", params={"event": event, "document_id": document_id}
        )
