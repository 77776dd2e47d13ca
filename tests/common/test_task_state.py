"""The task state store helper: records on Airflow 3.3, silently nothing where there is no store."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from signs_provider.common.task_state import KEY_PREFIX, record_key, remember, remembered, state_store


class Store:
    """``context["task_state_store"]`` as Airflow 3.3 gives it (get with a default, set refusing None)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def set(self, key: str, value: Any, *, retention: Any = None) -> None:
        if value is None:
            raise ValueError("Cannot set value as None")
        self.values[key] = value


def test_a_record_is_read_back_by_a_later_try() -> None:
    context = {"task_state_store": Store()}
    key = record_key("optisigns-upload", "airflow-key-0123")
    assert remembered(context, key) is None
    assert remember(context, key, {"asset_id": "a1"}) is True
    assert remembered(context, key) == {"asset_id": "a1"}


@pytest.mark.parametrize("context", [{}, {"task_state_store": None}, {"task_state_store": object()}])
def test_without_a_store_nothing_is_recorded_and_nothing_is_remembered(context) -> None:
    """Airflow 3.2 has no ``task_state_store`` in the context: the callers fall back to their search."""
    assert state_store(context) is None
    assert remember(context, "k", {"a": 1}) is False
    assert remembered(context, "k") is None


def test_an_unreadable_or_unwritable_store_is_logged_not_raised(caplog) -> None:
    class Broken(Store):
        def get(self, key: str, default: Any = None) -> Any:
            raise RuntimeError("API server unreachable")

        def set(self, key: str, value: Any, *, retention: Any = None) -> None:
            raise RuntimeError("API server unreachable")

    context = {"task_state_store": Broken()}
    with caplog.at_level(logging.WARNING, logger="signs_provider.common.task_state"):
        assert remembered(context, "k") is None
        assert remember(context, "k", {"a": 1}) is False
    assert caplog.text.count("API server unreachable") == 2
    with pytest.raises(RuntimeError, match="unreachable"):
        remember(context, "k", {"a": 1}, required=True)


def test_a_value_that_is_not_a_record_is_ignored() -> None:
    store = Store()
    store.values["k"] = "written by other code"
    assert remembered({"task_state_store": store}, "k") is None


def test_keys_are_short_stable_and_hold_nothing_readable() -> None:
    key = record_key("opensign-document", "contract-42 with a secret-looking part")
    assert key == record_key("opensign-document", "contract-42 with a secret-looking part")
    assert key.startswith(KEY_PREFIX + "opensign-document/") and "contract" not in key
    assert len(key) < 80 and record_key("a", "b", "c") != record_key("a", "bc")


def test_the_store_airflow_3_3_gives_a_task_is_the_one_used() -> None:
    """The accessor's methods are what the helper calls (checked against the installed Airflow)."""
    import inspect

    accessor = pytest.importorskip("airflow.sdk.execution_time.context").TaskStateStoreAccessor
    assert list(inspect.signature(accessor.get).parameters)[:3] == ["self", "key", "default"]
    assert list(inspect.signature(accessor.set).parameters)[:3] == ["self", "key", "value"]
