"""The instance summary the commands derive: the (called) process a dossier is in and since when, its
theme, its outcome and whether it was agendered — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from alembic import command
from alembic.config import Config
from sqlalchemy import delete, select

from engine.gros import demo
from engine.gros.models import InstanceSummary, PhaseVisit
from engine.services import Actor
from engine.store.db import MIGRATIONS
from engine.store.models import ProcessInstance
from tests.conftest import ROOT

SECRETARIAAT = Actor.of("sanne", ["secretariaat"])
SIGNAL = {"titel": "Proef", "omschrijving": "De busverbinding over de grens valt weg bij elke concessie.",
          "melder": "overig", "melder_contact": "", "thema": "mobiliteit",
          "betrokken_regelgeving": "Wet personenvervoer 2000 (NL)"}


def summaries(engine) -> dict[str, InstanceSummary]:
    with engine.db.reading() as session:
        rows = session.execute(select(ProcessInstance.business_key, InstanceSummary)
                               .join(InstanceSummary, InstanceSummary.instance_id == ProcessInstance.id))
        return {key: summary for key, summary in rows}


def test_each_demo_dossier_is_summarized_in_its_deepest_called_process(engine):
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    demo.seed_dossiers(engine)
    found = {key: (row.phase, row.theme, row.outcome, row.agendered) for key, row in summaries(engine).items()}
    assert found == {
        "GROS-2026-001": ("gros-agendering", "energie-en-klimaat", None, False),
        "GROS-2026-002": ("gros-uitwerking", "energie-en-klimaat", None, True),
        "GROS-2026-003": ("gros-selectie", "mobiliteit", None, False),
        "GROS-2025-004": ("gros-uitvoering", "havens-en-economie", None, True),  # waiting in an embedded subprocess
        "GROS-2026-005": ("gros-escalatie", "sociale-zekerheid", None, True),  # called from gros-uitwerking
        "GROS-2026-006": ("gros-verkenning", "zorg", None, False),
        "GROS-2025-007": (None, "zorg", "opgelost", True),
        "GROS-2026-008": (None, "onderwijs", "afgewezen-vl", False),
    }


def test_the_phase_keeps_its_start_while_steps_inside_it_go_on(engine, clock):
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    started = clock.now()
    instance_id = engine.runtime.start("gros-dossier", "GROS-T-1", {"titel": "Proef", "thema": "zorg"}, SECRETARIAAT)
    [register] = engine.query.tasks(instance_id=instance_id)
    clock.advance(timedelta(days=2))
    engine.tasks.complete(register.id, SECRETARIAAT, SIGNAL)
    summary = summaries(engine)["GROS-T-1"]
    assert (summary.phase, summary.phase_since, summary.theme) == ("gros-dossier", started, "mobiliteit")
    [triage] = engine.query.tasks(instance_id=instance_id)
    clock.advance(timedelta(days=3))
    engine.tasks.complete(triage.id, SECRETARIAAT, {"triage_besluit": "ja", "triage_toelichting": "Structureel."})
    summary = summaries(engine)["GROS-T-1"]
    assert (summary.phase, summary.phase_since) == ("gros-selectie", clock.now())


def test_each_stay_in_a_phase_is_a_visit_closed_when_the_next_begins(engine, clock):
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    started = clock.now()
    instance_id = engine.runtime.start("gros-dossier", "GROS-T-2", {"titel": "Proef"}, SECRETARIAAT)
    [register] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(register.id, SECRETARIAAT, SIGNAL)
    [triage] = engine.query.tasks(instance_id=instance_id)
    clock.advance(timedelta(days=3))
    engine.tasks.complete(triage.id, SECRETARIAAT, {"triage_besluit": "nee", "triage_toelichting": "Geen belemmering."})
    [outcome] = engine.query.tasks(instance_id=instance_id)
    clock.advance(timedelta(days=1))
    engine.tasks.complete(outcome.id, SECRETARIAAT, {"uitkomst_reden": "Geen belemmering."})  # the outcome is derived
    with engine.db.reading() as session:
        visits = session.execute(select(PhaseVisit.phase, PhaseVisit.entered_at, PhaseVisit.left_at)
                                 .where(PhaseVisit.instance_id == instance_id)).all()
    assert [tuple(v) for v in visits] == [("gros-dossier", started, clock.now())]
    assert summaries(engine)["GROS-T-2"].outcome == "gestopt-triage"


def test_instances_from_before_the_summaries_get_one_when_migrating(engine):
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    running = engine.runtime.start("gros-dossier", "GROS-OUD-1", {"titel": "Oud"}, SECRETARIAAT)
    with engine.db.engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.downgrade(config, "0041_phase_visit")
        connection.execute(delete(InstanceSummary.__table__))
    engine.db.migrate()
    summary = summaries(engine)["GROS-OUD-1"]
    assert (summary.phase, summary.phase_since, summary.agendered) == (
        "gros-dossier", engine.query.instance(running).updated_at, False)
