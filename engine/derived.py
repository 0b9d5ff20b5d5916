"""Derive the indexed rows — ready human tasks and their history, external tasks, pending timers, message
subscriptions, positions and variables — from a live workflow, inside the command's transaction. Lists and
scans read these rows, never instance state. (A domain keeps rows of its own through ``Engine.on_save``.)

Runs on every command, so it speaks SQLAlchemy Core and touches only rows that changed.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.orm import Session

from engine.bpmn.runtime import UserTaskView, Workflow
from engine.bpmn.timers import deadline
from engine.errors import InvalidData
from engine.store.models import (
    ExternalTask,
    HistoricTask,
    HumanTask,
    Position,
    ProcessInstance,
    Subscription,
    SubscriptionValue,
    TaskCandidate,
    Timer,
    VariableInstance,
)

MAX_CORRELATION_VALUE = 500
TASKS, CANDIDATES, TIMERS = HumanTask.__table__, TaskCandidate.__table__, Timer.__table__
SUBSCRIPTIONS, VALUES, POSITIONS = Subscription.__table__, SubscriptionValue.__table__, Position.__table__
EXTERNAL, HISTORY, VARIABLES = ExternalTask.__table__, HistoricTask.__table__, VariableInstance.__table__
HISTORY_FIELDS = ("assignee", "priority", "due_at", "follow_up_at", "name")


def rewrite(session: Session, instance: ProcessInstance, workflow: Workflow, now: datetime) -> list[HumanTask]:
    """Rewrite the instance's derived rows; returns its ready tasks as (unsaved) rows."""
    connection = session.connection()
    ready = _rewrite_tasks(connection, instance, workflow, now, _completed_tasks(session))
    _rewrite_timers(connection, instance, workflow)
    _rewrite_subscriptions(connection, instance, workflow)
    _rewrite_positions(connection, instance, workflow, now)
    _rewrite_external_tasks(connection, instance, workflow, now)
    _rewrite_variables(connection, instance, workflow.data)
    return ready


def clear(session: Session, instance_id: str, now: datetime) -> None:
    """An ended instance keeps only its history: open historic tasks end with it."""
    connection = session.connection()
    waiting = list(connection.execute(select(TASKS.c.id).where(TASKS.c.instance_id == instance_id)).scalars())
    _close_history(connection, waiting, now, _completed_tasks(session))
    for table in (TASKS, TIMERS, SUBSCRIPTIONS, POSITIONS, EXTERNAL, VARIABLES):
        connection.execute(delete(table).where(table.c.instance_id == instance_id))


def _completed_tasks(session: Session) -> set[str]:
    """The user tasks this command completed (the audit events it queued say so): any other task that
    leaves was ended by an event or by the end of its process."""
    return {e.task_id for e in session.info.get("audit", []) if e.action == "task.completed"}


def _rewrite_tasks(connection: Connection, instance: ProcessInstance, workflow: Workflow,
                   now: datetime, completed: set[str]) -> list[HumanTask]:
    views = {view.id: view for view in workflow.user_tasks()}
    ready = []
    stored = {row.id: row for row in connection.execute(select(TASKS).where(TASKS.c.instance_id == instance.id))}
    gone = [task_id for task_id in stored if task_id not in views]
    if gone:
        connection.execute(delete(TASKS).where(TASKS.c.id.in_(gone)))
        _close_history(connection, gone, now, completed)
    for view in views.values():
        row = stored.get(view.id)
        values = _task_values(instance, view, row.created_at if row else now)
        values["claimed_at"] = _claimed_at(view, row, now)
        ready.append(HumanTask(**values))
        if row is None:
            connection.execute(insert(TASKS), [values])
            connection.execute(insert(HISTORY), [_history_values(instance, values)])
        elif any(getattr(row, name) != value for name, value in values.items() if name != "created_at"):
            connection.execute(update(TASKS).where(TASKS.c.id == view.id).values(values))
            connection.execute(delete(CANDIDATES).where(CANDIDATES.c.task_id == view.id))
            connection.execute(update(HISTORY).where(HISTORY.c.id == view.id)
                               .values({name: values[name] for name in HISTORY_FIELDS}))
        else:
            continue
        candidates = _candidates(values)
        if candidates:
            connection.execute(insert(CANDIDATES), candidates)
    return ready


