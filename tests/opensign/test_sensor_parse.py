"""The sensor checks ``failure_statuses`` at parse time without importing :mod:`.status`: both agree."""

from __future__ import annotations

import pytest

from signs_provider.common.errors import SignsConfigError
from signs_provider.opensign.sensors import _DEFAULT_FAILURE_STATUSES, OpenSignDocumentSensor, final_status
from signs_provider.opensign.status import _BY_KEY, UNSUCCESSFUL_STATUS_NAMES, DocumentStatus

SPELLINGS = [
    *_BY_KEY,
    *(s.value for s in DocumentStatus),
    "In Progress",
    "in-progress",
    "DECLINED",
    " Revoked ",
    "Expired",
    "",
    None,
    "signed",
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_final_status_agrees_with_document_status(spelling) -> None:
    parsed = DocumentStatus.parse(spelling)
    assert final_status(spelling) == (parsed.value if parsed.is_terminal else None)


def test_the_default_failure_statuses_are_the_status_modules() -> None:
    assert _DEFAULT_FAILURE_STATUSES == UNSUCCESSFUL_STATUS_NAMES
    assert OpenSignDocumentSensor(task_id="t", document_ids="x").failure_statuses == list(
        UNSUCCESSFUL_STATUS_NAMES
    )


def test_spellings_are_normalised_and_open_statuses_refused() -> None:
    sensor = OpenSignDocumentSensor(task_id="t", document_ids="x", failure_statuses=["Revoked", "EXPIRED"])
    assert sensor.failure_statuses == ["declined", "expired"]
    with pytest.raises(SignsConfigError, match="failure_statuses: 'in-progress' is not a final status"):
        OpenSignDocumentSensor(task_id="t", document_ids="x", failure_statuses=["in-progress"])
