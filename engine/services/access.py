"""Who acts, and what they may do: the one rule every door (inbox, API, CLI, webhooks) gets through the
services. On a task: the assignee, or a candidate while nobody has claimed it. Starting a process and
sending a message: as the model says (engine/bpmn/access.py), else the overseers. Deploying: the
administrators. Which groups oversee and administer is the composition root's to say (``Roles``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from engine.errors import Forbidden
from engine.services.inputs import check_text
from engine.store.models import HumanTask, ProcessDefinition, TaskCandidate


@dataclass(frozen=True)
class Actor:
    """Who gives a command: a person with their groups, a configured source allowed to send certain
    messages (``messages``), or the engine itself and its operators (``system``: timers, the shell)."""

    user: str
    groups: frozenset[str] = frozenset()
    messages: frozenset[str] = frozenset()
    system: bool = False

    def __post_init__(self) -> None:
        check_text(self.user, "de gebruikersnaam", 100)

    @classmethod
    def of(cls, user: str, groups: Iterable[str] = ()) -> Actor:
        return cls(user, frozenset(g.strip() for g in groups if g.strip()))


SYSTEM = Actor("systeem", system=True)


@dataclass(frozen=True)
class Roles:
    """Overseers start the processes and send the messages whose model names nobody, and read
    everything; administrators manage the links to other systems; deployers deploy the models."""

    overseers: frozenset[str] = frozenset()
    administrators: frozenset[str] = frozenset()
    deployers: frozenset[str] = frozenset()

    def oversees(self, actor: Actor) -> bool:
        return actor.system or bool(actor.groups & self.overseers)

    def administers(self, actor: Actor) -> bool:
        return actor.system or bool(actor.groups & self.administrators)

    def require_administrator(self, actor: Actor) -> None:
        if not self.administers(actor):
            raise Forbidden(f"alleen {_names(self.administrators)} mag dit")

    def deploys(self, actor: Actor) -> bool:
        return actor.system or bool(actor.groups & self.deployers)

    def require_deployer(self, actor: Actor) -> None:
        if not self.deploys(actor):
            raise Forbidden(f"alleen {_names(self.deployers)} mag deployen")

    def may_start(self, session: Session, definition: ProcessDefinition, actor: Actor) -> None:
        """Refuse to start ``definition`` from outside unless its starters (or, naming none, the
        overseers) include ``actor``; a called process is started by its caller only."""
        if actor.system:
            return
        if not definition.startable or (definition.starters is None and _called(session, definition.key)):
            raise Forbidden(f"proces '{definition.key}' wordt alleen vanuit een ander proces gestart")
        if not self._allowed(definition.starters, actor):
            raise Forbidden(f"je mag proces '{definition.key}' niet starten")

    def may_send(self, session: Session, definition: ProcessDefinition, instance_id: str | None, element_id: str,
                 message: str, actor: Actor) -> None:
        """Refuse ``message`` to the element waiting for it unless ``actor`` is one of its senders: a
        source configured for it, the candidates of the task whose decision it stands for, or the
        senders the model names (none named: the overseers)."""
        if actor.system or message in actor.messages:
            return
        rule = definition.senders.get(element_id)
        if rule is not None and "task" in rule:
            if not _decides(session, instance_id, rule["task"], actor):
                raise Forbidden(f"bericht '{message}' staat voor het besluit van een taak waarvoor je geen "
                                "kandidaat bent")
        elif not self._allowed(rule, actor):
            raise Forbidden(f"je mag bericht '{message}' niet sturen")

    def _allowed(self, names: dict | None, actor: Actor) -> bool:
        if names is None:
            return self.oversees(actor)
        return bool(actor.groups & set(names["groups"])) or actor.user in names["users"]


def _names(groups: frozenset[str]) -> str:
    return " of ".join(sorted(groups)) or "het systeem"


def _called(session: Session, key: str) -> bool:
    """Whether the newest version of another process calls ``key`` (definition rows, no XML)."""
    newest = select(func.max(ProcessDefinition.id)).group_by(ProcessDefinition.key)
    rows = session.execute(select(ProcessDefinition.key, ProcessDefinition.calls)
                           .where(ProcessDefinition.id.in_(newest)))
    return any(key in calls for other, calls in rows if other != key)


def _decides(session: Session, instance_id: str | None, element_id: str, actor: Actor) -> bool:
    """Whether ``actor`` may complete a waiting task ``element_id`` of the instance."""
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                    HumanTask.element_id == element_id))
    return any(may_complete(task, actor) for task in tasks)


def may_complete(task: HumanTask, actor: Actor) -> bool:
    return task.assignee == actor.user or (not task.assignee and is_candidate(task, actor))


def is_candidate(task: HumanTask, actor: Actor) -> bool:
    return bool(actor.groups & set(task.candidate_groups)) or actor.user in task.candidate_users


def visible_to(actor: Actor):
    """A query condition: the tasks ``actor`` is assigned to or a candidate for."""
    candidate = exists().where(and_(TaskCandidate.task_id == HumanTask.id, or_(
        and_(TaskCandidate.kind == "group", TaskCandidate.name.in_(sorted(actor.groups))),
        and_(TaskCandidate.kind == "user", TaskCandidate.name == actor.user))))
    return or_(HumanTask.assignee == actor.user, candidate)


def authorize(task: HumanTask, actor: Actor) -> None:
    """Only the assignee, or a candidate when nobody has claimed it, may act on a task."""
    if task.assignee == actor.user:
        return
    if task.assignee:
        raise Forbidden(f"taak is toegewezen aan {task.assignee}")
    if not is_candidate(task, actor):
        raise Forbidden("je bent geen kandidaat voor deze taak")
