"""Request validation with OpenSign's own status codes and messages.

OpenSign answers almost every input problem with one catch-all 400 that never names the field; only a few
checks have their own message (signers, signature widgets, templates, file size, update keys). The
emulator keeps that behaviour, so a client that wants helpful errors has to validate before sending.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from .state import (
    DEFAULT_TIME_TO_COMPLETE_DAYS,
    SOMETHING_WENT_WRONG,
    ApiError,
    Signer,
)

#: Decoded size limit of an uploaded file. [INFERRED] 10 MiB: the help page says "10 MB" and the
#: measured sandbox accepted 9.4 MB and refused 12 MB, which fits both 10^7 and 2^20 * 10 bytes.
MAX_FILE_BYTES = 10 * 1024 * 1024
FILE_TOO_LARGE = "File too large. Max allowed file size is 10 MB"

#: ``limit`` is capped by Parse's ``maxLimit`` (500); OSS default 100.
MAX_LIMIT = 500
DEFAULT_LIMIT = 100

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
WIDGET_COLORS = frozenset({"black", "blue", "red", "yellow"})
SIGNER_ROLES = frozenset({"signer", "viewer", "approver"})

PROVIDE_SIGNERS = "Please provide signers!"
SIGNERS_IMPROPER = "Please provide signers properly!"
NEED_SIGNATURE_WIDGET = "Please add at least one signature widget for all signers"
TEMPLATE_NOT_SET_UP = "Please setup template properly!"
INVALID_FIELD_NAMES = "Please provide valid field names!"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATA_URI = re.compile(r"^data:[^,]{0,100};base64,")

# Settings accepted on document/template creation, with the type each must have.
BOOL_OPTIONS = (
    "sendInOrder",
    "send_in_order_strict",
    "allow_offline_sign",
    "enableOTP",
    "enableTour",
    "allow_modifications",
    "auto_reminder",
    "merge_certificate",
    "notify_on_signatures",
    "send_email",
    "hide_signer_signing_links",
)
STRING_OPTIONS = ("redirect_url", "email_subject", "email_body", "sender_name", "sender_email")
LIST_OPTIONS = ("pen_colors", "bcc", "cc")
NUMBER_OPTIONS = ("remind_once_in_every",)

#: Keys ``PUT /document/{id}`` accepts [S1.2 ``document_document_id_body``].
DOCUMENT_UPDATE_KEYS = frozenset(
    {
        "name",
        "note",
        "description",
        "folderId",
        "enableOTP",
        "enableTour",
        "allow_modifications",
        "send_in_order_strict",
        "redirect_url",
        "auto_reminder",
        "remind_once_in_every",
        "notify_on_signatures",
        "pen_colors",
        "bcc",
        "cc",
    }
)
#: Keys ``PUT /template/{id}`` accepts [S1.2 ``template_template_id_body``; ``allow_offline_sign`` per I1.2].
TEMPLATE_UPDATE_KEYS = DOCUMENT_UPDATE_KEYS | {"file", "file_password", "allow_offline_sign"}
CONTACT_UPDATE_KEYS = frozenset({"name", "email", "phone", "company", "job_title"})
FOLDER_UPDATE_KEYS = frozenset({"folderName", "parentFolderId"})


def bad_input() -> ApiError:
    """OpenSign's catch-all 400."""
    return ApiError(400, SOMETHING_WENT_WRONG)


def is_email(value: Any) -> bool:
    return isinstance(value, str) and bool(_EMAIL.match(value.strip()))


def required_str(body: Mapping[str, Any], key: str) -> str:
    """A non-empty string field, or the catch-all 400."""
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise bad_input()
    return value.strip()


def optional_str(body: Mapping[str, Any], key: str, default: str = "") -> str:
    value = body.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise bad_input()
    return value


