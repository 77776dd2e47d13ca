"""Control API of the OpenSign emulator, for tests and demos (mounted at ``/_emulator/opensign``).

It stands in for the people and the time OpenSign waits on: signers who view, sign or decline, the owner
sending a draft from the web app, documents running out of time, and the billing page. All bodies and
answers are JSON; refusals are ``{"error": "..."}`` with 404 (unknown environment, document or signer),
409 (the document's state does not allow it) or 403 (wrong access code).

Endpoints (``{env}`` is ``sandbox``, ``live`` or ``eu``; ``{email}`` is the signer's email):

``GET  /{env}``
    The environment's state (same shape as one environment of ``snapshot()``).
``GET  /{env}/documents/{id}``
    One document's state: status, each signer's progress, mails sent, file versions.
``POST /{env}/documents/{id}/send``
    Send a draft (``POST /draftdocument``) for signature, as the owner would from the web app. Fires
    ``created``.
``POST /{env}/documents/{id}/signers/{email}/view``  body ``{"ip_address": "..."}`` (optional)
    The signer opens the document. The first view fires ``viewed``.
``POST /{env}/documents/{id}/signers/{email}/sign``  body (all optional)
    ``{"responses": {"<widget name>": value}, "access_code": "...", "ip_address": "..."}``.
    Signs (approves, for an approver); implies a view. Fires ``viewed`` (first time), ``signed`` and,
    when nobody is left to sign, ``completed``.
``POST /{env}/documents/{id}/signers/{email}/decline``  body ``{"reason": "..."}``
    Declines; the document becomes ``declined``. Fires ``declined`` with ``declinedReason``.
``POST /{env}/documents/{id}/expire``
    Expires an in-progress document now (to expire by time instead, advance the shared clock with
    ``POST /_emulator/clock/advance``; expiry is ``timeToCompleteDays`` after sending).
``POST /{env}/credits``  body ``{"plan_credits": N, "addon_credits": M, "subscription": true}``
    Sets the API credits (any key may be left out). ``subscription: false`` makes ``GET /getcredits``
    answer 400 "Subscription not found!" and creates 400 "Please purchase or renew your subscription."
``GET  /{env}/webhook``
    ``{"url": ..., "secret": ...}``: the webhook URL and the security key the HMAC is computed with.
``PUT  /{env}/webhook``  body ``{"secret": "..." | null, "url": "..."}``
    Sets the security key (``null`` = authentication off, no ``x-webhook-signature``) and/or the URL.
``GET  /{env}/webhook-deliveries``  query ``event``, ``document_id`` (optional filters)
    Webhook deliveries, oldest first: ``id, event, document_id, url, status`` (``pending``,
    ``delivered``, ``failed``), ``http_status, error, signature, body`` (exact bytes sent, as text),
    ``created_at, finished_at``. Poll until no delivery is ``pending`` to wait for webhooks.
``PUT  /{env}/autopilot``  body ``{"action": "sign"|"decline", "after_seconds": 1.0, "decline": [emails],
"reason": "..."}``
    Signers act by themselves ``after_seconds`` after each document is sent: everyone signs, or declines
    for ``action: decline`` and for the listed emails. ``GET`` shows it, ``DELETE`` stops it; a reset
    stops it too.
``POST /reset``
    Back to the seeded state (all environments).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import machine
from ..autopilot import Autopilot
from ..emulator import OpenSignEmulator
from ..links import Links, api_base
from ..state import ApiError, ControlError, Document, Environment, Signer
from .call import OpenSign

router = APIRouter()


# -- helpers -----------------------------------------------------------------------------------------------


def respond(emu: OpenSignEmulator, action: Callable[[], Any]) -> Response:
    """``action()`` under the service's lock as JSON, or its refusal as ``{"error": ...}``."""
    try:
        with emu.lock:
            return JSONResponse(action())
    except ControlError as exc:
        return JSONResponse({"error": exc.message}, status_code=exc.status)
    except ApiError as exc:  # e.g. "Document not found!" from the environment lookups
        return JSONResponse({"error": next(iter(exc.body.values()))}, status_code=exc.status)


