"""The kennisbank and the openbare kennisbank in a real browser — Debian's chromium via Playwright, the app
over real HTTP: an official of the secretariaat searches, opens a card, publishes its summary, and the
public page shows it to someone who is not logged in. axe-core finds no serious or critical violations;
screenshots go to test-output/."""

from __future__ import annotations

import pytest

from tests.monitor.test_monitor_browser import check
from tests.web.conftest import PASSWORD, PEOPLE


@pytest.fixture
def secretariaat(live_server, browser_page, dossiers):
    page = browser_page
    page.goto(f"{live_server}/inloggen")
    page.get_by_label("Gebruikersnaam").fill(PEOPLE["sec"][0])
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{live_server}/taken")
    return page


def test_an_official_searches_reads_a_card_and_publishes_its_summary(secretariaat, live_server, chromium,
                                                                      screenshots):
    page = secretariaat
    page.get_by_role("link", name="Kennisbank").click()
    page.wait_for_url(f"{live_server}/kennisbank/")
    assert page.locator("li.kennis-card").count() == 8
    check(page, screenshots, "kennisbank-01-overzicht")

    page.get_by_label("Zoeken", exact=True).fill("grensarbeider")
    page.get_by_role("button", name="Zoeken").click()
    page.wait_for_url("**/kennisbank/?q=grensarbeider*")
    assert page.locator("li.kennis-card").count() == 1
    assert set(page.locator("li.kennis-card mark").all_text_contents()) == {"grensarbeiders", "Grensarbeiders"}
    check(page, screenshots, "kennisbank-02-zoeken")

    page.get_by_label("Zoeken", exact=True).fill("")
    page.get_by_label("Fase").select_option("afgerond")
    page.get_by_label("Thema").select_option("zorg")
    page.get_by_role("button", name="Zoeken").click()
    page.get_by_role("link", name="Grensoverschrijdende ambulancezorg: inzet van de dichtstbijzijnde ambulance").click()
    page.get_by_role("heading", name="Besluiten per zijde").wait_for()
    check(page, screenshots, "kennisbank-03-kaart")
    page.get_by_role("button", name="Samenvatting openbaar maken").click()
    page.get_by_text("De samenvatting staat nu in de openbare kennisbank.").wait_for()

    page.goto(f"{live_server}/kennisbank/loketten")
    page.get_by_label("Naam").fill("Grensinfopunt Scheldemond")
    page.get_by_label("Website").fill("https://grensinfopunt.example")
    page.get_by_role("button", name="Toevoegen").click()
    page.get_by_text("Het loket is bewaard.").wait_for()
    check(page, screenshots, "kennisbank-04-loketten")

    outsider = chromium.new_context(locale="nl-BE").new_page()  # nobody logged in
    outsider.goto(f"{live_server}/openbaar/")
    assert outsider.locator("li.kennis-card").count() == 1
    assert outsider.locator('li.kennis-card[data-dossier="GROS-2025-007"]').count() == 1
    check(outsider, screenshots, "openbaar-01-overzicht")
    outsider.context.close()


def test_the_exploration_task_page_shows_similar_dossiers(secretariaat, live_server, engine, dossiers,
                                                           screenshots):
    page = secretariaat
    [task] = [t for t in engine.query.tasks(instance_id=dossiers["GROS-2026-006"])
              if t.element_id == "Activity_EersteVerkenning"]
    page.goto(f"{live_server}/taken/{task.id}")
    panel = page.locator("#vergelijkbare-dossiers")
    assert panel.locator('li[data-dossier="GROS-2025-007"]').count() == 1
    check(page, screenshots, "kennisbank-05-verkenning")
    panel.locator('li[data-dossier="GROS-2025-007"]').get_by_role("button", name="Als precedent aanduiden").click()
    page.get_by_text("Het dossier staat nu als precedent bij dit dossier.").wait_for()
    assert panel.get_by_text("Aangeduid als precedent.").count() == 1
