"""The one door's mechanism. Every service command runs inside ``CommandExecutor.transaction()``: one
database transaction in which it locks the instance, loads it, acts, runs engine steps, saves the state,
rewrites the derived rows and appends audit events; the listeners then see the events before commit.
Nothing else writes workflow state, so a guarantee added here (a lock, an audit row) holds everywhere."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, inspect, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from engine import derived
from engine.bpmn.definitions import Source, bundle
from engine.bpmn.retention import removal_time
from engine.bpmn.runtime import EngineStepError, ProcessBundle, Workflow
from engine.clock import Clock
from engine.derived import Change, Rows
from engine.errors import Conflict, NotFound
from engine.forms import FormDefinition
from engine.services.access import SYSTEM, Actor, Roles
from engine.services.called import DeployedCalls
from engine.store.db import Batch, Database
from engine.store.models import AuditEvent, HumanTask, Incident, ProcessDefinition, ProcessInstance, Resource


@dataclass(slots=True)
class AuditRecord:
    """An audit event a command queued: what the event listeners read, and what its audit_event row holds.
    Not an ORM object: it is written by the command's own INSERT, never through the session."""

    instance_id: str | None
    at: datetime
    actor: str | None
    action: str
    element_id: str | None = None
    element_name: str | None = None
    task_id: str | None = None
    data: dict | None = None


EventListener = Callable[[Session, list[AuditRecord]], None]
# Called while an instance is saved, before its derived rows are rewritten: the place for a domain to
# keep its own rows (a summary, a title) in step with the workflow, in the command's transaction.
SaveListener = Callable[[Session, ProcessInstance, Workflow, datetime], None]
# The groups a domain grants a user beside their account's own (a dossier's working group, say): asked
# whenever an account becomes an actor, so a model's ``${group}`` expression can name such a group.
GroupSource = Callable[[Session, str], Iterable[str]]


@dataclass(frozen=True)
class SaveListening:
    """A save listener and what it reads: the variables ``reads`` names, and the processes the instance's
    tokens stand in (hence its phase and its end). It runs only when one of those changed, or when what was
    stored before is not known; without ``reads`` it runs on every save."""

    listener: SaveListener
    reads: Callable[[str], bool] | None = None

    def concerned(self, change: Change | None) -> bool:
        if change is None or self.reads is None or change.processes:
            return True
        return any(self.reads(name) for name in change.variables)