def _task_values(instance: ProcessInstance, view: UserTaskView, created_at: datetime) -> dict:
    attrs = view.attributes
    return {
        "id": view.id,
        "instance_id": instance.id,
        "definition_key": instance.definition_key,
        "process_key": view.process_key,
        "element_id": view.element_id,
        "name": view.name,
        "lane": view.lane,
        "business_key": instance.business_key,
        "title": instance.title,
        "candidate_groups": _names(attrs.get("candidateGroups")),
        "candidate_users": _names(attrs.get("candidateUsers")),
        "assignee": view.assignee,
        "due_at": _instant(attrs.get("dueDate"), "dueDate", view),
        "follow_up_at": _instant(attrs.get("followUpDate"), "followUpDate", view),
        "priority": _priority(attrs.get("priority")),
        "form_ref": view.form_ref,
        "form_resource_id": None,
        "form_key": attrs.get("formKey"),
        "form_data": attrs.get("formData"),
        "created_at": created_at,
    }


def _history_values(instance: ProcessInstance, values: dict) -> dict:
    return {"id": values["id"], "instance_id": instance.id, "definition_id": instance.definition_id,
            "definition_key": instance.definition_key, "element_id": values["element_id"],
            "started_at": values["created_at"], **{name: values[name] for name in HISTORY_FIELDS}}


def _close_history(connection: Connection, task_ids: list[str], now: datetime, completed: set[str]) -> None:
    for reason, ids in (("completed", [i for i in task_ids if i in completed]),
                        ("deleted", [i for i in task_ids if i not in completed])):
        if ids:
            connection.execute(update(HISTORY).where(HISTORY.c.id.in_(ids), HISTORY.c.ended_at.is_(None))
                               .values(ended_at=now, delete_reason=reason))


def _claimed_at(view: UserTaskView, row, now: datetime) -> datetime | None:
    """The moment the current assignee got the task: kept while the same person holds it."""
    if view.assignee is None:
        return None
    return row.claimed_at if row is not None and row.assignee == view.assignee else now


def _candidates(values: dict) -> list[dict]:
    rows = [("group", name) for name in values["candidate_groups"]]
    rows += [("user", name) for name in values["candidate_users"]]
    if values["assignee"]:
        rows.append(("user", values["assignee"]))
    return [
        {"task_id": values["id"], "kind": kind, "name": name, "created_at": values["created_at"]}
        for kind, name in dict.fromkeys(rows)
    ]


def _names(value) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _instant(value, attribute: str, view: UserTaskView) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    try:
        return deadline(str(value))
    except ValueError as error:
        raise InvalidData(f"{attribute} van taak '{view.name}': '{value}' is geen ISO 8601-datum of -tijdstip",
                          []) from error


def _priority(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 50


def _rewrite_timers(connection: Connection, instance: ProcessInstance, workflow: Workflow) -> None:
    """Keep unchanged timer rows (and their ids, which a scheduler may hold); replace the rest."""
    wanted = {(t.task_id, t.due_at): t for t in workflow.timers()}
    stored = connection.execute(select(TIMERS.c.id, TIMERS.c.task_id, TIMERS.c.due_at)
                                .where(TIMERS.c.instance_id == instance.id)).all()
    gone = [timer_id for timer_id, task_id, due_at in stored if (task_id, due_at) not in wanted]
    if gone:
        connection.execute(delete(TIMERS).where(TIMERS.c.id.in_(gone)))
    kept = {(task_id, due_at) for _, task_id, due_at in stored}
    rows = [
        {"instance_id": instance.id, "task_id": t.task_id, "element_id": t.element_id, "name": t.name,
         "due_at": t.due_at, "attached_task_id": t.attached_to}
        for key, t in wanted.items() if key not in kept
    ]
    if rows:
        connection.execute(insert(TIMERS), rows)


def _rewrite_subscriptions(connection: Connection, instance: ProcessInstance, workflow: Workflow) -> None:
    wanted = {(m.task_id, m.message_name): m for m in workflow.messages()}
    stored = connection.execute(select(SUBSCRIPTIONS.c.id, SUBSCRIPTIONS.c.task_id, SUBSCRIPTIONS.c.message_name)
                                .where(SUBSCRIPTIONS.c.instance_id == instance.id)).all()
    existing = {(task_id, name): sid for sid, task_id, name in stored if (task_id, name) in wanted}
    gone = [sid for sid, task_id, name in stored if (task_id, name) not in wanted]
    if gone:
        connection.execute(delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id.in_(gone)))
    for key, message in wanted.items():
        subscription_id = existing.get(key) or connection.execute(
            insert(SUBSCRIPTIONS)
            .values(instance_id=instance.id, task_id=message.task_id, element_id=message.element_id,
                    message_name=message.message_name, business_key=instance.business_key)
            .returning(SUBSCRIPTIONS.c.id)
        ).scalar_one()
        _rewrite_values(connection, subscription_id, correlation_values(workflow.task_data(message.task_id)))


