"""Hook for the OpenSign REST API (v1.2): the connection, and the API by area behind ``hook.client``.

The hook reads the connection (token, environment or host, timeout, webhook secret) and wraps an
:class:`~signs_provider.opensign.client.OpenSignClient`, one module per API area; each method below
delegates to it in one line.

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
    states = hook.get_document_states([sent.document_id])
    hook.download_signed_document(sent.document_id, "/archive/")

Creates cost a credit each, so they are sent once and never again automatically: after an ambiguous
failure the hook looks for the document by its marker through the landing wait and returns it, or
raises :class:`~signs_provider.common.errors.AmbiguousWriteError` without sending anything more (see
:mod:`signs_provider.opensign.client.sending`); a task retry looks with
:meth:`~OpenSignHook.find_sent_document` before it may send.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from signs_provider.common.errors import SignsConfigError
from signs_provider.common.hook import SignsHttpHook, register_secret
from signs_provider.common.transport import RetryPolicy, require_secure_url
from signs_provider.opensign import DEFAULT_CONN_ID
from signs_provider.opensign.client import OpenSignClient, RestSession
from signs_provider.opensign.client.payloads import PdfInput
from signs_provider.opensign.client.polling import SENT_STATUSES, ListRead, poll_document_states
from signs_provider.opensign.client.rest import read
from signs_provider.opensign.client.sending import SentDocument
from signs_provider.opensign.errors import OpenSignApiErrors
from signs_provider.opensign.status import DocumentState, DocumentStatus

if TYPE_CHECKING:
    import requests
    from airflow.sdk import Connection, ObjectStoragePath

    from signs_provider.opensign.webhooks import ReplayGuard, WebhookEvent

__all__ = [
    "API_PATH",
    "DEFAULT_ENVIRONMENT",
    "DOCUMENT_WEB_PATH",
    "ENVIRONMENT_HOSTS",
    "ListRead",
    "OpenSignHook",
    "SentDocument",
    "poll_document_states",
]

#: Hosts of the hosted environments (reference §1.1). Each has its own tokens, documents,
#: templates and webhooks.
ENVIRONMENT_HOSTS: dict[str, str] = {
    "sandbox": "https://sandbox.opensignlabs.com",
    "live": "https://app.opensignlabs.com",
    "eu": "https://eu-app.opensignlabs.com",
}
DEFAULT_ENVIRONMENT = "sandbox"  # a new connection must not spend live credits by accident
API_PATH = "/api/v1.2"

#: Where the web app shows a sent document to its owner. [INFERRED] from the open-source web app's
#: routes ("/recipientSignPdf/:docId", titled "Request Signatures"); OpenSign documents no such URL.
DOCUMENT_WEB_PATH = "/recipientSignPdf/{document_id}"


class OpenSignHook(SignsHttpHook):
    """Talk to OpenSign through an Airflow connection of type ``opensign``.

    The connection holds the API token in its password field; extra ``environment``
    (``sandbox``, ``live`` or ``eu``; default ``sandbox``) picks the host, and the host field,
    when set, wins over it (staging, self-hosted, the local emulator). Extra ``timeout`` bounds
    each request and ``webhook_secret`` verifies webhook deliveries.

    :param opensign_conn_id: the Airflow connection id.
    :param timeout: seconds per request; overrides the connection's ``timeout``.
    :param retry_policy: how reads and idempotent writes are retried.
    :param landing_wait: how long a create (or revoke) whose outcome is unknown may still be running
        on the server; the document is looked for through this wait before the call gives up with
        :class:`~signs_provider.common.errors.AmbiguousWriteError`. Default: twice the request
        timeout, at most 60 s.
    :param create_attempts: deprecated and ignored: a create whose outcome is unknown is never sent
        again by the same call (a task retry looks for it first, then may send).
    :param create_settle_seconds: deprecated name of ``landing_wait``.
    """

    conn_name_attr = "opensign_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "opensign"
    hook_name = "OpenSign"
    _secret_label: ClassVar[str] = "API token"
    _secret_headers: ClassVar[frozenset[str]] = frozenset({"x-api-token"})

    def __init__(
        self,
        *,
        opensign_conn_id: str = default_conn_name,
        timeout: float | None = None,
        retry_policy: RetryPolicy | None = None,
        landing_wait: float | None = None,
        create_attempts: int | None = None,
        create_settle_seconds: float | None = None,
    ) -> None:
        if create_settle_seconds is not None:
            warnings.warn(
                "OpenSignHook(create_settle_seconds=...) is deprecated; use landing_wait=...",
                DeprecationWarning,
                stacklevel=2,
            )
            if create_settle_seconds < 0:
                raise SignsConfigError("create_settle_seconds must not be negative.")
            if landing_wait is None:
                landing_wait = create_settle_seconds
        if create_attempts is not None:
            warnings.warn(
                "OpenSignHook(create_attempts=...) is deprecated and ignored: a create whose outcome is "
                "unknown is never sent again automatically (a task retry looks for it first).",
                DeprecationWarning,
                stacklevel=2,
            )
        super().__init__(
            conn_id=opensign_conn_id, timeout=timeout, retry_policy=retry_policy, landing_wait=landing_wait
        )
        self.opensign_conn_id = opensign_conn_id
        #: Deprecated: always 1 (a create is sent once per call).
        self.create_attempts = 1
        self._client: OpenSignClient | None = None
        self._base_url: tuple[Connection, str] | None = None

    @property
    def create_settle_seconds(self) -> float:
        """Deprecated name of :attr:`landing_wait`."""
        return self.landing_wait

    @property
    def environment(self) -> str:
        """``sandbox``, ``live`` or ``eu``, from the connection's extra (default ``sandbox``)."""
        value = str(self.extra_field("environment", DEFAULT_ENVIRONMENT)).strip().lower()
        if value not in ENVIRONMENT_HOSTS:
            raise SignsConfigError(
                f"connection {self.conn_id!r} extra 'environment': {value!r} is not one of "
                f"{', '.join(ENVIRONMENT_HOSTS)}. Pick the environment that issued the token."
            )
        return value

    @property
    def base_url(self) -> str:
        """API root: the host override if set, else the environment's host, plus ``/api/v1.2``.

        Worked out once per connection read (every request's URL starts with it).
        """
        connection = self.connection
        cached = self._base_url
        if cached is not None and cached[0] is connection:
            return cached[1]
        url = self._work_out_base_url(connection)
        self._base_url = (connection, url)
        return url

    def _work_out_base_url(self, connection: Connection) -> str:
        host = (connection.host or "").strip()
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

    @property
    def web_app_url(self) -> str:
        """Root of the web app: the host override (API path removed) or the environment's host."""
        root = self.base_url
        cut = root.find("/api/v")
        return root[:cut] if cut >= 0 else root

    def document_url(self, document_id: str) -> str:
        """Link to the document in OpenSign's web app (see :data:`DOCUMENT_WEB_PATH`)."""
        return self.web_app_url + DOCUMENT_WEB_PATH.format(document_id=document_id)

    @property
    def webhook_secret(self) -> str | None:
        """The secret that signs webhook deliveries, from extra ``webhook_secret``."""
        secret = self.extra_field("webhook_secret")
        if secret is None:
            return None
        register_secret(str(secret))
        return str(secret)

    def _auth_headers(self) -> dict[str, str]:
        return {"x-api-token": self.secret.strip()}

    @property
    def api_errors(self) -> OpenSignApiErrors:
        """OpenSign's status mapping (405 is a token of another environment, 401 a conflict, ...)."""
        return OpenSignApiErrors(
            conn_id=self.conn_id,
            environment=lambda: self.environment,
            host=self.connection.host or None,
            hosts=ENVIRONMENT_HOSTS,
        )

    @property
    def client(self) -> OpenSignClient:
        """The API by area (``hook.client.sending``, ``.documents``, ...), over this hook's transports."""
        if self._client is None:
            self._client = OpenSignClient(
                RestSession(self),
                landing_wait=lambda: self.landing_wait,
            )
        return self._client

    def close(self) -> None:
        """Close the pooled connections of the API and of file downloads."""
        super().close()
        if self._client is not None:
            self._client.close()

    def test_connection(self) -> tuple[bool, str]:
        """Check the token with ``GET /getuser`` (free and read-only); used by the UI's Test button."""
        try:
            user = self.get_user()
        except Exception as exc:
            return False, str(exc)
        who = user.get("email") or user.get("objectId") or "unknown user"
        return True, f"Connected to OpenSign {self.environment} at {self.base_url} as {who}."

    # -- any endpoint -----------------------------------------------------------------------------

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
        """Any endpoint (relative to :attr:`base_url`), its JSON body returned; GET, PUT and DELETE are
        retried on network errors, 429 and 5xx, POST is sent once unless ``idempotent=True``."""
        return self.client.rest.request(
            method, endpoint, json=json, params=params, data=data, headers=headers, idempotent=idempotent
        )

    async def arequest(self, endpoint: str, *, params: dict[str, Any] | None = None) -> Any:
        """Async ``GET`` of ``endpoint`` for triggers (reads only: a trigger never creates)."""
        return await self.client.rest.acall(read(endpoint), params=params)

    def paginate(
        self,
        endpoint: str,
        *,
        params: dict[str, Any] | None = None,
        page_size: int = 100,
        max_items: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every item of a ``limit``/``skip`` list endpoint, newest first."""
        return self.client.rest.paginate(
            read(endpoint), params=params, page_size=page_size, max_items=max_items
        )

    # -- account ------------------------------------------------------------------------------------

    def get_user(self) -> dict[str, Any]:
        """The account the token belongs to (``GET /getuser``)."""
        return self.client.account.get_user()

    def get_credits(self) -> dict[str, Any]:
        """``plan_credits``, ``addon_credits``, ``total_credits`` and ``renewal_date`` (``GET /getcredits``)."""
        return self.client.account.get_credits()

    def check_credits(self, needed: int) -> int:
        """The credits available, or an :class:`OpenSignCreditsError` before any is spent when too few."""
        return self.client.account.check_credits(needed, environment=self.environment)

    # -- sending documents (each costs a credit) ------------------------------------------------------

    def send_for_signature(
        self,
        file: PdfInput,
        *,
        title: str,
        signers: Sequence[Mapping[str, Any]],
        note: str = "",
        marker: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> SentDocument:
        """Create a document from a PDF and send it for signature (``POST /createdocument``).

        :param file: the PDF: a local path, an ``ObjectStoragePath`` (or a URL string such as
            ``s3://bucket/contract.pdf``) or bytes; at most 10 MB. It is read once before sending.
        :param signers: ``[{"name", "email", "role"?, "signer_role"?, "widgets": [...]}]``; each signer
            (``signer_role`` ``signer``, the default) needs a ``signature`` widget. Coordinates are
            PDF points from the top-left corner of the page, pages count from 1.
        :param marker: the idempotency marker (see
            :func:`~signs_provider.opensign.client.payloads.idempotency_marker`); without it an
            ambiguous failure cannot be recovered and raises :class:`AmbiguousWriteError`.
        :param options: other settings under their API names (``send_email``, ``timeToCompleteDays``,
            ``sendInOrder``, ``folderId``, ``redirect_url``, ``prefill``, ...).
        :return: a :class:`SentDocument`, as every send and every document found again.
        """
        return self.client.sending.send_for_signature(
            file, title=title, signers=signers, note=note, marker=marker, options=options
        )

    def draft_document(
        self,
        file: PdfInput,
        *,
        title: str,
        signers: Sequence[Mapping[str, Any]] | None = None,
        note: str = "",
        marker: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> SentDocument:
        """Create a document without sending it (``POST /draftdocument``); costs a credit. Its ``url`` is
        where the owner finishes and sends it (``None`` when found after a lost response)."""
        return self.client.sending.draft_document(
            file, title=title, signers=signers, note=note, marker=marker, options=options
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
    ) -> SentDocument:
        """Create a document the account owner signs themselves (``POST /selfsign``; ``url``: the
        self-signing page); costs a credit. ``options`` are the settings the spec defines for
        ``/selfsign`` (``SELF_SIGN_OPTIONS``); others are refused before any request."""
        return self.client.sending.self_sign_document(
            file, title=title, signer=signer, note=note, marker=marker, options=options
        )

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
    ) -> SentDocument:
        """Create a document from a template and send it (``POST /createdocument/{template_id}``).

        :param signers: ``[{"role", "name", "email", "widgets"?: [{"name", "default", ...}]}]``: each
            fills a role of the template (checked against ``GET /template`` first, which is free);
            ``widgets`` override the template's widgets by name.
        :param title: defaults to the template's title.
        :param prefill: ``{"widgets": [{"name": ..., "response": ...}]}`` values filled in before sending.
        :param file: a PDF replacing the template's file.
        :param options: overrides of the template's settings under their API names.
        :param marker: appended to the title (the field the spec documents) and sent as the ``note``
            as well (not documented on this operation), because the last open-source server named such
            documents after the template; the marker search reads both (see ``client/evidence.py``).
        """
        return self.client.sending.send_template_for_signature(
            template_id,
            signers=signers,
            title=title,
            prefill=prefill,
            file=file,
            marker=marker,
            options=options,
        )

    def find_sent_document(
        self,
        marker: str,
        *,
        since: datetime | None,
        statuses: Sequence[DocumentStatus] = SENT_STATUSES,
        endpoint: str = "createdocument",
        wait: bool = True,
    ) -> SentDocument | None:
        """The document an earlier attempt sent with ``marker``, or ``None`` if it has not appeared
        (searched, and searched again through :attr:`landing_wait` unless ``wait=False``). ``since``: the
        earliest the first attempt can have been sent (``None``: read the lists to their end);
        ``endpoint``: ``createdocument``, ``draftdocument`` or ``selfsign``."""
        sending = self.client.sending
        find = sending.find_sent_document if wait else sending.find_sent_document_now
        return find(marker, since=since, statuses=statuses, endpoint=endpoint)

    def find_document_by_marker(
        self,
        marker: str,
        *,
        statuses: Iterable[DocumentStatus | str] = SENT_STATUSES,
        since: datetime | None = None,
    ) -> dict[str, Any] | None:
        """The newest document carrying ``marker`` in the lists of ``statuses`` (one search, no wait);
        ``since`` (less 15 minutes of clock skew) bounds how far back the lists are read."""
        return self.client.sending.find_document_by_marker(marker, statuses=statuses, since=since)

    # -- documents ----------------------------------------------------------------------------------

    def get_document(self, document_id: str) -> dict[str, Any]:
        """A document with ``status``, fresh ``file``/``certificate`` URLs and ``audit_trail``."""
        return self.client.documents.get_document(document_id)

    def get_document_state(self, document_id: str) -> DocumentState:
        """The document's status (any spelling mapped) and each signer's progress."""
        return self.client.documents.get_document_state(document_id)

    def list_documents(
        self, status: DocumentStatus | str, *, page_size: int = 100, max_items: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Documents in one state, newest update first; items lack ``status`` (use :meth:`get_document`)."""
        return self.client.documents.list_documents(status, page_size=page_size, max_items=max_items)

    def update_document(self, document_id: str, **fields: Any) -> dict[str, Any]:
        """Change a document's settings (not its file): ``name`` (the title), ``note``, ``folderId``..."""
        return self.client.documents.update_document(document_id, **fields)

    def revoke_document(self, document_id: str, reason: str = "") -> dict[str, Any]:
        """Revoke a sent document (it becomes ``declined``); free. A lost answer is settled by reading it."""
        return self.client.documents.revoke_document(document_id, reason)

    def delete_document(self, document_id: str) -> dict[str, Any]:
        """Soft-delete a document; it disappears from lists and ``GET`` (no credit is refunded)."""
        return self.client.documents.delete_document(document_id)

    def resend_mail(
        self, document_id: str, email: str, *, subject: str | None = None, body: str | None = None
    ) -> dict[str, Any]:
        """Send the signing request to one signer again (``POST /resendmail``); free."""
        return self.client.documents.resend_mail(document_id, email, subject=subject, body=body)

    def get_signing_links(self, document_id: str) -> list[dict[str, str]]:
        """``[{"email", "url"}]``: each signer's personal signing link (``GET /signinglinks``)."""
        return self.client.documents.get_signing_links(document_id)

    def get_signer_ips(self, document_id: str) -> list[dict[str, str]]:
        """``[{"email", "ip_address"}]`` of signers who opened the document (Teams/Enterprise plans)."""
        return self.client.documents.get_signer_ips(document_id)

    def get_form_data(self, document_id: str) -> dict[str, Any]:
        """What signers filled in: ``form_data`` = ``[{name, email, widgets: [{name, response}]}]``."""
        return self.client.documents.get_form_data(document_id)

    # -- waiting on many documents ------------------------------------------------------------------

    def get_document_states(
        self, document_ids: Sequence[str], *, since: datetime | None = None
    ) -> dict[str, DocumentState]:
        """The state of many documents for a few list pages (:func:`poll_document_states`); ``since``:
        when the wait started (without it the finished lists are read to their end)."""
        return self.client.polling.get_document_states(document_ids, since=since)

    async def aget_document_states(
        self, document_ids: Sequence[str], *, since: datetime | None = None
    ) -> dict[str, DocumentState]:
        """The async twin of :meth:`get_document_states`, for triggers (GET requests only)."""
        return await self.client.polling.aget_document_states(document_ids, since=since)

    # -- downloads ----------------------------------------------------------------------------------

    def download_signed_document(
        self,
        document_id: str,
        destination: str | os.PathLike[str] | ObjectStoragePath,
        *,
        allow_partial: bool = False,
    ) -> str:
        """Save the signed PDF to a file or a folder (then ``<id>-signed.pdf``); return where.
        ``allow_partial``: also save the file of a document not completed yet."""
        return self.client.downloads.download_signed_document(
            document_id, destination, allow_partial=allow_partial
        )

    def download_certificate(
        self, document_id: str, destination: str | os.PathLike[str] | ObjectStoragePath
    ) -> str:
        """Save the completion certificate to a file or a folder (``<id>-certificate.pdf``)."""
        return self.client.downloads.download_certificate(document_id, destination)

    @property
    def download_session(self) -> requests.Session:
        """A session without the API token: file URLs are pre-signed and must not receive it."""
        return self.client.downloads.session

    # -- templates ----------------------------------------------------------------------------------

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
        """Create a template with role placeholders (``POST /createtemplate``).

        :param signers: ``[{"role", "widgets": [...], "name"?, "email"?}]``; a role with a name and email
            has a default signer, one without is filled when a document is created from the template.
        :param kind: ``template``, ``draft`` (``/drafttemplate``: returns a web-app ``url``) or ``public``
            (``/publictemplate``: returns ``public_url``).
        """
        return self.client.templates.create_template(
            file, title=title, signers=signers, note=note, options=options, kind=kind
        )

    def get_template(self, template_id: str) -> dict[str, Any]:
        """A template with its role placeholders and their widgets."""
        return self.client.templates.get_template(template_id)

    def list_templates(
        self, *, page_size: int = 100, max_items: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Templates, newest update first."""
        return self.client.templates.list_templates(page_size=page_size, max_items=max_items)

    def update_template(self, template_id: str, **fields: Any) -> dict[str, Any]:
        """Change a template: ``name``, ``note``, ... or ``file`` (a PDF as for :meth:`create_template`)."""
        return self.client.templates.update_template(template_id, **fields)

    def delete_template(self, template_id: str) -> dict[str, Any]:
        """Delete a template; documents already made from it are not affected."""
        return self.client.templates.delete_template(template_id)

    # -- contacts -----------------------------------------------------------------------------------

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
        """Add a contact; with ``exist_ok`` an existing contact with that email is returned instead."""
        return self.client.contacts.create_contact(
            name=name, email=email, phone=phone, company=company, job_title=job_title, exist_ok=exist_ok
        )

    def get_contact(self, contact_id: str) -> dict[str, Any]:
        """One contact: ``name``, ``email``, ``phone``, ``company``, ``job_title``."""
        return self.client.contacts.get_contact(contact_id)

    def update_contact(self, contact_id: str, **fields: Any) -> dict[str, Any]:
        """Change ``name``, ``email``, ``phone``, ``company`` or ``job_title``."""
        return self.client.contacts.update_contact(contact_id, **fields)

    def delete_contact(self, contact_id: str) -> dict[str, Any]:
        """Delete a contact from the account's address book."""
        return self.client.contacts.delete_contact(contact_id)

    def list_contacts(
        self, *, page_size: int = 100, max_items: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Contacts, newest first."""
        return self.client.contacts.list_contacts(page_size=page_size, max_items=max_items)

    # -- folders ------------------------------------------------------------------------------------

    def create_folder(self, name: str, *, parent_folder_id: str | None = None) -> dict[str, Any]:
        """Create a folder (at the root, or inside ``parent_folder_id``). Sent once: names may repeat."""
        return self.client.folders.create_folder(name, parent_folder_id=parent_folder_id)

    def get_folder(self, folder_id: str) -> dict[str, Any]:
        """One folder: its name and parent."""
        return self.client.folders.get_folder(folder_id)

    def update_folder(
        self, folder_id: str, *, name: str | None = None, parent_folder_id: str | None = None
    ) -> dict[str, Any]:
        """Rename a folder and/or move it (``parent_folder_id=""`` moves it to the root).

        The API requires ``folderName`` on every update, so a move without ``name`` reads the folder
        first and sends its current name (one GET more)."""
        return self.client.folders.update_folder(folder_id, name=name, parent_folder_id=parent_folder_id)

    def delete_folder(self, folder_id: str) -> dict[str, Any]:
        """Delete an empty folder (OpenSign refuses a folder holding documents or folders)."""
        return self.client.folders.delete_folder(folder_id)

    def list_folders(
        self, *, parent_folder_id: str | None = None, page_size: int = 100, max_items: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Folders at the root, or inside ``parent_folder_id``."""
        return self.client.folders.list_folders(
            parent_folder_id=parent_folder_id, page_size=page_size, max_items=max_items
        )

    # -- webhook (one URL per account and environment) ----------------------------------------------

    def get_webhook(self) -> str | None:
        """The webhook URL, or ``None`` when none is set (OpenSign then answers 404)."""
        return self.client.webhook.get_webhook()

    def set_webhook(self, url: str) -> str:
        """Point the account's webhook at ``url``; setting the URL it already has is a no-op."""
        return self.client.webhook.set_webhook(url)

    def delete_webhook(self) -> dict[str, Any]:
        """Remove the account's webhook URL; OpenSign then sends no more events."""
        return self.client.webhook.delete_webhook()

    def verify_webhook(self, body: bytes, signature: str | None) -> bool:
        """Whether a delivery's ``x-webhook-signature`` matches the connection's ``webhook_secret``.

        The signature only: a replayed delivery verifies. A receiver uses :meth:`receive_webhook`."""
        from signs_provider.opensign.webhooks import verify_signature

        return verify_signature(body, signature, self._required_webhook_secret())

    def receive_webhook(
        self, body: bytes, headers: Mapping[str, str], *, replay_guard: ReplayGuard | None = None
    ) -> WebhookEvent:
        """A delivery checked (size, signature with the connection's ``webhook_secret``), parsed, and
        refused if already received (:class:`~signs_provider.opensign.webhooks.ReplayGuard`; default:
        this process's memory, shared with :func:`~signs_provider.opensign.webhooks.verify_and_parse`).

        :raises OpenSignWebhookError: too large, not signed with the secret, not an event, or a replay.
        """
        from signs_provider.opensign.webhooks import DEFAULT_REPLAY_GUARD, verify_and_parse

        return verify_and_parse(
            body,
            headers,
            self._required_webhook_secret(),
            replay_guard=replay_guard if replay_guard is not None else DEFAULT_REPLAY_GUARD,
        )

    def _required_webhook_secret(self) -> str:
        secret = self.webhook_secret
        if not secret:
            raise SignsConfigError(
                f"connection {self.conn_id!r} has no extra 'webhook_secret'. Copy the Webhook Security Key "
                "from OpenSign > Settings > Webhook into it."
            )
        return secret
