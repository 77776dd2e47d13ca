"""What a create sends, checked before it is sent: signers and widgets (options: :mod:`.options`, the marker: :mod:`.markers`).

OpenSign answers almost every input problem with one catch-all 400 that never names the field
(reference ``opensign-api.md`` §1.3), so the checks here name the field and the fix instead, and a
document that would be refused never costs a round trip. :class:`CreateRequest` is one checked
create: endpoint, fields, the PDF (inspected once, see :mod:`.pdf`), marker and where to look for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from signs_provider.common.errors import SignsConfigError

# The marker and the settings have modules of their own; re-exported here with the rest of a create.
from signs_provider.opensign.client.markers import (  # noqa: F401
    MARKER_FIELD,
    MARKER_PREFIX,
    TEMPLATE_MARKER_FIELD,
    TEMPLATE_MARKER_FIELDS,
    carries_marker,
    idempotency_marker,
    key_marker,
    with_marker,
)
from signs_provider.opensign.client.options import (  # noqa: F401
    DOCUMENT_OPTIONS,
    DOCUMENT_UPDATE_FIELDS,
    DRAFT_DOCUMENT_OPTIONS,
    MAX_TIME_TO_COMPLETE_DAYS,
    MAX_TITLE_CHARS,
    SELF_SIGN_OPTIONS,
    TEMPLATE_DOCUMENT_OPTIONS,
    TEMPLATE_OPTIONS,
    TEMPLATE_UPDATE_FIELDS,
    check_option,
    check_options,
    check_title,
    is_email,
    is_number,
    update_body,
)

# The PDF side of a create, re-exported here with the rest of its payload.
from signs_provider.opensign.client.pdf import (  # noqa: F401
    MAX_FILE_BYTES,
    PDF_MAGIC,
    PDF_MAX_PAGE_POINTS,
    PdfFacts,
    PdfFile,
    PdfInput,
    StreamedJsonBody,
)

if TYPE_CHECKING:
    from signs_provider.opensign.client.rest import Endpoint
    from signs_provider.opensign.status import DocumentStatus

#: Widget types of API v1.2 (note the spaces in "job title" and "radio button").
WIDGET_TYPES = frozenset(
    {
        "signature",
        "stamp",
        "initials",
        "email",
        "name",
        "job title",
        "company",
        "date",
        "textbox",
        "checkbox",
        "dropdown",
        "radio button",
        "image",
        "number",
        "cells",
        "attachments",
    }
)
#: Widgets whose value the signer draws; a template override cannot preset them.
DRAWN_WIDGET_TYPES = frozenset({"signature", "stamp", "initials", "image"})
SIGNER_ROLES = ("signer", "viewer", "approver")

# --------------------------------------------------------------------------------------- signers


def validate_signers(
    signers: Any,
    *,
    page_count: int | None = None,
    page_size: tuple[float, float] | None = None,
    require_widgets: bool = True,
    field: str = "signers",
) -> list[dict[str, Any]]:
    """Check direct-document signers and return clean copies (names and emails stripped).

    Every signer needs a ``name`` and a valid ``email``, emails are unique, ``signer_role`` is one of
    ``signer`` (default; needs at least one ``signature`` widget), ``approver`` (no signature widget)
    or ``viewer`` (no widgets), and at least one person signs or approves. ``require_widgets=False``
    (drafts) checks the shape only.
    """
    if not isinstance(signers, Sequence) or isinstance(signers, (str, bytes)) or not signers:
        raise SignsConfigError(
            f"{field}: give a non-empty list of signers, e.g. [{{'name': ..., 'email': ...}}]."
        )
    clean: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(signers):
        where = f"{field}[{i}]"
        if not isinstance(raw, Mapping):
            raise SignsConfigError(
                f"{where}: expected a mapping with name and email, got {type(raw).__name__}."
            )
        signer = dict(raw)
        name = str(signer.get("name") or "").strip()
        if not name:
            raise SignsConfigError(f"{where}.name: missing. OpenSign needs each signer's name.")
        email = signer.get("email")
        if not is_email(email):
            raise SignsConfigError(f"{where}.email: {email!r} is not an email address.")
        email = str(email).strip()
        if email.lower() in seen:
            raise SignsConfigError(
                f"{where}.email: {email} is also {field}[{seen[email.lower()]}]; each signer needs their own email."
            )
        seen[email.lower()] = i
        signer_role = signer.get("signer_role") or "signer"
        if signer_role not in SIGNER_ROLES:
            raise SignsConfigError(
                f"{where}.signer_role: {signer_role!r} is not one of {', '.join(SIGNER_ROLES)}."
            )
        widgets = validate_widgets(
            signer.get("widgets") or [], page_count=page_count, page_size=page_size, field=f"{where}.widgets"
        )
        if require_widgets:
            _check_role_widgets(signer_role, widgets, where)
        signer.update(name=name, email=email, widgets=widgets)
        if "signer_role" in raw or signer_role != "signer":
            signer["signer_role"] = signer_role
        clean.append(signer)
    if require_widgets and not any((s.get("signer_role") or "signer") != "viewer" for s in clean):
        raise SignsConfigError(f"{field}: everybody is a viewer; at least one person must sign or approve.")
    return clean


def _check_role_widgets(signer_role: str, widgets: list[dict[str, Any]], where: str) -> None:
    signatures = sum(1 for w in widgets if w["type"] == "signature")
    if signer_role == "signer" and not signatures:
        raise SignsConfigError(
            f"{where}.widgets: a signer needs at least one 'signature' widget, e.g. "
            "{'type': 'signature', 'page': 1, 'x': 60, 'y': 700, 'w': 150, 'h': 50}. "
            "Use signer_role 'viewer' for someone who only receives the document."
        )
    if signer_role == "approver" and signatures:
        raise SignsConfigError(f"{where}.widgets: an approver cannot have a 'signature' widget.")
    if signer_role == "viewer" and widgets:
        raise SignsConfigError(f"{where}.widgets: a viewer cannot have widgets; remove them or use 'signer'.")


def validate_widgets(
    widgets: Any, *, page_count: int | None, field: str, page_size: tuple[float, float] | None = None
) -> list[dict[str, Any]]:
    """Check widget types, pages (1-based) and coordinates (PDF points from the top-left corner).

    A widget must lie on the page: within ``page_size`` when known, else within the largest page a
    PDF allows. Off the page, nobody could sign it, and the credit would be spent all the same.
    """
    width, height = page_size or (PDF_MAX_PAGE_POINTS, PDF_MAX_PAGE_POINTS)
    where_size = (
        f"the page ({width:g} x {height:g} points)" if page_size else f"any PDF page ({width:g} points)"
    )
    if not isinstance(widgets, Sequence) or isinstance(widgets, (str, bytes)):
        raise SignsConfigError(f"{field}: expected a list of widgets, got {type(widgets).__name__}.")
    clean = []
    for j, raw in enumerate(widgets):
        where = f"{field}[{j}]"
        if not isinstance(raw, Mapping):
            raise SignsConfigError(f"{where}: expected a mapping with type, page, x and y.")
        widget = dict(raw)
        kind = widget.get("type")
        if kind not in WIDGET_TYPES:
            raise SignsConfigError(
                f"{where}.type: {kind!r} is not a widget type; use one of {', '.join(sorted(WIDGET_TYPES))}."
            )
        page = widget.get("page", 1)
        if not isinstance(page, int) or isinstance(page, bool) or page < 1:
            raise SignsConfigError(f"{where}.page: {page!r} is not a page number; pages count from 1.")
        if page_count is not None and page > page_count:
            raise SignsConfigError(f"{where}.page: {page} is past the last page of the PDF ({page_count}).")
        for axis in ("x", "y"):
            if not is_number(widget.get(axis)) or widget[axis] < 0:
                raise SignsConfigError(
                    f"{where}.{axis}: {widget.get(axis)!r} is not a coordinate; use PDF points (>= 0) from "
                    "the top-left corner of the page (A4 is 595 x 842)."
                )
        for extent in ("w", "h"):
            if extent in widget and (not is_number(widget[extent]) or widget[extent] <= 0):
                raise SignsConfigError(
                    f"{where}.{extent}: {widget[extent]!r} must be a positive size in points."
                )
        for axis, extent, limit in (("x", "w", width), ("y", "h", height)):
            far = widget[axis] + widget.get(extent, 0)
            if far > limit:
                raise SignsConfigError(
                    f"{where}.{axis}: {widget[axis]!r}{f' + {extent} {widget[extent]!r}' if extent in widget else ''} "
                    f"reaches {far:g}, past the edge of {where_size}. Measure from the top-left corner "
                    "in points (A4 is 595 x 842)."
                )
        options = widget.get("options")
        if options is not None and not isinstance(options, Mapping):
            raise SignsConfigError(f"{where}.options: expected a mapping, got {type(options).__name__}.")
        widget["page"] = page
        clean.append(widget)
    return clean


def validate_placeholders(signers: Any, pdf: PdfFacts) -> list[dict[str, Any]]:
    """Template roles: a unique ``role`` each, widgets checked like a document's, optional default signer."""
    if not isinstance(signers, Sequence) or isinstance(signers, (str, bytes)) or not signers:
        raise SignsConfigError(
            "signers: give a non-empty list of roles, e.g. [{'role': 'Employee', 'widgets': [...]}]."
        )
    roles: dict[str, int] = {}
    pages = pdf.pages
    clean = []
    for i, raw in enumerate(signers):
        if not isinstance(raw, Mapping) or not str(raw.get("role") or "").strip():
            raise SignsConfigError(
                f"signers[{i}].role: missing. Each template signer is a role, e.g. 'Employee'."
            )
        role = str(raw["role"]).strip()
        if role.lower() in roles:
            raise SignsConfigError(f"signers[{i}].role: {role!r} is also signers[{roles[role.lower()]}].")
        roles[role.lower()] = i
        if raw.get("email") and not is_email(raw["email"]):
            raise SignsConfigError(f"signers[{i}].email: {raw['email']!r} is not an email address.")
        placeholder = dict(raw)
        placeholder["role"] = role
        # Reuse the document checks for widgets and the signature rule (name/email may be absent here).
        checked = validate_signers(
            [
                {
                    **placeholder,
                    "name": placeholder.get("name") or role,
                    "email": placeholder.get("email") or "x@example.com",
                }
            ],
            page_count=pages,
            page_size=pdf.page_size if pages else None,
            field=f"signers[{i}]",
        )[0]
        placeholder["widgets"] = checked["widgets"]
        clean.append(placeholder)
    return clean


