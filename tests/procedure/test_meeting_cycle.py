"""The half-yearly meeting cycle (§ 5.2.5, § 5.3.3): agendering belongs to a meeting of the calendar,
and every agendered dossier passes every half-yearly meeting. SQLite and PostgreSQL, clock moved."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.errors import InvalidData, NotFound
from engine.gros import meetings, notices, parliament
from engine.gros.models import Meeting
from engine.scheduler import TimerRunner, attach
from engine.services import Actor, Engine
from tests.procedure.test_scenarios import (
    MODELS,
    Dossier,
    akkoorden_en_agendering,
    selectie,
    signaal_en_triage,
    tot_uitvoering,
    tot_uitwerking,
    verkenning,
    voorbereiding,
)
from webhooks import admin
from webhooks.models import OutboxEvent

SECRETARIAAT = Actor.of("sanne", ["secretariaat"])


@pytest.fixture
def gros(engine: Engine) -> Engine:
    engine.repository.deploy(MODELS)
    return engine


def up_to_the_proposal(d: Dossier) -> None:
    signaal_en_triage(d)
    selectie(d)
    verkenning(d)
    voorbereiding(d, overleg=None)


def propose(d: Dossier, day: str) -> None:
    d.do("Activity_AgenderingsvoorstelOpstellen", "secretariaat", agenderingsvoorstel="Agenderen in maart.",
         beoogd_overleg_datum=day)


def test_agendering_names_a_planned_half_yearly_meeting_and_is_listed_there(gros: Engine, clock):
    """§ 5.2.5: the ministers agendate at their half-yearly meeting; a date that is no planned meeting
    to come (one in 2019, one nobody planned, a Top, a cancelled one) is refused, nothing written."""
    march = meetings.plan(gros, "bilateraal", datetime(2027, 3, 18, 10, 0), SECRETARIAAT)
    top = meetings.plan(gros, "top", datetime(2027, 4, 15, 10, 0), SECRETARIAAT)
    cancelled = meetings.plan(gros, "bilateraal", datetime(2027, 5, 20, 10, 0), SECRETARIAAT)
    meetings.cancel(gros, cancelled.id, SECRETARIAAT)
    d = Dossier(gros, "GROS-2027-001")
    up_to_the_proposal(d)

    for day in ("2019-05-16", "2027-03-11", "2027-04-15", "2027-05-20"):
        with pytest.raises(InvalidData) as refused:
            propose(d, day)
        [field] = refused.value.errors
        assert field.key == "beoogd_overleg_datum"
        assert f"'{day}' is geen gepland halfjaarlijks bilateraal overleg" in field.message
        assert "geplande overleggen: 2027-03-18" in field.message
        assert "Activity_AgenderingsvoorstelOpstellen" in d.open(), "nothing half-written"
    assert meetings.agenda(gros, top.id).items == []

    propose(d, "2027-03-18")
    akkoorden_en_agendering(d)
    [item] = meetings.agenda(gros, march.id).proposals
    assert (item.business_key, item.status) == ("GROS-2027-001", "geagendeerd")


def test_a_meeting_that_has_passed_can_no_longer_be_named(gros: Engine, clock):
    meetings.plan(gros, "bilateraal", datetime(2027, 3, 18, 10, 0), SECRETARIAAT)
    d = Dossier(gros, "GROS-2027-002")
    up_to_the_proposal(d)
    clock.set(datetime(2027, 3, 19, 9, 0, tzinfo=UTC))
    with pytest.raises(InvalidData, match="geplande overleggen: geen"):
        propose(d, "2027-03-18")


# ------------------------------------------------------------------ the half-yearly cycle (§ 5.3.3)

AMBTELIJK = Actor.of("hanne", ["ambtelijk-grensoverleg"])
MINISTERS = Actor.of("ministers", ["bilateraal-overleg"])


def cycle_task(engine: Engine, meeting_id: int, element_id: str):
    [meeting] = [m for m in meetings.calendar(engine, include_past=True) if m.id == meeting_id]
    tasks = [t for t in engine.query.tasks(instance_id=meeting.cycle_instance_id) if t.element_id == element_id]
    assert tasks, [t.element_id for t in engine.query.tasks(instance_id=meeting.cycle_instance_id)]
    return tasks[0]


def report(d: Dossier, element_id: str, text: str) -> None:
    """The report is the schakel's task (§ 4.4), in uitwerking as in uitvoering."""
    d.do(element_id, d.schakel, voortgang_rapport=text, voortgang_status="op-schema")


