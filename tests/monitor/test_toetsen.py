"""The grenseffectentoetsen in the monitor (§ 4.2.2): their own list and filters, the link between a toets and
the dossier it became on both pages, and the yearly count per side in the parliament report — over HTTP
on the demo toetsen, and the list in a real browser with axe-core."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.gros import demo, toetsen
from tests.web.test_browser import Visit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_toetsen(app, engine) -> dict[str, str]:
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    assert demo.seed_toetsen(engine) == (["TOETS-2026-001", "TOETS-2026-002"], [])
    return {key: engine.query.instances(business_key=key)[0].id for key in ("TOETS-2026-001", "TOETS-2026-002")}


def listed(page: str) -> list[str]:
    return [part.split('"')[0] for part in page.split('data-toets="')[1:]]


def test_the_toetsen_have_their_own_list_and_filters(manager, demo_toetsen):
    assert listed(manager.get("/monitor/toetsen").text) == ["TOETS-2026-001", "TOETS-2026-002"]  # newest first
    assert listed(manager.get("/monitor/toetsen?zijde=VL").text) == ["TOETS-2026-001"]
    obstacle = manager.get("/monitor/toetsen?conclusie=voorzienbare-belemmering").text
    assert listed(obstacle) == ["TOETS-2026-002"] and "Vlaanderen en Belgische federale overheid" in obstacle
    assert listed(manager.get("/monitor/toetsen?te_laat=ja").text) == []
    refused = manager.get("/monitor/toetsen?conclusie=misschien")
    assert refused.status_code == 400 and "Conclusie" in refused.text


def test_toets_and_dossier_name_each_other_on_their_pages(manager, demo_toetsen, engine):
    row = toetsen.linked(engine, demo_toetsen["TOETS-2026-002"])
    toets_page = manager.get(f"/monitor/dossiers/{row.instance_id}").text
    assert f'href="/monitor/dossiers/{row.dossier_instance_id}">{row.dossier_business_key}</a>' in toets_page
    assert "GROS-dossier gestart uit deze toets" in toets_page  # in the history, in words
    dossier_page = manager.get(f"/monitor/dossiers/{row.dossier_instance_id}").text
    assert f'href="/monitor/dossiers/{row.instance_id}">TOETS-2026-002</a>' in dossier_page
    assert "Voorzienbare grensbelemmering" in dossier_page
    without = manager.get(f"/monitor/dossiers/{demo_toetsen['TOETS-2026-001']}").text
    assert "Geen grenseffect" in without and "Werd dossier" not in without


def test_the_parliament_report_counts_the_toetsen_of_the_year_per_side(manager, demo_toetsen):
    page = manager.get("/monitor/rapportage?van=2026-07-01&tot=2026-12-31").text
    section = page.split('class="report-toetsen"')[1]
    assert "Grenseffectentoetsen in 2026" in section
    assert '<tr data-zijde="NL"><td>Nederland</td><td>1</td><td>1</td><td>0</td></tr>' in section
    assert '<tr data-zijde="VL"><td>Vlaanderen</td><td>1</td><td>0</td><td>0</td></tr>' in section


def test_the_toetsen_list_in_the_browser(live_server, browser_page, screenshots, demo_toetsen, manager):
    visit = Visit(browser_page, live_server, screenshots)
    visit.log_in("ingrid")
    visit.page.goto(f"{live_server}/monitor/")
    visit.page.get_by_role("link", name="Grenseffectentoetsen").click()
    visit.page.get_by_label("Conclusie").select_option("voorzienbare-belemmering")
    visit.page.get_by_role("button", name="Toon").click()
    visit.page.wait_for_url("**conclusie=voorzienbare-belemmering**")
    assert visit.page.locator("tr[data-toets]").count() == 1
    visit.check("43-monitor-toetsen")
    visit.page.get_by_role("link", name="TOETS-2026-002").click()
    visit.page.locator("#toets-titel").wait_for()
    visit.check("44-monitor-toets")
