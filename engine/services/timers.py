"""The timer service: which timers are due, and firing them — each firing one command. A scheduler on
any node calls it; ``skip_locked`` lets nodes pass over an instance another node holds right now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.bpmn.runtime import EngineStepError
from engine.bpmn.timers import add_duration, parse_cycle
from engine.services.access import SYSTEM
from engine.services.executor import CommandExecutor, audit, status
from engine.services.runtime import RuntimeService
from engine.store.models import Incident, ProcessDefinition, ProcessInstance, StartTrigger, Timer


class TimerService:
    def __init__(self, executor: CommandExecutor, runtime: RuntimeService) -> None:
        self.executor = executor
        self.runtime = runtime

    def due_timers(self, now: datetime | None = None, limit: int = 1000) -> list[int]:
        """Due timers, oldest first; a suspended instance's timers wait for its resume."""
        now = now or self.executor.now()
        with self.executor.db.reading() as session:
            return list(session.scalars(_firable(select(Timer.id), now).order_by(Timer.due_at).limit(limit)))

    def next_timer_due(self) -> datetime | None:
        with self.executor.db.reading() as session:
            return session.scalar(_firable(select(func.min(Timer.due_at)), None))

    def fire_due_timers(self, now: datetime | None = None) -> int:
        """Fire every timer due at ``now`` (the engine's clock by default), each in its own transaction."""
        now = now or self.executor.now()
        return sum(self.fire_timer(timer_id, now) for timer_id in self.due_timers(now))

    def fire_timer(self, timer_id: int, now: datetime | None = None, skip_locked: bool = False) -> int:
        """Fire a due timer and any other due timer of its instance; returns how many fired. 0 when it
        is gone (fired elsewhere), not due, suspended, or — with ``skip_locked`` — held by another
        transaction right now (a scheduler on another node)."""
        now = now or self.executor.now()
        with self.executor.transaction() as session:
            timer = session.get(Timer, timer_id)
            if timer is None or timer.due_at > now:
                return 0
            if timer.start_trigger_id is not None:
                return int(self._fire_start_timer(session, timer_id, now, skip_locked))
            # The instance row first, as every command locks it: a timer row locked first would
            # deadlock against a command that rewrites this instance's timers.
            if skip_locked and not _try_lock(session, ProcessInstance.id, timer.instance_id):
                return 0
            instance = self.executor.lock(session, timer.instance_id)
            timer = _reread(session, timer_id)
            if timer is None or instance.suspended:
                return 0
            workflow = self.executor.load(session, instance)
            due = session.scalars(select(Timer).where(Timer.instance_id == instance.id, Timer.due_at <= now)
                                  .order_by(Timer.due_at)).all()
            for fired in due:  # the engine step fires every due timer of the instance at once
                audit(session, instance.id, now, SYSTEM, "timer.fired", fired.element_id, fired.name,
                      fired.task_id, {"due_at": fired.due_at.isoformat()})
            self.executor.advance(session, instance, workflow, SYSTEM, now)
            return len(due)

    def _fire_start_timer(self, session: Session, timer_id: int, now: datetime, skip_locked: bool) -> bool:
        if skip_locked and not _try_lock(session, Timer.id, timer_id):
            return False
        timer = _reread(session, timer_id, lock=True)
        if timer is None or timer.due_at > now:
            return False
        trigger = session.get(StartTrigger, timer.start_trigger_id)
        definition = session.get(ProcessDefinition, trigger.definition_id)
        next_due = _next_start_due(trigger, timer, now)
        if next_due is None:
            session.delete(timer)
        else:
            timer.due_at = next_due
            timer.repeats_left = timer.repeats_left - 1 if timer.repeats_left and timer.repeats_left > 0 else -1
        self.runtime.create(session, definition, trigger.element_id, None, {}, SYSTEM,
                            how={"timer": trigger.timer_text})
        return True

    def timer_failed(self, timer_id: int, error: Exception, retry_at: datetime) -> None:
        """Firing raised something the engine did not expect: an open incident says so (once per
        element and message) and the timer waits until ``retry_at``, so a broken timer never spins."""
        now = self.executor.now()
        message = f"timer kon niet afgaan: {type(error).__name__}: {error}"[:4000]
        with self.executor.transaction() as session:
            timer = session.get(Timer, timer_id)
            if timer is None:
                return
            if timer.instance_id is not None:
                instance = self.executor.lock(session, timer.instance_id)
                timer = _reread(session, timer_id)
                if timer is None:
                    return
                self._open_incident(session, instance, timer, message, now)
            else:
                timer = _reread(session, timer_id, lock=True)
            timer.due_at = retry_at

    def _open_incident(self, session: Session, instance: ProcessInstance, timer: Timer, message: str,
                       now: datetime) -> None:
        known = session.execute(select(Incident.id).where(
            Incident.instance_id == instance.id, Incident.element_id == timer.element_id,
            Incident.message == message, Incident.resolved_at.is_(None))).first()
        if known is None:
            self.executor.record_incident(
                session, instance, EngineStepError(message, timer.element_id, timer.task_id), SYSTEM, now)
            instance.status = status(session, instance, completed=False)


def _firable(query, now: datetime | None):
    query = query.outerjoin(ProcessInstance, ProcessInstance.id == Timer.instance_id).where(
        or_(Timer.instance_id.is_(None), ProcessInstance.suspended.is_(False)))
    return query.where(Timer.due_at <= now) if now is not None else query


def _try_lock(session: Session, column, key) -> bool:
    """Lock one row unless another transaction holds it (SKIP LOCKED; SQLite holds the database already)."""
    query = select(column).where(column == key).with_for_update(skip_locked=True)
    return session.execute(query).first() is not None


def _reread(session: Session, timer_id: int, lock: bool = False) -> Timer | None:
    query = select(Timer).where(Timer.id == timer_id).execution_options(populate_existing=True)
    return session.execute(query.with_for_update() if lock else query).scalar_one_or_none()


def _next_start_due(trigger: StartTrigger, timer: Timer, now: datetime) -> datetime | None:
    """The next time a cycle start timer fires; runs missed while the engine was down fire once."""
    if trigger.timer_kind != "timeCycle" or timer.repeats_left in (0, 1):
        return None
    _, _, period = parse_cycle(trigger.timer_text, timer.due_at)
    due = add_duration(timer.due_at, period)
    while due <= now:
        due = add_duration(due, period)
    return due
