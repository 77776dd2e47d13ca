"""Deprecated location of the create-payload helpers; they live in :mod:`.client.payloads` and
:mod:`.client.pdf` now. Kept so that ``from signs_provider.opensign.documents import
idempotency_marker`` goes on working."""

from __future__ import annotations

from signs_provider.opensign.client.payloads import (  # noqa: F401
    DOCUMENT_OPTIONS,
    DOCUMENT_UPDATE_FIELDS,
    DRAFT_DOCUMENT_OPTIONS,
    MARKER_FIELD,
    MARKER_PREFIX,
    MAX_FILE_BYTES,
    PDF_MAGIC,
    PDF_MAX_PAGE_POINTS,
    SIGNER_ROLES,
    TEMPLATE_DOCUMENT_OPTIONS,
    TEMPLATE_MARKER_FIELD,
    TEMPLATE_OPTIONS,
    TEMPLATE_UPDATE_FIELDS,
    WIDGET_TYPES,
    PdfFile,
    PdfInput,
    StreamedJsonBody,
    carries_marker,
    check_options,
    idempotency_marker,
    is_email,
    validate_placeholders,
    validate_prefill,
    validate_signers,
    validate_template_signers,
    validate_widgets,
    with_marker,
)
