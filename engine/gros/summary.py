"""Each dossier at a glance, kept in step by every command that saves it (``Engine.on_save``): its title,
the phase it is in and since when, and the headline variables overviews filter and report on. The
monitor's lists, counts and charts read these rows, never instance state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from engine.bpmn.runtime import Workflow
from engine.gros.meetings import CYCLE_PROCESS
from engine.gros.models import InstanceSummary, PhaseVisit
from engine.gros.parliament import PROCESS as REPORT_PROCESS
from engine.gros.toetsen import PROCESS as TOETS
from engine.services import Engine
from engine.store.models import ProcessInstance

SUMMARIES, VISITS = InstanceSummary.__table__, PhaseVisit.__table__
# The variables a summary reads (names from processen/README.md).
TITLE, THEME, OUTCOME, AGENDERED = "titel", "thema", "uitkomst", ("agendering_resultaat", "geagendeerd")
# Processes the procedure runs beside its cases (§ 5.3.3, § 6.2.2): no summary, no card, they keep the title
# they were started with. Every other process is a case — a dossier, or one a process owner drew — except that
# a toets (§ 4.2.2) has its own list in the monitor and so a card but no dossier summary.
NOT_CASES = (CYCLE_PROCESS, REPORT_PROCESS)


def is_case(instance: ProcessInstance) -> bool:
    return instance.definition_key not in NOT_CASES


READ = frozenset((TITLE, THEME, OUTCOME, AGENDERED[0]))


def reads(name: str) -> bool:
    """Whether ``summarize`` reads variable ``name`` (besides the phase): ``Engine.on_save``'s ``reads``."""
    return name in READ


def summarize(session: Session, instance: ProcessInstance, workflow: Workflow, now: datetime) -> None:
    """The dossier at a glance; its phase keeps its start time while it stays in that phase. Only a
    dossier has a summary: the monitor's dossier list is made of them."""
    if not is_case(instance):
        return
    data = workflow.data
    if data.get(TITLE):
        instance.title = str(data[TITLE])[:500]
    if instance.definition_key == TOETS:
        return
    connection = session.connection()
    stored = connection.execute(select(SUMMARIES).where(SUMMARIES.c.instance_id == instance.id)).first()
    phase = None if workflow.completed else workflow.phase()
    values = {
        "phase": phase, "theme": _headline(data.get(THEME)), "outcome": _headline(data.get(OUTCOME)),
        "agendered": bool(stored and stored.agendered) or data.get(AGENDERED[0]) == AGENDERED[1],
        "phase_since": stored.phase_since if stored is not None and stored.phase == phase else now,
    }
    if stored is None:
        connection.execute(insert(SUMMARIES).values(instance_id=instance.id, **values))
    elif any(getattr(stored, name) != value for name, value in values.items()):
        connection.execute(update(SUMMARIES).where(SUMMARIES.c.instance_id == instance.id).values(values))
    if stored is None or stored.phase != phase:
        _record_visit(connection, instance.id, phase, now)


def _record_visit(connection: Connection, instance_id: str, phase: str | None, now: datetime) -> None:
    connection.execute(update(VISITS).where(VISITS.c.instance_id == instance_id, VISITS.c.left_at.is_(None))
                       .values(left_at=now))
    if phase is not None:
        connection.execute(insert(VISITS).values(instance_id=instance_id, phase=phase, entered_at=now))


def _headline(value) -> str | None:
    return str(value)[:200] if value not in (None, "") else None


def facts(engine: Engine, instance_id: str) -> dict[str, str | None]:
    """A dossier's outcome and phase as its summary row has them: what model tests expect (`gros test`)."""
    with engine.db.reading() as session:
        row = session.get(InstanceSummary, instance_id)
    return {"uitkomst": row.outcome if row else None, "fase": row.phase if row else None}
