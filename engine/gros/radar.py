"""Stall radar against verzanding: a running dossier with no task completed for a while, or with a
task past its due date, gets a flag (reason, since when, which side and groups it waits on). The
flags are derived rows the scheduler refreshes; they clear when work resumes. Monitors read them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session

from engine.gros.business_calendar import shift
from engine.gros.models import StallFlag
from engine.services import Engine
from engine.store.models import AuditEvent, HumanTask, ProcessInstance

NO_PROGRESS = "geen-voortgang"
OVERDUE = "taak-over-termijn"
ACTIVE = ("running", "incident")
SIDES = {"nl": "NL", "vl": "VL", "be": "BE", "vlaamse-regering": "VL"}


@dataclass(frozen=True)
class RadarResult:
    flagged: int
    cleared: int
    total: int


def stall_after() -> str:
    """How long without a completed task before a dossier counts as stalled (ISO 8601, GROS_STALL_AFTER)."""
    return os.environ.get("GROS_STALL_AFTER", "P60D")


def refresh(engine: Engine, now: datetime | None = None, period: str | None = None) -> RadarResult:
    """Recompute every flag from the indexed rows; new flags are added, resolved ones removed."""
    now = now or engine.now()
    with engine.db.transaction() as session:
        wanted = _overdue(session, now) | _no_progress(session, shift(now, period or stall_after(), before=True))
        stored = {(f.instance_id, f.reason): f for f in session.scalars(select(StallFlag))}
        gone = [key for key in stored if key not in wanted]
        for instance_id, reason in gone:
            session.execute(delete(StallFlag).where(StallFlag.instance_id == instance_id, StallFlag.reason == reason))
        for key, values in wanted.items():
            if key in stored:
                for name, value in values.items():
                    setattr(stored[key], name, value)
            else:
                session.add(StallFlag(**values, flagged_at=now))
        return RadarResult(len(set(wanted) - set(stored)), len(gone), len(wanted))


def flags(engine: Engine, reason: str | None = None) -> list[StallFlag]:
    """The current flags, longest stalled first."""
    query = select(StallFlag).order_by(StallFlag.since)
    if reason:
        query = query.where(StallFlag.reason == reason)
    with engine.db.reading() as session:
        return list(session.scalars(query))


def _active():
    return and_(ProcessInstance.status.in_(ACTIVE), ProcessInstance.suspended.is_(False))


def _overdue(session: Session, now: datetime) -> dict[tuple[str, str], dict]:
    rows = session.execute(
        select(HumanTask, ProcessInstance).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.due_at < now, _active()).order_by(HumanTask.due_at.desc())
    )
    # Ordered latest due first, so the most overdue task of an instance is the one kept.
    return {(instance.id, OVERDUE): _flag(instance, OVERDUE, task.due_at, [task]) for task, instance in rows}


def _no_progress(session: Session, threshold: datetime) -> dict[tuple[str, str], dict]:
    last = (select(AuditEvent.instance_id, func.max(AuditEvent.at).label("at"))
            .where(AuditEvent.action == "task.completed").group_by(AuditEvent.instance_id).subquery())
    since = func.coalesce(last.c.at, ProcessInstance.started_at)
    rows = session.execute(
        select(ProcessInstance, since).outerjoin(last, last.c.instance_id == ProcessInstance.id)
        .where(_active(), since < threshold)
    ).all()
    tasks = _ready_tasks(session, [instance.id for instance, _ in rows])
    return {(instance.id, NO_PROGRESS): _flag(instance, NO_PROGRESS, at, tasks.get(instance.id, []))
            for instance, at in rows}


def _ready_tasks(session: Session, instance_ids: list[str]) -> dict[str, list[HumanTask]]:
    found: dict[str, list[HumanTask]] = {}
    for start in range(0, len(instance_ids), 500):
        chunk = instance_ids[start:start + 500]
        for task in session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(chunk))
                                    .order_by(HumanTask.created_at)):
            found.setdefault(task.instance_id, []).append(task)
    return found


def _flag(instance: ProcessInstance, reason: str, since: datetime, tasks: list[HumanTask]) -> dict:
    groups = sorted({g for t in tasks for g in (t.candidate_groups or [])} | {t.assignee for t in tasks if t.assignee})
    return {
        "instance_id": instance.id, "reason": reason, "since": since, "business_key": instance.business_key,
        "title": instance.title, "side": side_of(groups), "waiting_on": groups or list(instance.waiting_at or []),
        "task_id": tasks[0].id if tasks else None, "task_name": tasks[0].name if tasks else None,
    }


def side_of(groups: list[str]) -> str | None:
    """NL, VL, BE or a combination such as NL+VL, read from the GROS group names (departement-nl, ...)."""
    sides = {SIDES[g] for g in groups if g in SIDES} | {SIDES[g.rsplit("-", 1)[-1]] for g in groups
                                                        if "-" in g and g.rsplit("-", 1)[-1] in SIDES}
    return "+".join(sorted(sides)) or None
