"""The "OpenSign" button. Its XCom is written for real in the DAG test; here its wiring and address."""

from __future__ import annotations

from signs_provider.opensign.links import LINK_XCOM_KEY, OpenSignDocumentLink
from signs_provider.opensign.operators import (
    OpenSignDownloadDocumentOperator,
    OpenSignResendReminderOperator,
    OpenSignRevokeDocumentOperator,
    OpenSignSendForSignatureOperator,
    OpenSignSendTemplateOperator,
)
from tests.opensign.conftest import RunningTask, task_context


def test_the_button_reads_back_the_address_the_task_stored(opensign, monkeypatch) -> None:
    """get_link looks the address up under the key the operator pushed it with."""
    from airflow.providers.common.compat import sdk as compat_sdk

    stored = {}

    def get_value(*, key, ti_key):
        return stored.get((key, ti_key))

    ti = RunningTask()
    OpenSignRevokeDocumentOperator(task_id="revoke", document_id="d1")._link(task_context(ti), "Xy12")
    stored[(LINK_XCOM_KEY, "ti-key")] = ti.xcoms[LINK_XCOM_KEY]
    monkeypatch.setattr(compat_sdk.XCom, "get_value", staticmethod(get_value))
    link = OpenSignDocumentLink()
    assert link.get_link(OpenSignRevokeDocumentOperator(task_id="r", document_id="d1"), ti_key="ti-key") == (
        f"{opensign.opensign_host('sandbox')}/recipientSignPdf/Xy12"
    )
    assert link.get_link(OpenSignRevokeDocumentOperator(task_id="r", document_id="d1"), ti_key="other") == ""


def test_every_document_operator_has_the_button() -> None:
    for operator in (
        OpenSignSendForSignatureOperator,
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
