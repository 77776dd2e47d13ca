"""The Airflow plugin that lets the UI's Test button work for connections without a port."""

from __future__ import annotations

import json

import pytest

from signs_emulator import credentials
from signs_provider.plugins import SignsProviderPlugin, airflow_rejects_port_zero


@pytest.fixture
def api(airflow_db, monkeypatch, emulator):
    """Airflow's real API app (plugins included), with the Test button enabled."""
    monkeypatch.setenv("AIRFLOW__CORE__TEST_CONNECTION", "Enabled")
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    with TestClient(create_app()) as client:
        yield client


def _stored_connection(api, emulator, conn_id: str) -> None:
    api.delete(f"/api/v2/connections/{conn_id}")
    created = api.post(
        "/api/v2/connections",
        json={
            "connection_id": conn_id,
            "conn_type": "opensign",
            "host": emulator.opensign_host("sandbox"),
            "password": credentials.OPENSIGN_TOKENS["sandbox"],
            "extra": json.dumps({"environment": "sandbox"}),
        },
    )
    assert created.status_code == 201, created.text


def test_plugin_is_registered_with_its_middleware() -> None:
    assert SignsProviderPlugin.name == "signs_provider"
    assert (
        SignsProviderPlugin.fastapi_root_middlewares[0]["middleware"].__name__ == "PortlessConnectionTestFix"
    )


def test_test_button_on_a_stored_connection_succeeds(api, emulator) -> None:
    """What the React UI posts for a stored connection: the masked password and ``port: 0``."""
    _stored_connection(api, emulator, "opensign_ui_test")
    response = api.post(
        "/api/v2/connections/test",
        json={
            "connection_id": "opensign_ui_test",
            "conn_type": "opensign",
            "host": emulator.opensign_host("sandbox"),
            "port": 0,
            "password": "***",
            "extra": json.dumps({"environment": "sandbox"}),
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] is True
    assert "Connected to OpenSign sandbox" in response.json()["message"]


def test_other_connection_types_are_left_alone(api) -> None:
    """Only this provider's connection types are rewritten: another type keeps Airflow's own answer."""
    response = api.post(
        "/api/v2/connections/test",
        json={
            "connection_id": "not_stored_http",
            "conn_type": "http",
            "host": "http://127.0.0.1:9",
            "port": 0,
        },
    )
    assert response.status_code == 200
    assert response.json()["status"] is False


def test_the_bug_check_matches_this_airflow() -> None:
    from airflow.api_fastapi.core_api.routes.public.connections import _same_endpoint

    assert airflow_rejects_port_zero() is (not _same_endpoint(0, None))