def validate_template_signers(
    template: Mapping[str, Any], signers: Any, *, field: str = "signers"
) -> list[dict[str, Any]]:
    """Check signers for ``POST /createdocument/{template_id}`` against the template's roles.

    Each signer names a ``role`` of the template (exact spelling), no role twice; every role without a
    default signer in the template gets one; widget overrides name widgets of that role and do not
    touch drawn widgets (signature, stamp, initials, image).
    """
    roles: dict[str, Mapping[str, Any]] = {}
    for placeholder in template.get("signers") or []:
        if isinstance(placeholder, Mapping) and placeholder.get("role"):
            roles[str(placeholder["role"])] = placeholder
    if not isinstance(signers, Sequence) or isinstance(signers, (str, bytes)) or not signers:
        raise SignsConfigError(
            f"{field}: give a non-empty list of signers, each with the template 'role' it fills."
        )
    clean: list[dict[str, Any]] = []
    used: dict[str, int] = {}
    for i, raw in enumerate(signers):
        where = f"{field}[{i}]"
        if not isinstance(raw, Mapping):
            raise SignsConfigError(f"{where}: expected a mapping with role, name and email.")
        signer = dict(raw)
        role = str(signer.get("role") or "")
        if role not in roles:
            close = [r for r in roles if r.lower() == role.lower()]
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise SignsConfigError(
                f"{where}.role: {role!r} is not a role of template {template.get('objectId')!r}; its roles are "
                f"{', '.join(map(repr, roles)) or 'none'}.{hint}"
            )
        if role in used:
            raise SignsConfigError(
                f"{where}.role: {role!r} is also {field}[{used[role]}]; each role is filled once."
            )
        used[role] = i
        if not str(signer.get("name") or "").strip():
            raise SignsConfigError(f"{where}.name: missing. OpenSign needs each signer's name.")
        if not is_email(signer.get("email")):
            raise SignsConfigError(f"{where}.email: {signer.get('email')!r} is not an email address.")
        signer["name"], signer["email"] = str(signer["name"]).strip(), str(signer["email"]).strip()
        signer_role = signer.get("signer_role") or "signer"
        if signer_role not in SIGNER_ROLES:
            raise SignsConfigError(
                f"{where}.signer_role: {signer_role!r} is not one of {', '.join(SIGNER_ROLES)}."
            )
        names = {
            str((w.get("options") or {}).get("name") or w.get("name") or ""): w.get("type")
            for w in roles[role].get("widgets") or []
            if isinstance(w, Mapping)
        }
        for j, override in enumerate(signer.get("widgets") or []):
            spot = f"{where}.widgets[{j}]"
            if not isinstance(override, Mapping) or not override.get("name"):
                raise SignsConfigError(
                    f"{spot}: a template override is {{'name': <widget name>, 'default': ...}}."
                )
            if names and override["name"] not in names:
                raise SignsConfigError(
                    f"{spot}.name: role {role!r} has no widget {override['name']!r}; it has "
                    f"{', '.join(map(repr, names))}."
                )
            if names.get(override["name"]) in DRAWN_WIDGET_TYPES:
                raise SignsConfigError(
                    f"{spot}: {names[override['name']]} widgets are drawn by the signer and cannot be preset."
                )
        clean.append(signer)
    missing = [r for r, p in roles.items() if r not in used and not (p.get("name") and p.get("email"))]
    if missing:
        raise SignsConfigError(
            f"{field}: template {template.get('objectId')!r} needs a signer for role(s) "
            f"{', '.join(map(repr, missing))}."
        )
    return clean


