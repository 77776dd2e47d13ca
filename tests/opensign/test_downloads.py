"""Downloads (client/downloads.py): the signed PDF and the certificate, pre-signed URLs kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from signs_provider.common.errors import SignsTransportError
from signs_provider.opensign.errors import (
    OpenSignApiError,
    OpenSignDocumentStateError,
)


def test_download_waits_for_completion_then_saves_both_pdfs(hook, send, opensign, tmp_path) -> None:
    sent = send()
    with pytest.raises(OpenSignDocumentStateError, match="is in-progress"):
        hook.download_signed_document(sent.document_id, tmp_path)
    opensign.control.sign(sent.document_id, "ada@example.com")
    signed = hook.download_signed_document(sent.document_id, tmp_path)
    certificate = hook.download_certificate(sent.document_id, str(tmp_path) + "/")
    assert signed == str(tmp_path / f"{sent.document_id}-signed.pdf")
    assert certificate == str(tmp_path / f"{sent.document_id}-certificate.pdf")
    assert Path(signed).read_bytes()[:5] == Path(certificate).read_bytes()[:5] == b"%PDF-"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_download_to_object_storage(hook, send, opensign, tmp_path) -> None:
    from airflow.sdk import ObjectStoragePath

    sent = send()
    opensign.control.sign(sent.document_id, "ada@example.com")
    where = hook.download_certificate(
        sent.document_id, ObjectStoragePath(f"file://{tmp_path}/archive/cert.pdf")
    )
    assert where.endswith("archive/cert.pdf")
    assert (tmp_path / "archive" / "cert.pdf").read_bytes().startswith(b"%PDF-")


def test_an_expired_download_url_is_refreshed(hook, send, opensign, tmp_path, monkeypatch) -> None:
    sent = send()
    opensign.control.sign(sent.document_id, "ada@example.com")
    documents_area = hook.client.documents  # what downloads ask for fresh file URLs
    real_get = documents_area.get_document
    calls = []

    def get_then_let_the_url_expire(document_id):
        body = real_get(document_id)
        if not calls:
            opensign.control.advance_clock(minutes=16)  # past the 15-minute URL lifetime
        calls.append(document_id)
        return body

    monkeypatch.setattr(documents_area, "get_document", get_then_let_the_url_expire)
    saved = hook.download_signed_document(sent.document_id, tmp_path)
    assert len(calls) == 2
    downloads = opensign.control.requests(path="/opensign/files/")
    assert [r["status"] for r in downloads] == [403, 200]
    assert {r.get("auth_header") for r in downloads} == {None}  # the API token never goes to file URLs
    assert Path(saved).read_bytes()[:5] == b"%PDF-"


def test_a_download_that_is_not_a_pdf_writes_nothing(hook, send, opensign, tmp_path) -> None:
    sent = send()
    opensign.control.sign(sent.document_id, "ada@example.com")
    opensign.control.add_fault("malformed", path="/opensign/files/", times=1)
    with pytest.raises(OpenSignApiError, match="is not a PDF"):
        hook.download_signed_document(sent.document_id, tmp_path / "x.pdf")
    assert list(tmp_path.iterdir()) == []


def test_download_retries_follow_the_policy_and_never_quote_the_signed_url(
    hook, send, opensign, tmp_path, capfd
) -> None:
    sent = send()
    opensign.control.sign(sent.document_id, "ada@example.com")
    file_url = hook.get_document(sent.document_id)["file"]
    secret_part = file_url.split("/opensign/files/", 1)[1]
    opensign.control.add_fault("503", path="/opensign/files/", times=0)
    with pytest.raises(OpenSignApiError) as failed:
        hook.download_signed_document(sent.document_id, tmp_path)
    assert failed.value.status == 503 and "from 127.0.0.1 failed: HTTP 503" in str(failed.value)
    assert len(opensign.control.requests(path="/opensign/files/")) == 3  # QUICK_RETRIES.max_attempts
    opensign.control.clear_faults()
    opensign.control.add_fault("drop", path="/opensign/files/", times=0)
    with pytest.raises(SignsTransportError) as dropped:
        hook.download_signed_document(sent.document_id, tmp_path)
    out, err = capfd.readouterr()
    for text in (str(failed.value), str(dropped.value), out, err):
        assert secret_part not in text and "/opensign/files/" not in text
    assert list(tmp_path.iterdir()) == []


def test_a_plain_http_file_url_is_refused_naming_the_host_only() -> None:
    from signs_provider.opensign.client.downloads import check_download_url

    with pytest.raises(OpenSignApiError, match="scheme 'http', host 'files.example.com'") as refused:
        check_download_url("http://files.example.com/doc.pdf?X-Amz-Signature=abc123", "signed document")
    assert "abc123" not in str(refused.value)


def test_downloads_never_carry_the_api_token(hook) -> None:
    assert "x-api-token" in hook.transport.session.headers
    assert not any(k.lower() == "x-api-token" for k in hook.download_session.headers)


def test_download_into_an_object_storage_folder_that_does_not_exist_yet(
    hook, send, opensign, tmp_path
) -> None:
    """A URL ending in "/" is a folder, even where the store has no folder yet (S3 prefixes): both files
    land in it under their own names, rather than one overwriting the other at the folder's own key."""
    sent = send()
    opensign.control.sign(sent.document_id, "ada@example.com")
    folder = f"file://{tmp_path}/archive/2026-12-02/"
    signed = hook.download_signed_document(sent.document_id, folder)
    certificate = hook.download_certificate(sent.document_id, folder)
    assert signed.endswith(f"2026-12-02/{sent.document_id}-signed.pdf")
    assert certificate.endswith(f"2026-12-02/{sent.document_id}-certificate.pdf")
    assert sorted(p.name for p in (tmp_path / "archive" / "2026-12-02").iterdir()) == [
        f"{sent.document_id}-certificate.pdf",
        f"{sent.document_id}-signed.pdf",
    ]
