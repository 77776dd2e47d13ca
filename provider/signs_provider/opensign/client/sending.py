"""Sending documents for signature; each create costs a credit, so each is sent once.

Every way of obtaining a sent document (its create answered, found after a lost answer, found by a
task retry) gives the same :class:`SentDocument`.

Neither the API nor its creates take an idempotency key. A document sent by this provider carries a
marker (see :func:`~signs_provider.opensign.client.payloads.idempotency_marker`).

A create whose outcome is unknown is never sent again automatically. After an ambiguous failure
(timeout, lost response, 5xx including a gateway's 502/504, a cut body) the document is looked for by
its marker, and looked for again through the hook's ``landing_wait`` in case the server is still
working on it; found, it is returned; not found, :class:`AmbiguousWriteError` is raised and nothing is
sent. No fixed wait can be right for every backend (a gateway may give up long before the backend
behind it), so the only send that follows an ambiguous one is a later task retry's, after Airflow's
``retry_delay``, and only once its own search by marker found nothing (see
:meth:`Sending.find_sent_document` and the send operators). A create refused by the server (4xx) or
that never left (connection refused) raises at once: it created nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from signs_provider.common.errors import AmbiguousWriteError, SignsConfigError
from signs_provider.common.recovery import is_ambiguous, send_once, settle
from signs_provider.opensign.client.documents import DOCUMENT_LIST, Documents
from signs_provider.opensign.client.payloads import (
    DOCUMENT_OPTIONS,
    DRAFT_DOCUMENT_OPTIONS,
    SELF_SIGN_OPTIONS,
    TEMPLATE_DOCUMENT_OPTIONS,
    TEMPLATE_MARKER_FIELDS,
    CreateRequest,
    PdfFile,
    PdfInput,
    carries_marker,
    check_options,
    check_title,
    direct_fields,
    validate_prefill,
    validate_template_signers,
    with_marker,
)
from signs_provider.opensign.client.polling import CLOCK_SKEW, SENT_STATUSES, page_past_bound
from signs_provider.opensign.client.rest import MAX_PAGE_SIZE, Endpoint, RestSession
from signs_provider.opensign.client.templates import Templates
from signs_provider.opensign.errors import OpenSignInvalidResponseError
from signs_provider.opensign.status import DocumentStatus

CREATE_DOCUMENT = Endpoint("POST", "createdocument", idempotent=False)
DRAFT_DOCUMENT = Endpoint("POST", "draftdocument", idempotent=False)
SELF_SIGN = Endpoint("POST", "selfsign", idempotent=False)
CREATE_FROM_TEMPLATE = Endpoint("POST", "createdocument/{template_id}", idempotent=False)
#: Where a draft can be after a lost answer: still a draft, or sent from the web app since.
_DRAFT_STATUSES = (DocumentStatus.DRAFT, *SENT_STATUSES)


def look_interval(wait: float) -> float:
    """How often a lost create is looked for during a landing wait of ``wait`` seconds.

    A look reads up to four document lists, so it is not repeated more than about five times in one
    wait, nor more often than every half second.
    """
    return max(0.5, wait / 4)


@dataclass(frozen=True)
class SentDocument:
    """A document this provider sent (or created as a draft), however it was obtained.

    :ivar document_id: OpenSign's ``objectId``.
    :ivar title: the title the caller gave (a template's own title when none was given).
    :ivar signing_links: ``({"email", "url"}, ...)``: each signer's personal signing link, when the
        create's answer held them or the document was found again after a lost answer; empty for
        drafts and self-signed documents. Whoever has one can sign as that signer.
    :ivar url: the page the answer points to: where the owner finishes a draft, or the self-signing
        page; ``None`` for documents sent to signers and for documents found again.
    :ivar message: OpenSign's message, if any.
    :ivar recovered: found after a lost answer or by a task retry, rather than created by this call.
    :ivar raw: OpenSign's answer (the list item for a document found again).
    """

    document_id: str
    title: str
    signing_links: tuple[Mapping[str, str], ...] = ()
    url: str | None = None
    message: str | None = None
    recovered: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


class Sending:
    """Creates: from a PDF, as a draft, self-signed, or from a template.

    :param templates: reads a template before a document is sent from it (its roles are checked).
    :param documents: reads the signing links of a document found again after a lost answer.
    :param landing_wait: how long a create with a lost answer may take to show (the hook's setting,
        read when needed).
    :param attempts: ignored (deprecated with the hook's ``create_attempts``): a create whose outcome
        is unknown is never sent again by the same call.
    """

    def __init__(
        self,
        rest: RestSession,
        *,
        templates: Templates,
        documents: Documents,
        landing_wait: Callable[[], float],
        attempts: int = 1,
    ) -> None:
        self.rest = rest
        self.templates = templates
        self.documents = documents
        self._landing_wait = landing_wait
        #: Always 1: kept for callers that read it.
        self.attempts = 1

    # -- the four creates -----------------------------------------------------------------------

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
        return self.send(
            self._direct(
                CREATE_DOCUMENT,
                file,
                title=title,
                signers=signers,
                note=note,
                marker=marker,
                options=options,
                allowed=DOCUMENT_OPTIONS,
                require_widgets=True,
                statuses=SENT_STATUSES,
            )
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
        return self.send(
            self._direct(
                DRAFT_DOCUMENT,
                file,
                title=title,
                signers=signers or [],
                note=note,
                marker=marker,
                options=options,
                allowed=DRAFT_DOCUMENT_OPTIONS,
                require_widgets=False,
                statuses=_DRAFT_STATUSES,
            )
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
        request = self._direct(
            SELF_SIGN,
            file,
            title=title,
            signers=[signer],
            note=note,
            marker=marker,
            options=options,
            allowed=SELF_SIGN_OPTIONS,
            require_widgets=False,
            statuses=SENT_STATUSES,
        )
        # The spec (selfsigndocument_body) declares a singular ``signer`` object but requires ``signers``
        # (a known typo, ../shared/evidence/README.md); which one the hosted server reads cannot be settled
        # from public sources. The body allows extra properties (no ``additionalProperties: false``), so
        # both go out with the same content: ``signer`` as the object the spec declares, ``signers`` as
        # the one-item list the spec requires (the list shape every other create documents). A server
        # reading either one sees the signer; the body validates against the spec as written.
        fields = dict(request.fields)
        (only,) = fields["signers"]
        fields["signer"] = dict(only)
        fields["signers"] = [dict(only)]
        return self.send(replace(request, fields=fields))

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
        template = self.templates.get_template(template_id)
        fields: dict[str, Any] = check_options(options, TEMPLATE_DOCUMENT_OPTIONS, field="options")
        fields["signers"] = validate_template_signers(template, signers)
        fields["title"] = check_title(title or str(template.get("title") or ""))
        plain_title = fields["title"]
        if prefill is not None:
            fields["prefill"] = validate_prefill(prefill, by_name=True)
        if marker:
            # In the title (documented) and in ``note`` (not documented here): see TEMPLATE_MARKER_FIELDS.
            for key in TEMPLATE_MARKER_FIELDS:
                fields[key] = with_marker(str(fields.get(key) or ""), marker)
        pdf = PdfFile(file) if file is not None else None
        return self.send(
            CreateRequest(
                endpoint=CREATE_FROM_TEMPLATE,
                ids=(template_id,),
                fields=fields,
                marker=marker,
                statuses=SENT_STATUSES,
                title=plain_title,
                pdf=pdf,
                pdf_size=pdf.inspect().size if pdf is not None else None,
            )
        )

    def _direct(
        self,
        endpoint: Endpoint,
        file: PdfInput,
        *,
        title: str,
        signers: Sequence[Mapping[str, Any]],
        note: str,
        marker: str | None,
        options: Mapping[str, Any] | None,
        allowed: frozenset[str],
        require_widgets: bool,
        statuses: tuple[DocumentStatus, ...],
    ) -> CreateRequest:
        pdf = PdfFile(file)
        facts = pdf.inspect()  # the one read before sending: size, magic bytes, pages, page size
        fields = direct_fields(
            facts,
            title=title,
            signers=signers,
            note=note,
            marker=marker,
            options=options,
            allowed=allowed,
            require_widgets=require_widgets,
        )
        return CreateRequest(
            endpoint=endpoint,
            fields=fields,
            marker=marker,
            statuses=statuses,
            title=fields["title"],
            pdf=pdf,
            pdf_size=facts.size,
        )

    # -- sending once -----------------------------------------------------------------------------

    def send(self, request: CreateRequest) -> SentDocument:
        """Send a create once; never a second time for one call.

        After an ambiguous failure the document is looked for by its marker through the landing wait
        (see the module); found, it is returned with ``recovered=True``; not found,
        :class:`AmbiguousWriteError` says so and nothing more is sent.
        """
        started = datetime.now(timezone.utc)
        endpoint = request.endpoint
        path = endpoint.path_for(*request.ids)

        def create() -> SentDocument:
            answer = self.rest.call(endpoint, *request.ids, data=request.body)
            return _answered(answer, request.title)

        marker = request.marker
        if not marker:
            try:
                return create()
            except Exception as exc:
                if not is_ambiguous(exc):
                    raise
                raise AmbiguousWriteError(
                    f"POST {path}: {exc} No idempotency marker was given, so the document cannot be "
                    "looked for: check OpenSign's document lists before sending it again.",
                    method="POST",
                    url=self.rest.url(path),
                    timed_out=isinstance(exc, AmbiguousWriteError) and exc.timed_out,
                ) from exc

        def look() -> SentDocument | None:
            found = self.find_document_by_marker(marker, statuses=request.statuses, since=started)
            return None if found is None else self._recovered(endpoint, found, marker)

        wait = self._landing_wait()
        return send_once(
            create,
            look,
            what=f"POST {path} (document with marker {marker})",
            wait=wait,
            attempts=1,  # never automatic: see the module
            interval=look_interval(wait),
        )

    # -- finding a document sent earlier ----------------------------------------------------------

    def find_sent_document(
        self,
        marker: str,
        *,
        since: datetime | None,
        statuses: Sequence[DocumentStatus] = SENT_STATUSES,
        endpoint: str = "createdocument",
    ) -> SentDocument | None:
        """The document an earlier attempt sent with ``marker``, or ``None`` if it has not appeared.

        Looks, and when nothing is found keeps looking through the landing wait (a create still
        running may land meanwhile; see :func:`look_interval`).
        """

        def look() -> SentDocument | None:
            return self.find_sent_document_now(marker, since=since, statuses=statuses, endpoint=endpoint)

        wait = self._landing_wait()
        return settle(look, wait=wait, interval=look_interval(wait))

    def find_sent_document_now(
        self,
        marker: str,
        *,
        since: datetime | None,
        statuses: Sequence[DocumentStatus] = SENT_STATUSES,
        endpoint: str = "createdocument",
    ) -> SentDocument | None:
        """One search for the document sent with ``marker``, without waiting (see :meth:`find_sent_document`)."""
        kind = {e.path: e for e in (CREATE_DOCUMENT, DRAFT_DOCUMENT, SELF_SIGN)}.get(
            endpoint, CREATE_DOCUMENT
        )
        found = self.find_document_by_marker(marker, statuses=statuses, since=since)
        return None if found is None else self._recovered(kind, found, marker)

    def find_document_by_marker(
        self,
        marker: str,
        *,
        statuses: Iterable[DocumentStatus | str] = SENT_STATUSES,
        since: datetime | None = None,
    ) -> dict[str, Any] | None:
        """The newest document carrying ``marker``, searched once in the lists of ``statuses``."""
        bound = since - CLOCK_SKEW if since is not None else None
        for status in statuses:
            doctype = DocumentStatus.parse(status).doctype
            if doctype is None:
                raise SignsConfigError(f"statuses: {status!r} is not a document status.")
            skip = 0
            while True:
                items = self.rest.page(DOCUMENT_LIST, doctype, params={"limit": MAX_PAGE_SIZE, "skip": skip})
                for item in items:
                    if carries_marker(item, marker):
                        return item
                if len(items) < MAX_PAGE_SIZE or page_past_bound(items, bound):
                    break
                skip += len(items)
        return None

    def _recovered(self, endpoint: Endpoint, found: Mapping[str, Any], marker: str) -> SentDocument:
        document_id = str(found["objectId"])
        title = str(found.get("title") or found.get("name") or "")
        # A template send carries the marker in its title: give back the title as it was asked for.
        title = title.replace(f" [{marker}]", "").replace(f"[{marker}]", "")
        if endpoint in (DRAFT_DOCUMENT, SELF_SIGN):
            return SentDocument(document_id, title, recovered=True, raw=found)
        return SentDocument(
            document_id,
            title,
            signing_links=tuple(self.documents.get_signing_links(document_id)),
            message="Found the document sent by an earlier attempt.",
            recovered=True,
            raw=found,
        )


def _answered(answer: Any, title: str) -> SentDocument:
    """A create's answer: ``objectId`` (``document_id`` for drafts), ``signurl``, ``url``, ``message``."""
    body = answer if isinstance(answer, Mapping) else {}
    document_id = body.get("objectId") or body.get("document_id")
    if not document_id:
        # As unreadable as a cut body: the document may exist, so it is settled by looking.
        # Only its keys are named: an answer may hold signing links, which are credentials.
        raise OpenSignInvalidResponseError(
            f"OpenSign's answer to a create holds no document id (keys: {', '.join(sorted(body)) or 'none'})."
        )
    return SentDocument(
        document_id=str(document_id),
        title=str(body.get("title") or title),
        signing_links=tuple(body.get("signurl") or ()),
        url=body.get("url"),
        message=body.get("message"),
        raw=body,
    )
