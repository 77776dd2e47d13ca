"""OpenSign API: folders (``createfolder``, ``folder/{id}``, ``folderlist``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from .. import validation
from ..state import ApiError, Environment, Folder, iso
from ..validation import FOLDER_UPDATE_KEYS, bad_input
from .call import Call, operation
from .common import newest_first, paged

router = APIRouter()


def folder_json(folder: Folder, env: Environment, *, with_parent_name: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "objectId": folder.id,
        "folderName": folder.name,
        "parentFolderId": folder.parent_id,
    }
    if with_parent_name:
        parent = env.folders.get(folder.parent_id)
        out["parentFolderName"] = parent.name if parent else ""
    out.update({"createdAt": iso(folder.created_at), "updatedAt": iso(folder.updated_at)})
    return out


def _parent_id(call: Call, moving: Folder | None = None) -> str:
    parent_id = call.body.get("parentFolderId")
    if parent_id in (None, ""):
        return ""
    if not isinstance(parent_id, str):
        raise bad_input()
    found = call.env.folders.get(parent_id)
    if found is None or found.deleted_at:
        # The spec documents 400 (not 404) for createfolder; for PUT /folder/{id} it documents both, and the
        # folder named in the path is what its 404 is about. [INFERRED] for the parent.
        raise ApiError(400, "folder not found.")
    parent = call.env.folder(parent_id)
    ancestor: Folder | None = parent
    while ancestor is not None and moving is not None:
        if ancestor is moving:  # a folder cannot move into itself or its own subfolder
            raise bad_input()
        ancestor = call.env.folders.get(ancestor.parent_id)
    return parent.id


@operation(router, "POST", "/createfolder")
def create_folder(call: Call) -> dict[str, Any]:
    # OSS reads "folderName"; the spec's required list spells it "foldername". Accept both.
    body = (
        call.body if "folderName" in call.body else {**call.body, "folderName": call.body.get("foldername")}
    )
    name = validation.required_str(body, "folderName")
    folder = Folder(
        id=call.env.new_id(),
        name=name,
        parent_id=_parent_id(call),
        created_at=call.now,
        updated_at=call.now,
    )
    call.env.folders[folder.id] = folder
    return folder_json(folder, call.env)


@operation(router, "GET", "/folder/{folder_id}")
def get_folder(call: Call, folder_id: str) -> dict[str, Any]:
    return folder_json(call.env.folder(folder_id), call.env, with_parent_name=True)


@operation(router, "PUT", "/folder/{folder_id}")
def update_folder(call: Call, folder_id: str) -> dict[str, Any]:
    folder = call.env.folder(folder_id)
    validation.check_update_keys(call.body, FOLDER_UPDATE_KEYS)
    name = validation.required_str(call.body, "folderName") if "folderName" in call.body else folder.name
    parent_id = _parent_id(call, moving=folder) if "parentFolderId" in call.body else folder.parent_id
    folder.name, folder.parent_id = name, parent_id
    folder.updated_at = call.now
    return {"objectId": folder.id, "updatedAt": iso(folder.updated_at)}


@operation(router, "DELETE", "/folder/{folder_id}")
def delete_folder(call: Call, folder_id: str) -> dict[str, Any]:
    folder = call.env.folder(folder_id)
    env = call.env
    contents = [
        *(f for f in env.folders.values() if f.parent_id == folder.id and not f.deleted_at),
        *(d for d in env.documents.values() if d.folder_id == folder.id and not d.deleted_at),
        *(t for t in env.templates.values() if t.folder_id == folder.id and not t.deleted_at),
    ]
    if contents:
        raise ApiError(400, "folder is not empty, contains document or folder.")
    folder.deleted_at = call.now
    return {"objectId": folder.id, "deletedAt": iso(call.now)}


@operation(router, "GET", "/folderlist")
def folder_list(call: Call) -> dict[str, Any]:
    parent = call.query.get("parentFolderId", "")
    if parent:
        call.env.folder(parent)
    children = [f for f in call.env.folders.values() if not f.deleted_at and f.parent_id == parent]
    page = paged(newest_first(children, "created_at"), call.query)
    return {"result": [folder_json(f, call.env, with_parent_name=True) for f in page]}
