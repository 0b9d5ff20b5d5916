"""Colleagues in a real browser: a claimed task stays in *Taken van mijn groepen* for the rest of the group,
marked with who has it and since when, and the "niet geclaimd" filter leaves only the free ones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.gros import notifications

from .test_browser import Visit


@pytest.fixture
def visit(live_server, browser_page, screenshots) -> Visit:
    return Visit(browser_page, live_server, screenshots)


def test_a_colleague_sees_who_claimed_the_task_and_can_filter_it_out(visit: Visit, start, clock):
    start("GROS-2027-001", "Pensioenopbouw van grensarbeiders")
    start("GROS-2027-002", "Kinderbijslag over de grens")
    visit.log_in("joris")
    visit.group_tasks()
    clock.advance(timedelta(hours=2))
    visit.page.get_by_role("button", name="Claimen ‘Aanvraag beoordelen’ voor GROS-2027-001").click()
    visit.page.wait_for_url(f"{visit.base}/taken/*")
    visit.log_out()

    visit.log_in("fatima")
    visit.group_tasks()
    claimed = visit.page.get_by_role("row").filter(has_text="GROS-2027-001")
    assert "Joris van Dijk" in claimed.inner_text()
    assert "sinds 4 jan 2027 12:00" in claimed.inner_text()
    assert claimed.get_by_role("button").count() == 0
    free = visit.page.get_by_role("row").filter(has_text="GROS-2027-002")
    assert free.get_by_role("button", name="Claimen").count() == 1
    visit.check("20-groepstaken-geclaimd")

    visit.page.get_by_label("Status").select_option(label="Niet geclaimd")
    visit.page.get_by_role("button", name="Toon").click()
    visit.page.wait_for_url("**/taken/groepen?*status=niet-geclaimd*")
    assert visit.page.get_by_role("row").filter(has_text="GROS-2027-001").count() == 0
    assert visit.page.get_by_role("row").filter(has_text="GROS-2027-002").count() == 1
    visit.check("21-groepstaken-niet-geclaimd")


def test_an_official_chooses_how_mail_reaches_them(visit: Visit, engine):
    visit.log_in("fatima")
    visit.page.get_by_role("link", name="Meldingen").click()
    visit.page.get_by_role("group", name="Een taak komt klaar te staan voor je groep of voor jou") \
        .get_by_label("Eén overzicht per dag").check()
    visit.page.get_by_role("group", name="Een collega draagt een taak aan jou over").get_by_label("Geen mail").check()
    visit.page.get_by_role("group", name="De termijn van een taak voor je groep of voor jou nadert") \
        .get_by_label("Eén overzicht per dag").check()
    visit.page.get_by_role("button", name="Bewaren").click()
    visit.page.get_by_text("Je keuze voor meldingen is bewaard.").wait_for()
    assert visit.page.get_by_label("Eén overzicht per dag").first.is_checked()
    visit.check("22-meldingen")
    assert notifications.choices(engine, "fatima") == {"taak": "dagelijks", "overdracht": "geen",
                                                        "termijn": "dagelijks",
                                                        "schakel": "direct"}
