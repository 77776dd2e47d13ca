"""One status mapping for every spelling, signer progress from the audit trail, and wait decisions."""

from __future__ import annotations

import pytest

from signs_provider.opensign.status import (
    DocumentState,
    DocumentStatus,
    SignerProgress,
    evaluate_wait,
    signer_states,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("in-progress", DocumentStatus.IN_PROGRESS),
        ("inprogress", DocumentStatus.IN_PROGRESS),
        ("In Progress", DocumentStatus.IN_PROGRESS),
        ("IN_PROGRESS", DocumentStatus.IN_PROGRESS),
        ("draft", DocumentStatus.DRAFT),
        ("completed", DocumentStatus.COMPLETED),
        ("declined", DocumentStatus.DECLINED),
        ("revoked", DocumentStatus.DECLINED),
        ("expired", DocumentStatus.EXPIRED),
        ("archived", DocumentStatus.UNKNOWN),
        (None, DocumentStatus.UNKNOWN),
        (DocumentStatus.EXPIRED, DocumentStatus.EXPIRED),
    ],
)
def test_every_spelling_maps_to_one_status(raw, expected) -> None:
    assert DocumentStatus.parse(raw) is expected


def test_status_properties() -> None:
    assert DocumentStatus.IN_PROGRESS.doctype == "inprogress" and DocumentStatus.UNKNOWN.doctype is None
    assert [s for s in DocumentStatus if s.is_terminal] == [
        DocumentStatus.COMPLETED,
        DocumentStatus.DECLINED,
        DocumentStatus.EXPIRED,
    ]
    assert DocumentStatus.IN_PROGRESS.is_open and not DocumentStatus.DRAFT.is_open


def test_signer_progress_from_the_audit_trail() -> None:
    document = {
        "signers": [
            {"role": "Employee", "name": "Ada", "email": "Ada@example.com"},
            {"role": "HR", "name": "Grace", "email": "grace@example.com"},
            {"role": "CEO", "name": "Sam", "email": "sam@example.com"},
        ],
        "audit_trail": [
            {
                "email": "ada@example.com",
                "viewed": "2026-01-01T10:00:00.000Z",
                "signed": "2026-01-01T10:05:00.000Z",
            },
            {"email": "grace@example.com", "viewed": "2026-01-01T11:00:00.000Z", "signed": ""},
            {"email": "extra@example.com", "viewed": "", "signed": ""},
        ],
    }
    states = signer_states(document)
    assert [(s.email, s.role, s.progress) for s in states] == [
        ("Ada@example.com", "Employee", SignerProgress.SIGNED),
        ("grace@example.com", "HR", SignerProgress.VIEWED),
        ("sam@example.com", "CEO", SignerProgress.PENDING),
        ("extra@example.com", "", SignerProgress.PENDING),
    ]
    assert states[0].signed_at == "2026-01-01T10:05:00.000Z"
    state = DocumentState.from_document({"objectId": "D1", "status": "declined", "title": "NDA", **document})
    assert DocumentState.from_dict(state.as_dict()) == state
    assert (
        "declined" in state.describe()
        and "signed: Ada@example.com; not signed: grace@example.com" in state.describe()
    )


def _state(document_id: str, status: str, found: bool = True) -> DocumentState:
    return DocumentState(
        document_id=document_id, status=DocumentStatus.parse(status), title=document_id, found=found
    )


def test_wait_keeps_going_succeeds_or_fails() -> None:
    ids = ["a", "b"]
    waiting = evaluate_wait(ids, {"a": _state("a", "completed"), "b": _state("b", "in-progress")})
    assert not waiting.done and waiting.message == "1 of 2 document(s) still open"
    done = evaluate_wait(ids, {"a": _state("a", "completed"), "b": _state("b", "completed")})
    assert (
        done.done
        and not done.failed
        and done.result["completed"] == ["a", "b"]
        and done.result["problems"] == {}
    )
    failed = evaluate_wait(ids, {"a": _state("a", "declined"), "b": _state("b", "in-progress")})
    assert failed.done and failed.failed and "'a' (a) is declined" in failed.message
    gone = evaluate_wait(ids, {"a": DocumentState.not_found("a"), "b": _state("b", "completed")})
    assert (
        gone.failed
        and "was not found" in gone.message
        and gone.result["documents"]["a"]["status"] == "not-found"
    )
    reported = evaluate_wait(
        ids, {"a": _state("a", "expired"), "b": _state("b", "completed")}, failure_statuses=()
    )
    assert reported.done and not reported.failed
    assert (
        reported.result["expired"] == ["a"] and "time to complete passed" in reported.result["problems"]["a"]
    )
