"""The one transport: URL checks, retry policy, and retry behaviour over real HTTP.

Behaviour is exercised through both hooks against the emulator's fault injection, so what is
asserted is what a real ``requests`` client did on the wire (the emulator counts every request).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from signs_emulator import credentials
from signs_provider.common.errors import (
    AmbiguousWriteError,
    SignsApiError,
    SignsConfigError,
    SignsTransportError,
)
from signs_provider.common.transport import (
    USER_AGENT,
    RetryPolicy,
    is_loopback_host,
    is_retryable_status,
    parse_retry_after,
    require_secure_url,
)
from signs_provider.opensign.errors import OpenSignApiError
from signs_provider.opensign.hooks import OpenSignHook
from signs_provider.optisigns.hooks import OptiSignsHook

FAST = RetryPolicy(max_attempts=4, initial_backoff=0.01, max_backoff=0.05, max_elapsed=10)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.5.0.9", True),
        ("localhost", True),
        ("[::1]", True),
        ("api.localhost", True),
        ("10.0.0.1", False),
        ("example.com", False),
        ("localhost.example.com", False),
    ],
)
def test_is_loopback_host(host: str, expected: bool) -> None:
    assert is_loopback_host(host) is expected


def test_require_secure_url_accepts_https_and_loopback_http() -> None:
    assert require_secure_url("https://api.example.com/", field="host") == "https://api.example.com"
    assert require_secure_url("http://127.0.0.1:8099/x", field="host") == "http://127.0.0.1:8099/x"


@pytest.mark.parametrize("url", ["http://api.example.com", "ftp://x.example.com", "not a url", "https://"])
def test_require_secure_url_refuses_what_could_leak_the_key(url: str) -> None:
    with pytest.raises(SignsConfigError, match="host"):
        require_secure_url(url, field="host")


def test_retryable_statuses() -> None:
    assert [s for s in (200, 400, 401, 404, 405, 409, 429, 500, 502, 503, 504) if is_retryable_status(s)] == [
        429,
        500,
        502,
        503,
        504,
    ]


def test_parse_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    in_a_minute = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=60), usegmt=True)
    assert 55 <= parse_retry_after(in_a_minute) <= 60
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling() -> None:
    policy = RetryPolicy(initial_backoff=1, max_backoff=8)
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 8), (9, 8)]:
        waits = {policy.backoff(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(waits) > 1  # jittered


def test_retry_policy_rejects_nonsense() -> None:
    with pytest.raises(SignsConfigError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


# -- over real HTTP, against the emulator's fault injection ------------------------------------------


def _opensign(
    emulator,
    monkeypatch,
    *,
    policy: RetryPolicy = FAST,
    timeout: float | None = None,
    token: str | None = None,
) -> OpenSignHook:
    monkeypatch.setenv(
        "AIRFLOW_CONN_OS_HTTP",
        json.dumps(
            {
                "conn_type": "opensign",
                "password": token or credentials.OPENSIGN_TOKENS["sandbox"],
                "host": emulator.opensign_host("sandbox"),
                "extra": {"environment": "sandbox"},
            }
        ),
    )
    return OpenSignHook(opensign_conn_id="os_http", retry_policy=policy, timeout=timeout)


def _optisigns(emulator, monkeypatch, *, policy: RetryPolicy = FAST, key: str | None = None) -> OptiSignsHook:
    monkeypatch.setenv(
        "AIRFLOW_CONN_OPTI_HTTP",
        json.dumps(
            {
                "conn_type": "optisigns",
                "password": key or credentials.OPTISIGNS_DEMO_KEY,
                "host": emulator.optisigns_graphql_url,
            }
        ),
    )
    return OptiSignsHook(optisigns_conn_id="opti_http", retry_policy=policy)


def _calls(emulator, suffix: str) -> list[dict]:
    return [r for r in emulator.control.requests() if r["path"].endswith(suffix)]


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "drop"])
def test_reads_are_retried_until_they_succeed(emulator, monkeypatch, kind: str) -> None:
    hook = _opensign(emulator, monkeypatch)
    emulator.control.add_fault(kind=kind, path="/getuser$", times=2, retry_after=0)
    assert hook.get_user()["objectId"]
    calls = _calls(emulator, "/getuser")
    assert len(calls) == 3
    assert [c.get("fault") for c in calls] == [kind, kind, None]


def test_retries_are_bounded_by_attempts(emulator, monkeypatch) -> None:
    hook = _opensign(
        emulator, monkeypatch, policy=RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02)
    )
    emulator.control.add_fault(kind="503", path="/getuser$", times=0)
    with pytest.raises(OpenSignApiError, match="503 after 3 attempts"):
        hook.get_user()
    assert len(_calls(emulator, "/getuser")) == 3


def test_dropped_connections_give_up_with_a_transport_error(emulator, monkeypatch) -> None:
    hook = _optisigns(emulator, monkeypatch, policy=RetryPolicy(max_attempts=2, initial_backoff=0.01))
    emulator.control.add_fault(kind="drop", path="/optisigns/graphql", times=0)
    with pytest.raises(SignsTransportError, match="after 2 attempt"):
        hook.execute("query { me { _id } }")
    assert len(_calls(emulator, "/graphql")) == 2


def test_retry_after_is_honoured(emulator, monkeypatch) -> None:
    """The wait follows Retry-After (1 s), not the policy's tiny backoff: measured from the server's clock."""
    hook = _opensign(emulator, monkeypatch)
    emulator.control.add_fault(kind="429", path="/getuser$", times=1, retry_after=1)
    hook.get_user()
    first, second = _calls(emulator, "/getuser")
    assert second["time"] - first["time"] >= 0.95


def test_retry_after_beyond_the_budget_stops_at_once(emulator, monkeypatch) -> None:
    hook = _opensign(emulator, monkeypatch, policy=RetryPolicy(max_attempts=5, max_elapsed=5))
    emulator.control.add_fault(kind="429", path="/getuser$", times=1, retry_after=3600)
    with pytest.raises(OpenSignApiError):
        hook.get_user()
    assert len(_calls(emulator, "/getuser")) == 1


def test_every_request_has_a_timeout(emulator, monkeypatch) -> None:
    hook = _opensign(
        emulator, monkeypatch, timeout=0.5, policy=RetryPolicy(max_attempts=2, initial_backoff=0.01)
    )
    emulator.control.add_fault(kind="slow", path="/getuser$", times=0, delay=3)
    with pytest.raises(SignsTransportError, match="ReadTimeout"):
        hook.get_user()
    assert len(_calls(emulator, "/getuser")) == 2


def test_a_create_is_never_retried_and_a_lost_response_is_ambiguous(emulator, monkeypatch) -> None:
    hook = _opensign(emulator, monkeypatch)
    emulator.control.add_fault(kind="lost_response", path="/createcontact$")
    with pytest.raises(AmbiguousWriteError) as info:
        hook.request(
            "POST",
            "createcontact",
            json={"name": "Grace", "email": "grace@example.com", "phone": "0123456789"},
        )
    assert info.value.method == "POST"
    assert len(_calls(emulator, "/createcontact")) == 1
    # The server did create it: that is why the caller must look before sending again.
    assert any(c["email"] == "grace@example.com" for c in hook.paginate("contactlist"))


@pytest.mark.parametrize("kind", ["500", "503", "429"])
def test_a_create_is_not_retried_on_error_statuses(emulator, monkeypatch, kind: str) -> None:
    hook = _opensign(emulator, monkeypatch)
    emulator.control.add_fault(kind=kind, path="/createcontact$", retry_after=0)
    with pytest.raises(OpenSignApiError):
        hook.request(
            "POST", "createcontact", json={"name": "Grace", "email": "g2@example.com", "phone": "0123456789"}
        )
    assert len(_calls(emulator, "/createcontact")) == 1


def test_graphql_mutations_are_not_retried_but_queries_are(emulator, monkeypatch) -> None:
    hook = _optisigns(emulator, monkeypatch)
    emulator.control.add_fault(kind="502", path="/optisigns/graphql", operation="savePlaylist")
    with pytest.raises(SignsApiError, match="502"):
        hook.execute('mutation { savePlaylist(payload: {name: "once"}) { _id } }')
    assert len(_calls(emulator, "/graphql")) == 1
    emulator.control.add_fault(kind="502", path="/optisigns/graphql", operation="me")
    assert hook.execute("query { me { _id } }")["me"]
    assert len(_calls(emulator, "/graphql")) == 3


def test_one_session_and_one_connection_lookup_per_hook(emulator, monkeypatch) -> None:
    hook = _opensign(emulator, monkeypatch)
    lookups = []
    original = OpenSignHook.get_connection.__func__

    def counting(cls, conn_id):
        lookups.append(conn_id)
        return original(cls, conn_id)

    monkeypatch.setattr(OpenSignHook, "get_connection", classmethod(counting))
    session = hook.transport.session
    for _ in range(3):
        hook.get_user()
    assert hook.transport.session is session
    assert lookups == ["os_http"]


def test_user_agent_and_auth_headers_on_every_request(emulator, monkeypatch) -> None:
    _opensign(emulator, monkeypatch).get_credits()
    _optisigns(emulator, monkeypatch).execute("query { me { _id } }")
    for call in emulator.control.requests():
        assert call["user_agent"] == USER_AGENT
        assert call["auth_header"] == ("authorization" if "graphql" in call["path"] else "x-api-token")


CANARY = "canary-secret-9f8e7d6c5b4a"


def test_the_credential_never_shows_in_logs_or_errors(emulator, monkeypatch, caplog, capfd) -> None:
    caplog.set_level("DEBUG")
    texts = []
    for hook in (
        _opensign(
            emulator, monkeypatch, token=CANARY, policy=RetryPolicy(max_attempts=2, initial_backoff=0.01)
        ),
        _optisigns(
            emulator, monkeypatch, key=CANARY, policy=RetryPolicy(max_attempts=2, initial_backoff=0.01)
        ),
    ):
        emulator.control.add_fault(kind="503", times=1)
        try:
            hook.test_connection()
            texts.append(repr(hook.test_connection()))
            hook.execute("query { me { _id } }") if isinstance(hook, OptiSignsHook) else hook.get_user()
        except Exception as exc:
            texts.append(str(exc))
            texts.append(repr(exc))
    out, err = capfd.readouterr()
    texts += [out, err, caplog.text]
    assert texts and all(CANARY not in t for t in texts)


def test_async_reads_retry_like_sync_ones(emulator, monkeypatch) -> None:
    """Triggers poll through the async twin; it shares the retry decisions of the sync path."""
    import asyncio

    hook = _opensign(emulator, monkeypatch)
    emulator.control.add_fault(kind="503", path="/getcredits$", times=2)

    async def poll() -> dict:
        try:
            transport = await hook.atransport()
            reply = await transport.send("GET", f"{hook.base_url}/getcredits", idempotent=True)
            return reply.body
        finally:
            await hook.aclose()

    assert "total_credits" in asyncio.run(poll())
    assert [c.get("fault") for c in _calls(emulator, "/getcredits")] == ["503", "503", None]


def test_async_errors_are_decoded_like_sync_ones(emulator, monkeypatch) -> None:
    import asyncio

    from signs_provider.opensign.errors import OpenSignAuthError

    hook = _opensign(emulator, monkeypatch, token=credentials.OPENSIGN_TOKENS["live"])

    async def poll() -> None:
        try:
            transport = await hook.atransport()
            await transport.send("GET", f"{hook.base_url}/getuser", idempotent=True)
        finally:
            await hook.aclose()

    with pytest.raises(OpenSignAuthError, match="405"):
        asyncio.run(poll())


def test_ambiguous_write_says_whether_the_client_timed_out(emulator, monkeypatch) -> None:
    hook = _opensign(emulator, monkeypatch, timeout=0.3)
    body = {"name": "Slow", "email": "slow@example.com", "phone": "0123456789"}
    emulator.control.add_fault(kind="slow", path="/createcontact$", delay=1)
    with pytest.raises(AmbiguousWriteError) as timed_out:
        hook.request("POST", "createcontact", json=body)
    emulator.control.add_fault(kind="lost_response", path="/createcontact$")
    with pytest.raises(AmbiguousWriteError) as dropped:
        hook.request("POST", "createcontact", json={**body, "email": "dropped@example.com"})
    assert (timed_out.value.timed_out, dropped.value.timed_out) == (True, False)


# -- what a failed request leaves behind -------------------------------------------------------------


class _Errors:
    """A minimal ApiErrors: every status is final, nothing is raised."""

    def retry_status(self, reply) -> int:
        return reply.status_code

    def raise_for(self, reply, *, attempts: int) -> None:
        return None


def _transport(**kwargs):
    from signs_provider.common.transport import SyncTransport

    return SyncTransport(
        headers={"x-api-token": CANARY, "Authorization": f"Bearer {CANARY}"},
        timeout=kwargs.pop("timeout", 2),
        policy=kwargs.pop("policy", FAST),
        errors=_Errors(),
        secret_headers=frozenset({"authorization", "x-api-token"}),
    )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_refused_connection_is_known_never_sent() -> None:
    """Connection refused: nothing left this machine, so even a create may be sent again."""
    url = f"http://127.0.0.1:{_free_port()}/createdocument"
    with pytest.raises(SignsTransportError, match="Nothing was sent") as info:
        _transport().send("POST", url, idempotent=False)
    assert not isinstance(info.value, AmbiguousWriteError)


def test_transport_errors_keep_no_chain_to_the_request(emulator) -> None:
    """The client library's exception holds the request and its credential headers: it is not chained."""
    emulator.control.add_fault(kind="lost_response", path="/createcontact$")
    url = f"{emulator.opensign_host('sandbox')}/api/v1.2/createcontact"
    with pytest.raises(AmbiguousWriteError) as info:
        _transport().send("POST", url, idempotent=False, json={"name": "x", "email": "x@example.com"})
    assert info.value.__context__ is None and info.value.__cause__ is None
    closed = f"http://127.0.0.1:{_free_port()}/getuser"
    with pytest.raises(SignsTransportError) as refused:
        _transport(policy=RetryPolicy(max_attempts=1)).send("GET", closed, idempotent=True)
    assert refused.value.__context__ is None and refused.value.__cause__ is None


