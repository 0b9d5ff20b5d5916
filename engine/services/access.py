"""Who acts, and who may act on a task: the assignee, or a candidate while nobody has claimed it.
The one rule every door (inbox, API, CLI, webhooks) gets through the services."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, exists, or_

from engine.errors import Forbidden
from engine.services.inputs import check_text
from engine.store.models import HumanTask, TaskCandidate


@dataclass(frozen=True)
class Actor:
    """Who gives a command: a person with their groups, or the engine itself."""

    user: str
    groups: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        check_text(self.user, "de gebruikersnaam", 100)

    @classmethod
    def of(cls, user: str, groups: Iterable[str] = ()) -> Actor:
        return cls(user, frozenset(g.strip() for g in groups if g.strip()))


SYSTEM = Actor("systeem")


def is_candidate(task: HumanTask, actor: Actor) -> bool:
    return bool(actor.groups & set(task.candidate_groups)) or actor.user in task.candidate_users


def visible_to(actor: Actor):
    """A query condition: the tasks ``actor`` is assigned to or a candidate for."""
    candidate = exists().where(and_(TaskCandidate.task_id == HumanTask.id, or_(
        and_(TaskCandidate.kind == "group", TaskCandidate.name.in_(sorted(actor.groups))),
        and_(TaskCandidate.kind == "user", TaskCandidate.name == actor.user))))
    return or_(HumanTask.assignee == actor.user, candidate)


def authorize(task: HumanTask, actor: Actor, allow_claimed: bool) -> None:
    """Only the assignee, or a candidate when nobody has claimed it, may act on a task."""
    if task.assignee == actor.user:
        return
    if task.assignee and not allow_claimed:
        raise Forbidden(f"taak is toegewezen aan {task.assignee}")
    if not is_candidate(task, actor):
        raise Forbidden("je bent geen kandidaat voor deze taak")
