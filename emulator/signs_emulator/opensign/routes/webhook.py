"""OpenSign API: the account's webhook URL (``GET``/``POST``/``DELETE /webhook``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..state import ApiError
from ..validation import bad_input
from .call import Call, operation

router = APIRouter()


@operation(router, "GET", "/webhook")
def get_webhook(call: Call) -> dict[str, Any]:
    if not call.env.webhook_url:
        # Measured on the sandbox: no webhook set answers 404 "User not found!" (OSS answered {}).
        raise ApiError(404, "User not found!")
    return {"webhook": call.env.webhook_url}


@operation(router, "POST", "/webhook")
def save_webhook(call: Call) -> dict[str, Any]:
    # The spec's schema requires "Url" (a typo for the documented "url" property); accept both.
    url = call.body.get("url", call.body.get("Url"))
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise bad_input()
    if url == call.env.webhook_url:
        raise ApiError(401, "Webhook url already exists!")
    call.env.webhook_url = url
    return {"result": "Webhook updated successfully!"}


@operation(router, "DELETE", "/webhook")
def delete_webhook(call: Call) -> dict[str, Any]:
    # [INFERRED] deleting when none is set still succeeds, as OSS's unset did.
    call.env.webhook_url = ""
    return {"result": "Webhook deleted successfully!"}
