"""Apache Airflow provider for OptiSigns (digital signage) and OpenSign (e-signatures).

Importing this package is cheap on purpose: Airflow calls :func:`get_provider_info` during
provider discovery in every process, and DAG files are parsed every 30 seconds.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

PACKAGE_NAME = "airflow-provider-signs"


def get_provider_info() -> dict[str, Any]:
    """Describe the provider to Airflow (entry point ``apache_airflow_provider``).

    The connection forms are declared here (``conn-fields`` and ``ui-field-behaviour``):
    from Airflow 3.3 the UI reads nothing else.
    """
    return {
        "package-name": PACKAGE_NAME,
        "name": "Signs (OptiSigns and OpenSign)",
        "description": "Put live data on OptiSigns screens and send documents for signature with OpenSign.",
        "integrations": [
            {
                "integration-name": "OptiSigns",
                "external-doc-url": "https://support.optisigns.com/hc/en-us/sections/4414558217235-OptiSigns-API",
                "tags": ["service"],
            },
            {
                "integration-name": "OpenSign",
                "external-doc-url": "https://docs.opensignlabs.com/docs/API-docs/v1.2/",
                "tags": ["service"],
            },
        ],
        "hooks": [
            {"integration-name": "OptiSigns", "python-modules": ["signs_provider.optisigns.hooks"]},
            {"integration-name": "OpenSign", "python-modules": ["signs_provider.opensign.hooks"]},
        ],
        "operators": [
            {"integration-name": "OptiSigns", "python-modules": ["signs_provider.optisigns.operators"]},
            {"integration-name": "OpenSign", "python-modules": ["signs_provider.opensign.operators"]},
        ],
        "sensors": [
            {"integration-name": "OptiSigns", "python-modules": ["signs_provider.optisigns.sensors"]},
            {"integration-name": "OpenSign", "python-modules": ["signs_provider.opensign.sensors"]},
        ],
        "triggers": [
            {
                "integration-name": "OptiSigns",
                "python-modules": ["signs_provider.optisigns.triggers", "signs_provider.optisigns.events"],
            },
            {
                "integration-name": "OpenSign",
                "python-modules": ["signs_provider.opensign.triggers", "signs_provider.opensign.events"],
            },
        ],
        "notifications": ["signs_provider.optisigns.notifications.OptiSignsNotifier"],
        "extra-links": [
            "signs_provider.optisigns.links.OptiSignsLink",
            "signs_provider.opensign.links.OpenSignDocumentLink",
        ],
        # Airflow skips an entry without a "handler" key; None registers the scheme as is.
        "asset-uris": [{"schemes": ["optisigns", "opensign"], "handler": None}],
        "plugins": [{"name": "signs_provider", "plugin-class": "signs_provider.plugins.SignsProviderPlugin"}],
        "connection-types": [_OPTISIGNS_CONNECTION, _OPENSIGN_CONNECTION],
    }


_TIMEOUT_FIELD: dict[str, Any] = {
    "label": "Timeout",
    "description": "Optional. Seconds to wait for each API response (default 30).",
    "schema": {"type": ["number", "null"], "minimum": 1},
}

_OPTISIGNS_CONNECTION: dict[str, Any] = {
    "connection-type": "optisigns",
    "hook-class-name": "signs_provider.optisigns.hooks.OptiSignsHook",
    "hook-name": "OptiSigns",
    "ui-field-behaviour": {
        "hidden-fields": ["login", "port", "schema"],
        "relabeling": {"password": "API key", "host": "GraphQL endpoint"},
        "placeholders": {
            "password": "API key from app.optisigns.com > API Keys",
            "host": "https://graphql-gateway.optisigns.com/graphql (leave empty for the public API)",
        },
    },
    "conn-fields": {
        "team_id": {
            "label": "Team ID",
            "description": "Optional. OptiSigns team to act in, sent as teamId. Empty means the key's default team.",
            "schema": {"type": ["string", "null"]},
        },
        "timeout": _TIMEOUT_FIELD,
        "max_upload_mb": {
            "label": "Max upload (MB)",
            "description": "Optional. Largest file to upload, checked before sending (default 1024, "
            "OptiSigns' per-file limit; 25 on the free plan).",
            "schema": {"type": ["number", "null"], "minimum": 1},
        },
        "upload_url": {
            "label": "Upload URL",
            "description": "Optional. Where file uploads are posted (Transloadit assemblies). "
            "Leave empty for https://api2.transloadit.com/assemblies; set it only for the local emulator.",
            "schema": {"type": ["string", "null"]},
        },
    },
}

_OPENSIGN_CONNECTION: dict[str, Any] = {
    "connection-type": "opensign",
    "hook-class-name": "signs_provider.opensign.hooks.OpenSignHook",
    "hook-name": "OpenSign",
    "ui-field-behaviour": {
        "hidden-fields": ["login", "port", "schema"],
        "relabeling": {"password": "API token", "host": "Host override"},
        "placeholders": {
            "password": "API token from OpenSign > Settings > API Token",
            "host": "Optional: e.g. https://staging-app.opensignlabs.com; wins over Environment",
        },
    },
    "conn-fields": {
        "environment": {
            "label": "Environment",
            "description": "sandbox (free test credits), live (spends real credits) or eu (EU region). "
            "A token only works in the environment that issued it.",
            "schema": {"type": "string", "enum": ["sandbox", "live", "eu"], "default": "sandbox"},
        },
        "timeout": _TIMEOUT_FIELD,
        "webhook_secret": {
            "label": "Webhook secret",
            "description": "Optional. The secret OpenSign signs webhook deliveries with (x-webhook-signature).",
            "schema": {"type": ["string", "null"], "format": "password"},
        },
    },
}
