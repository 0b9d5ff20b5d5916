"""The history side of the read model, as Camunda 7's HistoryService queries it: process instances (their
own rows), historic user tasks and running variables — each from indexed rows, filtered, sorted and paged
in SQL. Nothing here loads instance state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from engine.store.models import HistoricTask, Incident, ProcessDefinition, ProcessInstance, VariableInstance

INSTANCE_ORDER = {"instanceId": ProcessInstance.id, "definitionId": ProcessInstance.definition_id,
                  "definitionKey": ProcessInstance.definition_key, "definitionName": ProcessDefinition.name,
                  "definitionVersion": ProcessDefinition.version, "businessKey": ProcessInstance.business_key,
                  "startTime": ProcessInstance.started_at, "endTime": ProcessInstance.ended_at}
TASK_ORDER = {"taskId": HistoricTask.id, "processDefinitionId": HistoricTask.definition_id,
              "processInstanceId": HistoricTask.instance_id, "executionId": HistoricTask.instance_id,
              "activityInstanceId": HistoricTask.id, "taskName": HistoricTask.name,
              "assignee": HistoricTask.assignee, "startTime": HistoricTask.started_at,
              "endTime": HistoricTask.ended_at, "dueDate": HistoricTask.due_at,
              "followUpDate": HistoricTask.follow_up_at, "deleteReason": HistoricTask.delete_reason,
              "taskDefinitionKey": HistoricTask.element_id, "priority": HistoricTask.priority}
VARIABLE_ORDER = {"variableName": VariableInstance.name, "variableType": VariableInstance.type,
                  "activityInstanceId": VariableInstance.instance_id}


@dataclass(frozen=True)
class Page:
    """Camunda's paging and sorting: ``order`` holds (sort key, descending) pairs, applied in turn."""

    first: int = 0
    size: int = 100
    order: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class Period:
    """Both ends optional; ``after`` and ``before`` are exclusive, as Camunda's startedAfter/…Before."""

    after: datetime | None = None
    before: datetime | None = None

    def conditions(self, column) -> list:
        found = []
        if self.after is not None:
            found.append(column > self.after)
        if self.before is not None:
            found.append(column < self.before)
        return found


@dataclass(frozen=True)
class InstanceFilter:
    instance_ids: tuple[str, ...] = ()
    definition_ids: tuple[int, ...] = ()
    definition_keys: tuple[str, ...] = ()
    business_key: str | None = None
    business_key_like: str | None = None
    finished: bool | None = None
    statuses: tuple[str, ...] = ()
    with_incidents: bool = False
    started_by: str | None = None
    started: Period = field(default_factory=Period)
    ended: Period = field(default_factory=Period)

    def conditions(self) -> list:
        found = [*_within(ProcessInstance.id, self.instance_ids),
                 *_within(ProcessInstance.definition_id, self.definition_ids),
                 *_within(ProcessInstance.definition_key, self.definition_keys),
                 *_within(ProcessInstance.status, self.statuses),
                 *self.started.conditions(ProcessInstance.started_at), *self.ended.conditions(ProcessInstance.ended_at)]
        if self.business_key is not None:
            found.append(ProcessInstance.business_key == self.business_key)
        if self.business_key_like is not None:
            found.append(ProcessInstance.business_key.like(self.business_key_like))
        if self.finished is not None:
            found.append(ProcessInstance.ended_at.is_not(None) if self.finished else ProcessInstance.ended_at.is_(None))
        if self.with_incidents:
            found.append(select(Incident.id).where(Incident.instance_id == ProcessInstance.id).exists())
        if self.started_by is not None:
            found.append(ProcessInstance.started_by == self.started_by)
        return found


