"""One document at a time (client/documents.py through the hook): read, change, remind, revoke, delete."""

from __future__ import annotations

import pytest

from signs_provider.common.errors import SignsConfigError
from signs_provider.opensign.errors import (
    OpenSignNotFoundError,
)
from signs_provider.opensign.status import DocumentStatus, SignerProgress
from tests.opensign.conftest import (
    signer,
)


def test_document_lifecycle_methods(hook, send, opensign) -> None:
    sent = send(
        signer("Ada", "ada@example.com"), signer("Grace", "grace@example.com"), options={"sendInOrder": False}
    )
    document_id = sent.document_id
    assert hook.get_signing_links(document_id) == list(sent.signing_links)
    assert hook.update_document(document_id, name="Renamed", note="n")["objectId"] == document_id
    assert hook.get_document(document_id)["title"] == "Renamed"
    with pytest.raises(SignsConfigError, match="title: not a field OpenSign can update"):
        hook.update_document(document_id, title="x")
    assert hook.resend_mail(document_id, "grace@example.com", subject="Reminder")["result"]
    opensign.control.sign(document_id, "ada@example.com", responses={}, ip_address="192.0.2.7")
    state = hook.get_document_state(document_id)
    assert state.status is DocumentStatus.IN_PROGRESS
    assert [(s.email, s.progress) for s in state.signers] == [
        ("ada@example.com", SignerProgress.SIGNED),
        ("grace@example.com", SignerProgress.PENDING),
    ]
    assert hook.get_signer_ips(document_id) == [{"email": "ada@example.com", "ip_address": "192.0.2.7"}]
    assert [f["email"] for f in hook.get_form_data(document_id)["form_data"]] == ["ada@example.com"]
    opensign.control.add_fault("lost_response", path=rf"/document/{document_id}$", method="POST", times=1)
    assert hook.revoke_document(document_id, "wrong salary")["recovered"] is True
    assert hook.get_document_state(document_id).status is DocumentStatus.DECLINED
    assert [d["objectId"] for d in hook.list_documents("declined")] == [document_id]
    assert hook.delete_document(document_id)["objectId"] == document_id
    with pytest.raises(OpenSignNotFoundError):
        hook.get_document(document_id)


def test_ids_that_would_change_the_url_are_refused(hook) -> None:
    with pytest.raises(SignsConfigError, match="not an OpenSign object id"):
        hook.get_document("../getuser")
