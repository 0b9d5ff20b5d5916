"""The runtime service: start instances (plainly, by message, by a start timer), deliver messages, and
the operators' commands on a running instance (variables, incident retry, suspend, resume)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import and_, exists, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine.bpmn.runtime import EngineStepError, Workflow
from engine.derived import unsaved
from engine.errors import Conflict, NoMatch, NotFound
from engine.services.access import SYSTEM, Actor
from engine.services.executor import CommandExecutor, audit, status
from engine.services.external_tasks import restore_retries
from engine.services.inputs import check_text, check_variables
from engine.services.repository import confirm_newest, latest_definition_id, newer_version_deployed
from engine.store.models import (
    Incident,
    ProcessDefinition,
    ProcessInstance,
    StartTrigger,
    Subscription,
    SubscriptionValue,
)

# A business key made inside the start command's transaction, e.g. the next number of a locked counter.
KeyMaker = Callable[[Session, datetime], str]
BusinessKey = str | KeyMaker | None
MAX_REASON = 2000  # characters in a suspension's reason


class RuntimeService:
    def __init__(self, executor: CommandExecutor) -> None:
        self.executor = executor

    def start(self, key: str, business_key: BusinessKey = None, variables: dict | None = None,
              actor: Actor = SYSTEM) -> str:
        """Start the latest version of ``key`` at its none start event, if ``actor`` may. On PostgreSQL the
        newest version this process read last is taken without asking and confirmed with the command's other
        statements: the start waits for the database once, not twice. Should another process have deployed a
        newer version meanwhile, the confirmation fails the command and the start runs again, asking."""
        try:
            return self._start_newest(key, business_key, variables or {}, actor, known=True)
        except DBAPIError as error:
            if not newer_version_deployed(error):
                raise
        return self._start_newest(key, business_key, variables or {}, actor, known=False)

    def _start_newest(self, key: str, business_key: BusinessKey, variables: dict, actor: Actor, known: bool) -> str:
        newest = self.executor.newest_versions
        with self.executor.transaction() as session:
            definition_id = newest.get(key) if known and not self.executor.db.is_sqlite else None
            if definition_id is not None:
                instance_id = self._start_at(session, key, definition_id, business_key, variables, actor)
                confirm_newest(session, key, definition_id)
                return instance_id
            definition_id = latest_definition_id(session, key)
            if definition_id is not None:
                newest[key] = definition_id
            return self._start_at(session, key, definition_id, business_key, variables, actor)

    def start_within(self, session: Session, key: str, business_key: BusinessKey, variables: dict,
                     actor: Actor) -> str:
        """``start`` inside the caller's transaction: a domain command that starts an instance and records
        that it did (both commit or neither)."""
        return self._start_at(session, key, latest_definition_id(session, key), business_key, variables, actor)

    def _start_at(self, session: Session, key: str, definition_id: int | None, business_key: BusinessKey,
                  variables: dict, actor: Actor) -> str:
        definition = None if definition_id is None else self.executor.definition(session, definition_id)
        definition = _startable(definition, f"proces '{key}' is niet gedeployed")
        self.executor.roles.may_start(session, definition, actor)
        return self.create(session, definition, None, business_key, variables, actor)

    def start_version(self, definition_id: int, business_key: BusinessKey = None, variables: dict | None = None,
                      actor: Actor = SYSTEM) -> str:
        """Start one definition version (Camunda's ``/process-definition/{id}/start``) at its none start event."""
        with self.executor.transaction() as session:
            definition = _startable(session.get(ProcessDefinition, definition_id),
                                    f"procesdefinitie {definition_id} bestaat niet")
            self.executor.roles.may_start(session, definition, actor)
            return self.create(session, definition, None, business_key, variables or {}, actor)

    def start_by_message(self, message_name: str, variables: dict | None = None,
                         business_key: BusinessKey = None, actor: Actor = SYSTEM) -> str:
        with self.executor.transaction() as session:
            return self.start_by_message_within(session, message_name, variables or {}, business_key, actor)

    def start_by_message_within(self, session: Session, message_name: str, variables: dict,
                                business_key: BusinessKey, actor: Actor) -> str:
        """Start by message inside the caller's transaction: a domain listener that starts one instance
        because another was saved (both commit or neither)."""
        trigger = _message_start(session, message_name)
        if trigger is None:
            raise NotFound(f"geen gedeployed proces start met bericht '{message_name}'")
        return self._start_by(session, trigger, message_name, business_key, variables, actor)

    def _start_by(self, session: Session, trigger: StartTrigger, message_name: str, business_key: BusinessKey,
                  variables: dict, actor: Actor) -> str:
        definition = session.get(ProcessDefinition, trigger.definition_id)
        self.executor.roles.may_send(session, definition, None, trigger.element_id, message_name, actor)
        return self.create(session, definition, trigger.element_id, business_key, variables, actor,
                           how={"message": message_name})

    def create(self, session: Session, definition: ProcessDefinition, start_element: str | None,
               business_key: BusinessKey, variables: dict, actor: Actor, how: dict | None = None) -> str:
        """A new instance of ``definition``, run to where it waits (inside the caller's transaction)."""
        now = self.executor.now()
        check_variables(variables)
        if callable(business_key):
            business_key = business_key(session, now)
        check_text(business_key, "de businessKey", 200)
        workflow = Workflow.create(self.executor.bundle(session, definition), variables, start_element, now,
                                       self.executor.calls(session))
        instance = unsaved(ProcessInstance, dict(
            id=str(uuid.uuid4()), definition_id=definition.id, definition_key=definition.key,
            business_key=business_key, title=business_key, status="running", suspended=False, waiting_at=[],
            state="", revision=0, started_at=now, started_by=actor.user, updated_at=now, ended_at=None,
            removal_at=None, cleaned_at=None,
        ))  # stored by its first save (CommandExecutor.save), with the state the engine steps leave
        audit(session, instance.id, now, actor, "instance.started",
              data={"variables": variables, "version": definition.version, **(how or {})})
        self.executor.advance(session, instance, workflow, actor, now)
        return instance.id

    def correlate(self, message_name: str, business_key: str | None = None, correlation: dict | None = None,
                  variables: dict | None = None, actor: Actor = SYSTEM) -> str:
        """Deliver a message to the one instance waiting for it; start one if a process starts with it."""
        variables = variables or {}
        check_variables(variables)
        now = self.executor.now()
        with self.executor.transaction() as session:
            matches = _subscriptions(session, message_name, business_key, correlation or {})
            if not matches:
                trigger = None if correlation else _message_start(session, message_name)
                if trigger is not None:
                    return self._start_by(session, trigger, message_name, business_key, variables, actor)
                raise NoMatch(_no_match(message_name, business_key, correlation))
            if len(matches) > 1:
                raise NoMatch(f"{len(matches)} wachtende instanties passen bij bericht '{message_name}'; "
                              "geef een businessKey of correlatiesleutels die er precies één aanwijzen")
            _, instance_id, task_id, element_id = matches[0]
            instance = self.executor.lock(session, instance_id)
            still_waiting = select(Subscription.id).where(
                Subscription.instance_id == instance_id, Subscription.task_id == task_id,
                Subscription.message_name == message_name)
            if session.execute(still_waiting).first() is None:
                raise NoMatch(f"instantie {instance_id} wacht niet meer op bericht '{message_name}'")
            definition = self.executor.definition(session, instance.definition_id)
            self.executor.roles.may_send(session, definition, instance_id, element_id, message_name, actor)
            workflow = self.executor.load(session, instance)
            workflow.deliver_message(task_id, message_name, variables, now)
            audit(session, instance.id, now, actor, "message.correlated", None, message_name, task_id,
                  {"message": message_name, "variables": variables})
            self.executor.advance(session, instance, workflow, actor, now)
            return instance.id

    # --- operators -------------------------------------------------------------------------------
    def set_variables(self, instance_id: str, actor: Actor, variables: dict) -> None:
        check_variables(variables)
        now = self.executor.now()
        with self.executor.transaction() as session:
            instance = self.executor.lock(session, instance_id)
            workflow = self.executor.load(session, instance)
            workflow.set_variables(variables)
            audit(session, instance.id, now, actor, "variables.set", data=variables)
            self.executor.save(session, instance, workflow, now)

    def retry_incident(self, incident_id: int, actor: Actor, variables: dict | None = None) -> str:
        """Run the failed element again after a fix; the incident closes if it succeeds."""
        check_variables(variables or {})
        now = self.executor.now()
        with self.executor.transaction() as session:
            incident = session.get(Incident, incident_id)
            if incident is None or incident.resolved_at is not None:
                raise NotFound(f"geen open incident {incident_id}")
            instance = self.executor.lock(session, incident.instance_id)
            workflow = self.executor.load(session, instance)
            incident.resolved_at, incident.resolved_by = now, actor.user
            restore_retries(session, incident.task_id)
            audit(session, instance.id, now, actor, "incident.retried", incident.element_id, None,
                  incident.task_id, {"incident": incident_id, "variables": variables or {}})
            try:
                workflow.retry(variables or {}, now)
            except EngineStepError as error:
                self.executor.record_incident(session, instance, error, actor, now)
            self.executor.advance(session, instance, workflow, actor, now)
            return instance.status

    def suspend(self, instance_id: str, actor: Actor, reason: str = "") -> None:
        """Stop all work and deadlines on an instance; the reason, if given, is kept in its audit trail."""
        check_text(reason, "De reden", MAX_REASON)
        self._set_suspended(instance_id, actor, True, {"reden": reason} if reason else None)

    def resume(self, instance_id: str, actor: Actor) -> None:
        self._set_suspended(instance_id, actor, False)

    def _set_suspended(self, instance_id: str, actor: Actor, suspended: bool, data: dict | None = None) -> None:
        now = self.executor.now()
        with self.executor.transaction() as session:
            instance = self.executor.lock(session, instance_id)
            if instance.status == "completed":
                raise Conflict("een afgeronde instantie kan niet worden geschorst of hervat")
            instance.suspended = suspended
            instance.status = status(session, instance, completed=False)
            instance.updated_at = now
            audit(session, instance.id, now, actor, "instance.suspended" if suspended else "instance.resumed",
                  data=data)


def _startable(definition: ProcessDefinition | None, missing: str) -> ProcessDefinition:
    if definition is None:
        raise NotFound(missing)
    if not definition.none_start:
        raise Conflict(f"proces '{definition.key}' heeft geen gewone startgebeurtenis; "
                       "het start met een bericht of een timer")
    return definition


def _message_start(session: Session, message_name: str) -> StartTrigger | None:
    triggers = list(session.scalars(select(StartTrigger).where(StartTrigger.message_name == message_name)))
    if len(triggers) > 1:
        keys = ", ".join(sorted(t.definition_key for t in triggers))
        raise NoMatch(f"meerdere processen starten met bericht '{message_name}': {keys}")
    return triggers[0] if triggers else None


def _subscriptions(session, message_name, business_key, correlation: dict) -> list[tuple[int, str, str, str]]:
    query = select(Subscription.id, Subscription.instance_id, Subscription.task_id, Subscription.element_id).where(
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