def decoded_size(b64: str) -> int:
    """Bytes a base64 string decodes to, computed from its length without decoding it."""
    whitespace = sum(b64.count(ch) for ch in "\r\n\t ")
    stripped = b64.rstrip("\r\n\t ")
    padding = len(stripped) - len(stripped.rstrip("="))
    return (len(b64) - whitespace) * 3 // 4 - padding


def decode_pdf(value: Any) -> bytes:
    """Decode a base64 ``file`` field: 400 if missing, not base64/PDF, or over 10 MB once decoded."""
    if not isinstance(value, str) or not value.strip():
        raise bad_input()
    # [INFERRED] a data-URI prefix is tolerated (Node's base64 decoding would choke on it otherwise,
    # but OpenSign strips it for prefill images); no source says either way for ``file``.
    prefix = _DATA_URI.match(value)
    if prefix:
        value = value[prefix.end() :]
    if decoded_size(value) > MAX_FILE_BYTES:
        raise ApiError(400, FILE_TOO_LARGE)
    try:
        data = binascii.a2b_base64(value)
    except (binascii.Error, ValueError) as exc:
        # ValueError: a non-ASCII character. The spec's answer to a bad file on every create is its 400.
        raise bad_input() from exc
    if not data.startswith(b"%PDF-"):
        # The API accepts PDF only ("base64 encoded pdf"); anything else fails deep in OpenSign.
        raise bad_input()
    return data


