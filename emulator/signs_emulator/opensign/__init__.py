"""Emulated OpenSign e-signature API (v1, v1.1, v1.2) for offline development and tests.

Mounted by the emulator core: the API at ``/opensign/{env}/api/{version}/...`` with ``env`` in
``sandbox``, ``live``, ``eu`` (separate accounts and tokens), downloads at ``/opensign/files/{token}``
and the control API at ``/_emulator/opensign`` (see :mod:`.control`).
"""

from __future__ import annotations

from .emulator import OpenSignEmulator

__all__ = ["OpenSignEmulator"]
