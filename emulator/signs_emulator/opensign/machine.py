"""The document state machine: send, view, sign, decline, revoke and expire.

Each transition checks that it is allowed, updates the document, regenerates files where a real signature
would change them, and returns the webhook events it causes, in order. Expiry itself needs no transition:
:meth:`Document.status` compares the expiry date with the emulator clock whenever a document is read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .pdf import render_pdf
from .state import (
    COMPLETED,
    DECLINED,
    DRAFT,
    IN_PROGRESS,
    ApiError,
    ControlError,
    Document,
    Environment,
    Signer,
    iso,
    webhook_time,
)


@dataclass
class Event:
    """A webhook event a transition caused; ``file_version`` is the file the event refers to."""

    name: str
    file_version: int
    extra: dict[str, Any] = field(default_factory=dict)


def send(doc: Document, env: Environment, now: datetime) -> list[Event]:
    """Send a document for signature (creation via the API, or a draft sent from the emulated web UI)."""
    if doc.status(now) != DRAFT:
        raise ControlError(409, f"document {doc.id} is {doc.status(now)}, only a draft can be sent")
    if not any(s.must_act for s in doc.signers):
        raise ControlError(409, f"document {doc.id} has no signer who signs or approves; add signers first")
    doc.sent_at = now
    doc.updated_at = now
    # OSS: ExpiryDate = createdAt + TimeToCompleteDays; a draft counts from when it is sent. [INFERRED]
    doc.expires_at = now + timedelta(days=doc.time_to_complete_days)
    for signer in doc.signers:
        env.upsert_signer_contact(signer, now)
    _mail_next_signers(doc, now)
    return [Event("created", doc.file_version)]


def view(
    doc: Document, signer: Signer, now: datetime, ip_address: str = "", offset_minutes: int = 0
) -> list[Event]:
    """The signer opens the signing page. Only the first view is recorded and announced. [INFERRED]"""
    status = doc.status(now)
    if status != IN_PROGRESS:
        raise ControlError(409, f"document {doc.id} is {status}; signers can only view documents in progress")
    if signer.viewed_at:
        return []
    signer.viewed_at = now
    signer.ip_address = signer.ip_address or ip_address
    doc.updated_at = now
    return [
        Event(
            "viewed",
            doc.file_version,
            {"viewedBy": signer.email, "viewedAt": webhook_time(now, offset_minutes)},
        )
    ]


def sign(
    doc: Document,
    signer: Signer,
    now: datetime,
    *,
    responses: dict[str, Any] | None = None,
    access_code: str = "",
    ip_address: str = "",
    offset_minutes: int = 0,
) -> list[Event]:
    """The signer signs (or an approver approves); completes the document when nobody is left."""
    status = doc.status(now)
    if status != IN_PROGRESS:
        raise ControlError(409, f"document {doc.id} is {status}; only a document in progress can be signed")
    if not signer.must_act:
        raise ControlError(409, f"{signer.email} is a viewer and cannot sign")
    if signer.signed_at:
        raise ControlError(409, f"{signer.email} has already signed document {doc.id}")
    if signer.access_code and access_code != signer.access_code:
        raise ControlError(
            403, f"{signer.email} needs the document's access code to sign (body: access_code)"
        )
    if doc.options.get("sendInOrder") and doc.options.get("send_in_order_strict"):
        # Measured: with strict order a later signer can view but not sign before the earlier ones.
        waiting_for = next(
            (s for s in doc.signers if s is not signer and s.must_act and not s.signed_at), None
        )
        if waiting_for is not None and doc.signers.index(waiting_for) < doc.signers.index(signer):
            raise ControlError(409, f"strict signing order: {waiting_for.email} has to sign first")
    events = view(doc, signer, now, ip_address, offset_minutes)
    signer.signed_at = now
    signer.ip_address = signer.ip_address or ip_address
    signer.responses = _responses(doc, signer, responses or {})
    doc.updated_at = now
    finished = all(s.signed_at for s in doc.signers if s.must_act)
    if finished:
        doc.completed_at = now
        doc.certificate = certificate_pdf(doc)
    doc.files.append(
        signed_pdf(doc, with_certificate=finished and bool(doc.options.get("merge_certificate")))
    )
    events.append(
        Event(
            "signed",
            doc.file_version,
            {"signer": signer.brief(), "signedAt": webhook_time(now, offset_minutes)},
        )
    )
    if finished:
        for address in [
            *(s.email for s in doc.signers),
            *doc.options.get("bcc", []),
            *doc.options.get("cc", []),
        ]:
            _mail(doc, address, f"Document {doc.title} has been signed by all parties", now)
        events.append(
            Event("completed", doc.file_version, {"completedAt": webhook_time(now, offset_minutes)})
        )
    else:
        _mail_next_signers(doc, now)
    return events


def decline(
    doc: Document, signer: Signer, reason: str, now: datetime, offset_minutes: int = 0
) -> list[Event]:
    """The signer declines with a reason; the whole document becomes ``declined``."""
    status = doc.status(now)
    if status != IN_PROGRESS:
        raise ControlError(409, f"document {doc.id} is {status}; only a document in progress can be declined")
    if not signer.must_act:
        raise ControlError(409, f"{signer.email} is a viewer and cannot decline")
    if signer.signed_at:
        raise ControlError(409, f"{signer.email} has already signed document {doc.id}")
    signer.declined_at = now
    signer.decline_reason = reason
    doc.declined_at = now
    doc.declined_by = signer.email
    doc.declined_reason = reason
    doc.updated_at = now
    return [_declined_event(doc, now, offset_minutes)]


def revoke(
    doc: Document, reason: str, owner_email: str, now: datetime, offset_minutes: int = 0
) -> list[Event]:
    """The owner revokes (``POST /document/{id}``): status ``declined``, and a ``declined`` webhook."""
    if doc.status(now) in (DRAFT, COMPLETED, DECLINED):
        # [INFERRED] only sent, unfinished documents can be revoked; the API does not document the refusal.
        raise ApiError(400, "Something went wrong, please try again later!")
    doc.revoked_at = now
    doc.declined_at = now
    # [INFERRED] the revoking owner is reported as the decliner; the revoke webhook is not shown.
    doc.declined_by = owner_email
    doc.declined_reason = reason
    doc.updated_at = now
    return [_declined_event(doc, now, offset_minutes)]


def expire(doc: Document, now: datetime) -> None:
    """Force expiry now (control API). No webhook: OpenSign documents no ``expired`` event."""
    status = doc.status(now)
    if status != IN_PROGRESS:
        raise ControlError(409, f"document {doc.id} is {status}; only a document in progress can expire")
    doc.forced_expired_at = now
    doc.expires_at = now
    doc.updated_at = now


def _declined_event(doc: Document, now: datetime, offset_minutes: int) -> Event:
    return Event(
        "declined",
        doc.file_version,
        {
            "declinedBy": doc.declined_by,
            "declinedReason": doc.declined_reason,
            "declinedAt": webhook_time(now, offset_minutes),
        },
    )


def _responses(doc: Document, signer: Signer, given: dict[str, Any]) -> dict[str, Any]:
    """What the signer filled in: given values, else widget defaults, else prefill, else empty."""
    prefill = {
        w.get("name") or (w.get("options") or {}).get("name"): (
            w.get("response") or (w.get("options") or {}).get("response")
        )
        for w in doc.prefill.get("widgets", [])
        if isinstance(w, dict)
    }
    filled: dict[str, Any] = {}
    for widget in signer.widgets:
        if widget["type"] in ("signature", "initials", "stamp", "image"):
            continue
        name = widget["options"].get("name") or widget["type"]
        if name in given:
            filled[name] = given[name]
        elif widget["type"] == "email":
            filled[name] = signer.email
        elif widget["type"] == "name":
            filled[name] = signer.name
        else:
            filled[name] = widget["options"].get("default", prefill.get(name, ""))
    return filled


def _mail(doc: Document, to: str, subject: str, now: datetime) -> None:
    if doc.options.get("send_email", True):
        doc.mails.append({"to": to, "subject": subject, "at": iso(now)})


def _mail_next_signers(doc: Document, now: datetime) -> None:
    """Signing-request mail: everyone at once, or with ``sendInOrder`` the next pending signer only."""
    pending = [s for s in doc.signers if not s.signed_at and not s.declined_at]
    if doc.options.get("sendInOrder"):
        acting = [s for s in pending if s.must_act]
        pending = acting[:1]
    already = {m["to"] for m in doc.mails}
    for signer in pending:
        if signer.email not in already:
            _mail(doc, signer.email, doc.options.get("email_subject") or f"Please sign {doc.title}", now)


def signed_pdf(doc: Document, *, with_certificate: bool = False) -> bytes:
    """The "signed" file: names the document, the original file's fingerprint and who signed when."""
    original = doc.files[0]
    lines = [
        f"Signed copy of: {doc.title}",
        f"Document ID: {doc.id}",
        f"Original file: {len(original)} bytes, SHA-256 {hashlib.sha256(original).hexdigest()}",
        "",
        "Signatures:",
    ]
    for signer in doc.signers:
        if signer.signed_at:
            lines.append(
                f"  {signer.name} <{signer.email}> ({signer.role or signer.signer_role}) signed {iso(signer.signed_at)}"
            )
    lines += ["", "Generated by the OpenSign emulator; this is not a legally binding signature."]
    if with_certificate:
        lines += ["\f", *_certificate_lines(doc)]
    return render_pdf(lines, title=f"{doc.title} (signed)")


def certificate_pdf(doc: Document) -> bytes:
    """The completion certificate of a completed document."""
    return render_pdf(_certificate_lines(doc), title=f"Certificate of completion: {doc.title}")


def _certificate_lines(doc: Document) -> list[str]:
    lines = [
        "Certificate of Completion",
        "",
        f"Document: {doc.title}",
        f"Document ID: {doc.id}",
        f"Owner: {doc.owner}",
        f"Created: {iso(doc.created_at)}",
        f"Completed: {iso(doc.completed_at)}",
        "",
        "Signers:",
    ]
    for signer in doc.signers:
        lines += [
            f"  {signer.name} <{signer.email}> role {signer.role or '-'} ({signer.signer_role})",
            f"    viewed {iso(signer.viewed_at) or '-'}, signed {iso(signer.signed_at) or '-'}, "
            f"IP {signer.ip_address or '-'}",
        ]
    return lines
