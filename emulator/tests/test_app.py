"""The composed emulator: context manager, control API, HTML page, feeds, connections."""

from __future__ import annotations

import json
import re

import requests
from optisigns_client import data, nodes

from signs_emulator import Emulator
from signs_emulator.credentials import OPENSIGN_TOKENS, OPTISIGNS_DEMO_KEY


def test_context_manager_urls(emulator: Emulator) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emulator.url)
    assert emulator.optisigns_graphql_url == f"{emulator.url}/optisigns/graphql"
    assert emulator.upload_url == f"{emulator.url}/transloadit/assemblies"
    assert emulator.opensign_host("live") == f"{emulator.url}/opensign/live"
    health = emulator.control.health()
    assert health["status"] == "ok" and health["opensign"] is True


def test_emulator_stops_and_frees_its_port(tmp_path) -> None:
    emu = Emulator(data_dir=tmp_path).start()
    url = emu.url
    assert requests.get(f"{url}/_emulator/health", timeout=5).ok
    emu.stop()
    try:
        requests.get(f"{url}/_emulator/health", timeout=2)
    except requests.ConnectionError:
        pass
    else:
        raise AssertionError("the emulator still answers after stop()")


def test_connections_point_at_the_emulator(emulator: Emulator) -> None:
    conns = {name: json.loads(value) for name, value in emulator.connections().items()}
    optisigns = conns["AIRFLOW_CONN_OPTISIGNS_DEFAULT"]
    assert optisigns["host"] == emulator.optisigns_graphql_url and optisigns["password"] == OPTISIGNS_DEMO_KEY
    opensign = conns["AIRFLOW_CONN_OPENSIGN_DEFAULT"]
    assert (
        opensign["host"] == emulator.opensign_host("sandbox")
        and opensign["password"] == OPENSIGN_TOKENS["sandbox"]
    )
    assert conns["AIRFLOW_CONN_OPENSIGN_LIVE"]["password"] == OPENSIGN_TOKENS["live"]
    feeds = conns["AIRFLOW_CONN_SIGNS_FEEDS"]["host"]
    assert requests.get(f"{feeds}/kpis", timeout=5).ok
    creds = emulator.control.credentials()
    assert creds["airflow_connections"] == emulator.connections()


def test_opensign_is_mounted_per_contract(emulator: Emulator) -> None:
    ok = requests.get(
        f"{emulator.opensign_api_url('sandbox')}/getuser",
        headers={"x-api-token": OPENSIGN_TOKENS["sandbox"]},
        timeout=5,
    )
    assert ok.status_code == 200 and ok.json()["objectId"]
    wrong_env = requests.get(
        f"{emulator.opensign_api_url('live')}/getuser",
        headers={"x-api-token": OPENSIGN_TOKENS["sandbox"]},
        timeout=5,
    )
    assert wrong_env.status_code == 405 and wrong_env.json() == {"error": "Invalid API Token!"}
    assert set(emulator.control.state()["opensign"]["environments"]) == {"sandbox", "live", "eu"}


def test_reset_restores_the_seeded_state_and_clock(emulator: Emulator) -> None:
    before = emulator.control.now()
    data(emulator, 'mutation { savePlaylist(payload: {name: "temporary"}) { _id } }')
    emulator.control.advance_clock(days=3)
    assert emulator.control.now() > before
    emulator.control.reset()
    assert "temporary" not in [p["name"] for p in nodes(emulator, "playlists", "name")]
    assert emulator.control.now()[:13] == before[:13]


def test_clock_advance_rejects_going_back(emulator: Emulator) -> None:
    response = requests.post(f"{emulator.url}/_emulator/clock/advance", json={"seconds": -5}, timeout=5)
    assert response.status_code == 422


def test_page_shows_what_each_screen_displays(emulator: Emulator) -> None:
    page = requests.get(emulator.url + "/", timeout=5)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for name in ("Lobby Entrance", "Office KPI Wall", "Lobby Loop", "Weekday Opening Hours"):
        assert name in html
    assert "online" in html and "offline" in html
    # The image assets are shown as pictures served by the emulator, website assets in an iframe.
    images = re.findall(r'<img src="([^"]+/_emulator/optisigns/files/[^"]+)"', html)
    assert images
    picture = requests.get(images[0], timeout=5)
    assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    assert '<iframe src="https://dashboard.example.com/kpi"' in html
    assert (
        requests.get(f"{emulator.url}/_emulator/page?refresh=5", timeout=5).text.count('http-equiv="refresh"')
        == 1
    )