@pytest.fixture
def agendered(gros: Engine, clock) -> dict[str, Dossier]:
    """Three dossiers agendered at the March meeting: two in uitwerking, one in uitvoering; the March
    meeting is then held, the May meeting is the next."""
    meetings.plan(gros, "bilateraal", datetime(2027, 3, 18, 10, 0), SECRETARIAAT)
    admin.add_subscriber(gros, "provincie-zeeland", "http://127.0.0.1:9/gros", [], "pytest")
    dossiers = {key: Dossier(gros, key) for key in ("GROS-2027-011", "GROS-2027-012", "GROS-2027-013")}
    tot_uitwerking(dossiers["GROS-2027-011"])
    tot_uitvoering(dossiers["GROS-2027-012"])
    tot_uitwerking(dossiers["GROS-2027-013"])
    clock.set(datetime(2027, 3, 19, 9, 0, tzinfo=UTC))
    return dossiers


def test_a_whole_cycle_asks_and_judges_every_agendered_dossier_whatever_its_phase(gros: Engine, clock, agendered):
    attach(gros)
    uitwerking, uitvoering, silent = agendered.values()
    may = meetings.plan(gros, "bilateraal", datetime(2027, 5, 20, 10, 0), SECRETARIAAT)
    clock.set(may.request_at)
    assert meetings.run_calendar(gros) == {"requested": 3, "agendas_ready": 0, "judgements_returned": 0}
    for d in (uitwerking, silent):  # asked while the uitwerking goes on
        assert {"Activity_UitwerkingVoortgangRapporteren", "Activity_OplossingUitwerkenNL"} <= set(d.open())
    report(uitwerking, "Activity_UitwerkingVoortgangRapporteren", "Concessies worden op elkaar afgestemd.")
    report(uitvoering, "Activity_VoortgangRapporteren", "Wet in voorbereiding.")

    clock.set(may.report_deadline)
    TimerRunner(gros).run_due()
    assert meetings.run_calendar(gros)["agendas_ready"] == 1
    agenda = meetings.agenda(gros, may.id)
    assert [(i.business_key, i.status) for i in agenda.progress] == [
        ("GROS-2027-011", "gerapporteerd"), ("GROS-2027-012", "gerapporteerd"), ("GROS-2027-013", "niet-gerapporteerd")]

    prepare = cycle_task(gros, may.id, "Activity_AmbtelijkGrensoverleg")
    assert prepare.candidate_groups == ["ambtelijk-grensoverleg"]
    agenda_rows = gros.query.variables(prepare.instance_id)["voorstellen"]
    assert {r["kenmerk"]: r["rapport"] for r in agenda_rows} == {
        "GROS-2027-011": "Concessies worden op elkaar afgestemd.",
        "GROS-2027-012": "Wet in voorbereiding.", "GROS-2027-013": "niet gerapporteerd"}
    proposals = {"GROS-2027-011": dict(voorstel_oordeel="voldoende", impasse=False, voorstel_toelichting=""),
                 "GROS-2027-012": dict(voorstel_oordeel="onvoldoende", impasse=False,
                                       voorstel_toelichting="Wet ligt stil."),
                 "GROS-2027-013": dict(voorstel_oordeel="impasse", impasse=True, voorstel_toelichting="Geen mandaat.")}
    agenda_rows = [{**r, **proposals[r["kenmerk"]]} for r in agenda_rows]
    with pytest.raises(InvalidData, match="een impasse is bij een dossier gesignaleerd"):
        gros.tasks.complete(prepare.id, AMBTELIJK, {"voorstellen": agenda_rows, "impasses_gesignaleerd": "nee"})
    gros.tasks.complete(prepare.id, AMBTELIJK, {"voorstellen": agenda_rows, "impasses_gesignaleerd": "ja"})

    ripeness = cycle_task(gros, may.id, "Activity_RijpheidBeoordelen")
    assert ripeness.candidate_groups == ["secretariaat"], "the flagged impasse reaches the secretariaat"
    ripe = {"GROS-2027-013": dict(impasse_rijp="ja", impasse_omschrijving="Het dilemma is helder; mandaat ontbreekt.")}
    agenda_rows = [{**r, **ripe.get(r["kenmerk"], {"impasse_rijp": "nvt"})}
                   for r in gros.query.variables(ripeness.instance_id)["voorstellen"]]
    gros.tasks.complete(ripeness.id, SECRETARIAAT, {"voorstellen": agenda_rows})

    clock.set(may.held_at)
    judge = cycle_task(gros, may.id, "Activity_OordelenVastleggen")
    judgements = {"GROS-2027-011": dict(voortgang_oordeel="voldoende", vertragend_land="geen", oordeel_toelichting=""),
                  "GROS-2027-012": dict(voortgang_oordeel="onvoldoende", vertragend_land="NL",
                                        oordeel_toelichting="Wetsontwerp ligt stil."),
                  "GROS-2027-013": dict(voortgang_oordeel="impasse", vertragend_land="beide", oordeel_toelichting="")}
    agenda_rows = [{**r, **judgements[r["kenmerk"]]} for r in gros.query.variables(judge.instance_id)["voorstellen"]]
    with pytest.raises(InvalidData, match="ontbreekt: GROS-2027-013"):
        gros.tasks.complete(judge.id, MINISTERS, {"voorstellen": agenda_rows[:2]})
    gros.tasks.complete(judge.id, MINISTERS, {"voorstellen": agenda_rows})

    assert meetings.run_calendar(gros)["judgements_returned"] == 3
    assert set(uitvoering.open()) == {"Activity_ActieBewindspersoon"}, "the minister of the delaying side acts"
    assert "Activity_UitwerkingVoortgangRapporteren" not in silent.open()
    assert silent.variables()["voortgang_oordeel"] == "impasse" and silent.variables()["impasse_rijp"] == "ja"
    assert uitwerking.variables()["voortgang_oordeel"] == "voldoende"
    assert {"Activity_OplossingUitwerkenNL", "Activity_OplossingUitwerkenVL"} <= set(uitwerking.open())
    agenda = meetings.agenda(gros, may.id)
    assert [(i.business_key, i.status, i.proposal["voorstel_oordeel"], i.judgement["voortgang_oordeel"])
            for i in agenda.progress] == [("GROS-2027-011", "teruggemeld", "voldoende", "voldoende"),
                                          ("GROS-2027-012", "teruggemeld", "onvoldoende", "onvoldoende"),
                                          ("GROS-2027-013", "teruggemeld", "impasse", "impasse")]
    assert agenda.progress[2].proposal["impasse_rijp"] == "ja"
    assert gros.query.instance(judge.instance_id).status == "completed"


