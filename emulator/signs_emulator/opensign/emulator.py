"""``OpenSignEmulator``: the emulated OpenSign service the emulator core mounts."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from ..clock import Clock
from ..credentials import OPENSIGN_TOKENS
from .autopilot import AutopilotRunner
from .files import FileRef, FileSigner
from .links import Links
from .machine import Event
from .state import ApiError, Document, Environment, iso, seed_for
from .webhooks import WebhookDispatcher, event_payload

#: API versions served; every one serves every operation (see :mod:`.routes`).
API_VERSIONS = ("v1", "v1.1", "v1.2")


class OpenSignEmulator:
    """OpenSign's REST API (sandbox, live and eu as separate accounts), download URLs, webhooks and a
    control API for tests.

    The routes are module-level (:mod:`.routes`) and find this object as ``request.app.state.emulator.opensign``:
    the core mounts ``routes.api_router`` at ``/opensign`` (so an environment's base URL is
    ``http://HOST:PORT/opensign/{env}/api/v1.2``) and ``routes.control_router`` at ``/_emulator/opensign``.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        webhook_timeout: float = 5.0,
        tokens: Mapping[str, str] | None = None,
    ) -> None:
        self.clock = clock
        #: One lock for all state: handlers are short and never wait on the network while holding it.
        self.lock = threading.RLock()
        self.tokens: dict[str, str] = dict(tokens or OPENSIGN_TOKENS)
        self.files = FileSigner(clock)
        self.webhooks = WebhookDispatcher(clock, webhook_timeout)
        self.environments: dict[str, Environment] = {}
        self.autopilot = AutopilotRunner(self)
        self.reset()

    def reset(self) -> None:
        """Back to the seeded initial state (queued webhook deliveries still go out)."""
        with self.lock:
            now = self.clock.now()
            self.environments = {
                name: Environment(name, token, now=now, seed=seed_for(name))
                for name, token in self.tokens.items()
            }
            self.autopilot.clear()

    def close(self) -> None:
        """Stop the webhook sender and autopilot threads (pending deliveries are dropped)."""
        self.autopilot.close()
        self.webhooks.close()

    # -- used by the routes ---------------------------------------------------------------------------

    def authenticate(self, env_name: str, version: str, token: str | None) -> Environment:
        """The environment a request may use, or OpenSign's error for it."""
        env = self.environments.get(env_name)
        if env is None:
            raise ApiError(
                404, f"Unknown OpenSign environment {env_name!r}; use one of {sorted(self.environments)}."
            )
        if version not in API_VERSIONS:
            raise ApiError(404, f"Unknown API version {version!r}; use one of {list(API_VERSIONS)}.")
        if not token:
            # Hosted behaviour not observed; OSS v1 answered this. [INFERRED]
            raise ApiError(400, "Please Provide API Token")
        if token != env.token:
            # Measured: unknown and other-environment tokens are indistinguishable.
            raise ApiError(405, "Invalid API Token!")
        return env

    def publish(self, env: Environment, links: Links, events: Iterable[tuple[Document, Event]]) -> None:
        """Queue webhook deliveries for ``events`` (no-op without a webhook URL)."""
        for doc, event in events:
            if not env.webhook_url:
                return
            payload = event_payload(
                event.name,
                doc,
                env,
                file_url=links.file(doc, event.file_version),
                certificate_url=links.certificate(doc),
                extra=event.extra,
            )
            self.webhooks.send(env, event.name, payload)

    def file_bytes(self, ref: FileRef) -> tuple[bytes | None, str]:
        """Content and file name a download token points at (``None`` if it no longer exists)."""
        env = self.environments.get(ref.env)
        if env is None:
            return None, ""
        if ref.kind == "template":
            template = env.templates.get(ref.object_id)
            if template is None or template.file_version != ref.version:
                return None, ""
            return template.file, f"{_slug(template.title)}.pdf"
        doc = env.documents.get(ref.object_id)
        if doc is None:
            return None, ""
        if ref.kind == "certificate":
            return doc.certificate, f"{_slug(doc.title)}_certificate.pdf"
        if ref.version >= len(doc.files):
            return None, ""
        name = _slug(doc.title) + ".pdf" if ref.version == 0 else f"signed_{_slug(doc.title)}.pdf"
        return doc.files[ref.version], name

    # -- inspection -----------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """JSON-serialisable state of every environment, for ``GET /_emulator/state`` and the HTML page."""
        with self.lock:
            return {
                "environments": {
                    name: self.environment_snapshot(env) for name, env in self.environments.items()
                }
            }

    def environment_snapshot(self, env: Environment) -> dict[str, Any]:
        """State of one environment: account, credits, webhook, documents, templates, contacts, folders."""
        with self.lock:
            deliveries = self.webhooks.deliveries(env)
            credits = env.credits
            return {
                "account": {
                    "objectId": env.user["objectId"],
                    "name": env.user["name"],
                    "email": env.user["email"],
                },
                "credits": {
                    "plan_credits": credits.plan,
                    "addon_credits": credits.addon,
                    "total_credits": credits.total,
                    "renewal_date": iso(credits.renewal_date),
                    "subscription": credits.subscription,
                },
                "webhook": {
                    "url": env.webhook_url,
                    "signed": env.webhook_secret is not None,
                    "deliveries": {
                        state: sum(1 for d in deliveries if d["status"] == state)
                        for state in ("pending", "delivered", "failed")
                    },
                },
                "timezone_offset_minutes": env.timezone_offset_minutes,
                "documents": [
                    self.document_snapshot(doc)
                    for doc in sorted(env.documents.values(), key=lambda d: d.updated_at, reverse=True)
                ],
                "templates": [
                    {
                        "id": t.id,
                        "title": t.title,
                        "kind": t.kind,
                        "roles": [
                            {"role": s.role, "name": s.name, "email": s.email, "signer_role": s.signer_role}
                            for s in t.signers
                        ],
                        "created_at": iso(t.created_at),
                        "updated_at": iso(t.updated_at),
                        "deleted_at": iso(t.deleted_at),
                    }
                    for t in env.templates.values()
                ],
                "contacts": [
                    {
                        "id": c.id,
                        "name": c.name,
                        "email": c.email,
                        "phone": c.phone,
                        "company": c.company,
                        "deleted_at": iso(c.deleted_at),
                    }
                    for c in env.contacts.values()
                ],
                "folders": [
                    {"id": f.id, "name": f.name, "parent_id": f.parent_id, "deleted_at": iso(f.deleted_at)}
                    for f in env.folders.values()
                ],
            }

    def document_snapshot(self, doc: Document) -> dict[str, Any]:
        """One document with each signer's progress (``pending``/``viewed``/``signed``/``declined``)."""
        now = self.clock.now()
        return {
            "id": doc.id,
            "name": doc.title,
            "status": doc.status(now),
            "kind": doc.kind,
            "template_id": doc.template_id,
            "folder_id": doc.folder_id,
            "created_at": iso(doc.created_at),
            "updated_at": iso(doc.updated_at),
            "sent_at": iso(doc.sent_at),
            "expires_at": iso(doc.expires_at),
            "completed_at": iso(doc.completed_at),
            "declined_at": iso(doc.declined_at),
            "declined_by": doc.declined_by,
            "declined_reason": doc.declined_reason,
            "revoked": doc.revoked_at is not None,
            "deleted_at": iso(doc.deleted_at),
            "file_versions": len(doc.files),
            "has_certificate": doc.certificate is not None,
            "signers": [
                {
                    "name": s.name,
                    "email": s.email,
                    "role": s.role,
                    "signer_role": s.signer_role,
                    "state": s.progress,
                    "viewed_at": iso(s.viewed_at),
                    "signed_at": iso(s.signed_at),
                    "declined_at": iso(s.declined_at),
                    "decline_reason": s.decline_reason,
                }
                for s in doc.signers
            ],
            "mails": list(doc.mails),
        }


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "document"
