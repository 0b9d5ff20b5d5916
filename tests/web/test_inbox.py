"""The inbox over HTTP: lists from the derived rows, claim, unclaim, hand over, the task page with its
dossier context, completing with server-side form rules, and who may do any of it."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from engine.services import Actor
from engine.store.models import AuditEvent
from engine.web.inbox import queries

VALID = {"bedrag": 250, "land": "NL", "motivering": "Past binnen de regeling voor grensarbeiders.",
         "bron": "https://grensinfo.example/regeling"}


def task_ids(html: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'href="/taken/([0-9a-f-]{36})"', html)))


def completions(engine, task_id: str) -> int:
    with engine.db.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.task_id == task_id, AuditEvent.action == "task.completed"))


ROOT = Path(__file__).resolve().parents[2]


def first_task(engine, group: str):
    return engine.query.tasks(group=group)[0]


# --- lists -----------------------------------------------------------------------------------------

def test_group_tasks_show_dossier_task_phase_wait_and_due(login, start, engine, clock):
    start("GROS-2027-001", "Pensioenopbouw van grensarbeiders")
    clock.advance(timedelta(days=3, hours=2))
    page = login("nl").get("/taken/groepen").text
    assert "GROS-2027-001" in page and "Pensioenopbouw van grensarbeiders" in page
    assert "Aanvraag beoordelen" in page and "Werkbak-proef" in page
    assert "3 dagen" in page
    assert "11 jan 2027" in page
    assert "1 taak" in page


def test_a_dossier_without_number_is_named_by_its_title_or_not_at_all(login, start):
    start(None, "Zonder nummer")
    start(None, "")
    page = login("nl").get("/taken/groepen").text
    assert "Claimen<span class=\"visually-hidden\"> ‘Aanvraag beoordelen’ voor Zonder nummer</span>" in page
    assert "Claimen<span class=\"visually-hidden\"> ‘Aanvraag beoordelen’</span>" in page
    assert "None" not in page


def test_other_groups_do_not_see_the_task(login, start):
    start("GROS-2027-001")
    page = login("vl").get("/taken/groepen").text
    assert task_ids(page) == []
    assert "Er wachten geen taken op je groepen." in page


def test_overdue_tasks_stand_out_and_filter(login, start, clock):
    start("GROS-2027-001", due_in_days=10)
    start("GROS-2027-002", due_in_days=-2)
    official = login("nl")
    page = official.get("/taken/groepen").text
    assert page.count("te laat") == 1
    overdue = official.get("/taken/groepen?termijn=te-laat").text
    assert "GROS-2027-002" in overdue and "GROS-2027-001" not in overdue
    week = official.get("/taken/groepen?termijn=deze-week").text
    assert "GROS-2027-001" not in week and "GROS-2027-002" not in week
    assert task_ids(official.get("/taken/groepen?termijn=zonder").text) == []


def test_filter_by_group_and_phase(login, start):
    start("GROS-2027-001")
    official = login("both")
    assert len(task_ids(official.get("/taken/groepen?groep=grensregio-nl").text)) == 1
    assert task_ids(official.get("/taken/groepen?groep=grensregio-vl").text) == []
    assert len(task_ids(official.get("/taken/groepen?fase=werkbak").text)) == 1
    assert task_ids(official.get("/taken/groepen?fase=iets-anders").text) == []


@pytest.mark.parametrize("query, field", [
    ("groep=grensregio-vl", "Groep"), ("termijn=gisteren", "Termijn"), ("sorteer=naam", "Sorteren"),
    ("status=bezig", "Status"),
    ("pagina=0", "Pagina"), ("pagina=twee", "Pagina"),
])
def test_filters_that_make_no_sense_are_refused_naming_the_field(login, query, field):
    response = login("nl").get(f"/taken/groepen?{query}")
    assert response.status_code == 400
    assert f"{field}:" in response.text


def test_sorted_and_paginated(login, start, clock):
    for number in range(1, 31):
        start(f"GROS-2027-{number:03d}")
        clock.advance(timedelta(minutes=1))
    official = login("nl")
    first = official.get("/taken/groepen").text
    assert "30 taken" in first and "pagina 1 van 2" in first
    assert len(task_ids(first)) == 25
    assert first.index("GROS-2027-001") < first.index("GROS-2027-025")
    assert 'href="/taken/groepen?pagina=2"' in first
    second = official.get("/taken/groepen?pagina=2").text
    assert len(task_ids(second)) == 5 and "GROS-2027-030" in second
    newest = official.get("/taken/groepen?sorteer=nieuwste").text
    assert newest.index("GROS-2027-030") < newest.index("GROS-2027-010")
    beyond = official.get("/taken/groepen?pagina=9").text
    assert "pagina 2 van 2" in beyond


def test_long_lists_stop_counting_and_page_on(login, start, clock, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_LIMIT", 20)
    for number in range(1, 31):
        start(f"GROS-2027-{number:03d}")
        clock.advance(timedelta(minutes=1))
    official = login("nl")
    first = official.get("/taken/groepen").text
    assert "Meer dan 20 taken" in first and "pagina 1" in first and "pagina 1 van" not in first
    assert 'rel="next"' in first
    second = official.get("/taken/groepen?pagina=2").text
    assert len(task_ids(second)) == 5 and 'rel="next"' not in second and 'rel="prev"' in second
    beyond = official.get("/taken/groepen?pagina=7").text
    assert task_ids(beyond) == [] and "Op deze pagina staan geen taken meer." in beyond


def test_lists_never_read_instances(login, start, engine):
    start("GROS-2027-001")
    official = login("nl")
    official.post(f"/taken/{first_task(engine, 'grensregio-nl').id}/claimen")
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine.db.read_engine, "before_cursor_execute", record)
    try:
        assert official.get("/taken").status_code == 200
        assert official.get("/taken/groepen").status_code == 200
    finally:
        event.remove(engine.db.read_engine, "before_cursor_execute", record)
    # no instance state is read (a schakel member's groups join the dossier number, nothing more)
    assert statements and not [s for s in statements if "process_instance.state" in s]


# --- claim, unclaim, hand over ---------------------------------------------------------------------

def test_claim_moves_the_task_to_mine_and_colleagues_see_who_has_it(login, start, engine, clock):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    joris, fatima = login("nl"), login("nl2")
    clock.advance(timedelta(hours=5))
    response = joris.post(f"/taken/{task.id}/claimen")
    assert response.headers["Location"] == f"/taken/{task.id}"
    assert task_ids(joris.get("/taken").text) == [task.id]
    colleague = fatima.get("/taken/groepen").text
    assert task_ids(colleague) == [task.id]
    assert "Joris van Dijk" in colleague
    assert '>4 jan 2027 15:00</time>' in colleague
    assert "Claimen" not in colleague
    assert task_ids(fatima.get("/taken/groepen?status=niet-geclaimd").text) == []
    assert "joris behandelt deze taak." in fatima.get(f"/taken/{task.id}").text


def test_the_claim_moment_stays_with_the_holder_and_goes_with_a_hand_over(login, start, engine, clock):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    joris = login("nl")
    joris.post(f"/taken/{task.id}/claimen")
    claimed = engine.query.task(task.id).claimed_at
    assert claimed == clock.now()
    clock.advance(timedelta(days=1))
    joris.post(f"/taken/{task.id}/overdragen", {"aan": "fatima"})
    assert engine.query.task(task.id).claimed_at == clock.now()
    login("nl2").post(f"/taken/{task.id}/vrijgeven")
    assert engine.query.task(task.id).claimed_at is None


def test_a_claimed_task_cannot_be_claimed_by_a_colleague(login, start, engine):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    login("nl").post(f"/taken/{task.id}/claimen")
    response = login("nl2").post(f"/taken/{task.id}/claimen")
    assert response.status_code == 409
    assert "al geclaimd door joris" in response.text
    assert engine.query.task(task.id).assignee == "joris"


def test_unclaim_gives_the_task_back_to_the_group(login, start, engine):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    joris = login("nl")
    joris.post(f"/taken/{task.id}/claimen")
    response = joris.post(f"/taken/{task.id}/vrijgeven")
    assert response.headers["Location"] == "/taken/groepen"
    assert engine.query.task(task.id).assignee is None
    assert task_ids(login("nl2").get("/taken/groepen").text) == [task.id]


def test_hand_over_to_a_colleague_of_the_group(login, start, engine):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    joris, fatima = login("nl"), login("nl2")
    joris.post(f"/taken/{task.id}/claimen")
    page = joris.get(f"/taken/{task.id}").text
    assert '<option value="fatima">Fatima El Amrani</option>' in page and 'value="joris"' not in page
    response = joris.post(f"/taken/{task.id}/overdragen", {"aan": "fatima"})
    assert response.status_code == 302
    assert engine.query.task(task.id).assignee == "fatima"
    assert task_ids(fatima.get("/taken").text) == [task.id]


def test_hand_over_only_to_a_candidate_and_to_someone(login, start, engine):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    login("vl")
    joris = login("nl")
    joris.post(f"/taken/{task.id}/claimen")
    outsider = joris.post(f"/taken/{task.id}/overdragen", {"aan": "lien"})
    assert outsider.status_code == 403 and "geen kandidaat" in outsider.text
    nobody = joris.post(f"/taken/{task.id}/overdragen", {"aan": ""})
    assert nobody.status_code == 400 and "Overdragen aan: Kies een collega." in nobody.text
    assert engine.query.task(task.id).assignee == "joris"


def test_a_claimed_task_is_handed_over_or_given_back_only_by_its_assignee_or_an_overseer(login, start, engine,
                                                                                       people):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    joris, fatima = login("nl"), login("nl2")
    joris.post(f"/taken/{task.id}/claimen")
    for url in (f"/taken/{task.id}/overdragen", f"/taken/{task.id}/vrijgeven"):
        response = fatima.post(url, {"aan": "fatima"})
        assert response.status_code == 403 and "geclaimd door joris" in response.text
    assert engine.query.task(task.id).assignee == "joris"
    engine.tasks.assign(task.id, people["sec"], people["nl2"])
    assert engine.query.task(task.id).assignee == "fatima"
    assert [e.actor for e in engine.query.history(task.instance_id) if e.action == "task.assigned"] == ["sanne"]


# --- task page and completing ----------------------------------------------------------------------

def test_the_task_page_renders_the_form_for_the_assignee(login, start, engine):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    joris = login("nl")
    unclaimed = joris.get(f"/taken/{task.id}").text
    assert "Claimen" in unclaimed and 'id="formulier"' not in unclaimed
    joris.post(f"/taken/{task.id}/claimen")
    page = joris.get(f"/taken/{task.id}").text
    schema = json.loads(re.search(r'id="formulier-schema">(.*?)</script>', page, re.S).group(1))
    assert schema["id"] == "werkbak-aanvraag"
    data = json.loads(re.search(r'id="formulier-gegevens">(.*?)</script>', page, re.S).group(1))
    assert data["titel"] == "Grensarbeiders en pensioenopbouw"
    assert "/static/vendor/form-js/form-viewer.umd.js" in page and "<script>" not in page


def test_invalid_form_data_shows_every_error_and_saves_nothing(login, start, engine):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    joris = login("nl")
    joris.post(f"/taken/{task.id}/claimen")
    bad = {"bedrag": 5000, "land": "FR", "motivering": "kort", "bron": ""}
    response = joris.post(f"/taken/{task.id}/afronden", {"variables": json.dumps(bad)})
    assert response.status_code == 400
    summary = re.search(r'class="error-summary".*?</div>', response.text, re.S).group(0)
    assert "Bedrag (euro):" in summary and "Land: Kies een van de toegelaten waarden." in summary
    assert "Motivering:" in summary
    assert '"bedrag": 5000' in response.text  # what was entered is shown again
    assert completions(engine, task.id) == 0
    assert engine.query.task(task.id).assignee == "joris"
    assert "bedrag" not in engine.query.variables(task.instance_id)


def test_unreadable_form_data_is_refused(login, start, engine):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    joris = login("nl")
    joris.post(f"/taken/{task.id}/claimen")
    response = joris.post(f"/taken/{task.id}/afronden", {"variables": "{kapot"})
    assert response.status_code == 400
    assert "Formulier: De ingevulde gegevens konden niet gelezen worden" in response.text
    assert completions(engine, task.id) == 0


def test_completing_returns_to_the_inbox_with_a_confirmation(login, start, engine):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    joris = login("nl")
    joris.post(f"/taken/{task.id}/claimen")
    response = joris.post(f"/taken/{task.id}/afronden", {"variables": json.dumps(VALID)})
    assert response.headers["Location"] == "/taken"
    inbox = joris.get("/taken").text
    assert "‘Aanvraag beoordelen’ is afgerond voor dossier GROS-2027-001." in inbox
    assert "Volgende stap voor jou" not in inbox
    assert engine.query.variables(task.instance_id)["land"] == "NL"
    assert [t.name for t in engine.query.tasks(group="grensregio-vl")] == ["Besluit vastleggen"]


def test_the_confirmation_links_to_the_next_task_when_it_is_mine(login, start, engine):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    bram = login("both")
    bram.post(f"/taken/{task.id}/claimen")
    bram.post(f"/taken/{task.id}/afronden", {"variables": json.dumps(VALID)})
    following = first_task(engine, "grensregio-vl")
    inbox = bram.get("/taken").text
    assert f'<a href="/taken/{following.id}">Volgende stap voor jou: ‘Besluit vastleggen’</a>' in inbox


def test_a_task_is_completed_once(login, start, engine):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    joris = login("nl")
    joris.post(f"/taken/{task.id}/claimen")
    assert joris.post(f"/taken/{task.id}/afronden", {"variables": json.dumps(VALID)}).status_code == 302
    again = joris.post(f"/taken/{task.id}/afronden", {"variables": json.dumps(VALID)})
    assert again.status_code == 409
    assert "is al afgerond door joris op 4 jan 2027 10:00" in again.text  # Brussels, not UTC
    assert completions(engine, task.id) == 1
    assert joris.get(f"/taken/{task.id}").status_code == 409


def test_a_task_claimed_by_a_colleague_cannot_be_completed(login, start, engine):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    login("nl").post(f"/taken/{task.id}/claimen")
    response = login("nl2").post(f"/taken/{task.id}/afronden", {"variables": json.dumps(VALID)})
    assert response.status_code == 403 and "toegewezen aan joris" in response.text
    assert completions(engine, task.id) == 0


def test_a_task_without_form_is_completed_with_an_optional_remark(login, start, engine):
    start("GROS-2027-001")
    engine.tasks.complete(first_task(engine, "grensregio-nl").id, login("nl").actor, VALID)
    task = first_task(engine, "grensregio-vl")
    lien = login("vl")
    lien.post(f"/taken/{task.id}/claimen")
    page = lien.get(f"/taken/{task.id}").text
    assert 'name="opmerking"' in page and 'id="formulier"' not in page
    too_long = lien.post(f"/taken/{task.id}/afronden", {"opmerking": "x" * 2001})
    assert too_long.status_code == 400 and "Opmerking: Gebruik hoogstens 2000 tekens." in too_long.text
    assert lien.post(f"/taken/{task.id}/afronden", {"opmerking": "Besproken op het grensoverleg."}).status_code == 302
    following = first_task(engine, "grensregio-nl")
    history = login("nl").get(f"/taken/{following.id}").text
    assert "Opmerking bij afronden:</dt> <dd>Besproken op het grensoverleg.</dd>" in history


def test_the_task_page_tells_what_earlier_steps_decided(login, start, engine, clock):
    start("GROS-2027-001", "Pensioenopbouw van grensarbeiders")
    clock.advance(timedelta(hours=2))
    engine.tasks.complete(first_task(engine, "grensregio-nl").id, login("nl").actor, VALID)
    task = first_task(engine, "grensregio-vl")
    page = login("vl").get(f"/taken/{task.id}").text
    steps = page[page.index("Eerdere stappen"):]
    assert "Aanvraag beoordelen" in steps and "Joris van Dijk" in steps and "4 jan 2027 12:00" in steps
    assert "Land:</dt> <dd>Nederland</dd>" in steps
    assert "Dossier gestart" in steps and "Sanne de Wit" in steps
    assert '<a href="https://grensinfo.example/regeling" rel="noopener noreferrer">' in page
    assert "Pensioenopbouw van grensarbeiders" in page
    assert "11 jan 2027 10:00" in page  # the deadline


# --- authorization ---------------------------------------------------------------------------------

ROUTES = [
    ("get", "/taken/{id}", None),
    ("post", "/taken/{id}/claimen", None),
    ("post", "/taken/{id}/vrijgeven", None),
    ("post", "/taken/{id}/overdragen", {"aan": "fatima"}),
    ("post", "/taken/{id}/afronden", {"variables": json.dumps(VALID)}),
]


@pytest.mark.parametrize("method, route, data", ROUTES)
def test_every_task_route_refuses_another_group(login, start, engine, method, route, data):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    login("nl2")
    koen = login("fed")
    url = route.format(id=task.id)
    response = koen.get(url) if method == "get" else koen.post(url, data)
    assert response.status_code == 403
    assert completions(engine, task.id) == 0 and engine.query.task(task.id).assignee is None


@pytest.mark.parametrize("method, route, data", ROUTES)
def test_every_task_route_answers_404_for_an_unknown_task(login, method, route, data):
    koen = login("fed")
    url = route.format(id="00000000-0000-0000-0000-000000000000")
    response = koen.get(url) if method == "get" else koen.post(url, data)
    assert response.status_code == 404


@pytest.mark.parametrize("method, route, data", ROUTES)
def test_every_task_route_needs_a_login(app, start, engine, method, route, data):
    start("GROS-2027-001")
    url = route.format(id=first_task(engine, "grensregio-nl").id)
    client = app.test_client()
    response = client.get(url) if method == "get" else client.post(url, data=data)
    assert response.status_code in (302, 400)  # to the login page, or refused for want of a CSRF token
    assert engine.query.task(first_task(engine, "grensregio-nl").id).assignee is None


def test_a_side_does_not_see_the_other_sides_answer_before_giving_its_own(login, engine, clock):
    """§ 6.2.3: the Dutch and Flemish regional decisions are each side's own; the Flemish answer, given first,
    is not on the Dutch task page (nor in its form) until the Dutch side has answered."""
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    secretariaat = Actor.of("sanne", ["secretariaat"])
    instance_id = engine.runtime.start("gros-dossier", "GROS-2027-EIGEN", {"titel": "Eigen besluit"}, secretariaat)

    def complete(element_id: str, actor: Actor, **variables) -> None:
        (task,) = [t for t in engine.query.tasks(instance_id=instance_id) if t.element_id == element_id]
        engine.tasks.complete(task.id, actor, variables)

    complete("Activity_SignaalRegistreren", secretariaat, titel="Eigen besluit", omschrijving="Busverbinding valt weg.",
             melder="gros-secretariaat", melder_contact="", thema="mobiliteit", betrokken_regelgeving="")
    complete("Activity_Triage", secretariaat, triage_besluit="ja", triage_toelichting="Structureel probleem.")
    complete("Activity_SelectievoorstelVoorbereiden", secretariaat, selectie_voorstel="Selecteren.",
             selectie_overleg_datum="2027-02-11")
    complete("Activity_SelectiebesluitNL", login("nl").actor, besluit_nl="ja", besluit_nl_reden="Nederlandse zijde.")
    complete("Activity_SelectiebesluitVL", login("vl").actor, besluit_vl="ja", besluit_vl_reden="Vlaamse zijde.")
    complete("Activity_EersteVerkenning", secretariaat, oorzaak_aard="verschil-stelsels",
             oorzaak="Concessies stoppen aan de grens.", getroffenen="Reizigers.", oplossingsperspectief="pragmatisch",
             belang_oplossing="Zonder bus geen werk.", federale_wetgeving=False)
    complete("Activity_FederaalBeoordelen", secretariaat, federaal_oordeel="volgens-regel")
    clock.advance(timedelta(hours=3))
    complete("Activity_RegionaalBesluitVL", login("vl").actor, regionaal_besluit_vl="stoppen",
             regionaal_besluit_vl_reden="Vlaams geheim motief om te stoppen.")
    (dutch,) = [t for t in engine.query.tasks(instance_id=instance_id) if t.element_id == "Activity_RegionaalBesluitNL"]
    page = login("nl").get(f"/taken/{dutch.id}").text
    assert "Selectiebesluit Vlaanderen" in page, "earlier steps are shown"
    assert "Vlaams geheim motief" not in page and "Regionaal besluit en engagement (VL)" not in page
    engine.tasks.complete(dutch.id, login("nl").actor, {"regionaal_besluit_nl": "verder",
                                                  "regionaal_besluit_nl_reden": "Nederlandse zijde gaat verder."})
    (outcome,) = engine.query.tasks(instance_id=instance_id)  # one side stopped: the dossier stops
    page = login("sec").get(f"/taken/{outcome.id}").text
    assert "Vlaams geheim motief" in page and "Nederlandse zijde gaat verder." in page, "both reasons are kept"
    steps = page[page.index("Eerdere stappen"):]
    assert "Bepaald volgens de regels: Uitkomst bepalen" in steps and "Grensregio-overleg, Vlaamse zijde" in steps
