"""Tiny GraphQL helpers for the OptiSigns emulator tests (real HTTP with requests)."""

from __future__ import annotations

from typing import Any

import requests

from signs_emulator import Emulator
from signs_emulator.credentials import OPTISIGNS_DEMO_KEY


def post(
    emu: Emulator, query: str, variables: dict[str, Any] | None = None, key: str | None = OPTISIGNS_DEMO_KEY
):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return requests.post(emu.optisigns_graphql_url, json=body, headers=headers, timeout=10)


def data(
    emu: Emulator, query: str, variables: dict[str, Any] | None = None, key: str = OPTISIGNS_DEMO_KEY
) -> Any:
    """The ``data`` of a successful call (fails the test on any error)."""
    response = post(emu, query, variables, key)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def error(
    emu: Emulator, query: str, variables: dict[str, Any] | None = None, key: str = OPTISIGNS_DEMO_KEY
) -> dict[str, Any]:
    """The single error of a call that fails in a resolver (HTTP 200, documented error shape)."""
    response = post(emu, query, variables, key)
    assert response.status_code == 200, response.text
    errors = response.json()["errors"]
    assert len(errors) == 1, errors
    return errors[0]


def nodes(emu: Emulator, kind: str, selection: str, query: str = "{}") -> list[dict[str, Any]]:
    result = data(emu, f"{{ {kind}(query: {query}) {{ page {{ edges {{ node {{ {selection} }} }} }} }} }}")
    return [edge["node"] for edge in result[kind]["page"]["edges"]]