@pytest.fixture
def two_hosts():
    """Two loopback servers under different host names: the first redirects to the second."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[dict[str, str]] = []

    class Target(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.append({k.lower(): v for k, v in self.headers.items()})
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:
            pass

    target = ThreadingHTTPServer(("127.0.0.1", 0), Target)

    class Redirect(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.send_response(302 if self.command == "GET" else 307)
            # "localhost" is another host name than 127.0.0.1, as an attacker's host would be.
            self.send_header("Location", f"http://localhost:{target.server_port}/elsewhere")
            self.end_headers()

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:
            pass

    source = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    servers = [target, source]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{source.server_port}", seen
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_credentials_never_follow_a_redirect_to_another_host(two_hosts, method: str) -> None:
    url, seen = two_hosts
    _transport().send(method, f"{url}/getuser", idempotent=True, json={} if method == "POST" else None)
    assert len(seen) == 1
    assert "x-api-token" not in seen[0] and "authorization" not in seen[0]
    assert all(CANARY not in value for value in seen[0].values())


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_opensign_token_never_follows_a_redirect_to_another_host(emulator, monkeypatch, method) -> None:
    """The emulator redirects to itself under another host name; its log says what the client carried."""
    from signs_provider.opensign.errors import OpenSignBadRequestError

    hook = _opensign(emulator, monkeypatch)
    other_host = emulator.url.replace("127.0.0.1", "localhost")
    endpoint = "getuser" if method == "GET" else "createcontact"
    emulator.control.add_fault(
        "redirect", path=f"/{endpoint}$", location=f"{other_host}/opensign/sandbox/api/v1.2/{endpoint}"
    )
    with pytest.raises(OpenSignBadRequestError, match="Provide API Token"):  # arrived without the token
        hook.request(
            method, endpoint, json={"name": "R", "email": "r@example.com"} if method == "POST" else None
        )
    first, redirected = _calls(emulator, f"/{endpoint}")
    assert first["fault"] == "redirect" and first["auth_header"] == "x-api-token"
    assert redirected["auth_header"] is None


def test_the_optisigns_key_never_follows_a_redirect_to_another_host(emulator, monkeypatch) -> None:
    hook = _optisigns(emulator, monkeypatch)
    other_host = emulator.url.replace("127.0.0.1", "localhost")
    emulator.control.add_fault(
        "redirect", path="/optisigns/graphql$", location=f"{other_host}/optisigns/graphql"
    )
    with pytest.raises(SignsApiError):
        hook.execute("query { me { _id } }")
    first, redirected = _calls(emulator, "/graphql")
    assert first["auth_header"] == "authorization" and redirected["auth_header"] is None


@pytest.mark.parametrize("secret", ["   ", "\t\n"])
def test_a_blank_key_or_token_is_refused_before_any_request(emulator, monkeypatch, secret: str) -> None:
    for hook in (
        _opensign(emulator, monkeypatch, token=secret),
        _optisigns(emulator, monkeypatch, key=secret),
    ):
        with pytest.raises(SignsConfigError, match="password field"):
            hook.connection  # noqa: B018  (read on the first call, before any request)
    assert emulator.control.requests() == []


# -- the environment: proxies, CA bundle, ~/.netrc (read once per hook, not on every request) ------------------
@pytest.fixture
def forward_proxy():
    """A loopback HTTP forward proxy that answers every request itself, recording the absolute URLs."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)  # a proxied request names the whole URL
            body = b'{"objectId": "proxied", "email": "proxy@example.com"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def _no_proxy_environment(monkeypatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def _hook_on(monkeypatch, host: str) -> OpenSignHook:
    monkeypatch.setenv(
        "AIRFLOW_CONN_OS_PROXY",
        json.dumps(
            {"conn_type": "opensign", "password": credentials.OPENSIGN_TOKENS["sandbox"], "host": host}
        ),
    )
    return OpenSignHook(opensign_conn_id="os_proxy", retry_policy=RetryPolicy(max_attempts=1), timeout=5)