def refusal(exc: ControlError) -> Response:
    return JSONResponse({"error": exc.message}, status_code=exc.status)


def env_of(emu: OpenSignEmulator, name: str) -> Environment:
    env = emu.environments.get(name)
    if env is None:
        raise ControlError(
            404, f"unknown OpenSign environment {name!r}; use one of {sorted(emu.environments)}"
        )
    return env


def signer_of(doc: Document, email: str) -> Signer:
    signer = doc.signer(email)
    if signer is None:
        raise ControlError(404, f"{email} is not a signer of document {doc.id}")
    return signer


async def body_of(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise ControlError(400, f"body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ControlError(400, "body must be a JSON object")
    return body


def transition(
    emu: OpenSignEmulator, request: Request, env: Environment, doc: Document, events: list[machine.Event]
) -> dict[str, Any]:
    """Publish the webhooks of ``events`` and answer with the document's state."""
    emu.publish(env, Links(api_base(request), env.name, emu.files), [(doc, e) for e in events])
    return emu.document_snapshot(doc)


# -- documents and signers ---------------------------------------------------------------------------------


@router.get("/{env}")
def environment_state(env: str, emu: OpenSign) -> Response:
    """The environment's state."""
    return respond(emu, lambda: emu.environment_snapshot(env_of(emu, env)))


@router.get("/{env}/documents/{document_id}")
def document_state(env: str, document_id: str, emu: OpenSign) -> Response:
    """One document's state with each signer's progress."""
    return respond(emu, lambda: emu.document_snapshot(env_of(emu, env).document(document_id)))


@router.post("/{env}/documents/{document_id}/send")
def send_draft(request: Request, env: str, document_id: str, emu: OpenSign) -> Response:
    """Send a draft document for signature (fires ``created``)."""

    def act() -> dict[str, Any]:
        environment = env_of(emu, env)
        doc = environment.document(document_id)
        return transition(emu, request, environment, doc, machine.send(doc, environment, emu.clock.now()))

    return respond(emu, act)


@router.post("/{env}/documents/{document_id}/signers/{email}/{action}")
async def signer_action(
    request: Request, env: str, document_id: str, email: str, action: str, emu: OpenSign
) -> Response:
    """``view``, ``sign`` or ``decline`` as the signer with ``email``."""
    try:
        body = await body_of(request)
    except ControlError as exc:
        return refusal(exc)
    ip = str(body.get("ip_address") or (request.client.host if request.client else ""))

    def act() -> dict[str, Any]:
        environment = env_of(emu, env)
        doc = environment.document(document_id)
        signer = signer_of(doc, email)
        events = _signer_events(action, doc, signer, body, ip, emu.clock.now(), environment)
        return transition(emu, request, environment, doc, events)

    return respond(emu, act)


def _signer_events(
    action: str,
    doc: Document,
    signer: Signer,
    body: dict[str, Any],
    ip: str,
    now: datetime,
    environment: Environment,
) -> list[machine.Event]:
    offset = environment.timezone_offset_minutes
    if action == "view":
        return machine.view(doc, signer, now, ip, offset)
    if action == "sign":
        responses = body.get("responses") or {}
        if not isinstance(responses, dict):
            raise ControlError(400, "responses must be an object of widget name -> value")
        return machine.sign(
            doc,
            signer,
            now,
            responses=responses,
            access_code=str(body.get("access_code") or ""),
            ip_address=ip,
            offset_minutes=offset,
        )
    if action == "decline":
        reason = body.get("reason", "")
        if not isinstance(reason, str):
            raise ControlError(400, "reason must be a string")
        return machine.decline(doc, signer, reason, now, offset)
    raise ControlError(404, f"unknown signer action {action!r}; use view, sign or decline")


@router.post("/{env}/documents/{document_id}/expire")
def expire_document(env: str, document_id: str, emu: OpenSign) -> Response:
    """Expire an in-progress document now (no webhook: OpenSign has no ``expired`` event)."""

    def act() -> dict[str, Any]:
        doc = env_of(emu, env).document(document_id)
        machine.expire(doc, emu.clock.now())
        return emu.document_snapshot(doc)

    return respond(emu, act)


# -- autopilot ---------------------------------------------------------------------------------------------


@router.put("/{env}/autopilot")
async def set_autopilot(request: Request, env: str, emu: OpenSign) -> Response:
    """Let the signers of ``env`` act by themselves (see the module docstring)."""
    try:
        body = await body_of(request)
        env_of(emu, env)
        pilot = Autopilot.from_body(body, api_base(request))
    except ControlError as exc:
        return refusal(exc)
    emu.autopilot.set(env, pilot)
    return JSONResponse(pilot.as_json())


@router.get("/{env}/autopilot")
def get_autopilot(env: str, emu: OpenSign) -> Response:
    pilot = emu.autopilot.pilots.get(env)
    return JSONResponse(pilot.as_json() if pilot else None)


@router.delete("/{env}/autopilot")
def stop_autopilot(env: str, emu: OpenSign) -> Response:
    emu.autopilot.set(env, None)
    return JSONResponse(None)


# -- account: credits and webhook --------------------------------------------------------------------------


@router.post("/{env}/credits")
async def set_credits(request: Request, env: str, emu: OpenSign) -> Response:
    """Set plan/add-on credits and whether the account has a subscription."""
    try:
        body = await body_of(request)
    except ControlError as exc:
        return refusal(exc)

    def act() -> dict[str, Any]:
        credits = env_of(emu, env).credits
        for key, attr in (("plan_credits", "plan"), ("addon_credits", "addon")):
            if key in body:
                value = body[key]
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise ControlError(400, f"{key} must be a whole number >= 0")
                setattr(credits, attr, value)
        if "subscription" in body:
            if not isinstance(body["subscription"], bool):
                raise ControlError(400, "subscription must be true or false")
            credits.subscription = body["subscription"]
        return emu.environment_snapshot(env_of(emu, env))["credits"]

    return respond(emu, act)


@router.get("/{env}/webhook")
def get_webhook(env: str, emu: OpenSign) -> Response:
    """The webhook URL and security key of the environment."""
    return respond(
        emu, lambda: {"url": env_of(emu, env).webhook_url, "secret": env_of(emu, env).webhook_secret}
    )


@router.put("/{env}/webhook")
async def put_webhook(request: Request, env: str, emu: OpenSign) -> Response:
    """Set the security key (``null`` disables signing) and/or the URL."""
    try:
        body = await body_of(request)
    except ControlError as exc:
        return refusal(exc)

    def act() -> dict[str, Any]:
        environment = env_of(emu, env)
        if "secret" in body:
            secret = body["secret"]
            if secret is not None and (not isinstance(secret, str) or not secret):
                raise ControlError(400, "secret must be a non-empty string or null")
            environment.webhook_secret = secret
        if "url" in body:
            url = body["url"] or ""
            if not isinstance(url, str) or (url and not url.startswith(("http://", "https://"))):
                raise ControlError(400, "url must be an http(s) URL or empty")
            environment.webhook_url = url
        return {"url": environment.webhook_url, "secret": environment.webhook_secret}

    return respond(emu, act)


@router.get("/{env}/webhook-deliveries")
def webhook_deliveries(env: str, emu: OpenSign, event: str = "", document_id: str = "") -> Response:
    """Webhook deliveries, oldest first, optionally filtered by event and document."""

    def act() -> list[dict[str, Any]]:
        found = emu.webhooks.deliveries(env_of(emu, env))
        return [
            d
            for d in found
            if (not event or d["event"] == event) and (not document_id or d["document_id"] == document_id)
        ]

    return respond(emu, act)


@router.post("/reset")
def reset(emu: OpenSign) -> Response:
    """Back to the seeded state."""
    emu.reset()
    return JSONResponse({"reset": True})
