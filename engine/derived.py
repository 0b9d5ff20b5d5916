"""Derive the indexed rows — ready human tasks and their history, external tasks, pending timers, message
subscriptions, positions and variables — from a live workflow, inside the command's transaction. Lists and
scans read these rows, never instance state. (A domain keeps rows of its own through ``Engine.on_save``.)

Runs on every command, so it writes only the difference with what is stored, one statement per table and
kind of change, from statements built once. What is stored comes from ``Rows``: the rows this process wrote
at the instance's current revision (kept beside the live workflow), else read back from the tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.bpmn.runtime import MessageView, TimerView, UserTaskView, Workflow
from engine.bpmn.timers import deadline
from engine.errors import InvalidData
from engine.store.db import Batch
from engine.store.models import (
    Base,
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
NEW_TIMERS = "new_timers"  # session.info: when the timers a command wrote are due (the scheduler's wake-up)
TASKS, CANDIDATES, TIMERS = HumanTask.__table__, TaskCandidate.__table__, Timer.__table__
SUBSCRIPTIONS, VALUES, POSITIONS = Subscription.__table__, SubscriptionValue.__table__, Position.__table__
EXTERNAL, HISTORY, VARIABLES = ExternalTask.__table__, HistoricTask.__table__, VariableInstance.__table__
HISTORY_FIELDS = ("assignee", "priority", "due_at", "follow_up_at", "name")


@dataclass
class Rows:
    """An instance's derived rows as stored: what the next command compares its workflow with."""

    tasks: dict[str, dict] = field(default_factory=dict)  # task id → the row's values
    timers: dict[tuple[str, datetime], int] = field(default_factory=dict)  # (task id, due) → timer id
    subscriptions: dict[tuple[str, str], tuple[int, dict]] = field(default_factory=dict)  # → (id, values)
    positions: dict[tuple[str, str], datetime] = field(default_factory=dict)  # (process, element) → since
    external: set[str] = field(default_factory=set)
    variables: dict[str, tuple[str, str]] = field(default_factory=dict)  # name → (type, JSON text)


@dataclass(frozen=True)
class Change:
    """What a save changes against the stored rows: the variables whose value changed (added and removed
    ones too) and whether the processes its tokens stand in changed (a call began or ended, the instance
    started or ended) — what its phase follows."""

    variables: frozenset[str]
    processes: bool


def variable_rows(data: dict) -> dict[str, tuple[str, str]]:
    """The variable rows ``data`` asks for: name → (Camunda type, JSON text)."""
    return {name: (variable_type(value), variable_text(value)) for name, value in data.items() if len(name) <= 200}


def position_keys(workflow: Workflow) -> dict[tuple[str, str], int | None]:
    """Where the workflow's tokens stand: (process, element) pairs, each with the version a process chosen at
    run time runs (None: the instance's own)."""
    return {(p.process_key, p.element_id): p.definition_id for p in workflow.positions()}


def change(rows: Rows, variables: dict[str, tuple[str, str]], positions: dict[tuple[str, str], int | None]) -> Change:
    names = {name for name in variables.keys() | rows.variables.keys()
             if variables.get(name) != rows.variables.get(name)}
    processes = {process for process, _ in positions} != {process for process, _ in rows.positions}
    return Change(frozenset(names), processes or not positions)


def _ids(column):
    return column.in_(bindparam("ids", expanding=True))


# Built once: the hot path only binds values. Inserts are ``inline``: nothing is read back (no implicit
# RETURNING of a generated key), so they can go in a pipeline.
_INSERT_TASKS, _INSERT_CANDIDATES, _INSERT_POSITIONS, _INSERT_EXTERNAL, _INSERT_VALUES = (
    insert(table).inline() for table in (TASKS, CANDIDATES, POSITIONS, EXTERNAL, VALUES))
