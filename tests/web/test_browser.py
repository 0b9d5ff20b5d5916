"""The inbox in a real browser — Debian's chromium driven by Playwright — against the app served over
real HTTP, on the real GROS models in processen/ and formulieren/. axe-core checks every page it visits
(no serious or critical violations); screenshots go to test-output/."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from engine.gros import meetings

from .conftest import PASSWORD, ROOT

MODELS = [ROOT / "processen", ROOT / "formulieren"]
AXE = ROOT / "tests" / "vendor" / "axe.min.js"
REFUSED = "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"  # a page with errors
SIGNAL = {
    "titel": "Grensoverschrijdend openbaar vervoer: bus Hulst – Sint-Niklaas",
    "omschrijving": "De busverbinding over de grens valt weg bij elke nieuwe concessie.",
    "melder": "egts-linieland-van-waas-en-hulst", "melder_contact": "", "thema": "mobiliteit",
    "betrokken_regelgeving": "Wet personenvervoer 2000 (NL); decreet basisbereikbaarheid (VL)",
}


def decided(engine, instance_id: str, element_id: str) -> list[dict]:
    """What completing ``element_id`` recorded in the audit trail, once per completion."""
    return [e.data for e in engine.query.history(instance_id)
            if e.action == "task.completed" and e.element_id == element_id]


def open_task(engine, instance_id: str, element_id: str):
    return next(t for t in engine.query.tasks(instance_id=instance_id) if t.element_id == element_id)


@pytest.fixture
def selection(app, engine, people) -> str:
    """A dossier at the paritaire selectie: the Dutch and the Flemish decision both wait."""
    engine.repository.deploy(MODELS)
    secretariaat = people["sec"]
    instance_id = engine.runtime.start("gros-dossier", "GROS-2027-001", {}, secretariaat)
    proposal = {"selectie_voorstel": "Selecteren: dagelijks honderden reizigers getroffen.",
                "selectie_overleg_datum": "2027-01-21"}
    steps = [("Activity_SignaalRegistreren", SIGNAL),
             ("Activity_Triage", {"triage_besluit": "ja", "triage_toelichting": "Structurele belemmering."}),
             ("Activity_SelectievoorstelVoorbereiden", proposal)]
    for element_id, variables in steps:
        engine.tasks.complete(open_task(engine, instance_id, element_id).id, secretariaat, variables)
    return instance_id


class Visit:
    """One person's browser session against the live server, with axe and screenshots on the way."""

    def __init__(self, page, base: str, folder: Path) -> None:
        self.page, self.base, self.folder = page, base, folder

    def log_in(self, username: str) -> None:
        self.page.goto(f"{self.base}/inloggen")
        self.page.get_by_label("Gebruikersnaam").fill(username)
        self.page.get_by_label("Wachtwoord").fill(PASSWORD)
        self.page.get_by_role("button", name="Inloggen").click()
        self.page.wait_for_url(lambda url: url.startswith(self.base) and "/inloggen" not in url)  # the role's page

    def log_out(self) -> None:
        self.page.get_by_role("button", name="Uitloggen").click()
        self.page.wait_for_url(f"{self.base}/inloggen")

    def group_tasks(self) -> None:
        lists = self.page.get_by_role("navigation", name="Takenlijsten")
        lists.get_by_role("link", name="Taken van mijn groepen").click()
        self.page.wait_for_url(f"{self.base}/taken/groepen")

    def claim(self, task_name: str) -> None:
        self.page.get_by_role("button", name=f"Claimen ‘{task_name}’").click()
        self.page.wait_for_selector(".fjs-form")

    def choose(self, label: str) -> None:
        self.page.locator("#formulier").get_by_label(label, exact=True).check()

    def fill(self, label: str, text: str) -> None:
        self.page.locator("#formulier").get_by_label(label).fill(text)

    def select(self, label: str, option: str) -> None:
        field = self.page.locator(".fjs-form-field-select", has_text=label)
        field.locator(".fjs-select-display").click()
        field.locator(".fjs-dropdownlist-item").get_by_text(option, exact=True).click()

    def submit(self, button: str = "Afronden") -> None:
        self.page.get_by_role("button", name=button).click()

    def check(self, name: str) -> None:
        """Screenshot, then axe-core: no serious or critical accessibility violations."""
        self.page.screenshot(path=self.folder / f"{name}.png", full_page=True)
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate("axe.run(document)")
        bad = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, f"{name}: {bad}"


@pytest.fixture
def visit(live_server, browser_page, screenshots) -> Visit:
    return Visit(browser_page, live_server, screenshots)


