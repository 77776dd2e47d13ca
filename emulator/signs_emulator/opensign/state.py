"""In-memory state of the emulated OpenSign accounts and the document state machine.

One :class:`Environment` per OpenSign environment (sandbox, live, eu), each a separate account with its
own token, contacts, folders, templates, documents, credits and webhook. Nothing here knows about HTTP;
routes translate requests into calls on these objects and :class:`ApiError` into OpenSign's responses.
"""

from __future__ import annotations

import hashlib
import random
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from .pdf import render_pdf

#: OpenSign's catch-all message for bad input, which never names the offending field.
SOMETHING_WENT_WRONG = "Something went wrong, please try again later!"

#: Document statuses as ``GET /document/{id}`` spells them. ``documentlist`` spells in-progress
#: ``inprogress`` (no hyphen) instead; see ``DOCTYPES``.
DRAFT, IN_PROGRESS, COMPLETED, DECLINED, EXPIRED = "draft", "in-progress", "completed", "declined", "expired"

#: Default of ``timeToCompleteDays`` (OSS ``DocumentAftersave.js``).
DEFAULT_TIME_TO_COMPLETE_DAYS = 15

#: Signer roles that must act (sign or approve) before a document is completed; ``viewer`` only views.
ACTING_SIGNER_ROLES = ("signer", "approver")

