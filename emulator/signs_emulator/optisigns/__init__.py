"""Emulated OptiSigns: the GraphQL API, the Transloadit-style upload, and their control endpoints.

- :mod:`.state`: the in-memory account (one module per area);
- :mod:`.emulator`: :class:`OptiSignsEmulator`, the service, and the ``Depends`` that hands it to routes;
- routes, module-level: :mod:`.graphql_api` (``POST /optisigns/graphql``), :mod:`.transloadit`
  (``/transloadit/assemblies``) and :mod:`.control` (``/_emulator/optisigns``).
"""

from __future__ import annotations

from signs_emulator.optisigns.emulator import OptiSignsEmulator
from signs_emulator.optisigns.state import OptiSignsState

__all__ = ["OptiSignsEmulator", "OptiSignsState"]
