"""The account's address book."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from signs_provider.common.errors import SignsConfigError
from signs_provider.opensign.client.payloads import is_email, update_body
from signs_provider.opensign.client.rest import Endpoint, RestSession
from signs_provider.opensign.errors import OpenSignConflictError

#: A contact is unique by email, so the create is safe to retry: a repeat answers "already exists"
#: (HTTP 401), which after a lost first answer means the first attempt created it (see create_contact).
CREATE_CONTACT = Endpoint("POST", "createcontact", idempotent=True)
GET_CONTACT = Endpoint("GET", "contact/{contact_id}", idempotent=True)
UPDATE_CONTACT = Endpoint("PUT", "contact/{contact_id}", idempotent=True)
DELETE_CONTACT = Endpoint("DELETE", "contact/{contact_id}", idempotent=True)
CONTACT_LIST = Endpoint("GET", "contactlist", idempotent=True)
#: Evidence: spec v1.2 ``createcontact_body`` and ``updatecontact_body`` (name and email required on create).
CONTACT_FIELDS = frozenset({"name", "email", "phone", "company", "job_title"})


class Contacts:
    """Contacts: create (unique by email), read, update, delete and list; ``hook.client.contacts``."""

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
            # Sent more than once: the transport resent it after a lost answer or a 5xx, so the contact
            # that "already exists" is, as far as anyone can tell, the one the first attempt created.
            # (It may also have existed before; then the call returns it, as exist_ok would.)
            if not (exist_ok or exc.attempts > 1):
                raise
            found = self._existing(exc.existing_id, body["email"])
            if found is None:
                raise
            return found

    def _existing(self, contact_id: str | None, email: str) -> dict[str, Any] | None:
        if contact_id:
            return self.get_contact(contact_id)
        for contact in self.list_contacts():
            if str(contact.get("email", "")).lower() == email.lower():
                return contact
        return None

    def get_contact(self, contact_id: str) -> dict[str, Any]:
        return self.rest.call(GET_CONTACT, contact_id)

    def update_contact(self, contact_id: str, **fields: Any) -> dict[str, Any]:
        return self.rest.call(UPDATE_CONTACT, contact_id, json=update_body(fields, CONTACT_FIELDS))

    def delete_contact(self, contact_id: str) -> dict[str, Any]:
        return self.rest.delete(DELETE_CONTACT, contact_id)

    def list_contacts(
        self, *, page_size: int = 100, max_items: int | None = None
    ) -> Iterator[dict[str, Any]]:
        return self.rest.paginate(CONTACT_LIST, page_size=page_size, max_items=max_items)
