"""Asking for a grenseffectentoets (§ 4.2.2) through its start form: over HTTP (the form's rules, the links,
who may) and in a real browser with axe-core."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.gros import toetsen
from tests.web.test_browser import REFUSED, Visit

ROOT = Path(__file__).resolve().parents[2]
VOORNEMEN = {"titel": "Tolheffing op de Westerscheldetunnel herzien",
             "samenvatting": "Het tarief voor vrachtverkeer stijgt; grensverkeer uit Vlaanderen betaalt mee.",
             "thema": "mobiliteit", "geplande_datum": "2027-09-01",
             "documenten": "https://example.nl/tolbesluit.pdf\nhttps://example.nl/mer.pdf",
             "federale_bevoegdheden": False}


@pytest.fixture
def models(engine) -> None:
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])


def test_a_dutch_department_asks_and_flanders_is_asked(login, models, engine):
    mark = login("dnl")
    page = mark.get("/toetsen/nieuw").text
    assert json.loads(page.split('id="formulier-schema">')[1].split("</script>")[0])["id"] == "gros-toets-indienen"
    assert "namens de departementen van Nederland" in page
    response = mark.post("/toetsen/nieuw", {"variables": json.dumps(VOORNEMEN)})
    assert response.status_code == 302
    toets = engine.query.instances(business_key="TOETS-2027-001")[0]
    assert toets.definition_key == "gros-grenseffectentoets" and toets.title == VOORNEMEN["titel"]
    assert [t.candidate_groups for t in engine.query.tasks(instance_id=toets.id)] == [["departement-vl"]]
    assert "Grenseffectentoets TOETS-2027-001 ‘Tolheffing op de Westerscheldetunnel herzien’ is ingediend" in \
        mark.get("/taken").text
    assert toetsen.linked(engine, toets.id).side == "NL"


def test_a_document_that_is_not_a_link_is_refused_naming_its_line(login, models, engine):
    bad = {**VOORNEMEN, "documenten": "https://example.nl/a.pdf\nzie de bijlage op schijf K:"}
    response = login("dvl").post("/toetsen/nieuw", {"variables": json.dumps(bad)})
    assert response.status_code == 400
    assert "regel 2 is geen webadres" in response.text
    assert engine.query.instances(business_key="TOETS-2027-001") == []


def test_the_forms_rules_are_checked_before_anything_starts(login, models, engine):
    response = login("dvl").post("/toetsen/nieuw", {"variables": json.dumps({"titel": "Kort"})})
    assert response.status_code == 400
    for error in ("Titel: Minstens 5 tekens.", "Samenvatting van het voornemen: Dit veld is verplicht."):
        assert error in response.text
    assert engine.query.instances(business_key="TOETS-2027-001") == []


@pytest.mark.parametrize("key", ["sec", "net", "fed", "nl"])
def test_only_departments_ask_for_a_toets(login, models, key):
    assert login(key).get("/toetsen/nieuw").status_code == 403


def test_a_flemish_department_asks_for_a_toets_in_the_browser(live_server, browser_page, screenshots, engine,
                                                               console_errors):
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    visit = Visit(browser_page, live_server, screenshots)
    visit.log_in("els")
    visit.page.get_by_role("link", name="Grenseffectentoets aanvragen").click()
    visit.page.wait_for_selector(".fjs-form")
    visit.check("40-toets-aanvragen")
    visit.fill("Titel", "Nieuwe regels voor mestafzet")
    visit.fill("Samenvatting van het voornemen", "Mest uit Vlaanderen mag niet langer in Zeeland worden afgezet.")
    visit.fill("Documenten (webadressen, één per regel)", "geen link")
    visit.page.locator("#formulier").get_by_label("Geplande datum").fill("01/03/2027")  # nl-BE: day/month/year
    visit.page.keyboard.press("Escape")
    visit.select("Beleidsdomein", "Ruimtelijke ordening en milieu")  # last: form-js takes typed text a moment later
    visit.submit("Toets aanvragen")
    visit.page.wait_for_selector(".error-summary")
    console_errors.remove(REFUSED)
    assert "regel 1 is geen webadres" in visit.page.locator(".error-summary").inner_text()
    visit.check("41-toets-geweigerd")
    visit.page.wait_for_selector(".fjs-form")
    visit.fill("Documenten (webadressen, één per regel)", "https://example.be/ontwerpdecreet.pdf")
    visit.page.locator("#formulier").get_by_label("Titel").click()
    visit.submit("Toets aanvragen")
    visit.page.wait_for_url(f"{visit.base}/taken")
    visit.page.get_by_text("‘Nieuwe regels voor mestafzet’ is ingediend").wait_for()
    visit.check("42-toets-ingediend")
    toets = engine.query.instances(business_key="TOETS-2027-001")[0]
    variables = engine.query.variables(toets.id)
    assert variables["indiener_zijde"] == "VL" and variables["geplande_datum"] == "2027-03-01"
