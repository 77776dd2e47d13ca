"""OpenSign API: contacts (``createcontact``, ``contact/{id}``, ``contactlist``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from .. import validation
from ..state import ApiError, Contact, iso
from ..validation import CONTACT_UPDATE_KEYS, bad_input
from .call import Call, operation
from .common import newest_first, paged

router = APIRouter()


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


@operation(router, "POST", "/createcontact")
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


@operation(router, "GET", "/contact/{contact_id}")
def get_contact(call: Call, contact_id: str) -> dict[str, Any]:
    return contact_json(call.env.contact(contact_id))


@operation(router, "PUT", "/contact/{contact_id}")
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


@operation(router, "DELETE", "/contact/{contact_id}")
def delete_contact(call: Call, contact_id: str) -> dict[str, Any]:
    contact = call.env.contact(contact_id)
    contact.deleted_at = contact.updated_at = call.now
    return {"objectId": contact.id, "deletedAt": iso(call.now)}


@operation(router, "GET", "/contactlist")
def contact_list(call: Call) -> dict[str, Any]:
    live = [c for c in call.env.contacts.values() if not c.deleted_at]
    return {"result": [contact_json(c) for c in paged(newest_first(live, "created_at"), call.query)]}
