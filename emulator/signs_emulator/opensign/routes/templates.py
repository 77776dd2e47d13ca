"""OpenSign API: templates (``drafttemplate``, ``createtemplate``, ``publictemplate``, ``template/{id}``,
``templatelist``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from .. import validation
from ..state import TEMPLATE_OPTION_DEFAULTS, Template, iso
from ..validation import TEMPLATE_UPDATE_KEYS, bad_input
from .call import Call, operation
from .common import apply_updates, folder_id_of, newest_first, paged, signer_json

router = APIRouter()


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
            "signers": [signer_json(s, widgets=full) for s in template.signers],
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
        folder_id=folder_id_of(call),
        prefill=validation.prefill_widgets(body),
        kind=kind,
        created_at=call.now,
        updated_at=call.now,
    )
    call.env.templates[template.id] = template
    return template


@operation(router, "POST", "/drafttemplate")
def draft_template(call: Call) -> dict[str, Any]:
    template = _new_template(call, "draft")
    return {"objectId": template.id, "url": call.links.draft_template(template)}


@operation(router, "POST", "/createtemplate")
def create_template(call: Call) -> dict[str, Any]:
    template = _new_template(call, "template")
    return {"objectId": template.id, "message": "Template created successfully!"}


@operation(router, "POST", "/publictemplate")
def public_template(call: Call) -> dict[str, Any]:
    template = _new_template(call, "public")
    return {
        "template_id": template.id,
        "public_url": call.links.public_template(template),
        "message": "Public template created successfully!",
    }


@operation(router, "GET", "/template/{template_id}")
def get_template(call: Call, template_id: str) -> dict[str, Any]:
    return template_json(call.env.template(template_id), call, full=True)


@operation(router, "PUT", "/template/{template_id}")
def update_template(call: Call, template_id: str) -> dict[str, Any]:
    template = call.env.template(template_id)
    validation.check_update_keys(call.body, TEMPLATE_UPDATE_KEYS)
    body = dict(call.body)
    body.pop("file_password", None)
    file = validation.decode_pdf(body.pop("file")) if "file" in body else None
    apply_updates(call, template, body, file=file)
    template.updated_at = call.now
    return {"objectId": template.id, "updatedAt": iso(template.updated_at)}


@operation(router, "DELETE", "/template/{template_id}")
def delete_template(call: Call, template_id: str) -> dict[str, Any]:
    template = call.env.template(template_id)
    template.deleted_at = call.now
    return {"objectId": template.id, "deletedAt": iso(call.now)}


@operation(router, "GET", "/templatelist")
def template_list(call: Call) -> dict[str, Any]:
    live = [t for t in call.env.templates.values() if not t.deleted_at]
    page = paged(newest_first(live, "updated_at"), call.query)
    return {"result": [template_json(t, call, full=False) for t in page]}
