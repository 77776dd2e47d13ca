"""The states of an OpenSign document and of each of its signers: one mapping for every spelling.

``GET /document/{id}`` spells the open state ``in-progress`` while ``documentlist/{doctype}`` spells it
``inprogress`` (reference ``opensign-api.md`` §6.1); both map to :attr:`DocumentStatus.IN_PROGRESS`.
Only ``in-progress``, ``declined`` and ``completed`` were measured on the real sandbox; ``draft`` and
``expired`` are [INFERRED] from the list doctypes. Anything else is :attr:`DocumentStatus.UNKNOWN`
rather than an error, so that a new state on OpenSign's side does not break a running DAG.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any


class DocumentStatus(str, enum.Enum):
    """Where a document stands. The value is the spelling of ``GET /document``'s ``status``."""

    DRAFT = "draft"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    DECLINED = "declined"  # also what a revoked document becomes
    EXPIRED = "expired"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: Any) -> DocumentStatus:
        """Map any spelling OpenSign uses (``in-progress``, ``inprogress``, ``In Progress``...)."""
        if isinstance(value, DocumentStatus):
            return value
        key = "".join(ch for ch in str(value or "").lower() if ch.isalnum())
        return _BY_KEY.get(key, cls.UNKNOWN)

    @property
    def doctype(self) -> str | None:
        """The ``documentlist/{doctype}`` that lists documents in this state (``None`` for unknown)."""
        return _DOCTYPES.get(self)

    @property
    def is_terminal(self) -> bool:
        """Whether the document can no longer change (nothing left to wait for)."""
        return self in (DocumentStatus.COMPLETED, DocumentStatus.DECLINED, DocumentStatus.EXPIRED)

    @property
    def is_open(self) -> bool:
        """Sent and waiting for signers."""
        return self is DocumentStatus.IN_PROGRESS


_BY_KEY = {
    "draft": DocumentStatus.DRAFT,
    "inprogress": DocumentStatus.IN_PROGRESS,
    "completed": DocumentStatus.COMPLETED,
    "declined": DocumentStatus.DECLINED,
    "revoked": DocumentStatus.DECLINED,  # OpenSign reports a revoked document as declined
    "expired": DocumentStatus.EXPIRED,
}
_DOCTYPES = {
    DocumentStatus.DRAFT: "draft",
    DocumentStatus.IN_PROGRESS: "inprogress",
    DocumentStatus.COMPLETED: "completed",
    DocumentStatus.DECLINED: "declined",
    DocumentStatus.EXPIRED: "expired",
}

#: Failure states a wait ends on by default.
UNSUCCESSFUL_STATUSES: tuple[DocumentStatus, ...] = (DocumentStatus.DECLINED, DocumentStatus.EXPIRED)
UNSUCCESSFUL_STATUS_NAMES: tuple[str, ...] = tuple(status.value for status in UNSUCCESSFUL_STATUSES)


class SignerProgress(str, enum.Enum):
    """Where one signer stands, derived from ``audit_trail`` (``signed`` > ``viewed`` > pending)."""

    PENDING = "pending"
    VIEWED = "viewed"
    SIGNED = "signed"


@dataclass(frozen=True)
class SignerState:
    """One signer of a document and how far they got. ``viewed_at``/``signed_at`` are ISO strings or ``""``."""

    email: str
    name: str
    role: str
    progress: SignerProgress
    viewed_at: str = ""
    signed_at: str = ""

    def as_dict(self) -> dict[str, str]:
        """JSON primitives (the progress as its value)."""
        out = asdict(self)
        out["progress"] = self.progress.value
        return out


def signer_states(document: Mapping[str, Any]) -> list[SignerState]:
    """Each signer's progress from a ``GET /document`` body, in the document's signer order.

    ``audit_trail`` entries are matched to signers by email (case-insensitive); a signer without an
    entry is pending. Entries for addresses that are not listed as signers are kept at the end.
    """
    trail: dict[str, Mapping[str, Any]] = {}
    for entry in _dicts(document.get("audit_trail")):
        email = str(entry.get("email") or "").strip()
        if email:
            trail[email.lower()] = entry
    states = []
    for signer in _dicts(document.get("signers")):
        email = str(signer.get("email") or "").strip()
        states.append(_state(email, signer, trail.pop(email.lower(), {})))
    for email, entry in trail.items():
        states.append(_state(str(entry.get("email") or email), {}, entry))
    return states


def _state(email: str, signer: Mapping[str, Any], entry: Mapping[str, Any]) -> SignerState:
    viewed = str(entry.get("viewed") or "")
    signed = str(entry.get("signed") or "")
    progress = (
        SignerProgress.SIGNED if signed else SignerProgress.VIEWED if viewed else SignerProgress.PENDING
    )
    return SignerState(
        email=email,
        name=str(signer.get("name") or ""),
        role=str(signer.get("role") or ""),
        progress=progress,
        viewed_at=viewed,
        signed_at=signed,
    )


