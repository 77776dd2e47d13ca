"""Operators that send documents for signature with OpenSign and collect the results.

Each is a thin, templated layer over :class:`~signs_provider.opensign.hooks.OpenSignHook`: it calls
the hook, returns a small JSON result (the task's XCom) and stores the address behind the task's
"OpenSign" button. Waiting is :class:`~signs_provider.opensign.sensors.OpenSignDocumentSensor`.

Sending many documents (one per recipient) is dynamic task mapping over a send operator, after
:class:`OpenSignCheckCreditsOperator`::

    check = OpenSignCheckCreditsOperator(task_id="check_credits", required=recipients)
    send = OpenSignSendForSignatureOperator.partial(task_id="send", file=..., title=...).expand(signers=...)
    check >> send

This module stays cheap to import (DAG files import it at every parse): the hook and the HTTP
libraries are imported only when a task runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from signs_provider.common.errors import SignsConfigError
from signs_provider.common.task_state import remember, remembered
from signs_provider.opensign import DEFAULT_CONN_ID
from signs_provider.opensign._context import document_ids_of, run_moment
from signs_provider.opensign.links import LINK_XCOM_KEY, OpenSignDocumentLink

if TYPE_CHECKING:
    from airflow.sdk import Context, ObjectStoragePath

    from signs_provider.opensign.client.sending import SentDocument
    from signs_provider.opensign.hooks import OpenSignHook


class _OpenSignOperator(BaseOperator):
    """Shared plumbing: the connection, a cached hook, the "OpenSign" button."""

    operator_extra_links = (OpenSignDocumentLink(),)
    ui_color = "#e8f0fe"

    def __init__(self, *, opensign_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.opensign_conn_id = opensign_conn_id

    @cached_property
    def hook(self) -> OpenSignHook:
        from signs_provider.opensign.hooks import OpenSignHook

        return OpenSignHook(opensign_conn_id=self.opensign_conn_id)

    def _link(self, context: Context, document_id: str) -> str:
        url = self.hook.document_url(document_id)
        context["ti"].xcom_push(key=LINK_XCOM_KEY, value=url)
        return url


#: The key of the send operators' record in Airflow's task state store (Airflow 3.3+): whether the
#: task instance's create may have left. Renaming it breaks the retries of tasks in flight.
SEND_STATE_KEY = "opensign_create"


class _OpenSignSendOperator(_OpenSignOperator):
    """Send once per task instance (or per ``idempotency_key``), even across task retries.

    Every document carries a marker: derived from ``idempotency_key`` when given (so a scheduled and a
    manual run, or two tasks, giving the same key find each other's document and send one), else from
    (dag_id, task_id, run_id, map_index).

    A create whose answer was lost is never sent again by the same try: the try looks for it through
    the hook's landing wait, then fails with ``AmbiguousWriteError``. A retry resumes from what the
    previous try recorded in Airflow's task state store (Airflow 3.3+; written before the create is
    sent, and again the moment OpenSign answers):

    * the previous try got the document's id (it crashed, or failed later, after OpenSign answered):
      one read of that document, and the task returns it; nothing is searched or sent. The read checks
      that the document still exists: one deleted since is searched for by its marker as below;
    * the previous try failed before its create left (bad input, connection refused, a 4xx refusal):
      one search by marker, then the send at once;
    * anything else (the create may have left but its answer was lost, or no store as on Airflow 3.2,
      or nothing recorded): the search by marker is repeated through the landing wait, and the send
      follows only if nothing appeared.

    With an ``idempotency_key`` every try, the first included, searches once before sending, reading
    the document lists to their end (the document may be from an earlier run). Two runs sending with
    the same key at the same moment are not protected: nothing in OpenSign locks a key.

    Signing links are personal (whoever has one can sign as that person), and the task's XCom is
    visible to everyone who can read the DAG. They are returned only with
    ``return_signing_links=True``, never implied by other settings such as ``send_email: False``.
    """

    def __init__(
        self,
        *,
        signers: Sequence[Mapping[str, Any]] | Any,
        options: Mapping[str, Any] | None = None,
        return_signing_links: bool = False,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.signers = signers
        self.options = options
        self.return_signing_links = return_signing_links
        self.idempotency_key = idempotency_key

    #: The document the last run of ``execute`` sent or found, for OpenLineage.
    _document_id: str | None = None

    def _create_document(self, marker: str) -> SentDocument:
        raise NotImplementedError

    def _lineage_inputs(self, namespace: str) -> list[Any]:
        """What the document is made of (the PDF, the template), as OpenLineage datasets."""
        return []

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """OpenLineage facets: inputs the PDF (or template), output ``opensign://<host>`` ``documents/<id>``.

        ``None`` where the OpenLineage provider is not installed.
        """
        from signs_provider.common.lineage import safely

        return safely(self._lineage_facets, f"task {self.task_id}")

    def _lineage_facets(self) -> Any:
        from signs_provider.common.lineage import api_namespace, dataset, operator_lineage

        if self._document_id is None:
            return None
        namespace = api_namespace("opensign", self.hook.base_url)
        return operator_lineage(
            self._lineage_inputs(namespace), [dataset(namespace, f"documents/{self._document_id}")]
        )

    def execute(self, context: Context) -> dict[str, Any]:
        from signs_provider.opensign.client.payloads import idempotency_marker, key_marker

        ti = context["ti"]
        if self.idempotency_key is not None:
            marker = key_marker(self.idempotency_key)
        else:
            marker = idempotency_marker(ti.dag_id, ti.task_id, ti.run_id, ti.map_index)
        sent = self._sent_earlier(context, marker)
        if sent is None:
            sent = self._send(context, marker)
        else:
            self._record(context, {"state": "sent", "marker": marker, "document_id": sent.document_id})
        document_id = self._document_id = sent.document_id
        result: dict[str, Any] = {
            "document_id": document_id,
            "title": sent.title or self._title(),
            "signers": [str(s.get("email")) for s in self.signers if isinstance(s, Mapping)],
            "url": self._link(context, document_id),
            "marker": marker,
            "recovered": sent.recovered,
        }
        if self.return_signing_links:
            self.log.warning(
                "Returning the personal signing links of document %s in XCom (return_signing_links=True): "
                "anyone who can read this task's XCom can sign as these signers. Deliver them and do not "
                "log or store them elsewhere.",
                document_id,
            )
            links = [dict(link) for link in sent.signing_links]
            result["signing_links"] = links or self.hook.get_signing_links(document_id)
        elif (self.options or {}).get("send_email") is False:
            self.log.warning(
                "Document %s was sent with send_email=False, so OpenSign emails nobody; the signing links are "
                "not in XCom. Set return_signing_links=True to get them, or read them with "
                "OpenSignHook.get_signing_links in a task that delivers them.",
                document_id,
            )
        self.log.info(
            "Sent OpenSign document %s (%s) to %s", document_id, result["title"], ", ".join(result["signers"])
        )
        return result

    def _sent_earlier(self, context: Context, marker: str) -> SentDocument | None:
        """The document of an earlier try (or, with a key, of any run), or ``None`` if there is none."""
        ti = context["ti"]
        keyed = self.idempotency_key is not None
        if ti.try_number <= 1 and not keyed:
            return None
        record = remembered(context, SEND_STATE_KEY) if ti.try_number > 1 else None
        if record is not None and record.get("marker") != marker:
            record = None  # another key rendered this time: the record is about another document
        if record is not None and record.get("state") == "sent" and record.get("document_id"):
            resumed = self._recorded_document(str(record["document_id"]), marker)
            if resumed is not None:
                return resumed
        # A key's document may come from any earlier run: read the lists to their end. Otherwise any
        # try of this run created its document after the run was due.
        since = None if keyed else run_moment(context, ("run_after", "logical_date", "start_date"))
        never_sent = record is not None and record.get("state") == "not_sent"
        # Wait only where a create of this task instance may still be landing.
        wait = ti.try_number > 1 and not never_sent
        if ti.try_number > 1:
            self.log.info(
                "Try %d: %s",
                ti.try_number,
                "the previous try sent nothing; looking once for the document before sending"
                if never_sent
                else "the previous try may have sent the document; looking for it through the landing wait",
            )
        sent = self.hook.find_sent_document(marker, since=since, wait=wait)
        if sent is not None:
            self.log.info(
                "Document %s with marker %s was sent earlier; not sending again.", sent.document_id, marker
            )
        return sent

    def _recorded_document(self, document_id: str, marker: str) -> SentDocument | None:
        """The document a previous try recorded, read once; ``None`` if it no longer exists.

        The read is kept although the record names the document: it returns the title for the
        task's result, and it tells a document deleted since the record (which the marker search
        would not find either, so the retry then behaves as it did before records existed).
        """
        from signs_provider.opensign.client.sending import SentDocument
        from signs_provider.opensign.errors import OpenSignNotFoundError

        try:
            document = self.hook.get_document(document_id)
        except OpenSignNotFoundError:
            self.log.warning(
                "The previous try recorded document %s, which no longer exists; searching by marker.",
                document_id,
            )
            return None
        title = str(document.get("title") or document.get("name") or "")
        # A template send carries the marker in its title: give back the title as it was asked for.
        title = title.replace(f" [{marker}]", "").replace(f"[{marker}]", "")
        self.log.info(
            "Document %s was sent by an earlier try of this task (task state store); not sending again.",
            document_id,
        )
        return SentDocument(
            document_id,
            title,
            message="Resumed from the document an earlier try recorded.",
            recovered=True,
            raw=document,
        )

    def _send(self, context: Context, marker: str) -> SentDocument:
        """The create, recorded in the task state store before it leaves and after its outcome."""
        from signs_provider.common.errors import (
            AmbiguousWriteError,
            SignsApiError,
            SignsTransportError,
        )
        from signs_provider.common.recovery import is_ambiguous

        # Written before anything is sent, and not best effort: a retry that reads "not_sent" skips
        # the landing wait, so a stale "not_sent" must never outlive a create that may have left.
        remember(context, SEND_STATE_KEY, {"state": "sending", "marker": marker}, required=True)
        try:
            sent = self._create_document(marker)
        except Exception as exc:
            refused = isinstance(exc, SignsConfigError) or (
                isinstance(exc, (SignsApiError, SignsTransportError))
                and not isinstance(exc, AmbiguousWriteError)
                and not is_ambiguous(exc)
            )
            if refused:
                self._record(context, {"state": "not_sent", "marker": marker})
            raise
        # Recorded the moment OpenSign answered: a retry after a crash from here on reads the id.
        self._record(context, {"state": "sent", "marker": marker, "document_id": sent.document_id})
        return sent

    def _record(self, context: Context, value: dict[str, Any]) -> None:
        """Record an outcome, best effort: without it a retry searches by marker (the safe side)."""
        remember(context, SEND_STATE_KEY, value)

    def _title(self) -> str:
        return ""


class OpenSignSendForSignatureOperator(_OpenSignSendOperator):
    """Send a PDF for signature; returns the document id (and the signing links, see below).

    Returns (XCom) ``{"document_id", "title", "signers": [emails], "url", "marker", "recovered",
    "signing_links"?: [{"email", "url"}]}``.

    :param file: the PDF: a local path, an ``ObjectStoragePath`` or URL (``s3://...``), or bytes;
        at most 10 MB (templated).
    :param title: the document's title (templated).
    :param signers: ``[{"name", "email", "widgets": [{"type": "signature", "page", "x", "y", "w",
        "h"}]}]`` (templated; coordinates in PDF points from the top-left corner). Map over it to send
        one document per recipient.
    :param note: shown to signers (templated).
    :param options: other settings under OpenSign's names, e.g. ``{"send_email": False,
        "timeToCompleteDays": 7}`` (templated).
    :param return_signing_links: put each signer's personal signing link in the XCom (default
        False). Whoever can read the XCom can then sign as that person, so only set it when the DAG
        delivers the links itself (typically with ``send_email: False``); ``send_email: False`` alone
        never returns them.
    :param idempotency_key: the same key never sends a second document, whichever run or task gives
        it: for example ``"{{ params.contract_id }}-{{ ds }}"`` (templated). Default: one document
        per task instance (dag, task, run, map index).
    :param opensign_conn_id: the Airflow connection id.
    """

    template_fields: Sequence[str] = (
        "file",
        "title",
        "signers",
        "note",
        "options",
        "idempotency_key",
        "opensign_conn_id",
    )
    template_fields_renderers = {"signers": "json", "options": "json"}

    def __init__(
        self,
        *,
        file: str | ObjectStoragePath | bytes,
        title: str,
        signers: Sequence[Mapping[str, Any]] | Any,
        note: str = "",
        options: Mapping[str, Any] | None = None,
        return_signing_links: bool = False,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            signers=signers,
            options=options,
            return_signing_links=return_signing_links,
            idempotency_key=idempotency_key,
            **kwargs,
        )
        self.file = file
        self.title = title
        self.note = note

    def _title(self) -> str:
        return self.title

    def _lineage_inputs(self, namespace: str) -> list[Any]:
        from signs_provider.common.lineage import source_dataset

        return [source_dataset(self.file)]

    def _create_document(self, marker: str) -> SentDocument:
        return self.hook.send_for_signature(
            self.file,
            title=self.title,
            signers=self.signers,
            note=self.note,
            marker=marker,
            options=self.options,
        )


class OpenSignSendTemplateOperator(_OpenSignSendOperator):
    """Send a document made from a template; signers fill the template's roles.

    Returns the same XCom as :class:`OpenSignSendForSignatureOperator`.

    :param template_id: the template (templated).
    :param signers: ``[{"role", "name", "email", "widgets"?: [{"name", "default"}]}]`` (templated);
        roles are checked against the template before anything is sent.
    :param title: defaults to the template's title (templated).
    :param prefill: ``{"widgets": [{"name", "response"}]}`` (templated).
    :param file: a PDF replacing the template's file (templated).
    :param options: overrides of the template's settings under OpenSign's names (templated).
    :param return_signing_links: as for :class:`OpenSignSendForSignatureOperator` (default False).
    :param idempotency_key: as for :class:`OpenSignSendForSignatureOperator` (templated).
    """

    template_fields: Sequence[str] = (
        "template_id",
        "signers",
        "title",
        "prefill",
        "file",
        "options",
        "idempotency_key",
        "opensign_conn_id",
    )
    template_fields_renderers = {"signers": "json", "prefill": "json", "options": "json"}

    def __init__(
        self,
        *,
        template_id: str,
        signers: Sequence[Mapping[str, Any]] | Any,
        title: str | None = None,
        prefill: Mapping[str, Any] | None = None,
        file: str | ObjectStoragePath | bytes | None = None,
        options: Mapping[str, Any] | None = None,
        return_signing_links: bool = False,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            signers=signers,
            options=options,
            return_signing_links=return_signing_links,
            idempotency_key=idempotency_key,
            **kwargs,
        )
        self.template_id = template_id
        self.title = title
        self.prefill = prefill
        self.file = file

    def _title(self) -> str:
        return self.title or ""

    def _lineage_inputs(self, namespace: str) -> list[Any]:
        from signs_provider.common.lineage import dataset, source_dataset

        return [dataset(namespace, f"templates/{self.template_id}"), source_dataset(self.file)]

    def _create_document(self, marker: str) -> SentDocument:
        return self.hook.send_template_for_signature(
            self.template_id,
            signers=self.signers,
            title=self.title,
            prefill=self.prefill,
            file=self.file,
            marker=marker,
            options=self.options,
        )


class OpenSignCheckCreditsOperator(_OpenSignOperator):
    """Fail before a bulk send when the account has fewer API credits than documents to send.

    Returns (XCom) ``{"available": n, "required": m}``.

    :param required: how many documents will be sent: a number, or the list of recipients
        (its length is used) (templated).
    """

    template_fields: Sequence[str] = ("required", "opensign_conn_id")

    def __init__(self, *, required: int | Sequence[Any] | Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.required = required

    def execute(self, context: Context) -> dict[str, int]:
        count = _document_count(self.required)
        available = self.hook.check_credits(count)
        self.log.info(
            "OpenSign %s: %d credit(s) available for %d document(s).", self.hook.environment, available, count
        )
        return {"available": available, "required": count}


class OpenSignDownloadDocumentOperator(_OpenSignOperator):
    """Save a completed document's signed PDF and its completion certificate.

    Returns (XCom) ``{"document_id", "signed_pdf": path, "certificate": path or None}``.

    :param document_id: the document, or a send operator's result (templated).
    :param destination: a folder (local path, ``ObjectStoragePath`` or URL such as ``s3://bucket/signed/``);
        files are named ``<document_id>-signed.pdf`` and ``<document_id>-certificate.pdf`` (templated).
    :param certificate: also save the certificate.
    :param allow_partial: save the PDF of a document that is not completed yet.
    """

    template_fields: Sequence[str] = ("document_id", "destination", "opensign_conn_id")

    def __init__(
        self,
        *,
        document_id: str | Mapping[str, Any],
        destination: str | ObjectStoragePath,
        certificate: bool = True,
        allow_partial: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.document_id = document_id
        self.destination = destination
        self.certificate = certificate
        self.allow_partial = allow_partial

    def execute(self, context: Context) -> dict[str, Any]:
        document_id = document_ids_of(self.document_id)[0]
        folder = _as_folder(self.destination)
        self._link(context, document_id)
        signed = self.hook.download_signed_document(document_id, folder, allow_partial=self.allow_partial)
        cert = self.hook.download_certificate(document_id, folder) if self.certificate else None
        self.log.info("Saved %s%s", signed, f" and {cert}" if cert else "")
        return {"document_id": document_id, "signed_pdf": signed, "certificate": cert}


class OpenSignRevokeDocumentOperator(_OpenSignOperator):
    """Revoke a sent document; it becomes ``declined`` for everyone. Returns ``{"document_id", "revoked_at"}``.

    :param document_id: the document, or a send operator's result (templated).
    :param reason: shown in OpenSign (templated).
    """

    template_fields: Sequence[str] = ("document_id", "reason", "opensign_conn_id")

    def __init__(self, *, document_id: str | Mapping[str, Any], reason: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.document_id = document_id
        self.reason = reason

    def execute(self, context: Context) -> dict[str, Any]:
        document_id = document_ids_of(self.document_id)[0]
        self._link(context, document_id)
        answer = self.hook.revoke_document(document_id, self.reason)
        return {"document_id": document_id, "revoked_at": answer.get("revokedAt")}


class OpenSignResendReminderOperator(_OpenSignOperator):
    """Email the signing request again to the signers who have not signed yet.

    A document that is no longer in progress (completed, declined, expired) is left alone.
    Returns ``{"document_id", "status", "reminded": [emails]}``.

    :param document_id: the document, or a send operator's result (templated).
    :param emails: only these signers (default: every signer who has not signed) (templated).
    :param subject: email subject; OpenSign's variables such as ``{{document_title}}`` work. Not
        templated by Airflow, so those variables reach OpenSign intact.
    :param body: email body, likewise.
    """

    template_fields: Sequence[str] = ("document_id", "emails", "opensign_conn_id")

    def __init__(
        self,
        *,
        document_id: str | Mapping[str, Any],
        emails: Sequence[str] | None = None,
        subject: str | None = None,
        body: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.document_id = document_id
        self.emails = emails
        self.subject = subject
        self.body = body

    def execute(self, context: Context) -> dict[str, Any]:
        from signs_provider.opensign.status import DocumentStatus, SignerProgress

        document_id = document_ids_of(self.document_id)[0]
        self._link(context, document_id)
        state = self.hook.get_document_state(document_id)
        if state.status is not DocumentStatus.IN_PROGRESS:
            self.log.info("Document %s is %s; no reminder sent.", document_id, state.status.value)
            return {"document_id": document_id, "status": state.status.value, "reminded": []}
        waiting = [s.email for s in state.signers if s.progress is not SignerProgress.SIGNED]
        targets = waiting if self.emails is None else self._chosen(waiting, state.signers)
        for email in targets:
            self.hook.resend_mail(document_id, email, subject=self.subject, body=self.body)
        self.log.info("Reminded %s about document %s.", ", ".join(targets) or "nobody", document_id)
        return {"document_id": document_id, "status": state.status.value, "reminded": targets}

    def _chosen(self, waiting: list[str], signers: Sequence[Any]) -> list[str]:
        """The signers named in ``emails`` (any case) who have not signed; unknown emails are an error."""
        emails = [self.emails] if isinstance(self.emails, str) else list(self.emails or [])
        by_lower = {str(s.email).lower(): str(s.email) for s in signers}
        unknown = [e for e in emails if str(e).strip().lower() not in by_lower]
        if unknown:
            raise SignsConfigError(
                f"emails: {', '.join(map(repr, unknown))} is not a signer of this document; its signers "
                f"are {', '.join(by_lower.values()) or 'none'}."
            )
        wanted = {str(e).strip().lower() for e in emails}
        return [email for email in waiting if email.lower() in wanted]


def _document_count(required: Any) -> int:
    """How many documents ``required`` stands for: a number, digits, or a list of recipients."""
    if isinstance(required, bool):
        pass
    elif isinstance(required, int):
        if required >= 0:
            return required
    elif isinstance(required, str):
        # A rendered list arrives as its text ("['a@x', 'b@y']") unless the DAG renders native
        # objects; counting its characters would check the wrong number of credits.
        if required.strip().isdigit():
            return int(required)
    elif isinstance(required, (Sequence, Set)) or hasattr(required, "__len__"):
        return len(required)
    raise SignsConfigError(
        f"required: {required!r} is neither a number nor a list of recipients. Pass an int, a list "
        "(e.g. an upstream task's output), or render templates as native objects "
        "(render_template_as_native_obj=True) when it comes from a template."
    )


def _as_folder(destination: Any) -> Any:
    """A destination meant as a folder: a trailing slash makes local paths and URLs unambiguous."""
    if isinstance(destination, str) and not destination.endswith("/"):
        return destination + "/"
    return destination
