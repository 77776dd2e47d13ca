"""The account's address book."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from signs_provider.common.errors import SignsConfigError
from signs_provider.opensign.client.payloads import is_email, update_body
from signs_provider.opensign.client.rest import Endpoint, RestSession
from signs_provider.opensign.errors import OpenSignConflictError

#: A contact is unique by email, so the create is safe to retry: a repeat answers "already exists".
CREATE_CONTACT = Endpoint("POST", "createcontact", idempotent=True)
GET_CONTACT = Endpoint("GET", "contact/{contact_id}", idempotent=True)
UPDATE_CONTACT = Endpoint("PUT", "contact/{contact_id}", idempotent=True)
DELETE_CONTACT = Endpoint("DELETE", "contact/{contact_id}", idempotent=True)
CONTACT_LIST = Endpoint("GET", "contactlist", idempotent=True)
CONTACT_FIELDS = frozenset({"name", "email", "phone", "company", "job_title"})


class Contacts:
    def __init__(self, rest: RestSession) -> None:
        self.rest = rest

    def create_contact(
        self,
        *,
        name: str,
        email: str,
        phone: str | None = None,
        company: str | None = None,
        job_title: str | None = None,
        exist_ok: bool = False,
    ) -> dict[str, Any]:
        if not str(name or "").strip():
            raise SignsConfigError("name: missing. A contact needs a name.")
        if not is_email(email):
            raise SignsConfigError(f"email: {email!r} is not an email address.")
        body = {"name": name.strip(), "email": email.strip()}
        body.update(
            {k: v for k, v in {"phone": phone, "company": company, "job_title": job_title}.items() if v}
        )
        try:
            return self.rest.call(CREATE_CONTACT, json=body)
        except OpenSignConflictError as exc:
            if not exist_ok:
                raise
            if exc.existing_id:
                return self.get_contact(exc.existing_id)
            for contact in self.list_contacts():
                if str(contact.get("email", "")).lower() == body["email"].lower():
                    return contact
            raise

    def get_contact(self, contact_id: str) -> dict[str, Any]:
        return self.rest.call(GET_CONTACT, contact_id)

    def update_contact(self, contact_id: str, **fields: Any) -> dict[str, Any]:
        return self.rest.call(UPDATE_CONTACT, contact_id, json=update_body(fields, CONTACT_FIELDS))

    def delete_contact(self, contact_id: str) -> dict[str, Any]:
        return self.rest.call(DELETE_CONTACT, contact_id)

    def list_contacts(
        self, *, page_size: int = 100, max_items: int | None = None
    ) -> Iterator[dict[str, Any]]:
        return self.rest.paginate(CONTACT_LIST, page_size=page_size, max_items=max_items)
