"""A meeting cycle (§ 5.3.3) and a parliament report (§ 6.2.2) run as processes of their own, but they are no
dossiers: the monitor's dossier list and the kennisbank show neither, while a grenseffectentoets keeps its
own card in the kennisbank (§ 4.2.2) and its own list in the monitor — over HTTP, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select

from engine.gros import demo, meetings, parliament
from engine.gros.models import InstanceSummary, KennisEntry, PhaseVisit
from engine.services import Actor, Engine
from engine.store.db import MIGRATIONS
from tests.monitor.conftest import ROOT

SECRETARIAAT = Actor.of("sanne", ["secretariaat"])


def keys(page: str, marker: str = "data-dossier") -> list[str]:
    return sorted(part.split('"')[0] for part in page.split(f'{marker}="')[1:])


def cycle_and_report(engine: Engine, clock) -> tuple[str, str]:
    """The demo toetsen (one became dossier GROS-2027-001), and the calendar starting a bilateral meeting's
    cycle and a Top's report: their instance ids."""
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    demo.seed_toetsen(engine)
    bilateral = meetings.plan(engine, "bilateraal", datetime(2027, 6, 10, 10, 0), SECRETARIAAT)
    top = meetings.plan(engine, "top", datetime(2027, 6, 17, 10, 0), SECRETARIAAT)
    clock.set(datetime(2027, 5, 10, 9, 0, tzinfo=UTC))
    meetings.run_calendar(engine)
    started = {i.business_key: i.id for i in engine.query.instances(limit=100)}
    return started[meetings.cycle_key(bilateral.id)], started[parliament.report_key(top.id)]


def rows_of(engine: Engine, instance_ids: set[str]) -> dict[str, set[str]]:
    with engine.db.reading() as session:
        return {table.__name__: set(session.scalars(select(table.instance_id))) & instance_ids
                for table in (InstanceSummary, PhaseVisit, KennisEntry)}


def test_a_cycle_and_a_report_are_no_dossiers(manager, login, engine, clock):
    cycle, report = cycle_and_report(engine, clock)

    assert keys(manager.get("/monitor/").text) == ["GROS-2027-001"]
    assert keys(manager.get("/monitor/toetsen").text, "data-toets") == ["TOETS-2026-001", "TOETS-2026-002"]
    assert keys(login("dvl").get("/kennisbank/").text) == ["GROS-2027-001", "TOETS-2026-001", "TOETS-2026-002"]
    assert rows_of(engine, {cycle, report}) == {"InstanceSummary": set(), "PhaseVisit": set(), "KennisEntry": set()}
    own_page = manager.get(f"/monitor/dossiers/{cycle}").text
    assert "<dt>Status</dt>" in own_page and "<dt>Fase</dt>" not in own_page  # no dossier phase, not an empty one


def test_migrating_removes_the_rows_written_for_cycles_and_reports(engine, clock):
    cycle, report = cycle_and_report(engine, clock)
    now = engine.now()
    with engine.db.engine.begin() as connection:  # what the listeners wrote before they knew a dossier
        for instance_id in (cycle, report):
            connection.execute(insert(InstanceSummary).values(instance_id=instance_id, phase="x", phase_since=now))
            connection.execute(insert(PhaseVisit).values(instance_id=instance_id, phase="x", entered_at=now))
            connection.execute(insert(KennisEntry).values(
                instance_id=instance_id, title="Overleg", sides="||", year=2027, rules="", body="Overleg",
                card={}, started_at=now, updated_at=now))
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.downgrade(config, "0064_parliament_report")
    assert rows_of(engine, {cycle, report})["KennisEntry"] == {cycle, report}
    engine.db.migrate()
    assert rows_of(engine, {cycle, report}) == {"InstanceSummary": set(), "PhaseVisit": set(), "KennisEntry": set()}
