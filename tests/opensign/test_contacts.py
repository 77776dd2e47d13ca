"""Contacts (client/contacts.py through the hook)."""

from __future__ import annotations

import pytest

from signs_provider.common.errors import SignsConfigError
from signs_provider.opensign.errors import (
    OpenSignConflictError,
    OpenSignNotFoundError,
)


def test_contact_methods(hook) -> None:
    created = hook.create_contact(name="Hedy Lamarr", email="hedy@example.com", company="MGM")
    with pytest.raises(OpenSignConflictError):
        hook.create_contact(name="Hedy Lamarr", email="hedy@example.com")
    assert (
        hook.create_contact(name="Hedy", email="HEDY@example.com", exist_ok=True)["objectId"]
        == created["objectId"]
    )
    hook.update_contact(created["objectId"], job_title="Inventor")
    assert hook.get_contact(created["objectId"])["job_title"] == "Inventor"
    assert created["objectId"] in [c["objectId"] for c in hook.list_contacts()]
    with pytest.raises(SignsConfigError, match="email: 'hedy' is not an email"):
        hook.create_contact(name="Hedy", email="hedy")
    hook.delete_contact(created["objectId"])
    with pytest.raises(OpenSignNotFoundError):
        hook.get_contact(created["objectId"])
