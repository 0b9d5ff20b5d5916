"""`gros test`: the process owners' scenarios in processen/tests run through the real engine, a broken
model fails with a Dutch account of where, and the coverage is a table and marked diagrams in HTML."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "vendor" / "axe.min.js"


def gros_test(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["test", *args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """A copy of the shipped models and forms a test may break."""
    shutil.copytree(ROOT / "processen", tmp_path / "processen")
    shutil.copytree(ROOT / "formulieren", tmp_path / "formulieren")
    return tmp_path / "processen"


def only_scenarios(models: Path, *names: str) -> None:
    for scenario_file in (models / "tests").glob("*.yaml"):
        if scenario_file.name not in (*names, "blokken.yaml"):
            scenario_file.unlink()


def test_the_shipped_scenarios_pass_and_reach_every_element_and_flow(database: str, tmp_path: Path):
    """The issue's goal: every element and flow of the GROS procedure covered, on SQLite and PostgreSQL."""
    html = tmp_path / "dekking.html"
    code, output = gros_test(str(ROOT / "processen"), "--min-coverage", "100", "--html", str(html),
                             "--database", database)
    assert code == 0, output
    assert re.search(r"(\d+) scenario's: \1 geslaagd, 0 mislukt", output)
    assert re.search(r"^totaal\s+184/184\s+216/216\s+100,0 %$", output, re.MULTILINE), output
    assert "✗" not in output and "Niet bereikt" not in output
    assert html.is_file()


def test_a_broken_condition_fails_naming_file_scenario_step_expected_and_found(models: Path, tmp_path: Path):
    """A process owner turns the paritaire selection (§ 6.2.3) into "one side is enough"."""
    dossier = models / "gros-dossier.bpmn"
    text = dossier.read_text(encoding="utf-8")
    both = "${besluit_nl == 'ja' &amp;&amp; besluit_vl == 'ja'}"
    assert both in text
    dossier.write_text(text.replace(both, "${besluit_nl == 'ja' || besluit_vl == 'ja'}"), encoding="utf-8")

    code, output = gros_test(str(models), "--html", str(tmp_path / "dekking.html"))

    assert code == 1
    assert ("✗ tests/selectie.yaml › 'Vlaanderen wijst af bij de selectie', stap 6: niet zoals verwacht:\n"
            "    open taken: verwacht [\"Uitkomst registreren\"], gevonden [\"Eerste verkenning uitvoeren\"]\n"
            "    uitkomst: verwacht \"afgewezen-vl\", gevonden null") in output
    assert re.search(r"\d+ scenario's: \d+ geslaagd, [1-9]\d* mislukt", output)


def test_a_broken_flow_fails_where_the_dossier_goes_astray(models: Path, tmp_path: Path):
    """A flow re-pointed by mistake: "Nee" at triage leads into the selection instead of to the outcome."""
    dossier = models / "gros-dossier.bpmn"
    text = dossier.read_text(encoding="utf-8")
    flow = re.search(r'<bpmn:sequenceFlow id="Flow_06"[^>]*targetRef="Gateway_Uitkomst"', text).group(0)
    dossier.write_text(text.replace(flow, flow.replace("Gateway_Uitkomst", "Activity_Selectie")), encoding="utf-8")

    code, output = gros_test(str(models), "--html", str(tmp_path / "dekking.html"))

    assert code == 1
    assert ("✗ tests/signaal.yaml › 'Een signaal per bericht, gestopt bij de triage', stap 4: niet zoals verwacht:\n"
            "    uitkomst: verwacht \"gestopt-triage\", gevonden null") in output


def test_coverage_below_the_minimum_fails_and_names_what_was_missed(models: Path, tmp_path: Path):
    only_scenarios(models, "selectie.yaml")
    code, output = gros_test(str(models), "--min-coverage", "90", "--html", str(tmp_path / "dekking.html"))
    assert code == 1
    assert "3 scenario's: 3 geslaagd, 0 mislukt" in output
    assert re.search(r"^gros-selectie\s+7/7\s+7/7\s+100,0 %$", output, re.MULTILINE)
    assert re.search(r"De dekking is \d+,\d %, lager dan het minimum van 90,0 %\.", output)
    missed = next(line for line in output.splitlines() if line.startswith("Niet bereikt in gros-dossier:"))
    # triage "nee" and "both selected" were never taken; the flow into the selection was
    assert "Flow_06 (Ernstig genoeg? → Gateway_Uitkomst)" in missed
    assert "Flow_09 (Door beide zijden geselecteerd? → Verkenning en voorbereiding)" in missed
    assert "Flow_07 " not in missed and "Activity_Selectie " not in missed


