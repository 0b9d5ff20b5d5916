"""One half-yearly meeting walked in a real browser (§ 5.3.3): the secretariaat plans it in the calendar, the
calendar asks the agendered dossiers for their reports, the civil-service border meeting proposes a judgement
per dossier in one form, the ministers judge each dossier, and the agenda page shows it all. axe-core on
every page; the dossiers were driven to the agenda through the engine's commands beforehand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.accounts import create_account
from engine.gros import meetings
from engine.gros.schakel import group_for
from engine.scheduler import TimerRunner, attach
from engine.services import Actor
from tests.procedure.test_scenarios import Dossier, tot_uitvoering, tot_uitwerking

from .conftest import PASSWORD
from .test_browser import MODELS, Visit

SECRETARIAAT = Actor.of("sanne", ["secretariaat"])


@pytest.fixture
def visit(live_server, browser_page, screenshots) -> Visit:
    return Visit(browser_page, live_server, screenshots)


@pytest.fixture
def agendered(app, engine, clock) -> list[str]:
    """Two dossiers agendered at the March meeting, one in uitwerking and one in uitvoering; March is past."""
    attach(engine)
    engine.repository.deploy(MODELS)
    create_account(engine, "hanne", PASSWORD, ["ambtelijk-grensoverleg"], "Hanne Verbeke")
    create_account(engine, "ruben", PASSWORD, ["bilateraal-overleg"], "Ruben Visser")
    meetings.plan(engine, "bilateraal", datetime(2027, 3, 18, 10, 0), SECRETARIAAT)
    uitwerking, uitvoering = Dossier(engine, "GROS-2027-021"), Dossier(engine, "GROS-2027-022")
    tot_uitwerking(uitwerking)
    tot_uitvoering(uitvoering)
    clock.set(datetime(2027, 3, 19, 9, 0, tzinfo=UTC))
    return [uitwerking.id, uitvoering.id]


def test_one_meeting_from_the_calendar_to_the_judgements(visit, engine, clock, agendered):
    page = visit.page
    visit.log_in("sanne")
    page.get_by_role("link", name="Overleg").click()
    page.get_by_label("Datum").fill("2027-05-20")
    page.get_by_role("button", name="Plannen").click()
    page.get_by_role("link", name="Halfjaarlijks bilateraal overleg 20 mei 2027").wait_for()
    [may] = [m for m in meetings.calendar(engine) if m.held_at.month == 5]
    visit.check("cyclus-01-kalender")
    visit.log_out()

    clock.set(may.request_at)
    assert meetings.run_calendar(engine)["requested"] == 2
    [report] = [t for t in engine.query.tasks(instance_id=agendered[0])
                if t.element_id == "Activity_UitwerkingVoortgangRapporteren"]
    engine.tasks.complete(report.id, Actor.of("mark", [group_for("GROS-2027-021", agendered[0])]),  # § 4.4
                          {"voortgang_rapport": "Concessies worden afgestemd.", "voortgang_status": "op-schema"})
    clock.set(may.report_deadline)
    TimerRunner(engine).run_due()
    assert meetings.run_calendar(engine)["agendas_ready"] == 1

    visit.log_in("hanne")
    visit.group_tasks()
    visit.claim("Ambtelijk-bestuurlijk grensoverleg")
    form = page.locator("#formulier")
    assert form.get_by_label("Voortgangsrapport").nth(0).input_value() == "Concessies worden afgestemd."
    assert form.get_by_label("Voortgangsrapport").nth(1).input_value() == "niet gerapporteerd"
    visit.check("cyclus-02-ambtelijk-grensoverleg")
    for index, proposal in enumerate(("Voldoende voortgang", "Onvoldoende voortgang")):
        field = page.locator(".fjs-form-field-select", has_text="Voorgesteld oordeel").nth(index)
        field.locator(".fjs-select-display").click()
        field.locator(".fjs-dropdownlist-item").get_by_text(proposal, exact=True).click()
    visit.choose("Nee")
    visit.submit()
    page.wait_for_url(f"{visit.base}/taken")
    visit.log_out()

    clock.set(may.held_at)
    visit.log_in("ruben")
    visit.group_tasks()
    visit.claim("Oordeel per dossier vastleggen")
    answers = (("Voldoende voortgang", "Geen"), ("Onvoldoende voortgang", "Nederland"))
    for index, (judgement, side) in enumerate(answers):
        for label, option in (("Oordeel", judgement), ("Vertragend land", side)):
            field = page.locator(".fjs-form-field-select", has_text=label).filter(
                has_not_text="Voorgesteld").nth(index)
            field.locator(".fjs-select-display").click()
            field.locator(".fjs-dropdownlist-item").get_by_text(option, exact=True).click()
    visit.check("cyclus-03-oordelen")
    visit.submit()
    page.wait_for_url(f"{visit.base}/taken")
    assert meetings.run_calendar(engine)["judgements_returned"] == 2
    assert {t.element_id for t in engine.query.tasks(instance_id=agendered[1])} == {"Activity_ActieBewindspersoon"}

    page.goto(f"{visit.base}/overleg/{may.id}")
    table = page.get_by_role("table", name="Geagendeerde dossiers: voortgang (§ 5.3.3)")
    assert "GROS-2027-021" in table.inner_text() and "niet gerapporteerd" in table.inner_text()
    row = table.get_by_role("row", name="GROS-2027-022")
    assert "voorstel: onvoldoende" in row.inner_text() and "onvoldoende, vertragend: NL" in row.inner_text()
    visit.check("cyclus-04-agenda-met-oordelen")