def _dicts(value: Any) -> Iterable[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


@dataclass(frozen=True)
class DocumentState:
    """A document's state as one poll saw it.

    ``signers`` is filled only when the state came from ``GET /document`` (list items carry no audit
    trail); ``found`` is ``False`` when OpenSign answered 404 (deleted, or another environment's id).
    """

    document_id: str
    status: DocumentStatus
    title: str = ""
    updated_at: str = ""
    signers: tuple[SignerState, ...] = ()
    found: bool = True

    @classmethod
    def from_document(cls, body: Mapping[str, Any], document_id: str | None = None) -> DocumentState:
        """From a ``GET /document/{id}`` body."""
        return cls(
            document_id=str(body.get("objectId") or document_id or ""),
            status=DocumentStatus.parse(body.get("status")),
            title=str(body.get("title") or ""),
            updated_at=str(body.get("updatedAt") or ""),
            signers=tuple(signer_states(body)),
        )

    @classmethod
    def from_list_item(cls, item: Mapping[str, Any], status: DocumentStatus) -> DocumentState:
        """From a ``documentlist/{doctype}`` item, whose status is the list's."""
        return cls(
            document_id=str(item.get("objectId") or ""),
            status=status,
            title=str(item.get("title") or ""),
            updated_at=str(item.get("updatedAt") or ""),
        )

    @classmethod
    def not_found(cls, document_id: str) -> DocumentState:
        """A document OpenSign does not know (deleted, or another user's or environment's)."""
        return cls(document_id=document_id, status=DocumentStatus.UNKNOWN, found=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON primitives only (for trigger events and XCom)."""
        return {
            "document_id": self.document_id,
            "status": self.status.value,
            "title": self.title,
            "updated_at": self.updated_at,
            "signers": [s.as_dict() for s in self.signers],
            "found": self.found,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DocumentState:
        """Rebuild a state from :meth:`as_dict` (trigger arguments and events)."""
        return cls(
            document_id=str(data["document_id"]),
            status=DocumentStatus.parse(data.get("status")),
            title=str(data.get("title") or ""),
            updated_at=str(data.get("updated_at") or ""),
            signers=tuple(
                SignerState(
                    email=str(s.get("email") or ""),
                    name=str(s.get("name") or ""),
                    role=str(s.get("role") or ""),
                    progress=SignerProgress(s.get("progress") or "pending"),
                    viewed_at=str(s.get("viewed_at") or ""),
                    signed_at=str(s.get("signed_at") or ""),
                )
                for s in data.get("signers") or []
            ),
            found=bool(data.get("found", True)),
        )

    def describe(self) -> str:
        """One line for logs and error messages, e.g. ``'NDA' (x1) declined; signed: a@x; not signed: b@y``."""
        name = f"{self.title!r} ({self.document_id})" if self.title else self.document_id
        if not self.found:
            return f"{name} was not found (deleted, or created with another environment's token)"
        text = f"{name} is {self.status.value}"
        if self.status is DocumentStatus.DECLINED:
            # OpenSign's API does not return who declined or why; only the `declined` webhook has it.
            text += (
                " (declined by a signer or revoked; the reason is in the 'declined' webhook and the web app)"
            )
        elif self.status is DocumentStatus.EXPIRED:
            text += " (its time to complete passed before everybody signed)"
        if self.signers:
            signed = [s.email for s in self.signers if s.progress is SignerProgress.SIGNED]
            waiting = [s.email for s in self.signers if s.progress is not SignerProgress.SIGNED]
            text += f"; signed: {', '.join(signed) or 'nobody'}; not signed: {', '.join(waiting) or 'nobody'}"
        return text


@dataclass(frozen=True)
class WaitOutcome:
    """What a poll of many documents means for a wait: keep waiting, succeed, or fail (and why)."""

    done: bool
    failed: bool
    message: str
    result: dict[str, Any]


def evaluate_wait(
    document_ids: Sequence[str],
    states: Mapping[str, DocumentState],
    failure_statuses: Iterable[DocumentStatus | str] = UNSUCCESSFUL_STATUSES,
) -> WaitOutcome:
    """Decide a wait from the latest states.

    The wait fails as soon as a document is not found or reaches one of ``failure_statuses`` (there
    is nothing left to wait for once the task is bound to fail), and succeeds once every document
    has reached a terminal state. With ``failure_statuses=()`` declined and expired documents are
    outcomes to report rather than failures.
    """
    failing = {DocumentStatus.parse(s) for s in failure_statuses}
    seen = [states[i] for i in document_ids if i in states]
    problems = [s for s in seen if not s.found or s.status in failing]
    open_count = sum(1 for i in document_ids if i not in states or not states[i].status.is_terminal)
    result = wait_summary(document_ids, states)
    if problems:
        listed = "; ".join(s.describe() for s in problems)
        return WaitOutcome(
            True, True, f"{len(problems)} of {len(document_ids)} document(s) failed: {listed}", result
        )
    if open_count:
        return WaitOutcome(
            False, False, f"{open_count} of {len(document_ids)} document(s) still open", result
        )
    return WaitOutcome(True, False, f"all {len(document_ids)} document(s) finished", result)


def wait_summary(document_ids: Sequence[str], states: Mapping[str, DocumentState]) -> dict[str, Any]:
    """The small, JSON-serialisable result of a wait: each document's status and title, grouped ids
    per terminal status, and a sentence for every document that did not complete."""
    documents: dict[str, dict[str, str]] = {}
    grouped: dict[str, list[str]] = {"completed": [], "declined": [], "expired": []}
    problems: dict[str, str] = {}
    for document_id in document_ids:
        state = states.get(document_id)
        if state is None:
            documents[document_id] = {"status": DocumentStatus.UNKNOWN.value, "title": ""}
            continue
        status = state.status.value if state.found else "not-found"
        documents[document_id] = {"status": status, "title": state.title}
        if status in grouped:
            grouped[status].append(document_id)
        if state.status is not DocumentStatus.COMPLETED and (state.status.is_terminal or not state.found):
            problems[document_id] = state.describe()
    return {"documents": documents, **grouped, "problems": problems}
