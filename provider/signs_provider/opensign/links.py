"""The "OpenSign" button on a task: opens the document the task sent, downloaded or revoked.

The address is worked out while the task runs (it depends on the connection's environment or host
override, see ``OpenSignHook.document_url``) and stored in XCom; the button only reads it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

#: XCom key under which an operator stores the address the button opens.
LINK_XCOM_KEY = "opensign_document_url"


class OpenSignDocumentLink(BaseOperatorLink):
    """Opens the task's document in the OpenSign web app."""

    name = "OpenSign"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        """The address the task stored while it ran, or ``""`` before it has run."""
        from airflow.providers.common.compat.sdk import XCom

        return XCom.get_value(key=LINK_XCOM_KEY, ti_key=ti_key) or ""
