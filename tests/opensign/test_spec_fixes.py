"""Issue 10: what the hook sends follows the official v1.2 spec (../shared/evidence/opensign-openapi/), and
each point the spec leaves ambiguous is sent so that either reading of the hosted server works. Each test
failed on the hook before the fix (checked)."""

from __future__ import annotations

import pytest

from signs_provider.common.errors import SignsConfigError
from tests.opensign.capture import bodies, capture
from tests.opensign.conftest import signer

ADA = signer("Ada Lovelace", "ada@example.com")


def test_self_sign_sends_signer_and_signers_with_the_same_content(hook, pdf, monkeypatch) -> None:
    # The spec requires `signers` and declares only `signer`: a server reading either one sees the signer.
    with capture(monkeypatch) as seen:
        hook.self_sign_document(pdf, title="Self", signer=ADA)
    (body,) = bodies(seen, "POST", "/selfsign")
    assert body["signers"] == [body["signer"]]
    assert body["signer"]["email"] == "ada@example.com"


@pytest.mark.parametrize(
    "option",
    [
        "allow_modifications",
        "allow_offline_sign",
        "auto_reminder",
        "enableOTP",
        "remind_once_in_every",
        "send_in_order_strict",
    ],
)
def test_self_sign_refuses_options_the_spec_does_not_define_there(hook, pdf, emulator, option) -> None:
    value = 3 if option == "remind_once_in_every" else True
    emulator.control.reset_requests()
    with pytest.raises(SignsConfigError, match=rf"options: unknown setting\(s\) '{option}'"):
        hook.self_sign_document(pdf, title="Self", signer=ADA, options={option: value})
    assert not [r for r in emulator.control.requests() if r["path"].endswith("/selfsign")]


def test_self_sign_still_sends_the_options_the_spec_defines(hook, pdf, monkeypatch) -> None:
    with capture(monkeypatch) as seen:
        hook.self_sign_document(
            pdf, title="Self", signer=ADA, options={"enableTour": True, "timeToCompleteDays": 5}
        )
    (body,) = bodies(seen, "POST", "/selfsign")
    assert body["enableTour"] is True and body["timeToCompleteDays"] == 5


def test_a_folder_move_without_a_name_sends_the_current_name(hook, monkeypatch) -> None:
    folder = hook.create_folder("Contracts")
    parent = hook.create_folder("Archive")
    with capture(monkeypatch) as seen:
        hook.update_folder(folder["objectId"], parent_folder_id=parent["objectId"])
    (body,) = bodies(seen, "PUT", f"/folder/{folder['objectId']}")
    assert body == {"folderName": "Contracts", "parentFolderId": parent["objectId"]}
    moved = hook.get_folder(folder["objectId"])
    assert moved["folderName"] == "Contracts"
    assert moved.get("parentFolderId") == parent["objectId"]


def test_a_rename_sends_the_new_name_without_reading_first(hook, monkeypatch) -> None:
    folder = hook.create_folder("Contracts")
    with capture(monkeypatch) as seen:
        hook.update_folder(folder["objectId"], name="Contracts 2026")
    assert [(x.method, x.path.rsplit("/", 2)[-2]) for x in seen] == [("PUT", "folder")]
    assert bodies(seen, "PUT", folder["objectId"]) == [{"folderName": "Contracts 2026"}]


def test_an_empty_folder_name_is_refused_before_any_request(hook, emulator) -> None:
    emulator.control.reset_requests()
    with pytest.raises(SignsConfigError, match="name: empty"):
        hook.update_folder("abc123", name="  ")
    assert emulator.control.requests() == []


def test_a_template_send_carries_its_marker_in_title_and_note(hook, pdf, monkeypatch) -> None:
    template = hook.create_template(
        pdf, title="NDA", signers=[{"role": "Employee", "widgets": ADA["widgets"]}]
    )
    marker = "af-0123456789abcdef0123"
    with capture(monkeypatch) as seen:
        sent = hook.send_template_for_signature(
            template["objectId"],
            signers=[{"role": "Employee", "name": "Ada Lovelace", "email": "ada@example.com"}],
            marker=marker,
        )
    (body,) = bodies(seen, "POST", f"/createdocument/{template['objectId']}")
    assert marker in body["title"] and marker in body["note"]
    assert sent.title == "NDA"


def test_a_document_whose_server_kept_only_the_note_is_found_by_its_marker() -> None:
    # The reading where the server names the document after the template and ignores `title`.
    from signs_provider.opensign.client.payloads import carries_marker

    assert carries_marker({"title": "NDA", "note": "[af-1]"}, "af-1")
    assert carries_marker({"title": "NDA [af-1]", "note": ""}, "af-1")
    assert not carries_marker({"title": "NDA", "note": ""}, "af-1")


def test_update_template_refuses_a_field_the_spec_does_not_define_there(hook, emulator) -> None:
    emulator.control.reset_requests()
    with pytest.raises(SignsConfigError, match="allow_offline_sign: not a field OpenSign can update here"):
        hook.update_template("abc123", allow_offline_sign=True)
    assert emulator.control.requests() == []


def _server_reading(monkeypatch, *, keeps_title: bool, keeps_note: bool) -> None:
    """Make the (in-process) emulator read a template send as another server might: the last open-source
    server (v1) named the document after the template, ignoring ``title``; ``keeps_note`` is the reading
    where the undocumented ``note`` is kept. The route looks ``_new_document`` up at call time."""
    from signs_emulator.opensign.routes import documents as routes

    original = routes._new_document

    def new_document(call, **kwargs):
        template_id = kwargs.get("template_id")
        if template_id:
            template = call.env.template(template_id)
            if not keeps_title:
                kwargs["title"] = template.title
            if not keeps_note:
                kwargs["note"] = template.note
        return original(call, **kwargs)

    monkeypatch.setattr(routes, "_new_document", new_document)


@pytest.fixture
def nda(hook, pdf) -> str:
    template = hook.create_template(
        pdf, title="NDA", note="", signers=[{"role": "Employee", "widgets": ADA["widgets"]}]
    )
    return str(template["objectId"])


def _send_with_lost_answer(make_hook, opensign, template_id: str) -> object:
    opensign.control.add_fault(
        "lost_response", path=f"/createdocument/{template_id}$", method="POST", times=1
    )
    hook = make_hook(landing_wait=1.0)
    return hook.send_template_for_signature(
        template_id,
        signers=[{"role": "Employee", "name": "Ada Lovelace", "email": "ada@example.com"}],
        marker="af-0123456789abcdef0123",
    )


def _sent_from(opensign, template_id: str) -> list[dict]:
    from tests.opensign.conftest import documents

    return [d for d in documents(opensign) if d.get("template_id", d.get("templateId")) == template_id]


def test_a_lost_template_send_is_found_when_the_server_ignores_the_title(
    make_hook, opensign, nda, monkeypatch
) -> None:
    _server_reading(monkeypatch, keeps_title=False, keeps_note=True)
    sent = _send_with_lost_answer(make_hook, opensign, nda)
    assert sent.recovered and sent.title == "NDA"
    assert len(_sent_from(opensign, nda)) == 1


def test_a_lost_template_send_is_found_when_the_server_ignores_the_note(
    make_hook, opensign, nda, monkeypatch
) -> None:
    _server_reading(monkeypatch, keeps_title=True, keeps_note=False)
    sent = _send_with_lost_answer(make_hook, opensign, nda)
    assert sent.recovered
    assert len(_sent_from(opensign, nda)) == 1