def validate_prefill(prefill: Any, *, by_name: bool, field: str = "prefill") -> dict[str, Any] | None:
    """``{"widgets": [...]}``: by name (``{"name", "response"}``) for templates, full widgets otherwise."""
    if prefill is None:
        return None
    if not isinstance(prefill, Mapping) or not isinstance(prefill.get("widgets"), Sequence):
        raise SignsConfigError(f"{field}: expected {{'widgets': [...]}}.")
    for j, widget in enumerate(prefill["widgets"]):
        if not isinstance(widget, Mapping):
            raise SignsConfigError(f"{field}.widgets[{j}]: expected a mapping.")
        if by_name and (not widget.get("name") or "response" not in widget):
            raise SignsConfigError(
                f"{field}.widgets[{j}]: a template prefill is {{'name': ..., 'response': ...}}."
            )
    return dict(prefill)


# --------------------------------------------------------------------------------------- creates


@dataclass(frozen=True)
class CreateRequest:
    """One checked create, ready to send (and to send again after a lost answer).

    :ivar endpoint: the create endpoint; ``ids`` fill its path (the template id).
    :ivar fields: the JSON fields, ``file`` excepted.
    :ivar pdf: the PDF to send as ``file``, with ``pdf_size`` as inspected; ``None`` without a file.
    :ivar marker: the idempotency marker, without which a lost answer cannot be settled.
    :ivar statuses: the lists where the document can be found after a lost answer.
    :ivar title: the title the caller asked for (without the marker).
    """

    endpoint: Endpoint
    fields: Mapping[str, Any]
    marker: str | None
    statuses: tuple[DocumentStatus, ...]
    title: str
    ids: tuple[str, ...] = ()
    pdf: PdfFile | None = None
    pdf_size: int | None = None

    def body(self) -> Any:
        """A fresh body for one attempt: the PDF streamed inside the JSON, or the JSON alone."""
        if self.pdf is not None:
            return StreamedJsonBody(self.fields, self.pdf, size=self.pdf_size)
        return json.dumps(dict(self.fields), separators=(",", ":"), ensure_ascii=False).encode()


