"""Helpers more than one area of the OpenSign API uses: paging, ordering, folders, updates, signers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import validation
from ..state import ApiError, Document, Signer, Template
from ..validation import bad_input
from .call import Call


def paged(items: Iterable[Any], query: dict[str, str]) -> list[Any]:
    limit, skip = validation.paging(query)
    return list(items)[skip : skip + limit]


def newest_first(items: Iterable[Any], attr: str) -> list[Any]:
    # Newest first; among equal timestamps, the later-created object first.
    return sorted(reversed(list(items)), key=lambda item: getattr(item, attr), reverse=True)


def signer_json(signer: Signer, *, widgets: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "role": signer.role,
        "name": signer.name,
        "email": signer.email,
        "phone": signer.phone,
    }
    if widgets:
        out["widgets"] = signer.widgets
    return out


def folder_id_of(call: Call) -> str:
    folder_id = call.body.get("folderId")
    if folder_id in (None, ""):
        return ""
    if not isinstance(folder_id, str):
        raise bad_input()
    # [INFERRED] an unknown folder is "folder not found." as on the folder operations, but with 400: the spec
    # documents no 404 for any create (only 200, 400 and 405).
    if call.env.folders.get(folder_id) is None or call.env.folders[folder_id].deleted_at:
        raise ApiError(400, "folder not found.")
    return folder_id


def apply_updates(
    call: Call, target: Document | Template, body: dict[str, Any], *, file: bytes | None = None
) -> None:
    """Apply key-checked update fields (``name`` is the title): all are validated before any is applied."""
    options = validation.parse_options(body, {})
    fields: dict[str, Any] = {}
    if "name" in body:
        fields["title"] = validation.required_str(body, "name")
    for key in ("note", "description"):
        if key in body:
            fields[key] = validation.optional_str(body, key)
    if "folderId" in body:
        fields["folder_id"] = _folder_update(call, body["folderId"])
    for attr, value in fields.items():
        setattr(target, attr, value)
    target.options.update(options)
    if file is not None and isinstance(target, Template):
        target.file = file
        target.file_version += 1


def _folder_update(call: Call, value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise bad_input()
    return call.env.folder(value).id
