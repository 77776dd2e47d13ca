"""Fault injection and request counting, as a real ``requests`` client sees them."""

from __future__ import annotations

import json
import time

import pytest
import requests
from optisigns_client import data, nodes, post

from signs_emulator import Emulator
from signs_emulator.faults import FaultRule

ME = "{ me { _id } }"


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_status_faults_answer_without_running_the_handler(emulator: Emulator, status: int) -> None:
    emulator.control.add_fault(
        str(status), path="^/optisigns/graphql$", retry_after=7 if status == 429 else None
    )
    response = post(emulator, 'mutation { savePlaylist(payload: {name: "faulted"}) { _id } }')
    assert response.status_code == status
    if status == 429:
        assert response.headers["Retry-After"] == "7"
        assert response.json()["errors"][0]["extensions"]["response"]["statusCode"] == 429
    if status in (502, 503):
        assert response.headers["content-type"].startswith("text/html")
    assert "faulted" not in [p["name"] for p in nodes(emulator, "playlists", "name")]
    assert emulator.control.request_summary()["faults"] == {str(status): 1}
    [record] = emulator.control.requests(fault=str(status))
    assert record["status"] == status and record["fields"] == ["savePlaylist"]


def test_default_retry_after_for_429(emulator: Emulator) -> None:
    emulator.control.add_fault("429", path="^/feeds/")
    response = requests.get(f"{emulator.feeds_url}/kpis", timeout=5)
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert requests.get(f"{emulator.feeds_url}/kpis", timeout=5).status_code == 200


def test_drop_closes_the_connection_before_any_response(emulator: Emulator) -> None:
    emulator.control.add_fault("drop", path="^/optisigns/graphql$")
    with pytest.raises(requests.ConnectionError):
        post(emulator, 'mutation { savePlaylist(payload: {name: "dropped"}) { _id } }')
    assert "dropped" not in [p["name"] for p in nodes(emulator, "playlists", "name")]
    [record] = emulator.control.requests(fault="drop")
    assert record["status"] is None
    # The server keeps serving on new connections.
    assert post(emulator, ME).status_code == 200


def test_lost_response_runs_the_handler_then_drops(emulator: Emulator) -> None:
    """The duplicate-maker: the client sees a dead connection, but the playlist was created."""
    mutation = 'mutation { savePlaylist(payload: {name: "twice"}) { _id } }'
    emulator.control.add_fault("lost_response", operation="savePlaylist")
    session = requests.Session()
    with pytest.raises(requests.ConnectionError):
        session.post(
            emulator.optisigns_graphql_url,
            json={"query": mutation},
            headers={"Authorization": "Bearer optisigns-demo-key"},
            timeout=5,
        )
    assert [p["name"] for p in nodes(emulator, "playlists", "name")].count("twice") == 1
    # A blind retry creates a duplicate, which is what hooks must avoid for non-idempotent calls.
    data(emulator, mutation)
    assert [p["name"] for p in nodes(emulator, "playlists", "name")].count("twice") == 2
    assert emulator.control.count(operation="savePlaylist") == 2
    [record] = emulator.control.requests(fault="lost_response")
    assert record["status"] is None and record["handler_status"] == 200


def test_slow_answers_after_the_client_gave_up(emulator: Emulator) -> None:
    emulator.control.add_fault("slow", path="^/optisigns/graphql$", delay=1.5)
    with pytest.raises(requests.ReadTimeout):
        requests.post(
            emulator.optisigns_graphql_url,
            json={"query": ME},
            headers={"Authorization": "Bearer optisigns-demo-key"},
            timeout=0.5,
        )
    assert emulator.control.request_summary()["faults"] == {"slow": 1}
    # Without a client timeout the slow answer does arrive.
    emulator.control.add_fault("slow", path="^/feeds/", delay=0.3)
    assert requests.get(f"{emulator.feeds_url}/kpis", timeout=5).status_code == 200