def test_both_sides_take_the_paritaire_selectie(visit, selection, engine):
    page = visit.page
    page.goto(f"{visit.base}/taken")
    visit.check("01-inloggen")
    visit.log_in("joris")
    visit.check("02-mijn-taken-leeg")
    visit.group_tasks()
    row = page.get_by_role("row", name="GROS-2027-001")
    assert "Selectiebesluit Nederland" in row.inner_text() and "Paritaire selectie" in row.inner_text()
    visit.check("03-taken-van-mijn-groepen")

    visit.claim("Selectiebesluit Nederland")
    decision = open_task(engine, selection, "Activity_SelectiebesluitNL")
    assert engine.query.task(decision.id).assignee == "joris"
    visit.check("04-taak-met-formulier")

    visit.choose("Ja")
    visit.fill("Motivering", "kort")
    visit.submit()
    page.get_by_text("Minstens 10 tekens.").wait_for()
    assert page.locator("#formulier-status").inner_text() == "Eén veld is niet goed ingevuld."
    assert page.url.endswith(f"/taken/{decision.id}")
    assert engine.query.task(decision.id).id == decision.id and decided(engine, selection, decision.element_id) == []
    visit.check("05-fout-in-formulier")

    visit.fill("Motivering", "Past in de prioriteiten van de Nederlandse grensregio.")
    visit.submit()
    page.wait_for_url(f"{visit.base}/taken")
    page.get_by_text("‘Selectiebesluit Nederland’ is afgerond voor dossier GROS-2027-001.").wait_for()
    assert decided(engine, selection, decision.element_id) == [
        {"besluit_nl": "ja", "besluit_nl_reden": "Past in de prioriteiten van de Nederlandse grensregio."}]
    visit.check("06-afgerond")
    visit.log_out()

    visit.log_in("lien")
    visit.group_tasks()
    page.get_by_role("link", name="Selectiebesluit Vlaanderen").click()
    page.get_by_role("button", name="Claimen").click()
    page.wait_for_selector(".fjs-form")
    history = page.locator("aside").inner_text()
    # § 6.2.3: the Flemish side sees the Dutch decision only after giving its own
    assert "Selectiebesluit Nederland" not in history and "Dossier gestart" in history
    visit.check("07-vlaamse-zijde")
    visit.choose("Ja")
    visit.fill("Motivering", "Ook voor Vlaanderen een prioritair knelpunt.")
    visit.submit()
    page.wait_for_url(f"{visit.base}/taken")
    visit.log_out()

    visit.log_in("pieter")
    visit.group_tasks()
    row = page.get_by_role("row", name="GROS-2027-001")
    assert "Eerste verkenning uitvoeren" in row.inner_text()
    visit.check("08-volgende-stap-regionaal-netwerk")
    assert engine.query.variables(selection)["besluit_vl"] == "ja"


def test_the_dossier_goes_through_the_verkenning(visit, selection, engine, people):
    for element_id, key, variables in [
        ("Activity_SelectiebesluitNL", "nl", {"besluit_nl": "ja", "besluit_nl_reden": "Prioriteit voor Nederland."}),
        ("Activity_SelectiebesluitVL", "vl", {"besluit_vl": "ja", "besluit_vl_reden": "Prioriteit voor Vlaanderen."}),
    ]:
        engine.tasks.complete(open_task(engine, selection, element_id).id, people[key], variables)
    page = visit.page

    visit.log_in("pieter")
    visit.group_tasks()
    visit.claim("Eerste verkenning uitvoeren")
    visit.select("Aard van de oorzaak", "Verschil tussen de stelsels")
    visit.fill("Oorzaak (toelichting)", "De concessiegebieden stoppen aan de grens.")
    visit.fill("Wie wordt getroffen, en hoeveel?", "Zo'n 400 reizigers per dag.")
    visit.select("Oplossingsperspectief", "Pragmatische oplossing")
    visit.fill("Belang van een oplossing tegenover de status quo", "Zonder bus nemen reizigers de auto.")
    facts = page.locator("aside").inner_text()
    assert "Motivering (Selectiebesluit Nederland)" in facts and "Motivering (Selectiebesluit Vlaanderen)" in facts
    visit.check("14-eerste-verkenning")
    visit.submit()
    page.wait_for_url(f"{visit.base}/taken")
    visit.log_out()

    visit.log_in("sanne")
    visit.group_tasks()
    visit.claim("Federale betrokkenheid beoordelen")
    visit.choose("Volgens de standaardregel")
    visit.submit()
    page.wait_for_url(f"{visit.base}/taken")
    visit.log_out()

    # § 6.2.3: each side of the regional consultation decides in its own task
    for username, side in [("joris", "NL"), ("lien", "VL")]:
        visit.log_in(username)
        visit.group_tasks()
        visit.claim(f"Regionaal besluit en engagement ({side})")
        visit.choose("Verder: voorbereiding agendering met de departementen")
        visit.fill("Motivering", "De regio zet door en levert capaciteit.")
        visit.submit()
        page.wait_for_url(f"{visit.base}/taken")
        visit.log_out()

    for username, task_name in [("mark", "Gezamenlijke verkenning (NL)"), ("els", "Gezamenlijke verkenning (VL)")]:
        visit.log_in(username)
        visit.group_tasks()
        visit.claim(task_name)
        visit.fill("Standpunt", "Een afspraak tussen de concessieverleners volstaat.")
        visit.select("Haalbaarheid van een oplossing", "Haalbaar")
        visit.submit()
        page.wait_for_url(f"{visit.base}/taken")
        visit.log_out()

    visit.log_in("sanne")
    visit.group_tasks()
    visit.claim("Voorstel tot agendering opstellen")
    visit.fill("Agenderingsvoorstel", "Agenderen op het bilateraal overleg van het voorjaar.")
    # § 5.2.5: the proposal names a planned half-yearly meeting of the calendar
    meetings.plan(engine, "bilateraal", datetime(2027, 3, 18, 10, 0), people["sec"])
    date = page.locator("#formulier").get_by_label("Halfjaarlijks bilateraal overleg")
    date.fill("18/3/2027")  # the browser's locale is nl-BE
    date.press("Enter")
    visit.submit()
    page.wait_for_url(f"{visit.base}/taken")
    waiting = sorted(t.element_id for t in engine.query.tasks(instance_id=selection))
    assert waiting == ["Activity_AkkoordMinisterraad", "Activity_AkkoordVlaamseRegering"]
    assert not any(e.element_id == "Activity_FederaalConsulteren" for e in engine.query.history(selection))