def direct_fields(
    pdf: PdfFacts,
    *,
    title: str,
    signers: Sequence[Mapping[str, Any]],
    note: str,
    marker: str | None,
    options: Mapping[str, Any] | None,
    allowed: frozenset[str],
    require_widgets: bool,
) -> dict[str, Any]:
    """The fields of a create from a PDF (``createdocument``, ``draftdocument``, ``selfsign``)."""
    # Evidence: title, note, signers: declared by createdocument_body, draftdocument_body and (signer in
    # the singular) selfsigndocument_body; ``allowed`` is the option set of the operation.
    fields: dict[str, Any] = {"title": check_title(title), "note": note or ""}
    fields.update(check_options(options, allowed, field="options"))
    if "prefill" in fields:
        fields["prefill"] = validate_prefill(fields["prefill"], by_name=False)
    if signers or require_widgets:
        widgets = any(s.get("widgets") for s in signers if isinstance(s, Mapping))
        pages = pdf.pages if widgets else None
        fields["signers"] = validate_signers(
            signers,
            page_count=pages,
            page_size=pdf.page_size if pages else None,
            require_widgets=require_widgets,
        )
    if marker:
        fields[MARKER_FIELD] = with_marker(str(fields.get(MARKER_FIELD) or ""), marker)
    return fields