def test_mistakes_in_the_scenario_files_are_named_before_anything_runs(models: Path, tmp_path: Path):
    (models / "tests" / "fout.yaml").write_text(
        "scenarios:\n"
        "  - naam: Tikfouten\n"
        "    start: {proces: gros-dossier}\n"
        "    stappen:\n"
        "      - taak: Triage uitvoeren\n"
        "        gegevens: {triage_besluit: ja}\n"
        "      - blok: bestaat-niet\n"
        "      - verwacht: {takne: []}\n", encoding="utf-8")
    (models / "tests" / "kapot.yaml").write_text("scenarios:\n  - naam: [open\n", encoding="utf-8")

    code, output = gros_test(str(models), "--html", str(tmp_path / "dekking.html"))

    assert code == 1
    assert "De scenario's kunnen niet draaien:" in output
    assert "tests/fout.yaml, regel 2, scenario 'Tikfouten', stap 1: zeg met 'als: <groep>' wie de taak " \
           "'Triage uitvoeren' afrondt" in output
    assert "tests/fout.yaml, regel 2, scenario 'Tikfouten', stap 2: blok 'bestaat-niet' bestaat niet" in output
    assert "tests/fout.yaml, regel 2, scenario 'Tikfouten', stap 3: onbekende sleutel 'takne'" in output
    assert re.search(r"tests/kapot\.yaml, regel 3: geen geldige YAML", output)
    assert not (tmp_path / "dekking.html").exists(), "nothing ran"


def test_mistakes_in_the_calendar_and_in_set_steps_are_named_before_anything_runs(models: Path, tmp_path: Path):
    """First the files' shape, then what the calendar can plan: a date and a kind of meeting it knows."""
    calendar = models / "tests" / "kalender.yaml"
    calendar.write_text(
        "overleggen:\n"
        "  - {dag: 2027-03-18}\n"
        "scenarios:\n"
        "  - naam: Schakel zonder naam\n"
        "    start: {proces: gros-dossier}\n"
        "    stappen:\n"
        "      - zetten: schakel\n", encoding="utf-8")
    code, output = gros_test(str(models), "--html", str(tmp_path / "dekking.html"))
    assert code == 1
    assert "tests/kalender.yaml, regel 4, scenario 'Schakel zonder naam', stap 1: 'zetten' geeft naam: " \
           "waarde-paren" in output
    assert "tests/kalender.yaml, regel 2: een overleg noemt zijn 'datum'" in output

    calendar.write_text("overleggen:\n  - datum: 2027-13-01\n  - {datum: 2027-03-18, soort: jaarlijks}\n",
                        encoding="utf-8")
    code, output = gros_test(str(models), "--html", str(tmp_path / "dekking.html"))
    assert code == 1
    assert "tests/kalender.yaml, regel 3: soort 'jaarlijks' bestaat niet (kies bilateraal, top)" in output
    assert "tests/kalender.yaml, regel 2: datum '2027-13-01' is geen datum (2027-03-18)" in output
    assert not (tmp_path / "dekking.html").exists(), "nothing ran"


def test_agendering_names_a_meeting_of_the_calendar_the_scenario_files_declare(models: Path, tmp_path: Path):
    """§ 5.2.5: without the declared meeting of 18 March 2027 the proposal for agendering is refused."""
    only_scenarios(models, "agendering.yaml")
    blocks = models / "tests" / "blokken.yaml"
    text = blocks.read_text(encoding="utf-8")
    assert "  - datum: 2027-03-18\n    soort: bilateraal\n" in text
    blocks.write_text(text.replace("  - datum: 2027-03-18\n    soort: bilateraal\n", ""), encoding="utf-8")

    code, output = gros_test(str(models), "--html", str(tmp_path / "dekking.html"))

    assert code == 1
    assert ("taak 'Voorstel tot agendering opstellen' weigerde de gegevens: beoogd_overleg_datum: '2027-03-18' is "
            "geen gepland halfjaarlijks bilateraal overleg dat nog moet plaatsvinden (geplande overleggen: "
            "2027-09-16;") in output


