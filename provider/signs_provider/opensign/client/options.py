"""The settings a create or an update may carry, checked before anything is sent.

OpenSign answers a bad setting with its catch-all 400 that names nothing, so each setting's type and
range is checked here, naming the field and the fix. Which settings each operation takes is the v1.2
specification's (see :mod:`.evidence`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from signs_provider.common.errors import SignsConfigError

#: Settings accepted next to ``file``/``title``/``signers`` when creating a document (API names).
#: Evidence: spec v1.2 ``createdocument_body`` declares each (see evidence.py; tested).
DOCUMENT_OPTIONS = frozenset(
    {
        "file_password",
        "description",
        "timeToCompleteDays",
        "folderId",
        "send_email",
        "email_subject",
        "email_body",
        "sendInOrder",
        "send_in_order_strict",
        "allow_offline_sign",
        "enableOTP",
        "enableTour",
        "redirect_url",
        "sender_name",
        "sender_email",
        "allow_modifications",
        "auto_reminder",
        "remind_once_in_every",
        "merge_certificate",
        "notify_on_signatures",
        "pen_colors",
        "bcc",
        "cc",
        "prefill",
    }
)
#: Evidence: spec ``draftdocument_body`` (adds ``hide_signer_signing_links``).
DRAFT_DOCUMENT_OPTIONS = DOCUMENT_OPTIONS | {"hide_signer_signing_links"}
#: Settings of ``POST /selfsign``: exactly the properties its spec body (``selfsigndocument_body``,
#: ../shared/evidence/opensign-openapi/opensign-v1.2.yaml) declares next to file/title/note/signer. The
#: other document settings (allow_modifications, allow_offline_sign, auto_reminder, enableOTP,
#: remind_once_in_every, send_in_order_strict, sendInOrder, prefill) are not defined there: refused
#: before any request rather than sent on no evidence (issue 10).
SELF_SIGN_OPTIONS = frozenset(
    {
        "file_password",
        "description",
        "timeToCompleteDays",
        "folderId",
        "send_email",
        "email_subject",
        "email_body",
        "enableTour",
        "redirect_url",
        "sender_name",
        "sender_email",
        "merge_certificate",
        "notify_on_signatures",
        "pen_colors",
        "bcc",
        "cc",
    }
)
#: Overrides of ``POST /createdocument/{template_id}``; ``file`` replaces the template's PDF.
#: Evidence: spec ``createdocument_template_id_body`` (no ``description``, no ``note``).
TEMPLATE_DOCUMENT_OPTIONS = (DOCUMENT_OPTIONS - {"description"}) | {"file_password"}
#: Settings of ``POST /createtemplate`` (and drafttemplate/publictemplate) next to file/title/note/signers.
#: Evidence: spec ``createtemplate_body``, the body of all three.
TEMPLATE_OPTIONS = DOCUMENT_OPTIONS - {"folderId", "send_email", "email_subject", "email_body"}
#: Keys ``PUT /document/{id}`` accepts (anything else makes OpenSign refuse the whole update).
#: Evidence: spec ``document_document_id_body``.
DOCUMENT_UPDATE_FIELDS = frozenset(
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
#: Keys of ``PUT /template/{id}`` (spec: ``template_template_id_body``). ``allow_offline_sign`` is not among
#: them (it was sent before issue 10): refused before any request.
TEMPLATE_UPDATE_FIELDS = DOCUMENT_UPDATE_FIELDS | {"file", "file_password"}

_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")

#: The longest document or template title sent, in characters. OpenSign documents no limit; this one
#: is ours ([INFERRED]: far longer than any title a person reads, and short enough that a value
#: rendered by mistake, a whole file's text, is refused before it costs a credit).
MAX_TITLE_CHARS = 500
#: The longest ``timeToCompleteDays`` accepted (ten years); OpenSign documents no maximum.
MAX_TIME_TO_COMPLETE_DAYS = 3650

_BOOL_OPTIONS = frozenset(
    {
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
    }
)
_TEXT_OPTIONS = frozenset(
    {"file_password", "description", "email_subject", "email_body", "sender_name", "note", "name"}
)


def is_email(value: Any) -> bool:
    """Whether ``value`` looks like one email address (no lists, no display names)."""
    return isinstance(value, str) and bool(_EMAIL.match(value.strip()))


def check_options(
    options: Mapping[str, Any] | None, allowed: frozenset[str], *, field: str
) -> dict[str, Any]:
    """The settings as a dict, refusing unknown keys (OpenSign would ignore or refuse them silently)."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise SignsConfigError(
            f"{field}: expected a mapping of OpenSign settings, got {type(options).__name__}."
        )
    unknown = sorted(key for key in options if key not in allowed)
    if unknown:
        raise SignsConfigError(
            f"{field}: unknown setting(s) {', '.join(map(repr, unknown))}. Use the API's names, one of: "
            f"{', '.join(sorted(allowed))}."
        )
    clean = {key: value for key, value in options.items() if value is not None}
    for key, value in clean.items():
        check_option(key, value, field=f"{field}.{key}")
    return clean


