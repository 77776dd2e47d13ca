"""Hook for the OpenSign REST API (v1.2).

The hook holds all knowledge of the API; operators and sensors stay thin over it.

Example::

    hook = OpenSignHook(opensign_conn_id="opensign_default")
    hook.get_credits()["total_credits"]
    for doc in hook.paginate("documentlist/inprogress"):
        print(doc["objectId"], doc["Name"])
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from signs_provider.common.errors import SignsApiError, SignsConfigError
from signs_provider.common.http import SignsHttpHook, register_secret, require_secure_url, response_json
from signs_provider.opensign.errors import (
    OpenSignApiError,
    OpenSignAuthError,
    OpenSignBadRequestError,
    OpenSignConflictError,
    OpenSignCreditsError,
    OpenSignNotFoundError,
)

if TYPE_CHECKING:
    import httpx
    import requests

#: Hosts of the hosted environments (reference §1.1). Each has its own tokens, documents,
#: templates and webhooks.
ENVIRONMENT_HOSTS: dict[str, str] = {
    "sandbox": "https://sandbox.opensignlabs.com",
    "live": "https://app.opensignlabs.com",
    "eu": "https://eu-app.opensignlabs.com",
}
DEFAULT_ENVIRONMENT = "sandbox"  # a new connection must not spend live credits by accident
API_PATH = "/api/v1.2"
MAX_PAGE_SIZE = 500  # documented maximum of `limit` on list endpoints

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})


class OpenSignHook(SignsHttpHook):
    """Talk to OpenSign through an Airflow connection of type ``opensign``.

    The connection holds the API token in its password field; extra ``environment``
    (``sandbox``, ``live`` or ``eu``; default ``sandbox``) picks the host, and the host field,
    when set, wins over it (staging, self-hosted, the local emulator). Extra ``timeout`` bounds
    each request and ``webhook_secret`` verifies webhook deliveries.

    :param opensign_conn_id: the Airflow connection id.
    :param timeout: seconds per request; overrides the connection's ``timeout``.
    :param retry_policy: how reads and idempotent writes are retried.
    """

    conn_name_attr = "opensign_conn_id"
    default_conn_name = "opensign_default"
    conn_type = "opensign"
    hook_name = "OpenSign"
    _secret_label: ClassVar[str] = "API token"

    def __init__(self, *, opensign_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(conn_id=opensign_conn_id, **kwargs)
        self.opensign_conn_id = opensign_conn_id

    @cached_property
    def environment(self) -> str:
        """``sandbox``, ``live`` or ``eu``, from the connection's extra (default ``sandbox``)."""
        value = str(self.extra_field("environment", DEFAULT_ENVIRONMENT)).strip().lower()
        if value not in ENVIRONMENT_HOSTS:
            raise SignsConfigError(
                f"connection {self.conn_id!r} extra 'environment': {value!r} is not one of "
                f"{', '.join(ENVIRONMENT_HOSTS)}. Pick the environment that issued the token."
            )
        return value

    @cached_property
    def base_url(self) -> str:
        """API root: the host override if set, else the environment's host, plus ``/api/v1.2``."""
        host = (self.connection.host or "").strip()
        if host:
            if "://" not in host:
                host = f"https://{host}"
            root = require_secure_url(host, field=f"connection {self.conn_id!r} host")
        else:
            root = ENVIRONMENT_HOSTS[self.environment]
        # A host that already names an API version (".../api/v1.1") is used as given.
        if "/api/v" in root:
            return root
        return f"{root}{API_PATH}"

    @cached_property
    def webhook_secret(self) -> str | None:
        """The secret that signs webhook deliveries, from extra ``webhook_secret``."""
        secret = self.extra_field("webhook_secret")
        if secret:
            register_secret(str(secret))
        return None if secret is None else str(secret)

    def _auth_headers(self) -> dict[str, str]:
        return {"x-api-token": self.secret.strip()}

    # -- core ---------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        endpoint: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Call ``endpoint`` (relative to :attr:`base_url`) and return the decoded JSON body.

        GET, PUT and DELETE are retried on network errors, 429 and 5xx; POST is sent once
        (it creates something, or revokes) unless ``idempotent=True``.
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS
        url = f"{self.base_url}/{endpoint.lstrip('/')}"
        response = self._send(
            method, url, idempotent=idempotent, json=json, params=params, data=data, headers=headers
        )
        body = response_json(response)
        if body is None and response.content:
            raise OpenSignApiError(
                f"OpenSign sent a response that is not JSON for {method} {url} (HTTP {response.status_code}).",
                status=response.status_code,
            )
        return body

    def paginate(
        self,
        endpoint: str,
        *,
        params: dict[str, Any] | None = None,
        page_size: int = 100,
        max_items: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every item of a ``limit``/``skip`` list endpoint (its ``{"result": [...]}``)."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise SignsConfigError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}.")
        skip = 0
        yielded = 0
        while True:
            body = self.request("GET", endpoint, params={**(params or {}), "limit": page_size, "skip": skip})
            items = _result_list(body, endpoint)
            for item in items:
                yield item
                yielded += 1
                if max_items is not None and yielded >= max_items:
                    return
            if len(items) < page_size:
                return
            skip += len(items)

    def get_user(self) -> dict[str, Any]:
        """The account the token belongs to (``GET /getuser``)."""
        return self.request("GET", "getuser")

    def get_credits(self) -> dict[str, Any]:
        """``plan_credits``, ``addon_credits``, ``total_credits`` and ``renewal_date`` (``GET /getcredits``)."""
        return self.request("GET", "getcredits")

    def test_connection(self) -> tuple[bool, str]:
        """Check the token with ``GET /getuser`` (free and read-only); used by the UI's Test button."""
        try:
            user = self.get_user()
        except Exception as exc:
            return False, str(exc)
        who = user.get("email") or user.get("objectId") or "unknown user"
        return True, f"Connected to OpenSign {self.environment} at {self.base_url} as {who}."

    # -- errors -------------------------------------------------------------------------------

    def _raise_for_response(self, response: requests.Response | httpx.Response, *, attempts: int) -> None:
        status = response.status_code
        if status < 400:
            return
        body = response_json(response)
        api_message = None
        if isinstance(body, dict):
            api_message = body.get("error") or body.get("message")
        api_message = str(api_message) if api_message else None
        said = f": {api_message}" if api_message else ""
        request = response.request
        where = f"{request.method} {request.url}" if request is not None else self.base_url
        if status == 405:
            other = "live" if self.environment != "live" else "sandbox"
            target = (
                f"the host override {self.connection.host!r}"
                if self.connection.host
                else f"the {self.environment} environment ({ENVIRONMENT_HOSTS[self.environment]})"
            )
            raise OpenSignAuthError(
                f"OpenSign rejected the API token of connection {self.conn_id!r} for {target} "
                f"(HTTP 405{said}). The token is wrong or revoked, or it belongs to another environment: "
                f"a sandbox token only works with environment 'sandbox' and a live token only with 'live'. "
                f"If this is a {other} token, set the connection's extra 'environment' to '{other}'.",
                status=status,
                api_message=api_message,
            )
        if status == 401:
            existing = body.get("objectId") if isinstance(body, dict) else None
            raise OpenSignConflictError(
                f"OpenSign: already exists{said} ({where}).",
                status=status,
                api_message=api_message,
                existing_id=existing,
            )
        if status == 404:
            raise OpenSignNotFoundError(
                f"OpenSign: not found{said} ({where}). Objects of other users and other environments "
                f"are invisible; this connection uses {self.environment}.",
                status=status,
                api_message=api_message,
            )
        if status == 429:
            raise OpenSignCreditsError(
                f"OpenSign: no API credits left{said} ({where}). Buy credits in OpenSign > Settings > "
                "API Token, or wait for the plan's renewal date (see get_credits()).",
                status=status,
                api_message=api_message,
            )
        if status == 400:
            raise OpenSignBadRequestError(
                f"OpenSign refused the request{said} ({where}).", status=status, api_message=api_message
            )
        tried = f" after {attempts} attempts" if attempts > 1 else ""
        raise OpenSignApiError(
            f"OpenSign answered HTTP {status}{tried}{said} ({where}).", status=status, api_message=api_message
        )


def _result_list(body: Any, endpoint: str) -> list[dict[str, Any]]:
    if isinstance(body, dict) and isinstance(body.get("result"), list):
        return body["result"]
    if isinstance(body, list):
        return body
    raise SignsApiError(f"OpenSign {endpoint}: expected a list in 'result', got {type(body).__name__}.")
