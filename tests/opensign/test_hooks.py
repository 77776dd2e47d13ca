"""OpenSignHook: the connection (environments, host override, extras), the one status mapping,
pagination, the account, and the deprecated names it still accepts.

Everything that talks HTTP runs against the emulator over loopback.
"""

from __future__ import annotations

import json

import pytest

from signs_emulator import credentials
from signs_provider.common.errors import SignsConfigError
from signs_provider.opensign.errors import (
    OpenSignAuthError,
    OpenSignBadRequestError,
    OpenSignConflictError,
    OpenSignCreditsError,
    OpenSignNotFoundError,
)
from signs_provider.opensign.hooks import OpenSignHook


def _connect(monkeypatch, conn_id: str = "opensign_test", **conn) -> OpenSignHook:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "opensign", **conn}))
    return OpenSignHook(opensign_conn_id=conn_id)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, "https://sandbox.opensignlabs.com/api/v1.2"),
        ({"environment": "sandbox"}, "https://sandbox.opensignlabs.com/api/v1.2"),
        ({"environment": "live"}, "https://app.opensignlabs.com/api/v1.2"),
        ({"environment": "EU"}, "https://eu-app.opensignlabs.com/api/v1.2"),
        ({"extra__opensign__environment": "live"}, "https://app.opensignlabs.com/api/v1.2"),
    ],
)
def test_environment_picks_the_host_and_defaults_to_sandbox(monkeypatch, extra: dict, expected: str) -> None:
    assert _connect(monkeypatch, password="tok-123456", extra=extra).base_url == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("staging-app.opensignlabs.com", "https://staging-app.opensignlabs.com/api/v1.2"),
        ("https://sign.example.com/", "https://sign.example.com/api/v1.2"),
        ("https://sign.example.com/api/v1.1", "https://sign.example.com/api/v1.1"),
        ("http://127.0.0.1:8099/opensign/live", "http://127.0.0.1:8099/opensign/live/api/v1.2"),
    ],
)
def test_host_override_wins_over_environment(monkeypatch, host: str, expected: str) -> None:
    hook = _connect(monkeypatch, password="tok-123456", host=host, extra={"environment": "sandbox"})
    assert hook.base_url == expected


def test_unknown_environment_names_the_field_and_choices(monkeypatch) -> None:
    hook = _connect(monkeypatch, password="tok-123456", extra={"environment": "production"})
    with pytest.raises(SignsConfigError, match="'environment'.*sandbox, live, eu"):
        _ = hook.base_url


def test_webhook_secret_and_timeout_from_extra(monkeypatch) -> None:
    hook = _connect(
        monkeypatch, password="tok-123456", extra={"webhook_secret": "whsec-abcdef", "timeout": 9}
    )
    assert hook.webhook_secret == "whsec-abcdef"
    assert hook.timeout == 9.0


def test_plain_http_to_a_remote_host_is_refused(monkeypatch) -> None:
    hook = _connect(monkeypatch, password="tok-123456", host="http://sign.example.com")
    with pytest.raises(SignsConfigError, match="plain http"):
        hook.get_user()


def test_document_url_follows_the_environment(monkeypatch, opensign) -> None:
    assert _connect(monkeypatch, password="tok-123456", extra={"environment": "eu"}).document_url("Ab12") == (
        "https://eu-app.opensignlabs.com/recipientSignPdf/Ab12"
    )
    hook = OpenSignHook()
    assert hook.document_url("Ab12") == f"{opensign.opensign_host('sandbox')}/recipientSignPdf/Ab12"


@pytest.fixture
def sandbox(emulator, monkeypatch) -> OpenSignHook:
    return _connect(
        monkeypatch,
        "sandbox",
        password=credentials.OPENSIGN_TOKENS["sandbox"],
        host=emulator.opensign_host("sandbox"),
        extra={"environment": "sandbox"},
    )


def test_get_user_credits_and_test_connection(sandbox) -> None:
    user = sandbox.get_user()
    assert user["objectId"] and "@" in user["email"]
    credits = sandbox.get_credits()
    assert credits["total_credits"] == credits["plan_credits"] + credits["addon_credits"]
    ok, message = sandbox.test_connection()
    assert ok and "sandbox" in message and user["email"] in message


def test_check_credits(hook, opensign) -> None:
    assert hook.check_credits(3) == 100
    opensign.control.set_credits("sandbox", plan_credits=2, addon_credits=0)
    with pytest.raises(OpenSignCreditsError, match="3 document\\(s\\) to send but only 2 API credit\\(s\\)"):
        hook.check_credits(3)


