"""The account behind the token: who it is and how many credits it has left."""

from __future__ import annotations

from typing import Any

from signs_provider.common.errors import SignsConfigError
from signs_provider.opensign.client.rest import Endpoint, RestSession
from signs_provider.opensign.errors import OpenSignCreditsError

GET_USER = Endpoint("GET", "getuser", idempotent=True)
GET_CREDITS = Endpoint("GET", "getcredits", idempotent=True)


class Account:
    """``GET /getuser`` and ``GET /getcredits`` (both free and read-only)."""

    def __init__(self, rest: RestSession) -> None:
        self.rest = rest

    def get_user(self) -> dict[str, Any]:
        return self.rest.call(GET_USER)

    def get_credits(self) -> dict[str, Any]:
        return self.rest.call(GET_CREDITS)

    def check_credits(self, needed: int, *, environment: str) -> int:
        """The credits available, or :class:`OpenSignCreditsError` before any is spent when too few.

        Each document created costs one credit and deleting never refunds it, so a bulk send checks
        first rather than stopping half-way.
        """
        if needed < 0:
            raise SignsConfigError(f"needed: {needed} is negative.")
        available = int(self.get_credits().get("total_credits") or 0)
        if available < needed:
            raise OpenSignCreditsError(
                f"OpenSign {environment}: {needed} document(s) to send but only {available} API credit(s) "
                "left. Buy credits in OpenSign > Settings > API Token, send fewer documents, or wait for "
                "the plan's renewal date; nothing was sent."
            )
        return available
