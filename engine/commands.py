"""The one door. Every change to workflow state — from the inbox, a webhook, the scheduler, the CLI —
is one of these commands, and each command is one transaction: lock the instance, load it, act, run
engine steps, save, rewrite the derived rows, append audit events."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import and_, exists, func, insert, or_, select
from sqlalchemy.orm import Session

from engine import index
from engine.bpmn.definitions import DeployError, Source, bundle, compile_sources, kind_of
from engine.bpmn.runtime import EngineStepError, ProcessBundle, TaskStateError, Workflow
from engine.bpmn.timers import add_duration, first_due, parse_cycle
from engine.clock import Clock, SystemClock
from engine.errors import Conflict, DeployRefused, Forbidden, InvalidData, NoMatch, NotFound
from engine.forms import FormDefinition, form_from_form_data, load_camunda_form, validate_submission
from engine.store.db import Database, database_url
from engine.store.models import (
    AuditEvent,
    Deployment,
    HumanTask,
    Incident,
    Position,
    ProcessDefinition,
    ProcessInstance,
    Resource,
    StartTrigger,
    Subscription,
    SubscriptionValue,
    TaskCandidate,
    Timer,
)


def _check_text(value, what: str, limit: int | None = None) -> None:
    """Refuse what PostgreSQL cannot store (NUL) or a column cannot hold, with a clear message."""
    if isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, what)
            _check_text(item, what)
    elif isinstance(value, list):
        for item in value:
            _check_text(item, what)
    elif isinstance(value, str):
        if "\x00" in value:
            raise InvalidData(f"{what} bevatten een NUL-teken", [])
        if limit is not None and len(value) > limit:
            raise InvalidData(f"{what} is langer dan {limit} tekens", [])


@dataclass(frozen=True)
class Actor:
    """Who gives a command: a person with their groups, or the engine itself."""

    user: str
    groups: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _check_text(self.user, "de gebruikersnaam", 100)

    @classmethod
    def of(cls, user: str, groups: Iterable[str] = ()) -> Actor:
        return cls(user, frozenset(g.strip() for g in groups if g.strip()))


SYSTEM = Actor("systeem")


@dataclass(frozen=True)
class DeployedDefinition:
    id: int
    key: str
    version: int
    changed: bool


@dataclass(frozen=True)
class Completion:
    instance_id: str
    status: str
    next_task_ids: list[str]


class Engine:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self._bundles: dict[int, ProcessBundle] = {}
        self._definitions: dict[int, ProcessDefinition] = {}
        self._forms: dict[int, FormDefinition] = {}
        self._listeners: list[Callable[[Session, list[AuditEvent]], None]] = []
        self._live = LiveWorkflows()

    def on_events(self, listener: Callable[[Session, list[AuditEvent]], None]) -> None:
        """Call ``listener`` inside every command's transaction with the audit events it appended,
        just before commit — an outbox written here commits or rolls back with the change."""
        self._listeners.append(listener)

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A command's transaction: audit events are written in one batch before commit, and the
        workflows it saved stay in memory only once the commit succeeded."""
        with self.db.transaction() as session:
            session.info["audit"], session.info["saved"] = [], []
            yield session
            events = session.info["audit"]
            if events:
                session.flush()
                _insert_audit(session, events)
                for listener in self._listeners:
                    listener(session, events)
        for instance_id, revision, workflow in session.info["saved"]:
            self._live.keep(instance_id, revision, workflow)

    @classmethod
    def open(cls, url: str | None = None, clock: Clock | None = None) -> Engine:
        db = Database(url or database_url())
        db.migrate()
        engine = cls(db, clock)
        # Whoever opens the engine (web app, scheduler, CLI), its commands write the outbound-webhook
        # outbox and record the inbound webhook they apply, in their own transaction.
        from webhooks.listener import on_events

        engine.on_events(on_events)
        return engine

    def now(self) -> datetime:
        return self.clock.now()

    def with_clock(self, clock: Clock) -> Engine:
        """This engine — same database, listeners and caches — acting at the time ``clock`` tells."""
        other = copy.copy(self)
        other.clock = clock
        return other

    # --- deploy ----------------------------------------------------------------------------------
    def deploy(self, paths: Iterable[str | Path], actor: Actor = SYSTEM, name: str = "") -> list[DeployedDefinition]:
        """Deploy .bpmn, .dmn and .form files (folders are searched); unchanged files change nothing."""
        return self.deploy_sources(read_sources(paths), actor, name or "deployment")

    def deploy_sources(self, files: dict[str, str], actor: Actor = SYSTEM, name: str = "deployment"):
        sources = {n: Source(n, kind_of(n) or "", text) for n, text in files.items()}
        unknown = [n for n, s in sources.items() if not s.kind]
        if unknown:
            raise DeployRefused([f"{n}: only .bpmn, .dmn and .form files can be deployed" for n in unknown])
        now = self.now()
        with self._transaction() as session:
            latest = _latest_resources(session)
            changed = [n for n, s in sources.items() if n not in latest or latest[n].content_hash != s.content_hash]
            if not changed:
                return _current_definitions(session, sources)
            universe = {n: Source(r.name, r.kind, r.content) for n, r in latest.items()} | sources
            try:
                compiled = compile_sources(universe, changed)
            except DeployError as error:
                raise DeployRefused(error.problems) from error
            deployment = Deployment(name=name, deployed_at=now, deployed_by=actor.user)
            session.add(deployment)
            session.flush()
            ids = {n: r.id for n, r in latest.items()}
            ids |= {n: _store_resource(session, deployment.id, sources[n]).id for n in changed}
            result = [self._store_definition(session, deployment.id, c, ids, now) for c in compiled]
            _audit(session, None, now, actor, "deployment.created", data={"files": changed, "name": name})
            return result

    def _store_definition(self, session, deployment_id, compiled, resource_ids, now) -> DeployedDefinition:
        latest = _latest_definition(session, compiled.key)
        if latest is not None and latest.content_hash == compiled.content_hash:
            return DeployedDefinition(latest.id, latest.key, latest.version, False)
        definition = ProcessDefinition(
            key=compiled.key, version=(latest.version + 1) if latest else 1, name=compiled.name,
            content_hash=compiled.content_hash, deployment_id=deployment_id, source=compiled.source,
            resource_ids=[resource_ids[n] for n in compiled.needs], history_ttl=compiled.history_ttl,
            version_tag=compiled.version_tag, none_start=compiled.none_start, deployed_at=now,
        )
        session.add(definition)
        session.flush()
        self._replace_start_triggers(session, definition, compiled, now)
        return DeployedDefinition(definition.id, definition.key, definition.version, True)

    def _replace_start_triggers(self, session, definition, compiled, now) -> None:
        old = select(StartTrigger.id).where(StartTrigger.definition_key == definition.key)
        session.query(Timer).filter(Timer.start_trigger_id.in_(old)).delete(synchronize_session=False)
        session.query(StartTrigger).filter(StartTrigger.definition_key == definition.key).delete()
        for element_id, message in compiled.message_starts:
            session.add(StartTrigger(definition_id=definition.id, definition_key=definition.key,
                                     element_id=element_id, message_name=message))
        for element_id, kind, text in compiled.timer_starts:
            trigger = StartTrigger(definition_id=definition.id, definition_key=definition.key,
                                   element_id=element_id, timer_kind=kind, timer_text=text)
            session.add(trigger)
            session.flush()
            due, repeats = first_due(kind, text, now)
            session.add(Timer(start_trigger_id=trigger.id, element_id=element_id, name=text,
                              due_at=due, repeats_left=repeats))

    # --- start -----------------------------------------------------------------------------------
    def start(self, key: str, business_key: str | None = None, variables: dict | None = None,
              actor: Actor = SYSTEM) -> str:
        """Start the latest version of ``key`` at its none start event."""
        with self._transaction() as session:
            definition = _latest_definition(session, key)
            if definition is None:
                raise NotFound(f"process '{key}' is not deployed")
            if not definition.none_start:
                raise Conflict(f"process '{key}' has no plain start event; it starts by message or timer")
            return self._create(session, definition, None, business_key, variables or {}, actor)

    def start_by_message(self, message_name: str, variables: dict | None = None,
                         business_key: str | None = None, actor: Actor = SYSTEM) -> str:
        with self._transaction() as session:
            trigger = _message_start(session, message_name)
            if trigger is None:
                raise NotFound(f"no deployed process starts with message '{message_name}'")
            definition = session.get(ProcessDefinition, trigger.definition_id)
            return self._create(session, definition, trigger.element_id, business_key, variables or {}, actor,
                                how={"message": message_name})

    def _create(self, session, definition, start_element, business_key, variables, actor, how=None) -> str:
        now = self.now()
        _check_variables(variables)
        _check_text(business_key, "de businessKey", 200)
        workflow = Workflow.create(self._bundle(session, definition), variables, start_element, now)
        instance = ProcessInstance(
            id=str(uuid.uuid4()), definition_id=definition.id, definition_key=definition.key,
            business_key=business_key, title=_title(variables, business_key), status="running",
            suspended=False, waiting_at=[], state="", revision=0, started_at=now, started_by=actor.user,
            updated_at=now,
        )
        session.add(instance)
        session.flush()
        _audit(session, instance.id, now, actor, "instance.started",
               data={"variables": variables, "version": definition.version, **(how or {})})
        self._advance(session, instance, workflow, actor, now)
        return instance.id

    # --- people's tasks --------------------------------------------------------------------------
    def claim(self, task_id: str, actor: Actor) -> None:
        self._assign(task_id, actor, actor.user, "task.claimed")

    def unclaim(self, task_id: str, actor: Actor) -> None:
        self._assign(task_id, actor, None, "task.unclaimed")

    def assign(self, task_id: str, actor: Actor, to: Actor) -> None:
        """Hand a task over to a colleague who is a candidate too."""
        self._assign(task_id, actor, to.user, "task.assigned", to=to)

    def _assign(self, task_id, actor, user, action, to: Actor | None = None) -> None:
        now = self.now()
        with self._transaction() as session:
            instance, task = self._locked_task(session, task_id)
            claimed_by_other = task.assignee and task.assignee != actor.user
            if action == "task.claimed" and claimed_by_other and _is_candidate(task, actor):
                raise Conflict(f"taak is al geclaimd door {task.assignee}")
            _authorize(task, actor, allow_claimed=action != "task.claimed")
            if to is not None and not _is_candidate(task, to):
                raise Forbidden(f"{to.user} is geen kandidaat voor deze taak")
            workflow = self._load(session, instance)
            workflow.set_assignee(task_id, user)
            _audit(session, instance.id, now, actor, action, task.element_id, task.name, task_id,
                   {"assignee": user} if user else None)
            self._save(session, instance, workflow, now)

    def complete(self, task_id: str, actor: Actor, variables: dict | None = None) -> Completion:
        """Complete a READY user task for a candidate or its assignee, after the form's own rules."""
        now = self.now()
        with self._transaction() as session:
            instance, task = self._locked_task(session, task_id)
            _authorize(task, actor, allow_claimed=False)
            workflow = self._load(session, instance)
            data = self._validated(session, instance, task, variables or {}, workflow.task_data(task_id))
            try:
                workflow.complete_user_task(task_id, data, now)
            except TaskStateError as error:
                raise Conflict(str(error)) from error
            _audit(session, instance.id, now, actor, "task.completed", task.element_id, task.name, task_id, data)
            ready = self._advance(session, instance, workflow, actor, now)
            next_ids = [t.id for t in ready if t.assignee == actor.user or (not t.assignee and _is_candidate(t, actor))]
            return Completion(instance.id, instance.status, next_ids)

    def _locked_task(self, session: Session, task_id: str) -> tuple[ProcessInstance, HumanTask]:
        instance_id = session.execute(select(HumanTask.instance_id).where(HumanTask.id == task_id)).scalar()
        if instance_id is None:
            _explain_missing_task(session, task_id)
        instance = self._lock(session, instance_id)
        task = session.execute(
            select(HumanTask).where(HumanTask.id == task_id).execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if task is None:
            _explain_missing_task(session, task_id)
        return instance, task

    def _validated(self, session, instance, task, variables: dict, shown: dict) -> dict:
        form = self._form_of(session, instance, task)
        if form is None:
            _check_variables(variables)
            return variables
        _check_text(variables, "gegevens")
        clean, errors = validate_submission(form, variables, current=shown)
        if errors:
            raise InvalidData(f"{len(errors)} veld(en) ongeldig in '{task.name}'", errors)
        return clean

    def form(self, task_id: str) -> FormDefinition | None:
        """The form a task shows (for pages that render it), or None."""
        with self.db.reading() as session:
            task = session.get(HumanTask, task_id)
            if task is None:
                raise NotFound(f"taak {task_id} bestaat niet of wacht niet meer")
            return self._form_of(session, session.get(ProcessInstance, task.instance_id), task)

    def deployed_forms(self) -> dict[str, FormDefinition]:
        """The newest deployed version of every Camunda Form by form id: start pages and field labels."""
        with self.db.reading() as session:
            newest = select(func.max(Resource.id)).where(Resource.kind == "form").group_by(Resource.name)
            ids = dict(session.execute(select(Resource.id, Resource.form_id).where(Resource.id.in_(newest))).all())
            for resource in session.scalars(select(Resource).where(Resource.id.in_(set(ids) - set(self._forms)))):
                self._forms[resource.id] = load_camunda_form(resource.content, resource.name)
        return {form_id: self._forms[resource_id] for resource_id, form_id in ids.items()}

    def _form_of(self, session, instance, task) -> FormDefinition | None:
        if task.form_ref:
            return self._camunda_form(session, instance.definition_id, task.form_ref)
        if task.form_data:
            return form_from_form_data(task.form_data)
        return None

    def _camunda_form(self, session, definition_id: int, ref: str) -> FormDefinition:
        definition = session.get(ProcessDefinition, definition_id)
        resource = session.scalars(
            select(Resource).where(Resource.id.in_(definition.resource_ids), Resource.kind == "form",
                                   (Resource.form_id == ref) | (Resource.name == ref))
        ).first()
        if resource is None:
            raise NotFound(f"form '{ref}' not found")
        if resource.id not in self._forms:
            self._forms[resource.id] = load_camunda_form(resource.content, resource.name)
        return self._forms[resource.id]

    # --- messages --------------------------------------------------------------------------------
    def correlate(self, message_name: str, business_key: str | None = None, correlation: dict | None = None,
                  variables: dict | None = None, actor: Actor = SYSTEM) -> str:
        """Deliver a message to the one instance waiting for it; start one if a process starts with it."""
        variables = variables or {}
        _check_variables(variables)
        now = self.now()
        with self._transaction() as session:
            matches = _subscriptions(session, message_name, business_key, correlation or {})
            if not matches:
                if _message_start(session, message_name) is not None and not correlation:
                    trigger = _message_start(session, message_name)
                    definition = session.get(ProcessDefinition, trigger.definition_id)
                    return self._create(session, definition, trigger.element_id, business_key, variables, actor,
                                        how={"message": message_name})
                raise NoMatch(_no_match(message_name, business_key, correlation))
            if len(matches) > 1:
                raise NoMatch(f"{len(matches)} wachtende instanties passen bij bericht '{message_name}'; "
                              "geef een businessKey of correlatiesleutels die er precies één aanwijzen")
            _, instance_id, task_id = matches[0]
            instance = self._lock(session, instance_id)
            still_waiting = select(Subscription.id).where(
                Subscription.instance_id == instance_id, Subscription.task_id == task_id,
                Subscription.message_name == message_name)
            if session.execute(still_waiting).first() is None:
                raise NoMatch(f"instantie {instance_id} wacht niet meer op bericht '{message_name}'")
            self._check_active(instance)
            workflow = self._load(session, instance)
            workflow.deliver_message(task_id, message_name, variables, now)
            _audit(session, instance.id, now, actor, "message.correlated", None, message_name, task_id,
                   {"message": message_name, "variables": variables})
            self._advance(session, instance, workflow, actor, now)
            return instance.id

    # --- timers ----------------------------------------------------------------------------------
    def due_timers(self, now: datetime | None = None, limit: int = 1000) -> list[int]:
        """Due timers, oldest first; a suspended instance's timers wait for its resume."""
        now = now or self.now()
        with self.db.reading() as session:
            return list(session.scalars(_firable(select(Timer.id), now).order_by(Timer.due_at).limit(limit)))

    def next_timer_due(self) -> datetime | None:
        with self.db.reading() as session:
            return session.scalar(_firable(select(func.min(Timer.due_at)), None))

    def fire_due_timers(self, now: datetime | None = None) -> int:
        """Fire every timer due at ``now`` (the engine's clock by default), each in its own transaction."""
        now = now or self.now()
        return sum(self.fire_timer(timer_id, now) for timer_id in self.due_timers(now))

    def fire_timer(self, timer_id: int, now: datetime | None = None, skip_locked: bool = False) -> int:
        """Fire a due timer and any other due timer of its instance; returns how many fired. 0 when it
        is gone (fired elsewhere), not due, suspended, or — with ``skip_locked`` — held by another
        transaction right now (a scheduler on another node)."""
        now = now or self.now()
        with self._transaction() as session:
            timer = session.get(Timer, timer_id)
            if timer is None or timer.due_at > now:
                return 0
            if timer.start_trigger_id is not None:
                return int(self._fire_start_timer(session, timer_id, now, skip_locked))
            # The instance row first, as every command locks it: a timer row locked first would
            # deadlock against a command that rewrites this instance's timers.
            if skip_locked and not _try_lock(session, ProcessInstance.id, timer.instance_id):
                return 0
            instance = self._lock(session, timer.instance_id)
            timer = _reread(session, timer_id)
            if timer is None or instance.suspended:
                return 0
            workflow = self._load(session, instance)
            due = session.scalars(select(Timer).where(Timer.instance_id == instance.id, Timer.due_at <= now)
                                  .order_by(Timer.due_at)).all()
            for fired in due:  # the engine step fires every due timer of the instance at once
                _audit(session, instance.id, now, SYSTEM, "timer.fired", fired.element_id, fired.name,
                       fired.task_id, {"due_at": fired.due_at.isoformat()})
            self._advance(session, instance, workflow, SYSTEM, now)
            return len(due)

    def _fire_start_timer(self, session, timer_id: int, now: datetime, skip_locked: bool) -> bool:
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
        self._create(session, definition, trigger.element_id, None, {}, SYSTEM, how={"timer": trigger.timer_text})
        return True

    def timer_failed(self, timer_id: int, error: Exception, retry_at: datetime) -> None:
        """Firing raised something the engine did not expect: an open incident says so (once per
        element and message) and the timer waits until ``retry_at``, so a broken timer never spins."""
        now = self.now()
        message = f"timer kon niet afgaan: {type(error).__name__}: {error}"[:4000]
        with self._transaction() as session:
            timer = session.get(Timer, timer_id)
            if timer is None:
                return
            if timer.instance_id is not None:
                instance = self._lock(session, timer.instance_id)
                timer = _reread(session, timer_id)
                if timer is None:
                    return
                self._open_incident(session, instance, timer, message, now)
            else:
                timer = _reread(session, timer_id, lock=True)
            timer.due_at = retry_at

    def _open_incident(self, session, instance: ProcessInstance, timer: Timer, message: str, now) -> None:
        known = session.execute(select(Incident.id).where(
            Incident.instance_id == instance.id, Incident.element_id == timer.element_id,
            Incident.message == message, Incident.resolved_at.is_(None))).first()
        if known is None:
            self._record_incident(session, instance, EngineStepError(message, timer.element_id, timer.task_id),
                                  SYSTEM, now)
            instance.status = _status(session, instance, completed=False)

    # --- operators -------------------------------------------------------------------------------
    def set_variables(self, instance_id: str, actor: Actor, variables: dict) -> None:
        _check_variables(variables)
        now = self.now()
        with self._transaction() as session:
            instance = self._lock(session, instance_id)
            workflow = self._load(session, instance)
            workflow.set_variables(variables)
            _audit(session, instance.id, now, actor, "variables.set", data=variables)
            self._save(session, instance, workflow, now)

    def retry_incident(self, incident_id: int, actor: Actor, variables: dict | None = None) -> str:
        """Run the failed element again after a fix; the incident closes if it succeeds."""
        now = self.now()
        with self._transaction() as session:
            incident = session.get(Incident, incident_id)
            if incident is None or incident.resolved_at is not None:
                raise NotFound(f"geen open incident {incident_id}")
            instance = self._lock(session, incident.instance_id)
            workflow = self._load(session, instance)
            incident.resolved_at, incident.resolved_by = now, actor.user
            _audit(session, instance.id, now, actor, "incident.retried", incident.element_id, None,
                   incident.task_id, {"incident": incident_id, "variables": variables or {}})
            try:
                workflow.retry(variables or {}, now)
            except EngineStepError as error:
                self._record_incident(session, instance, error, actor, now)
            self._advance(session, instance, workflow, actor, now)
            return instance.status

    def suspend(self, instance_id: str, actor: Actor) -> None:
        self._set_suspended(instance_id, actor, True)

    def resume(self, instance_id: str, actor: Actor) -> None:
        self._set_suspended(instance_id, actor, False)

    def _set_suspended(self, instance_id: str, actor: Actor, suspended: bool) -> None:
        now = self.now()
        with self._transaction() as session:
            instance = self._lock(session, instance_id)
            if instance.status == "completed":
                raise Conflict("een afgeronde instantie kan niet worden geschorst of hervat")
            instance.suspended = suspended
            instance.status = _status(session, instance, completed=False)
            instance.updated_at = now
            _audit(session, instance.id, now, actor, "instance.suspended" if suspended else "instance.resumed")

    # --- the shared steps of every command -------------------------------------------------------
    def _lock(self, session: Session, instance_id: str) -> ProcessInstance:
        instance = session.execute(
            select(ProcessInstance).where(ProcessInstance.id == instance_id)
            .with_for_update().execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if instance is None:
            raise NotFound(f"instantie {instance_id} bestaat niet")
        return instance

    def _check_active(self, instance: ProcessInstance) -> None:
        if instance.suspended:
            raise Conflict(f"instantie {instance.id} is geschorst")
        if instance.status == "completed":
            raise Conflict(f"instantie {instance.id} is afgerond")

    def _load(self, session: Session, instance: ProcessInstance) -> Workflow:
        """The instance's workflow: from memory when this process saved its current revision, else
        deserialized. A command that fails drops it (it may be half-changed) — the database wins."""
        self._check_active(instance)
        live = self._live.take(instance.id, instance.revision)
        if live is not None:
            return live
        return Workflow.load(self._bundle(session, self._definition(session, instance.definition_id)),
                             instance.state)

    def _definition(self, session: Session, definition_id: int) -> ProcessDefinition:
        """Definition versions never change once stored, so each is read once per process."""
        if definition_id not in self._definitions:
            definition = session.get(ProcessDefinition, definition_id)
            session.expunge(definition)
            self._definitions[definition_id] = definition
        return self._definitions[definition_id]

    def _bundle(self, session: Session, definition: ProcessDefinition) -> ProcessBundle:
        if definition.id not in self._bundles:
            resources = session.scalars(select(Resource).where(Resource.id.in_(definition.resource_ids)))
            sources = [Source(r.name, r.kind, r.content) for r in resources]
            self._bundles[definition.id] = bundle(definition.key, sources)
        return self._bundles[definition.id]

    def _advance(self, session, instance, workflow: Workflow, actor: Actor, now: datetime) -> list[HumanTask]:
        """Run engine steps; a failing element becomes an incident, saved with the state before it."""
        try:
            workflow.run(now)
        except EngineStepError as error:
            self._record_incident(session, instance, error, actor, now)
        return self._save(session, instance, workflow, now)

    def _record_incident(self, session, instance, error: EngineStepError, actor: Actor, now) -> None:
        session.add(Incident(instance_id=instance.id, element_id=error.element_id, task_id=error.task_id,
                             message=str(error), created_at=now))
        session.info["incident"] = True
        _audit(session, instance.id, now, actor, "incident.created", error.element_id, None, error.task_id,
               {"message": str(error)})

    def _save(self, session, instance: ProcessInstance, workflow: Workflow, now: datetime) -> list[HumanTask]:
        """Derive the rows, then write the state: deriving settles a new task's default assignee in
        the workflow, which the saved state must contain. Returns the ready tasks."""
        _audit_steps(session, instance.id, now, workflow)
        instance.updated_at = now
        instance.waiting_at = workflow.waiting_at()
        instance.title = _title(workflow.data, instance.business_key) or instance.title
        ready = []
        if workflow.completed:
            instance.ended_at = now
            index.clear(session, instance.id)
            _audit(session, instance.id, now, SYSTEM, "instance.completed")
        else:
            ready = index.rewrite(session, instance, workflow, now)
        index.summarize(session, instance, workflow, now)
        instance.state = workflow.dump()
        instance.revision += 1
        instance.status = _status(session, instance, workflow.completed)
        session.info["saved"].append((instance.id, instance.revision, workflow))
        return ready

    # --- reading ---------------------------------------------------------------------------------
    def tasks(self, group: str | None = None, user: str | None = None, assignee: str | None = None,
              instance_id: str | None = None, limit: int = 200, offset: int = 0,
              visible_to: Actor | None = None) -> list[HumanTask]:
        """Ready user tasks from the derived rows; ``user`` means assigned to or candidate for that user;
        ``visible_to`` keeps the tasks that actor may see (as ``task_for`` decides)."""
        query = select(HumanTask)
        if visible_to is not None:
            query = query.where(_visible_to(visible_to))
        if group:
            query = query.where(exists().where(and_(
                TaskCandidate.task_id == HumanTask.id, TaskCandidate.kind == "group", TaskCandidate.name == group)))
        if user:
            query = query.where(exists().where(and_(
                TaskCandidate.task_id == HumanTask.id, TaskCandidate.kind == "user", TaskCandidate.name == user)))
        if assignee:
            query = query.where(HumanTask.assignee == assignee)
        if instance_id:
            query = query.where(HumanTask.instance_id == instance_id)
        query = query.order_by(HumanTask.created_at, HumanTask.id).limit(limit).offset(offset)
        with self.db.reading() as session:
            return list(session.scalars(query))

    def task(self, task_id: str) -> HumanTask:
        with self.db.reading() as session:
            task = session.get(HumanTask, task_id)
            if task is None:
                _explain_missing_task(session, task_id)
            return task

    def task_for(self, task_id: str, actor: Actor) -> HumanTask:
        """A waiting task as its assignee or a candidate may see it; anyone else is refused."""
        task = self.task(task_id)
        if task.assignee != actor.user and not _is_candidate(task, actor):
            raise Forbidden("je bent geen kandidaat voor deze taak")
        return task

    def definition(self, definition_id: int) -> ProcessDefinition:
        with self.db.reading() as session:
            definition = session.get(ProcessDefinition, definition_id)
            if definition is None:
                raise NotFound(f"procesdefinitie {definition_id} bestaat niet")
            return definition

    def instance(self, instance_id: str) -> ProcessInstance:
        with self.db.reading() as session:
            return _existing_instance(session, instance_id)

    def variables(self, instance_id: str) -> dict:
        """One instance's variables (this loads its state: for its own page, never for a list)."""
        with self.db.reading() as session:
            instance = _existing_instance(session, instance_id)
            definition = self._definition(session, instance.definition_id)
            return dict(Workflow.load(self._bundle(session, definition), instance.state).data)

    def instances(self, status: str | None = None, definition_key: str | None = None,
                  business_key: str | None = None, limit: int = 200, offset: int = 0) -> list[ProcessInstance]:
        query = select(ProcessInstance)
        if status:
            query = query.where(ProcessInstance.status == status)
        if definition_key:
            query = query.where(ProcessInstance.definition_key == definition_key)
        if business_key:
            query = query.where(ProcessInstance.business_key == business_key)
        query = query.order_by(ProcessInstance.started_at.desc()).limit(limit).offset(offset)
        with self.db.reading() as session:
            return list(session.scalars(query))

    def positions(self, instance_id: str) -> list[Position]:
        with self.db.reading() as session:
            return list(session.scalars(select(Position).where(Position.instance_id == instance_id)
                                        .order_by(Position.process_key, Position.element_id)))

    def history(self, instance_id: str) -> list[AuditEvent]:
        with self.db.reading() as session:
            return list(session.scalars(
                select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)))

    def incidents(self, instance_id: str | None = None, open_only: bool = False) -> list[Incident]:
        query = select(Incident).order_by(Incident.id)
        if instance_id:
            query = query.where(Incident.instance_id == instance_id)
        if open_only:
            query = query.where(Incident.resolved_at.is_(None))
        with self.db.reading() as session:
            return list(session.scalars(query))

    def definitions(self, key: str | None = None, latest_only: bool = False) -> list[ProcessDefinition]:
        query = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version)
        if key:
            query = query.where(ProcessDefinition.key == key)
        with self.db.reading() as session:
            rows = list(session.scalars(query))
        if latest_only:
            rows = list({row.key: row for row in rows}.values())
        return rows

    def definition_xml(self, definition_id: int) -> str:
        with self.db.reading() as session:
            definition = session.get(ProcessDefinition, definition_id)
            if definition is None:
                raise NotFound(f"procesdefinitie {definition_id} bestaat niet")
            return session.scalars(select(Resource).where(
                Resource.id.in_(definition.resource_ids), Resource.name == definition.source)).one().content

    def timers(self, instance_id: str | None = None) -> list[Timer]:
        query = select(Timer).order_by(Timer.due_at)
        if instance_id:
            query = query.where(Timer.instance_id == instance_id)
        with self.db.reading() as session:
            return list(session.scalars(query))