_ID_ALPHABET = string.ascii_letters + string.digits
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class ApiError(Exception):
    """An OpenSign error response: ``status`` with ``{key: message}`` plus any ``extra`` keys."""

    def __init__(self, status: int, message: str, *, key: str = "error", **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {key: message, **extra}


class ControlError(Exception):
    """A refused control-API action (e.g. signing a completed document), answered as ``{"error": ...}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def iso(moment: datetime | None) -> str:
    """OpenSign's API timestamp form, ``2023-10-07T16:49:56.000Z``; ``""`` for no timestamp."""
    if moment is None:
        return ""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def webhook_time(moment: datetime, offset_minutes: int) -> str:
    """Webhook timestamp in the account's time zone, e.g. ``Fri, 16 May 2025 15:02:42 GMT+5:30``.

    Deliberately not ISO 8601: OpenSign formats webhook times with the account's preferences and a named
    zone. English names are fixed here so the output does not depend on the process locale.
    """
    local = moment.astimezone(timezone.utc) + timedelta(minutes=offset_minutes)
    hours, minutes = divmod(abs(offset_minutes), 60)
    zone = "GMT"
    if offset_minutes:
        zone += ("+" if offset_minutes > 0 else "-") + str(hours) + (f":{minutes:02d}" if minutes else "")
    return (
        f"{_DAYS[local.weekday()]}, {local.day:02d} {_MONTHS[local.month - 1]} {local.year} "
        f"{local.strftime('%H:%M:%S')} {zone}"
    )


# ---------------------------------------------------------------------------------------------- model


@dataclass
class Contact:
    """An entry of the account's contact book."""

    id: str
    name: str
    email: str
    phone: str = ""
    company: str = ""
    job_title: str = ""
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    updated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    deleted_at: datetime | None = None


@dataclass
class Folder:
    """A folder of documents and templates (OpenSign stores these as documents of type Folder)."""

    id: str
    name: str
    parent_id: str = ""
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    updated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    deleted_at: datetime | None = None


@dataclass
class Signer:
    """A signer of a document, or a role placeholder of a template (then ``name``/``email`` may be empty)."""

    role: str
    email: str = ""
    name: str = ""
    phone: str = ""
    company: str = ""
    job_title: str = ""
    signer_role: str = "signer"
    access_code: str = ""
    widgets: list[dict[str, Any]] = field(default_factory=list)
    contact_id: str = ""
    viewed_at: datetime | None = None
    signed_at: datetime | None = None
    declined_at: datetime | None = None
    decline_reason: str = ""
    ip_address: str = ""
    responses: dict[str, Any] = field(default_factory=dict)

    @property
    def must_act(self) -> bool:
        """Whether the document waits for this signer (signers and approvers; not viewers)."""
        return self.signer_role in ACTING_SIGNER_ROLES

    @property
    def is_assigned(self) -> bool:
        """For template placeholders: a default signer is set (OSS needs both name and email)."""
        return bool(self.name and self.email)

    @property
    def progress(self) -> str:
        """``pending``, ``viewed``, ``signed`` or ``declined``."""
        if self.declined_at:
            return "declined"
        if self.signed_at:
            return "signed"
        if self.viewed_at:
            return "viewed"
        return "pending"

    def brief(self) -> dict[str, str]:
        """The ``{name, email, phone}`` form used in webhook payloads."""
        return {"name": self.name, "email": self.email, "phone": self.phone}


@dataclass
class Template:
    """A template: a file, role placeholders with widgets, and defaults for documents made from it."""

    id: str
    title: str
    file: bytes
    signers: list[Signer]
    options: dict[str, Any]
    note: str = ""
    description: str = ""
    folder_id: str = ""
    prefill: dict[str, Any] = field(default_factory=dict)
    kind: str = "template"  # "template", "draft" (drafttemplate) or "public" (publictemplate)
    file_version: int = 0
    created_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    updated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    deleted_at: datetime | None = None


@dataclass
class Document:
    """A document and its signing progress.

    Status is derived, never stored, so that expiry follows the shared emulator clock lazily: OSS web-app
    precedence is Completed > Declined > Draft (not sent yet) > Expired (now > expiry date) > In progress.
    """

    id: str
    title: str
    owner: str
    signers: list[Signer]
    options: dict[str, Any]
    files: list[bytes]  # [original, after 1st signature, after 2nd, ...]; ``file`` serves the last one
    created_at: datetime
    updated_at: datetime
    time_to_complete_days: float
    note: str = ""
    description: str = ""
    kind: str = "request-sign"  # "request-sign" or "self-sign"
    folder_id: str = ""
    template_id: str = ""
    prefill: dict[str, Any] = field(default_factory=dict)
    sent_at: datetime | None = None  # None while a draft (OSS: no SignedUrl yet)
    expires_at: datetime | None = None
    forced_expired_at: datetime | None = None
    completed_at: datetime | None = None
    declined_at: datetime | None = None
    declined_by: str = ""
    declined_reason: str = ""
    revoked_at: datetime | None = None
    deleted_at: datetime | None = None
    certificate: bytes | None = None
    mails: list[dict[str, str]] = field(default_factory=list)

    def status(self, now: datetime) -> str:
        """The status as ``GET /document/{id}`` reports it at ``now``."""
        if self.completed_at:
            return COMPLETED
        if self.declined_at:
            return DECLINED
        if self.sent_at is None:
            return DRAFT
        if self.forced_expired_at or (self.expires_at is not None and now > self.expires_at):
            return EXPIRED
        return IN_PROGRESS

    def signer(self, email: str) -> Signer | None:
        """The signer with ``email`` (case-insensitive), if any."""
        wanted = email.strip().lower()
        return next((s for s in self.signers if s.email.lower() == wanted), None)

    @property
    def file_version(self) -> int:
        return len(self.files) - 1


@dataclass
class Credits:
    """API credits: plan credits are spent first, then add-on credits; nothing is ever refunded."""

    plan: int
    addon: int
    renewal_date: datetime
    subscription: bool = True

    @property
    def total(self) -> int:
        return self.plan + self.addon

    def spend_one(self) -> None:
        """Take one credit for a created document, or raise OpenSign's errors (OSS semantics)."""
        if not self.subscription:
            raise ApiError(400, "Please purchase or renew your subscription.")
        if self.total <= 0:
            raise ApiError(429, "Quota reached, Please buy credits and try again later.")
        if self.plan > 0:
            self.plan -= 1
        else:
            self.addon -= 1


@dataclass
class WebhookDelivery:
    """One webhook POST: what was sent and how the receiver answered."""

    id: int
    env: str
    event: str
    document_id: str
    url: str
    body: bytes
    signature: str
    created_at: datetime
    status: str = "pending"  # "pending", "delivered" (2xx), "failed" (other status, timeout, error)
    http_status: int | None = None
    error: str = ""
    finished_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "env": self.env,
            "event": self.event,
            "document_id": self.document_id,
            "url": self.url,
            "status": self.status,
            "http_status": self.http_status,
            "error": self.error,
            "signature": self.signature,
            "body": self.body.decode(),
            "created_at": iso(self.created_at),
            "finished_at": iso(self.finished_at),
        }


# ------------------------------------------------------------------------------------------ account