def test_in_uitwerking_the_schakel_reports_and_a_dossier_without_one_is_not_asked(gros: Engine, clock):
    """§ 4.4: the dossier's schakel reports its progress during the uitwerking too, as in the uitvoering; a
    dossier whose schakel was not formed yet cannot be asked: the others are, it is shown not reported."""
    meetings.plan(gros, "bilateraal", datetime(2027, 3, 18, 10, 0), SECRETARIAAT)
    formed, unformed = Dossier(gros, "GROS-2027-031"), Dossier(gros, "GROS-2027-032")
    tot_uitwerking(formed)
    up_to_the_proposal(unformed)
    propose(unformed, "2027-03-18")
    akkoorden_en_agendering(unformed)
    may = meetings.plan(gros, "bilateraal", datetime(2027, 5, 20, 10, 0), SECRETARIAAT)
    clock.set(may.request_at)
    assert meetings.run_calendar(gros)["requested"] == 1
    assert formed.task("Activity_UitwerkingVoortgangRapporteren").candidate_groups == [formed.schakel]
    assert "Activity_UitwerkingVoortgangRapporteren" not in unformed.open()
    report(formed, "Activity_UitwerkingVoortgangRapporteren", "Concessies worden op elkaar afgestemd.")
    clock.set(may.report_deadline)
    TimerRunner(gros).run_due()
    assert meetings.run_calendar(gros)["agendas_ready"] == 1
    assert [(i.business_key, i.status) for i in meetings.agenda(gros, may.id).progress] == [
        ("GROS-2027-031", "gerapporteerd"), ("GROS-2027-032", "niet-gerapporteerd")]
    task = cycle_task(gros, may.id, "Activity_AmbtelijkGrensoverleg")
    assert {r["kenmerk"]: r["rapport"] for r in gros.query.variables(task.instance_id)["voorstellen"]} == {
        "GROS-2027-031": "Concessies worden op elkaar afgestemd.", "GROS-2027-032": "niet gerapporteerd"}


def test_a_calendar_run_after_a_crash_starts_no_second_cycle_or_report(gros: Engine, clock):
    """A cycle (§ 5.3.3) or a Top's report (§ 6.2.2) is started with what records it, in one transaction: a run
    that crashed before marking the meeting requested, run again, starts nothing new."""
    bilateral = meetings.plan(gros, "bilateraal", datetime(2027, 6, 10, 10, 0), SECRETARIAAT)
    top = meetings.plan(gros, "top", datetime(2027, 6, 17, 10, 0), SECRETARIAAT)
    clock.set(datetime(2027, 5, 10, 9, 0, tzinfo=UTC))
    meetings.run_calendar(gros)
    with gros.db.transaction() as session:  # as a run leaves it that crashed after the starts
        for meeting in session.scalars(select(Meeting)):
            meeting.requested_at = None
    meetings.run_calendar(gros)
    started = {i.business_key: i.id for i in gros.query.instances(limit=100)}
    assert sorted(started) == sorted([meetings.cycle_key(bilateral.id), parliament.report_key(top.id)])
    assert meetings.agenda(gros, bilateral.id).meeting.cycle_instance_id == started[meetings.cycle_key(bilateral.id)]
    assert parliament.of_meeting(gros, top.id).instance_id == started[parliament.report_key(top.id)]


