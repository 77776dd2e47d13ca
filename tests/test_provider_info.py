"""The provider as Airflow itself sees it: discovery, the CLI, and the UI's connection forms."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import distribution

import pytest

from signs_provider import PACKAGE_NAME, __version__, get_provider_info


def test_entry_point_points_at_get_provider_info() -> None:
    dist = distribution(PACKAGE_NAME)
    (entry_point,) = [ep for ep in dist.entry_points if ep.group == "apache_airflow_provider"]
    assert entry_point.load() is get_provider_info
    assert dist.version == __version__
    assert dist.metadata["Name"] == get_provider_info()["package-name"] == "airflow-provider-signs"
    assert any("Documentation" in url for url in dist.metadata.get_all("Project-URL"))
    assert "Framework :: Apache Airflow :: Provider" in dist.metadata.get_all("Classifier")


def test_providers_manager_discovers_both_hooks() -> None:
    from airflow.providers_manager import ProvidersManager

    pm = ProvidersManager()
    assert pm.providers[PACKAGE_NAME].version == __version__
    hooks = pm.hooks
    assert hooks["optisigns"].hook_class_name == "signs_provider.optisigns.hooks.OptiSignsHook"
    assert hooks["optisigns"].connection_id_attribute_name == "optisigns_conn_id"
    assert hooks["opensign"].hook_class_name == "signs_provider.opensign.hooks.OpenSignHook"
    assert hooks["opensign"].connection_testable


def test_every_declared_class_and_module_imports() -> None:
    """A wrong path in get_provider_info() would only show up in a user's Airflow: import them all."""
    import importlib

    info = get_provider_info()
    modules = [
        m
        for key in ("hooks", "operators", "sensors", "triggers")
        for e in info[key]
        for m in e["python-modules"]
    ]
    classes = [*info["extra-links"], *(c["hook-class-name"] for c in info["connection-types"])]
    classes += [p["plugin-class"] for p in info["plugins"]]
    for module in modules:
        importlib.import_module(module)
    for path in classes:
        module, _, name = path.rpartition(".")
        assert getattr(importlib.import_module(module), name)


def test_providers_manager_registers_links_and_triggers() -> None:
    from airflow.providers_manager import ProvidersManager

    pm = ProvidersManager()
    assert {
        "signs_provider.optisigns.links.OptiSignsLink",
        "signs_provider.opensign.links.OpenSignDocumentLink",
    } <= set(pm.extra_links_class_names)
    trigger_modules = {t.package_name for t in pm.trigger}
    assert "airflow-provider-signs" in trigger_modules


def _airflow_cli(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "airflow", *args], capture_output=True, text=True, env=os.environ.copy()
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_cli_lists_provider_and_hooks() -> None:
    assert PACKAGE_NAME in _airflow_cli("providers", "list")
    hooks = _airflow_cli("providers", "hooks")
    assert "signs_provider.optisigns.hooks.OptiSignsHook" in hooks
    assert "signs_provider.opensign.hooks.OpenSignHook" in hooks


@pytest.fixture(scope="module")
def hook_meta(airflow_db):
    """What the Airflow 3 UI's connection form reads: GET /ui/connections/hook_meta."""
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    with TestClient(create_app()) as client:
        response = client.get("/ui/connections/hook_meta")
    assert response.status_code == 200
    return {item["connection_type"]: item for item in response.json()}


def test_ui_form_for_optisigns(hook_meta) -> None:
    form = hook_meta["optisigns"]
    assert form["hook_name"] == "OptiSigns"
    fields = form["standard_fields"]
    assert fields["password"]["title"] == "API key"
    assert fields["login"]["hidden"] and fields["port"]["hidden"] and fields["url_schema"]["hidden"]
    assert not fields["host"]["hidden"]
    assert "graphql-gateway.optisigns.com" in fields["host"]["placeholder"]
    extra = form["extra_fields"]
    assert set(extra) >= {"team_id", "timeout"}
    assert extra["team_id"]["schema"]["type"] == ["string", "null"]


def test_ui_form_for_opensign(hook_meta) -> None:
    form = hook_meta["opensign"]
    assert form["hook_name"] == "OpenSign"
    assert form["standard_fields"]["password"]["title"] == "API token"
    environment = form["extra_fields"]["environment"]
    # An enum renders as a dropdown; sandbox first and by default, so no live credit is spent by accident.
    assert environment["schema"]["enum"] == ["sandbox", "live", "eu"]
    assert environment["value"] == environment["schema"]["default"] == "sandbox"
    assert form["extra_fields"]["webhook_secret"]["schema"]["format"] == "password"
    assert set(form["extra_fields"]) == {"environment", "timeout", "webhook_secret"}


def test_both_asset_uri_schemes_are_registered_with_airflow() -> None:
    # Airflow skips an "asset-uris" entry without a "handler" key (None = no normalisation).
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    handlers = ProvidersManagerTaskRuntime().asset_uri_handlers
    assert {"optisigns", "opensign"} <= set(handlers)
