"""Monitor figures for ``gros bench``: the overview's queries over 100,000 dossiers. Not a test.

The dossiers are copies of the demo dossiers' derived rows (instance, summary, tasks with candidates,
positions, phase visits, stall flags) inserted in bulk, spread over phases, themes and sides; their
instance state is a stub, because no overview query may read it."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

from engine.clock import FixedClock
from engine.gros import demo
from engine.gros.models import InstanceSummary, PhaseVisit, StallFlag
from engine.services import Engine
from engine.store.db import on_scratch_postgres
from engine.store.models import (
    HumanTask,
    Position,
    ProcessInstance,
    TaskCandidate,
)
from engine.web.monitor import charts, processes, queries
from engine.wiring import open_engine

ROOT = Path(__file__).resolve().parents[3]
BATCH = 5_000
QUERIES: dict[str, queries.Filters] = {
    "first_page": queries.Filters(),
    "phase": queries.Filters(phase="gros-uitwerking"),
    "side_nl": queries.Filters(side="NL"),
    "stalled": queries.Filters(stalled=True),
    "theme_and_status": queries.Filters(theme="zorg", status="running"),
    "search_title": queries.Filters(search="waterstof"),
    "longest_in_phase": queries.Filters(sort="fase"),
    "last_page": queries.Filters(page=3_000),
}


def overview_figures(url: str, dossiers: int = 100_000, runs: int = 15) -> dict:
    """Median milliseconds of each overview query, the process view and the charts over ``dossiers``."""
    engine = open_engine(url, clock=FixedClock())
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    demo.seed_dossiers(engine)
    began = time.perf_counter()
    _fill(engine, dossiers)
    figures: dict = {"dossiers": dossiers, "fill_s": round(time.perf_counter() - began, 1)}
    figures |= {f"overview_{name}_ms": _median_ms(lambda f=f: queries.overview(engine, f), runs)
                for name, f in QUERIES.items()}
    escalation = engine.repository.definitions("gros-escalatie")[0].id
    figures["process_view_ms"] = _median_ms(lambda: processes.view(engine, escalation), runs)
    figures["process_versions_ms"] = _median_ms(lambda: processes.versions(engine), runs)
    phases = queries.phases(engine)
    figures["chart_phases_over_time_ms"] = _median_ms(lambda: charts.phases_over_time(engine, phases), 3)
    figures["chart_lead_times_ms"] = _median_ms(lambda: charts.lead_times(engine, phases), 3)
    figures["chart_stalled_ms"] = _median_ms(lambda: charts.stalled_per_side(engine), runs)
    engine.db.dispose()
    return figures


def _median_ms(run: Callable[[], object], runs: int) -> float:
    spent = []
    for _ in range(runs):
        began = time.perf_counter()
        run()
        spent.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(spent), 2)


def _fill(engine: Engine, dossiers: int) -> None:
    """Copy the running demo dossiers' rows round-robin until there are ``dossiers`` copies."""
    with engine.db.reading() as session:
        templates = [_rows(session, instance) for instance in session.scalars(
            select(ProcessInstance).where(ProcessInstance.status != "completed").order_by(ProcessInstance.id))]
    now = engine.now()
    for start in range(0, dossiers, BATCH):
        tables: dict = {name: [] for name in ("instance", "summary", "task", "candidate", "position", "visit",
                                               "flag")}
        for n in range(start, min(dossiers, start + BATCH)):
            _copy(tables, templates[n % len(templates)], n, now - timedelta(hours=n % 5_000))
        with engine.db.transaction() as session:
            for model, rows in zip((ProcessInstance, InstanceSummary, HumanTask, TaskCandidate, Position, PhaseVisit,
                                    StallFlag), tables.values(), strict=True):
                if rows:
                    session.execute(insert(model), rows)
    if not engine.db.is_sqlite:  # only the filled tables: a whole-database ANALYZE can run out of locks
        with engine.db.transaction() as session:
            session.execute(text("ANALYZE process_instance, instance_summary, human_task, task_candidate, position, "
                                 "phase_visit, stall_flag"))


def _rows(session, instance: ProcessInstance) -> dict:
    def columns(row) -> dict:
        return {c.name: getattr(row, c.name) for c in row.__table__.columns}

    tasks = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)))
    return {
        "instance": columns(instance) | {"state": "{}"},
        "summary": columns(session.get(InstanceSummary, instance.id)),
        "tasks": [(columns(t), [columns(c) for c in session.scalars(
            select(TaskCandidate).where(TaskCandidate.task_id == t.id))]) for t in tasks],
        "positions": [columns(p) for p in session.scalars(select(Position).where(Position.instance_id == instance.id))],
    }


THEMES = ("arbeidsmarkt", "belastingen", "sociale-zekerheid", "zorg", "mobiliteit", "energie-en-klimaat")


def _copy(tables: dict, template: dict, n: int, at) -> None:
    instance_id = str(uuid.uuid4())
    title = f"{template['instance']['title']} ({n})"
    tables["instance"].append(template["instance"] | {"id": instance_id, "business_key": f"BENCH-{n:06d}",
                                                      "title": title, "started_at": at, "updated_at": at})
    summary = template["summary"] | {"instance_id": instance_id, "phase_since": at, "theme": THEMES[n % len(THEMES)]}
    tables["summary"].append(summary)
    tables["visit"].append({"instance_id": instance_id, "phase": summary["phase"], "entered_at": at, "left_at": None})
    tables["visit"].append({"instance_id": instance_id, "phase": "gros-dossier", "entered_at": at - timedelta(days=9),
                            "left_at": at})
    for task, candidates in template["tasks"]:
        task_id = str(uuid.uuid4())
        tables["task"].append(task | {"id": task_id, "instance_id": instance_id, "created_at": at})
        tables["candidate"] += [c | {"task_id": task_id, "created_at": at} for c in candidates]
    tables["position"] += [p | {"instance_id": instance_id, "since": at} for p in template["positions"]]
    if n % 10 == 0:
        tables["flag"].append({"instance_id": instance_id, "reason": "geen-voortgang", "since": at,
                               "business_key": f"BENCH-{n:06d}", "title": title, "side": "NL" if n % 20 else "VL",
                               "waiting_on": [], "task_id": None, "task_name": None, "flagged_at": at})


def run(folder: str, dossiers: int = 100_000) -> dict:
    """The monitor's figures on a SQLite file in ``folder`` and on PostgreSQL when it answers."""
    return {"sqlite": overview_figures(f"sqlite:///{folder}/monitor-bench.db", dossiers),
            "postgresql": on_scratch_postgres(lambda url: overview_figures(url, dossiers))}
