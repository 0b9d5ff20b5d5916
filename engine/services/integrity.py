"""Does the database hold together? Every instance's state loads through the engine's own loading code,
and its derived rows (tasks, timers, subscriptions, positions) are exactly what the engine would derive
from that state. Run after a restore (``gros restore``) and on demand (``gros verify``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.runtime import Workflow
from engine.services.executor import CommandExecutor
from engine.store.models import HumanTask, Position, ProcessInstance, Subscription, Timer

CHUNK = 500


@dataclass
class Verification:
    instances: int = 0
    loaded: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(executor: CommandExecutor) -> Verification:
    """Load every instance that still has its state and compare its derived rows with the engine's."""
    result = Verification()
    for session, instances in _chunks(executor):
        for instance in instances:
            result.instances += 1
            if instance.cleaned_at is not None:
                continue
            try:
                workflow = executor.load_state(session, instance)
            except Exception as error:  # whatever breaks a load is what the operator must hear about
                result.problems.append(f"instantie {instance.id} laadt niet: {type(error).__name__}: {error}")
                continue
            result.loaded += 1
            result.problems += [f"instantie {instance.id}: {p}" for p in _compare(session, instance, workflow)]
    return result


def _chunks(executor: CommandExecutor) -> Iterator[tuple[Session, list[ProcessInstance]]]:
    after = ""
    while True:
        with executor.db.reading() as session:
            instances = list(session.scalars(select(ProcessInstance).where(ProcessInstance.id > after)
                                             .order_by(ProcessInstance.id).limit(CHUNK)))
            if not instances:
                return
            yield session, instances
        after = instances[-1].id


def _compare(session: Session, instance: ProcessInstance, workflow: Workflow) -> list[str]:
    ended = workflow.completed
    expected = {
        "taken": set() if ended else {(t.id, t.element_id) for t in workflow.user_tasks()},
        "timers": set() if ended else {(t.task_id, t.due_at) for t in workflow.timers()},
        "berichtabonnementen": set() if ended else {(m.task_id, m.message_name) for m in workflow.messages()},
        "posities": set() if ended else {(p.process_key, p.element_id, p.definition_id or instance.definition_id)
                                         for p in workflow.positions()},
    }
    stored = {
        "taken": _rows(session, HumanTask.id, HumanTask.element_id, instance=HumanTask.instance_id, key=instance.id),
        "timers": _rows(session, Timer.task_id, Timer.due_at, instance=Timer.instance_id, key=instance.id),
        "berichtabonnementen": _rows(session, Subscription.task_id, Subscription.message_name,
                                     instance=Subscription.instance_id, key=instance.id),
        "posities": _rows(session, Position.process_key, Position.element_id, Position.definition_id,
                          instance=Position.instance_id, key=instance.id),
    }
    problems = [f"{name} wijken af: opgeslagen maar niet afgeleid {_show(stored[name] - want)}, "
                f"afgeleid maar niet opgeslagen {_show(want - stored[name])}"
                for name, want in expected.items() if stored[name] != want]
    if ended != (instance.status == "completed"):
        problems.append(f"status '{instance.status}' past niet bij de toestand (afgerond: {ended})")
    return problems


def _rows(session: Session, *columns, instance, key: str) -> set[tuple]:
    return {tuple(row) for row in session.execute(select(*columns).where(instance == key))}


def _show(rows: set[tuple]) -> str:
    return "; ".join(sorted(" ".join(v.isoformat() if isinstance(v, datetime) else str(v) for v in row)
                            for row in rows)) or "-"
