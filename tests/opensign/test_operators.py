"""The OpenSign operators against the emulator: send (once per task instance), credits, download,
revoke, reminders. The task runtime is the small ``RunningTask`` stand-in; the DAG tests run them for real."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from signs_provider.common.errors import SignsConfigError
from signs_provider.opensign.client.payloads import idempotency_marker
from signs_provider.opensign.errors import OpenSignCreditsError
from signs_provider.opensign.links import LINK_XCOM_KEY
from signs_provider.opensign.operators import (
    OpenSignCheckCreditsOperator,
    OpenSignDownloadDocumentOperator,
    OpenSignResendReminderOperator,
    OpenSignRevokeDocumentOperator,
    OpenSignSendForSignatureOperator,
    OpenSignSendTemplateOperator,
)
from tests.opensign.conftest import (
    LateCreate,
    RunningTask,
    credits_left,
    documents,
    make_pdf,
    signer,
    task_context,
)


@pytest.fixture(autouse=True)
def quick_settle(opensign, monkeypatch) -> None:
    """Operators build their hook from the connection: a 2 s timeout makes a retry's settle wait 4 s."""
    conn = json.loads(os.environ["AIRFLOW_CONN_OPENSIGN_DEFAULT"])
    extra = conn.get("extra") or {}
    extra = json.loads(extra) if isinstance(extra, str) else dict(extra)
    conn["extra"] = {**extra, "timeout": 2}
    monkeypatch.setenv("AIRFLOW_CONN_OPENSIGN_DEFAULT", json.dumps(conn))


@pytest.fixture
def contract(tmp_path) -> Path:
    path = tmp_path / "contract.pdf"
    path.write_bytes(make_pdf(text="Employment contract"))
    return path


def _send_operator(contract: Path, **kwargs) -> OpenSignSendForSignatureOperator:
    kwargs.setdefault("signers", [signer("Ada Lovelace", "ada@example.com")])
    return OpenSignSendForSignatureOperator(task_id="send", file=str(contract), title="Contract", **kwargs)


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


def test_signing_links_are_returned_only_when_asked_for(opensign, contract, capfd) -> None:
    no_email = _send_operator(contract, options={"send_email": False}).execute(task_context())
    assert "signing_links" not in no_email  # send_email=False alone never puts them in XCom
    assert "return_signing_links=True to get them" in capfd.readouterr().out
    asked = _send_operator(contract, options={"send_email": False}, return_signing_links=True).execute(
        task_context(RunningTask(map_index=1))
    )
    links = {link["email"]: link["url"] for link in asked["signing_links"]}
    assert list(links) == ["ada@example.com"] and links["ada@example.com"].startswith("http://127.0.0.1")
    logged = capfd.readouterr().out
    assert "anyone who can read this task's XCom can sign" in logged
    assert links["ada@example.com"] not in logged


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


def test_a_retry_after_a_killed_worker_waits_for_the_create_still_running(
    opensign, contract, make_hook
) -> None:
    """The first try's worker died mid-create; the server finishes it while the retry starts."""
    before = credits_left(opensign)
    operator = _send_operator(contract)
    ti = RunningTask(try_number=2)
    marker = idempotency_marker(ti.dag_id, ti.task_id, ti.run_id, ti.map_index)
    backend = LateCreate(opensign, make_hook, contract.read_bytes(), marker, after=1.0)
    backend.start()
    retry = operator.execute(task_context(ti))
    backend.join(timeout=30)
    assert backend.error is None
    assert retry["document_id"] == backend.document_id and retry["recovered"] is True
    assert len(documents(opensign)) == 1 and credits_left(opensign) == before - 1


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
    for wrong in (None, True, -1, "['a@example.com', 'b@example.com']", "3 documents"):
        with pytest.raises(SignsConfigError, match="required: .* neither a number nor a list"):
            OpenSignCheckCreditsOperator(task_id="c", required=wrong).execute(task_context())


def test_check_credits_counts_recipients_not_characters(opensign) -> None:
    opensign.control.set_credits("sandbox", plan_credits=3, addon_credits=0)
    # A list rendered as text (no native rendering) has 36 characters but names 2 recipients:
    # it must be refused, never counted as 36 (nor pass as 2 by accident).
    with pytest.raises(SignsConfigError, match="render_template_as_native_obj"):
        OpenSignCheckCreditsOperator(task_id="c", required="['a@example.com','b@example.com']").execute(
            task_context()
        )
    ok = OpenSignCheckCreditsOperator(task_id="c", required=("a@example.com", "b@example.com"))
    assert ok.execute(task_context()) == {"available": 3, "required": 2}


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
    chosen = OpenSignResendReminderOperator(
        task_id="remind", document_id=sent, emails=["GRACE@example.com", "ada@example.com"]
    ).execute(task_context())
    assert chosen["reminded"] == ["grace@example.com"]  # any case; Ada has signed already
    with pytest.raises(SignsConfigError, match="emails: 'bob@example.com' is not a signer"):
        OpenSignResendReminderOperator(
            task_id="remind", document_id=sent, emails=["bob@example.com"]
        ).execute(task_context())
    revoked = OpenSignRevokeDocumentOperator(
        task_id="revoke", document_id=sent, reason="Offer withdrawn"
    ).execute(task_context())
    assert revoked["document_id"] == sent["document_id"] and revoked["revoked_at"]
    nothing = OpenSignResendReminderOperator(task_id="remind", document_id=sent).execute(task_context())
    assert nothing["status"] == "declined" and nothing["reminded"] == []


