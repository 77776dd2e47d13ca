"""One document at a time: read, change, revoke, delete, remind, and what signers left behind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from signs_provider.common.errors import SignsConfigError
from signs_provider.common.recovery import send_once
from signs_provider.opensign.client.payloads import DOCUMENT_UPDATE_FIELDS, is_email, update_body
from signs_provider.opensign.client.rest import Endpoint, RestSession, object_id
from signs_provider.opensign.errors import OpenSignBadRequestError
from signs_provider.opensign.status import DocumentState, DocumentStatus

GET_DOCUMENT = Endpoint("GET", "document/{document_id}", idempotent=True)
UPDATE_DOCUMENT = Endpoint("PUT", "document/{document_id}", idempotent=True)
#: A revoke is a POST: sent once; a lost answer is settled by reading the document's state.
REVOKE_DOCUMENT = Endpoint("POST", "document/{document_id}", idempotent=False)
DELETE_DOCUMENT = Endpoint("DELETE", "document/{document_id}", idempotent=True)
#: Retried like a read: at worst a signer gets a second reminder, which beats none.
RESEND_MAIL = Endpoint("POST", "resendmail", idempotent=True)
SIGNING_LINKS = Endpoint("GET", "signinglinks/{document_id}", idempotent=True)
SIGNER_IPS = Endpoint("GET", "signerips/{document_id}", idempotent=True)
FORM_DATA = Endpoint("GET", "formdata/{document_id}", idempotent=True)
DOCUMENT_LIST = Endpoint("GET", "documentlist/{doctype}", idempotent=True)


def doctype_of(status: DocumentStatus | str) -> str:
    """The ``documentlist`` type of a status (``draft``, ``inprogress``, ...)."""
    doctype = DocumentStatus.parse(status).doctype
    if doctype is None:
        raise SignsConfigError(
            f"status: {status!r} is not one of draft, in-progress (inprogress), completed, declined, expired."
        )
    return doctype


class Documents:
    """Documents already created.

    :param landing_wait: how long a revoke whose answer was lost may take to show (the hook's
        ``landing_wait``; read when needed).
    """

    def __init__(self, rest: RestSession, *, landing_wait: Callable[[], float]) -> None:
        self.rest = rest
        self._landing_wait = landing_wait

    def get_document(self, document_id: str) -> dict[str, Any]:
        return self.rest.call(GET_DOCUMENT, document_id)

    def get_document_state(self, document_id: str) -> DocumentState:
        return DocumentState.from_document(self.get_document(document_id), document_id)

    def list_documents(
        self, status: DocumentStatus | str, *, page_size: int = 100, max_items: int | None = None
    ) -> Iterator[dict[str, Any]]:
        return self.rest.paginate(DOCUMENT_LIST, doctype_of(status), page_size=page_size, max_items=max_items)

    def update_document(self, document_id: str, **fields: Any) -> dict[str, Any]:
        # Evidence: spec ``document_document_id_body`` (payloads.DOCUMENT_UPDATE_FIELDS).
        return self.rest.call(UPDATE_DOCUMENT, document_id, json=update_body(fields, DOCUMENT_UPDATE_FIELDS))

    def revoke_document(self, document_id: str, reason: str = "") -> dict[str, Any]:
        """Revoke once; after a lost answer, a document found declined was revoked by it.

        A refusal (400) of a document that is already declined is a success too: an earlier revoke
        whose answer was lost (a task retry's first try) or a signer's decline already ended it, which
        is what the revoke asked for. OpenSign refuses with one catch-all message, so the document's
        state is read to tell this from a real refusal.
        """
        document_id = object_id(document_id)

        def revoked() -> dict[str, Any] | None:
            state = self.get_document_state(document_id)
            if state.status is not DocumentStatus.DECLINED:
                return None
            return {"objectId": document_id, "revokedAt": state.updated_at, "recovered": True}

        try:
            return send_once(
                # Evidence: spec ``revokedocument`` declares ``reason``.
                lambda: self.rest.call(REVOKE_DOCUMENT, document_id, json={"reason": reason}),
                revoked,
                what=f"revoke of document {document_id}",
                wait=self._landing_wait(),
                attempts=1,
            )
        except OpenSignBadRequestError:
            found = revoked()
            if found is None:
                raise
            return found

    def delete_document(self, document_id: str) -> dict[str, Any]:
        return self.rest.delete(DELETE_DOCUMENT, document_id)

    def resend_mail(
        self, document_id: str, email: str, *, subject: str | None = None, body: str | None = None
    ) -> dict[str, Any]:
        if not is_email(email):
            raise SignsConfigError(f"email: {email!r} is not an email address.")
        # Evidence: spec ``resendmail_body`` (document_id and email required; email_subject, email_body).
        payload: dict[str, Any] = {"document_id": object_id(document_id), "email": email.strip()}
        if subject is not None:
            payload["email_subject"] = subject
        if body is not None:
            payload["email_body"] = body
        return self.rest.call(RESEND_MAIL, json=payload)

    def get_signing_links(self, document_id: str) -> list[dict[str, str]]:
        return list(self.rest.call(SIGNING_LINKS, document_id).get("signurl") or [])

    def get_signer_ips(self, document_id: str) -> list[dict[str, str]]:
        return list(self.rest.call(SIGNER_IPS, document_id).get("signer_ips") or [])

    def get_form_data(self, document_id: str) -> dict[str, Any]:
        return self.rest.call(FORM_DATA, document_id)