def test_token_of_the_other_environment_gets_a_405_that_says_how_to_switch(emulator, monkeypatch) -> None:
    live_token = credentials.OPENSIGN_TOKENS["live"]
    hook = _connect(
        monkeypatch,
        password=live_token,
        host=emulator.opensign_host("sandbox"),
        extra={"environment": "sandbox"},
    )
    with pytest.raises(OpenSignAuthError) as info:
        hook.get_user()
    message = str(info.value)
    assert info.value.status == 405 and info.value.api_message == "Invalid API Token!"
    assert "another environment" in message and "'live'" in message
    assert live_token not in message
    ok, test_message = hook.test_connection()
    assert not ok and "405" in test_message


def test_404_for_an_unknown_document(sandbox) -> None:
    with pytest.raises(OpenSignNotFoundError) as info:
        sandbox.request("GET", "document/doesnotexist")
    assert info.value.status == 404


def test_404_for_an_unknown_list_type(sandbox) -> None:
    with pytest.raises(OpenSignNotFoundError, match="Report not available!"):
        sandbox.request("GET", "documentlist/nonsense")


def test_401_is_a_conflict_with_the_existing_id(sandbox) -> None:
    contact = {"name": "Hedy Lamarr", "email": "hedy@example.com", "phone": "0123456789"}
    created = sandbox.request("POST", "createcontact", json=contact)
    with pytest.raises(OpenSignConflictError) as info:
        sandbox.request("POST", "createcontact", json=contact)
    assert info.value.status == 401
    assert info.value.api_message == "Contact already exists!"
    assert info.value.existing_id in (None, created.get("objectId"))


def test_400_carries_opensigns_message(sandbox) -> None:
    contact = next(sandbox.paginate("contactlist"))
    with pytest.raises(OpenSignBadRequestError, match="Please provide valid field names!") as info:
        sandbox.request("PUT", f"contact/{contact['objectId']}", json={"no_such_field": 1})
    assert info.value.status == 400


def test_429_means_out_of_credits_and_a_create_is_not_retried(sandbox, emulator) -> None:
    emulator.control.set_credits("sandbox", plan_credits=0, addon_credits=0)
    emulator.control.reset_requests()
    with pytest.raises(OpenSignCreditsError, match="no API credits left"):
        sandbox.request("POST", "createdocument", json=_document_body())
    creates = [r for r in emulator.control.requests() if r["path"].endswith("/createdocument")]
    assert len(creates) == 1


def _document_body() -> dict:
    """The smallest valid createdocument body: a one-page PDF, one signer, one signature widget."""
    import base64

    pdf = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return {
        "file": base64.b64encode(pdf).decode(),
        "title": "Credits check",
        "signers": [
            {
                "role": "Signer",
                "email": "signer@example.com",
                "name": "Sig Ner",
                "phone": "",
                "widgets": [{"type": "signature", "page": 1, "x": 100, "y": 100, "w": 120, "h": 40}],
            }
        ],
    }


def test_paginate_uses_limit_and_skip_until_a_short_page(sandbox, emulator) -> None:
    for i in range(5):
        sandbox.request(
            "POST",
            "createcontact",
            json={"name": f"Signer {i}", "email": f"s{i}@example.com", "phone": "0123456789"},
        )
    everything = sandbox.request("GET", "contactlist", params={"limit": 500})["result"]
    emulator.control.reset_requests()
    paged = list(sandbox.paginate("contactlist", page_size=2))
    assert [c["objectId"] for c in paged] == [c["objectId"] for c in everything]
    lists = [r for r in emulator.control.requests() if r["path"].endswith("/contactlist")]
    assert len(lists) == len(everything) // 2 + 1
    assert list(sandbox.paginate("contactlist", page_size=2, max_items=3)).__len__() == 3


def test_create_settle_seconds_is_a_deprecated_name_of_landing_wait(opensign) -> None:
    with pytest.warns(DeprecationWarning, match="use landing_wait"):
        hook = OpenSignHook(create_settle_seconds=0.4)
    assert hook.landing_wait == hook.create_settle_seconds == 0.4
    assert OpenSignHook(landing_wait=0.7).create_settle_seconds == 0.7
    with pytest.warns(DeprecationWarning), pytest.raises(SignsConfigError, match="must not be negative"):
        OpenSignHook(create_settle_seconds=-1)
    # create_attempts means nothing since a create with an unknown outcome is never resent by a call.
    with pytest.warns(DeprecationWarning, match=r"create_attempts=...\) is deprecated and ignored"):
        assert OpenSignHook(create_attempts=3).create_attempts == 1