def test_the_region_hears_back_after_selection_agendering_and_each_judgement(gros: Engine, clock, agendered):
    """§ 5.2.5: the regional network and both border regions get a notice ("ter informatie") in their inbox
    and an outbound event; each member dismisses it for themselves, and it blocks nothing."""
    attach(gros)
    may = meetings.plan(gros, "bilateraal", datetime(2027, 5, 20, 10, 0), SECRETARIAAT)
    clock.set(may.request_at)
    meetings.run_calendar(gros)
    clock.set(may.report_deadline)
    TimerRunner(gros).run_due()
    meetings.run_calendar(gros)
    for element_id, actor, values in [
            ("Activity_AmbtelijkGrensoverleg", AMBTELIJK, {"voorstel_oordeel": "voldoende", "impasse": False}),
            ("Activity_OordelenVastleggen", MINISTERS, {"voortgang_oordeel": "voldoende", "vertragend_land": "geen",
                                                        "oordeel_toelichting": "Goed op weg."})]:
        task = cycle_task(gros, may.id, element_id)
        rows = [{**r, **values} for r in gros.query.variables(task.instance_id)["voorstellen"]]
        gros.tasks.complete(task.id, actor, {"voorstellen": rows, **(
            {"impasses_gesignaleerd": "nee"} if element_id == "Activity_AmbtelijkGrensoverleg" else {})})
    assert meetings.run_calendar(gros)["judgements_returned"] == 3

    for group in ("regionaal-netwerk", "grensregio-nl", "grensregio-vl"):
        seen = {(n.business_key, n.kind) for n in notices.notices_for(gros, Actor.of(f"{group}-1", [group]))}
        assert seen == {(key, kind) for key in agendered for kind in ("selectie", "agendering", "overleg")}, group
    joris, fatima = Actor.of("joris", ["grensregio-nl"]), Actor.of("fatima", ["grensregio-nl"])
    seen = {(n.business_key, n.kind): n for n in notices.notices_for(gros, joris)}
    assert seen["GROS-2027-011", "selectie"].text == "Besluit over de selectie: Nederlandse zijde ja, Vlaamse zijde ja."
    assert seen["GROS-2027-011", "agendering"].text.startswith("Geagendeerd door de ministers")
    judged = seen["GROS-2027-012", "overleg"]
    assert judged.text == "Oordeel van het halfjaarlijks bilateraal overleg: voldoende — Goed op weg."
    notices.dismiss(gros, judged.id, joris)
    assert judged.id not in {n.id for n in notices.notices_for(gros, joris)}
    assert judged.id in {n.id for n in notices.notices_for(gros, fatima)}, "each member dismisses for themselves"
    with pytest.raises(NotFound):
        notices.dismiss(gros, judged.id, Actor.of("an", ["departement-nl"]))
    assert not [t for t in gros.query.tasks() if "grensregio" in " ".join(t.candidate_groups)], "blocks nothing"

    with gros.db.reading() as session:
        sent = {(e.event_type, e.instance_id) for e in session.scalars(select(OutboxEvent))}
    for d in agendered.values():
        assert {(kind, d.id) for kind in ("dossier.selectiebesluit", "dossier.agenderingsbesluit",
                                          "dossier.overlegoordeel")} <= sent


def test_the_top_recurs_every_two_years_and_a_cancelled_one_is_a_decision(gros: Engine, clock):
    """§ 4.3, § 6.2.1: the Vlaams-Nederlandse Top every two years; once one is held the next is planned."""
    top = meetings.plan(gros, "top", datetime(2027, 6, 17, 10, 0), SECRETARIAAT)
    meetings.run_calendar(gros)
    assert [m.id for m in meetings.calendar(gros) if m.kind == "top"] == [top.id], "not before it is held"
    clock.set(datetime(2027, 6, 18, 9, 0, tzinfo=UTC))
    meetings.run_calendar(gros)
    meetings.run_calendar(gros)
    [following] = [m for m in meetings.calendar(gros) if m.kind == "top"]
    assert following.held_at == datetime(2029, 6, 17, 8, 0, tzinfo=UTC)  # 10:00 Brussels, summer time
    meetings.cancel(gros, following.id, SECRETARIAAT)
    clock.set(datetime(2029, 6, 18, 9, 0, tzinfo=UTC))
    meetings.run_calendar(gros)
    assert [m for m in meetings.calendar(gros) if m.kind == "top"] == []
