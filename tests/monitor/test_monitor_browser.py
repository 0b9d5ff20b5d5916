"""The monitor in a real browser — Debian's chromium via Playwright, the app over real HTTP: a manager
opens the overview and a dossier, and the diagrams bpmn-js drew carry the right markers (read from the
SVG's classes, not from pixels). axe-core finds no serious or critical violations on any page;
screenshots go to test-output/ for people to look at."""

from __future__ import annotations

import pytest

from .conftest import MANAGER, PASSWORD, ROOT

AXE = ROOT / "tests" / "vendor" / "axe.min.js"


def check(page, folder, name: str) -> None:
    """Screenshot, then axe-core: no serious or critical accessibility violations."""
    page.screenshot(path=folder / f"{name}.png", full_page=True)
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document)")
    bad = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"


def markers(page, key: str, marker: str) -> list[str]:
    """The element ids bpmn-js drew with ``marker`` in the diagram of process ``key``."""
    return sorted(page.eval_on_selector_all(
        f'.diagram[data-key="{key}"] g.djs-element.{marker}', "nodes => nodes.map(n => n.dataset.elementId)"))


@pytest.fixture
def signed_in(manager, live_server, browser_page):
    browser_page.goto(f"{live_server}/inloggen")
    browser_page.get_by_label("Gebruikersnaam").fill(MANAGER.user)
    browser_page.get_by_label("Wachtwoord").fill(PASSWORD)
    browser_page.get_by_role("button", name="Inloggen").click()
    browser_page.wait_for_url(f"{live_server}/monitor/")  # management lands on the monitor
    return browser_page


def test_a_manager_sees_where_a_dossier_stands_on_its_diagrams(signed_in, live_server, dossiers, screenshots):
    page = signed_in
    page.get_by_role("link", name="Monitor").click()
    page.wait_for_url(f"{live_server}/monitor/")
    assert page.locator("tr[data-dossier]").count() == 8
    check(page, screenshots, "monitor-01-overzicht")

    page.get_by_role("link", name="GROS-2026-005").click()
    page.wait_for_selector('.diagram[data-key="gros-escalatie"][data-rendered="true"]')
    page.wait_for_function("document.querySelectorAll('.diagram[data-rendered=\"true\"]').length === 6")
    assert markers(page, "gros-escalatie", "gros-active") == ["Activity_Bewindspersoon"]
    assert "Activity_HoofdVanDienst" in markers(page, "gros-escalatie", "gros-done")
    assert markers(page, "gros-uitwerking", "gros-active") == ["Activity_Escalatie"]
    assert markers(page, "gros-dossier", "gros-active") == ["Activity_Uitwerking", "Event_UitwerkingVoortgangGevraagd"]
    assert {"Activity_Selectie", "Activity_Verkenning", "Activity_Agendering"} <= set(
        markers(page, "gros-dossier", "gros-done"))
    assert markers(page, "gros-dossier", "gros-taken")  # sequence flows of the path taken
    page.locator('.diagram[data-key="gros-escalatie"]').scroll_into_view_if_needed()
    page.locator('.diagram[data-key="gros-escalatie"]').screenshot(path=screenshots / "monitor-03-escalatie.png")
    check(page, screenshots, "monitor-02-dossier")


def test_the_process_view_shows_token_counts_on_the_diagram(signed_in, live_server, dossiers, engine, screenshots):
    page = signed_in
    page.goto(f"{live_server}/monitor/processen")
    check(page, screenshots, "monitor-04-processen")
    page.get_by_role("link", name="Escalatie per land").click()
    page.wait_for_selector('.diagram[data-rendered="true"]')
    badges = page.eval_on_selector_all(".djs-overlay-token-count", "nodes => nodes.map(n => "
                                       "[n.closest('[data-container-id]').dataset.containerId, n.textContent.trim()])")
    assert sorted(badges) == [["Activity_Bewindspersoon", "1"]]
    check(page, screenshots, "monitor-05-proces")


def test_charts_and_report_pages_pass_axe(signed_in, live_server, dossiers, screenshots):
    page = signed_in
    page.goto(f"{live_server}/monitor/grafieken")
    assert page.locator("svg.chart-svg rect").count() > 0
    check(page, screenshots, "monitor-06-grafieken")
    page.goto(f"{live_server}/monitor/rapportage?van=2026-06-01&tot=2027-01-31")
    assert page.locator("section.report-item").count() == 4
    check(page, screenshots, "monitor-07-rapportage")
