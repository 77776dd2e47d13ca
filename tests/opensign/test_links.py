"""The "OpenSign" button. Its XCom is written for real in the DAG test; here its wiring and address."""

from __future__ import annotations

from signs_provider.opensign.links import LINK_XCOM_KEY, OpenSignDocumentLink
from signs_provider.opensign.operators import (
    OpenSignDownloadDocumentOperator,
    OpenSignResendReminderOperator,
    OpenSignRevokeDocumentOperator,
    OpenSignSendDocumentOperator,
    OpenSignSendTemplateOperator,
)
from tests.opensign.conftest import RunningTask, task_context


def test_link_name_and_key() -> None:
    link = OpenSignDocumentLink()
    assert link.name == "OpenSign"
    assert link.xcom_key == "_link_OpenSignDocumentLink"
    assert LINK_XCOM_KEY == "opensign_document_url"


def test_every_document_operator_has_the_button() -> None:
    for operator in (
        OpenSignSendDocumentOperator,
        OpenSignSendTemplateOperator,
        OpenSignDownloadDocumentOperator,
        OpenSignRevokeDocumentOperator,
        OpenSignResendReminderOperator,
    ):
        assert any(isinstance(link, OpenSignDocumentLink) for link in operator.operator_extra_links)


def test_the_address_is_pushed_for_the_button(opensign) -> None:
    ti = RunningTask()
    operator = OpenSignRevokeDocumentOperator(task_id="revoke", document_id="d1")
    assert operator._link(task_context(ti), "Xy12") == ti.xcoms[LINK_XCOM_KEY]
    assert ti.xcoms[LINK_XCOM_KEY] == f"{opensign.opensign_host('sandbox')}/recipientSignPdf/Xy12"