# --- helpers ---------------------------------------------------------------------------------------
def read_sources(paths: Iterable[str | Path]) -> dict[str, str]:
    files: dict[str, str] = {}
    for path in map(Path, paths):
        candidates = sorted(p for p in path.rglob("*") if kind_of(p.name)) if path.is_dir() else [path]
        for file in candidates:
            if not file.is_file():
                raise DeployRefused([f"{file}: file not found"])
            try:
                files[file.name] = file.read_text(encoding="utf-8")
            except UnicodeDecodeError as error:
                raise DeployRefused([f"{file.name}: not UTF-8 text ({error.reason})"]) from error
    return files


def _latest_resources(session: Session) -> dict[str, Resource]:
    newest = select(func.max(Resource.id)).group_by(Resource.name)
    return {r.name: r for r in session.scalars(select(Resource).where(Resource.id.in_(newest)))}


def _store_resource(session: Session, deployment_id: int, source: Source) -> Resource:
    existing = session.scalars(select(Resource).where(
        Resource.name == source.name, Resource.content_hash == source.content_hash)).first()
    if existing is not None:
        # A file changed back to an earlier content: it becomes the newest version again.
        session.delete(existing)
        session.flush()
    form_id = load_camunda_form(source.content, source.name).form_id if source.kind == "form" else None
    resource = Resource(deployment_id=deployment_id, name=source.name, kind=source.kind,
                        content_hash=source.content_hash, content=source.content, form_id=form_id)
    session.add(resource)
    session.flush()
    return resource