_DELETE_TASKS = delete(TASKS).where(_ids(TASKS.c.id))
_DELETE_CANDIDATES = delete(CANDIDATES).where(_ids(CANDIDATES.c.task_id))
_UPDATE_TASK = update(TASKS).where(TASKS.c.id == bindparam("task_id"))
_DELETE_TIMERS = delete(TIMERS).where(_ids(TIMERS.c.id))
_INSERT_TIMERS = insert(TIMERS).returning(TIMERS.c.id, sort_by_parameter_order=True)
_DELETE_SUBSCRIPTIONS = delete(SUBSCRIPTIONS).where(_ids(SUBSCRIPTIONS.c.id))
_INSERT_SUBSCRIPTIONS = insert(SUBSCRIPTIONS).returning(SUBSCRIPTIONS.c.id, sort_by_parameter_order=True)
_DELETE_VALUES = delete(VALUES).where(_ids(VALUES.c.subscription_id))
_DELETE_POSITIONS = delete(POSITIONS).where(
    POSITIONS.c.instance_id == bindparam("instance"),
    tuple_(POSITIONS.c.process_key, POSITIONS.c.element_id).in_(bindparam("keys", expanding=True)))
_MOVE_POSITION = update(POSITIONS).where(
    POSITIONS.c.instance_id == bindparam("at_instance"), POSITIONS.c.process_key == bindparam("at_process"),
    POSITIONS.c.element_id == bindparam("from_element")).values(
    element_id=bindparam("to_element"), definition_id=bindparam("to_definition"), since=bindparam("to_since"))
_DELETE_EXTERNAL = delete(EXTERNAL).where(_ids(EXTERNAL.c.id))
_READ_TASKS = select(TASKS).where(TASKS.c.instance_id == bindparam("instance"))
_READ_TIMERS = select(TIMERS.c.id, TIMERS.c.task_id, TIMERS.c.due_at).where(
    TIMERS.c.instance_id == bindparam("instance"))
_READ_SUBSCRIPTIONS = (
    select(SUBSCRIPTIONS.c.id, SUBSCRIPTIONS.c.task_id, SUBSCRIPTIONS.c.message_name, VALUES.c.name, VALUES.c.value)
    .outerjoin(VALUES, VALUES.c.subscription_id == SUBSCRIPTIONS.c.id)
    .where(SUBSCRIPTIONS.c.instance_id == bindparam("instance")))
_READ_POSITIONS = select(POSITIONS.c.process_key, POSITIONS.c.element_id, POSITIONS.c.since).where(
    POSITIONS.c.instance_id == bindparam("instance"))
_READ_EXTERNAL = select(EXTERNAL.c.id).where(EXTERNAL.c.instance_id == bindparam("instance"))
_READ_VARIABLES = select(VARIABLES.c.name, VARIABLES.c.type, VARIABLES.c.value).where(
    VARIABLES.c.instance_id == bindparam("instance"))
_UPDATE_HISTORY = update(HISTORY).where(HISTORY.c.id == bindparam("task_id"))
_STILL_OPEN = HISTORY.c.ended_at.is_(None)
_CLOSE_HISTORY = update(HISTORY).where(_ids(HISTORY.c.id), _STILL_OPEN)
_UPSERTS: dict[tuple, Any] = {}


def _upsert(batch: Batch, table, keys: tuple[str, ...], columns: tuple[str, ...], where=None):
    """INSERT … ON CONFLICT (keys) DO UPDATE SET columns, written alike by SQLite and PostgreSQL: what
    takes an INSERT and an UPDATE in one statement. Built once per database kind and table (each table has
    one upsert here)."""
    cached = (batch.dialect.name, table.name)
    if cached not in _UPSERTS:
        statement = (postgresql.insert if cached[0] == "postgresql" else sqlite.insert)(table).inline()
        _UPSERTS[cached] = statement.on_conflict_do_update(
            index_elements=list(keys), set_={name: statement.excluded[name] for name in columns}, where=where)
    return _UPSERTS[cached]


_DELETE_VARIABLES = delete(VARIABLES).where(VARIABLES.c.instance_id == bindparam("instance"),
                                            VARIABLES.c.name.in_(bindparam("names", expanding=True)))


