"""The OpenSign operators against the emulator: send (once per task instance), credits, download,
revoke, reminders. The task runtime is the small ``RunningTask`` stand-in; the DAG tests run them for real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from signs_provider.opensign.errors import OpenSignCreditsError
from signs_provider.opensign.links import LINK_XCOM_KEY
from signs_provider.opensign.operators import (
    OpenSignCheckCreditsOperator,
    OpenSignDownloadDocumentOperator,
    OpenSignResendReminderOperator,
    OpenSignRevokeDocumentOperator,
    OpenSignSendDocumentOperator,
    OpenSignSendTemplateOperator,
)
from tests.opensign.conftest import RunningTask, credits_left, documents, make_pdf, signer, task_context


@pytest.fixture
def contract(tmp_path) -> Path:
    path = tmp_path / "contract.pdf"
    path.write_bytes(make_pdf(text="Employment contract"))
    return path


def _send_operator(contract: Path, **kwargs) -> OpenSignSendDocumentOperator:
    kwargs.setdefault("signers", [signer("Ada Lovelace", "ada@example.com")])
    return OpenSignSendDocumentOperator(task_id="send", file=str(contract), title="Contract", **kwargs)


def test_send_returns_a_small_json_result_and_the_link(opensign, contract) -> None:
    ti = RunningTask()
    result = _send_operator(contract).execute(task_context(ti))
    assert json.loads(json.dumps(result)) == result
    assert set(result) == {"document_id", "title", "signers", "url", "marker", "recovered"}
    assert result["signers"] == ["ada@example.com"] and result["recovered"] is False
    assert "signing_links" not in result  # OpenSign emails them; the XCom does not need them
    assert ti.xcoms[LINK_XCOM_KEY] == result["url"]
    assert result["url"].endswith(f"/recipientSignPdf/{result['document_id']}")
    assert [d["id"] for d in documents(opensign)] == [result["document_id"]]


def test_signing_links_are_returned_when_the_dag_must_deliver_them(opensign, contract) -> None:
    result = _send_operator(contract, options={"send_email": False}).execute(task_context())
    assert [link["email"] for link in result["signing_links"]] == ["ada@example.com"]
    forced = _send_operator(contract, return_signing_links=True).execute(
        task_context(RunningTask(map_index=1))
    )
    assert forced["signing_links"][0]["url"].startswith("http://127.0.0.1")


def test_a_task_retry_returns_the_document_of_the_first_try(opensign, contract) -> None:
    before = credits_left(opensign)
    first = _send_operator(contract).execute(task_context(RunningTask(try_number=1)))
    retry = _send_operator(contract).execute(task_context(RunningTask(try_number=2)))
    assert retry["document_id"] == first["document_id"] and retry["recovered"] is True
    assert len(documents(opensign)) == 1 and credits_left(opensign) == before - 1
    # Another map index is another document.
    other = _send_operator(contract).execute(task_context(RunningTask(try_number=2, map_index=3)))
    assert other["document_id"] != first["document_id"] and len(documents(opensign)) == 2


def test_a_lost_response_then_a_task_retry_still_makes_one_document(opensign, contract) -> None:
    opensign.control.add_fault(
        "lost_response", path="/createdocument$", times=0
    )  # every create's answer is lost
    first = _send_operator(contract).execute(task_context(RunningTask(try_number=1)))
    assert first["recovered"] is True
    opensign.control.clear_faults()
    retry = _send_operator(contract).execute(task_context(RunningTask(try_number=2)))
    assert retry["document_id"] == first["document_id"] and len(documents(opensign)) == 1


def test_send_from_a_template(opensign) -> None:
    template_id = next(
        t["id"] for t in opensign.control.opensign_state()["templates"] if t["title"] == "Mutual NDA"
    )
    result = OpenSignSendTemplateOperator(
        task_id="nda",
        template_id=template_id,
        signers=[{"role": "Counterparty", "name": "Ada", "email": "ada@example.com"}],
        title="NDA with Analytical Engines",
    ).execute(task_context())
    assert result["title"] == "NDA with Analytical Engines"
    (document,) = documents(opensign)
    assert document["id"] == result["document_id"] and result["marker"] in document["name"]


def test_check_credits(opensign) -> None:
    recipients = [{"email": f"p{i}@example.com"} for i in range(3)]
    assert OpenSignCheckCreditsOperator(task_id="c", required=recipients).execute(task_context()) == {
        "available": 100,
        "required": 3,
    }
    opensign.control.set_credits("sandbox", plan_credits=1, addon_credits=1)
    with pytest.raises(OpenSignCreditsError, match="3 document"):
        OpenSignCheckCreditsOperator(task_id="c", required="3").execute(task_context())
    with pytest.raises(ValueError, match="neither a number nor a list"):
        OpenSignCheckCreditsOperator(task_id="c", required=None).execute(task_context())


def test_download_saves_the_signed_pdf_and_certificate(opensign, contract, tmp_path) -> None:
    sent = _send_operator(contract).execute(task_context())
    opensign.control.sign(sent["document_id"], "ada@example.com")
    ti = RunningTask(task_id="archive")
    result = OpenSignDownloadDocumentOperator(
        task_id="archive", document_id=sent, destination=str(tmp_path / "archive")
    ).execute(task_context(ti))
    assert Path(result["signed_pdf"]).parent == tmp_path / "archive"
    assert (
        Path(result["signed_pdf"]).read_bytes()[:5]
        == Path(result["certificate"]).read_bytes()[:5]
        == b"%PDF-"
    )
    assert ti.xcoms[LINK_XCOM_KEY] == sent["url"]


def test_revoke_and_remind(opensign, contract) -> None:
    two = [signer("Ada", "ada@example.com"), signer("Grace", "grace@example.com")]
    sent = _send_operator(contract, signers=two, options={"sendInOrder": False}).execute(task_context())
    opensign.control.sign(sent["document_id"], "ada@example.com")
    reminded = OpenSignResendReminderOperator(task_id="remind", document_id=sent["document_id"]).execute(
        task_context()
    )
    assert reminded == {
        "document_id": sent["document_id"],
        "status": "in-progress",
        "reminded": ["grace@example.com"],
    }
    mails = opensign.control.opensign_document(sent["document_id"])["mails"]
    assert [m["to"] for m in mails].count("grace@example.com") == 2
    revoked = OpenSignRevokeDocumentOperator(
        task_id="revoke", document_id=sent, reason="Offer withdrawn"
    ).execute(task_context())
    assert revoked["document_id"] == sent["document_id"] and revoked["revoked_at"]
    nothing = OpenSignResendReminderOperator(task_id="remind", document_id=sent).execute(task_context())
    assert nothing["status"] == "declined" and nothing["reminded"] == []


def test_operators_are_templated_and_keyword_only() -> None:
    assert "file" in OpenSignSendDocumentOperator.template_fields
    assert "signers" in OpenSignSendTemplateOperator.template_fields
    assert "destination" in OpenSignDownloadDocumentOperator.template_fields
    with pytest.raises(TypeError):
        OpenSignRevokeDocumentOperator("revoke", "d1")  # type: ignore[misc]
