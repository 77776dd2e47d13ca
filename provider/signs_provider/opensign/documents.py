"""Building OpenSign create requests: the PDF, signers and widgets, the idempotency marker, the body.

Everything here runs before a request is sent. OpenSign answers almost every input problem with one
catch-all 400 that never names the field (reference ``opensign-api.md`` §1.3), so the checks here name
the field and the fix instead, and a document that would be refused never costs a round trip.

The file goes out as base64 inside a JSON body. :class:`StreamedJsonBody` encodes it chunk by chunk
while the request is being sent, so a 10 MB PDF is never held in memory as bytes, base64 and JSON at
once.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from signs_provider.common.errors import SignsConfigError

if TYPE_CHECKING:
    from typing import TypeAlias

    from airflow.sdk import ObjectStoragePath

    PdfInput: TypeAlias = str | os.PathLike[str] | ObjectStoragePath | bytes | bytearray | memoryview
else:
    PdfInput = Any

#: Largest file OpenSign's cloud accepts, counted on the decoded PDF (measured: 9.4 MB accepted,
#: 12 MB refused with "File too large. Max allowed file size is 10 MB"). [INFERRED] 10 MiB rather
#: than 10^7 bytes; both fit the measurement.
MAX_FILE_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"

#: Widget types of API v1.2 (note the spaces in "job title" and "radio button").
WIDGET_TYPES = frozenset(
    {
        "signature",
        "stamp",
        "initials",
        "email",
        "name",
        "job title",
        "company",
        "date",
        "textbox",
        "checkbox",
        "dropdown",
        "radio button",
        "image",
        "number",
        "cells",
        "attachments",
    }
)
#: Widgets whose value the signer draws; a template override cannot preset them.
DRAWN_WIDGET_TYPES = frozenset({"signature", "stamp", "initials", "image"})
SIGNER_ROLES = ("signer", "viewer", "approver")

#: Settings accepted next to ``file``/``title``/``signers`` when creating a document (API names).
DOCUMENT_OPTIONS = frozenset(
    {
        "file_password",
        "description",
        "timeToCompleteDays",
        "folderId",
        "send_email",
        "email_subject",
        "email_body",
        "sendInOrder",
        "send_in_order_strict",
        "allow_offline_sign",
        "enableOTP",
        "enableTour",
        "redirect_url",
        "sender_name",
        "sender_email",
        "allow_modifications",
        "auto_reminder",
        "remind_once_in_every",
        "merge_certificate",
        "notify_on_signatures",
        "pen_colors",
        "bcc",
        "cc",
        "prefill",
    }
)
DRAFT_DOCUMENT_OPTIONS = DOCUMENT_OPTIONS | {"hide_signer_signing_links"}
#: Overrides of ``POST /createdocument/{template_id}``; ``file`` replaces the template's PDF.
TEMPLATE_DOCUMENT_OPTIONS = (DOCUMENT_OPTIONS - {"description"}) | {"file_password"}
#: Settings of ``POST /createtemplate`` (and drafttemplate/publictemplate) next to file/title/note/signers.
TEMPLATE_OPTIONS = DOCUMENT_OPTIONS - {"folderId", "send_email", "email_subject", "email_body"}
#: Keys ``PUT /document/{id}`` accepts (anything else makes OpenSign refuse the whole update).
DOCUMENT_UPDATE_FIELDS = frozenset(
    {
        "name",
        "note",
        "description",
        "folderId",
        "enableOTP",
        "enableTour",
        "allow_modifications",
        "send_in_order_strict",
        "redirect_url",
        "auto_reminder",
        "remind_once_in_every",
        "notify_on_signatures",
        "pen_colors",
        "bcc",
        "cc",
    }
)
TEMPLATE_UPDATE_FIELDS = DOCUMENT_UPDATE_FIELDS | {"file", "file_password", "allow_offline_sign"}

_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
# A page object ("/Type /Page", not "/Type /Pages"), for counting the pages of uncompressed PDFs.
_PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_MEDIA_BOX = re.compile(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]")
#: Largest page side a PDF allows (ISO 32000: 14 400 units), the bound when the page size is unknown.
PDF_MAX_PAGE_POINTS = 14400.0
_CHUNK = 3 * 64 * 1024  # a multiple of 3, so chunks base64-encode without padding in between


# ------------------------------------------------------------------------------------ idempotency

#: Documents sent by this provider carry a marker unique to the task run that sent them, so that a
#: retry (of a request or of the task) can find a document an earlier attempt created. It goes into a
#: field that ``documentlist`` returns (list items have ``title`` and ``note``, not ``description``):
#: ``note`` for direct creates, where OpenSign documents it; ``title`` for creates from a template,
#: whose documented body has a ``title`` override but no ``note``. Each choice is this one line.
MARKER_FIELD = "note"
TEMPLATE_MARKER_FIELD = "title"
MARKER_PREFIX = "af-"


def idempotency_marker(dag_id: str, task_id: str, run_id: str, map_index: int | None = -1) -> str:
    """A short marker, the same for every attempt of one task instance and unique across them.

    >>> idempotency_marker("contracts", "send", "manual__2026-01-01", 3)
    'af-bdb345b8c980b224e122'
    """
    key = json.dumps([dag_id, task_id, run_id, -1 if map_index is None else map_index])
    return MARKER_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:20]


def with_marker(text: str, marker: str) -> str:
    """``text`` with the marker appended (kept when the text already carries it)."""
    if marker in text:
        return text
    return f"{text} [{marker}]" if text else f"[{marker}]"


def carries_marker(item: Mapping[str, Any], marker: str) -> bool:
    """Whether a document (a list item or ``GET /document`` body) was sent with ``marker``."""
    return any(
        marker in str(item.get(key) or "") for key in {MARKER_FIELD, TEMPLATE_MARKER_FIELD, "title", "name"}
    )


# ------------------------------------------------------------------------------------------- PDF


class PdfFile:
    """A PDF to send, given as a local path, an ``ObjectStoragePath`` or bytes; read lazily.

    A string containing ``://`` is taken as an ``ObjectStoragePath`` URL (``s3://bucket/a.pdf``,
    ``file:///tmp/a.pdf``); any other string is a local path.
    """

    def __init__(self, source: PdfInput, *, field: str = "file") -> None:
        self.field = field
        self._bytes: memoryview | None = None
        self._path: Any = None
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._bytes = memoryview(source).cast("B")
        elif isinstance(source, str) and "://" in source:
            from airflow.sdk import ObjectStoragePath

            self._path = ObjectStoragePath(source)
        elif isinstance(source, (str, os.PathLike)):
            self._path = Path(source).expanduser()
        elif hasattr(source, "open") and hasattr(source, "stat"):  # ObjectStoragePath or another UPath
            self._path = source
        else:
            raise SignsConfigError(
                f"{field}: expected a local path, an ObjectStoragePath or bytes, got {type(source).__name__}."
            )

    @property
    def name(self) -> str:
        """How the file is named in messages: its path, or ``bytes``."""
        return "bytes" if self._path is None else str(self._path)

    def open(self) -> BinaryIO:
        """A fresh binary reader over the file."""
        if self._bytes is not None:
            return io.BytesIO(self._bytes)  # shares the buffer until written to
        try:
            return self._path.open("rb")
        except FileNotFoundError:
            raise SignsConfigError(f"{self.field}: {self.name} does not exist.") from None
        except IsADirectoryError:
            raise SignsConfigError(f"{self.field}: {self.name} is a directory, not a PDF file.") from None

    @property
    def size(self) -> int:
        """Size in bytes, without reading the file."""
        if self._bytes is not None:
            return self._bytes.nbytes
        if "_size" not in self.__dict__:
            try:
                stat = self._path.stat()
            except FileNotFoundError:
                raise SignsConfigError(f"{self.field}: {self.name} does not exist.") from None
            self.__dict__["_size"] = int(stat.st_size)
        return int(self.__dict__["_size"])

    def chunks(self, size: int = _CHUNK) -> Iterator[bytes]:
        """The file's bytes in chunks of exactly ``size`` (the last one may be shorter)."""
        if self._bytes is not None:
            for start in range(0, self._bytes.nbytes, size):
                yield bytes(self._bytes[start : start + size])
            return
        with self.open() as handle:
            pending = b""
            while True:
                block = handle.read(size - len(pending))
                if not block:
                    break
                pending += block
                if len(pending) == size:
                    yield pending
                    pending = b""
            if pending:
                yield pending

    def validate(self) -> None:
        """Check the magic bytes and OpenSign's size limit; raise naming :attr:`field`."""
        size = self.size
        if size == 0:
            raise SignsConfigError(f"{self.field}: {self.name} is empty. Give the PDF to send.")
        if size > MAX_FILE_BYTES:
            raise SignsConfigError(
                f"{self.field}: {self.name} is {size / 2**20:.1f} MB; OpenSign accepts at most "
                f"{MAX_FILE_BYTES / 2**20:.0f} MB per file. Compress the PDF or split it."
            )
        with self.open() as handle:
            head = handle.read(len(PDF_MAGIC))
        if head != PDF_MAGIC:
            raise SignsConfigError(
                f"{self.field}: {self.name} is not a PDF (it starts with {head!r}, not {PDF_MAGIC!r}). "
                "OpenSign's API accepts PDF files only; convert images and Word files to PDF first."
            )

    def page_count(self) -> int | None:
        """Pages of a PDF whose page objects are readable without decompressing; else ``None``."""
        if "_pages" in self.__dict__:
            return self.__dict__["_pages"]
        count, tail, compressed = 0, b"", False
        for chunk in self.chunks():
            window = tail + chunk
            # Count matches that end in the new data only, so a match in the overlap is counted once.
            count += sum(1 for m in _PAGE_OBJECT.finditer(window) if m.end() > len(tail))
            compressed = compressed or b"/ObjStm" in window
            tail = window[-32:]
        pages = None if compressed or count == 0 else count
        self.__dict__["_pages"] = pages
        return pages

    def page_size(self) -> tuple[float, float] | None:
        """Width and height in points when every readable ``/MediaBox`` agrees; else ``None``.

        Read like :meth:`page_count` (uncompressed objects only); pages of different sizes give
        ``None``, and widgets are then only checked against the PDF maximum.
        """
        if "_page_size" in self.__dict__:
            return self.__dict__["_page_size"]
        boxes: set[tuple[float, float]] = set()
        tail, compressed = b"", False
        for chunk in self.chunks():
            window = tail + chunk
            for m in _MEDIA_BOX.finditer(window):
                if m.end() > len(tail):
                    try:
                        x0, y0, x1, y1 = (float(v) for v in m.groups())
                    except ValueError:
                        continue
                    boxes.add((abs(x1 - x0), abs(y1 - y0)))
            compressed = compressed or b"/ObjStm" in window
            tail = window[-80:]
        size = boxes.pop() if len(boxes) == 1 and not compressed else None
        self.__dict__["_page_size"] = size
        return size