def stored(session: Session, instance_id: str) -> Rows:
    """The instance's derived rows as the tables hold them (when no live copy knows them)."""
    connection, bound = session.connection(), {"instance": instance_id}
    rows = Rows(tasks={row.id: dict(row._mapping) for row in connection.execute(_READ_TASKS, bound)},
                timers={(task_id, due_at): timer_id
                        for timer_id, task_id, due_at in connection.execute(_READ_TIMERS, bound)},
                positions={(process_key, element_id): since
                           for process_key, element_id, since in connection.execute(_READ_POSITIONS, bound)},
                external=set(connection.execute(_READ_EXTERNAL, bound).scalars()),
                variables={name: (kind, text) for name, kind, text in connection.execute(_READ_VARIABLES, bound)})
    for sid, task_id, message_name, name, value in connection.execute(_READ_SUBSCRIPTIONS, bound):
        _, values = rows.subscriptions.setdefault((task_id, message_name), (sid, {}))
        if name is not None:
            values[name] = value
    return rows


def rewrite(session: Session, batch: Batch, instance: ProcessInstance, workflow: Workflow, now: datetime,
            rows: Rows, variables: dict[str, tuple[str, str]], positions: dict[tuple[str, str], int | None],
            ) -> tuple[list[HumanTask], Rows]:
    """Bring the instance's derived rows from ``rows`` (as stored) to what ``workflow`` waits for, with
    its ``variable_rows`` and ``position_keys``; returns its ready tasks as (unsaved) rows and the rows
    stored once ``batch`` is sent. Timers and subscriptions are written at once (the database gives their
    ids); everything else is queued in ``batch``, for the caller to send with its own writes."""
    connection, owner = batch.connection, _Owner(instance)  # the batch's connection is the session's
    timers, messages = workflow.timers(), workflow.messages()
    wanted = Rows(tasks=_wanted_tasks(owner, workflow, rows.tasks, now),
                  timers={(t.task_id, t.due_at): 0 for t in timers},
                  subscriptions={(m.task_id, m.message_name): (0, correlation_values(workflow.task_data(m.task_id)))
                                 for m in messages},
                  positions=dict.fromkeys(positions, now))
    if rows.timers or timers:
        written = _write_timers(connection, owner, timers, rows.timers, wanted.timers)
        session.info.setdefault(NEW_TIMERS, []).extend(written)
    if rows.subscriptions or messages:
        _write_subscriptions(connection, owner, messages, rows.subscriptions, wanted.subscriptions)
    if rows.tasks or wanted.tasks:
        _write_tasks(batch, owner, rows.tasks, wanted.tasks, now, _completed_tasks(session))
    _write_positions(batch, owner, rows.positions, wanted.positions,
                     {key: definition_id or owner.definition_id for key, definition_id in positions.items()})
    wanted.external = _write_external_tasks(batch, owner, workflow, rows.external, now)
    wanted.variables = _write_variables(batch, owner, variables, rows.variables)
    return [unsaved(HumanTask, values) for values in wanted.tasks.values()], wanted


class _Owner:
    """The instance's fields its derived rows repeat, read once: each read of an ORM attribute costs."""

    __slots__ = ("id", "definition_id", "definition_key", "business_key", "title")

    def __init__(self, instance: ProcessInstance) -> None:
        self.id, self.definition_id, self.definition_key = instance.id, instance.definition_id, instance.definition_key
        self.business_key, self.title = instance.business_key, instance.title


Model = TypeVar("Model", bound=Base)


def unsaved(model: type[Model], values: dict) -> Model:
    """A ``model`` object holding ``values``, made as the ORM makes one it read: the values go straight
    into its dict, without the change events its constructor records attribute by attribute — for an
    object the session never flushes as new (a row our own statement writes, a view of one)."""
    instance = model.__mapper__.class_manager.new_instance()
    instance.__dict__.update(values)
    return instance


def clear(session: Session, batch: Batch, instance_id: str, rows: Rows | None, now: datetime) -> None:
    """Remove an ended instance's derived rows (all tables when what is stored is not known), queued in
    ``batch``; it keeps only its history, where open tasks end with it."""
    waiting = list(rows.tasks) if rows is not None else list(session.connection().execute(
        select(TASKS.c.id).where(TASKS.c.instance_id == instance_id)).scalars())
    _close_history(batch, waiting, now, _completed_tasks(session))
    known = {TASKS: rows.tasks, TIMERS: rows.timers, SUBSCRIPTIONS: rows.subscriptions,
             POSITIONS: rows.positions, EXTERNAL: rows.external, VARIABLES: rows.variables} if rows is not None else {}
    for table in (TASKS, TIMERS, SUBSCRIPTIONS, POSITIONS, EXTERNAL, VARIABLES):
        if rows is None or known[table]:
            batch.execute(delete(table).where(table.c.instance_id == instance_id))