def _latest_definition(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                           .order_by(ProcessDefinition.version.desc()).limit(1)).first()


def _current_definitions(session: Session, sources: dict[str, Source]) -> list[DeployedDefinition]:
    newest = select(func.max(ProcessDefinition.id)).group_by(ProcessDefinition.key)
    rows = session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.id.in_(newest), ProcessDefinition.source.in_(list(sources))))
    return [DeployedDefinition(r.id, r.key, r.version, False) for r in rows]


def _message_start(session: Session, message_name: str) -> StartTrigger | None:
    triggers = list(session.scalars(select(StartTrigger).where(StartTrigger.message_name == message_name)))
    if len(triggers) > 1:
        keys = ", ".join(sorted(t.definition_key for t in triggers))
        raise NoMatch(f"meerdere processen starten met bericht '{message_name}': {keys}")
    return triggers[0] if triggers else None


def _subscriptions(session, message_name, business_key, correlation: dict) -> list[tuple[int, str, str]]:
    query = select(Subscription.id, Subscription.instance_id, Subscription.task_id).where(
        Subscription.message_name == message_name)
    if business_key is not None:
        query = query.where(Subscription.business_key == business_key)
    for name, value in correlation.items():
        query = query.where(exists().where(and_(
            SubscriptionValue.subscription_id == Subscription.id, SubscriptionValue.name == name,
            SubscriptionValue.value == json.dumps(value, ensure_ascii=False))))
    return [tuple(row) for row in session.execute(query.limit(10))]


