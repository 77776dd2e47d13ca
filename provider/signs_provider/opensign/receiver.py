"""OpenSign webhooks received by the Airflow API server, recorded as asset events.

The provider's plugin mounts :data:`app` under :data:`URL_PREFIX` (``fastapi_apps``), so OpenSign
posts to::

    POST https://<airflow>/signs/opensign/<conn_id>/webhook

For each delivery, in this order, before anything is parsed or recorded:

1. the body size: ``Content-Length`` above :data:`~signs_provider.opensign.webhooks.MAX_WEBHOOK_BYTES`
   is refused unread (413), and reading stops as soon as the body grows past it;
2. the connection ``<conn_id>`` (type ``opensign``; 404 otherwise) and its extra ``webhook_secret``
   (403 when it has none, unless its extra ``webhook_allow_unsigned`` is true);
3. ``x-webhook-signature``: the HMAC-SHA256 of the raw bytes with that secret (401 when it does not
   match);
4. the event: ``completed`` and ``declined`` are recorded; the others (``created``, ``viewed``,
   ``signed``) are acknowledged with 202 and dropped (no DAG is scheduled on them);
5. replays: an event older than the replay window (24 hours) is refused, and so is a document whose
   status already has an asset event in the metadata DB within that window (409). OpenSign signs no
   timestamp and sends no delivery id, so the DB is the one memory that every API server worker
   and replica shares; a document reaches ``completed`` or ``declined`` once, so "that document, that
   status" is the key;
6. the asset event: on ``opensign://<conn_id>/documents/<status>``
   (:func:`~signs_provider.opensign.events.opensign_documents_asset`), with the extra
   ``{"from_webhook": true, "payload": <document_event_from_webhook(...)>}``: the same ``payload`` the
   polling trigger's events carry under Airflow's ``{"from_trigger": true, "payload": ...}``, so a DAG
   reads ``event.extra["payload"]`` whichever path recorded it. 201 when recorded; 404 when no DAG
   is scheduled on any OpenSign asset of that connection (a wrong connection id in the URL, or the
   DAG not parsed yet); 202 when other statuses of that connection are watched but not this one.

Airflow's API authentication does not apply here: a plugin's app is mounted beside the API, not
under it, and this path is authenticated by the HMAC. Expose only this path to the internet (see the
manual's "Event-driven DAGs" page for a reverse-proxy example).

Importing this module is cheap (standard library only): every Airflow process loads plugins. Airflow,
SQLAlchemy and the provider's events module are imported on the first delivery. The app is a plain
ASGI callable, not a FastAPI app, for the same reason (FastAPI takes about a second to import).
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime, timedelta, timezone
from typing import Any

from signs_provider.opensign.webhooks import (
    DEFAULT_REPLAY_WINDOW,
    MAX_WEBHOOK_BYTES,
    SIGNATURE_HEADER,
    OpenSignWebhookError,
    WebhookEvent,
    parse_event,
    verify_signature,
)

#: Where the plugin mounts :data:`app` on the API server.
URL_PREFIX = "/signs"
#: The receiver's path under :data:`URL_PREFIX`; ``{conn_id}`` names the ``opensign`` connection.
PATH_TEMPLATE = "/opensign/{conn_id}/webhook"
#: Webhook events that become asset events: the terminal statuses a webhook announces (``expired``
#: has no webhook event; only the polling trigger sees it).
RECORDED_EVENTS = ("completed", "declined")
#: Connection extra that lets a connection without ``webhook_secret`` accept unsigned deliveries.
ALLOW_UNSIGNED_EXTRA = "webhook_allow_unsigned"

_ROUTE = re.compile(r"^/opensign/(?P<conn_id>[^/]+)/webhook/?$")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger(__name__)


def webhook_path(conn_id: str) -> str:
    """The receiver's path for ``conn_id`` on the API server, prefix included.

    >>> webhook_path("opensign_default")
    '/signs/opensign/opensign_default/webhook'
    """
    return URL_PREFIX + PATH_TEMPLATE.format(conn_id=conn_id)


class Refused(Exception):
    """A delivery answered with ``status`` and a message saying why (and what to fix)."""

    def __init__(self, status: int, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status = status
        self.fields = fields


class OpenSignWebhookReceiver:
    """The ASGI app: check, then record one OpenSign delivery as an asset event (see the module).

    :param max_bytes: the largest body read.
    :param window: how far back a delivery is compared with recorded asset events, and the oldest
        event accepted.
    """

    def __init__(
        self, *, max_bytes: int = MAX_WEBHOOK_BYTES, window: timedelta = DEFAULT_REPLAY_WINDOW
    ) -> None:
        self.max_bytes = max_bytes
        self.window = window
        # One worker checks and records one delivery at a time: two copies of a delivery sent to
        # the same worker at once cannot both pass the DB check. (Two workers at the same instant
        # could; the DAG's archive is idempotent, so that costs a second run, not a wrong file.)
        self._record_lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "lifespan":  # only if mounted as a top-level app
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope.get("type") != "http":
            return
        try:
            status, body = await self._handle(scope, receive)
        except Refused as refused:
            status, body = refused.status, {"detail": str(refused), **refused.fields}
        except Exception:  # never a traceback (or a secret) to the caller
            log.exception("OpenSign webhook receiver failed")
            status, body = 500, {"detail": "the receiver failed; see the API server's log"}
        await _respond(send, status, body)

    async def _handle(self, scope: Scope, receive: Receive) -> tuple[int, dict[str, Any]]:
        import asyncio  # here, not at the top: plugin loading stays cheap in every process

        path = str(scope.get("path", ""))
        root = str(scope.get("root_path", ""))
        if root and path.startswith(root):
            path = path[len(root) :]
        match = _ROUTE.match(path)
        if match is None:
            raise Refused(404, f"no such path; OpenSign deliveries go to {URL_PREFIX}{PATH_TEMPLATE}")
        if scope.get("method") != "POST":
            raise Refused(405, "OpenSign deliveries are POST requests")
        conn_id = match.group("conn_id")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        raw = await self._read_body(headers, receive)
        secret, allow_unsigned, environment = await asyncio.to_thread(_connection_settings, conn_id)
        event = self._verify(raw, headers.get(SIGNATURE_HEADER), secret, allow_unsigned, conn_id)
        if event.event not in RECORDED_EVENTS:
            return 202, {
                "recorded": False,
                "detail": f"{event.event!r} events are not recorded; only {', '.join(RECORDED_EVENTS)}",
            }
        if event.occurred_at is not None and _now() - event.occurred_at > self.window:
            raise Refused(
                409,
                f"{event.event!r} of document {event.document_id} happened more than {self.window} ago; "
                "refused as a possible replay",
            )
        return await asyncio.to_thread(self._record, conn_id, event, environment)

    async def _read_body(self, headers: dict[str, str], receive: Receive) -> bytes:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise Refused(413, f"body of {declared} bytes; an OpenSign event is at most {self.max_bytes}")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise Refused(400, "the client disconnected before sending the whole body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise Refused(413, f"body over {self.max_bytes} bytes; an OpenSign event is smaller")
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    def _verify(
        self, raw: bytes, signature: str | None, secret: str | None, allow_unsigned: bool, conn_id: str
    ) -> WebhookEvent:
        if secret:
            if not verify_signature(raw, signature, secret):
                what = "no x-webhook-signature header" if not signature else "a signature that does not match"
                log.warning("OpenSign webhook for %s refused: %s", conn_id, what)
                raise Refused(401, f"the delivery has {what} the webhook secret of connection {conn_id!r}")
        elif not allow_unsigned:
            raise Refused(
                403,
                f"connection {conn_id!r} has no extra 'webhook_secret', so deliveries cannot be verified. "
                "Set it to the Webhook Security Key of OpenSign's web app (Settings > Webhook), or set "
                f"the extra {ALLOW_UNSIGNED_EXTRA!r} to true to accept unsigned deliveries.",
            )
        try:
            return parse_event(raw)
        except OpenSignWebhookError as exc:
            raise Refused(400, str(exc)) from None

    def _record(
        self, conn_id: str, event: WebhookEvent, environment: str | None
    ) -> tuple[int, dict[str, Any]]:
        from airflow.models.asset import AssetEvent, AssetModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        from signs_provider.common.errors import SignsConfigError
        from signs_provider.opensign.events import document_event_from_webhook, opensign_documents_asset

        try:
            asset = opensign_documents_asset(conn_id, event.event)
        except SignsConfigError as exc:  # a connection id no asset URI can hold
            raise Refused(404, str(exc)) from None
        payload = document_event_from_webhook(event, environment=environment)
        with self._record_lock, create_session() as session:
            model = session.scalar(
                select(AssetModel).where(AssetModel.name == asset.name, AssetModel.uri == asset.uri)
            )
            if model is None:
                prefix = opensign_documents_asset(conn_id, "completed").uri.rsplit("/", 1)[0] + "/"
                watched = session.scalars(
                    select(AssetModel.uri).where(AssetModel.uri.startswith(prefix))
                ).all()
                if watched:
                    return 202, {
                        "recorded": False,
                        "detail": f"no DAG is scheduled on {asset.uri}; only on {', '.join(sorted(watched))}",
                    }
                raise Refused(
                    404,
                    f"no DAG is scheduled on {asset.uri} (nor on any OpenSign asset of connection {conn_id!r}). "
                    "Check the connection id in the webhook URL, and that the DAG using "
                    f"opensign_documents_asset({conn_id!r}) has been parsed.",
                )
            cutoff = _now() - self.window
            for extra in session.scalars(
                select(AssetEvent.extra).where(
                    AssetEvent.asset_id == model.id, AssetEvent.timestamp >= cutoff
                )
            ):
                earlier = (extra or {}).get("payload") if isinstance(extra, dict) else None
                if isinstance(earlier, dict) and str(earlier.get("document_id")) == event.document_id:
                    log.warning(
                        "OpenSign webhook for %s refused: %s of %s already recorded",
                        conn_id,
                        event.event,
                        event.document_id,
                    )
                    raise Refused(
                        409,
                        f"{event.event!r} of document {event.document_id} is already recorded on {asset.uri} "
                        f"(within {self.window}); refusing the repeated delivery",
                        recorded=False,
                    )
            recorded = _register(model, {"from_webhook": True, "payload": payload}, session)
            if recorded is None:
                raise Refused(
                    404, f"Airflow did not record an event on {asset.uri}; see the API server's log"
                )
            session.flush()
            log.info("OpenSign webhook: %s of %s recorded on %s", event.event, event.document_id, asset.uri)
            return 201, {
                "recorded": True,
                "asset": asset.uri,
                "asset_event_id": recorded.id,
                "document_id": event.document_id,
                "status": event.event,
            }


def _register(model: Any, extra: dict[str, Any], session: Any) -> Any:
    """``asset_manager.register_asset_change`` as the REST API's ``POST /assets/events`` calls it."""
    from airflow.assets.manager import asset_manager

    register = asset_manager.register_asset_change
    kwargs: dict[str, Any] = {"asset": model, "extra": extra, "session": session}
    # Airflow 3.3 tells API-made events apart (multi-team filtering); 3.2 has no such parameter.
    if "source_is_api" in inspect.signature(register).parameters:
        kwargs["source_is_api"] = True
    return register(**kwargs)


def _connection_settings(conn_id: str) -> tuple[str | None, bool, str | None]:
    """The connection's webhook secret, whether unsigned deliveries are allowed, and its environment."""
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection

    try:
        conn = Connection.get_connection_from_secrets(conn_id)
    except AirflowNotFoundException:
        raise Refused(
            404, f"no Airflow connection {conn_id!r}; the URL names the opensign connection"
        ) from None
    if conn.conn_type != "opensign":
        raise Refused(404, f"connection {conn_id!r} is of type {conn.conn_type!r}, not 'opensign'")
    extra = conn.extra_dejson
    secret = str(extra.get("webhook_secret") or "") or None
    allow = extra.get(ALLOW_UNSIGNED_EXTRA)
    allow_unsigned = allow is True or str(allow).strip().lower() in ("true", "1", "yes")
    environment = str(extra.get("environment") or "") or None
    return secret, allow_unsigned, environment


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def _respond(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    if status == 405:
        headers.append((b"allow", b"POST"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


#: The app the plugin mounts at :data:`URL_PREFIX`.
app = OpenSignWebhookReceiver()
