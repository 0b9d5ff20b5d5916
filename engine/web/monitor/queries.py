"""What the monitor lists and counts, read from derived, indexed rows only — instance rows, the
instance summary (phase, theme), human tasks with their candidates, positions, stall flags and
incidents — so an overview of 100,000 dossiers never loads one instance's state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, func, or_, select

from engine.errors import InvalidData
from engine.forms import FieldError
from engine.gros.groups import GROUPS
from engine.gros.models import InstanceSummary, StallFlag
from engine.gros.radar import side_of
from engine.services import Engine
from engine.store.models import (
    HumanTask,
    Incident,
    Position,
    ProcessDefinition,
    ProcessInstance,
    TaskCandidate,
)
from engine.web.inputs import page_number
from engine.web.monitor.diagrams import Diagram, diagrams, phase_order

PAGE_SIZE = 25
DONE = "afgerond"  # the phase of a completed dossier
STATUSES = {"running": "Lopend", "incident": "Incident", "suspended": "Geschorst", "completed": "Afgerond"}
SIDES = {"NL": "Nederland", "VL": "Vlaanderen", "BE": "Belgische federale overheid"}
SORTS = {
    "dossier": (ProcessInstance.business_key.desc(), ProcessInstance.id),
    "fase": (InstanceSummary.phase.is_(None), InstanceSummary.phase_since.asc(), ProcessInstance.id),  # ended last
    "bijgewerkt": (ProcessInstance.updated_at.desc(), ProcessInstance.id),
}
DEFAULTS = {("sorteer", "dossier"), ("pagina", 1)}
SORT_LABELS = {"dossier": "Dossiernummer, nieuwste eerst", "fase": "Langst in huidige fase eerst",
               "bijgewerkt": "Laatst gewijzigd eerst"}


@dataclass(frozen=True)
class Filters:
    phase: str = ""
    status: str = ""
    side: str = ""
    stalled: bool = False
    theme: str = ""
    search: str = ""
    sort: str = "dossier"
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> Filters:
        """Read the overview's query string; a value that makes no sense is refused naming the field."""
        errors = []
        status, side = args.get("status", ""), args.get("zijde", "")
        sort = args.get("sorteer", "dossier")
        if status and status not in STATUSES:
            errors.append(FieldError("status", "Status", f"kies een van: {', '.join(STATUSES)}"))
        if side and side not in SIDES:
            errors.append(FieldError("zijde", "Zijde", f"kies een van: {', '.join(SIDES)}"))
        if sort not in SORTS:
            errors.append(FieldError("sorteer", "Sorteren", f"kies een van: {', '.join(SORTS)}"))
        try:
            page = page_number(args)
        except InvalidData as error:
            errors += error.errors
        if errors:
            raise InvalidData("De filters van het overzicht kloppen niet.", errors)
        return cls(args.get("fase", ""), status, side, args.get("stilstand") == "ja", args.get("thema", ""),
                   args.get("zoek", "").strip()[:200], sort, page)

    def args(self, **changes) -> dict[str, str | int]:
        """Query-string arguments for a link to this overview with some filters changed."""
        values = {"fase": self.phase, "status": self.status, "zijde": self.side,
                  "stilstand": "ja" if self.stalled else "", "thema": self.theme, "zoek": self.search,
                  "sorteer": self.sort, "pagina": self.page} | changes
        return {k: v for k, v in values.items() if v not in ("", None) and (k, v) not in DEFAULTS}


@dataclass
class Row:
    """One dossier in the overview."""

    instance: ProcessInstance
    phase: str | None
    phase_since: datetime | None
    theme: str | None
    steps: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    flags: list[StallFlag] = field(default_factory=list)
    incidents: int = 0

    @property
    def side(self) -> str | None:
        return side_of(self.groups)


@dataclass(frozen=True)
class Overview:
    rows: list[Row]
    counts: dict[str, int]  # phase (or DONE) → dossiers, with the other filters applied
    total: int
    page: int
    pages: int


def overview(engine: Engine, filters: Filters) -> Overview:
    """One page of dossiers and the counts per phase, as the filters ask."""
    query = _filtered(select(ProcessInstance, InstanceSummary).join(
        InstanceSummary, InstanceSummary.instance_id == ProcessInstance.id), filters)
    with engine.db.reading() as session:
        counts = _phase_counts(session, filters)
        total = counts.get(filters.phase, 0) if filters.phase else sum(counts.values())
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(filters.page, pages)
        found = session.execute(query.order_by(*SORTS[filters.sort]).limit(PAGE_SIZE)
                                .offset((page - 1) * PAGE_SIZE)).all()
        rows = [Row(instance, summary.phase, summary.phase_since, summary.theme) for instance, summary in found]
        _fill(engine, session, rows)
    return Overview(rows, counts, total, page, pages)


