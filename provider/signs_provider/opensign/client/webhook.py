"""The account's webhook: one URL per account and environment."""

from __future__ import annotations

import contextlib
from typing import Any

from signs_provider.common.transport import require_secure_url
from signs_provider.opensign.client.rest import Endpoint, RestSession
from signs_provider.opensign.errors import OpenSignConflictError, OpenSignNotFoundError

GET_WEBHOOK = Endpoint("GET", "webhook", idempotent=True)
#: Setting the URL it already has is harmless (OpenSign answers 401 "already exists").
SET_WEBHOOK = Endpoint("POST", "webhook", idempotent=True)
DELETE_WEBHOOK = Endpoint("DELETE", "webhook", idempotent=True)


class Webhook:
    """The account's one webhook URL per environment: get, set and delete; ``hook.client.webhook``."""

    def __init__(self, rest: RestSession) -> None:
        self.rest = rest

    def get_webhook(self) -> str | None:
        try:
            body = self.rest.call(GET_WEBHOOK)
        except OpenSignNotFoundError:
            return None
        return (body or {}).get("webhook") or None

    def set_webhook(self, url: str) -> str:
        require_secure_url(url, field="url")
        # "Webhook url already exists!" (401) means it is set to this URL already.
        with contextlib.suppress(OpenSignConflictError):
            # Evidence: spec ``webhook_body`` declares ``url`` (its ``required`` says ``Url``, a known typo).
            self.rest.call(SET_WEBHOOK, json={"url": url})
        return url

    def delete_webhook(self) -> dict[str, Any]:
        return self.rest.delete(DELETE_WEBHOOK)
