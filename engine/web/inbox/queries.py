"""The inbox lists, read from the derived task rows (human_task, task_candidate) only: no instance is
loaded to draw a list, so a group with 100,000 waiting tasks lists as fast as one with ten."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, exists, func, or_, select

from engine.errors import InvalidData
from engine.forms import FieldError
from engine.services import Actor, Engine
from engine.store.models import HumanTask, ProcessDefinition, TaskCandidate
from engine.web.inputs import page_number

PAGE_SIZE = 25
# Counting stops here: past it the list says "meer dan 1.000" instead of visiting every row.
COUNT_LIMIT = 1_000
# Each in the order of one of the human_task indexes of migrations 0010_inbox and 0011_inbox_sqlite.
SORTS = {
    "wachttijd": (HumanTask.created_at.asc(), HumanTask.id.asc()),
    "nieuwste": (HumanTask.created_at.desc(), HumanTask.id.desc()),
    "termijn": (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id),
    "prioriteit": (HumanTask.priority.desc(), HumanTask.created_at, HumanTask.id),
}
DUE_CHOICES = {
    "": "Alle",
    "te-laat": "Termijn verstreken",
    "deze-week": "Termijn binnen 7 dagen",
    "zonder": "Zonder termijn",
}
CLAIM_CHOICES = {
    "": "Alle taken",
    "niet-geclaimd": "Niet geclaimd",
}
DEFAULTS = {("sorteer", "wachttijd"), ("pagina", 1)}


@dataclass(frozen=True)
class Filters:
    group: str = ""
    phase: str = ""
    due: str = ""
    claim: str = ""
    sort: str = "wachttijd"
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str], groups: frozenset[str]) -> Filters:
        """Read the list's query string; a value that makes no sense is refused naming the field."""
        errors = []
        group, due, claim = args.get("groep", ""), args.get("termijn", ""), args.get("status", "")
        sort = args.get("sorteer", "wachttijd")
        if group and group not in groups:
            errors.append(FieldError("groep", "Groep", f"je bent geen lid van de groep '{group}'"))
        if due not in DUE_CHOICES:
            errors.append(FieldError("termijn", "Termijn", f"kies een van: {', '.join(k for k in DUE_CHOICES if k)}"))
        if claim not in CLAIM_CHOICES:
            errors.append(FieldError("status", "Status", "kies 'niet-geclaimd' of laat leeg"))
        if sort not in SORTS:
            errors.append(FieldError("sorteer", "Sorteren", f"kies een van: {', '.join(SORTS)}"))
        try:
            page = page_number(args)
        except InvalidData as error:
            errors += error.errors
        if errors:
            raise InvalidData("De filters van de takenlijst kloppen niet.", errors)
        return cls(group, args.get("fase", ""), due, claim, sort, page)

    def args(self, **changes) -> dict[str, str | int]:
        """Query-string arguments for a link to this list with some filters changed."""
        values = {"groep": self.group, "fase": self.phase, "termijn": self.due, "status": self.claim,
                  "sorteer": self.sort, "pagina": self.page} | changes
        return {k: v for k, v in values.items() if v not in ("", None) and (k, v) not in DEFAULTS}


@dataclass(frozen=True)
class TaskPage:
    rows: list[HumanTask]
    total: int  # at most COUNT_LIMIT
    total_capped: bool
    page: int
    pages: int | None  # None when the count was capped
    has_next: bool


def assigned_to(engine: Engine, actor: Actor, filters: Filters) -> TaskPage:
    """"Mijn taken": what the actor has claimed or was given."""
    query = select(HumanTask).where(HumanTask.assignee == actor.user)
    if filters.group:
        query = query.where(_offered(_group(filters.group)))
    return _page(engine, query, filters)


def claimable_by(engine: Engine, actor: Actor, filters: Filters) -> TaskPage:
    """"Taken van mijn groepen": tasks offered to one of the actor's groups or to the actor, the claimed ones
    too so colleagues see who works on what; "niet geclaimd" keeps only those still free."""
    if filters.group:
        offered = _group(filters.group)
    else:
        offered = or_(_group(*actor.groups), and_(TaskCandidate.kind == "user", TaskCandidate.name == actor.user))
    query = select(HumanTask).where(_offered(offered))
    if filters.claim == "niet-geclaimd":
        query = query.where(HumanTask.assignee.is_(None))
    return _page(engine, query, filters)


def phases(engine: Engine) -> dict[str, str]:
    """Process key → name: a task's phase is the (called) process it waits in."""
    with engine.db.reading() as session:
        newest = select(func.max(ProcessDefinition.id)).group_by(ProcessDefinition.key)
        rows = session.execute(select(ProcessDefinition.key, ProcessDefinition.name)
                               .where(ProcessDefinition.id.in_(newest)).order_by(ProcessDefinition.name))
        return dict(rows.all())


def _group(*names: str):
    return and_(TaskCandidate.kind == "group", TaskCandidate.name.in_(sorted(names)))


def _offered(condition):
    return exists().where(TaskCandidate.task_id == HumanTask.id, condition)


def _page(engine: Engine, query: Select, filters: Filters) -> TaskPage:
    query = _filtered(query, filters, engine.now())
    counted = query.with_only_columns(HumanTask.id).order_by(None).limit(COUNT_LIMIT + 1).subquery()
    with engine.db.reading() as session:
        total = session.scalar(select(func.count()).select_from(counted))
        pages = None if total > COUNT_LIMIT else max(1, -(-total // PAGE_SIZE))
        page = min(filters.page, pages or filters.page)
        rows = list(session.scalars(
            query.order_by(*SORTS[filters.sort]).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)))
    return TaskPage(rows[:PAGE_SIZE], min(total, COUNT_LIMIT), total > COUNT_LIMIT, page, pages,
                    len(rows) > PAGE_SIZE)


def _filtered(query: Select, filters: Filters, now: datetime) -> Select:
    if filters.phase:
        query = query.where(HumanTask.process_key == filters.phase)
    if filters.due == "te-laat":
        query = query.where(HumanTask.due_at < now)
    elif filters.due == "deze-week":
        query = query.where(HumanTask.due_at >= now, HumanTask.due_at < now + timedelta(days=7))
    elif filters.due == "zonder":
        query = query.where(HumanTask.due_at.is_(None))
    return query
