"""The 35 operations of OpenSign API v1.2, served under ``/{env}/api/{v1|v1.1|v1.2}``.

Every version prefix serves every operation: v1.2 is documented as backwards-compatible, and the emulator
does not hide the v1.1 additions from ``/api/v1``. [INFERRED] Responses follow the reference's documented
shapes, including its quirks: 200 for creates, 401 for duplicates, 405 for a bad token, ``document_id``
(not ``objectId``) from draftdocument, ``inprogress`` in documentlist but ``in-progress`` in ``status``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from . import machine, validation
from .files import InvalidFileToken, s3_error_xml
from .links import FILE_ROUTE_NAME, Links, api_base
from .state import (
    COMPLETED,
    DECLINED,
    DRAFT,
    EXPIRED,
    IN_PROGRESS,
    TEMPLATE_OPTION_DEFAULTS,
    ApiError,
    Contact,
    Document,
    Environment,
    Folder,
    Signer,
    Template,
    iso,
)
from .validation import (
    CONTACT_UPDATE_KEYS,
    DOCUMENT_UPDATE_KEYS,
    FOLDER_UPDATE_KEYS,
    SIGNERS_IMPROPER,
    TEMPLATE_NOT_SET_UP,
    TEMPLATE_UPDATE_KEYS,
    bad_input,
)

if TYPE_CHECKING:
    from .emulator import OpenSignEmulator

API_VERSIONS = ("v1", "v1.1", "v1.2")

#: ``documentlist/{doctype}`` values and the status each selects. ``signaturerequest`` ("need your
#: signature") is from OSS v1, not the spec.
DOCTYPES = {
    "draft": DRAFT,
    "inprogress": IN_PROGRESS,
    "completed": COMPLETED,
    "expired": EXPIRED,
    "declined": DECLINED,
    "signaturerequest": IN_PROGRESS,
}


@dataclass
class Call:
    """One authenticated API call: the environment, parsed body and query, URL factory and clock."""

    emu: OpenSignEmulator
    env: Environment
    body: dict[str, Any]
    query: dict[str, str]
    links: Links
    now: datetime
    client_ip: str
    events: list[tuple[Document, machine.Event]] = field(default_factory=list)


Handler = Callable[..., Any]
H = TypeVar("H", bound=Handler)


# ------------------------------------------------------------------------------------- serialisers


def contact_json(contact: Contact) -> dict[str, Any]:
    return {
        "objectId": contact.id,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "company": contact.company,
        "job_title": contact.job_title,
        "createdAt": iso(contact.created_at),
        "updatedAt": iso(contact.updated_at),
    }


def folder_json(folder: Folder, env: Environment, *, with_parent_name: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "objectId": folder.id,
        "folderName": folder.name,
        "parentFolderId": folder.parent_id,
    }
    if with_parent_name:
        parent = env.folders.get(folder.parent_id)
        out["parentFolderName"] = parent.name if parent else ""
    out.update({"createdAt": iso(folder.created_at), "updatedAt": iso(folder.updated_at)})
    return out


def _signer_json(signer: Signer, *, widgets: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "role": signer.role,
        "name": signer.name,
        "email": signer.email,
        "phone": signer.phone,
    }
    if widgets:
        out["widgets"] = signer.widgets
    return out


def _folder_ref(env: Environment, folder_id: str) -> dict[str, Any]:
    folder = env.folders.get(folder_id)
    return {"folder": {"objectId": folder.id, "name": folder.name}} if folder else {}


def document_json(doc: Document, call: Call, *, full: bool) -> dict[str, Any]:
    """``documentwithstatus`` (``full``, GET /document) or the list item ``document`` (no status,
    certificate or audit trail). ``folder`` and ``template_id`` appear only when set. [INFERRED]"""
    out: dict[str, Any] = {}
    if full:
        out["status"] = doc.status(call.now)
    out.update({"objectId": doc.id, "file": call.links.file(doc)})
    if full:
        out["certificate"] = call.links.certificate(doc)
    out.update(
        {"title": doc.title, "note": doc.note, **_folder_ref(call.env, doc.folder_id), "owner": doc.owner}
    )
    out["signers"] = [_signer_json(s, widgets=full) for s in doc.signers]
    opts = doc.options
    out.update(
        {
            "sendInOrder": opts["sendInOrder"],
            "send_in_order_strict": opts["send_in_order_strict"],
            "allow_offline_sign": opts["allow_offline_sign"],
            "createdAt": iso(doc.created_at),
            "updatedAt": iso(doc.updated_at),
            "enableTour": opts["enableTour"],
            "redirect_url": opts["redirect_url"],
            "allow_modifications": opts["allow_modifications"],
        }
    )
    if full:
        out["enableOTP"] = opts["enableOTP"]  # returned by OSS v1, not in the spec's example
        out["audit_trail"] = [
            {"email": s.email, "viewed": iso(s.viewed_at), "signed": iso(s.signed_at)} for s in doc.signers
        ]
    if doc.template_id:
        out["template_id"] = doc.template_id
    out.update({"auto_reminder": opts["auto_reminder"], "remind_once_in_every": opts["remind_once_in_every"]})
    if full:
        out.update({"pen_colors": opts["pen_colors"], "bcc": opts["bcc"], "cc": opts["cc"]})
    return out


def template_json(template: Template, call: Call, *, full: bool) -> dict[str, Any]:
    """``template_details`` (``full``, GET /template) or the ``templatelist`` item."""
    opts = template.options
    out: dict[str, Any] = {"objectId": template.id, "title": template.title, "note": template.note}
    if full:
        out.update(
            {
                "description": template.description,
                "pen_colors": opts["pen_colors"],
                "sender_name": opts["sender_name"],
                "sender_email": opts["sender_email"],
                "notify_on_signatures": opts["notify_on_signatures"],
                "merge_certificate": opts["merge_certificate"],
            }
        )
    out.update(
        {
            "file": call.links.template_file(template),
            "owner": call.env.user["name"],
            "signers": [_signer_json(s, widgets=full) for s in template.signers],
            "sendInOrder": opts["sendInOrder"],
            "send_in_order_strict": opts["send_in_order_strict"],
            "allow_offline_sign": opts["allow_offline_sign"],
            "createdAt": iso(template.created_at),
            "updatedAt": iso(template.updated_at),
            "enableTour": opts["enableTour"],
            "redirect_url": opts["redirect_url"],
            "allow_modifications": opts["allow_modifications"],
            "auto_reminder": opts["auto_reminder"],
        }
    )
    if full:
        out["timeToCompleteDays"] = opts["timeToCompleteDays"]
    out["remind_once_in_every"] = opts["remind_once_in_every"]
    if full:
        out.update({"bcc": opts["bcc"], "cc": opts["cc"]})
    out["prefill"] = template.prefill or {"widgets": []}
    return out


def _page(items: Iterable[Any], query: dict[str, str]) -> list[Any]:
    limit, skip = validation.paging(query)
    return list(items)[skip : skip + limit]


def _newest_first(items: Iterable[Any], attr: str) -> list[Any]:
    # Newest first; among equal timestamps, the later-created object first.
    return sorted(reversed(list(items)), key=lambda item: getattr(item, attr), reverse=True)


# ------------------------------------------------------------------------------------- the router


def build_api_router(emu: OpenSignEmulator) -> APIRouter:
    """Routes of the emulated OpenSign API, the download URLs and the stub web-app pages."""
    router = APIRouter()

    def operation(method: str, path: str) -> Callable[[H], H]:
        def register(handler: H) -> H:
            async def endpoint(request: Request) -> Response:
                params = dict(request.path_params)
                env_name, version = params.pop("env"), params.pop("version")
                try:
                    env = emu.authenticate(env_name, version, request.headers.get("x-api-token"))
                    body = await _json_body(request) if method in ("POST", "PUT") else {}
                    with emu.lock:
                        call = Call(
                            emu=emu,
                            env=env,
                            body=body,
                            query=dict(request.query_params),
                            links=Links(api_base(request), env.name, emu.files),
                            now=emu.clock.now(),
                            client_ip=request.client.host if request.client else "",
                        )
                        result = handler(call, **params)
                        emu.publish(call.env, call.links, call.events)
                except ApiError as exc:
                    return JSONResponse(exc.body, status_code=exc.status)
                return JSONResponse(result)

            router.add_api_route(
                "/{env}/api/{version}" + path,
                endpoint,
                methods=[method],
                name=f"opensign_{handler.__name__}",
                include_in_schema=False,
            )
            return handler

        return register

    # -- user and credits ---------------------------------------------------------------------------

    @operation("GET", "/getuser")
    def get_user(call: Call) -> dict[str, Any]:
        user = call.env.user
        return {
            "objectId": user["objectId"],
            "name": user["name"],
            "email": user["email"],
            "phone": user["phone"],
            "jobTitle": user["jobTitle"],
            "company": user["company"],
            "createdAt": iso(user["created_at"]),
            "updatedAt": iso(user["created_at"]),
        }

    @operation("GET", "/getcredits")
    def get_credits(call: Call) -> dict[str, Any]:
        credits = call.env.credits
        if not credits.subscription:
            raise ApiError(400, "Subscription not found!")
        return {
            "plan_credits": credits.plan,
            "addon_credits": credits.addon,
            "total_credits": credits.total,
            "renewal_date": iso(credits.renewal_date),
        }

    # -- contacts -----------------------------------------------------------------------------------

    @operation("POST", "/createcontact")
    def create_contact(call: Call) -> dict[str, Any]:
        body = call.body
        name = validation.required_str(body, "name")
        email = validation.required_str(body, "email")
        if not validation.is_email(email):
            raise bad_input()
        contact = call.env.add_contact(
            call.now,
            name=name,
            email=email,
            phone=validation.optional_str(body, "phone"),
            company=validation.optional_str(body, "company"),
            job_title=validation.optional_str(body, "job_title"),
        )
        return contact_json(contact)

    @operation("GET", "/contact/{contact_id}")
    def get_contact(call: Call, contact_id: str) -> dict[str, Any]:
        return contact_json(call.env.contact(contact_id))

    @operation("PUT", "/contact/{contact_id}")
    def update_contact(call: Call, contact_id: str) -> dict[str, Any]:
        # [INFERRED] "Contact not found!": the spec's 404 example for this path says "Template not found!",
        # a copy-paste from the template operations.
        contact = call.env.contact(contact_id)
        validation.check_update_keys(call.body, CONTACT_UPDATE_KEYS)
        changes = {key: validation.optional_str(call.body, key) for key in call.body}
        if "name" in changes and not changes["name"].strip():
            raise bad_input()
        if "email" in changes:
            if not validation.is_email(changes["email"]):
                raise bad_input()
            other = call.env.contact_by_email(changes["email"])
            if other is not None and other is not contact:
                raise ApiError(401, "Contact already exists!", objectId=other.id)
        for key, value in changes.items():
            setattr(contact, key, value.strip() if key in ("name", "email") else value)
        contact.updated_at = call.now
        return {"objectId": contact.id, "message": "Contact updated successfully"}

    @operation("DELETE", "/contact/{contact_id}")
    def delete_contact(call: Call, contact_id: str) -> dict[str, Any]:
        contact = call.env.contact(contact_id)
        contact.deleted_at = contact.updated_at = call.now
        return {"objectId": contact.id, "deletedAt": iso(call.now)}

    @operation("GET", "/contactlist")
    def contact_list(call: Call) -> dict[str, Any]:
        live = [c for c in call.env.contacts.values() if not c.deleted_at]
        return {"result": [contact_json(c) for c in _page(_newest_first(live, "created_at"), call.query)]}

    # -- documents ----------------------------------------------------------------------------------

    def _new_document(
        call: Call, *, title: str, file: bytes, signers: list[Signer], options: dict[str, Any], **fields: Any
    ) -> Document:
        """Spend the credit and store the document; all validation has happened before."""
        call.env.credits.spend_one()
        doc = Document(
            id=call.env.new_id(),
            title=title,
            owner=call.env.user["name"],
            signers=signers,
            options=options,
            files=[file],
            created_at=call.now,
            updated_at=call.now,
            **fields,
        )
        call.env.documents[doc.id] = doc
        return doc

    def _send(call: Call, doc: Document) -> None:
        call.events += [(doc, event) for event in machine.send(doc, call.env, call.now)]

    def _folder_id(call: Call) -> str:
        folder_id = call.body.get("folderId")
        if folder_id in (None, ""):
            return ""
        if not isinstance(folder_id, str):
            raise bad_input()
        # [INFERRED] an unknown folder is "folder not found." as on the folder operations.
        return call.env.folder(folder_id).id

    def _sign_urls(call: Call, doc: Document) -> list[dict[str, str]]:
        return [{"email": s.email, "url": call.links.signing(doc, s)} for s in doc.signers]

    @operation("POST", "/selfsign")
    def self_sign(call: Call) -> dict[str, Any]:
        body = call.body
        file = validation.decode_pdf(body.get("file"))
        title = validation.required_str(body, "title")
        # The spec requires "signers" but defines the singular object "signer"; accept either.
        raw = body.get("signer", body.get("signers"))
        if isinstance(raw, list):
            raw = raw[0] if len(raw) == 1 else None
        if not isinstance(raw, dict):
            raise ApiError(400, validation.PROVIDE_SIGNERS)
        user = call.env.user
        raw = {"name": user["name"], "email": user["email"], **{k: v for k, v in raw.items() if v}}
        signers = validation.parse_document_signers([raw], require_widgets=False)
        options = validation.parse_options(body, _document_defaults())
        options["sendInOrder"] = False
        doc = _new_document(
            call,
            title=title,
            file=file,
            signers=signers,
            options=options,
            note=validation.optional_str(body, "note"),
            description=validation.optional_str(body, "description"),
            folder_id=_folder_id(call),
            time_to_complete_days=validation.time_to_complete_days(body),
            kind="self-sign",
        )
        _send(call, doc)
        return {"objectId": doc.id, "url": call.links.signing(doc, doc.signers[0])}

    def _direct_document(call: Call, *, draft: bool) -> Document:
        body = call.body
        file = validation.decode_pdf(body.get("file"))
        title = validation.required_str(body, "title")
        signers: list[Signer] = []
        if not draft or body.get("signers") not in (None, []):
            signers = validation.parse_document_signers(body.get("signers"), require_widgets=not draft)
        options = validation.parse_options(body, _document_defaults())
        return _new_document(
            call,
            title=title,
            file=file,
            signers=signers,
            options=options,
            note=validation.optional_str(body, "note"),
            description=validation.optional_str(body, "description"),
            folder_id=_folder_id(call),
            time_to_complete_days=validation.time_to_complete_days(body),
            prefill=validation.prefill_widgets(body),
        )

    @operation("POST", "/draftdocument")
    def draft_document(call: Call) -> dict[str, Any]:
        doc = _direct_document(call, draft=True)
        # Documented response: only document_id and url; hide_signer_signing_links is accepted and stored.
        return {"document_id": doc.id, "url": call.links.draft_document(doc)}

    @operation("POST", "/createdocument")
    def create_document(call: Call) -> dict[str, Any]:
        doc = _direct_document(call, draft=False)
        _send(call, doc)
        return {
            "objectId": doc.id,
            "signurl": _sign_urls(call, doc),
            "message": "Document sent successfully!",
        }

    @operation("POST", "/createdocument/{template_id}")
    def create_document_from_template(call: Call, template_id: str) -> dict[str, Any]:
        body = call.body
        template = call.env.template(template_id, missing="Invalid template id!")
        signers = _signers_from_template(template, body.get("signers"))
        options = _template_overrides(body, template.options)
        days = body.get("timeToCompleteDays")
        # Documented for v1.2: presence overrides the template "even when set to 0".
        ttc = days if validation.is_number(days) and days >= 0 else template.options["timeToCompleteDays"]
        given_title = body.get("title")
        title = given_title if isinstance(given_title, str) and given_title.strip() else template.title
        file = validation.decode_pdf(body["file"]) if body.get("file") else template.file
        doc = _new_document(
            call,
            title=title,
            file=file,
            signers=signers,
            options=options,
            note=body["note"] if isinstance(body.get("note"), str) else template.note,
            description=template.description,
            folder_id=_folder_id(call) or template.folder_id,
            time_to_complete_days=ttc,
            template_id=template.id,
            prefill=validation.prefill_widgets(body),
        )
        _send(call, doc)
        return {
            "objectId": doc.id,
            "signurl": _sign_urls(call, doc),
            "message": "Document sent successfully!",
        }

    @operation("GET", "/document/{document_id}")
    def get_document(call: Call, document_id: str) -> dict[str, Any]:
        return document_json(call.env.document(document_id), call, full=True)

    @operation("PUT", "/document/{document_id}")
    def update_document(call: Call, document_id: str) -> dict[str, Any]:
        doc = call.env.documents.get(document_id)
        if doc is not None and doc.deleted_at:
            # OSS quirk kept on purpose: a deleted document answers with "message", not "error".
            raise ApiError(404, "Document not found!", key="message")
        doc = call.env.document(document_id)
        validation.check_update_keys(call.body, DOCUMENT_UPDATE_KEYS)
        _apply_updates(call, doc, call.body)
        doc.updated_at = call.now
        return {"objectId": doc.id, "updatedAt": iso(doc.updated_at)}

    @operation("POST", "/document/{document_id}")
    def revoke_document(call: Call, document_id: str) -> dict[str, Any]:
        doc = call.env.document(document_id)
        reason = validation.optional_str(call.body, "reason")
        events = machine.revoke(
            doc, reason, call.env.user["email"], call.now, call.env.timezone_offset_minutes
        )
        call.events += [(doc, event) for event in events]
        return {"objectId": doc.id, "revokedAt": iso(call.now)}

    @operation("DELETE", "/document/{document_id}")
    def delete_document(call: Call, document_id: str) -> dict[str, Any]:
        doc = call.env.document(document_id)
        doc.deleted_at = call.now  # soft delete; the credit stays spent
        return {"objectId": doc.id, "deletedAt": iso(call.now)}

    @operation("GET", "/documentlist/{doctype}")
    def document_list(call: Call, doctype: str) -> dict[str, Any]:
        wanted = DOCTYPES.get(doctype)  # case-sensitive, like OSS's switch
        if wanted is None:
            raise ApiError(404, "Report not available!")
        docs = [d for d in call.env.documents.values() if not d.deleted_at and d.status(call.now) == wanted]
        if doctype == "signaturerequest":
            me = call.env.user["email"]
            docs = [d for d in docs if (s := d.signer(me)) is not None and s.must_act and not s.signed_at]
        page = _page(_newest_first(docs, "updated_at"), call.query)
        return {"result": [document_json(d, call, full=False) for d in page]}

    @operation("POST", "/resendmail")
    def resend_mail(call: Call) -> dict[str, Any]:
        document_id, email = call.body.get("document_id"), call.body.get("email")
        if not isinstance(document_id, str) or not isinstance(email, str) or not document_id or not email:
            raise ApiError(400, "Something went wrong.")
        doc = call.env.documents.get(document_id)
        signer = doc.signer(email) if doc is not None and not doc.deleted_at else None
        if doc is None or signer is None:
            raise ApiError(404, "document not found or user not found.")
        if doc.status(call.now) != IN_PROGRESS:
            raise ApiError(400, "Something went wrong.")  # OSS: only sent, unfinished, unexpired documents
        subject = validation.optional_str(call.body, "email_subject") or f"Reminder: please sign {doc.title}"
        doc.mails.append({"to": signer.email, "subject": subject, "at": iso(call.now)})
        return {"result": "mail sent successfully."}

    @operation("GET", "/signerips/{document_id}")
    def signer_ips(call: Call, document_id: str) -> dict[str, Any]:
        doc = call.env.document(document_id)
        ips = [{"email": s.email, "ip_address": s.ip_address} for s in doc.signers if s.ip_address]
        return {"objectId": doc.id, "signer_ips": ips}

    @operation("GET", "/formdata/{document_id}")
    def form_data(call: Call, document_id: str) -> dict[str, Any]:
        doc = call.env.document(document_id)
        sent = doc.sent_at or doc.created_at
        return {
            "objectId": doc.id,
            "title": doc.title,
            "sent_date": sent.strftime("%m/%d/%Y"),  # [INFERRED] US order; the example is 11/11/2025
            "status": doc.status(call.now),
            "form_data": [
                {
                    "name": s.name,
                    "email": s.email,
                    "widgets": [{"name": name, "response": value} for name, value in s.responses.items()],
                }
                for s in doc.signers
                if s.signed_at
            ],
        }

    @operation("GET", "/signinglinks/{document_id}")
    def signing_links(call: Call, document_id: str) -> dict[str, Any]:
        doc = call.env.document(document_id)
        return {"objectId": doc.id, "signurl": _sign_urls(call, doc)}

    # -- templates ----------------------------------------------------------------------------------

    def _new_template(call: Call, kind: str) -> Template:
        body = call.body
        file = validation.decode_pdf(body.get("file"))
        title = validation.required_str(body, "title")
        signers = validation.parse_template_signers(body.get("signers"))
        options = validation.parse_options(body, TEMPLATE_OPTION_DEFAULTS)
        days = body.get("timeToCompleteDays")
        if days is not None:
            if not validation.is_number(days) or days < 0:
                raise bad_input()
            options["timeToCompleteDays"] = days
        template = Template(
            id=call.env.new_id(),
            title=title,
            file=file,
            signers=signers,
            options=options,
            note=validation.optional_str(body, "note"),
            description=validation.optional_str(body, "description"),
            folder_id=_folder_id(call),
            prefill=validation.prefill_widgets(body),
            kind=kind,
            created_at=call.now,
            updated_at=call.now,
        )
        call.env.templates[template.id] = template
        return template

    @operation("POST", "/drafttemplate")
    def draft_template(call: Call) -> dict[str, Any]:
        template = _new_template(call, "draft")
        return {"objectId": template.id, "url": call.links.draft_template(template)}

    @operation("POST", "/createtemplate")
    def create_template(call: Call) -> dict[str, Any]:
        template = _new_template(call, "template")
        return {"objectId": template.id, "message": "Template created successfully!"}

    @operation("POST", "/publictemplate")
    def public_template(call: Call) -> dict[str, Any]:
        template = _new_template(call, "public")
        return {
            "template_id": template.id,
            "public_url": call.links.public_template(template),
            "message": "Public template created successfully!",
        }

    @operation("GET", "/template/{template_id}")
    def get_template(call: Call, template_id: str) -> dict[str, Any]:
        return template_json(call.env.template(template_id), call, full=True)

    @operation("PUT", "/template/{template_id}")
    def update_template(call: Call, template_id: str) -> dict[str, Any]:
        template = call.env.template(template_id)
        validation.check_update_keys(call.body, TEMPLATE_UPDATE_KEYS)
        body = dict(call.body)
        body.pop("file_password", None)
        file = validation.decode_pdf(body.pop("file")) if "file" in body else None
        _apply_updates(call, template, body, file=file)
        template.updated_at = call.now
        return {"objectId": template.id, "updatedAt": iso(template.updated_at)}

    @operation("DELETE", "/template/{template_id}")
    def delete_template(call: Call, template_id: str) -> dict[str, Any]:
        template = call.env.template(template_id)
        template.deleted_at = call.now
        return {"objectId": template.id, "deletedAt": iso(call.now)}

    @operation("GET", "/templatelist")
    def template_list(call: Call) -> dict[str, Any]:
        live = [t for t in call.env.templates.values() if not t.deleted_at]
        page = _page(_newest_first(live, "updated_at"), call.query)
        return {"result": [template_json(t, call, full=False) for t in page]}

    # -- webhook ------------------------------------------------------------------------------------

    @operation("GET", "/webhook")
    def get_webhook(call: Call) -> dict[str, Any]:
        if not call.env.webhook_url:
            # Measured on the sandbox: no webhook set answers 404 "User not found!" (OSS answered {}).
            raise ApiError(404, "User not found!")
        return {"webhook": call.env.webhook_url}

    @operation("POST", "/webhook")
    def save_webhook(call: Call) -> dict[str, Any]:
        # The spec's schema requires "Url" (a typo for the documented "url" property); accept both.
        url = call.body.get("url", call.body.get("Url"))
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise bad_input()
        if url == call.env.webhook_url:
            raise ApiError(401, "Webhook url already exists!")
        call.env.webhook_url = url
        return {"result": "Webhook updated successfully!"}

    @operation("DELETE", "/webhook")
    def delete_webhook(call: Call) -> dict[str, Any]:
        # [INFERRED] deleting when none is set still succeeds, as OSS's unset did.
        call.env.webhook_url = ""
        return {"result": "Webhook deleted successfully!"}

    # -- folders ------------------------------------------------------------------------------------

    def _parent_id(call: Call, moving: Folder | None = None) -> str:
        parent_id = call.body.get("parentFolderId")
        if parent_id in (None, ""):
            return ""
        if not isinstance(parent_id, str):
            raise bad_input()
        parent = call.env.folder(parent_id)
        ancestor: Folder | None = parent
        while ancestor is not None and moving is not None:
            if ancestor is moving:  # a folder cannot move into itself or its own subfolder
                raise bad_input()
            ancestor = call.env.folders.get(ancestor.parent_id)
        return parent.id

    @operation("POST", "/createfolder")
    def create_folder(call: Call) -> dict[str, Any]:
        # OSS reads "folderName"; the spec's required list spells it "foldername". Accept both.
        body = (
            call.body
            if "folderName" in call.body
            else {**call.body, "folderName": call.body.get("foldername")}
        )
        name = validation.required_str(body, "folderName")
        folder = Folder(
            id=call.env.new_id(),
            name=name,
            parent_id=_parent_id(call),
            created_at=call.now,
            updated_at=call.now,
        )
        call.env.folders[folder.id] = folder
        return folder_json(folder, call.env)

    @operation("GET", "/folder/{folder_id}")
    def get_folder(call: Call, folder_id: str) -> dict[str, Any]:
        return folder_json(call.env.folder(folder_id), call.env, with_parent_name=True)

    @operation("PUT", "/folder/{folder_id}")
    def update_folder(call: Call, folder_id: str) -> dict[str, Any]:
        folder = call.env.folder(folder_id)
        validation.check_update_keys(call.body, FOLDER_UPDATE_KEYS)
        name = validation.required_str(call.body, "folderName") if "folderName" in call.body else folder.name
        parent_id = _parent_id(call, moving=folder) if "parentFolderId" in call.body else folder.parent_id
        folder.name, folder.parent_id = name, parent_id
        folder.updated_at = call.now
        return {"objectId": folder.id, "updatedAt": iso(folder.updated_at)}

    @operation("DELETE", "/folder/{folder_id}")
    def delete_folder(call: Call, folder_id: str) -> dict[str, Any]:
        folder = call.env.folder(folder_id)
        env = call.env
        contents = [
            *(f for f in env.folders.values() if f.parent_id == folder.id and not f.deleted_at),
            *(d for d in env.documents.values() if d.folder_id == folder.id and not d.deleted_at),
            *(t for t in env.templates.values() if t.folder_id == folder.id and not t.deleted_at),
        ]
        if contents:
            raise ApiError(400, "folder is not empty, contains document or folder.")
        folder.deleted_at = call.now
        return {"objectId": folder.id, "deletedAt": iso(call.now)}

    @operation("GET", "/folderlist")
    def folder_list(call: Call) -> dict[str, Any]:
        parent = call.query.get("parentFolderId", "")
        if parent:
            call.env.folder(parent)
        children = [f for f in call.env.folders.values() if not f.deleted_at and f.parent_id == parent]
        page = _page(_newest_first(children, "created_at"), call.query)
        return {"result": [folder_json(f, call.env, with_parent_name=True) for f in page]}

    # -- downloads and stub web-app pages -----------------------------------------------------------

    @router.get("/files/{token}", name=FILE_ROUTE_NAME, include_in_schema=False)
    def download(token: str) -> Response:
        """A pre-signed-style download: no ``x-api-token``; 403 with an S3-style XML body once expired."""
        try:
            ref = emu.files.check(token)
        except InvalidFileToken as exc:
            return Response(
                s3_error_xml(exc.code, exc.message), status_code=403, media_type="application/xml"
            )
        with emu.lock:
            data, filename = emu.file_bytes(ref)
        if data is None:
            return Response(
                s3_error_xml("NoSuchKey", "The specified key does not exist."),
                404,
                media_type="application/xml",
            )
        return Response(
            data,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )

    def stub_page(request: Request, env: str, what: str) -> HTMLResponse:
        control = f"{str(request.base_url).rstrip('/')}/_emulator/opensign/{env}"
        return HTMLResponse(
            "<!doctype html><meta charset='utf-8'><title>OpenSign emulator</title>"
            f"<h1>OpenSign emulator: {what}</h1>"
            "<p>This emulator has no signing web app. Act as a signer through the control API, e.g. "
            f"<code>POST {control}/documents/&lt;id&gt;/signers/&lt;email&gt;/sign</code>.</p>"
        )

    @router.get("/{env}/login/{token:path}", include_in_schema=False)
    def signing_page(request: Request, env: str, token: str) -> HTMLResponse:
        return stub_page(request, env, "signing page")

    @router.get("/{env}/placeholder/{document_id}", include_in_schema=False)
    def draft_page(request: Request, env: str, document_id: str) -> HTMLResponse:
        return stub_page(request, env, f"draft document {document_id}")

    @router.get("/{env}/recipientSignPdf/{document_id}", include_in_schema=False)
    def document_page(request: Request, env: str, document_id: str) -> HTMLResponse:
        # Where the provider's "OpenSign" extra link points; the real web app shows the document there.
        return stub_page(request, env, f"document {document_id}")

    @router.get("/{env}/drafttemplate/{token}", include_in_schema=False)
    def draft_template_page(request: Request, env: str, token: str) -> HTMLResponse:
        return stub_page(request, env, "draft template")

    @router.get("/{env}/publicsign", include_in_schema=False)
    def public_sign_page(request: Request, env: str) -> HTMLResponse:
        return stub_page(request, env, "public template signing")

    return router


# ----------------------------------------------------------------------------------------- helpers


def _document_defaults() -> dict[str, Any]:
    return {k: v for k, v in TEMPLATE_OPTION_DEFAULTS.items() if k != "timeToCompleteDays"}


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise bad_input() from exc
    if not isinstance(body, dict):
        raise bad_input()
    return body


def _apply_updates(
    call: Call, target: Document | Template, body: dict[str, Any], *, file: bytes | None = None
) -> None:
    """Apply key-checked update fields (``name`` is the title): all are validated before any is applied."""
    options = validation.parse_options(body, {})
    fields: dict[str, Any] = {}
    if "name" in body:
        fields["title"] = validation.required_str(body, "name")
    for key in ("note", "description"):
        if key in body:
            fields[key] = validation.optional_str(body, key)
    if "folderId" in body:
        fields["folder_id"] = _folder_update(call, body["folderId"])
    for attr, value in fields.items():
        setattr(target, attr, value)
    target.options.update(options)
    if file is not None and isinstance(target, Template):
        target.file = file
        target.file_version += 1


def _folder_update(call: Call, value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise bad_input()
    return call.env.folder(value).id


def _template_overrides(body: dict[str, Any], template_options: dict[str, Any]) -> dict[str, Any]:
    """Per-document overrides of a template's settings, as documented for create-from-template:
    omitted or invalid values keep the template's; strings override even when empty; ``bcc``/``cc``
    override even when ``[]``; numbers override even when 0."""
    options = {k: v for k, v in template_options.items() if k != "timeToCompleteDays"}
    for key in validation.BOOL_OPTIONS:
        if isinstance(body.get(key), bool):
            options[key] = body[key]
    for key in validation.STRING_OPTIONS:
        if isinstance(body.get(key), str):
            options[key] = body[key]
    for key in validation.LIST_OPTIONS:
        value = body.get(key)
        if (
            isinstance(value, list)
            and all(isinstance(v, str) for v in value)
            and (value or key != "pen_colors")
        ):
            options[key] = list(value)
    for key in validation.NUMBER_OPTIONS:
        if validation.is_number(body.get(key)) and body[key] >= 0:
            options[key] = body[key]
    return options


def _signers_from_template(template: Template, raw: Any) -> list[Signer]:
    """Fill the template's role placeholders with the body's signers (matched by ``role``).

    OSS rules: every placeholder without a default signer needs a body signer; a body signer may also
    replace a default one; more body signers than placeholders, or a role the template lacks, is
    "Please provide signers properly!".
    """
    placeholders = template.signers
    if not placeholders or not any(p.widgets for p in placeholders):
        raise ApiError(400, TEMPLATE_NOT_SET_UP)
    unassigned = [p for p in placeholders if not p.is_assigned]
    if not isinstance(raw, list) or (not raw and unassigned):
        raise ApiError(400, TEMPLATE_NOT_SET_UP)
    if len(raw) > len(placeholders):
        raise ApiError(400, SIGNERS_IMPROPER)
    by_role: dict[str, tuple[Signer, list[dict[str, Any]]]] = {}
    roles = {p.role for p in placeholders}
    for item in raw:
        if not isinstance(item, dict):
            raise ApiError(400, SIGNERS_IMPROPER)
        overrides = item.get("widgets") or []
        signer = Signer(**validation.signer_fields({**item, "widgets": None}))
        if signer.role not in roles or signer.role in by_role or not signer.name:
            raise ApiError(400, SIGNERS_IMPROPER)
        if not validation.is_email(signer.email) or not isinstance(overrides, list):
            raise ApiError(400, SIGNERS_IMPROPER)
        by_role[signer.role] = (signer, overrides)
    if any(p.role not in by_role for p in unassigned):
        raise ApiError(400, SIGNERS_IMPROPER)
    signers = []
    for placeholder in placeholders:
        given = by_role.get(placeholder.role)
        widgets = [
            {**w, "options": dict(w["options"])} for w in placeholder.widgets
        ]  # documents never share widget dicts with their template
        if given is None:
            signer = Signer(
                role=placeholder.role,
                email=placeholder.email,
                name=placeholder.name,
                phone=placeholder.phone,
                company=placeholder.company,
                job_title=placeholder.job_title,
                signer_role=placeholder.signer_role,
                access_code=placeholder.access_code,
                widgets=widgets,
            )
        else:
            signer, overrides = given
            if "signer_role" not in next(i for i in raw if i.get("role") == placeholder.role):
                signer.signer_role = placeholder.signer_role
            signer.access_code = signer.access_code or placeholder.access_code
            signer.widgets = _override_widgets(widgets, overrides)
        validation.check_signer_widgets(signer)
        signers.append(signer)
    if len({s.email.lower() for s in signers}) != len(signers):
        raise ApiError(400, SIGNERS_IMPROPER)
    return signers


_NOT_OVERRIDABLE = frozenset({"signature", "stamp", "initials", "image"})


def _override_widgets(widgets: list[dict[str, Any]], overrides: list[Any]) -> list[dict[str, Any]]:
    """Apply ``{"name": ..., <option>: value}`` overrides to the template widgets of that name.
    [INFERRED] unknown names and signature-like widgets are ignored rather than rejected."""
    for override in overrides:
        if not isinstance(override, dict) or not isinstance(override.get("name"), str):
            raise bad_input()
        for widget in widgets:
            if widget["options"].get("name") == override["name"] and widget["type"] not in _NOT_OVERRIDABLE:
                widget["options"].update({k: v for k, v in override.items() if k != "name"})
    return widgets