def test_the_proxy_of_the_environment_is_used(forward_proxy, monkeypatch) -> None:
    proxy, seen = forward_proxy
    _no_proxy_environment(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    # A name that resolves nowhere: only the proxy can answer for it.
    assert _opensign_user(monkeypatch, "http://signs.localhost:9/opensign/sandbox") == "proxied"
    assert seen == ["http://signs.localhost:9/opensign/sandbox/api/v1.2/getuser"]


def _opensign_user(monkeypatch, host: str) -> str:
    return _hook_on(monkeypatch, host).get_user()["objectId"]


def test_a_no_proxy_host_is_reached_directly(emulator, forward_proxy, monkeypatch) -> None:
    proxy, seen = forward_proxy
    _no_proxy_environment(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    hook = _hook_on(monkeypatch, emulator.opensign_host("sandbox"))
    assert hook.get_user()["objectId"] != "proxied"
    assert seen == []
    assert len(_calls(emulator, "/getuser")) == 1


def test_the_environment_is_read_once_per_hook(emulator, forward_proxy, monkeypatch) -> None:
    proxy, seen = forward_proxy
    _no_proxy_environment(monkeypatch)
    hook = _hook_on(monkeypatch, emulator.opensign_host("sandbox"))
    hook.get_user()  # direct: no proxy set yet
    monkeypatch.setenv("HTTP_PROXY", proxy)
    hook.get_user()  # the same hook keeps what it read
    assert seen == []
    # A new hook (a new task) reads the environment again.
    assert _hook_on(monkeypatch, emulator.opensign_host("sandbox")).get_user()["objectId"] == "proxied"
    assert len(seen) == 1
    monkeypatch.delenv("HTTP_PROXY")  # the emulator's control client reads it too
    assert len(_calls(emulator, "/getuser")) == 2


def test_the_ca_bundle_of_the_environment_is_used(emulator, monkeypatch) -> None:
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/bench-bundle.pem")
    transport = _opensign(emulator, monkeypatch).transport
    assert transport.environment("https://app.opensignlabs.com/api/v1.2/getuser")["verify"] == (
        "/etc/ssl/certs/bench-bundle.pem"
    )


def test_a_netrc_entry_does_not_replace_the_api_key(emulator, monkeypatch, tmp_path) -> None:
    # requests, trusting the environment, sends ~/.netrc's login for the host as Basic auth in place of
    # the session's Authorization header: the OptiSigns key was replaced and the API answered 401.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password something\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    assert _optisigns(emulator, monkeypatch).execute("query { me { _id } }")["me"]


# -- the prepared-request template: what goes on the wire is what requests would send ---------------


@pytest.fixture
def echo():
    """A loopback server recording each request as seen on the wire; it sets a cookie when asked."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[dict] = []

    class Echo(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            if headers.get("transfer-encoding") == "chunked":
                body = b""
                while True:
                    size = int(self.rfile.readline().strip(), 16)
                    chunk = self.rfile.read(size + 2)[:size]
                    if not size:
                        break
                    body += chunk
            else:
                body = self.rfile.read(int(headers.get("content-length") or 0))
            seen.append({"method": self.command, "path": self.path, "headers": headers, "body": body})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            if self.path.endswith("/set-cookie"):
                self.send_header("Set-Cookie", "session=abc; Path=/")
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def _chunks():
    yield b'{"a": '
    yield b"1}"


_SHAPES = [
    ("GET", {}),
    ("GET", {"params": {"limit": 5, "skip": 0}}),
    ("POST", {}),
    ("POST", {"json": {"query": "q", "variables": {"id": "x"}}}),
    ("POST", {"data": b'{"a": 1}', "headers": {"Content-Type": "application/json"}}),
    ("PUT", {"data": _chunks, "headers": {"Content-Type": "application/json"}}),
    ("GET", {"headers": {"Accept": None, "X-Extra": "1"}}),
]


@pytest.mark.parametrize(("method", "kwargs"), _SHAPES)
def test_the_wire_is_what_requests_would_send(echo, method: str, kwargs: dict) -> None:
    """The transport prepares each endpoint's request once and copies it: every later call (the copy)
    sends the same request line, headers and body as ``requests.Session.request`` does."""
    import requests

    url, seen = echo
    transport = _transport()
    for _ in range(2):  # the first call prepares the template, the second is copied from it
        transport.send(method, f"{url}/endpoint", idempotent=True, **kwargs)
    reference = requests.Session()
    reference.trust_env = False
    reference.headers.update(transport.headers)
    data = kwargs.get("data")
    reference.request(
        method,
        f"{url}/endpoint",
        data=data() if callable(data) else data,
        **{k: v for k, v in kwargs.items() if k != "data"},
    )
    first, second, expected = seen
    assert first == second == expected
    if data is _chunks:  # a stream of unknown length goes chunked, without a stale Content-Length
        assert "content-length" not in second["headers"]


def test_cookies_the_server_sets_are_sent_back(echo) -> None:
    url, seen = echo
    transport = _transport()
    transport.send("GET", f"{url}/endpoint", idempotent=True)  # a template, before any cookie
    transport.send("GET", f"{url}/set-cookie", idempotent=True)
    transport.send("GET", f"{url}/endpoint", idempotent=True)
    assert "cookie" not in seen[0]["headers"]
    assert seen[2]["headers"]["cookie"] == "session=abc"


def test_credentials_never_follow_a_redirect_from_a_copied_request(two_hosts) -> None:
    """Stripping the credential on a redirect changes the redirected copy, never the template."""
    url, seen = two_hosts
    transport = _transport()
    for _ in range(3):
        transport.send("GET", f"{url}/getuser", idempotent=True)
    assert len(seen) == 3
    assert all("x-api-token" not in s and "authorization" not in s for s in seen)


def test_the_opensign_base_url_follows_the_connection(emulator, monkeypatch) -> None:
    """Worked out once per connection read: a connection read again (another host) gives a new one."""
    hook = _opensign(emulator, monkeypatch)
    assert hook.base_url == f"{emulator.opensign_host('sandbox')}/api/v1.2"
    monkeypatch.setenv(
        "AIRFLOW_CONN_OS_HTTP",
        json.dumps({"conn_type": "opensign", "password": "tok-123456", "host": "https://os.example.com"}),
    )
    assert hook.base_url == f"{emulator.opensign_host('sandbox')}/api/v1.2"  # the connection read once
    hook._connection = None
    assert hook.base_url == "https://os.example.com/api/v1.2"