def _rewrite_values(connection: Connection, subscription_id: int, values: dict[str, str]) -> None:
    connection.execute(delete(VALUES).where(VALUES.c.subscription_id == subscription_id))
    if values:
        connection.execute(
            insert(VALUES), [{"subscription_id": subscription_id, "name": k, "value": v} for k, v in values.items()]
        )


def _rewrite_positions(connection: Connection, instance: ProcessInstance, workflow: Workflow, now: datetime) -> None:
    """Tokens that stay keep their arrival time; new ones arrive now."""
    wanted = {(p.process_key, p.element_id) for p in workflow.positions()}
    stored = set(connection.execute(select(POSITIONS.c.process_key, POSITIONS.c.element_id)
                                    .where(POSITIONS.c.instance_id == instance.id)).all())
    for process_key, element_id in stored - wanted:
        connection.execute(delete(POSITIONS).where(POSITIONS.c.instance_id == instance.id,
                                                   POSITIONS.c.process_key == process_key,
                                                   POSITIONS.c.element_id == element_id))
    arrived = [{"instance_id": instance.id, "process_key": process_key, "element_id": element_id,
                "definition_id": instance.definition_id, "since": now} for process_key, element_id in wanted - stored]
    if arrived:
        connection.execute(insert(POSITIONS), arrived)


def _rewrite_external_tasks(connection: Connection, instance: ProcessInstance, workflow: Workflow,
                            now: datetime) -> None:
    """Add new external tasks, drop finished ones; a waiting task's row (its lock, retries) stays as it is."""
    views = {view.id: view for view in workflow.external_tasks()}
    stored = set(connection.execute(select(EXTERNAL.c.id).where(EXTERNAL.c.instance_id == instance.id)).scalars())
    if stored - set(views):
        connection.execute(delete(EXTERNAL).where(EXTERNAL.c.id.in_(stored - set(views))))
    rows = [{"id": v.id, "instance_id": instance.id, "definition_id": instance.definition_id,
             "definition_key": instance.definition_key, "process_key": v.process_key, "element_id": v.element_id,
             "name": v.name, "topic": v.topic, "priority": v.priority, "business_key": instance.business_key,
             "created_at": now} for task_id, v in views.items() if task_id not in stored]
    if rows:
        connection.execute(insert(EXTERNAL), rows)


def _rewrite_variables(connection: Connection, instance: ProcessInstance, data: dict) -> None:
    """Insert, update or delete only the variables whose JSON text changed."""
    wanted = {name: (variable_type(value), variable_text(value)) for name, value in data.items() if len(name) <= 200}
    stored = {name: (kind, text) for name, kind, text in connection.execute(
        select(VARIABLES.c.name, VARIABLES.c.type, VARIABLES.c.value).where(VARIABLES.c.instance_id == instance.id))}
    gone = [name for name in stored if name not in wanted]
    if gone:
        connection.execute(delete(VARIABLES).where(VARIABLES.c.instance_id == instance.id,
                                                   VARIABLES.c.name.in_(gone)))
    for name, (kind, text) in wanted.items():
        if name in stored and stored[name] != (kind, text):
            connection.execute(update(VARIABLES).where(VARIABLES.c.instance_id == instance.id,
                                                       VARIABLES.c.name == name).values(type=kind, value=text))
    new = [{"instance_id": instance.id, "definition_id": instance.definition_id, "name": name, "type": kind,
            "value": text} for name, (kind, text) in wanted.items() if name not in stored]
    if new:
        connection.execute(insert(VARIABLES), new)


def variable_text(value: Any) -> str:
    """How a variable row holds its value (and how a filter on a value must write it)."""
    return json.dumps(value, ensure_ascii=False, default=str)


def variable_type(value: Any) -> str:
    """The Camunda type name of a plain JSON value."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer" if -(2**31) <= value < 2**31 else "Long" if -(2**63) <= value < 2**63 else "Object"
    if isinstance(value, float):
        return "Double"
    if isinstance(value, str):
        return "String"
    return "Json" if isinstance(value, dict | list) else "Object"


def correlation_values(data: dict) -> dict[str, str]:
    """The scalar variables a message can be correlated on, each as its JSON text."""
    values = {}
    for name, value in data.items():
        if isinstance(value, str | int | float | bool) and len(name) <= 200:
            text = json.dumps(value, ensure_ascii=False)
            if len(text) <= MAX_CORRELATION_VALUE:
                values[name] = text
    return values
