"""Hook for the OpenSign REST API (v1.2).

The hook holds all knowledge of the API; operators and sensors stay thin over it. Every endpoint of
v1.2 has a method: documents, templates, contacts, folders, the webhook, credits and the user.

Example::

    hook = OpenSignHook(opensign_conn_id="opensign_default")
    hook.get_credits()["total_credits"]
    sent = hook.send_for_signature(
        "/data/contract.pdf",
        title="Employment contract",
        signers=[{"name": "Ada", "email": "ada@example.com",
                  "widgets": [{"type": "signature", "page": 1, "x": 60, "y": 700, "w": 150, "h": 50}]}],
        marker=idempotency_marker(dag_id, task_id, run_id, map_index),
    )
    states = hook.get_document_states([sent["objectId"]])
    hook.download_signed_document(sent["objectId"], "/archive/")

Creates cost a credit each, so they are sent once: after an ambiguous failure (timeout, lost
response, 5xx including a gateway's 502/504, a cut body) the hook looks for the document by its
marker, waits in case the server is still working on it, looks again, and only then sends again.
A task retry does the same through :meth:`OpenSignHook.find_sent_document`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from signs_provider.common.errors import (
    AmbiguousWriteError,
    SignsApiError,
    SignsConfigError,
)
from signs_provider.common.http import (
    SignsHttpHook,
    is_loopback_host,
    register_secret,
    require_secure_url,
    response_json,
)
from signs_provider.common.times import parse_api_time
from signs_provider.opensign import DEFAULT_CONN_ID
from signs_provider.opensign.documents import (
    DOCUMENT_OPTIONS,
    DOCUMENT_UPDATE_FIELDS,
    DRAFT_DOCUMENT_OPTIONS,
    MARKER_FIELD,
    PDF_MAGIC,
    TEMPLATE_DOCUMENT_OPTIONS,
    TEMPLATE_MARKER_FIELD,
    TEMPLATE_OPTIONS,
    TEMPLATE_UPDATE_FIELDS,
    PdfFile,
    PdfInput,
    StreamedJsonBody,
    carries_marker,
    check_options,
    is_email,
    validate_placeholders,
    validate_prefill,
    validate_signers,
    validate_template_signers,
    with_marker,
)
from signs_provider.opensign.errors import (
    OpenSignApiError,
    OpenSignAuthError,
    OpenSignBadRequestError,
    OpenSignConflictError,
    OpenSignCreditsError,
    OpenSignDocumentStateError,
    OpenSignInvalidResponseError,
    OpenSignNotFoundError,
)
from signs_provider.opensign.status import DocumentState, DocumentStatus

if TYPE_CHECKING:
    import httpx
    import requests
    from airflow.sdk import ObjectStoragePath

#: Hosts of the hosted environments (reference §1.1). Each has its own tokens, documents,
#: templates and webhooks.
ENVIRONMENT_HOSTS: dict[str, str] = {
    "sandbox": "https://sandbox.opensignlabs.com",
    "live": "https://app.opensignlabs.com",
    "eu": "https://eu-app.opensignlabs.com",
}
DEFAULT_ENVIRONMENT = "sandbox"  # a new connection must not spend live credits by accident
API_PATH = "/api/v1.2"
MAX_PAGE_SIZE = 500  # documented maximum of `limit` on list endpoints

#: Where the web app shows a sent document to its owner. [INFERRED] from the open-source web app's
#: routes ("/recipientSignPdf/:docId", titled "Request Signatures"); OpenSign documents no such URL.
DOCUMENT_WEB_PATH = "/recipientSignPdf/{document_id}"

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
_JSON = {"Content-Type": "application/json"}
#: Clock skew allowed between this machine and OpenSign when bounding a search by time.
_CLOCK_SKEW = timedelta(minutes=15)
#: [INFERRED] ``documentlist`` pages come newest first by ``updatedAt``: the open-source server sorts
#: them so (reference opensign-api.md, list endpoints); the hosted API documents no order. Searches
#: stop early only on pages that are verifiably sorted that way and wholly older than their bound.
#: If the assumption turns out wrong, set this to False: every search then reads its lists to the end.
LISTS_NEWEST_FIRST = True
#: Longest wait for a create that may still be running on the server before looking for it again.
_MAX_SETTLE_SECONDS = 60.0
#: Where a lost create may have landed: a direct create and a template create go out in progress,
#: and may have been signed, declined or have expired since.
_SENT_STATUSES = (
    DocumentStatus.IN_PROGRESS,
    DocumentStatus.COMPLETED,
    DocumentStatus.DECLINED,
    DocumentStatus.EXPIRED,
)
#: Order in which a batch poll scans the lists: the open set first (it holds most waited-for
#: documents), then where documents go when they leave it.
_POLL_ORDER = (*_SENT_STATUSES, DocumentStatus.DRAFT)
_DOWNLOAD_CHUNK = 256 * 1024


class OpenSignHook(SignsHttpHook):
    """Talk to OpenSign through an Airflow connection of type ``opensign``.

    The connection holds the API token in its password field; extra ``environment``
    (``sandbox``, ``live`` or ``eu``; default ``sandbox``) picks the host, and the host field,
    when set, wins over it (staging, self-hosted, the local emulator). Extra ``timeout`` bounds
    each request and ``webhook_secret`` verifies webhook deliveries.

    :param opensign_conn_id: the Airflow connection id.
    :param timeout: seconds per request; overrides the connection's ``timeout``.
    :param retry_policy: how reads and idempotent writes are retried.
    :param create_attempts: how many times a create may be sent in all, each after checking that the
        previous one did not create the document (default 2: one more try after a lost attempt).
    :param create_settle_seconds: how long a create whose outcome is unknown may still be running on
        the server; the document is looked for again after this wait before anything is re-sent.
        Default: twice the request timeout, at most 60 s.
    """

    conn_name_attr = "opensign_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "opensign"
    hook_name = "OpenSign"
    _secret_label: ClassVar[str] = "API token"

    def __init__(
        self,
        *,
        opensign_conn_id: str = default_conn_name,
        create_attempts: int = 2,
        create_settle_seconds: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(conn_id=opensign_conn_id, **kwargs)
        self.opensign_conn_id = opensign_conn_id
        if create_attempts < 1:
            raise SignsConfigError("create_attempts must be at least 1.")
        if create_settle_seconds is not None and create_settle_seconds < 0:
            raise SignsConfigError("create_settle_seconds must not be negative.")
        self.create_attempts = create_attempts
        self._settle_override = create_settle_seconds

    @property
    def create_settle_seconds(self) -> float:
        """How long a create with an unknown outcome may still land (see the class parameters)."""
        if self._settle_override is not None:
            return self._settle_override
        return min(2 * self.timeout, _MAX_SETTLE_SECONDS)

    @cached_property
    def environment(self) -> str:
        """``sandbox``, ``live`` or ``eu``, from the connection's extra (default ``sandbox``)."""
        value = str(self.extra_field("environment", DEFAULT_ENVIRONMENT)).strip().lower()
        if value not in ENVIRONMENT_HOSTS:
            raise SignsConfigError(
                f"connection {self.conn_id!r} extra 'environment': {value!r} is not one of "
                f"{', '.join(ENVIRONMENT_HOSTS)}. Pick the environment that issued the token."
            )
        return value

    @cached_property
    def base_url(self) -> str:
        """API root: the host override if set, else the environment's host, plus ``/api/v1.2``."""
        host = (self.connection.host or "").strip()
        if host:
            if "://" not in host:
                host = f"https://{host}"
            root = require_secure_url(host, field=f"connection {self.conn_id!r} host")
        else:
            root = ENVIRONMENT_HOSTS[self.environment]
        # A host that already names an API version (".../api/v1.1") is used as given.
        if "/api/v" in root:
            return root
        return f"{root}{API_PATH}"

    @cached_property
    def web_app_url(self) -> str:
        """Root of the web app: the host override (API path removed) or the environment's host."""
        root = self.base_url
        cut = root.find("/api/v")
        return root[:cut] if cut >= 0 else root

    def document_url(self, document_id: str) -> str:
        """Link to the document in OpenSign's web app (see :data:`DOCUMENT_WEB_PATH`)."""
        return self.web_app_url + DOCUMENT_WEB_PATH.format(document_id=document_id)

    @cached_property
    def webhook_secret(self) -> str | None:
        """The secret that signs webhook deliveries, from extra ``webhook_secret``."""
        secret = self.extra_field("webhook_secret")
        if secret:
            register_secret(str(secret))
        return None if secret is None else str(secret)

    def _auth_headers(self) -> dict[str, str]:
        return {"x-api-token": self.secret.strip()}

    # -- core ---------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        endpoint: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Call ``endpoint`` (relative to :attr:`base_url`) and return the decoded JSON body.

        GET, PUT and DELETE are retried on network errors, 429 and 5xx; POST is sent once
        (it creates something, or revokes) unless ``idempotent=True``.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS
        url = f"{self.base_url}/{endpoint.lstrip('/')}"
        response = self._send(
            method, url, idempotent=idempotent, json=json, params=params, data=data, headers=headers
        )
        return self._json_of(response, f"{method} {url}")

    async def arequest(self, endpoint: str, *, params: dict[str, Any] | None = None) -> Any:
        """Async ``GET`` of ``endpoint`` for triggers (reads only: a trigger never creates)."""
        await self.aconnection()
        url = f"{self.base_url}/{endpoint.lstrip('/')}"
        response = await self._asend("GET", url, idempotent=True, params=params)
        return self._json_of(response, f"GET {url}")

    @staticmethod
    def _json_of(response: requests.Response | httpx.Response, where: str) -> Any:
        body = response_json(response)
        if body is None and response.content:
            raise OpenSignInvalidResponseError(
                f"OpenSign sent a response that is not JSON for {where} (HTTP {response.status_code}).",
                status=response.status_code,
            )
        return body

    def paginate(
        self,
        endpoint: str,
        *,
        params: dict[str, Any] | None = None,
        page_size: int = 100,
        max_items: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every item of a ``limit``/``skip`` list endpoint (its ``{"result": [...]}``).

        Lists come newest first (documents and templates by last update, contacts and folders by
        creation), so stopping early reads only the recent pages.
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise SignsConfigError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}.")
        skip = 0
        yielded = 0
        while True:
            body = self.request("GET", endpoint, params={**(params or {}), "limit": page_size, "skip": skip})
            items = _result_list(body, endpoint)
            for item in items:
                yield item
                yielded += 1
                if max_items is not None and yielded >= max_items:
                    return
            if len(items) < page_size:
                return
            skip += len(items)

    # -- account ------------------------------------------------------------------------------

    def get_user(self) -> dict[str, Any]:
        """The account the token belongs to (``GET /getuser``)."""
        return self.request("GET", "getuser")

    def get_credits(self) -> dict[str, Any]:
        """``plan_credits``, ``addon_credits``, ``total_credits`` and ``renewal_date`` (``GET /getcredits``)."""
        return self.request("GET", "getcredits")

    def check_credits(self, needed: int) -> int:
        """Return the credits available, or raise before spending any when fewer than ``needed``.

        Each document created costs one credit and deleting never refunds it, so a bulk send checks
        first rather than stopping half-way.
        """
        if needed < 0:
            raise SignsConfigError(f"needed: {needed} is negative.")
        available = int(self.get_credits().get("total_credits") or 0)
        if available < needed:
            raise OpenSignCreditsError(
                f"OpenSign {self.environment}: {needed} document(s) to send but only {available} API credit(s) "
                "left. Buy credits in OpenSign > Settings > API Token, send fewer documents, or wait for "
                "the plan's renewal date; nothing was sent."
            )
        return available

    def test_connection(self) -> tuple[bool, str]:
        """Check the token with ``GET /getuser`` (free and read-only); used by the UI's Test button."""
        try:
            user = self.get_user()
        except Exception as exc:
            return False, str(exc)
        who = user.get("email") or user.get("objectId") or "unknown user"
        return True, f"Connected to OpenSign {self.environment} at {self.base_url} as {who}."

    # -- sending documents (each costs a credit) ----------------------------------------------

    def send_for_signature(
        self,
        file: PdfInput,
        *,
        title: str,
        signers: Sequence[Mapping[str, Any]],
        note: str = "",
        marker: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a document from a PDF and send it for signature (``POST /createdocument``).

        :param file: the PDF: a local path, an ``ObjectStoragePath`` (or a URL string such as
            ``s3://bucket/contract.pdf``) or bytes; at most 10 MB.
        :param signers: ``[{"name", "email", "role"?, "signer_role"?, "widgets": [...]}]``; each signer
            (``signer_role`` ``signer``, the default) needs a ``signature`` widget. Coordinates are
            PDF points from the top-left corner of the page, pages count from 1.
        :param marker: the idempotency marker (see :func:`~signs_provider.opensign.documents.idempotency_marker`);
            without it an ambiguous failure cannot be recovered and raises :class:`AmbiguousWriteError`.
        :param options: other settings under their API names (``send_email``, ``timeToCompleteDays``,
            ``sendInOrder``, ``folderId``, ``redirect_url``, ``prefill``, ...).
        :return: OpenSign's answer: ``objectId``, ``signurl`` (``[{email, url}]``) and ``message``.
        """
        fields = self._direct_fields(
            file,
            title=title,
            signers=signers,
            note=note,
            marker=marker,
            options=options,
            allowed=DOCUMENT_OPTIONS,
            require_widgets=True,
        )
        return self._create("createdocument", fields, marker=marker, statuses=_SENT_STATUSES)

    def draft_document(
        self,
        file: PdfInput,
        *,
        title: str,
        signers: Sequence[Mapping[str, Any]] | None = None,
        note: str = "",
        marker: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a document without sending it (``POST /draftdocument``); costs a credit.

        :return: ``document_id`` and ``url`` (the web-app page where the owner finishes and sends it;
            ``None`` when the draft was found after a lost response).
        """
        fields = self._direct_fields(
            file,
            title=title,
            signers=signers or [],
            note=note,
            marker=marker,
            options=options,
            allowed=DRAFT_DOCUMENT_OPTIONS,
            require_widgets=False,
        )
        return self._create(
            "draftdocument", fields, marker=marker, statuses=(DocumentStatus.DRAFT, *_SENT_STATUSES)
        )

    def self_sign_document(
        self,
        file: PdfInput,
        *,
        title: str,
        signer: Mapping[str, Any],
        note: str = "",
        marker: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a document the account owner signs themselves (``POST /selfsign``); costs a credit.

        :return: ``objectId`` and ``url`` (the self-signing page).
        """
        fields = self._direct_fields(
            file,
            title=title,
            signers=[signer],
            note=note,
            marker=marker,
            options=options,
            allowed=DOCUMENT_OPTIONS - {"sendInOrder", "prefill"},
            require_widgets=False,
        )
        # The spec's schema has a singular "signer" object although its required list says "signers".
        fields["signer"] = fields.pop("signers")[0]
        return self._create("selfsign", fields, marker=marker, statuses=_SENT_STATUSES)

    def send_template_for_signature(
        self,
        template_id: str,
        *,
        signers: Sequence[Mapping[str, Any]],
        title: str | None = None,
        prefill: Mapping[str, Any] | None = None,
        file: PdfInput | None = None,
        marker: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create a document from a template and send it (``POST /createdocument/{template_id}``).

        :param signers: ``[{"role", "name", "email", "widgets"?: [{"name", "default", ...}]}]``: each
            fills a role of the template (checked against ``GET /template`` first, which is free);
            ``widgets`` override the template's widgets by name.
        :param title: defaults to the template's title.
        :param prefill: ``{"widgets": [{"name": ..., "response": ...}]}`` values filled in before sending.
        :param file: a PDF replacing the template's file.
        :param options: overrides of the template's settings under their API names.
        :return: ``objectId``, ``signurl`` and ``message``, as :meth:`send_for_signature`.
        """
        template = self.get_template(template_id)
        fields: dict[str, Any] = check_options(options, TEMPLATE_DOCUMENT_OPTIONS, field="options")
        fields["signers"] = validate_template_signers(template, signers)
        fields["title"] = (title or str(template.get("title") or "")).strip()
        if prefill is not None:
            fields["prefill"] = validate_prefill(prefill, by_name=True)
        if marker:
            fields[TEMPLATE_MARKER_FIELD] = with_marker(str(fields.get(TEMPLATE_MARKER_FIELD) or ""), marker)
        pdf = None
        if file is not None:
            pdf = PdfFile(file)
            pdf.validate()
        return self._create(
            f"createdocument/{template_id}", fields, pdf=pdf, marker=marker, statuses=_SENT_STATUSES
        )

    def _direct_fields(
        self,
        file: PdfInput,
        *,
        title: str,
        signers: Sequence[Mapping[str, Any]],
        note: str,
        marker: str | None,
        options: Mapping[str, Any] | None,
        allowed: frozenset[str],
        require_widgets: bool,
    ) -> dict[str, Any]:
        pdf = PdfFile(file)
        pdf.validate()
        if not isinstance(title, str) or not title.strip():
            raise SignsConfigError("title: missing. OpenSign needs a document title.")
        fields: dict[str, Any] = {"_pdf": pdf, "title": title.strip(), "note": note or ""}
        fields.update(check_options(options, allowed, field="options"))
        if "prefill" in fields:
            fields["prefill"] = validate_prefill(fields["prefill"], by_name=False)
        if signers or require_widgets:
            pages = (
                pdf.page_count() if any(s.get("widgets") for s in signers if isinstance(s, Mapping)) else None
            )
            fields["signers"] = validate_signers(
                signers,
                page_count=pages,
                page_size=pdf.page_size() if pages else None,
                require_widgets=require_widgets,
            )
        if marker:
            fields[MARKER_FIELD] = with_marker(str(fields.get(MARKER_FIELD) or ""), marker)
        return fields

    def _create(
        self,
        endpoint: str,
        fields: dict[str, Any],
        *,
        marker: str | None,
        statuses: Sequence[DocumentStatus],
        pdf: PdfFile | None = None,
    ) -> dict[str, Any]:
        """Send a create at most :attr:`create_attempts` times, never twice for one document.

        After an ambiguous failure the document is looked for by its marker: found, it is returned
        (``"recovered": True``); not found, the create is sent again.
        """
        pdf = fields.pop("_pdf", pdf)

        def body() -> Any:
            return StreamedJsonBody(fields, pdf) if pdf is not None else _compact_json(fields)

        started = datetime.now(timezone.utc)
        for attempt in range(1, self.create_attempts + 1):
            try:
                return self.request("POST", endpoint, data=body, headers=_JSON, idempotent=False)
            except (AmbiguousWriteError, OpenSignApiError) as exc:
                if not _is_ambiguous(exc):
                    raise
                if not marker:
                    raise AmbiguousWriteError(
                        f"POST {endpoint}: {exc} No idempotency marker was given, so the document cannot be "
                        "looked for: check OpenSign's document lists before sending it again.",
                        method="POST",
                        url=f"{self.base_url}/{endpoint}",
                    ) from exc
                self.log.warning(
                    "POST %s: outcome unknown (%s); looking for document %s", endpoint, exc, marker
                )
                found = self.find_sent_document(marker, since=started, statuses=statuses, endpoint=endpoint)
                if found is not None:
                    self.log.info(
                        "POST %s: the lost attempt created document %s; not sending again",
                        endpoint,
                        found.get("objectId") or found.get("document_id"),
                    )
                    return found
                if attempt == self.create_attempts:
                    raise AmbiguousWriteError(
                        f"POST {endpoint}: no answer after {attempt} attempt(s) and no document with marker "
                        f"{marker} exists; giving up without creating a duplicate.",
                        method="POST",
                        url=f"{self.base_url}/{endpoint}",
                    ) from exc
                self.log.warning("POST %s: no document with marker %s; sending again", endpoint, marker)
        raise AssertionError("unreachable")  # pragma: no cover

    def find_sent_document(
        self,
        marker: str,
        *,
        since: datetime | None,
        statuses: Sequence[DocumentStatus] = _SENT_STATUSES,
        endpoint: str = "createdocument",
    ) -> dict[str, Any] | None:
        """The document an earlier attempt sent with ``marker``, or ``None`` once it surely does not exist.

        Call it before sending again after any failure whose outcome is unknown: a lost response, a
        timeout, a 5xx (a gateway's 502/504 often means the backend is still working), or a task retry
        after a killed worker. When the first search finds nothing it waits
        :attr:`create_settle_seconds` (a create still running may land meanwhile) and searches again.

        :param since: when the first attempt can have been sent at the earliest (bounds the search).
        :param endpoint: the create endpoint used, which decides the shape of the answer.
        :return: the same shape as the create's own answer, with ``"recovered": True``.
        """
        found = self.find_document_by_marker(marker, statuses=statuses, since=since)
        if found is None and self.create_settle_seconds > 0:
            self.log.info(
                "No document with marker %s yet; checking again in %.0fs in case its create is still running",
                marker,
                self.create_settle_seconds,
            )
            time.sleep(self.create_settle_seconds)
            found = self.find_document_by_marker(marker, statuses=statuses, since=since)
        return None if found is None else self._recovered(endpoint, found)

    def _recovered(self, endpoint: str, found: Mapping[str, Any]) -> dict[str, Any]:
        document_id = str(found["objectId"])
        title = found.get("title") or found.get("name")
        if endpoint == "draftdocument":
            return {"document_id": document_id, "title": title, "url": None, "recovered": True}
        if endpoint == "selfsign":
            return {"objectId": document_id, "title": title, "url": None, "recovered": True}
        return {
            "objectId": document_id,
            "title": title,
            "signurl": self.get_signing_links(document_id),
            "message": "Found the document sent by an earlier attempt.",
            "recovered": True,
        }

    def find_document_by_marker(
        self,
        marker: str,
        *,
        statuses: Iterable[DocumentStatus | str] = _SENT_STATUSES,
        since: datetime | None = None,
    ) -> dict[str, Any] | None:
        """The newest document carrying ``marker``, searched in the lists of ``statuses``.

        :param since: when the document can have been created at the earliest. A list is read only
            until a page that is sorted newest first and wholly older than ``since`` less 15 minutes
            of clock skew (see :data:`LISTS_NEWEST_FIRST`); without it, lists are read to the end.
        """
        bound = since - _CLOCK_SKEW if since is not None else None
        for status in statuses:
            doctype = DocumentStatus.parse(status).doctype
            if doctype is None:
                raise SignsConfigError(f"statuses: {status!r} is not a document status.")
            endpoint = f"documentlist/{doctype}"
            skip = 0
            while True:
                body = self.request("GET", endpoint, params={"limit": MAX_PAGE_SIZE, "skip": skip})
                items = _result_list(body, endpoint)
                for item in items:
                    if carries_marker(item, marker):
                        return item
                if len(items) < MAX_PAGE_SIZE or _page_past_bound(items, bound):
                    break
                skip += len(items)
        return None

    # -- documents ----------------------------------------------------------------------------

    def get_document(self, document_id: str) -> dict[str, Any]:
        """A document with ``status``, fresh ``file``/``certificate`` URLs and ``audit_trail``."""
        return self.request("GET", f"document/{_id(document_id)}")

    def get_document_state(self, document_id: str) -> DocumentState:
        """The document's status (any spelling mapped) and each signer's progress."""
        return DocumentState.from_document(self.get_document(document_id), document_id)

    def list_documents(
        self, status: DocumentStatus | str, *, page_size: int = 100, max_items: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Documents in one state, newest update first (``GET /documentlist/{doctype}``).

        List items have no ``status``, ``certificate`` or ``audit_trail``; use :meth:`get_document`.
        """
        doctype = DocumentStatus.parse(status).doctype
        if doctype is None:
            raise SignsConfigError(
                f"status: {status!r} is not one of draft, in-progress (inprogress), completed, declined, expired."
            )
        return self.paginate(f"documentlist/{doctype}", page_size=page_size, max_items=max_items)

    def update_document(self, document_id: str, **fields: Any) -> dict[str, Any]:
        """Change a document's settings (not its file): ``name`` (the title), ``note``, ``folderId``..."""
        return self.request(
            "PUT", f"document/{_id(document_id)}", json=_update_body(fields, DOCUMENT_UPDATE_FIELDS)
        )

    def revoke_document(self, document_id: str, reason: str = "") -> dict[str, Any]:
        """Revoke a sent document (``POST /document/{id}``); it becomes ``declined``. Free.

        A revoke whose answer was lost is checked with ``GET /document`` rather than sent again.
        """
        try:
            return self.request(
                "POST", f"document/{_id(document_id)}", json={"reason": reason}, idempotent=False
            )
        except (AmbiguousWriteError, OpenSignApiError) as exc:
            if not _is_ambiguous(exc):
                raise
            state = self.get_document_state(document_id)
            if state.status is not DocumentStatus.DECLINED:
                raise
            return {"objectId": document_id, "revokedAt": state.updated_at, "recovered": True}

    def delete_document(self, document_id: str) -> dict[str, Any]:
        """Soft-delete a document; it disappears from lists and ``GET`` (no credit is refunded)."""
        return self.request("DELETE", f"document/{_id(document_id)}")

    def resend_mail(
        self, document_id: str, email: str, *, subject: str | None = None, body: str | None = None
    ) -> dict[str, Any]:
        """Send the signing request to one signer again (``POST /resendmail``); free.

        Retried like a read: at worst a signer gets a second reminder, which beats none.
        """
        if not is_email(email):
            raise SignsConfigError(f"email: {email!r} is not an email address.")
        payload: dict[str, Any] = {"document_id": _id(document_id), "email": email.strip()}
        if subject is not None:
            payload["email_subject"] = subject
        if body is not None:
            payload["email_body"] = body
        return self.request("POST", "resendmail", json=payload, idempotent=True)

    def get_signing_links(self, document_id: str) -> list[dict[str, str]]:
        """``[{"email", "url"}]``: each signer's personal signing link (``GET /signinglinks``)."""
        return list(self.request("GET", f"signinglinks/{_id(document_id)}").get("signurl") or [])

    def get_signer_ips(self, document_id: str) -> list[dict[str, str]]:
        """``[{"email", "ip_address"}]`` of signers who opened the document (Teams/Enterprise plans)."""
        return list(self.request("GET", f"signerips/{_id(document_id)}").get("signer_ips") or [])

    def get_form_data(self, document_id: str) -> dict[str, Any]:
        """What signers filled in: ``form_data`` = ``[{name, email, widgets: [{name, response}]}]``."""
        return self.request("GET", f"formdata/{_id(document_id)}")

    # -- waiting on many documents ------------------------------------------------------------

    def get_document_states(
        self, document_ids: Sequence[str], *, since: datetime | None = None
    ) -> dict[str, DocumentState]:
        """The state of many documents for the price of a few list pages, not one request each.

        See :func:`poll_document_states` for how; ``since`` is when the wait started. Without
        ``since`` the finished lists (completed, declined, expired, draft) are read to their end
        until every id is placed: on a large account that is many pages, so pass it.
        """
        poll = poll_document_states(document_ids, since=since)
        try:
            read = next(poll)
            while True:
                try:
                    answer = self.request("GET", read.endpoint, params=read.params)
                except OpenSignNotFoundError:
                    if not read.single:
                        raise
                    answer = None
                read = poll.send(answer)
        except StopIteration as done:
            return done.value

    async def aget_document_states(
        self, document_ids: Sequence[str], *, since: datetime | None = None
    ) -> dict[str, DocumentState]:
        """The async twin of :meth:`get_document_states`, for triggers (GET requests only)."""
        poll = poll_document_states(document_ids, since=since)
        try:
            read = next(poll)
            while True:
                try:
                    answer = await self.arequest(read.endpoint, params=read.params)
                except OpenSignNotFoundError:
                    if not read.single:
                        raise
                    answer = None
                read = poll.send(answer)
        except StopIteration as done:
            return done.value

    # -- downloads ----------------------------------------------------------------------------

    def download_signed_document(
        self,
        document_id: str,
        destination: str | os.PathLike[str] | ObjectStoragePath,
        *,
        allow_partial: bool = False,
    ) -> str:
        """Save the signed PDF; ``destination`` is a file or a folder (then ``<id>-signed.pdf``).

        :param allow_partial: also save the file of a document not yet completed (signed by some).
        :return: where the file was written.
        """
        return self._download(document_id, "file", destination, allow_partial=allow_partial)

    def download_certificate(
        self, document_id: str, destination: str | os.PathLike[str] | ObjectStoragePath
    ) -> str:
        """Save the completion certificate; ``destination`` is a file or a folder (``<id>-certificate.pdf``)."""
        return self._download(document_id, "certificate", destination)

    @cached_property
    def download_session(self) -> requests.Session:
        """A session without the API token: file URLs are pre-signed and must not receive it."""
        import requests

        session = requests.Session()
        session.headers.update({"User-Agent": self._default_headers()["User-Agent"]})
        return session

    def close(self) -> None:
        """Close the pooled connections of the API and of file downloads."""
        super().close()
        downloads = self.__dict__.pop("download_session", None)
        if downloads is not None:
            downloads.close()

    def _download(self, document_id: str, kind: str, destination: Any, *, allow_partial: bool = False) -> str:

        document = self.get_document(document_id)
        status = DocumentStatus.parse(document.get("status"))
        label = "signed document" if kind == "file" else "certificate"
        if status is not DocumentStatus.COMPLETED and not (kind == "file" and allow_partial):
            raise OpenSignDocumentStateError(
                f"OpenSign document {document_id} is {status.value}: the {label} exists once every signer has "
                "signed. Wait for completion (OpenSignDocumentSensor) first."
            )
        target = _download_target(
            destination, f"{document_id}-{'signed' if kind == 'file' else 'certificate'}.pdf"
        )
        what = f"{label} of {document_id}"
        refreshes = 0
        while True:
            url = str(document.get(kind) or "")
            if not url:
                raise OpenSignApiError(f"OpenSign gave no {kind} URL for document {document_id}.")
            host = _check_download_url(url, what)
            # The URL is pre-signed, a bearer credential for its lifetime: the token-free session, and
            # messages that name its host only.
            response = self._send(
                "GET",
                url,
                idempotent=True,
                check=False,
                stream=True,
                session=self.download_session,
                label=f"the {what} ({host})",
            )
            with response:
                http_status = response.status_code
                if http_status in (400, 401, 403, 404) and refreshes < 2:
                    # Pre-signed URLs expire (about 15 minutes): GET /document hands out fresh ones.
                    refreshes += 1
                    self.log.info("The %s URL was refused (HTTP %s); getting a fresh one", what, http_status)
                    document = self.get_document(document_id)
                    continue
                if http_status < 400:
                    return _write_pdf(response.iter_content(_DOWNLOAD_CHUNK), target, what)
                raise OpenSignApiError(
                    f"Downloading the {what} from {host} failed: HTTP {http_status}.", status=http_status
                )

    # -- templates ----------------------------------------------------------------------------

    def create_template(
        self,
        file: PdfInput,
        *,
        title: str,
        signers: Sequence[Mapping[str, Any]],
        note: str = "",
        options: Mapping[str, Any] | None = None,
        kind: str = "template",
    ) -> dict[str, Any]:
        """Create a template (``POST /createtemplate``) with role placeholders.

        :param signers: ``[{"role", "widgets": [...], "name"?, "email"?}]``; a role with a name and email
            has a default signer, one without is filled when a document is created from the template.
        :param kind: ``template``, ``draft`` (``/drafttemplate``: returns a web-app ``url``) or ``public``
            (``/publictemplate``: returns ``public_url``).
        """
        endpoints = {"template": "createtemplate", "draft": "drafttemplate", "public": "publictemplate"}
        if kind not in endpoints:
            raise SignsConfigError(f"kind: {kind!r} is not one of {', '.join(endpoints)}.")
        pdf = PdfFile(file)
        pdf.validate()
        if not isinstance(title, str) or not title.strip():
            raise SignsConfigError("title: missing. OpenSign needs a template title.")
        fields: dict[str, Any] = {"title": title.strip(), "note": note or ""}
        fields.update(check_options(options, TEMPLATE_OPTIONS, field="options"))
        fields["signers"] = validate_placeholders(signers, pdf)
        # Templates cost no credit; a create whose answer is lost is not repeated blindly all the same.
        return self.request(
            "POST",
            endpoints[kind],
            data=lambda: StreamedJsonBody(fields, pdf),
            headers=_JSON,
            idempotent=False,
        )

    def get_template(self, template_id: str) -> dict[str, Any]:
        """A template with its role placeholders and their widgets."""
        return self.request("GET", f"template/{_id(template_id)}")

    def list_templates(
        self, *, page_size: int = 100, max_items: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Templates, newest update first."""
        return self.paginate("templatelist", page_size=page_size, max_items=max_items)

    def update_template(self, template_id: str, **fields: Any) -> dict[str, Any]:
        """Change a template: ``name``, ``note``, ... or ``file`` (a PDF as for :meth:`create_template`)."""
        body = _update_body(fields, TEMPLATE_UPDATE_FIELDS)
        url = f"template/{_id(template_id)}"
        if "file" in body:
            pdf = PdfFile(body.pop("file"))
            pdf.validate()
            return self.request("PUT", url, data=lambda: StreamedJsonBody(body, pdf), headers=_JSON)
        return self.request("PUT", url, json=body)

    def delete_template(self, template_id: str) -> dict[str, Any]:
        """Delete a template; documents already made from it are not affected."""
        return self.request("DELETE", f"template/{_id(template_id)}")

    # -- contacts -----------------------------------------------------------------------------

    def create_contact(
        self,
        *,
        name: str,
        email: str,
        phone: str | None = None,
        company: str | None = None,
        job_title: str | None = None,
        exist_ok: bool = False,
    ) -> dict[str, Any]:
        """Add a contact; with ``exist_ok`` an existing contact with that email is returned instead.

        A contact is unique by email, so the create is safe to retry: a repeat answers "already exists".
        """
        if not str(name or "").strip():
            raise SignsConfigError("name: missing. A contact needs a name.")
        if not is_email(email):
            raise SignsConfigError(f"email: {email!r} is not an email address.")
        body = {"name": name.strip(), "email": email.strip()}
        body.update(
            {k: v for k, v in {"phone": phone, "company": company, "job_title": job_title}.items() if v}
        )
        try:
            return self.request("POST", "createcontact", json=body, idempotent=True)
        except OpenSignConflictError as exc:
            if not exist_ok:
                raise
            if exc.existing_id:
                return self.get_contact(exc.existing_id)
            for contact in self.list_contacts():
                if str(contact.get("email", "")).lower() == body["email"].lower():
                    return contact
            raise

    def get_contact(self, contact_id: str) -> dict[str, Any]:
        """One contact: ``name``, ``email``, ``phone``, ``company``, ``job_title``."""
        return self.request("GET", f"contact/{_id(contact_id)}")

    def update_contact(self, contact_id: str, **fields: Any) -> dict[str, Any]:
        """Change ``name``, ``email``, ``phone``, ``company`` or ``job_title``."""
        allowed = frozenset({"name", "email", "phone", "company", "job_title"})
        return self.request("PUT", f"contact/{_id(contact_id)}", json=_update_body(fields, allowed))

    def delete_contact(self, contact_id: str) -> dict[str, Any]:
        """Delete a contact from the account's address book."""
        return self.request("DELETE", f"contact/{_id(contact_id)}")

    def list_contacts(
        self, *, page_size: int = 100, max_items: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Contacts, newest first."""
        return self.paginate("contactlist", page_size=page_size, max_items=max_items)

    # -- folders ------------------------------------------------------------------------------

    def create_folder(self, name: str, *, parent_folder_id: str | None = None) -> dict[str, Any]:
        """Create a folder (at the root, or inside ``parent_folder_id``). Sent once: names may repeat."""
        if not str(name or "").strip():
            raise SignsConfigError("name: missing. A folder needs a name.")
        body = {"folderName": name.strip()}
        if parent_folder_id:
            body["parentFolderId"] = _id(parent_folder_id)
        return self.request("POST", "createfolder", json=body, idempotent=False)

    def get_folder(self, folder_id: str) -> dict[str, Any]:
        """One folder: its name and parent."""
        return self.request("GET", f"folder/{_id(folder_id)}")

    def update_folder(
        self, folder_id: str, *, name: str | None = None, parent_folder_id: str | None = None
    ) -> dict[str, Any]:
        """Rename a folder and/or move it (``parent_folder_id=""`` moves it to the root)."""
        body: dict[str, Any] = {}
        if name is not None:
            body["folderName"] = name
        if parent_folder_id is not None:
            body["parentFolderId"] = parent_folder_id
        if not body:
            raise SignsConfigError("update_folder: give name and/or parent_folder_id.")
        return self.request("PUT", f"folder/{_id(folder_id)}", json=body)

    def delete_folder(self, folder_id: str) -> dict[str, Any]:
        """Delete an empty folder (OpenSign refuses a folder holding documents or folders)."""
        return self.request("DELETE", f"folder/{_id(folder_id)}")

    def list_folders(
        self, *, parent_folder_id: str | None = None, page_size: int = 100, max_items: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Folders at the root, or inside ``parent_folder_id``."""
        params = {"parentFolderId": parent_folder_id} if parent_folder_id else None
        return self.paginate("folderlist", params=params, page_size=page_size, max_items=max_items)

    # -- webhook (one URL per account and environment) ----------------------------------------

    def get_webhook(self) -> str | None:
        """The webhook URL, or ``None`` when none is set (OpenSign then answers 404)."""
        try:
            body = self.request("GET", "webhook")
        except OpenSignNotFoundError:
            return None
        return (body or {}).get("webhook") or None

    def set_webhook(self, url: str) -> str:
        """Point the account's webhook at ``url``; setting the URL it already has is a no-op."""
        require_secure_url(url, field="url")
        # "Webhook url already exists!" (401) means it is set to this URL already.
        with contextlib.suppress(OpenSignConflictError):
            self.request("POST", "webhook", json={"url": url}, idempotent=True)
        return url

    def delete_webhook(self) -> dict[str, Any]:
        """Remove the account's webhook URL; OpenSign then sends no more events."""
        return self.request("DELETE", "webhook")

    def verify_webhook(self, body: bytes, signature: str | None) -> bool:
        """Whether a delivery's ``x-webhook-signature`` matches the connection's ``webhook_secret``."""
        from signs_provider.opensign.webhooks import verify_signature

        if not self.webhook_secret:
            raise SignsConfigError(
                f"connection {self.conn_id!r} has no extra 'webhook_secret'. Copy the Webhook Security Key "
                "from OpenSign > Settings > Webhook into it."
            )
        return verify_signature(body, signature, self.webhook_secret)

    # -- errors -------------------------------------------------------------------------------

    def _raise_for_response(self, response: requests.Response | httpx.Response, *, attempts: int) -> None:
        status = response.status_code
        if status < 400:
            return
        body = response_json(response)
        api_message = None
        if isinstance(body, dict):
            api_message = body.get("error") or body.get("message")
        api_message = str(api_message) if api_message else None
        said = f": {api_message}" if api_message else ""
        request = response.request
        where = f"{request.method} {request.url}" if request is not None else self.base_url
        if status == 405:
            other = "live" if self.environment != "live" else "sandbox"
            target = (
                f"the host override {self.connection.host!r}"
                if self.connection.host
                else f"the {self.environment} environment ({ENVIRONMENT_HOSTS[self.environment]})"
            )
            raise OpenSignAuthError(
                f"OpenSign rejected the API token of connection {self.conn_id!r} for {target} "
                f"(HTTP 405{said}). The token is wrong or revoked, or it belongs to another environment: "
                f"a sandbox token only works with environment 'sandbox' and a live token only with 'live'. "
                f"If this is a {other} token, set the connection's extra 'environment' to '{other}'.",
                status=status,
                api_message=api_message,
            )
        if status == 401:
            existing = body.get("objectId") if isinstance(body, dict) else None
            raise OpenSignConflictError(
                f"OpenSign: already exists{said} ({where}).",
                status=status,
                api_message=api_message,
                existing_id=existing,
            )
        if status == 404:
            raise OpenSignNotFoundError(
                f"OpenSign: not found{said} ({where}). Objects of other users and other environments "
                f"are invisible; this connection uses {self.environment}.",
                status=status,
                api_message=api_message,
            )
        if status == 429:
            raise OpenSignCreditsError(
                f"OpenSign: no API credits left{said} ({where}). Buy credits in OpenSign > Settings > "
                "API Token, or wait for the plan's renewal date (see get_credits()).",
                status=status,
                api_message=api_message,
            )
        if status == 400:
            raise OpenSignBadRequestError(
                f"OpenSign refused the request{said} ({where}).", status=status, api_message=api_message
            )
        tried = f" after {attempts} attempts" if attempts > 1 else ""
        raise OpenSignApiError(
            f"OpenSign answered HTTP {status}{tried}{said} ({where}).", status=status, api_message=api_message
        )


def _result_list(body: Any, endpoint: str) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("result"), list):
        return body["result"]
    if isinstance(body, list):
        return body
    raise SignsApiError(f"OpenSign {endpoint}: expected a list in 'result', got {type(body).__name__}.")


# -- batch polling ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListRead:
    """One ``GET`` a poll needs; ``single`` reads (``document/{id}``) may answer 404 (sent back as ``None``)."""

    endpoint: str
    params: dict[str, Any] | None = None
    single: bool = False


def poll_document_states(
    document_ids: Sequence[str],
    *,
    since: datetime | None = None,
    page_size: int = MAX_PAGE_SIZE,
    details_for: frozenset[DocumentStatus] = frozenset({DocumentStatus.DECLINED, DocumentStatus.EXPIRED}),
) -> Generator[ListRead, Any, dict[str, DocumentState]]:
    """The states of many documents, as a generator of the reads it needs (sync and async drivers share it).

    It scans the lists newest first, the open ones (``inprogress``) completely and the others
    (completed, declined, expired, draft) down to documents last updated before ``since`` less clock
    skew, and stops as soon as every id is placed. So a poll costs a few pages, however many
    documents are waited for. Ids not placed by the lists (older, deleted, another environment's)
    and documents in ``details_for`` states (for the signers' progress) get one ``GET /document``;
    so does a lone document, for which a ``GET`` is never dearer than a list page.
    Send each read's decoded JSON back into the generator; its return value maps id -> state.
    """
    wanted = list(dict.fromkeys(str(i) for i in document_ids))
    wanted_set = set(wanted)
    states: dict[str, DocumentState] = {}
    bound = since - _CLOCK_SKEW if since is not None else None
    # One document costs one GET however it is read, and the GET also tells who has signed.
    for status in _POLL_ORDER if len(wanted) > 1 else ():
        skip = 0
        while len(states) < len(wanted_set):
            endpoint = f"documentlist/{status.doctype}"
            items = _result_list((yield ListRead(endpoint, {"limit": page_size, "skip": skip})), endpoint)
            for item in items:
                document_id = str(item.get("objectId") or "")
                if document_id in wanted_set and document_id not in states:
                    states[document_id] = DocumentState.from_list_item(item, status)
            if len(items) < page_size:
                break
            # The open list is read to the end; the others only as far back as the wait goes (a
            # document missed there costs one GET /document below, never a wrong answer).
            if status is not DocumentStatus.IN_PROGRESS and _page_past_bound(items, bound):
                break
            skip += len(items)
    for document_id in wanted:
        state = states.get(document_id)
        if state is None or (state.status in details_for and not state.signers):
            body = yield ListRead(f"document/{document_id}", single=True)
            states[document_id] = (
                DocumentState.not_found(document_id)
                if body is None
                else DocumentState.from_document(body, document_id)
            )
    return states


# -- helpers ------------------------------------------------------------------------------------


def _is_ambiguous(exc: BaseException) -> bool:
    """Whether a failed non-idempotent request may nevertheless have been applied."""
    if isinstance(exc, AmbiguousWriteError | OpenSignInvalidResponseError):
        return True
    return isinstance(exc, OpenSignApiError) and exc.status is not None and exc.status >= 500


def _page_past_bound(items: Sequence[Mapping[str, Any]], bound: datetime | None) -> bool:
    """Whether a list may stop after this page: it holds nothing updated after ``bound``.

    Only when lists are assumed newest first (:data:`LISTS_NEWEST_FIRST`) and this page shows it:
    every ``updatedAt`` readable and none newer than the one before. Otherwise keep reading.
    """
    if bound is None or not LISTS_NEWEST_FIRST or not items:
        return False
    moments = [parse_api_time(item.get("updatedAt")) for item in items]
    if any(m is None for m in moments):
        return False
    known = [m for m in moments if m is not None]
    if any(later > earlier for earlier, later in zip(known, known[1:], strict=False)):
        return False  # not newest first after all: the bound proves nothing
    return known[0] < bound


def _id(value: str) -> str:
    """An object id for a URL path: refuse what would change the path (``/``, ``?``, blanks)."""
    text = str(value or "").strip()
    if not text or any(ch in text for ch in "/?#% ") or text in (".", ".."):
        raise SignsConfigError(f"{value!r} is not an OpenSign object id (like 'FGik23bhUJ').")
    return text


def _update_body(fields: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, Any]:
    """An update body; OpenSign refuses the whole update for one unknown key, so check them all first."""
    if not fields:
        raise SignsConfigError(f"Give at least one field to change: {', '.join(sorted(allowed))}.")
    unknown = sorted(k for k in fields if k not in allowed)
    if unknown:
        raise SignsConfigError(
            f"{', '.join(unknown)}: not a field OpenSign can update here; use {', '.join(sorted(allowed))}."
        )
    return dict(fields)


def _compact_json(fields: Mapping[str, Any]) -> bytes:
    import json

    return json.dumps(dict(fields), separators=(",", ":"), ensure_ascii=False).encode()


def _check_download_url(url: str, what: str) -> str:
    """The host of a pre-signed file URL, once it is known safe to fetch (https, or loopback http).

    Never quotes the URL: its query string is a credential for as long as it is valid.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return host
    if parts.scheme == "http" and host and is_loopback_host(host):
        return host
    raise OpenSignApiError(
        f"OpenSign gave a URL for the {what} that is not https (scheme {parts.scheme or 'none'!r}, "
        f"host {host or 'none'!r}); it was not fetched."
    )


def _download_target(destination: Any, default_name: str) -> Any:
    """A file path for ``destination``: itself, or ``default_name`` inside it when it is a folder."""
    if isinstance(destination, str) and "://" in destination:
        from airflow.sdk import ObjectStoragePath

        destination = ObjectStoragePath(destination)
    elif isinstance(destination, (str, os.PathLike)):
        text = os.fspath(destination)
        destination = Path(text).expanduser()
        if text.endswith(("/", os.sep)) or destination.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
            return destination / default_name
        destination.parent.mkdir(parents=True, exist_ok=True)
        return destination
    target = (
        destination / default_name if str(destination).endswith("/") or destination.is_dir() else destination
    )
    with contextlib.suppress(Exception):  # object stores have no real folders to create
        target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _write_pdf(chunks: Iterator[bytes], target: Any, what: str) -> str:
    """Stream ``chunks`` to ``target`` after checking that they start like a PDF; return where."""
    head = b""
    first: list[bytes] = []
    for chunk in chunks:
        first.append(chunk)
        head += chunk[: len(PDF_MAGIC)]
        if len(head) >= len(PDF_MAGIC):
            break
    if not head.startswith(PDF_MAGIC):
        raise OpenSignApiError(
            f"The {what} is not a PDF (it starts with {head[:16]!r}); nothing was written."
        )
    if isinstance(target, Path):
        # Write next to the target and rename, so a reader never sees half a file.
        partial = target.with_name(f".{target.name}.part")
        try:
            with partial.open("wb") as out:
                for chunk in first:
                    out.write(chunk)
                for chunk in chunks:
                    out.write(chunk)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return str(target)
    try:
        with target.open("wb") as out:  # object stores publish the object on close
            for chunk in first:
                out.write(chunk)
            for chunk in chunks:
                out.write(chunk)
    except BaseException:
        with contextlib.suppress(Exception):  # best effort: the write failed already
            target.unlink()
        raise
    return str(target)