class CommandExecutor:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.roles = Roles()  # which groups oversee and administer: the composition root says
        self.event_listeners: list[EventListener] = []
        self.save_listeners: list[SaveListening] = []
        self.group_sources: list[GroupSource] = []
        self._bundles: dict[int, ProcessBundle] = {}
        self._definitions: dict[int, ProcessDefinition] = {}
        self.forms: dict[int, FormDefinition] = {}  # parsed Camunda Forms by resource id
        self.newest_versions: dict[str, int] = {}  # the newest version's id by key, as last read (RuntimeService.start)
        self._live = LiveWorkflows()

    def with_clock(self, clock: Clock) -> CommandExecutor:
        """The same executor — database, listeners, caches — acting at the time ``clock`` tells."""
        other = copy.copy(self)
        other.clock = clock
        return other

    def now(self) -> datetime:
        return self.clock.now()

    def forget_live(self) -> None:
        """Drop the workflows kept in memory, as a restart would: the next commands load from the database."""
        self._live = LiveWorkflows(self._live.size)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A command's transaction: audit events are written with each save's batch and, those queued after
        it, before commit; the workflows it saved stay in memory only once the commit succeeded."""
        with self.db.transaction() as session:
            session.info["audit"], session.info["saved"], session.info["derived"] = [], [], {}
            session.info[AUDIT_WRITTEN] = 0
            yield session
            events = session.info["audit"]
            if events:
                session.flush()
                batch = Batch(session.connection())
                _queue_audit(session, batch)
                batch.send()
                for listener in self.event_listeners:
                    listener(session, events)
        for instance_id, revision, workflow, rows in session.info["saved"]:
            workflow.release_calls()
            self._live.keep(instance_id, revision, workflow, rows)

    # --- the shared steps of every command -------------------------------------------------------
    def lock(self, session: Session, instance_id: str) -> ProcessInstance:
        instance = session.execute(
            select(ProcessInstance).where(ProcessInstance.id == instance_id)
            .with_for_update().execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if instance is None:
            raise NotFound(f"instantie {instance_id} bestaat niet")
        return instance

    def load(self, session: Session, instance: ProcessInstance) -> Workflow:
        """The instance's workflow: from memory when this process saved its current revision, else
        deserialized. A command that fails drops it (it may be half-changed) — the database wins."""
        check_active(instance)
        live = self._live.take(instance.id, instance.revision)
        if live is None:
            return self.load_state(session, instance)
        workflow, session.info["derived"][instance.id] = live
        workflow.inner.called_processes = self.calls(session)  # a call it starts reads in this session
        return workflow

    def task_instance(self, task_id: str) -> str | None:
        """The instance of a task this process saved recently: a hint that spares a lookup, which the
        lock and ``held_task`` then confirm."""
        return self._live.instance_of(task_id)

    def held_task(self, instance: ProcessInstance, task_id: str) -> HumanTask | None:
        """A locked instance's task row as this process wrote it, when its copy is current: the row
        without reading it back. None when the copy is not current or the task no longer waits."""
        values = self._live.task_values(instance.id, instance.revision, task_id)
        return derived.unsaved(HumanTask, values) if values is not None else None

    def load_state(self, session: Session, instance: ProcessInstance) -> Workflow:
        definition = self.definition(session, instance.definition_id)
        return Workflow.load(self.bundle(session, definition), instance.state, self.calls(session))

    def calls(self, session: Session) -> DeployedCalls:
        """The processes a call activity may choose when it starts, read in ``session``."""
        return DeployedCalls(session, lambda called_id: self.bundle(session, self.definition(session, called_id)))

    def definition(self, session: Session, definition_id: int) -> ProcessDefinition:
        """Definition versions never change once stored, so each is read once per process."""
        if definition_id not in self._definitions:
            definition = session.get(ProcessDefinition, definition_id)
            session.expunge(definition)
            self._definitions[definition_id] = definition
        return self._definitions[definition_id]

    def bundle(self, session: Session, definition: ProcessDefinition) -> ProcessBundle:
        if definition.id not in self._bundles:
            resources = session.scalars(select(Resource).where(Resource.id.in_(definition.resource_ids)))
            sources = [Source(r.name, r.kind, r.content) for r in resources]
            self._bundles[definition.id] = bundle(definition.key, sources)
        return self._bundles[definition.id]

    def advance(self, session, instance, workflow: Workflow, actor: Actor, now: datetime) -> list[HumanTask]:
        """Run engine steps; a failing element becomes an incident, saved with the state before it."""
        try:
            workflow.run(now)
        except EngineStepError as error:
            self.record_incident(session, instance, error, actor, now)
        return self.save(session, instance, workflow, now)

    def record_incident(self, session, instance, error: EngineStepError, actor: Actor, now) -> None:
        session.add(Incident(instance_id=instance.id, element_id=error.element_id, task_id=error.task_id,
                             message=str(error), created_at=now))
        session.info["incident"] = True
        audit(session, instance.id, now, actor, "incident.created", error.element_id, None, error.task_id,
              {"message": str(error)})

    def save(self, session, instance: ProcessInstance, workflow: Workflow, now: datetime) -> list[HumanTask]:
        """Derive the rows, then write the state: deriving settles a new task's default assignee in
        the workflow, which the saved state must contain. Returns the ready tasks."""
        _audit_steps(session, instance.id, now, workflow)
        instance.updated_at = now
        instance.waiting_at = workflow.waiting_at()
        known = self._known_rows(session, instance, workflow.completed)
        variables, positions = derived.variable_rows(workflow.data), derived.position_keys(workflow)
        change = derived.change(known, variables, positions) if known is not None else None
        listeners = [listening.listener for listening in self.save_listeners if listening.concerned(change)]
        if inspect(instance).transient and (listeners or session.new or workflow.timers() or workflow.messages()):
            _store_new(session, instance)  # they write rows that refer to it before the batch is sent
        for listener in listeners:
            listener(session, instance, workflow, now)
        ready, batch = [], Batch(session.connection())
        if workflow.completed:
            instance.ended_at = now
            instance.removal_at = removal_time(now, self.definition(session, instance.definition_id).history_ttl)
            derived.clear(session, batch, instance.id, known, now)
            audit(session, instance.id, now, SYSTEM, "instance.completed")
            rows = Rows()
        else:
            ready, rows = derived.rewrite(session, batch, instance, workflow, now, known, variables, positions)
        session.info["derived"][instance.id] = rows  # a second save in this command starts from these
        instance.state = workflow.dump()
        instance.revision += 1
        instance.status = status(session, instance, workflow.completed)
        new = inspect(instance).transient
        if new:  # the instance's INSERT, with its final values, goes before the rows that refer to it
            batch.execute(_INSERT_INSTANCE, _values(instance), first=True)
        else:
            _queue_changes(batch, instance)
        _queue_audit(session, batch)
        batch.send()  # the derived rows, the state and the audit so far (PostgreSQL: with the next round trip)
        # A new instance stored by the batch stays out of the session: its command holds only its id, and a later
        # query in the same transaction reads the row (attaching it cost ~20 µs a start).
        session.info["saved"].append((instance.id, instance.revision, workflow, rows))
        return ready

    def _known_rows(self, session, instance: ProcessInstance, completed: bool) -> Rows | None:
        """The derived rows stored before this save: none for a new instance, those kept beside the live
        workflow, else read back — except for an instance that ends, whose rows all go anyway (None)."""
        known = session.info["derived"].pop(instance.id, None)
        if instance.revision == 0:
            return Rows()
        if known is None and not completed:
            return derived.stored(session, instance.id)
        return known


def ready_tasks(session: Session) -> list[HumanTask]:
    """The user tasks waiting in the instances this command saved, as each one's last save left them (an
    event listener's question: it need not read back the rows the command just wrote)."""
    last = {instance_id: rows for instance_id, _, _, rows in session.info["saved"]}
    return [derived.unsaved(HumanTask, values) for rows in last.values() for values in rows.tasks.values()]


