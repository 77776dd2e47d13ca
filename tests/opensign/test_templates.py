"""Templates (client/templates.py through the hook)."""

from __future__ import annotations

import pytest

from signs_provider.common.errors import SignsConfigError
from signs_provider.opensign.errors import (
    OpenSignNotFoundError,
)
from tests.opensign.conftest import (
    SIGNATURE,
    make_pdf,
)


def test_template_methods(hook, opensign, pdf) -> None:
    roles = [
        {"role": "Client", "widgets": [SIGNATURE]},
        {"role": "Owner", "name": "Sam", "email": "sam@example.com", "widgets": [SIGNATURE]},
    ]
    with pytest.raises(SignsConfigError, match=r"signers\[1\]\.role: 'client' is also signers\[0\]"):
        hook.create_template(pdf, title="T", signers=[roles[0], {**roles[0], "role": "client"}])
    created = hook.create_template(
        pdf, title="Service agreement", signers=roles, options={"timeToCompleteDays": 3}
    )
    template_id = created["objectId"]
    assert hook.get_template(template_id)["timeToCompleteDays"] == 3
    assert template_id in [t["objectId"] for t in hook.list_templates()]
    hook.update_template(template_id, name="Service agreement v2", file=make_pdf(text="v2"))
    assert hook.get_template(template_id)["title"] == "Service agreement v2"
    assert hook.create_template(pdf, title="Public", signers=roles[:1], kind="public")["public_url"]
    assert hook.create_template(pdf, title="Draft", signers=roles[:1], kind="draft")["url"]
    sent = hook.send_template_for_signature(
        template_id, signers=[{"role": "Client", "name": "Ada", "email": "ada@example.com"}]
    )
    assert {s["email"] for s in hook.get_document(sent.document_id)["signers"]} == {
        "ada@example.com",
        "sam@example.com",
    }
    hook.delete_template(template_id)
    with pytest.raises(OpenSignNotFoundError):
        hook.get_template(template_id)
