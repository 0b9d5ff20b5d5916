"""Derive the indexed rows — ready human tasks, pending timers, message subscriptions — from a live
workflow, inside the command's transaction. Lists and scans read these rows, never instance state."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from engine.bpmn.runtime import UserTaskView, Workflow
from engine.clock import parse_instant
from engine.store.models import (
    HumanTask,
    ProcessInstance,
    Subscription,
    SubscriptionValue,
    TaskCandidate,
    Timer,
)

MAX_CORRELATION_VALUE = 500


def rewrite(session: Session, instance: ProcessInstance, workflow: Workflow, now: datetime) -> None:
    _rewrite_tasks(session, instance, workflow, now)
    _rewrite_timers(session, instance, workflow)
    _rewrite_subscriptions(session, instance, workflow)


def clear(session: Session, instance_id: str) -> None:
    session.execute(delete(HumanTask).where(HumanTask.instance_id == instance_id))
    session.execute(delete(Timer).where(Timer.instance_id == instance_id))
    session.execute(delete(Subscription).where(Subscription.instance_id == instance_id))


def _rewrite_tasks(session: Session, instance: ProcessInstance, workflow: Workflow, now: datetime) -> None:
    views = {view.id: view for view in workflow.user_tasks()}
    stored = {row.id: row for row in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id))}
    gone = [task_id for task_id in stored if task_id not in views]
    if gone:
        session.execute(delete(HumanTask).where(HumanTask.id.in_(gone)))
    for view in views.values():
        row = stored.get(view.id)
        values = _task_values(instance, view, row.created_at if row else now)
        if row is None:
            session.execute(insert(HumanTask), [values])
            _insert_candidates(session, values)
        elif _changed(row, values):
            session.execute(delete(TaskCandidate).where(TaskCandidate.task_id == view.id))
            for name, value in values.items():
                setattr(row, name, value)
            session.flush()
            _insert_candidates(session, values)


def _changed(row: HumanTask, values: dict) -> bool:
    return any(getattr(row, name) != value for name, value in values.items())


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
        "due_at": _instant(attrs.get("dueDate")),
        "follow_up_at": _instant(attrs.get("followUpDate")),
        "priority": _priority(attrs.get("priority")),
        "form_ref": view.form_ref,
        "form_resource_id": None,
        "form_key": attrs.get("formKey"),
        "form_data": attrs.get("formData"),
        "created_at": created_at,
    }


def _insert_candidates(session: Session, values: dict) -> None:
    rows = _candidates(values)
    if rows:
        session.execute(insert(TaskCandidate), rows)


def _candidates(values: dict) -> list[dict]:
    rows = [("group", name) for name in values["candidate_groups"]]
    rows += [("user", name) for name in values["candidate_users"]]
    if values["assignee"]:
        rows.append(("user", values["assignee"]))
    unique = dict.fromkeys(rows)
    return [
        {"task_id": values["id"], "kind": kind, "name": name, "created_at": values["created_at"]}
        for kind, name in unique
    ]


def _names(value) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _instant(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    return parse_instant(str(value))


def _priority(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 50


def _rewrite_timers(session: Session, instance: ProcessInstance, workflow: Workflow) -> None:
    """Keep unchanged timer rows (and their ids, which a scheduler may hold); replace the rest."""
    wanted = {(t.task_id, t.due_at): t for t in workflow.timers()}
    stored = session.execute(select(Timer.id, Timer.task_id, Timer.due_at).where(Timer.instance_id == instance.id))
    kept = set()
    for timer_id, task_id, due_at in stored:
        if (task_id, due_at) in wanted:
            kept.add((task_id, due_at))
        else:
            session.execute(delete(Timer).where(Timer.id == timer_id))
    rows = [
        {"instance_id": instance.id, "task_id": t.task_id, "element_id": t.element_id, "name": t.name,
         "due_at": t.due_at}
        for key, t in wanted.items() if key not in kept
    ]
    if rows:
        session.execute(insert(Timer), rows)


def _rewrite_subscriptions(session: Session, instance: ProcessInstance, workflow: Workflow) -> None:
    wanted = {(m.task_id, m.message_name): m for m in workflow.messages()}
    stored = session.execute(select(Subscription.id, Subscription.task_id, Subscription.message_name)
                             .where(Subscription.instance_id == instance.id))
    existing = {}
    for subscription_id, task_id, name in stored:
        if (task_id, name) in wanted:
            existing[(task_id, name)] = subscription_id
        else:
            session.execute(delete(Subscription).where(Subscription.id == subscription_id))
    for key, message in wanted.items():
        subscription_id = existing.get(key) or session.execute(
            insert(Subscription)
            .values(instance_id=instance.id, task_id=message.task_id, element_id=message.element_id,
                    message_name=message.message_name, business_key=instance.business_key)
            .returning(Subscription.id)
        ).scalar_one()
        _rewrite_values(session, subscription_id, correlation_values(workflow.task_data(message.task_id)))


def _rewrite_values(session: Session, subscription_id: int, values: dict[str, str]) -> None:
    session.execute(delete(SubscriptionValue).where(SubscriptionValue.subscription_id == subscription_id))
    if values:
        session.execute(
            insert(SubscriptionValue),
            [{"subscription_id": subscription_id, "name": k, "value": v} for k, v in values.items()],
        )


def correlation_values(data: dict) -> dict[str, str]:
    """The scalar variables a message can be correlated on, each as its JSON text."""
    values = {}
    for name, value in data.items():
        if isinstance(value, str | int | float | bool) and len(name) <= 200:
            text = json.dumps(value, ensure_ascii=False)
            if len(text) <= MAX_CORRELATION_VALUE:
                values[name] = text
    return values