def check_option(key: str, value: Any, *, field: str) -> None:
    """Refuse a setting of the wrong type or out of range, naming ``field`` and the fix.

    OpenSign answers such values with its catch-all 400, or takes them (a negative
    ``timeToCompleteDays`` makes a document that expired before anyone could sign it).
    """
    if key == "timeToCompleteDays":
        if not is_whole(value) or not 1 <= value <= MAX_TIME_TO_COMPLETE_DAYS:
            raise SignsConfigError(
                f"{field}: {value!r} is not a number of days; use a whole number from 1 to "
                f"{MAX_TIME_TO_COMPLETE_DAYS} (days the signers have before the document expires)."
            )
    elif key == "remind_once_in_every":
        if not is_whole(value) or not 0 <= value <= 365:
            raise SignsConfigError(
                f"{field}: {value!r} is not a number of days; use a whole number from 0 to 365 "
                "(days between reminders)."
            )
    elif key in _BOOL_OPTIONS:
        if not isinstance(value, bool):
            raise SignsConfigError(f"{field}: {value!r} is not true or false; use True or False.")
    elif key in _TEXT_OPTIONS:
        if not isinstance(value, str):
            raise SignsConfigError(f"{field}: expected text, got {type(value).__name__}.")
    elif key == "sender_email":
        if not is_email(value):
            raise SignsConfigError(f"{field}: {value!r} is not an email address.")
    elif key in ("bcc", "cc"):
        if isinstance(value, str) or not isinstance(value, Sequence) or not all(map(is_email, value)):
            raise SignsConfigError(
                f"{field}: {value!r} is not a list of email addresses; use e.g. ['legal@example.com']."
            )
    elif key == "pen_colors":
        if (
            isinstance(value, str)
            or not isinstance(value, Sequence)
            or not all(isinstance(c, str) for c in value)
        ):
            raise SignsConfigError(
                f"{field}: {value!r} is not a list of colours; use e.g. ['blue', 'black']."
            )
    elif key == "redirect_url":
        if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
            raise SignsConfigError(
                f"{field}: {value!r} is not an http(s) URL; use e.g. 'https://example.com/done'."
            )
    elif key == "folderId" and (
        not isinstance(value, str) or not value.strip() or any(ch in value for ch in "/?#% ")
    ):
        raise SignsConfigError(f"{field}: {value!r} is not a folder id (like 'FGik23bhUJ').")


def check_title(title: Any, *, field: str = "title") -> str:
    """A title stripped, present and at most :data:`MAX_TITLE_CHARS` long."""
    if not isinstance(title, str) or not title.strip():
        raise SignsConfigError(f"{field}: missing. OpenSign needs a document title.")
    title = title.strip()
    if len(title) > MAX_TITLE_CHARS:
        raise SignsConfigError(
            f"{field}: {len(title)} characters; a title may have at most {MAX_TITLE_CHARS}. "
            "Shorten it (put long text in 'note' or 'description')."
        )
    return title


def is_whole(value: Any) -> bool:
    """A whole number that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A finite number that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def update_body(fields: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    """An update body; OpenSign refuses the whole update for one unknown key, so check them all first."""
    if not fields:
        raise SignsConfigError(f"Give at least one field to change: {', '.join(sorted(allowed))}.")
    unknown = sorted(k for k in fields if k not in allowed)
    if unknown:
        raise SignsConfigError(
            f"{', '.join(unknown)}: not a field OpenSign can update here; use {', '.join(sorted(allowed))}."
        )
    for key, value in fields.items():
        if key == "name" and value is not None:
            check_title(value, field="name")
        elif key != "file" and value is not None:
            check_option(key, value, field=key)
    return dict(fields)