@dataclass(frozen=True)
class TaskFilter:
    task_ids: tuple[str, ...] = ()
    instance_ids: tuple[str, ...] = ()
    definition_ids: tuple[int, ...] = ()
    definition_keys: tuple[str, ...] = ()
    element_ids: tuple[str, ...] = ()
    business_key: str | None = None
    name: str | None = None
    name_like: str | None = None
    assignee: str | None = None
    finished: bool | None = None
    delete_reason: str | None = None
    started: Period = field(default_factory=Period)
    ended: Period = field(default_factory=Period)

    def conditions(self) -> list:
        found = [*_within(HistoricTask.id, self.task_ids), *_within(HistoricTask.instance_id, self.instance_ids),
                 *_within(HistoricTask.definition_id, self.definition_ids),
                 *_within(HistoricTask.definition_key, self.definition_keys),
                 *_within(HistoricTask.element_id, self.element_ids),
                 *self.started.conditions(HistoricTask.started_at), *self.ended.conditions(HistoricTask.ended_at)]
        for column, value in ((HistoricTask.name, self.name), (HistoricTask.assignee, self.assignee),
                              (HistoricTask.delete_reason, self.delete_reason)):
            if value is not None:
                found.append(column == value)
        if self.name_like is not None:
            found.append(HistoricTask.name.like(self.name_like))
        if self.business_key is not None:
            found.append(select(ProcessInstance.id).where(ProcessInstance.id == HistoricTask.instance_id,
                                                          ProcessInstance.business_key == self.business_key).exists())
        if self.finished is not None:
            found.append(HistoricTask.ended_at.is_not(None) if self.finished else HistoricTask.ended_at.is_(None))
        return found


@dataclass(frozen=True)
class VariableFilter:
    name: str | None = None
    name_like: str | None = None
    instance_ids: tuple[str, ...] = ()
    # (name, JSON text of the value): Camunda's variableValues with the operator eq
    values: tuple[tuple[str, str], ...] = ()
    task_ids: tuple[str, ...] = ()  # no variable is local to a task here: asking for a task's finds none

    def conditions(self) -> list:
        found = [*_within(VariableInstance.instance_id, self.instance_ids), *([false()] if self.task_ids else [])]
        if self.name is not None:
            found.append(VariableInstance.name == self.name)
        if self.name_like is not None:
            found.append(VariableInstance.name.like(self.name_like))
        for name, text in self.values:
            other = VariableInstance.__table__.alias()
            found.append(select(other.c.id).where(other.c.instance_id == VariableInstance.instance_id,
                                                  other.c.name == name, other.c.value == text).exists())
        return found


class HistoryQueries:
    def __init__(self, db) -> None:
        self.db = db

    def instances(self, where: InstanceFilter, page: Page) -> list[tuple[ProcessInstance, ProcessDefinition]]:
        """Process instances, running and ended, each with its definition (for its name and version)."""
        query = _instance_query(select(ProcessInstance, ProcessDefinition), where)
        with self.db.reading() as session:
            return [tuple(row) for row in session.execute(_paged(query, page, INSTANCE_ORDER, ProcessInstance.id))]

    def instance_count(self, where: InstanceFilter) -> int:
        return self._count(_instance_query(select(ProcessInstance.id), where))

    def tasks(self, where: TaskFilter, page: Page) -> list[HistoricTask]:
        query = select(HistoricTask).where(*where.conditions())
        with self.db.reading() as session:
            return list(session.scalars(_paged(query, page, TASK_ORDER, HistoricTask.id)))

    def task_count(self, where: TaskFilter) -> int:
        return self._count(select(HistoricTask.id).where(*where.conditions()))

    def variables(self, where: VariableFilter, page: Page) -> list[VariableInstance]:
        query = select(VariableInstance).where(*where.conditions())
        with self.db.reading() as session:
            return list(session.scalars(_paged(query, page, VARIABLE_ORDER, VariableInstance.id)))

    def variable_count(self, where: VariableFilter) -> int:
        return self._count(select(VariableInstance.id).where(*where.conditions()))

    def variable(self, variable_id: int) -> VariableInstance | None:
        with self.db.reading() as session:
            return session.get(VariableInstance, variable_id)

    def _count(self, query: Select) -> int:
        with self.db.reading() as session:
            return _count(session, query)


def _count(session: Session, query: Select) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery()))


def _instance_query(query: Select, where: InstanceFilter) -> Select:
    return query.join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id).where(
        *where.conditions())


def _within(column, values: tuple) -> list:
    return [column.in_(values)] if values else []


def _paged(query: Select, page: Page, columns: dict, tie_breaker) -> Select:
    """Sorted by the requested keys, then by id, so pages never overlap."""
    order = [columns[key].desc() if descending else columns[key].asc() for key, descending in page.order]
    return query.order_by(*order, tie_breaker).offset(page.first).limit(page.size)