class Environment:
    """One OpenSign environment: an account with its token and everything it owns."""

    def __init__(self, name: str, token: str, *, now: datetime, seed: dict[str, Any]) -> None:
        self.name = name
        self.token = token
        # Deterministic ids per environment, so a reset emulator hands out the same ids in the same order.
        self._rng = random.Random(f"opensign-emulator:{name}")
        self.user: dict[str, Any] = {"objectId": self.new_id(), **seed["user"], "created_at": now}
        self.credits = Credits(
            plan=seed["plan_credits"],
            addon=seed["addon_credits"],
            # [INFERRED] a monthly plan renewing 30 days after the account was set up.
            renewal_date=(now + timedelta(days=30)).replace(hour=0, minute=0, second=0, microsecond=0),
        )
        #: Minutes east of UTC of the account's time-zone preference, used for webhook timestamps.
        self.timezone_offset_minutes: int = seed["timezone_offset_minutes"]
        self.webhook_url: str = ""
        # The security key is generated in OpenSign's web UI only and never returned by the API; the
        # emulator derives a stable one per environment and exposes it on the control API.
        self.webhook_secret: str | None = hashlib.sha256(
            f"opensign-emulator-webhook:{name}".encode()
        ).hexdigest()
        self.contacts: dict[str, Contact] = {}
        self.folders: dict[str, Folder] = {}
        self.templates: dict[str, Template] = {}
        self.documents: dict[str, Document] = {}
        self.deliveries: list[WebhookDelivery] = []
        self._seed(seed, now)

    # -- ids and lookups --------------------------------------------------------------------------

    def new_id(self) -> str:
        """A fresh 10-character alphanumeric id like Parse's ``objectId``."""
        return "".join(self._rng.choice(_ID_ALPHABET) for _ in range(10))

    def contact(self, contact_id: str) -> Contact:
        found = self.contacts.get(contact_id)
        if found is None or found.deleted_at:
            raise ApiError(404, "Contact not found!")
        return found

    def contact_by_email(self, email: str) -> Contact | None:
        wanted = email.strip().lower()
        return next(
            (c for c in self.contacts.values() if not c.deleted_at and c.email.lower() == wanted), None
        )

    def folder(self, folder_id: str) -> Folder:
        found = self.folders.get(folder_id)
        if found is None or found.deleted_at:
            raise ApiError(404, "folder not found.")
        return found

    def template(self, template_id: str, *, missing: str = "Template not found!") -> Template:
        found = self.templates.get(template_id)
        if found is None or found.deleted_at:
            raise ApiError(404, missing)
        return found

    def document(self, document_id: str) -> Document:
        found = self.documents.get(document_id)
        if found is None or found.deleted_at:
            raise ApiError(404, "Document not found!")
        return found

    # -- contacts ---------------------------------------------------------------------------------

    def add_contact(
        self, now: datetime, *, name: str, email: str, phone: str = "", company: str = "", job_title: str = ""
    ) -> Contact:
        """Create a contact; 401 (OpenSign's code for a duplicate) if the email is already in the book."""
        existing = self.contact_by_email(email)
        if existing is not None:
            raise ApiError(401, "Contact already exists!", objectId=existing.id)
        contact = Contact(
            id=self.new_id(),
            name=name,
            email=email,
            phone=phone,
            company=company,
            job_title=job_title,
            created_at=now,
            updated_at=now,
        )
        self.contacts[contact.id] = contact
        return contact

    def upsert_signer_contact(self, signer: Signer, now: datetime) -> None:
        """Put a document signer into the contact book, reusing an existing entry (as OSS does)."""
        existing = self.contact_by_email(signer.email)
        if existing is None:
            existing = self.add_contact(
                now,
                name=signer.name,
                email=signer.email,
                phone=signer.phone,
                company=signer.company,
                job_title=signer.job_title,
            )
        signer.contact_id = existing.id

    # -- seed -------------------------------------------------------------------------------------

    def _seed(self, seed: dict[str, Any], now: datetime) -> None:
        for contact in seed["contacts"]:
            self.add_contact(now, **contact)
        for folder_name in seed["folders"]:
            folder = Folder(id=self.new_id(), name=folder_name, created_at=now, updated_at=now)
            self.folders[folder.id] = folder
        for spec in seed["templates"]:
            template = Template(
                id=self.new_id(),
                title=spec["title"],
                note=spec.get("note", ""),
                description=spec.get("description", ""),
                file=sample_pdf(spec["title"], spec.get("body", [])),
                signers=[Signer(**signer) for signer in spec["signers"]],
                options={**TEMPLATE_OPTION_DEFAULTS, **spec.get("options", {})},
                created_at=now,
                updated_at=now,
            )
            self.templates[template.id] = template