def test_page_escapes_user_content(emulator: Emulator) -> None:
    data(emulator, 'mutation { savePlaylist(payload: {name: "<script>alert(1)</script>"}) { _id } }')
    html = requests.get(emulator.url + "/", timeout=5).text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_page_lists_opensign_documents_with_signer_progress(emulator: Emulator) -> None:
    state = emulator.control.state()["opensign"]["environments"]
    html = requests.get(emulator.url + "/", timeout=5).text
    assert "OpenSign documents" in html
    for env in state:
        assert f"<h3>{env}</h3>" in html
    documents = [d for env in state.values() for d in env["documents"]]
    for doc in documents[:3]:
        assert doc["name"] in html or doc["name"].replace("&", "&amp;") in html


def test_state_endpoint(emulator: Emulator) -> None:
    state = emulator.control.state()
    screens = state["optisigns"]["screens"]
    assert len(screens) == 6 and all("showing" in s for s in screens)
    assert state["optisigns"]["pending_pairing_codes"] == ["3JRKC8", "M9JTSY"]


def test_feeds_are_deterministic_and_follow_the_clock(emulator: Emulator) -> None:
    contracts = requests.get(
        f"{emulator.feeds_url}/contracts", params={"date": "2026-01-05"}, timeout=5
    ).json()
    again = requests.get(f"{emulator.feeds_url}/contracts", params={"date": "2026-01-05"}, timeout=5).json()
    assert contracts == again and contracts["contracts"]
    person = contracts["contracts"][0]
    assert set(person) >= {"name", "email", "role", "contract_title"}
    assert person["email"].endswith("@example.com")
    three = requests.get(
        f"{emulator.feeds_url}/contracts", params={"date": "2026-01-05", "count": 3}, timeout=5
    )
    assert len(three.json()["contracts"]) == 3
    weather = requests.get(f"{emulator.feeds_url}/weather", params={"city": "Houston"}, timeout=5).json()
    assert weather["city"] == "Houston" and len(weather["forecast"]) == 3
    today = weather["forecast"][0]["date"]
    emulator.control.advance_clock(days=1)
    tomorrow = requests.get(f"{emulator.feeds_url}/weather", params={"city": "Houston"}, timeout=5).json()
    assert tomorrow["forecast"][0]["date"] > today and tomorrow["forecast"][0] == weather["forecast"][1]
    kpis = requests.get(f"{emulator.feeds_url}/kpis", timeout=5).json()["kpis"]
    assert {k["key"] for k in kpis} >= {"orders_today", "nps"}
    assert (
        requests.get(f"{emulator.feeds_url}/contracts", params={"date": "2026-13-01"}, timeout=5).status_code
        == 400
    )


def test_openapi_docs_of_the_control_api(emulator: Emulator) -> None:
    spec = requests.get(f"{emulator.url}/_emulator/openapi.json", timeout=5).json()
    assert "/_emulator/faults" in spec["paths"] and "/_emulator/optisigns/screens" in spec["paths"]


def test_two_emulators_in_one_process_keep_their_own_state(emulator: Emulator, tmp_path) -> None:
    # The routers are module-level and shared by every app; each request must still reach the state of the
    # app that serves it (request.app.state), never another emulator's.
    with Emulator(data_dir=tmp_path, seed=1) as other:
        other.control.add_screens(3, tags=["only-here"])
        other_names = {n["name"] for n in nodes(other, "devices", "name")}
        names = {n["name"] for n in nodes(emulator, "devices", "name")}
        assert len(other_names) == len(names) + 3 and not any("Bench" in n for n in names)
        headers = {"x-api-token": OPENSIGN_TOKENS["sandbox"]}
        created = requests.post(
            f"{other.opensign_api_url('sandbox')}/createcontact",
            json={"name": "Only Here", "email": "only.here@example.com"},
            headers=headers,
            timeout=5,
        )
        assert created.status_code == 200, created.text
        contacts = requests.get(
            f"{emulator.opensign_api_url('sandbox')}/contactlist", headers=headers, timeout=5
        ).json()["result"]
        assert "only.here@example.com" not in {c["email"] for c in contacts}
        assert other.control.count() > 0
        assert emulator.control.count(path="/createcontact") == 0
        assert other.runtime.clock is not emulator.runtime.clock