def test_slow_still_applies_the_write_after_the_client_gave_up(emulator: Emulator) -> None:
    """The case that makes "look before re-sending" necessary: the client timed out, the server created."""
    emulator.control.add_fault("slow", path="/createcontact$", delay=1.0)
    with pytest.raises(requests.ReadTimeout):
        requests.post(
            f"{emulator.opensign_api_url('sandbox')}/createcontact",
            json={"name": "Late Reply", "email": "late@example.com", "phone": "0123456789"},
            headers={"x-api-token": "opensign-sandbox-token"},
            timeout=0.3,
        )
    deadline = time.monotonic() + 10
    emails: list[str] = []
    while time.monotonic() < deadline and "late@example.com" not in emails:
        time.sleep(0.2)
        emails = [c["email"] for c in emulator.control.opensign_state("sandbox")["contacts"]]
    assert "late@example.com" in emails


def test_malformed_body_is_truncated_json(emulator: Emulator) -> None:
    emulator.control.add_fault("malformed", path="^/optisigns/graphql$")
    response = post(emulator, ME)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    assert emulator.control.request_summary()["faults"] == {"malformed": 1}


def test_faults_on_other_apis(emulator: Emulator) -> None:
    emulator.control.add_fault("503", path="^/opensign/")
    emulator.control.add_fault("lost_response", path="^/transloadit/")
    response = requests.get(
        f"{emulator.opensign_api_url('sandbox')}/getuser", headers={"x-api-token": "t"}, timeout=5
    )
    assert response.status_code == 503
    with pytest.raises(requests.ConnectionError):
        requests.post(emulator.upload_url, files={"file": ("a.png", b"x")}, timeout=5)
    assert emulator.control.request_summary()["faults"] == {"503": 1, "lost_response": 1}


def test_operation_matching_times_and_skip(emulator: Emulator) -> None:
    rule = emulator.control.add_fault("500", operation="savePlaylist", times=2, skip=1)
    mutation = 'mutation { savePlaylist(payload: {name: "p"}) { _id } }'
    assert post(emulator, ME).status_code == 200  # other operations pass
    statuses = [post(emulator, mutation).status_code for _ in range(4)]
    assert statuses == [200, 500, 500, 200]
    [armed] = emulator.control.faults()
    assert (
        armed["id"] == rule["id"]
        and armed["injected"] == 2
        and armed["matched"] == 3
        and armed["remaining"] == 0
    )
    assert emulator.control.count(operation="savePlaylist") == 4
    assert emulator.control.count(operation="savePlaylist", fault="500") == 2


def test_operation_name_matching_and_forever(emulator: Emulator) -> None:
    emulator.control.add_fault("503", operation="Nightly", times=0)
    for _ in range(3):
        assert post(emulator, "query Nightly { me { _id } }").status_code == 503
    assert post(emulator, "query Other { me { _id } }").status_code == 200
    emulator.control.clear_faults()
    assert post(emulator, "query Nightly { me { _id } }").status_code == 200


def test_control_paths_are_never_faulted_nor_counted(emulator: Emulator) -> None:
    emulator.control.add_fault("drop", path=".*", times=0)
    assert emulator.control.health()["status"] == "ok"
    assert requests.get(emulator.url + "/", timeout=5).status_code == 200
    assert emulator.control.request_summary()["total"] == 0


def test_counters_log_and_reset(emulator: Emulator) -> None:
    post(emulator, ME)
    requests.get(f"{emulator.feeds_url}/weather", timeout=5)
    summary = emulator.control.request_summary()
    assert summary["total"] == 2
    assert summary["paths"] == {"/optisigns/graphql": 1, "/feeds/weather": 1}
    assert summary["fields"] == {"me": 1}
    assert [r["method"] for r in emulator.control.requests()] == ["POST", "GET"]
    assert emulator.control.count(path="^/feeds", method="GET") == 1
    emulator.control.reset_requests()
    assert emulator.control.request_summary()["total"] == 0


def test_bad_rules_are_rejected_with_the_field_named(emulator: Emulator) -> None:
    response = requests.post(f"{emulator.url}/_emulator/faults", json={"kind": "teapot"}, timeout=5)
    assert response.status_code == 400 and "kind" in response.text
    response = requests.post(f"{emulator.url}/_emulator/faults", json={"kind": "500", "pth": "x"}, timeout=5)
    assert response.status_code == 400 and "pth" in response.text
    response = requests.post(f"{emulator.url}/_emulator/faults", json={"kind": "500", "path": "("}, timeout=5)
    assert response.status_code == 400 and "path" in response.text