def check_active(instance: ProcessInstance) -> None:
    if instance.suspended:
        raise Conflict(f"instantie {instance.id} is geschorst")
    if instance.status == "completed":
        raise Conflict(f"instantie {instance.id} is afgerond")


def status(session: Session, instance: ProcessInstance, completed: bool) -> str:
    if completed:
        return "completed"
    if instance.suspended:
        return "suspended"
    if instance.status == "running" and not session.info.get("incident"):
        return "running"
    open_incident = session.execute(select(Incident.id).where(
        Incident.instance_id == instance.id, Incident.resolved_at.is_(None)).limit(1)).first()
    return "incident" if open_incident else "running"


def audit(session, instance_id, at, actor: Actor, action, element_id=None, element_name=None, task_id=None,
          data=None) -> None:
    """Queue an audit event; the instance's next save or the command's commit writes it."""
    event = AuditRecord(instance_id, at, actor.user, action, element_id, element_name, task_id, data)
    session.info.setdefault("audit", []).append(event)


AUDIT_COLUMNS = AuditRecord.__slots__
AUDIT_WRITTEN = "audit_written"  # session.info: how many of the queued audit events are written already
_INSERT_AUDIT = insert(AuditEvent.__table__).inline()


def _queue_audit(session: Session, batch: Batch) -> None:
    """Queue in ``batch`` the audit events not written yet (all are kept for the event listeners)."""
    events = session.info["audit"][session.info[AUDIT_WRITTEN]:]
    if events:
        batch.execute(_INSERT_AUDIT, [{name: getattr(event, name) for name in AUDIT_COLUMNS} for event in events])
        session.info[AUDIT_WRITTEN] += len(events)