def _no_match(message_name: str, business_key: str | None, correlation: dict | None) -> str:
    criteria = []
    if business_key is not None:
        criteria.append(f"businessKey '{business_key}'")
    criteria += [f"{k} = {v!r}" for k, v in (correlation or {}).items()]
    where = f" met {', '.join(criteria)}" if criteria else ""
    return f"geen instantie wacht op bericht '{message_name}'{where}"


def _existing_instance(session: Session, instance_id: str) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"instantie {instance_id} bestaat niet")
    return instance


def _explain_missing_task(session: Session, task_id: str):
    done = session.scalars(select(AuditEvent).where(
        AuditEvent.task_id == task_id, AuditEvent.action == "task.completed")).first()
    if done is not None:
        raise Conflict(f"taak '{done.element_name}' is al afgerond door {done.actor} op {done.at:%d-%m-%Y %H:%M}")
    raise NotFound(f"taak {task_id} bestaat niet of wacht niet meer")


def _is_candidate(task: HumanTask, actor: Actor) -> bool:
    return bool(actor.groups & set(task.candidate_groups)) or actor.user in task.candidate_users


def _visible_to(actor: Actor):
    candidate = exists().where(and_(TaskCandidate.task_id == HumanTask.id, or_(
        and_(TaskCandidate.kind == "group", TaskCandidate.name.in_(sorted(actor.groups))),
        and_(TaskCandidate.kind == "user", TaskCandidate.name == actor.user))))
    return or_(HumanTask.assignee == actor.user, candidate)