def test_the_server_refuses_what_the_browser_let_through(visit, selection, engine, console_errors):
    visit.log_in("joris")
    visit.group_tasks()
    visit.claim("Selectiebesluit Nederland")
    visit.page.locator('#afronden input[name="variables"]').evaluate(
        "(input, value) => { input.value = value; input.form.submit(); }",
        json.dumps({"besluit_nl": "misschien", "besluit_nl_reden": "Twijfel."}))
    visit.page.wait_for_selector(".error-summary")
    console_errors.remove(REFUSED)
    summary = visit.page.locator(".error-summary").inner_text()
    assert "Selecteren voor gerichte inzet? Kies een van de toegelaten waarden." in summary
    assert "Motivering: Minstens 10 tekens." in summary
    visit.page.wait_for_selector(".fjs-form")
    assert visit.page.locator("#formulier").get_by_label("Motivering").input_value() == "Twijfel."
    assert decided(engine, selection, "Activity_SelectiebesluitNL") == []
    visit.check("09-server-weigert")


def test_the_secretariaat_registers_a_new_dossier(visit, engine):
    engine.repository.deploy(MODELS)
    visit.log_in("sanne")
    visit.page.get_by_role("link", name="Nieuw dossier").click()
    visit.page.wait_for_selector(".fjs-form")
    visit.check("10-nieuw-dossier")
    visit.fill("Titel", "Zorgkosten van grensarbeiders")
    visit.fill("Omschrijving van de grensbelemmering", "Grensarbeiders betalen zorgkosten dubbel voor hun gezin.")
    visit.select("Melder (regionaal netwerk)", "Euregio Scheldemond")
    visit.select("Thema", "Zorg en zorgkosten")
    visit.submit("Dossier aanmaken")
    visit.page.wait_for_url(f"{visit.base}/taken")
    visit.page.get_by_text("‘Zorgkosten van grensarbeiders’ is aangemaakt.").wait_for()
    visit.page.get_by_role("link", name="Volgende stap: ‘Signaal registreren’").click()
    visit.page.get_by_role("button", name="Claimen").click()
    visit.page.wait_for_selector(".fjs-form")
    assert visit.page.locator("#formulier").get_by_label("Titel").input_value() == "Zorgkosten van grensarbeiders"
    visit.check("11-signaal-registreren")


def test_the_secretariaat_adds_an_official(visit, console_errors):
    visit.log_in("sanne")
    visit.page.get_by_role("link", name="Gebruikers").click()
    visit.page.get_by_role("link", name="Gebruiker toevoegen").click()
    visit.page.get_by_label("Gebruikersnaam").fill("an.peeters")
    visit.page.get_by_label("Volledige naam").fill("An Peeters")
    visit.page.get_by_label("Eerste wachtwoord").fill("kort")
    visit.page.get_by_role("button", name="Gebruiker aanmaken").click()
    visit.page.get_by_text("Een wachtwoord heeft minstens 10 tekens.").first.wait_for()
    console_errors.remove(REFUSED)
    visit.check("12-gebruiker-fouten")
    visit.page.get_by_label("Eerste wachtwoord").fill("een-sterk-wachtwoord")
    visit.page.get_by_label("Departementen, Vlaanderen").check()
    visit.page.get_by_role("button", name="Gebruiker aanmaken").click()
    visit.page.get_by_text("Gebruiker an.peeters is aangemaakt.").wait_for()
    visit.check("13-gebruikers")