def parse_widgets(raw: Any) -> list[dict[str, Any]]:
    """Validate widgets and normalise their options the way OSS did (bad colour -> black, size -> 12)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bad_input()
    widgets = []
    for item in raw:
        if not isinstance(item, dict) or item.get("type") not in WIDGET_TYPES:
            raise bad_input()
        page = item.get("page", 1)
        coords = [item.get(k) for k in ("x", "y")]
        if not isinstance(page, int) or page < 1 or not all(is_number(c) for c in coords):
            raise bad_input()
        options = item.get("options") or {}
        if not isinstance(options, dict):
            raise bad_input()
        options = dict(options)
        if "color" in options and options["color"] not in WIDGET_COLORS:
            options["color"] = "black"
        size = options.get("fontsize")
        if size is not None and not (isinstance(size, int) and 2 <= size <= 28 and size % 2 == 0):
            options["fontsize"] = 12
        widgets.append(
            {
                "type": item["type"],
                "page": page,
                "x": item["x"],
                "y": item["y"],
                # OSS getDocument filled in 150 x 60 when the creator gave no size.
                "w": item.get("w") if is_number(item.get("w")) else 150,
                "h": item.get("h") if is_number(item.get("h")) else 60,
                "options": options,
            }
        )
    return widgets


def is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def signer_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key in ("role", "email", "name", "phone", "company", "job_title", "access_code"):
        value = item.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ApiError(400, SIGNERS_IMPROPER)
        fields[key] = str(value).strip()
    signer_role = item.get("signer_role") or "signer"
    if signer_role not in SIGNER_ROLES:
        raise ApiError(400, SIGNERS_IMPROPER)
    fields["signer_role"] = signer_role
    fields["widgets"] = parse_widgets(item.get("widgets"))
    return fields


def check_signer_widgets(signer: Signer) -> None:
    """v1.2 signer-role rules: a signer needs a signature widget, an approver must have none, a viewer
    no widgets at all."""
    has_signature = any(w["type"] == "signature" for w in signer.widgets)
    if signer.signer_role == "signer" and not has_signature:
        raise ApiError(400, NEED_SIGNATURE_WIDGET)
    if signer.signer_role == "approver" and has_signature:
        raise ApiError(400, SIGNERS_IMPROPER)
    if signer.signer_role == "viewer" and signer.widgets:
        raise ApiError(400, SIGNERS_IMPROPER)


def parse_document_signers(raw: Any, *, require_widgets: bool) -> list[Signer]:
    """Signers of ``createdocument`` (``require_widgets``) or ``draftdocument`` (shape only)."""
    if not isinstance(raw, list) or not raw:
        raise ApiError(400, PROVIDE_SIGNERS)
    signers = []
    for item in raw:
        if not isinstance(item, dict):
            raise ApiError(400, SIGNERS_IMPROPER)
        signer = Signer(**signer_fields(item))
        if not signer.name or not is_email(signer.email):
            raise ApiError(400, SIGNERS_IMPROPER)
        if require_widgets:
            check_signer_widgets(signer)
        signers.append(signer)
    _check_unique((s.email.lower() for s in signers), SIGNERS_IMPROPER)
    if require_widgets and not any(s.must_act for s in signers):
        # [INFERRED] a document only viewers can open could never complete.
        raise ApiError(400, SIGNERS_IMPROPER)
    return signers


def parse_template_signers(raw: Any) -> list[Signer]:
    """Role placeholders of ``createtemplate``: each needs a unique ``role``; name+email make it assigned."""
    if not isinstance(raw, list) or not raw:
        raise ApiError(400, PROVIDE_SIGNERS)
    signers = []
    for item in raw:
        if not isinstance(item, dict):
            raise ApiError(400, SIGNERS_IMPROPER)
        signer = Signer(**signer_fields(item))
        if not signer.role or (signer.email and not is_email(signer.email)):
            raise ApiError(400, SIGNERS_IMPROPER)
        signers.append(signer)
    _check_unique((s.role.lower() for s in signers), SIGNERS_IMPROPER)
    return signers


def _check_unique(values: Iterable[str], message: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ApiError(400, message)
        seen.add(value)


def parse_options(body: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Creation settings over ``defaults``; a present value of the wrong type is the catch-all 400."""
    options = dict(defaults)
    for key in BOOL_OPTIONS:
        if key in body and body[key] is not None:
            if not isinstance(body[key], bool):
                raise bad_input()
            options[key] = body[key]
    for key in STRING_OPTIONS:
        if key in body and body[key] is not None:
            options[key] = optional_str(body, key)
    for key in LIST_OPTIONS:
        if key in body and body[key] is not None:
            value = body[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise bad_input()
            options[key] = list(value)
    for key in NUMBER_OPTIONS:
        if key in body and body[key] is not None:
            if not is_number(body[key]) or body[key] < 0:
                raise bad_input()
            options[key] = body[key]
    return options


def time_to_complete_days(body: Mapping[str, Any]) -> float:
    """``timeToCompleteDays`` on direct creation, keeping OSS v1's ``|| 15``: 0 or absent means 15."""
    value = body.get("timeToCompleteDays")
    if value is None:
        return DEFAULT_TIME_TO_COMPLETE_DAYS
    if not is_number(value) or value < 0:
        raise bad_input()
    return value or DEFAULT_TIME_TO_COMPLETE_DAYS


def prefill_widgets(body: Mapping[str, Any]) -> dict[str, Any]:
    """The ``prefill`` object (``{"widgets": [...]}``), stored as given after a shape check."""
    prefill = body.get("prefill")
    if prefill is None:
        return {}
    if not isinstance(prefill, dict) or not isinstance(prefill.get("widgets", []), list):
        raise bad_input()
    return prefill


def check_update_keys(body: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """OSS rejects the whole update when the body is empty or has any key outside ``allowed``."""
    if not body or any(key not in allowed for key in body):
        raise ApiError(400, INVALID_FIELD_NAMES)


def paging(query: Mapping[str, str]) -> tuple[int, int]:
    """``limit`` (default 100, capped at 500 like Parse's maxLimit) and ``skip`` (default 0)."""
    try:
        limit = int(query.get("limit", DEFAULT_LIMIT))
        skip = int(query.get("skip", 0))
    except ValueError as exc:
        raise bad_input() from exc
    if limit < 0 or skip < 0:
        raise bad_input()
    return min(limit, MAX_LIMIT), skip
