"""The parliament report in the browser (§ 6.2.2): the Flemish minister reads the generator's report on the
approval task and approves it there; once both sides approved, the Top's meeting page offers the kept PDF.
axe-core on each page, screenshots in test-output/."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.accounts import create_account
from engine.gros import meetings, parliament
from engine.services import Actor

from .conftest import PASSWORD
from .test_browser import MODELS, Visit

SECRETARIAAT = Actor.of("sanne", ["secretariaat"])


@pytest.fixture
def visit(live_server, browser_page, screenshots) -> Visit:
    return Visit(browser_page, live_server, screenshots)


def test_the_flemish_minister_approves_in_the_browser_and_the_top_offers_the_kept_pdf(visit, app, engine, clock):
    engine.repository.deploy(MODELS)
    create_account(engine, "wouter", PASSWORD, ["minister-grenssamenwerking-vl"], "Wouter Jacobs")
    top = meetings.plan(engine, "top", datetime(2027, 6, 17, 10, 0), SECRETARIAAT)
    clock.set(datetime(2027, 5, 10, 9, 0, tzinfo=UTC))
    meetings.run_calendar(engine)
    instance_id = parliament.of_meeting(engine, top.id).instance_id
    tasks = {t.element_id: t.id for t in engine.query.tasks(instance_id=instance_id)}
    engine.tasks.complete(tasks["Activity_RapportOpstellen"], SECRETARIAAT,
                          {"rapport_van": "2025-05-10", "rapport_tot": "2027-05-10",
                           "rapport_toelichting": "Voortgang sinds de vorige Top."})

    page = visit.page
    visit.log_in("wouter")
    visit.group_tasks()
    visit.claim("Parlementsrapport goedkeuren (VL)")
    panel = page.get_by_role("region", name="Voortgangsrapportage aan de parlementen")
    assert "Periode: 10 mei 2025 tot en met 10 mei 2027" in panel.inner_text()
    visit.check("parlement-01-goedkeuren-vl")
    visit.choose("Ja")
    visit.submit()
    page.wait_for_url(f"{visit.base}/taken")
    visit.log_out()
    assert parliament.of_meeting(engine, top.id).approved_vl_by == "wouter"

    [nl] = [t.id for t in engine.query.tasks(instance_id=instance_id) if t.element_id == "Activity_GoedkeurenNL"]
    engine.tasks.complete(nl, Actor.of("minister-nl", ["minister-grenssamenwerking-nl"]), {"goedkeuring_nl": "ja"})
    kept = parliament.of_meeting(engine, top.id).pdf

    visit.log_in("sanne")
    page.goto(f"{visit.base}/overleg/{top.id}")
    link = page.get_by_role("link", name="Download het goedgekeurde parlementsrapport (PDF)")
    visit.check("parlement-02-top-met-rapport")
    downloaded = page.request.get(f"{visit.base}{link.get_attribute('href')}")
    assert downloaded.status == 200 and downloaded.body() == kept
