"""The evidence for every field the OpenSign hook sends, and the table of those sent without it (issue 10).

The evidence is OpenSign's official OpenAPI description of API v1.2 (35 operations): repository
OpenSignLabs/OpenSign, branch ``feat-docs``, ``docs/docs/API-docs/v1.2/opensign.yaml``, commit ``c595e7a``,
kept byte for byte in ``../shared/evidence/opensign-openapi/opensign-v1.2.yaml`` (read only by the tests).
Where it disagrees with the last open-source server (v1, commit ``b55aff2``), the spec describes the hosted
API of today. Nothing in this module is read at run time to build a request: it is the record the tests
hold the hook to (``tests/evidence/test_opensign_conformance.py`` captures every request the hook sends,
validates it with openapi-core, and checks that each field the spec does not declare for that operation is
listed in :data:`UNEVIDENCED`, and that each entry there is still sent).

Where each field set is defined, next to it, the spec schema that declares it:

======================================  ==================================  ===============================
operation                               spec request schema                 the hook's field set
======================================  ==================================  ===============================
``POST /createdocument``                ``createdocument_body``             ``payloads.DOCUMENT_OPTIONS``
``POST /draftdocument``                 ``draftdocument_body``              ``payloads.DRAFT_DOCUMENT_OPTIONS``
``POST /selfsign``                      ``selfsigndocument_body``           ``payloads.SELF_SIGN_OPTIONS``
``POST /createdocument/{template_id}``  ``createdocument_template_id_body``  ``payloads.TEMPLATE_DOCUMENT_OPTIONS``
``POST /createtemplate``, draft         ``createtemplate_body``             ``payloads.TEMPLATE_OPTIONS``
``PUT /document/{id}``                  ``document_document_id_body``       ``payloads.DOCUMENT_UPDATE_FIELDS``
``PUT /template/{id}``                  ``template_template_id_body``       ``payloads.TEMPLATE_UPDATE_FIELDS``
``POST /document/{id}`` (revoke)        ``revokedocument``                  ``reason``
``POST /resendmail``                    ``resendmail_body``                 document_id, email, subject, body
``POST /createcontact``, ``PUT``        ``createcontact_body``,             ``contacts.CONTACT_FIELDS``
                                        ``updatecontact_body``
``POST /createfolder``, ``PUT``         ``folder_body``                     folderName, parentFolderId
``POST /webhook``                       ``webhook_body``                    url
list reads                              query ``limit``, ``skip``           (``folderlist``: ``parentFolderId``)
======================================  ==================================  ===============================

Signers and widgets are checked against ``createdocument_body_signers``/``_widgets`` and their template
counterparts by the same test.
"""

from __future__ import annotations

from dataclasses import dataclass

SPEC = "OpenSign API v1.2 OpenAPI (OpenSignLabs/OpenSign@c595e7a, docs/docs/API-docs/v1.2/opensign.yaml)"


@dataclass(frozen=True)
class Guess:
    """A field the hook sends although the spec does not declare it for the operation.

    :ivar operation: ``"METHOD /path template"`` as the spec writes it.
    :ivar field: the field (a JSON body member; ``?name`` for a query parameter).
    :ivar why: why it is sent all the same.
    :ivar fallback: what happens if the hosted server ignores or refuses it, and where that is tested.
    """

    operation: str
    field: str
    why: str
    fallback: str


#: Every field sent without the spec's evidence for it: the whole list (the conformance test fails on a
#: field sent that is not here, and on an entry here that is no longer sent).
UNEVIDENCED: tuple[Guess, ...] = (
    Guess(
        operation="POST /selfsign",
        field="signers",
        why=(
            "selfsigndocument_body requires 'signers' but declares only 'signer' (a known typo, "
            "../shared/evidence/README.md); which one the hosted server reads cannot be settled from public "
            "sources. Both are sent with the same content; the body allows extra properties."
        ),
        fallback=(
            "A server reading 'signer' ignores 'signers' and the other way round: the signer is seen "
            "either way (tests/opensign/test_spec_fixes.py::test_self_sign_sends_signer_and_signers_with_the_"
            "same_content). [INFERRED] a server refusing unknown members would answer 400 before creating "
            "anything (no credit spent): the error names the request; nothing suggests OpenSign does."
        ),
    ),
    Guess(
        operation="POST /createdocument/{template_id}",
        field="note",
        why=(
            "Carries the idempotency marker a second time. The documented carrier, 'title', was ignored by "
            "the last open-source server (v1) in favour of the template's name; the spec's body declares no "
            "'note' here but allows extra properties."
        ),
        fallback=(
            "The marker search reads both 'title' and 'note' (payloads.carries_marker), so a document is "
            "found whichever one the server keeps (tests/opensign/test_spec_fixes.py::test_a_lost_template_send_is_"
            "found_when_the_server_ignores_the_title, and ..._ignores_the_note). [INFERRED] a server "
            "keeping neither leaves no marker: a lost answer then ends in AmbiguousWriteError (never "
            "resent by the call), and a task retry cannot find the first document."
        ),
    ),
)
