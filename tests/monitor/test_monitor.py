"""The monitor over HTTP, on SQLite and PostgreSQL: who may see it, the overview's filters and counts,
a dossier's diagram marks and history, retrying an incident and suspending through the commands, the
process view's token counts per version, the charts, and the parliament report as CSV and PDF."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from engine.accounts import create_account
from engine.gros import radar
from engine.services import Actor
from engine.web.monitor import charts, queries
from tests.conftest import DATA as TEST_DATA
from tests.engine.test_called_element import SECRETARIAAT as CALLER_GROUP
from tests.engine.test_called_element import callee, caller
from tests.web.conftest import PASSWORD, form_token

from .conftest import DATA, ROOT

ENGINE_DATA = TEST_DATA / "bpmn"

AGENDERED = {"GROS-2026-002", "GROS-2025-004", "GROS-2026-005", "GROS-2025-007"}
NOT_AGENDERED = {"GROS-2026-001", "GROS-2026-003", "GROS-2026-006", "GROS-2026-008"}


def monitor_pages(dossiers: dict[str, str], engine) -> list[str]:
    instance_id = dossiers["GROS-2026-005"]
    definition = engine.repository.definitions("gros-escalatie")[0].id
    return ["/monitor/", f"/monitor/dossiers/{instance_id}", f"/monitor/dossiers/{instance_id}/diagrammen.json",
            "/monitor/processen", f"/monitor/processen/{definition}", f"/monitor/processen/{definition}/diagram.json",
            "/monitor/grafieken", "/monitor/rapportage", "/monitor/rapportage.csv", "/monitor/rapportage.pdf"]


def test_only_management_and_the_secretariaat_see_the_monitor(app, login, manager, dossiers, engine):
    pages = monitor_pages(dossiers, engine)
    secretariaat, region = login("sec"), login("nl")
    for url in pages:
        assert manager.get(url).status_code == 200, url
        assert secretariaat.get(url).status_code == 200, url
        assert region.get(url).status_code == 403, url
        anonymous = app.test_client().get(url)
        assert anonymous.status_code == 302 and "/inloggen" in anonymous.location, url
    instance_id = dossiers["GROS-2026-003"]
    assert region.post(f"/monitor/dossiers/{instance_id}/schorsen").status_code == 403
    assert engine.query.instance(instance_id).suspended is False
    assert "Monitor" in manager.get("/taken").text and ">Monitor<" not in region.get("/taken").text


def test_the_overview_lists_every_dossier_with_counts_per_phase(manager, dossiers):
    page = manager.get("/monitor/").text
    assert all(f'data-dossier="{key}"' in page for key in dossiers)
    counts = {
        "gros-agendering": 1, "gros-uitwerking": 1, "gros-selectie": 1, "gros-uitvoering": 1, "gros-escalatie": 1,
        "gros-verkenning": 1, "afgerond": 2}
    for phase, count in counts.items():
        assert f'data-phase="{phase}">\n    <span class="phase-count">{count}</span>' in page, phase
    assert "8 dossiers" in page


@pytest.mark.parametrize(("query", "expected"), [
    ("fase=gros-uitwerking", {"GROS-2026-002"}),
    ("fase=afgerond", {"GROS-2025-007", "GROS-2026-008"}),
    ("status=completed", {"GROS-2025-007", "GROS-2026-008"}),
    ("zijde=BE", {"GROS-2026-001"}),
    ("zijde=NL", {"GROS-2026-005"}),
    ("thema=zorg", {"GROS-2026-006", "GROS-2025-007"}),
    ("zoek=waterstof", {"GROS-2026-002"}),
    ("zoek=gros-2026-00&thema=energie-en-klimaat&sorteer=fase", {"GROS-2026-001", "GROS-2026-002"}),
])
def test_the_overview_filters(manager, dossiers, query, expected):
    page = manager.get(f"/monitor/?{query}").text
    assert {key for key in dossiers if f'data-dossier="{key}"' in page} == expected


def test_stalled_dossiers_are_flagged_and_filtered(manager, dossiers, engine):
    radar.refresh(engine, engine.now() + timedelta(days=90))
    page = manager.get("/monitor/?stilstand=ja").text
    running = {key for key in dossiers if key not in {"GROS-2025-007", "GROS-2026-008"}}
    assert {key for key in dossiers if f'data-dossier="{key}"' in page} == running
    assert "Geen voortgang" in page


def test_a_bad_filter_is_refused_by_name(manager, dossiers):
    response = manager.get("/monitor/?status=misschien&pagina=nul")
    assert response.status_code == 400 and "Status" in response.text and "Pagina" in response.text


def test_the_dossier_shows_tokens_and_path_inside_called_processes(manager, dossiers, engine):
    instance_id = dossiers["GROS-2026-005"]  # uitwerking in impasse, escalated to the Dutch minister
    diagrams = {d["key"]: d for d in manager.get(f"/monitor/dossiers/{instance_id}/diagrammen.json").json}
    assert list(diagrams) == ["gros-dossier", "gros-selectie", "gros-verkenning", "gros-agendering",
                              "gros-uitwerking", "gros-escalatie"]
    assert diagrams["gros-escalatie"]["active"] == ["Activity_Bewindspersoon"]
    assert "Activity_HoofdVanDienst" in diagrams["gros-escalatie"]["done"]
    assert diagrams["gros-uitwerking"]["active"] == ["Activity_Escalatie"]
    assert "Activity_ImpasseBeoordelen" in diagrams["gros-uitwerking"]["done"]
    # § 5.3.3: while in uitwerking the dossier also waits for the next progress request
    assert diagrams["gros-dossier"]["active"] == ["Activity_Uitwerking", "Event_UitwerkingVoortgangGevraagd"]
    assert {"Activity_SignaalRegistreren", "Activity_Triage", "Activity_Selectie", "Activity_Verkenning",
            "Activity_Agendering"} <= set(diagrams["gros-dossier"]["done"])
    assert {"Activity_SelectiebesluitNL", "Activity_SelectiebesluitVL"} <= set(diagrams["gros-selectie"]["done"])
    assert diagrams["gros-selectie"]["flows"] and "<bpmn:definitions" in diagrams["gros-selectie"]["xml"]

    page = manager.get(f"/monitor/dossiers/{instance_id}").text
    assert "Besluit minister" in page and "Bewindspersoon, Nederland" in page
    assert "Escalatie per land" in page and "Historie" in page
    history = page.split('id="historie-titel"')[1]
    assert "Taak afgerond" in history and "Besluit hoofd van dienst" in history and "Dossier gestart" in history
    passes = re.findall(r"Stap doorlopen: ([^<]*)", history)
    assert passes and all(re.match(r"\w[^_]* \(", step) for step in passes), passes
    assert "?:" not in history


def test_a_manager_retries_an_incident_after_a_fix_and_suspends(app, manager, engine, people):
    engine.repository.deploy([DATA / "storing.bpmn"])
    instance_id = engine.runtime.start("monitor-storing", "STORING-1", {"titel": "Storing"}, people["sec"])
    [task] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(task.id, people["sec"], {})
    [incident] = engine.query.incidents(instance_id, open_only=True)
    page = manager.get(f"/monitor/dossiers/{instance_id}").text
    assert "Opnieuw proberen" in page and "ernst" in page
    assert "Stap ‘Score berekenen’ liep vast" in page and "Technische melding van de engine" in page
    assert "<strong>Activity_Score" not in page
    marks = manager.get(f"/monitor/dossiers/{instance_id}/diagrammen.json").json[0]
    assert marks["incidents"] == ["Activity_Score"] and "Activity_Invoer" in marks["done"]

    refused = manager.post(f"/monitor/incidenten/{incident.id}/opnieuw",
                           {"dossier": instance_id, "correcties": "ernst is 3"})
    assert refused.status_code == 400 and "JSON-object" in refused.text
    response = manager.post(f"/monitor/incidenten/{incident.id}/opnieuw",
                            {"dossier": instance_id, "correcties": json.dumps({"ernst": 3})}, follow_redirects=True)
    assert "de stap is gelukt" in response.text
    assert engine.query.instance(instance_id).status == "running" and engine.query.variables(instance_id)["score"] == 30
    assert [t.element_id for t in engine.query.tasks(instance_id=instance_id)] == ["Activity_Daarna"]
    assert [(e.actor, e.action) for e in engine.query.history(instance_id) if e.action == "incident.retried"] == [
        ("ingrid", "incident.retried")]

    page = manager.get(f"/monitor/dossiers/{instance_id}").text
    assert f'href="/monitor/dossiers/{instance_id}/schorsen"' in page  # a link to the confirmation, not a button
    assert "Reden van de schorsing" in manager.get(f"/monitor/dossiers/{instance_id}/schorsen").text
    refused = manager.post(f"/monitor/dossiers/{instance_id}/schorsen", {"reden": "  "})
    assert refused.status_code == 400 and "Geef de reden van de schorsing." in refused.text
    assert 'href="#veld-reden"' in refused.text and engine.query.instance(instance_id).status == "running"
    manager.post(f"/monitor/dossiers/{instance_id}/schorsen", {"reden": "Wacht op het advies van de Raad van State"})
    assert engine.query.instance(instance_id).status == "suspended"
    [suspended] = [e for e in engine.query.history(instance_id) if e.action == "instance.suspended"]
    assert (suspended.actor, suspended.data) == ("ingrid", {"reden": "Wacht op het advies van de Raad van State"})
    page = manager.get(f"/monitor/dossiers/{instance_id}").text
    assert "Hervatten" in page
    history = page.split('id="historie-titel"')[1]
    assert "<strong>Geschorst</strong>" in history and "Wacht op het advies van de Raad van State" in history
    manager.post(f"/monitor/dossiers/{instance_id}/hervatten")
    assert engine.query.instance(instance_id).status == "running"


def test_a_decision_without_a_matching_rule_is_an_incident_that_a_retry_can_fix(manager, engine, people):
    bpmn = (ENGINE_DATA / "federaal.bpmn").read_text()
    dmn = (ENGINE_DATA / "federale_betrokkenheid.dmn").read_text()
    no_catch_all = dmn[:dmn.index('<rule id="r2">')] + dmn[dmn.index("</decisionTable>"):]
    engine.repository.deploy_sources({"federaal.bpmn": bpmn, "federale_betrokkenheid.dmn": no_catch_all})
    instance_id = engine.runtime.start("federaal", "FED-1", {"domein": "landbouw"}, people["sec"])
    [incident] = engine.query.incidents(instance_id, open_only=True)
    assert "federale_betrokkenheid" in incident.message and "geen regel" in incident.message
    again = manager.post(f"/monitor/incidenten/{incident.id}/opnieuw", {
        "dossier": instance_id, "correcties": json.dumps({"domein": "visserij"})}, follow_redirects=True)
    assert again.status_code == 200 and "mislukt nog steeds" in again.text
    [incident] = engine.query.incidents(instance_id, open_only=True)
    fixed = manager.post(f"/monitor/incidenten/{incident.id}/opnieuw", {
        "dossier": instance_id, "correcties": json.dumps({"domein": "fiscaliteit"})}, follow_redirects=True)
    assert "de stap is gelukt" in fixed.text
    assert [t.candidate_groups for t in engine.query.tasks(instance_id=instance_id)] == [["federaal-be"]]


def test_the_process_view_counts_tokens_per_element_and_dossiers_per_version(manager, dossiers, engine, tmp_path):
    escalation = engine.repository.definitions("gros-escalatie")[0]
    counts = manager.get(f"/monitor/processen/{escalation.id}/diagram.json").json[0]["counts"]
    assert counts == {"Activity_Bewindspersoon": 1}
    uitwerking = engine.repository.definitions("gros-uitwerking")[0]
    counts = manager.get(f"/monitor/processen/{uitwerking.id}/diagram.json").json[0]["counts"]
    # the escalated dossier is counted on the call activity it waits inside
    assert counts == {"Activity_KabinetsbesluitVL": 1, "Activity_Escalatie": 1}
    main = engine.repository.definitions("gros-dossier")[0]
    counts = manager.get(f"/monitor/processen/{main.id}/diagram.json").json[0]["counts"]
    # 6 dossiers; the two in uitwerking also wait for their progress report (§ 5.3.3): 8 tokens
    assert sum(counts.values()) == 8 and "Versie 1: 6 actief" in manager.get(f"/monitor/processen/{main.id}").text

    changed = (ROOT / "processen" / "gros-selectie.bpmn").read_text(encoding="utf-8").replace(
        'name="Paritaire selectie"', 'name="Paritaire selectie (herzien)"', 1)
    (tmp_path / "gros-selectie.bpmn").write_text(changed, encoding="utf-8")
    engine.repository.deploy([tmp_path / "gros-selectie.bpmn"])
    page = manager.get("/monitor/processen").text
    assert '<tr data-definition="gros-dossier:1">' in page
    row = page.split('data-definition="gros-dossier:1">')[1].split("</tr>")[0]
    assert 'data-label="Gestart op deze versie">8</td>' in row  # 8 started,
    assert 'data-label="Nu actief op deze versie">6</td>' in row  # 6 still running
    first = page.split('data-definition="gros-selectie:1">')[1].split("</tr>")[0]
    second = page.split('data-definition="gros-selectie:2">')[1].split("</tr>")[0]
    running = 'data-label="Nu actief op deze versie">'
    assert f"{running}1</td>" in first and f"{running}0</td>" in second  # the waiting dossier stays on version 1


def test_the_charts_are_svg_with_their_figures_as_tables(manager, dossiers, engine):
    radar.refresh(engine, engine.now() + timedelta(days=90))
    page = manager.get("/monitor/grafieken").text
    assert page.count("<svg") == 3 and "<rect" in page
    assert "Dossiers per fase" in page and "Gemiddelde doorlooptijd per fase" in page
    assert "Stilgevallen dossiers per zijde" in page and "Nederland" in page


def test_the_report_as_csv_and_pdf_holds_the_agendered_dossiers(manager, dossiers, engine):
    response = manager.get("/monitor/rapportage.csv?van=2026-06-01&tot=2027-01-31")
    assert response.headers["Content-Disposition"].endswith('voortgangsrapportage-2026-06-01-2027-01-31.csv"')
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert {row["Dossiernummer"] for row in rows} == AGENDERED
    escalated = next(row for row in rows if row["Dossiernummer"] == "GROS-2026-005")
    assert escalated["Fase"] == "Escalatie per land" and escalated["Escalatie"]
    assert "Besluit over agendering" in escalated["Besluiten in de periode"]

    pdf = manager.get("/monitor/rapportage.pdf?van=2026-06-01&tot=2027-01-31")
    assert pdf.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Voortgangsrapportage grensbelemmeringen" in text
    assert all(key in text for key in AGENDERED), text[:2000]
    assert not any(key in text for key in NOT_AGENDERED)
    assert "North Sea Port District" in text and "Escalatie per land" in text

    empty = manager.get("/monitor/rapportage.csv?van=2025-01-01&tot=2025-02-01").data.decode("utf-8-sig")
    assert empty.splitlines()[1:] == []


def test_the_dossier_says_since_when_and_on_whom_it_stalls(manager, dossiers, engine):
    radar.refresh(engine, engine.now() + timedelta(days=90))
    page = manager.get(f"/monitor/dossiers/{dossiers['GROS-2026-003']}").text
    assert "Geen voortgang sinds" in page and "Grensregio-overleg, Vlaamse zijde" in page
    assert "zijde: Vlaanderen" in page


def test_the_phase_chart_counts_where_dossiers_were_at_each_month_end(dossiers, engine, clock):
    phases = queries.phases(engine)
    chart = charts.phases_over_time(engine, phases)
    names = chart.headers[1:]
    now = dict(zip(names, map(int, chart.rows[-1][1:]), strict=True))
    assert now == {phases[key]: 1 for key in ("gros-selectie", "gros-verkenning", "gros-agendering",
                                              "gros-uitwerking", "gros-uitvoering", "gros-escalatie")}
    assert all(int(n) == 0 for row in chart.rows[:-3] for n in row[1:])  # before the demo dossiers began (<40 days)
    clock.advance(timedelta(days=62))  # nobody moved: every month end since shows the same
    later = charts.phases_over_time(engine, phases)
    assert [row[1:] for row in later.rows[-3:]] == [chart.rows[-1][1:]] * 3


def test_the_report_shows_the_escalation_result_the_model_derived(manager, dossiers, engine):
    """§ 5.2.4, § 5.3.3: the parliament report carries the escalation's result and level as the decisions made
    them (DMN gros-escalatie-uitkomst), not as anyone typed them."""
    instance_id = dossiers["GROS-2026-005"]  # waiting for the Dutch minister's decision
    [task] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(task.id, Actor.of("bewindspersoon-nl", ["bewindspersoon-nl"]), {
        "besluit_bewindspersoon": "doorbroken", "toelichting_bewindspersoon": "Mandaat voor de thuiswerkregeling."})
    [task] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(task.id, Actor.of("secretariaat", ["secretariaat"]),
                    {"escalatie_besluit": "De minister gaf mandaat voor de thuiswerkregeling."})
    response = manager.get("/monitor/rapportage.csv?van=2026-06-01&tot=2027-01-31")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    escalated = next(row for row in rows if row["Dossiernummer"] == "GROS-2026-005")
    assert "Impasse doorbroken" in escalated["Escalatie"] and "Bewindspersoon" in escalated["Escalatie"]


def _facts(page: str) -> dict[str, str]:
    """The dossier page's *Gegevens*: label → value with its provenance, as text."""
    section = page.split('id="gegevens-titel"')[1].split("</dl>")[0]
    return {label: re.sub(r"<[^>]+>", " ", value) for label, value in
            re.findall(r"<dt>([^<]*)</dt><dd>(.*?)</dd>", section, re.S)}


