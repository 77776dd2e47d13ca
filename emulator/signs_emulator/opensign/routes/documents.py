"""OpenSign API: documents: created directly (``selfsign``, ``draftdocument``, ``createdocument``) or from a
template (``createdocument/{template_id}``), read, updated, revoked, deleted, listed, and their signers'
mails, IPs, form data and signing links."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from .. import machine, validation
from ..state import (
    COMPLETED,
    DECLINED,
    DRAFT,
    EXPIRED,
    IN_PROGRESS,
    TEMPLATE_OPTION_DEFAULTS,
    ApiError,
    Document,
    Environment,
    Signer,
    Template,
    iso,
)
from ..validation import DOCUMENT_UPDATE_KEYS, SIGNERS_IMPROPER, TEMPLATE_NOT_SET_UP, bad_input
from .call import Call, operation
from .common import apply_updates, folder_id_of, newest_first, paged, signer_json

router = APIRouter()


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
    out["signers"] = [signer_json(s, widgets=full) for s in doc.signers]
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


# -- operations ----------------------------------------------------------------------------------------------


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


def _sign_urls(call: Call, doc: Document) -> list[dict[str, str]]:
    return [{"email": s.email, "url": call.links.signing(doc, s)} for s in doc.signers]


@operation(router, "POST", "/selfsign")
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
        folder_id=folder_id_of(call),
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
        folder_id=folder_id_of(call),
        time_to_complete_days=validation.time_to_complete_days(body),
        prefill=validation.prefill_widgets(body),
    )


@operation(router, "POST", "/draftdocument")
def draft_document(call: Call) -> dict[str, Any]:
    doc = _direct_document(call, draft=True)
    # Documented response: only document_id and url; hide_signer_signing_links is accepted and stored.
    return {"document_id": doc.id, "url": call.links.draft_document(doc)}


@operation(router, "POST", "/createdocument")
def create_document(call: Call) -> dict[str, Any]:
    doc = _direct_document(call, draft=False)
    _send(call, doc)
    return {
        "objectId": doc.id,
        "signurl": _sign_urls(call, doc),
        "message": "Document sent successfully!",
    }


@operation(router, "POST", "/createdocument/{template_id}")
def create_document_from_template(call: Call, template_id: str) -> dict[str, Any]:
    body = call.body
    # The spec documents 200, 400 and 405 for this create: an unknown template is a 400 (OSS v1 said 404).
    if call.env.templates.get(template_id) is None or call.env.templates[template_id].deleted_at:
        raise ApiError(400, "Invalid template id!")
    template = call.env.template(template_id)
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
        folder_id=folder_id_of(call) or template.folder_id,
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


@operation(router, "GET", "/document/{document_id}")
def get_document(call: Call, document_id: str) -> dict[str, Any]:
    return document_json(call.env.document(document_id), call, full=True)


@operation(router, "PUT", "/document/{document_id}")
def update_document(call: Call, document_id: str) -> dict[str, Any]:
    doc = call.env.documents.get(document_id)
    if doc is not None and doc.deleted_at:
        # OSS quirk kept on purpose: a deleted document answers with "message", not "error".
        raise ApiError(404, "Document not found!", key="message")
    doc = call.env.document(document_id)
    validation.check_update_keys(call.body, DOCUMENT_UPDATE_KEYS)
    apply_updates(call, doc, call.body)
    doc.updated_at = call.now
    return {"objectId": doc.id, "updatedAt": iso(doc.updated_at)}


@operation(router, "POST", "/document/{document_id}")
def revoke_document(call: Call, document_id: str) -> dict[str, Any]:
    doc = call.env.document(document_id)
    reason = validation.optional_str(call.body, "reason")
    events = machine.revoke(doc, reason, call.env.user["email"], call.now, call.env.timezone_offset_minutes)
    call.events += [(doc, event) for event in events]
    return {"objectId": doc.id, "revokedAt": iso(call.now)}


@operation(router, "DELETE", "/document/{document_id}")
def delete_document(call: Call, document_id: str) -> dict[str, Any]:
    doc = call.env.document(document_id)
    doc.deleted_at = call.now  # soft delete; the credit stays spent
    return {"objectId": doc.id, "deletedAt": iso(call.now)}


@operation(router, "GET", "/documentlist/{doctype}")
def document_list(call: Call, doctype: str) -> dict[str, Any]:
    wanted = DOCTYPES.get(doctype)  # case-sensitive, like OSS's switch
    if wanted is None:
        raise ApiError(404, "Report not available!")
    docs = [d for d in call.env.documents.values() if not d.deleted_at and d.status(call.now) == wanted]
    if doctype == "signaturerequest":
        me = call.env.user["email"]
        docs = [d for d in docs if (s := d.signer(me)) is not None and s.must_act and not s.signed_at]
    page = paged(newest_first(docs, "updated_at"), call.query)
    return {"result": [document_json(d, call, full=False) for d in page]}


@operation(router, "POST", "/resendmail")
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


@operation(router, "GET", "/signerips/{document_id}")
def signer_ips(call: Call, document_id: str) -> dict[str, Any]:
    doc = call.env.document(document_id)
    ips = [{"email": s.email, "ip_address": s.ip_address} for s in doc.signers if s.ip_address]
    return {"objectId": doc.id, "signer_ips": ips}


@operation(router, "GET", "/formdata/{document_id}")
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


@operation(router, "GET", "/signinglinks/{document_id}")
def signing_links(call: Call, document_id: str) -> dict[str, Any]:
    doc = call.env.document(document_id)
    return {"objectId": doc.id, "signurl": _sign_urls(call, doc)}


# -- creating from a template: its settings, overridable per document, and its roles filled ---------------


def _document_defaults() -> dict[str, Any]:
    return {k: v for k, v in TEMPLATE_OPTION_DEFAULTS.items() if k != "timeToCompleteDays"}


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