def test_each_endpoint_is_declared_once_with_its_idempotency() -> None:
    """Whether a request may be sent again blindly is decided where the endpoint is declared, once."""
    import importlib
    import pkgutil

    from signs_provider.opensign import client
    from signs_provider.opensign.client.rest import Endpoint

    declared: dict[tuple[str, str], Endpoint] = {}
    for module_info in pkgutil.iter_modules(client.__path__):
        module = importlib.import_module(f"{client.__name__}.{module_info.name}")
        for value in vars(module).values():
            for endpoint in value.values() if isinstance(value, dict) else [value]:
                if isinstance(endpoint, Endpoint):
                    key = (endpoint.method, endpoint.path)
                    # The same object may be imported elsewhere; another object for it is a second declaration.
                    assert declared.get(key, endpoint) is endpoint, f"{key} declared twice"
                    declared[key] = endpoint
    flags = {f"{m} {p}": e.idempotent for (m, p), e in declared.items()}
    assert flags["POST resendmail"] is True  # a second reminder beats none
    assert flags["POST document/{document_id}"] is False  # a revoke is settled by looking
    assert flags["POST createdocument"] is False and flags["POST createdocument/{template_id}"] is False
    assert flags["POST createcontact"] is True  # unique by email: a repeat answers "already exists"
    assert flags["POST createfolder"] is False  # names may repeat
    assert all(flags[name] for name in flags if name.startswith("GET "))


#: The hook's public methods before the client split, with their parameters (positional, then
#: keyword-only, then **fields): each must keep its name and parameters.
PUBLIC_METHODS: dict[str, tuple[str, ...]] = {
    "aget_document_states": ("document_ids", "since"),
    "arequest": ("endpoint", "params"),
    "check_credits": ("needed",),
    "close": (),
    "create_contact": ("name", "email", "phone", "company", "job_title", "exist_ok"),
    "create_folder": ("name", "parent_folder_id"),
    "create_template": ("file", "title", "signers", "note", "options", "kind"),
    "delete_contact": ("contact_id",),
    "delete_document": ("document_id",),
    "delete_folder": ("folder_id",),
    "delete_template": ("template_id",),
    "delete_webhook": (),
    "document_url": ("document_id",),
    "download_certificate": ("document_id", "destination"),
    "download_signed_document": ("document_id", "destination", "allow_partial"),
    "draft_document": ("file", "title", "signers", "note", "marker", "options"),
    "find_document_by_marker": ("marker", "statuses", "since"),
    "find_sent_document": ("marker", "since", "statuses", "endpoint", "wait"),
    "get_contact": ("contact_id",),
    "get_credits": (),
    "get_document": ("document_id",),
    "get_document_state": ("document_id",),
    "get_document_states": ("document_ids", "since"),
    "get_folder": ("folder_id",),
    "get_form_data": ("document_id",),
    "get_signer_ips": ("document_id",),
    "get_signing_links": ("document_id",),
    "get_template": ("template_id",),
    "get_user": (),
    "get_webhook": (),
    "list_contacts": ("page_size", "max_items"),
    "list_documents": ("status", "page_size", "max_items"),
    "list_folders": ("parent_folder_id", "page_size", "max_items"),
    "list_templates": ("page_size", "max_items"),
    "paginate": ("endpoint", "params", "page_size", "max_items"),
    "request": ("method", "endpoint", "json", "params", "data", "headers", "idempotent"),
    "resend_mail": ("document_id", "email", "subject", "body"),
    "revoke_document": ("document_id", "reason"),
    "self_sign_document": ("file", "title", "signer", "note", "marker", "options"),
    "send_for_signature": ("file", "title", "signers", "note", "marker", "options"),
    "send_template_for_signature": (
        "template_id",
        "signers",
        "title",
        "prefill",
        "file",
        "marker",
        "options",
    ),
    "set_webhook": ("url",),
    "test_connection": (),
    "update_contact": ("contact_id", "fields"),
    "update_document": ("document_id", "fields"),
    "update_folder": ("folder_id", "name", "parent_folder_id"),
    "update_template": ("template_id", "fields"),
    "verify_webhook": ("body", "signature"),
    "receive_webhook": ("body", "headers", "replay_guard"),
}
PUBLIC_PROPERTIES = (
    "base_url",
    "create_settle_seconds",
    "download_session",
    "environment",
    "web_app_url",
    "webhook_secret",
)


def test_the_hook_keeps_every_public_method_with_its_parameters() -> None:
    import inspect

    for name, parameters in PUBLIC_METHODS.items():
        signature = inspect.signature(getattr(OpenSignHook, name))
        assert tuple(signature.parameters)[1:] == parameters, name
    for name in PUBLIC_PROPERTIES:
        assert isinstance(inspect.getattr_static(OpenSignHook, name), property), name
    hook_parameters = inspect.signature(OpenSignHook).parameters
    assert {"opensign_conn_id", "create_attempts", "create_settle_seconds"} <= set(hook_parameters)
    assert {"timeout", "retry_policy", "landing_wait"} <= set(hook_parameters)  # no longer hidden in **kwargs
