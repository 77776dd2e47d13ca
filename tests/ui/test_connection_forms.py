"""Both connection forms, filled in and tested in a real browser against a real Airflow UI.

What a user does first: Admin > Connections > Add Connection, pick the type, fill the form, save,
press Test. The Test button runs the provider's ``test_connection()`` inside the API server,
against the emulator. Screenshots of each filled form go to ``artifacts/ui/``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from signs_emulator.credentials import OPENSIGN_TOKENS, OPTISIGNS_DEFAULT_TEAM_ID, OPTISIGNS_DEMO_KEY
from tests.ui.conftest import ARTIFACTS, LocalAirflow

pytestmark = pytest.mark.real_airflow

WEBHOOK_SECRET = "ui-test-webhook-secret-8k2"
WRONG_OPTISIGNS_KEY = "optisigns-key-that-was-revoked"


def add_connection(page: Any, conn_id: str, type_label: str) -> Any:
    """Open Add Connection, set the id and the type; return the dialog."""
    page.get_by_role("button", name="Add Connection").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Connection ID").fill(conn_id)
    dialog.get_by_role("combobox", name="Connection Type").fill(type_label)
    page.get_by_role("option", name=type_label, exact=True).click()
    return dialog


def field(dialog: Any, label: str) -> Any:
    """The input of the form field labelled ``label`` (some inputs are not tied to their label)."""
    group = dialog.get_by_role("group").filter(has=dialog.page.locator("label", has_text=label))
    return group.locator("input:not([type=hidden])").first


def open_section(dialog: Any, name: str) -> None:
    """Expand an accordion section of the form (only one is open at a time)."""
    trigger = dialog.get_by_role("button", name=name, exact=True)
    if trigger.get_attribute("aria-expanded") != "true":
        trigger.click()


def save(page: Any, dialog: Any, conn_id: str) -> Any:
    """Save the form; return the connection's row in the list."""
    dialog.get_by_role("button", name="Save").click()
    dialog.wait_for(state="hidden")
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=conn_id, exact=True))
    row.wait_for()
    return row


def press_test(page: Any, row: Any, expected_title: str, screenshot: str) -> str:
    """Press the row's Test button; return the text of the toast it shows (and save a picture of it)."""
    row.get_by_role("button", name="Test Connection").click()
    toast = page.get_by_role("status").filter(has_text=expected_title).first
    toast.wait_for(timeout=60_000)
    toast.screenshot(path=str(ARTIFACTS / screenshot), animations="disabled")
    return " ".join(toast.inner_text().split())


def edit(page: Any, row: Any) -> Any:
    row.get_by_role("button", name="Edit Connection").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("heading", name="Edit Connection").wait_for()
    return dialog


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / name))


def assert_redacted(local_airflow: LocalAirflow, conn_id: str, secrets: list[str]) -> dict[str, Any]:
    """The REST API shows '***' for the secrets of ``conn_id`` and never their values."""
    response = local_airflow.api.get(f"/api/v2/connections/{conn_id}")
    response.raise_for_status()
    listing = local_airflow.api.get("/api/v2/connections", params={"limit": 100}).text
    for secret in secrets:
        assert secret not in response.text and secret not in listing
    body = response.json()
    assert body["password"] == "***"
    return body


def test_opensign_form_tests_against_the_emulator(page: Any, local_airflow: LocalAirflow) -> None:
    conn_id = "ui_opensign"
    live_token, sandbox_token = OPENSIGN_TOKENS["live"], OPENSIGN_TOKENS["sandbox"]
    page.goto(f"{local_airflow.url}/connections")
    dialog = add_connection(page, conn_id, "OpenSign")
    open_section(dialog, "Standard Fields")
    dialog.get_by_label("Host override").fill(f"{local_airflow.emulator_url}/opensign/live")
    dialog.get_by_label("API token").fill(live_token)
    shot(page, "opensign_form_standard.png")
    open_section(dialog, "Extra Fields")
    dialog.get_by_role("combobox", name="Environment").click()
    page.get_by_role("option", name="live", exact=True).click()
    field(dialog, "Webhook secret").fill(WEBHOOK_SECRET)
    shot(page, "opensign_form_extra.png")
    row = save(page, dialog, conn_id)

    stored = assert_redacted(local_airflow, conn_id, [live_token, WEBHOOK_SECRET])
    assert stored["conn_type"] == "opensign"
    extra = json.loads(stored["extra"])
    assert extra["environment"] == "live" and extra["webhook_secret"] == "***"

    message = press_test(page, row, "Test Connection Successful", "opensign_test_success.png")
    assert "Connected to OpenSign live" in message, message

    # A token of the other environment: the form keeps the masked token unless it is replaced.
    dialog = edit(page, row)
    open_section(dialog, "Standard Fields")
    token_input = dialog.get_by_label("API token")
    assert token_input.input_value() == "***"
    assert live_token not in page.content() and WEBHOOK_SECRET not in page.content()
    token_input.fill(sandbox_token)
    shot(page, "opensign_form_other_environment.png")
    row = save(page, dialog, conn_id)

    message = press_test(page, row, "Test Connection Failed", "opensign_test_failure.png")
    assert "OpenSign rejected the API token" in message, message
    assert "belongs to another environment" in message, message
    assert sandbox_token not in message
    assert_redacted(local_airflow, conn_id, [sandbox_token, WEBHOOK_SECRET])


def test_optisigns_form_tests_against_the_emulator(page: Any, local_airflow: LocalAirflow) -> None:
    conn_id = "ui_optisigns"
    page.goto(f"{local_airflow.url}/connections")
    dialog = add_connection(page, conn_id, "OptiSigns")
    open_section(dialog, "Standard Fields")
    dialog.get_by_label("GraphQL endpoint").fill(f"{local_airflow.emulator_url}/optisigns/graphql")
    dialog.get_by_label("API key").fill(OPTISIGNS_DEMO_KEY)
    shot(page, "optisigns_form_standard.png")
    open_section(dialog, "Extra Fields")
    field(dialog, "Team ID").fill(OPTISIGNS_DEFAULT_TEAM_ID)
    field(dialog, "Upload URL").fill(f"{local_airflow.emulator_url}/transloadit/assemblies")
    shot(page, "optisigns_form_extra.png")
    row = save(page, dialog, conn_id)

    stored = assert_redacted(local_airflow, conn_id, [OPTISIGNS_DEMO_KEY])
    assert stored["conn_type"] == "optisigns"
    assert json.loads(stored["extra"])["team_id"] == OPTISIGNS_DEFAULT_TEAM_ID

    message = press_test(page, row, "Test Connection Successful", "optisigns_test_success.png")
    assert re.search(r"Connected to OptiSigns at http://127\.0\.0\.1:\d+/optisigns/graphql as ", message), (
        message
    )

    dialog = edit(page, row)
    open_section(dialog, "Standard Fields")
    key_input = dialog.get_by_label("API key")
    assert key_input.input_value() == "***"
    assert OPTISIGNS_DEMO_KEY not in page.content()
    key_input.fill(WRONG_OPTISIGNS_KEY)
    row = save(page, dialog, conn_id)

    message = press_test(page, row, "Test Connection Failed", "optisigns_test_failure.png")
    assert "invalid API key" in message, message
    assert WRONG_OPTISIGNS_KEY not in message
    assert_redacted(local_airflow, conn_id, [WRONG_OPTISIGNS_KEY])
