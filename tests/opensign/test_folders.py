"""Folders (client/folders.py through the hook)."""

from __future__ import annotations

import pytest

from signs_provider.opensign.errors import (
    OpenSignBadRequestError,
)


def test_folder_methods(hook, send) -> None:
    parent = hook.create_folder("Contracts 2027")
    child = hook.create_folder("Q1", parent_folder_id=parent["objectId"])
    assert [f["objectId"] for f in hook.list_folders(parent_folder_id=parent["objectId"])] == [
        child["objectId"]
    ]
    hook.update_folder(child["objectId"], name="Q1 signed", parent_folder_id="")
    assert hook.get_folder(child["objectId"])["folderName"] == "Q1 signed"
    send(options={"folderId": parent["objectId"]})
    with pytest.raises(OpenSignBadRequestError, match="folder is not empty"):
        hook.delete_folder(parent["objectId"])
    hook.delete_folder(child["objectId"])
