"""Emulated OpenSign e-signature API (v1, v1.1, v1.2) for offline development and tests.

Mounted by the emulator core: the API at ``/opensign/{env}/api/{version}/...`` with ``env`` in
``sandbox``, ``live``, ``eu`` (separate accounts and tokens), downloads at ``/opensign/files/{token}``
and the control API at ``/_emulator/opensign``.

Laid out as moto lays out a service: the state in :mod:`.state` (records), :mod:`.machine` (document
lifecycle) and :class:`.emulator.OpenSignEmulator` (the service: environments, lock, webhooks, autopilot);
the request handlers, one module-level function per operation, in :mod:`.routes` (one module per area,
plus :mod:`.routes.control`), which reach the service through FastAPI's ``Depends``.
"""

from __future__ import annotations

from .emulator import OpenSignEmulator

__all__ = ["OpenSignEmulator"]