def test_each_fact_says_who_entered_it_at_which_step_and_for_which_side(manager, dossiers):
    page = manager.get(f"/monitor/dossiers/{dossiers['GROS-2026-005']}").text
    facts = _facts(page)
    federal_law = facts["Belgische federale regelgeving is betrokken"]
    assert federal_law.startswith("nee") and "ingevuld door regionaal-netwerk" in federal_law
    assert "bij Eerste verkenning uitvoeren" in federal_law
    assert facts["Federaal betrokken"].startswith("ja") and \
        "bepaald volgens de regels bij Federale betrokkenheid bepalen" in facts["Federaal betrokken"]
    # each side's position under its own label (§ 6.2.3: each side answers for itself)
    assert "Departementen, Nederland" in facts["Standpunt (Nederland)"]
    assert "Departementen, Vlaanderen" in facts["Standpunt (Vlaanderen)"]
    assert "Standpunt" not in facts
    assert "ontvangen met het bericht ‘akkoord-ministerraad’" in facts["Akkoord van de Nederlandse ministerraad?"]


def test_the_header_and_the_history_name_the_same_starter(app, manager, engine, people):
    engine.repository.deploy([DATA / "storing.bpmn"])
    instance_id = engine.runtime.start("monitor-storing", "STORING-2", {"titel": "Storing"}, people["sec"])
    page = manager.get(f"/monitor/dossiers/{instance_id}").text
    assert re.search(r"<dt>Gestart</dt><dd>[^<]* door Sanne de Wit</dd>", page)
    started = page.split('id="historie-titel"')[1].split("Dossier gestart")[0].rsplit("<li>", 1)[1]
    assert "Sanne de Wit" in started