_INSERT_INSTANCE = insert(ProcessInstance.__table__).inline()
_INSTANCE_COLUMNS = tuple(column.key for column in ProcessInstance.__mapper__.column_attrs)
_UPDATE_INSTANCE = update(ProcessInstance.__table__).where(ProcessInstance.__table__.c.id == bindparam("instance_key"))


def _values(instance: ProcessInstance) -> dict:
    return {name: getattr(instance, name) for name in _INSTANCE_COLUMNS}


def _store_new(session: Session, instance: ProcessInstance) -> None:
    """INSERT a new instance as it is now (its first save will UPDATE it), for rows that refer to it."""
    session.connection().execute(_INSERT_INSTANCE, _values(instance))
    make_transient_to_detached(instance)  # in the session as if it had been read: its save UPDATEs it
    session.add(instance)


def _queue_changes(batch: Batch, instance: ProcessInstance) -> None:
    """Queue the UPDATE of the (stored) instance's changed columns in ``batch`` instead of leaving it to
    the session's flush, and tell the session they are stored: a flush would send it alone."""
    changed = {attribute.key: attribute.value for attribute in inspect(instance).attrs
               if attribute.history.has_changes()}
    if changed:  # one statement for every save: compiled once per set of changed columns (engine.store.db)
        batch.execute(_UPDATE_INSTANCE, {**changed, "instance_key": instance.id})
        for name, value in changed.items():
            set_committed_value(instance, name, value)


def _audit_steps(session, instance_id: str, now: datetime, workflow: Workflow) -> None:
    for step in workflow.steps:
        if step.kind != "UserTask":
            decided = {"variables": step.decided} if step.decided else {}
            chosen = {"processDefinitionId": step.definition_id} if step.definition_id else {}
            audit(session, instance_id, now, SYSTEM, "element.completed", step.element_id, step.name,
                  data={"type": step.kind, "process": step.process_key, **chosen, **decided})
        for message in step.sent:
            audit(session, instance_id, now, SYSTEM, "message.sent", step.element_id, step.name,
                  data={"message": message})
    workflow.steps.clear()


class LiveWorkflows:
    """Recently saved workflows by instance and revision, with the derived rows saved beside them, so the
    next command on a busy dossier skips deserializing it and reading those rows back. Taking one removes
    it: a failed command can never leave a dirty copy."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[str, tuple[int, Workflow, Rows]] = OrderedDict()
        self._task_instances: dict[str, str] = {}
        self._lock = threading.Lock()

    def keep(self, instance_id: str, revision: int, workflow: Workflow, rows: Rows) -> None:
        with self._lock:
            dropped = [self._forget(instance_id)]
            self._items[instance_id] = (revision, workflow, rows)
            self._task_instances.update(dict.fromkeys(rows.tasks, instance_id))
            while len(self._items) > self.size:
                dropped.append(self._forget(next(iter(self._items))))
        for held in dropped:  # no command holds a kept workflow: one taking it removes it first
            if held is not None and held[1] is not workflow:
                held[1].take_apart()

    def take(self, instance_id: str, revision: int) -> tuple[Workflow, Rows] | None:
        with self._lock:
            held = self._forget(instance_id)
        return (held[1], held[2]) if held is not None and held[0] == revision else None

    def instance_of(self, task_id: str) -> str | None:
        return self._task_instances.get(task_id)

    def task_values(self, instance_id: str, revision: int, task_id: str) -> dict | None:
        with self._lock:
            held = self._items.get(instance_id)
        return held[2].tasks.get(task_id) if held is not None and held[0] == revision else None

    def _forget(self, instance_id: str) -> tuple[int, Workflow, Rows] | None:
        held = self._items.pop(instance_id, None)
        for task_id in held[2].tasks if held is not None else ():
            self._task_instances.pop(task_id, None)
        return held