def test_fault_specs_parse() -> None:
    rule = FaultRule.parse("kind=429,path=^/optisigns,operation=pushToScreens,times=3,retry_after=2")
    assert (rule.kind, rule.path, rule.operation, rule.times, rule.retry_after) == (
        "429",
        "^/optisigns",
        "pushToScreens",
        3,
        2,
    )
    assert FaultRule.parse("drop").kind == "drop"
    assert FaultRule.parse('{"kind": "slow", "delay": 0.5}').delay == 0.5
    with pytest.raises(ValueError, match="times"):
        FaultRule.parse("kind=500,times=-1")


def test_start_up_faults_are_counted_and_rearmed_by_reset(tmp_path) -> None:
    with Emulator(faults=["kind=503,path=^/feeds/kpis$"], data_dir=tmp_path) as emu:
        assert requests.get(f"{emu.feeds_url}/kpis", timeout=5).status_code == 503
        assert requests.get(f"{emu.feeds_url}/kpis", timeout=5).status_code == 200
        emu.control.reset()
        assert requests.get(f"{emu.feeds_url}/kpis", timeout=5).status_code == 503
        with emu.fault("500", path="^/feeds/weather$", times=0) as rule:
            assert rule["kind"] == "500"
            assert requests.get(f"{emu.feeds_url}/weather", timeout=5).status_code == 500
        assert requests.get(f"{emu.feeds_url}/weather", timeout=5).status_code == 200


def test_status_faults_can_answer_inside_http_200_on_graphql(emulator: Emulator) -> None:
    """OptiSigns reports errors inside HTTP 200; a rate limit can be armed the same way."""
    emulator.control.add_fault("429", path="^/optisigns/graphql$", in_body=True, retry_after=0)
    response = post(emulator, ME)
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"]["response"]["statusCode"] == 429
    assert FaultRule.parse("kind=503,in_body=true").in_body is True


@pytest.mark.parametrize("kind", ["502", "drop"])
def test_late_write_applies_the_request_after_the_gateway_error(emulator: Emulator, kind: str) -> None:
    """A gateway gave up, the backend did not: the contact appears after the client saw the failure."""
    emulator.control.add_fault(kind, path="/createcontact$", late_write=0.5)
    url = f"{emulator.opensign_api_url('sandbox')}/createcontact"
    body = {"name": "Late Backend", "email": "late.backend@example.com", "phone": "0123456789"}
    headers = {"x-api-token": "opensign-sandbox-token"}
    if kind == "drop":
        with pytest.raises(requests.ConnectionError):
            requests.post(url, json=body, headers=headers, timeout=5)
    else:
        assert requests.post(url, json=body, headers=headers, timeout=5).status_code == 502

    def emails() -> list[str]:
        return [c["email"] for c in emulator.control.opensign_state("sandbox")["contacts"]]

    assert "late.backend@example.com" not in emails()
    deadline = time.monotonic() + 10
    while "late.backend@example.com" not in emails():
        assert time.monotonic() < deadline, "the late write never happened"
        time.sleep(0.1)


@pytest.mark.parametrize(("method", "status"), [("GET", 302), ("POST", 307)])
def test_redirect_sends_the_client_elsewhere_and_logs_what_it_carried(emulator, method, status) -> None:
    import requests

    other_host = emulator.url.replace("127.0.0.1", "localhost")
    emulator.control.add_fault("redirect", path="/getuser$", location=f"{other_host}/feeds/kpis")
    url = f"{emulator.url}/opensign/sandbox/api/v1.2/getuser"
    answer = requests.request(method, url, headers={"x-api-token": "t"}, allow_redirects=False, timeout=5)
    assert answer.status_code == status
    assert answer.headers["location"] == f"{other_host}/feeds/kpis"
    (call,) = emulator.control.requests(path="/getuser$")
    assert call["fault"] == "redirect" and call["auth_header"] == "x-api-token"


def test_redirect_needs_an_absolute_location(emulator) -> None:
    from signs_emulator.client import ControlError

    with pytest.raises(ControlError, match="location"):
        emulator.control.add_fault("redirect", path="/getuser$")