def _phase_counts(session, filters: Filters) -> dict[str, int]:
    unfiltered = Filters(status=filters.status, side=filters.side, stalled=filters.stalled, theme=filters.theme,
                         search=filters.search)
    if unfiltered == Filters():  # nothing else filtered: the summary's phase index alone answers
        query = select(InstanceSummary.phase, func.count()).group_by(InstanceSummary.phase)
    else:
        query = _filtered(select(InstanceSummary.phase, func.count()).select_from(ProcessInstance).join(
            InstanceSummary, InstanceSummary.instance_id == ProcessInstance.id), unfiltered) \
            .group_by(InstanceSummary.phase)
    return {phase or DONE: count for phase, count in session.execute(query)}


def _filtered(query: Select, filters: Filters) -> Select:
    if filters.phase == DONE:
        query = query.where(InstanceSummary.phase.is_(None))
    elif filters.phase:
        query = query.where(InstanceSummary.phase == filters.phase)
    if filters.status:
        query = query.where(ProcessInstance.status == filters.status)
    if filters.theme:
        query = query.where(InstanceSummary.theme == filters.theme)
    if filters.side:  # IN (subquery), not a correlated EXISTS: the few waiting tasks of a side are found once
        query = query.where(ProcessInstance.id.in_(
            select(HumanTask.instance_id).join(TaskCandidate, TaskCandidate.task_id == HumanTask.id)
            .where(TaskCandidate.kind == "group", TaskCandidate.name.in_(side_groups(filters.side)))))
    if filters.stalled:
        query = query.where(ProcessInstance.id.in_(select(StallFlag.instance_id)))
    if filters.search:
        pattern = "%" + filters.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(ProcessInstance.business_key.ilike(pattern, escape="\\"),
                                ProcessInstance.title.ilike(pattern, escape="\\")))
    return query


def side_text(side: str | None) -> str:
    """'Nederland', 'Nederland en Vlaanderen', … for a side as the stall radar writes it (NL, NL+VL)."""
    return " en ".join(SIDES.get(part, part) for part in (side or "").split("+")) or "gezamenlijk"


def side_groups(side: str) -> list[str]:
    """The candidate groups of one side (NL, VL, BE), as the stall radar reads group names."""
    return sorted(group for group in GROUPS if side_of([group]) == side)


def _fill(engine: Engine, session, rows: list[Row]) -> None:
    """Current steps, groups, stall flags and open incidents of one page of dossiers, a query each."""
    by_id = {row.instance.id: row for row in rows}
    ids = list(by_id)
    for task in session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(ids))
                                .order_by(HumanTask.created_at)):
        row = by_id[task.instance_id]
        row.steps.append(task.name)
        row.groups.extend(g for g in task.candidate_groups if g not in row.groups)
    for flag in session.scalars(select(StallFlag).where(StallFlag.instance_id.in_(ids)).order_by(StallFlag.since)):
        by_id[flag.instance_id].flags.append(flag)
    for instance_id, count in session.execute(
            select(Incident.instance_id, func.count()).where(Incident.instance_id.in_(ids),
                                                             Incident.resolved_at.is_(None))
            .group_by(Incident.instance_id)):
        by_id[instance_id].incidents = count
    waiting = [row for row in rows if not row.steps and row.phase]
    if waiting:  # no person's task: name the events it waits for, from the diagram
        positions = session.scalars(select(Position).where(Position.instance_id.in_([r.instance.id for r in waiting])))
        for position in positions:
            row = by_id[position.instance_id]
            diagram = owner(diagrams(engine, position.definition_id), position.process_key)
            if diagram and position.element_id not in diagram.containers:
                row.steps.append(diagram.label(position.element_id))


def owner(found: dict[str, Diagram], process_key: str) -> Diagram | None:
    """The diagram that draws a process key, which may be an embedded subprocess of it."""
    return next((d for d in found.values() if d.owns(process_key)), None)


def phases(engine: Engine) -> dict[str, str]:
    """Phase (process key) → name, in the order the procedure runs through them."""
    with engine.db.reading() as session:
        newest = select(func.max(ProcessDefinition.id)).group_by(ProcessDefinition.key)
        latest = session.execute(select(ProcessDefinition.key, ProcessDefinition.id)
                                 .where(ProcessDefinition.id.in_(newest)).order_by(ProcessDefinition.key)).all()
    found: dict[str, Diagram] = {}
    for _, definition_id in latest:
        found |= diagrams(engine, definition_id)
    called = {key for diagram in found.values() for key in diagram.calls}
    order = [key for root, _ in latest if root not in called for key in phase_order(found, root)]
    return {key: found[key].name for key in dict.fromkeys(order)}


def stall_flags(engine: Engine, instance_id: str) -> list[StallFlag]:
    with engine.db.reading() as session:
        return list(session.scalars(select(StallFlag).where(StallFlag.instance_id == instance_id)
                                    .order_by(StallFlag.since)))


def summary(engine: Engine, instance_id: str) -> InstanceSummary | None:
    with engine.db.reading() as session:
        return session.get(InstanceSummary, instance_id)