# --- human tasks ---------------------------------------------------------------------------------
def _wanted_tasks(owner: _Owner, workflow: Workflow, stored: dict[str, dict], now: datetime) -> dict[str, dict]:
    wanted = {}
    for view in workflow.user_tasks():
        row = stored.get(view.id)
        values = _task_values(owner, view, row["created_at"] if row else now)
        values["claimed_at"] = _claimed_at(view, row, now)
        wanted[view.id] = values
    return wanted


def _completed_tasks(session: Session) -> set[str]:
    """The user tasks this command completed (the audit events it queued say so): any other task that
    leaves was ended by an event or by the end of its process."""
    return {e.task_id for e in session.info.get("audit", []) if e.action == "task.completed"}


def _write_tasks(batch: Batch, owner: _Owner, stored: dict[str, dict], wanted: dict[str, dict], now: datetime,
                 completed: set[str]) -> None:
    """Bring the task rows from ``stored`` to ``wanted``. A task that left and one that arrived share a row:
    when both are offered to the same candidates, it is rewritten in place for the newcomer (one UPDATE where
    a DELETE and two INSERTs would be needed), its candidate rows following it by ON UPDATE CASCADE."""
    gone = [task_id for task_id in stored if task_id not in wanted]
    new = [values for task_id, values in wanted.items() if task_id not in stored]
    kept = [(task_id, values) for task_id, values in wanted.items()
            if task_id in stored and _differs(stored[task_id], values)]
    reused = _pairs(stored, gone, new) if gone and new else {}  # a pair needs one of each
    rewritten = kept + list(reused.items())
    taken_over = {values["id"] for values in reused.values()}
    inserted = [values for values in new if values["id"] not in taken_over]
    removed = [task_id for task_id in gone if task_id not in reused]
    if removed:
        batch.execute(_DELETE_TASKS, {"ids": removed})  # their candidates go by ON DELETE CASCADE
    if inserted:
        batch.execute(_INSERT_TASKS, inserted)
    if gone or new:
        _write_history(batch, owner, [stored[task_id] for task_id in gone], new, now, completed)
    if rewritten:
        batch.execute(_UPDATE_TASK, [{"task_id": task_id, **values} for task_id, values in rewritten])
        if kept:
            batch.execute(_UPDATE_HISTORY, [{"task_id": values["id"], **_history_fields(values)} for _, values in kept])
    recandidated = [values for task_id, values in rewritten if _offers(stored[task_id]) != _offers(values)]
    if recandidated:
        batch.execute(_DELETE_CANDIDATES, {"ids": [values["id"] for values in recandidated]})
    candidates = [row for values in inserted + recandidated for row in _candidates(values)]
    if candidates:
        batch.execute(_INSERT_CANDIDATES, candidates)


def _pairs(stored: dict[str, dict], gone: list[str], new: list[dict]) -> dict[str, dict]:
    """Which left task's row each arriving task takes over: one offered to the same candidates, whose
    candidate rows can stay (with other candidates a DELETE and an INSERT are as cheap)."""
    free, pairs = list(gone), {}
    for values in new:
        same = next((task_id for task_id in free if _offers(stored[task_id]) == _offers(values)), None)
        if same is not None:
            free.remove(same)
            pairs[same] = values
    return pairs


def _history_row(owner: _Owner, values: dict, ended_at: datetime | None, reason: str | None) -> dict:
    return {"id": values["id"], "instance_id": owner.id, "definition_id": owner.definition_id,
            "definition_key": owner.definition_key, "element_id": values["element_id"],
            "started_at": values["created_at"], **_history_fields(values), "ended_at": ended_at,
            "delete_reason": reason}


