"""History cleanup as Camunda 7's ``HistoryService`` does it: an ended instance whose removal time (end
time + its process's ``historyTimeToLive``, set when it ended) has passed loses its runtime state, its
variables and its detailed history, in batches — each batch one command with one audit line — within
a nightly window. Several schedulers may run it at once: a batch takes its instances with
``FOR UPDATE SKIP LOCKED`` and clears their removal time, so each instance is cleaned exactly once.

What the institutional memory needs stays (§ 5.2.4 of the source report: the outcome is recorded and
kept): the instance row (key, business key, title, times, status), the rows a domain keeps beside it
(for GROS the dossier summary: outcome, theme) and the audit lines that record decisions and the
outcome — with the declared personal fields and the officials' names replaced by a marker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from engine.bpmn.timers import BUSINESS_ZONE
from engine.services.access import SYSTEM
from engine.services.executor import CommandExecutor, audit
from engine.services.personal import ERASED, definition_fields, mask
from engine.store.models import AuditEvent, HistoricTask, Incident, ProcessDefinition, ProcessInstance

BATCH = 500
# The lines that say what was decided and how the instance ended; every other line goes.
KEPT_ACTIONS = ("instance.started", "task.completed", "instance.completed")
CLEANED_ACTION = "history.cleaned"


@dataclass(frozen=True)
class Window:
    """A daily window on the business wall clock, e.g. 01:00-05:00 (may cross midnight)."""

    begins: time
    ends: time

    @classmethod
    def parse(cls, text: str) -> Window | None:
        """``HH:MM-HH:MM``; an empty text means no automatic cleanup (as in Camunda 7)."""
        if not text.strip():
            return None
        try:
            begins, ends = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError as error:
            raise ValueError(f"opruimvenster '{text}' is geen UU:MM-UU:MM, bv. 01:00-05:00") from error
        return cls(begins, ends)

    def end_after(self, moment: datetime) -> datetime | None:
        """The end of the window ``moment`` lies in, or None when it lies outside."""
        local = moment.astimezone(BUSINESS_ZONE)
        for day in (local.date() - timedelta(days=1), local.date()):
            start = datetime.combine(day, self.begins, BUSINESS_ZONE)
            end = datetime.combine(day + timedelta(days=self.ends <= self.begins), self.ends, BUSINESS_ZONE)
            if start <= local < end:
                return end
        return None


@dataclass(frozen=True)
class Due:
    instance_id: str
    business_key: str | None
    definition_key: str
    ended_at: datetime
    removal_at: datetime


class HistoryService:
    def __init__(self, executor: CommandExecutor) -> None:
        self.executor = executor

    def due(self, now: datetime | None = None, limit: int = 1000) -> list[Due]:
        """The ended instances whose removal time has passed, first due first (what a dry run shows)."""
        now = now or self.executor.now()
        with self.executor.db.reading() as session:
            rows = session.execute(_due(now, select(
                ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.definition_key,
                ProcessInstance.ended_at, ProcessInstance.removal_at)).order_by(ProcessInstance.removal_at)
                .limit(limit)).all()
        return [Due(*row) for row in rows]

    def count_due(self, now: datetime | None = None) -> int:
        with self.executor.db.reading() as session:
            return session.scalar(_due(now or self.executor.now(), select(func.count())))

    def clean(self, now: datetime | None = None, until: datetime | None = None, batch: int = BATCH) -> int:
        """Clean batch after batch until none is due or the clock passes ``until``; returns how many."""
        cleaned = 0
        while until is None or self.executor.now() < until:
            done = self.clean_batch(now, batch)
            cleaned += done
            if done < batch:
                break
        return cleaned

    def clean_in_window(self, window: Window | None, batch: int = BATCH) -> int:
        """The scheduler's nightly job: clean while the clock is inside ``window``."""
        until = window.end_after(self.executor.now()) if window else None
        return self.clean(until=until, batch=batch) if until else 0

    def clean_batch(self, now: datetime | None = None, batch: int = BATCH) -> int:
        """One command: take up to ``batch`` due instances no other node holds, and clean them."""
        now = now or self.executor.now()
        with self.executor.transaction() as session:
            taken = session.execute(_due(now, select(ProcessInstance.id, ProcessInstance.definition_id))
                                    .order_by(ProcessInstance.removal_at).limit(batch)
                                    .with_for_update(skip_locked=True)).all()
            if not taken:
                return 0
            ids = [instance_id for instance_id, _ in taken]
            self._strip(session, dict(taken))
            session.execute(delete(Incident).where(Incident.instance_id.in_(ids)))
            session.execute(delete(HistoricTask).where(HistoricTask.instance_id.in_(ids)))
            session.execute(update(ProcessInstance).where(ProcessInstance.id.in_(ids)).values(
                state="", removal_at=None, cleaned_at=now, started_by=None))
            audit(session, None, now, SYSTEM, CLEANED_ACTION, data={"instances": ids})
            return len(ids)

    def _strip(self, session: Session, definitions: dict[str, int]) -> None:
        """Drop the detailed history; keep the decision and outcome lines, without personal data."""
        ids = list(definitions)
        session.execute(delete(AuditEvent).where(AuditEvent.instance_id.in_(ids),
                                                 AuditEvent.action.not_in(KEPT_ACTIONS)))
        session.execute(update(AuditEvent).where(AuditEvent.instance_id.in_(ids),
                                                 AuditEvent.actor != SYSTEM.user).values(actor=ERASED))
        fields = {definition_id: definition_fields(session, session.get(ProcessDefinition, definition_id))
                  for definition_id in set(definitions.values())}
        kept = session.execute(select(AuditEvent.id, AuditEvent.instance_id, AuditEvent.data).where(
            AuditEvent.instance_id.in_(ids), AuditEvent.data.is_not(None))).all()
        for event_id, instance_id, data in kept:
            masked = mask(data, fields[definitions[instance_id]])
            if masked != data:
                session.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(data=masked))


def _due(now: datetime, query):
    return query.select_from(ProcessInstance).where(ProcessInstance.removal_at <= now)