#: Defaults of the per-document settings OpenSign echoes back (names as in the API).
DOCUMENT_OPTION_DEFAULTS: dict[str, Any] = {
    "sendInOrder": True,
    "send_in_order_strict": False,
    "allow_offline_sign": False,
    "enableOTP": False,
    "enableTour": False,
    "redirect_url": "",
    "allow_modifications": False,
    "auto_reminder": False,
    "remind_once_in_every": 5,  # OSS default
    "merge_certificate": False,
    "notify_on_signatures": False,
    "pen_colors": ["blue", "red", "black"],
    "bcc": [],
    "cc": [],
    "send_email": True,
    "email_subject": "",
    "email_body": "",
    "sender_name": "",
    "sender_email": "",
    "hide_signer_signing_links": False,
}

#: Templates carry the same settings plus the expiry for documents made from them.
TEMPLATE_OPTION_DEFAULTS: dict[str, Any] = {
    **DOCUMENT_OPTION_DEFAULTS,
    "timeToCompleteDays": DEFAULT_TIME_TO_COMPLETE_DAYS,
}


def sample_pdf(title: str, body: list[str]) -> bytes:
    """A small one-page PDF used as the file of seeded templates."""
    return render_pdf([title, "", *body, "", "Sample file generated by the OpenSign emulator."], title=title)


def _signature_widget(page: int, x: int, y: int, name: str) -> dict[str, Any]:
    return {"type": "signature", "page": page, "x": x, "y": y, "w": 150, "h": 60, "options": {"name": name}}


def _text_widget(kind: str, x: int, y: int, name: str) -> dict[str, Any]:
    return {
        "type": kind,
        "page": 1,
        "x": x,
        "y": y,
        "w": 150,
        "h": 20,
        "options": {"name": name, "required": True, "color": "black", "fontsize": 12},
    }


def seed_for(env: str) -> dict[str, Any]:
    """The deterministic starting data of an environment's account."""
    user = {
        "sandbox": {"name": "Sam Sandbox", "email": "sam.sandbox@example.com"},
        "live": {"name": "Liv Owner", "email": "liv.owner@example.com"},
        "eu": {"name": "Eva Europa", "email": "eva.europa@example.eu"},
    }[env]
    credits = {"sandbox": (100, 0), "live": (15, 5), "eu": (20, 0)}[env]
    return {
        "user": {**user, "phone": "5550100200", "jobTitle": "Operations", "company": "Example Corp"},
        "plan_credits": credits[0],
        "addon_credits": credits[1],
        # Examples in OpenSign's webhook help page use IST; live uses UTC so both forms get exercised.
        "timezone_offset_minutes": {"sandbox": 330, "live": 0, "eu": 60}[env],
        "contacts": [
            {
                "name": "Ada Lovelace",
                "email": "ada@example.com",
                "phone": "5550100001",
                "company": "Analytical",
            },
            {"name": "Grace Hopper", "email": "grace@example.com", "phone": "5550100002", "company": "Navy"},
        ],
        "folders": ["Contracts"],
        "templates": [
            {
                "title": "Employment contract",
                "note": "Please review and sign your employment contract",
                "description": "Standard employment contract",
                "body": ["This employment contract is made between the Employee and the Company."],
                "signers": [
                    {
                        "role": "Employee",
                        "widgets": [
                            _signature_widget(1, 60, 650, "employee signature"),
                            _text_widget("name", 60, 600, "employee name"),
                            _text_widget("date", 300, 600, "start date"),
                        ],
                    },
                    {
                        "role": "HR",
                        "widgets": [
                            _signature_widget(1, 330, 650, "hr signature"),
                            _text_widget("job title", 330, 600, "hr job title"),
                        ],
                    },
                ],
            },
            {
                "title": "Mutual NDA",
                "note": "Please sign the NDA",
                "body": ["Both parties agree to keep each other's confidential information secret."],
                "signers": [
                    {
                        "role": "Counterparty",
                        "widgets": [_signature_widget(1, 60, 650, "counterparty signature")],
                    },
                    {
                        # A role with a default signer: documents from this template need no body signer for it.
                        "role": "Legal",
                        "name": user["name"],
                        "email": user["email"],
                        "widgets": [_signature_widget(1, 330, 650, "legal signature")],
                    },
                ],
                "options": {"timeToCompleteDays": 7},
            },
        ],
    }