def test_each_role_lands_on_its_own_page(app, login, manager, engine):
    create_account(engine, "priya", PASSWORD, ["procesbeheer"], "Priya Ramdin")
    client = app.test_client()
    landed = client.post("/inloggen", data={"csrf_token": form_token(client.get("/inloggen").text),
                                            "gebruikersnaam": "priya", "wachtwoord": PASSWORD})
    assert landed.location == "/monitor/processen"
    assert client.get("/").location == "/monitor/processen"
    assert client.get("/monitor/processen").status_code == 200 and client.get("/monitor/").status_code == 403
    assert manager.get("/").location == "/monitor/"
    assert login("sec").get("/").location == "/taken"  # the secretariaat oversees, but works its tasks first
    assert login("nl").get("/").location == "/taken"
    assert app.test_client().get("/").location.startswith("/inloggen")

def test_the_report_lists_an_accord_that_arrived_as_a_message(manager, dossiers, engine):
    """§ 6.2.3: the ministerraad's accord comes from the Dutch decision system as the message
    ``akkoord-ministerraad``; the report lists it beside the Flemish accord a person entered."""
    response = manager.get("/monitor/rapportage.csv?van=2026-06-01&tot=2027-01-31")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    decisions = next(row for row in rows if row["Dossiernummer"] == "GROS-2026-005")["Besluiten in de periode"]
    assert "Ontvangen bericht ‘akkoord-ministerraad’: Akkoord van de Nederlandse ministerraad?: Ja" in decisions
    assert "Akkoord Vlaamse Regering" in decisions
    page = manager.get("/monitor/rapportage?van=2026-06-01&tot=2027-01-31").text
    assert "Ontvangen bericht ‘akkoord-ministerraad’" in page


def test_a_dossier_in_a_process_its_call_activity_chose_at_run_time_shows_its_incident_and_retries(manager, engine):
    engine.repository.deploy_sources({"ouder.bpmn": caller('calledElement="${doel}"'),
                                      "kind-a.bpmn": callee("kind-a", "Taak A")})
    instance_id = engine.runtime.start("ouder", variables={"doel": "kind-z"}, actor=CALLER_GROUP)
    [task] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(task.id, CALLER_GROUP, {})
    [incident] = engine.query.incidents(instance_id, open_only=True)
    assert "proces &#39;kind-z&#39; is niet gedeployed" in manager.get(f"/monitor/dossiers/{instance_id}").text
    fixed = manager.post(f"/monitor/incidenten/{incident.id}/opnieuw", {
        "dossier": instance_id, "correcties": json.dumps({"doel": "kind-a"})}, follow_redirects=True)
    assert "de stap is gelukt" in fixed.text
    assert "Taak A" in manager.get(f"/monitor/dossiers/{instance_id}").text