def test_the_html_marks_reached_and_missed_elements_and_flows(models: Path, tmp_path: Path, chromium_browser):
    only_scenarios(models, "selectie.yaml")
    html = tmp_path / "dekking.html"
    gros_test(str(models), "--html", str(html))
    page = chromium_browser.new_page()
    try:
        page.goto(html.as_uri())
        page.wait_for_function("[...document.querySelectorAll('.diagram')].every(d => d.dataset.rendered)")
        assert page.locator(".diagram[data-rendered='error']").count() == 0

        def marks(file: str, element_id: str) -> set[str]:
            element = page.locator(f".diagram[data-file='{file}'] [data-element-id='{element_id}']").first
            return set(element.get_attribute("class").split()) & {"dekking-geraakt", "dekking-gemist"}

        assert marks("gros-selectie.bpmn", "Activity_SelectiebesluitVL") == {"dekking-geraakt"}
        assert marks("gros-dossier.bpmn", "Activity_Selectie") == {"dekking-geraakt"}
        assert marks("gros-dossier.bpmn", "Flow_07") == {"dekking-geraakt"}
        assert marks("gros-dossier.bpmn", "Activity_Verkenning") == {"dekking-gemist"}
        assert marks("gros-dossier.bpmn", "Flow_06") == {"dekking-gemist"}
        assert marks("gros-escalatie.bpmn", "Activity_Regering") == {"dekking-gemist"}
        assert page.get_by_role("row", name=re.compile("gros-selectie")).inner_text().split()[-2:] == ["100,0", "%"]
        page.evaluate(AXE.read_text(encoding="utf-8"))
        result = page.evaluate("axe.run(document)")
        bad = [f"{v['id']}: {v['help']}" for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, bad
    finally:
        page.close()


def test_a_model_that_does_not_deploy_is_refused_naming_the_file(models: Path, tmp_path: Path):
    selectie = models / "gros-selectie.bpmn"
    selectie.write_text(selectie.read_text(encoding="utf-8").replace("</bpmn:process>", "", 1), encoding="utf-8")
    code, output = gros_test(str(models), "--html", str(tmp_path / "dekking.html"))
    assert code == 1
    assert "Geweigerd:" in output and "gros-selectie.bpmn" in output
    assert "Traceback" not in output


LOOP = ROOT / "tests" / "data" / "modeltest" / "lus"
AGAIN = """
  - naam: Eerst herstellen
    start: {proces: lus}
    stappen:
      - taak: Beoordelen
        als: team
        gegevens: {oordeel: herstel}
      - taak: Herstellen
        als: team
      - taak: Beoordelen
        als: team
        gegevens: {oordeel: goed}
      - verwacht: {afgerond: ja}
"""


def test_a_flow_counts_only_when_the_token_took_it_also_around_a_loop(tmp_path: Path):
    """The trail names elements, not flows: the gateway's untaken flow and the way back stay missed until a
    scenario takes them, however often the gateway itself is passed."""
    shutil.copytree(LOOP, tmp_path / "lus")
    code, output = gros_test(str(tmp_path / "lus"), "--html", str(tmp_path / "dekking.html"))
    assert code == 0, output
    assert re.search(r"^lus\s+4/5\s+3/5\s+70,0 %$", output, re.MULTILINE)
    assert ("Niet bereikt in lus: Herstellen (Herstellen), Flow_Herstel (Keuze → Herstellen), "
            "Flow_Terug (Herstellen → Beoordelen)") in output

    scenarios = tmp_path / "lus" / "tests" / "lus.yaml"
    scenarios.write_text(scenarios.read_text(encoding="utf-8") + AGAIN, encoding="utf-8")
    code, output = gros_test(str(tmp_path / "lus"), "--min-coverage", "100", "--html", str(tmp_path / "dekking.html"))
    assert code == 0, output
    assert re.search(r"^lus\s+5/5\s+5/5\s+100,0 %$", output, re.MULTILINE)