def _authorize(task: HumanTask, actor: Actor, allow_claimed: bool) -> None:
    """Only the assignee, or a candidate when nobody has claimed it, may act on a task."""
    if task.assignee == actor.user:
        return
    if task.assignee and not allow_claimed:
        raise Forbidden(f"taak is toegewezen aan {task.assignee}")
    if not _is_candidate(task, actor):
        raise Forbidden("je bent geen kandidaat voor deze taak")


def _status(session: Session, instance: ProcessInstance, completed: bool) -> str:
    if completed:
        return "completed"
    if instance.suspended:
        return "suspended"
    if instance.status == "running" and not session.info.get("incident"):
        return "running"
    open_incident = session.execute(select(Incident.id).where(
        Incident.instance_id == instance.id, Incident.resolved_at.is_(None)).limit(1)).first()
    return "incident" if open_incident else "running"


def _title(variables: dict, business_key: str | None) -> str | None:
    title = variables.get("titel") if isinstance(variables, dict) else None
    return str(title)[:500] if title else business_key


def _check_variables(variables: dict) -> None:
    if not isinstance(variables, dict):
        raise InvalidData("variabelen moeten een object zijn", [])
    bad = [name for name in variables if not isinstance(name, str) or not name.isidentifier()
           or name.startswith("_")]
    if bad:
        raise InvalidData(f"ongeldige variabelenamen: {', '.join(map(str, bad))}", [])
    try:
        json.dumps(variables)
    except (TypeError, ValueError) as error:
        raise InvalidData(f"variabelen zijn geen JSON: {error}", []) from error
    _check_text(variables, "variabelen")


