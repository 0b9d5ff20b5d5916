"""The procedure runs itself when the clock moves: a progress round from the meeting calendar to the
judgement, and an escalated impasse whose deadline passes flagged rather than moved up (processen/, both
databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.gros import meetings, radar
from engine.gros.schakel import group_for
from engine.scheduler import TimerRunner, attach
from engine.services import Actor, Engine
from tests.conftest import ROOT

SECRETARIAAT = Actor.of("sofie", ["secretariaat"])
DEPARTEMENT_NL = Actor.of("an", ["departement-nl"])
OVERLEG = Actor.of("minister", ["bilateraal-overleg"])


@pytest.fixture
def gros(engine: Engine) -> Engine:
    attach(engine)
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    return engine


def only_task(engine: Engine, instance_id: str):
    [task] = engine.query.tasks(instance_id=instance_id)
    return task


def in_implementation(engine: Engine, business_key: str) -> str:
    """A dossier in uitvoering, waiting for its next progress round."""
    variables = {"titel": f"Dossier {business_key}", "thema": "energie", "schakel": group_for(business_key, "")}
    instance = engine.runtime.start("gros-uitvoering", business_key, variables)
    engine.tasks.complete(only_task(engine, instance).id, DEPARTEMENT_NL,
                    {"uitvoeringsplan": "Plan in tien stappen", "uitvoering_streefdatum": "2027-12-01"})
    return instance


def test_progress_round_from_calendar_to_a_minister_obliged_to_act(gros: Engine, clock):
    reporting, silent = in_implementation(gros, "GROS-1"), in_implementation(gros, "GROS-2")
    planning = gros.runtime.start("gros-uitvoering", "GROS-3", {"titel": "Nog in planning", "thema": "zorg"})
    meeting = meetings.plan(gros, "bilateraal", datetime(2027, 5, 20, 10, 0), SECRETARIAAT)
    assert (meeting.request_at, meeting.report_deadline) == (datetime(2027, 4, 8, 8, 0, tzinfo=UTC),
                                                             datetime(2027, 5, 6, 8, 0, tzinfo=UTC))

    clock.set(meeting.request_at - timedelta(minutes=1))
    assert meetings.run_calendar(gros) == {"requested": 0, "agendas_ready": 0, "judgements_returned": 0}
    clock.set(meeting.request_at)
    assert meetings.run_calendar(gros) == {"requested": 2, "agendas_ready": 0, "judgements_returned": 0}
    report = only_task(gros, reporting)
    assert (report.name, report.due_at, report.candidate_groups) == (
        "Voortgang rapporteren", meeting.report_deadline, ["schakel-gros-1"])
    assert only_task(gros, planning).name == "Uitvoering plannen"  # not agendered, not asked

    clock.advance(timedelta(days=3))
    gros.tasks.complete(report.id, Actor.of("an", ["schakel-gros-1"]),
                  {"voortgang_rapport": "Wet in voorbereiding", "voortgang_status": "vertraagd"})
    assert meetings.run_calendar(gros)["agendas_ready"] == 0  # GROS-2 may still report
    clock.set(meeting.report_deadline)
    assert meetings.run_calendar(gros)["agendas_ready"] == 1
    agenda = meetings.agenda(gros, meeting.id)
    assert [(i.business_key, i.status) for i in agenda.items] == [("GROS-1", "gerapporteerd"),
                                                                  ("GROS-2", "niet-gerapporteerd")]
    assert agenda.reported[0].report["voortgang_rapport"] == "Wet in voorbereiding"
    assert only_task(gros, silent).name == "Voortgang rapporteren"

    clock.set(meeting.held_at)
    judgement = only_task(gros, reporting)
    assert (judgement.name, judgement.candidate_groups) == ("Voortgang beoordelen", ["bilateraal-overleg"])
    gros.tasks.complete(judgement.id, OVERLEG, {"voortgang_oordeel": "onvoldoende", "vertragend_land": "NL",
                                          "oordeel_toelichting": "Wetsontwerp ligt stil"})
    obliged = only_task(gros, reporting)
    assert (obliged.name, obliged.candidate_groups) == ("Vertraging aanpakken", ["bewindspersoon-nl"])
    [item] = [i for i in meetings.agenda(gros, meeting.id).items if i.business_key == "GROS-1"]
    assert (item.status, item.judgement["voortgang_oordeel"]) == ("beoordeeld", "onvoldoende")


def test_an_impasse_is_flagged_but_not_moved_up_when_deadlines_pass(gros: Engine, clock):
    """§ 5.3.3: the minister for cross-border cooperation starts the escalation; the four weeks of the head of
    service are a due date the stall radar flags, not a timer that moves the impasse up by itself."""
    instance = gros.runtime.start("gros-escalatie", "GROS-9", {
        "titel": "Zorgkosten", "thema": "zorg", "escalatie_land": "NL", "impasse_omschrijving": "Geen bevoegdheid"})
    gros.tasks.complete(only_task(gros, instance).id, Actor.of("minister", ["minister-grenssamenwerking-nl"]),
                  {"escalatie_starten": "ja", "escalatie_starten_toelichting": "De minister zet de escalatie in gang."})
    task = only_task(gros, instance)
    assert task.candidate_groups == ["hoofd-van-dienst-nl"]
    assert task.due_at.replace(tzinfo=UTC) == clock.now() + timedelta(weeks=4)
    runner = TimerRunner(gros)
    clock.advance(timedelta(weeks=11))
    runner.run_due()
    runner.close()
    assert only_task(gros, instance).candidate_groups == ["hoofd-van-dienst-nl"]
    assert gros.query.timers(instance) == []
    radar.refresh(gros)
    assert [f.instance_id for f in radar.flags(gros, radar.OVERDUE)] == [instance]


def test_a_cancelled_meeting_asks_nobody(gros: Engine, clock):
    in_implementation(gros, "GROS-1")
    meeting = meetings.plan(gros, "top", datetime(2027, 11, 25, 14, 0), SECRETARIAAT, zone="Europe/Amsterdam")
    meetings.cancel(gros, meeting.id, SECRETARIAAT)
    clock.set(meeting.request_at + timedelta(days=1))
    assert meetings.run_calendar(gros)["requested"] == 0
    assert meetings.calendar(gros) == []