class StreamedJsonBody:
    """A JSON object whose ``file`` member is a PDF base64-encoded while it is sent.

    Iterating yields the body in pieces; ``len()`` is the exact byte length, so the request carries a
    ``Content-Length`` rather than chunked encoding. Create a new instance for each attempt.
    """

    def __init__(self, fields: Mapping[str, Any], pdf: PdfFile, *, key: str = "file") -> None:
        rest = json.dumps(
            {k: v for k, v in fields.items() if k != key}, separators=(",", ":"), ensure_ascii=False
        )
        self._head = f'{{"{key}":"'.encode()
        self._tail = ('"' + ("," + rest[1:] if rest != "{}" else "}")).encode()
        self._pdf = pdf
        self._size = pdf.size

    def __len__(self) -> int:
        return len(self._head) + 4 * math.ceil(self._size / 3) + len(self._tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        sent = 0
        for chunk in self._pdf.chunks():
            sent += len(chunk)
            yield base64.b64encode(chunk)
        if sent != self._size:
            # The Content-Length already went out; a changed file would corrupt the request.
            raise SignsConfigError(
                f"{self._pdf.field}: {self._pdf.name} changed size while it was being sent "
                f"({self._size} then {sent} bytes)."
            )
        yield self._tail


# --------------------------------------------------------------------------------------- signers


def is_email(value: Any) -> bool:
    """Whether ``value`` looks like one email address (no lists, no display names)."""
    return isinstance(value, str) and bool(_EMAIL.match(value.strip()))


def check_options(
    options: Mapping[str, Any] | None, allowed: frozenset[str], *, field: str
) -> dict[str, Any]:
    """The settings as a dict, refusing unknown keys (OpenSign would ignore or refuse them silently)."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise SignsConfigError(
            f"{field}: expected a mapping of OpenSign settings, got {type(options).__name__}."
        )
    unknown = sorted(key for key in options if key not in allowed)
    if unknown:
        raise SignsConfigError(
            f"{field}: unknown setting(s) {', '.join(map(repr, unknown))}. Use the API's names, one of: "
            f"{', '.join(sorted(allowed))}."
        )
    return {key: value for key, value in options.items() if value is not None}


def validate_signers(
    signers: Any,
    *,
    page_count: int | None = None,
    page_size: tuple[float, float] | None = None,
    require_widgets: bool = True,
    field: str = "signers",
) -> list[dict[str, Any]]:
    """Check direct-document signers and return clean copies (names and emails stripped).

    Every signer needs a ``name`` and a valid ``email``, emails are unique, ``signer_role`` is one of
    ``signer`` (default; needs at least one ``signature`` widget), ``approver`` (no signature widget)
    or ``viewer`` (no widgets), and at least one person signs or approves. ``require_widgets=False``
    (drafts) checks the shape only.
    """
    if not isinstance(signers, Sequence) or isinstance(signers, (str, bytes)) or not signers:
        raise SignsConfigError(
            f"{field}: give a non-empty list of signers, e.g. [{{'name': ..., 'email': ...}}]."
        )
    clean: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(signers):
        where = f"{field}[{i}]"
        if not isinstance(raw, Mapping):
            raise SignsConfigError(
                f"{where}: expected a mapping with name and email, got {type(raw).__name__}."
            )
        signer = dict(raw)
        name = str(signer.get("name") or "").strip()
        if not name:
            raise SignsConfigError(f"{where}.name: missing. OpenSign needs each signer's name.")
        email = signer.get("email")
        if not is_email(email):
            raise SignsConfigError(f"{where}.email: {email!r} is not an email address.")
        email = str(email).strip()
        if email.lower() in seen:
            raise SignsConfigError(
                f"{where}.email: {email} is also {field}[{seen[email.lower()]}]; each signer needs their own email."
            )
        seen[email.lower()] = i
        signer_role = signer.get("signer_role") or "signer"
        if signer_role not in SIGNER_ROLES:
            raise SignsConfigError(
                f"{where}.signer_role: {signer_role!r} is not one of {', '.join(SIGNER_ROLES)}."
            )
        widgets = validate_widgets(
            signer.get("widgets") or [], page_count=page_count, page_size=page_size, field=f"{where}.widgets"
        )
        if require_widgets:
            _check_role_widgets(signer_role, widgets, where)
        signer.update(name=name, email=email, widgets=widgets)
        if "signer_role" in raw or signer_role != "signer":
            signer["signer_role"] = signer_role
        clean.append(signer)
    if require_widgets and not any((s.get("signer_role") or "signer") != "viewer" for s in clean):
        raise SignsConfigError(f"{field}: everybody is a viewer; at least one person must sign or approve.")
    return clean


def _check_role_widgets(signer_role: str, widgets: list[dict[str, Any]], where: str) -> None:
    signatures = sum(1 for w in widgets if w["type"] == "signature")
    if signer_role == "signer" and not signatures:
        raise SignsConfigError(
            f"{where}.widgets: a signer needs at least one 'signature' widget, e.g. "
            "{'type': 'signature', 'page': 1, 'x': 60, 'y': 700, 'w': 150, 'h': 50}. "
            "Use signer_role 'viewer' for someone who only receives the document."
        )
    if signer_role == "approver" and signatures:
        raise SignsConfigError(f"{where}.widgets: an approver cannot have a 'signature' widget.")
    if signer_role == "viewer" and widgets:
        raise SignsConfigError(f"{where}.widgets: a viewer cannot have widgets; remove them or use 'signer'.")


def validate_widgets(
    widgets: Any, *, page_count: int | None, field: str, page_size: tuple[float, float] | None = None
) -> list[dict[str, Any]]:
    """Check widget types, pages (1-based) and coordinates (PDF points from the top-left corner).

    A widget must lie on the page: within ``page_size`` when known, else within the largest page a
    PDF allows. Off the page, nobody could sign it, and the credit would be spent all the same.
    """
    width, height = page_size or (PDF_MAX_PAGE_POINTS, PDF_MAX_PAGE_POINTS)
    where_size = (
        f"the page ({width:g} x {height:g} points)" if page_size else f"any PDF page ({width:g} points)"
    )
    if not isinstance(widgets, Sequence) or isinstance(widgets, (str, bytes)):
        raise SignsConfigError(f"{field}: expected a list of widgets, got {type(widgets).__name__}.")
    clean = []
    for j, raw in enumerate(widgets):
        where = f"{field}[{j}]"
        if not isinstance(raw, Mapping):
            raise SignsConfigError(f"{where}: expected a mapping with type, page, x and y.")
        widget = dict(raw)
        kind = widget.get("type")
        if kind not in WIDGET_TYPES:
            raise SignsConfigError(
                f"{where}.type: {kind!r} is not a widget type; use one of {', '.join(sorted(WIDGET_TYPES))}."
            )
        page = widget.get("page", 1)
        if not isinstance(page, int) or isinstance(page, bool) or page < 1:
            raise SignsConfigError(f"{where}.page: {page!r} is not a page number; pages count from 1.")
        if page_count is not None and page > page_count:
            raise SignsConfigError(f"{where}.page: {page} is past the last page of the PDF ({page_count}).")
        for axis in ("x", "y"):
            if not _is_number(widget.get(axis)) or widget[axis] < 0:
                raise SignsConfigError(
                    f"{where}.{axis}: {widget.get(axis)!r} is not a coordinate; use PDF points (>= 0) from "
                    "the top-left corner of the page (A4 is 595 x 842)."
                )
        for extent in ("w", "h"):
            if extent in widget and (not _is_number(widget[extent]) or widget[extent] <= 0):
                raise SignsConfigError(
                    f"{where}.{extent}: {widget[extent]!r} must be a positive size in points."
                )
        for axis, extent, limit in (("x", "w", width), ("y", "h", height)):
            far = widget[axis] + widget.get(extent, 0)
            if far > limit:
                raise SignsConfigError(
                    f"{where}.{axis}: {widget[axis]!r}{f' + {extent} {widget[extent]!r}' if extent in widget else ''} "
                    f"reaches {far:g}, past the edge of {where_size}. Measure from the top-left corner "
                    "in points (A4 is 595 x 842)."
                )
        options = widget.get("options")
        if options is not None and not isinstance(options, Mapping):
            raise SignsConfigError(f"{where}.options: expected a mapping, got {type(options).__name__}.")
        widget["page"] = page
        clean.append(widget)
    return clean


def validate_placeholders(signers: Any, pdf: PdfFile) -> list[dict[str, Any]]:
    """Template roles: a unique ``role`` each, widgets checked like a document's, optional default signer."""
    if not isinstance(signers, Sequence) or isinstance(signers, (str, bytes)) or not signers:
        raise SignsConfigError(
            "signers: give a non-empty list of roles, e.g. [{'role': 'Employee', 'widgets': [...]}]."
        )
    roles: dict[str, int] = {}
    pages = pdf.page_count()
    clean = []
    for i, raw in enumerate(signers):
        if not isinstance(raw, Mapping) or not str(raw.get("role") or "").strip():
            raise SignsConfigError(
                f"signers[{i}].role: missing. Each template signer is a role, e.g. 'Employee'."
            )
        role = str(raw["role"]).strip()
        if role.lower() in roles:
            raise SignsConfigError(f"signers[{i}].role: {role!r} is also signers[{roles[role.lower()]}].")
        roles[role.lower()] = i
        if raw.get("email") and not is_email(raw["email"]):
            raise SignsConfigError(f"signers[{i}].email: {raw['email']!r} is not an email address.")
        placeholder = dict(raw)
        placeholder["role"] = role
        # Reuse the document checks for widgets and the signature rule (name/email may be absent here).
        checked = validate_signers(
            [
                {
                    **placeholder,
                    "name": placeholder.get("name") or role,
                    "email": placeholder.get("email") or "x@example.com",
                }
            ],
            page_count=pages,
            page_size=pdf.page_size() if pages else None,
            field=f"signers[{i}]",
        )[0]
        placeholder["widgets"] = checked["widgets"]
        clean.append(placeholder)
    return clean


def validate_template_signers(
    template: Mapping[str, Any], signers: Any, *, field: str = "signers"
) -> list[dict[str, Any]]:
    """Check signers for ``POST /createdocument/{template_id}`` against the template's roles.

    Each signer names a ``role`` of the template (exact spelling), no role twice; every role without a
    default signer in the template gets one; widget overrides name widgets of that role and do not
    touch drawn widgets (signature, stamp, initials, image).
    """
    roles: dict[str, Mapping[str, Any]] = {}
    for placeholder in template.get("signers") or []:
        if isinstance(placeholder, Mapping) and placeholder.get("role"):
            roles[str(placeholder["role"])] = placeholder
    if not isinstance(signers, Sequence) or isinstance(signers, (str, bytes)) or not signers:
        raise SignsConfigError(
            f"{field}: give a non-empty list of signers, each with the template 'role' it fills."
        )
    clean: list[dict[str, Any]] = []
    used: dict[str, int] = {}
    for i, raw in enumerate(signers):
        where = f"{field}[{i}]"
        if not isinstance(raw, Mapping):
            raise SignsConfigError(f"{where}: expected a mapping with role, name and email.")
        signer = dict(raw)
        role = str(signer.get("role") or "")
        if role not in roles:
            close = [r for r in roles if r.lower() == role.lower()]
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise SignsConfigError(
                f"{where}.role: {role!r} is not a role of template {template.get('objectId')!r}; its roles are "
                f"{', '.join(map(repr, roles)) or 'none'}.{hint}"
            )
        if role in used:
            raise SignsConfigError(
                f"{where}.role: {role!r} is also {field}[{used[role]}]; each role is filled once."
            )
        used[role] = i
        if not str(signer.get("name") or "").strip():
            raise SignsConfigError(f"{where}.name: missing. OpenSign needs each signer's name.")
        if not is_email(signer.get("email")):
            raise SignsConfigError(f"{where}.email: {signer.get('email')!r} is not an email address.")
        signer["name"], signer["email"] = str(signer["name"]).strip(), str(signer["email"]).strip()
        signer_role = signer.get("signer_role") or "signer"
        if signer_role not in SIGNER_ROLES:
            raise SignsConfigError(
                f"{where}.signer_role: {signer_role!r} is not one of {', '.join(SIGNER_ROLES)}."
            )
        names = {
            str((w.get("options") or {}).get("name") or w.get("name") or ""): w.get("type")
            for w in roles[role].get("widgets") or []
            if isinstance(w, Mapping)
        }
        for j, override in enumerate(signer.get("widgets") or []):
            spot = f"{where}.widgets[{j}]"
            if not isinstance(override, Mapping) or not override.get("name"):
                raise SignsConfigError(
                    f"{spot}: a template override is {{'name': <widget name>, 'default': ...}}."
                )
            if names and override["name"] not in names:
                raise SignsConfigError(
                    f"{spot}.name: role {role!r} has no widget {override['name']!r}; it has "
                    f"{', '.join(map(repr, names))}."
                )
            if names.get(override["name"]) in DRAWN_WIDGET_TYPES:
                raise SignsConfigError(
                    f"{spot}: {names[override['name']]} widgets are drawn by the signer and cannot be preset."
                )
        clean.append(signer)
    missing = [r for r, p in roles.items() if r not in used and not (p.get("name") and p.get("email"))]
    if missing:
        raise SignsConfigError(
            f"{field}: template {template.get('objectId')!r} needs a signer for role(s) "
            f"{', '.join(map(repr, missing))}."
        )
    return clean


def validate_prefill(prefill: Any, *, by_name: bool, field: str = "prefill") -> dict[str, Any] | None:
    """``{"widgets": [...]}``: by name (``{"name", "response"}``) for templates, full widgets otherwise."""
    if prefill is None:
        return None
    if not isinstance(prefill, Mapping) or not isinstance(prefill.get("widgets"), Sequence):
        raise SignsConfigError(f"{field}: expected {{'widgets': [...]}}.")
    for j, widget in enumerate(prefill["widgets"]):
        if not isinstance(widget, Mapping):
            raise SignsConfigError(f"{field}.widgets[{j}]: expected a mapping.")
        if by_name and (not widget.get("name") or "response" not in widget):
            raise SignsConfigError(
                f"{field}.widgets[{j}]: a template prefill is {{'name': ..., 'response': ...}}."
            )
    return dict(prefill)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