def _history_fields(values: dict) -> dict:
    return {name: values[name] for name in HISTORY_FIELDS}


def _write_history(batch: Batch, owner: _Owner, gone: list[dict], new: list[dict], now: datetime,
                   completed: set[str]) -> None:
    """Close the history of the tasks that left and open it for the new ones, in one statement: a gone
    task's row is there, so its values only end it (unless it was ended already)."""
    rows = [_history_row(owner, values, now, "completed" if values["id"] in completed else "deleted")
            for values in gone]
    rows += [_history_row(owner, values, None, None) for values in new]
    batch.execute(_upsert(batch, HISTORY, ("id",), ("ended_at", "delete_reason"),
                               where=_STILL_OPEN), rows)


def _close_history(batch: Batch, task_ids: list[str], now: datetime, completed: set[str]) -> None:
    for reason, ids in (("completed", [i for i in task_ids if i in completed]),
                        ("deleted", [i for i in task_ids if i not in completed])):
        if ids:
            batch.execute(_CLOSE_HISTORY, {"ids": ids, "ended_at": now, "delete_reason": reason})


def _differs(stored: dict, values: dict) -> bool:
    return any(stored.get(name) != value for name, value in values.items() if name != "created_at")


def _task_values(owner: _Owner, view: UserTaskView, created_at: datetime) -> dict:
    attrs = view.attributes
    return {
        "id": view.id,
        "instance_id": owner.id,
        "definition_key": owner.definition_key,
        "process_key": view.process_key,
        "element_id": view.element_id,
        "name": view.name,
        "lane": view.lane,
        "business_key": owner.business_key,
        "title": owner.title,
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


def _claimed_at(view: UserTaskView, row: dict | None, now: datetime) -> datetime | None:
    """The moment the current assignee got the task: kept while the same person holds it."""
    if view.assignee is None:
        return None
    return row["claimed_at"] if row is not None and row["assignee"] == view.assignee else now


def _offers(values: dict) -> list[tuple[str, str]]:
    """To whom a task row is offered: (kind, name) of its candidate rows."""
    rows = [("group", name) for name in values["candidate_groups"]]
    rows += [("user", name) for name in values["candidate_users"]]
    if values["assignee"]:
        rows.append(("user", values["assignee"]))
    return list(dict.fromkeys(rows))


def _candidates(values: dict) -> list[dict]:
    return [{"task_id": values["id"], "kind": kind, "name": name} for kind, name in _offers(values)]


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
    if value is None:  # most tasks set none: spare the TypeError
        return 50
    try:
        return int(value)
    except (TypeError, ValueError):
        return 50


# --- timers, subscriptions, positions, external tasks ----------------------------------------------
def _write_timers(connection: Connection, owner: _Owner, timers: list[TimerView],
                  stored: dict[tuple[str, datetime], int], wanted: dict[tuple[str, datetime], int]) -> list[datetime]:
    """Keep unchanged timer rows (and their ids, which a scheduler may hold); replace the rest. Returns
    when the new ones are due."""
    gone = [timer_id for key, timer_id in stored.items() if key not in wanted]
    if gone:
        connection.execute(_DELETE_TIMERS, {"ids": gone})
    new = [t for t in timers if (t.task_id, t.due_at) not in stored]
    if new:
        rows = [{"instance_id": owner.id, "task_id": t.task_id, "element_id": t.element_id, "name": t.name,
                 "due_at": t.due_at, "attached_task_id": t.attached_to} for t in new]
        ids = connection.execute(_INSERT_TIMERS, rows).scalars().all()
        stored = stored | {(t.task_id, t.due_at): timer_id for t, timer_id in zip(new, ids, strict=True)}
    wanted.update({key: stored[key] for key in wanted})
    return [t.due_at for t in new]


def _write_subscriptions(connection: Connection, owner: _Owner, messages: list[MessageView],
                         stored: dict[tuple[str, str], tuple[int, dict]],
                         wanted: dict[tuple[str, str], tuple[int, dict]]) -> None:
    """Subscriptions stay while their task waits; their correlation values are rewritten when they changed."""
    gone = [sid for key, (sid, _) in stored.items() if key not in wanted]
    if gone:
        connection.execute(_DELETE_SUBSCRIPTIONS, {"ids": gone})  # their values go by ON DELETE CASCADE
    new = [m for m in messages if (m.task_id, m.message_name) not in stored]
    if new:
        rows = [{"instance_id": owner.id, "task_id": m.task_id, "element_id": m.element_id,
                 "message_name": m.message_name, "business_key": owner.business_key} for m in new]
        ids = connection.execute(_INSERT_SUBSCRIPTIONS, rows).scalars().all()
        stored = stored | {(m.task_id, m.message_name): (sid, {}) for m, sid in zip(new, ids, strict=True)}
    outdated, values_rows = [], []
    for key, (_, values) in wanted.items():
        sid, before = stored[key]
        wanted[key] = (sid, values)
        if before != values:
            outdated += [sid] if before else []
            values_rows += [{"subscription_id": sid, "name": name, "value": value} for name, value in values.items()]
    if outdated:
        connection.execute(_DELETE_VALUES, {"ids": outdated})
    if values_rows:
        connection.execute(_INSERT_VALUES, values_rows)


def _write_positions(batch: Batch, owner: _Owner, stored: dict[tuple[str, str], datetime],
                     wanted: dict[tuple[str, str], datetime], definitions: dict[tuple[str, str], int]) -> None:
    """Tokens that stay keep their arrival time; new ones arrive now. A token that left one element of a
    process while another arrived in it is one moved row. Each row carries the version its process runs:
    the instance's, or the one a call activity chose at run time (``definitions``)."""
    left = [key for key in stored if key not in wanted]
    arrived = [key for key in wanted if key not in stored]
    moves = []
    for key in list(arrived):
        origin = next((old for old in left if old[0] == key[0]), None)
        if origin is not None:
            left.remove(origin)
            arrived.remove(key)
            moves.append({"at_instance": owner.id, "at_process": key[0], "from_element": origin[1],
                          "to_element": key[1], "to_definition": definitions[key], "to_since": wanted[key]})
    if left:
        batch.execute(_DELETE_POSITIONS, {"instance": owner.id, "keys": left})
    if moves:
        batch.execute(_MOVE_POSITION, moves)
    if arrived:
        batch.execute(_INSERT_POSITIONS, [
            {"instance_id": owner.id, "process_key": process_key, "element_id": element_id,
             "definition_id": definitions[(process_key, element_id)], "since": wanted[(process_key, element_id)]}
            for process_key, element_id in arrived])
    wanted.update({key: since for key, since in stored.items() if key in wanted})


def _write_external_tasks(batch: Batch, owner: _Owner, workflow: Workflow, stored: set[str],
                          now: datetime) -> set[str]:
    """Add new external tasks, drop finished ones; a waiting task's row (its lock, retries) stays as it is."""
    views = workflow.external_tasks()
    waiting = {view.id for view in views}
    finished = stored - waiting
    if finished:
        batch.execute(_DELETE_EXTERNAL, {"ids": list(finished)})
    rows = [{"id": v.id, "instance_id": owner.id, "definition_id": owner.definition_id,
             "definition_key": owner.definition_key, "process_key": v.process_key, "element_id": v.element_id,
             "name": v.name, "topic": v.topic, "priority": v.priority, "business_key": owner.business_key,
             "created_at": now} for v in views if v.id not in stored]
    if rows:
        batch.execute(_INSERT_EXTERNAL, rows)
    return waiting


def _write_variables(batch: Batch, owner: _Owner, wanted: dict[str, tuple[str, str]],
                     stored: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Insert, update or delete only the variables whose JSON text changed."""
    gone = [name for name in stored if name not in wanted]
    if gone:
        batch.execute(_DELETE_VARIABLES, {"instance": owner.id, "names": gone})
    written = [{"instance_id": owner.id, "definition_id": owner.definition_id, "name": name, "type": kind,
                "value": text} for name, (kind, text) in wanted.items() if stored.get(name) != (kind, text)]
    if written:  # new and changed ones in one statement
        batch.execute(_upsert(batch, VARIABLES, ("instance_id", "name"), ("type", "value")), written)
    return wanted


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
