"""Routes of the emulated OpenSign service, in the shape moto made familiar: the state lives in
:mod:`..state` and :class:`..emulator.OpenSignEmulator`, the request handlers are module-level functions
grouped by area, and this module assembles their routers.

The API: the 35 operations of OpenSign API v1.2, served under ``/{env}/api/{v1|v1.1|v1.2}``.
Every version prefix serves every operation: v1.2 is documented as backwards-compatible, and the emulator
does not hide the v1.1 additions from ``/api/v1``. [INFERRED] Responses follow the reference's documented
shapes, including its quirks: 200 for creates, 401 for duplicates, 405 for a bad token, ``document_id``
(not ``objectId``) from draftdocument, ``inprogress`` in documentlist but ``in-progress`` in ``status``.

- :mod:`.call`: the :class:`~.call.Call` each operation receives, ``operation`` (registration, auth, lock,
  webhooks) and the ``OpenSign`` dependency (the service, from ``request.app.state``);
- one module per area: :mod:`.account`, :mod:`.contacts`, :mod:`.documents`, :mod:`.templates`,
  :mod:`.webhook`, :mod:`.folders`, and :mod:`.pages` (downloads and the web app's stub pages);
- :mod:`.control`: the control API for tests (signers, expiry, credits, webhook deliveries, autopilot).

``api_router`` is mounted at ``/opensign`` and ``control_router`` at ``/_emulator/opensign``; both find the
service as ``request.app.state.emulator.opensign``.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import account, contacts, control, documents, folders, pages, templates, webhook

#: Where the operations live under the OpenSign mount point.
API_PREFIX = "/{env}/api/{version}"


def _api_router() -> APIRouter:
    router = APIRouter()
    for area in (account, contacts, documents, templates, webhook, folders):
        router.include_router(area.router, prefix=API_PREFIX)
    router.include_router(pages.router)
    return router


api_router = _api_router()
control_router = control.router

__all__ = ["API_PREFIX", "api_router", "control_router"]
