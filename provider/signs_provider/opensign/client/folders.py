"""Folders that documents are filed in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from signs_provider.common.errors import SignsConfigError
from signs_provider.opensign.client.rest import Endpoint, RestSession, object_id

#: Sent once: folder names may repeat, so a second create would make a second folder.
CREATE_FOLDER = Endpoint("POST", "createfolder", idempotent=False)
GET_FOLDER = Endpoint("GET", "folder/{folder_id}", idempotent=True)
UPDATE_FOLDER = Endpoint("PUT", "folder/{folder_id}", idempotent=True)
DELETE_FOLDER = Endpoint("DELETE", "folder/{folder_id}", idempotent=True)
FOLDER_LIST = Endpoint("GET", "folderlist", idempotent=True)


class Folders:
    """Folders that documents are filed in: create, read, rename or move, delete and list; ``hook.client.folders``."""

    def __init__(self, rest: RestSession) -> None:
        self.rest = rest

    def create_folder(self, name: str, *, parent_folder_id: str | None = None) -> dict[str, Any]:
        if not str(name or "").strip():
            raise SignsConfigError("name: missing. A folder needs a name.")
        # Evidence: spec ``folder_body`` (folderName, parentFolderId).
        body = {"folderName": name.strip()}
        if parent_folder_id:
            body["parentFolderId"] = object_id(parent_folder_id)
        return self.rest.call_once(CREATE_FOLDER, what="folder", json=body)

    def get_folder(self, folder_id: str) -> dict[str, Any]:
        return self.rest.call(GET_FOLDER, folder_id)

    def update_folder(
        self, folder_id: str, *, name: str | None = None, parent_folder_id: str | None = None
    ) -> dict[str, Any]:
        if name is None and parent_folder_id is None:
            raise SignsConfigError("update_folder: give name and/or parent_folder_id.")
        if name is not None and not str(name).strip():
            raise SignsConfigError(
                "name: empty. A folder needs a name; leave name unset to keep the current one."
            )
        # ``PUT /folder/{id}`` takes ``folder_body``, whose ``folderName`` is required (spec v1.2; its
        # ``required`` says ``foldername``, a known typo for the property ``folderName``,
        # ../shared/evidence/README.md). A move alone therefore sends the folder's current name, read
        # first: the body is valid whether the hosted server enforces the requirement or not, and the
        # name it keeps is the one the folder had.
        current = name if name is not None else self._current_name(folder_id)
        body: dict[str, Any] = {"folderName": str(current).strip()}
        if parent_folder_id is not None:
            body["parentFolderId"] = parent_folder_id
        return self.rest.call(UPDATE_FOLDER, folder_id, json=body)

    def _current_name(self, folder_id: str) -> str:
        folder = self.get_folder(folder_id)
        current = folder.get("folderName") if isinstance(folder, dict) else None
        if not isinstance(current, str) or not current.strip():
            raise SignsConfigError(
                f"name: OpenSign's folder {folder_id!r} has no readable folderName to keep, and the update "
                "must send one; give name= with the folder's name."
            )
        return current

    def delete_folder(self, folder_id: str) -> dict[str, Any]:
        return self.rest.delete(DELETE_FOLDER, folder_id)

    def list_folders(
        self, *, parent_folder_id: str | None = None, page_size: int = 100, max_items: int | None = None
    ) -> Iterator[dict[str, Any]]:
        params = {"parentFolderId": parent_folder_id} if parent_folder_id else None
        return self.rest.paginate(FOLDER_LIST, params=params, page_size=page_size, max_items=max_items)
