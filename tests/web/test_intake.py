"""A new dossier through the signal form: the form's rules first, then the dossier starts — by the plain
start for the secretariaat, by the regional network's message for a network."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from engine.store.models import ProcessInstance
from tests.web.conftest import PASSWORD, PEOPLE, form_token

ROOT = Path(__file__).resolve().parents[2]
SIGNAL = {"titel": "Zorgkosten van grensarbeiders",
          "omschrijving": "Grensarbeiders betalen zorgkosten dubbel voor hun gezin.",
          "melder": "euregio-scheldemond", "thema": "zorg"}


@pytest.fixture
def models(engine) -> None:
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])


def instance_count(engine) -> int:
    with engine.db.reading() as session:
        return session.query(ProcessInstance).count()


def test_the_secretariaat_starts_a_dossier_and_is_pointed_to_its_registration(login, models, engine):
    sanne = login("sec")
    page = sanne.get("/dossiers/nieuw").text
    assert json.loads(page.split('id="formulier-schema">')[1].split("</script>")[0])["id"] == "gros-signaal-registreren"
    response = sanne.post("/dossiers/nieuw", {"variables": json.dumps(SIGNAL)})
    assert response.headers["Location"] == "/taken"
    instance = engine.query.instances(business_key="GROS-2027-001")[0]
    assert instance.definition_key == "gros-dossier" and instance.title == "Zorgkosten van grensarbeiders"
    task = engine.query.tasks(instance_id=instance.id)[0]
    assert task.element_id == "Activity_SignaalRegistreren"
    inbox = sanne.get("/taken").text
    assert "Dossier GROS-2027-001 ‘Zorgkosten van grensarbeiders’ is aangemaakt." in inbox
    assert f'<a href="/taken/{task.id}">Volgende stap: ‘Signaal registreren’</a>' in inbox
    assert engine.query.variables(instance.id)["thema"] == "zorg"


def test_a_regional_network_signals_by_the_message(login, models, engine):
    response = login("net").post("/dossiers/nieuw", {"variables": json.dumps(SIGNAL)})
    assert response.status_code == 302
    instance = engine.query.instances(business_key="GROS-2027-001")[0]
    started = engine.query.history(instance.id)[0]
    assert started.action == "instance.started" and started.actor == "pieter"
    assert started.data["message"] == "signaal-ontvangen"
    assert "Volgende stap" not in login("net").get("/taken").text
    assert [t.candidate_groups for t in engine.query.tasks(instance_id=instance.id)] == [["secretariaat"]]


def test_invalid_signals_show_every_error_and_start_nothing(login, models, engine):
    bad = {"titel": "Kort", "omschrijving": "", "melder": "iemand", "geheim": "x"}
    response = login("sec").post("/dossiers/nieuw", {"variables": json.dumps(bad)})
    assert response.status_code == 400
    for error in ("Titel: Minstens 5 tekens.", "Omschrijving van de grensbelemmering: Dit veld is verplicht.",
                  "Melder (regionaal netwerk): Kies een van de toegelaten waarden.", "Thema: Dit veld is verplicht.",
                  "geheim: Onbekend veld."):
        assert error in response.text
    assert instance_count(engine) == 0


def test_business_keys_follow_the_highest_of_the_year(login, models, engine, people):
    engine.runtime.start("gros-dossier", "GROS-2027-041", {}, people["sec"])
    engine.runtime.start("gros-dossier", "GROS-2026-099", {}, people["sec"])
    login("sec").post("/dossiers/nieuw", {"variables": json.dumps(SIGNAL)})
    assert engine.query.instances(business_key="GROS-2027-042")


def test_concurrent_intakes_get_distinct_numbers(app, live_server, models, engine):
    """Issue 13, finding 2: eight officials press "aanmaken" at once over real HTTP; the numbers come from
    a counter locked in each start command, so all eight differ (max+1 without a lock gave duplicates)."""
    app.config["SESSION_COOKIE_SECURE"] = False  # the test server speaks plain HTTP
    sessions = [_logged_in(live_server, "sec" if n % 2 else "net") for n in range(8)]
    tokens = [form_token(s.get(f"{live_server}/dossiers/nieuw", timeout=30).text) for s in sessions]
    together = threading.Barrier(8)

    def submit(number: int) -> int:
        together.wait()
        return sessions[number].post(f"{live_server}/dossiers/nieuw", timeout=60, allow_redirects=False, data={
            "csrf_token": tokens[number], "variables": json.dumps(SIGNAL)}).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(submit, range(8))) == [302] * 8
    keys = sorted(i.business_key for i in engine.query.instances())
    assert keys == [f"GROS-2027-{n:03d}" for n in range(1, 9)]


def _logged_in(url: str, key: str) -> requests.Session:
    session = requests.Session()
    token = form_token(session.get(f"{url}/inloggen", timeout=30).text)
    response = session.post(f"{url}/inloggen", timeout=30, allow_redirects=False, data={
        "csrf_token": token, "gebruikersnaam": PEOPLE[key][0], "wachtwoord": PASSWORD})
    assert response.status_code == 302
    return session


@pytest.mark.parametrize("key", ["nl", "vl", "fed"])
def test_other_groups_cannot_start_dossiers(login, models, engine, key):
    official = login(key)
    assert official.get("/dossiers/nieuw").status_code == 403
    assert official.post("/dossiers/nieuw", {"variables": json.dumps(SIGNAL)}).status_code == 403
    assert instance_count(engine) == 0


def test_without_the_signal_form_deployed_the_page_says_so(login):
    response = login("sec").get("/dossiers/nieuw")
    assert response.status_code == 404 and "gros-signaal-registreren" in response.text
