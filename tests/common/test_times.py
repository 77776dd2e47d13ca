"""Timestamps of both APIs."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

import pytest

from signs_provider.common.times import parse_api_time

UTC = timezone.utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2030-01-01T00:00:00.000Z", datetime(2030, 1, 1, tzinfo=UTC)),
        ("2030-01-01T02:00:00+02:00", datetime(2030, 1, 1, tzinfo=UTC)),
        ("2030-01-01T00:00:00", datetime(2030, 1, 1, tzinfo=UTC)),  # no offset: UTC
        (0, datetime(1970, 1, 1, tzinfo=UTC)),
        (1747392514120, datetime(2025, 5, 16, 10, 48, 34, 120000, tzinfo=UTC)),  # epoch milliseconds
    ],
)
def test_parse_api_time(value, expected: datetime) -> None:
    parsed = parse_api_time(value)
    assert parsed == expected and parsed.tzinfo == UTC


@pytest.mark.parametrize("value", [None, "", "garbage", True])
def test_unreadable_times_are_none(value) -> None:
    assert parse_api_time(value) is None


def test_imports_without_airflow() -> None:
    code = "import sys, signs_provider.common.times; assert 'airflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
