"""Demo credentials accepted by the emulator.

They are printed by ``signs-emulator`` and used by ``Emulator.connections()``. Every secret is at least six
characters long so that Airflow's secret masker hides it in task logs.
"""

from __future__ import annotations

OPTISIGNS_DEFAULT_TEAM_ID = "1"

#: Per-resource scopes of an OptiSigns API key. The real UI offers Create / Edit / Delete per resource plus a
#: separate Tags scope; the exact scope names are not published, so these strings are our own. [INFERRED]
OPTISIGNS_RESOURCES = ("devices", "assets", "playlists", "schedules", "teams")
OPTISIGNS_LEVELS = ("read", "create", "edit", "delete")
OPTISIGNS_TAGS_SCOPE = "tags"
OPTISIGNS_ALL_SCOPES: frozenset[str] = frozenset(
    {f"{resource}:{level}" for resource in OPTISIGNS_RESOURCES for level in OPTISIGNS_LEVELS}
    | {OPTISIGNS_TAGS_SCOPE}
)
OPTISIGNS_READ_SCOPES: frozenset[str] = frozenset(f"{resource}:read" for resource in OPTISIGNS_RESOURCES)

OPTISIGNS_DEMO_KEY = "optisigns-demo-key"
OPTISIGNS_READONLY_KEY = "optisigns-readonly-key"
OPTISIGNS_NOSCOPE_KEY = "optisigns-noscope-key"

#: API key -> scopes granted to it. More keys can be added at run time through the control API.
OPTISIGNS_API_KEYS: dict[str, frozenset[str]] = {
    OPTISIGNS_DEMO_KEY: OPTISIGNS_ALL_SCOPES,
    OPTISIGNS_READONLY_KEY: OPTISIGNS_READ_SCOPES,
    OPTISIGNS_NOSCOPE_KEY: frozenset(),
}

#: OpenSign environment -> API token valid in that environment only.
OPENSIGN_TOKENS: dict[str, str] = {
    "sandbox": "opensign-sandbox-token",
    "live": "opensign-live-token",
    "eu": "opensign-eu-token",
}


def airflow_connections(base_url: str) -> dict[str, str]:
    """``AIRFLOW_CONN_*`` environment variables (JSON form) pointing Airflow at an emulator at ``base_url``.

    The field layout mirrors what the provider's hooks read: for OptiSigns the GraphQL URL in ``host`` and the
    key in ``password``; for OpenSign the environment's base (the hook appends ``/api/v1.2``) and the token.
    """
    import json

    base_url = base_url.rstrip("/")
    optisigns = {
        "conn_type": "optisigns",
        "host": f"{base_url}/optisigns/graphql",
        "password": OPTISIGNS_DEMO_KEY,
        "extra": {"team_id": OPTISIGNS_DEFAULT_TEAM_ID, "upload_url": f"{base_url}/transloadit/assemblies"},
    }

    def opensign(env: str) -> dict[str, object]:
        return {
            "conn_type": "opensign",
            "host": f"{base_url}/opensign/{env}",
            "password": OPENSIGN_TOKENS[env],
            "extra": {"environment": env},
        }

    feeds = {"conn_type": "http", "host": f"{base_url}/feeds"}
    return {
        "AIRFLOW_CONN_OPTISIGNS_DEFAULT": json.dumps(optisigns),
        "AIRFLOW_CONN_OPENSIGN_DEFAULT": json.dumps(opensign("sandbox")),
        "AIRFLOW_CONN_OPENSIGN_LIVE": json.dumps(opensign("live")),
        "AIRFLOW_CONN_OPENSIGN_EU": json.dumps(opensign("eu")),
        "AIRFLOW_CONN_SIGNS_FEEDS": json.dumps(feeds),
    }