def test_operator_arguments_are_rendered_from_the_run(opensign) -> None:
    send = OpenSignSendForSignatureOperator(
        task_id="send",
        file="/outbox/{{ ds }}/c.pdf",
        title="Contract {{ ds }}",
        signers=[{"name": "{{ params.who }}", "email": "ada@example.com"}],
        options={"email_subject": "Sign by {{ ds }}"},
        opensign_conn_id="{{ params.conn }}",
    )
    context = {"ds": "2026-01-01", "params": {"who": "Ada", "conn": "opensign_live"}}
    send.render_template_fields(context)
    assert send.file == "/outbox/2026-01-01/c.pdf" and send.title == "Contract 2026-01-01"
    assert send.signers == [{"name": "Ada", "email": "ada@example.com"}]
    assert send.options == {"email_subject": "Sign by 2026-01-01"}
    assert send.opensign_conn_id == "opensign_live"
    archive = OpenSignDownloadDocumentOperator(
        task_id="a", document_id="{{ params.who }}", destination="{{ params.conn }}/{{ ds }}"
    )
    archive.render_template_fields(context)
    assert (archive.document_id, archive.destination) == ("Ada", "opensign_live/2026-01-01")
    with pytest.raises(TypeError):
        OpenSignRevokeDocumentOperator("revoke", "d1")  # type: ignore[misc]


def test_the_token_and_webhook_secret_never_reach_logs_or_errors(
    opensign, contract, monkeypatch, capfd, caplog
) -> None:
    """Canary: run the operators through retries and failures, then look for the secrets everywhere."""
    from signs_provider.opensign.sensors import OpenSignDocumentSensor

    conn = json.loads(os.environ["AIRFLOW_CONN_OPENSIGN_DEFAULT"])
    token = conn["password"]
    webhook_secret = "whsec-canary-7f3a9c"
    conn["extra"] = {**conn["extra"], "webhook_secret": webhook_secret}
    monkeypatch.setenv("AIRFLOW_CONN_OPENSIGN_DEFAULT", json.dumps(conn))
    texts: list[str] = []

    # Retry warnings on reads, a retry that finds nothing, then a send.
    opensign.control.add_fault("503", path="/documentlist/", times=2)
    opensign.control.add_fault("429", path="/getcredits$", times=1, retry_after=0)
    OpenSignCheckCreditsOperator(task_id="c", required=1).execute(task_context())
    sent = _send_operator(contract).execute(task_context(RunningTask(try_number=2)))
    # Failures: a declined document fails the sensor; an unknown document; a bad webhook.
    opensign.control.decline(sent["document_id"], "ada@example.com", reason="no")
    sensor = OpenSignDocumentSensor(task_id="wait", document_ids=[sent["document_id"], "Nope123"])
    for failing in (
        lambda: sensor.poke(task_context()),
        lambda: OpenSignRevokeDocumentOperator(task_id="r", document_id="Nope123").execute(task_context()),
    ):
        with pytest.raises(Exception) as failed:
            failing()
        texts.append(f"{failed.value!r} {failed.value}")
    hook = sensor.hook
    assert hook.verify_webhook(b'{"event":"completed"}', "é" * 64) is False
    # A token of another environment: OpenSign's 405, explained.
    conn["password"] = "opensign-live-token"
    monkeypatch.setenv("AIRFLOW_CONN_OPENSIGN_DEFAULT", json.dumps(conn))
    with pytest.raises(Exception) as refused:
        OpenSignCheckCreditsOperator(task_id="c", required=1).execute(task_context())
    texts.append(f"{refused.value!r} {refused.value}")

    out, err = capfd.readouterr()
    # The transport logs through its module logger: captured by caplog, or on stdout, depending on
    # how logging was configured by earlier tests.
    logged = out + caplog.text
    texts += [out, err, caplog.text]
    assert "retrying in" in logged and "HTTP 503" in logged  # the retries really were logged
    for text in texts:
        for secret in (token, "opensign-live-token", webhook_secret):
            assert secret not in text


# -- OpenLineage (issue 13 part 5) --------------------------------------------------------------------


def test_the_send_operators_report_the_pdf_or_template_in_and_the_document_out(contract) -> None:
    pytest.importorskip("airflow.providers.openlineage")
    from urllib.parse import urlsplit

    from signs_provider.opensign.hooks import OpenSignHook
    from tests.common.test_lineage import extracted, named

    ns = f"opensign://{urlsplit(OpenSignHook().base_url).netloc}"
    send = OpenSignSendForSignatureOperator(
        task_id="send", file=str(contract), title="Contract", signers=[signer("Ada", "ada@example.com")]
    )
    sent = send.execute(task_context())
    facets = extracted(send)
    assert [named(d) for d in facets.inputs] == [("file", str(contract))]
    assert [named(d) for d in facets.outputs] == [(ns, f"documents/{sent['document_id']}")]

    template_id = next(t["objectId"] for t in OpenSignHook().list_templates() if t["title"] == "Mutual NDA")
    nda = OpenSignSendTemplateOperator(
        task_id="nda",
        template_id=template_id,
        signers=[{"role": "Counterparty", "name": "A", "email": "a@x.io"}],
    )
    sent = nda.execute(task_context(RunningTask(task_id="nda")))
    facets = extracted(nda)
    assert [named(d) for d in facets.inputs] == [(ns, f"templates/{template_id}")]
    assert [named(d) for d in facets.outputs] == [(ns, f"documents/{sent['document_id']}")]


def test_without_openlineage_the_send_operators_report_nothing(contract, monkeypatch) -> None:
    import sys

    from tests.common.test_lineage import OPENLINEAGE_MODULES

    send = OpenSignSendForSignatureOperator(
        task_id="send", file=str(contract), title="Contract", signers=[signer("Ada", "ada@example.com")]
    )
    send.execute(task_context())
    for name in OPENLINEAGE_MODULES:
        monkeypatch.setitem(sys.modules, name, None)
    assert send.get_openlineage_facets_on_complete(None) is None
