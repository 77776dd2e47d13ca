"""Templates: documents with role placeholders, from which documents are sent."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from signs_provider.common.errors import SignsConfigError
from signs_provider.opensign.client.payloads import (
    TEMPLATE_OPTIONS,
    TEMPLATE_UPDATE_FIELDS,
    PdfFile,
    PdfInput,
    StreamedJsonBody,
    check_options,
    check_title,
    update_body,
    validate_placeholders,
)
from signs_provider.opensign.client.rest import Endpoint, RestSession

#: Templates cost no credit; a create whose answer is lost is not repeated blindly all the same.
CREATE_TEMPLATE = {
    "template": Endpoint("POST", "createtemplate", idempotent=False),
    "draft": Endpoint("POST", "drafttemplate", idempotent=False),
    "public": Endpoint("POST", "publictemplate", idempotent=False),
}
GET_TEMPLATE = Endpoint("GET", "template/{template_id}", idempotent=True)
UPDATE_TEMPLATE = Endpoint("PUT", "template/{template_id}", idempotent=True)
DELETE_TEMPLATE = Endpoint("DELETE", "template/{template_id}", idempotent=True)
TEMPLATE_LIST = Endpoint("GET", "templatelist", idempotent=True)


class Templates:
    """Templates: create from a PDF, read, update, delete and list; ``hook.client.templates``."""

    def __init__(self, rest: RestSession) -> None:
        self.rest = rest

    def create_template(
        self,
        file: PdfInput,
        *,
        title: str,
        signers: Sequence[Mapping[str, Any]],
        note: str = "",
        options: Mapping[str, Any] | None = None,
        kind: str = "template",
    ) -> dict[str, Any]:
        if kind not in CREATE_TEMPLATE:
            raise SignsConfigError(f"kind: {kind!r} is not one of {', '.join(CREATE_TEMPLATE)}.")
        pdf = PdfFile(file)
        facts = pdf.inspect()
        # Evidence: spec ``createtemplate_body`` (file, title, note, signers; TEMPLATE_OPTIONS).
        fields: dict[str, Any] = {"title": check_title(title), "note": note or ""}
        fields.update(check_options(options, TEMPLATE_OPTIONS, field="options"))
        fields["signers"] = validate_placeholders(signers, facts)
        return self.rest.call_once(
            CREATE_TEMPLATE[kind],
            what="template",
            data=lambda: StreamedJsonBody(fields, pdf, size=facts.size),
        )

    def get_template(self, template_id: str) -> dict[str, Any]:
        return self.rest.call(GET_TEMPLATE, template_id)

    def list_templates(
        self, *, page_size: int = 100, max_items: int | None = None
    ) -> Iterator[dict[str, Any]]:
        return self.rest.paginate(TEMPLATE_LIST, page_size=page_size, max_items=max_items)

    def update_template(self, template_id: str, **fields: Any) -> dict[str, Any]:
        body = update_body(fields, TEMPLATE_UPDATE_FIELDS)
        if "file" in body:
            pdf = PdfFile(body.pop("file"))
            size = pdf.inspect().size
            return self.rest.call(
                UPDATE_TEMPLATE, template_id, data=lambda: StreamedJsonBody(body, pdf, size=size)
            )
        return self.rest.call(UPDATE_TEMPLATE, template_id, json=body)

    def delete_template(self, template_id: str) -> dict[str, Any]:
        return self.rest.delete(DELETE_TEMPLATE, template_id)