def _audit(session, instance_id, at, actor: Actor, action, element_id=None, element_name=None, task_id=None,
           data=None) -> None:
    """Queue an audit event; the command's transaction writes the queue in one batch before commit."""
    event = AuditEvent(instance_id=instance_id, at=at, actor=actor.user, action=action,
                       element_id=element_id, element_name=element_name, task_id=task_id, data=data)
    session.info.setdefault("audit", []).append(event)


AUDIT_COLUMNS = ("instance_id", "at", "actor", "action", "element_id", "element_name", "task_id", "data")


def _insert_audit(session: Session, events: list[AuditEvent]) -> None:
    rows = [{name: getattr(event, name) for name in AUDIT_COLUMNS} for event in events]
    session.connection().execute(insert(AuditEvent.__table__), rows)


class LiveWorkflows:
    """Recently saved workflows by instance and revision, so the next command on a busy dossier
    skips deserializing it. Taking one removes it: a failed command can never leave a dirty copy."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[str, tuple[int, Workflow]] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, instance_id: str, revision: int, workflow: Workflow) -> None:
        with self._lock:
            self._items[instance_id] = (revision, workflow)
            self._items.move_to_end(instance_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def take(self, instance_id: str, revision: int) -> Workflow | None:
        with self._lock:
            held = self._items.pop(instance_id, None)
        return held[1] if held is not None and held[0] == revision else None


def _audit_steps(session, instance_id: str, now: datetime, workflow: Workflow) -> None:
    for step in workflow.steps:
        if step.kind != "UserTask":
            decided = {"variables": step.decided} if step.decided else {}
            _audit(session, instance_id, now, SYSTEM, "element.completed", step.element_id, step.name,
                   data={"type": step.kind, "process": step.process_key, **decided})
    workflow.steps.clear()


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
