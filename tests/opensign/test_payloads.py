"""Building create requests: the marker, the PDF reader, the streamed body, widget and template checks."""

from __future__ import annotations

import base64
import json

import pytest

from signs_provider.common.errors import SignsConfigError
from signs_provider.opensign.client.payloads import (
    DOCUMENT_OPTIONS,
    PdfFile,
    StreamedJsonBody,
    carries_marker,
    check_options,
    idempotency_marker,
    validate_prefill,
    validate_template_signers,
    with_marker,
)
from tests.opensign.conftest import make_pdf


def test_marker_is_stable_per_task_instance_and_differs_between_them() -> None:
    first = idempotency_marker("dag", "send", "run1", 0)
    assert first == idempotency_marker("dag", "send", "run1", 0)
    assert first.startswith("af-") and len(first) == 23
    others = {
        idempotency_marker("dag", "send", "run1", 1),
        idempotency_marker("dag", "send", "run2", 0),
        idempotency_marker("dag", "other", "run1", 0),
        idempotency_marker("dag2", "send", "run1", 0),
    }
    assert first not in others and len(others) == 4
    assert idempotency_marker("dag", "send", "run1", None) == idempotency_marker("dag", "send", "run1", -1)


def test_marker_in_text() -> None:
    assert with_marker("", "af-1") == "[af-1]"
    assert with_marker("Please sign", "af-1") == "Please sign [af-1]"
    assert with_marker("Please sign [af-1]", "af-1") == "Please sign [af-1]"
    assert carries_marker({"note": "x [af-1]"}, "af-1") and carries_marker({"title": "T [af-1]"}, "af-1")
    assert not carries_marker({"note": "x", "title": "y"}, "af-1")


@pytest.mark.parametrize("size", [0, 1, 2, 3, 196607, 196608, 196609, 600_001])
def test_streamed_body_is_the_json_with_the_base64_file(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    fields = {
        "title": "Zoë's contract",
        "signers": [{"name": "A", "email": "a@example.com"}],
        "send_email": False,
    }
    body = StreamedJsonBody(fields, PdfFile(data))
    raw = b"".join(body)
    assert len(raw) == len(body)
    decoded = json.loads(raw)
    assert base64.b64decode(decoded.pop("file")) == data
    assert decoded == fields


def test_streamed_body_reads_a_file_in_chunks_that_encode_cleanly(tmp_path) -> None:
    path = tmp_path / "big.pdf"
    data = b"%PDF-1.7\n" + b"x" * 1_000_000
    path.write_bytes(data)
    pdf = PdfFile(path)
    chunks = list(pdf.chunks())
    assert b"".join(chunks) == data
    assert all(len(c) % 3 == 0 for c in chunks[:-1]) and max(map(len, chunks)) < 300_000
    assert b"".join(StreamedJsonBody({}, pdf)) == b'{"file":"' + base64.b64encode(data) + b'"}'


def test_a_file_that_changes_while_sent_is_detected(tmp_path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(make_pdf())
    body = StreamedJsonBody({"title": "t"}, PdfFile(path))
    path.write_bytes(make_pdf(pages=2))
    with pytest.raises(SignsConfigError, match="changed size while it was being sent"):
        b"".join(body)


def test_page_count() -> None:
    assert PdfFile(make_pdf(pages=3)).page_count() == 3
    compressed = b"%PDF-1.5\n1 0 obj<</Type/ObjStm/N 3>>stream\n...\nendstream endobj"
    assert PdfFile(compressed).page_count() is None


def test_pdf_source_kinds(tmp_path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(make_pdf())
    assert PdfFile(str(path)).size == PdfFile(f"file://{path}").size == PdfFile(path.read_bytes()).size
    with pytest.raises(SignsConfigError, match="file: expected a local path, an ObjectStoragePath or bytes"):
        PdfFile(42)  # type: ignore[arg-type]
    with pytest.raises(SignsConfigError, match="is a directory"):
        PdfFile(tmp_path).validate()


def test_options_and_prefill_checks() -> None:
    assert check_options({"send_email": False, "cc": None}, DOCUMENT_OPTIONS, field="options") == {
        "send_email": False
    }
    with pytest.raises(SignsConfigError, match="options: expected a mapping"):
        check_options(["send_email"], DOCUMENT_OPTIONS, field="options")  # type: ignore[arg-type]
    assert validate_prefill(None, by_name=True) is None
    with pytest.raises(SignsConfigError, match=r"prefill\.widgets\[0\]: a template prefill is"):
        validate_prefill({"widgets": [{"name": "x"}]}, by_name=True)
    with pytest.raises(SignsConfigError, match="prefill: expected"):
        validate_prefill({"widget": []}, by_name=False)


def test_template_roles_with_a_default_signer_need_no_body_signer() -> None:
    template = {
        "objectId": "T1",
        "signers": [
            {"role": "Client", "widgets": [{"type": "signature", "options": {"name": "sig"}}]},
            {"role": "Legal", "name": "Sam", "email": "sam@example.com", "widgets": []},
        ],
    }
    signers = validate_template_signers(
        template, [{"role": "Client", "name": " Ada ", "email": "ada@example.com"}]
    )
    assert signers == [{"role": "Client", "name": "Ada", "email": "ada@example.com"}]
    with pytest.raises(SignsConfigError, match=r"signers\[1\]\.role: 'Client' is also signers\[0\]"):
        validate_template_signers(template, [{"role": "Client", "name": "A", "email": "a@example.com"}] * 2)


def test_one_inspection_reads_size_pages_and_page_size() -> None:
    facts = PdfFile(make_pdf(pages=3)).inspect()
    assert facts.size > 0 and facts.pages == 3 and facts.page_size == (595.0, 842.0)
    mixed = b"%PDF-1.4\n/Type /Page /MediaBox [0 0 595 842]\n/Type /Page /MediaBox [0 0 612 792]\n"
    assert PdfFile(mixed).inspect().page_size is None  # pages of different sizes
    with pytest.raises(SignsConfigError, match="is not a PDF"):
        PdfFile(b"GIF89a...").inspect()
    with pytest.raises(SignsConfigError, match="is empty"):
        PdfFile(b"").inspect()
