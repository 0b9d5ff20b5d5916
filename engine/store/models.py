"""Tables. Instance state is written only by the commands; the derived rows (human_task, timer,
subscription) are rewritten from the live workflow in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stored as UTC; SQLite forgets zones, so they are put back on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        return value.astimezone(UTC) if value is not None else None  # SQLite would keep the wall time only

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


def _present(name: str, column: str) -> Index:
    """An index of the rows that have a value in ``column``: most rows have none, and no query looks for those
    (migration 0067), so a row written without one costs no index page."""
    where = text(f"{column} IS NOT NULL")
    return Index(name, column, sqlite_where=where, postgresql_where=where)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict: JSON, list: JSON}


class Deployment(Base):
    __tablename__ = "deployment"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(200))


class Resource(Base):
    """One version of a deployed file, stored once by content."""

    __tablename__ = "resource"
    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"))
    name: Mapped[str] = mapped_column(String(300), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    content_hash: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    form_id: Mapped[str | None] = mapped_column(String(200), index=True)
    __table_args__ = (UniqueConstraint("name", "content_hash"),)


class ProcessDefinition(Base):
    __tablename__ = "process_definition"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"))
    source: Mapped[str] = mapped_column(String(300))
    resource_ids: Mapped[list]
    history_ttl: Mapped[str | None] = mapped_column(String(50))
    version_tag: Mapped[str | None] = mapped_column(String(100))
    none_start: Mapped[bool] = mapped_column(Boolean)
    deployed_at: Mapped[datetime]
    # Who may start it and send its messages, as read at deploy (engine/bpmn/access.py).
    starters: Mapped[dict | None]
    startable: Mapped[bool] = mapped_column(Boolean, default=True)
    calls: Mapped[list] = mapped_column(default=list)
    senders: Mapped[dict] = mapped_column(default=dict)
    __table_args__ = (UniqueConstraint("key", "version"),)


class Counter(Base):
    """A named sequence; a command takes its next value under the row's lock (business keys)."""

    __tablename__ = "counter"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class StartTrigger(Base):
    """How the latest version of a definition can be started besides by key: a message or a timer."""

    __tablename__ = "start_trigger"
    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    definition_key: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    message_name: Mapped[str | None] = mapped_column(String(200), index=True)
    timer_kind: Mapped[str | None] = mapped_column(String(20))
    timer_text: Mapped[str | None] = mapped_column(String(200))


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    definition_key: Mapped[str] = mapped_column(String(200), index=True)
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    title: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), index=True)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    waiting_at: Mapped[list]
    state: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime]
    started_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    # History cleanup as Camunda 7: ended_at + the definition's historyTimeToLive, cleared once cleaned.
    removal_at: Mapped[datetime | None]
    cleaned_at: Mapped[datetime | None]
    __table_args__ = (_present("ix_process_instance_removal_at", "removal_at"),)


class HumanTask(Base):
    """A READY user task: what the inbox lists, never read from instance state."""

    __tablename__ = "human_task"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), index=True)
    definition_key: Mapped[str] = mapped_column(String(200))
    process_key: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(500))
    candidate_groups: Mapped[list]
    candidate_users: Mapped[list]
    assignee: Mapped[str | None] = mapped_column(String(100))  # searched by ix_human_task_assigned_waiting
    claimed_at: Mapped[datetime | None]  # since when the assignee has it
    due_at: Mapped[datetime | None]
    follow_up_at: Mapped[datetime | None]
    priority: Mapped[int] = mapped_column(Integer, default=50)
    form_ref: Mapped[str | None] = mapped_column(String(200))
    form_resource_id: Mapped[int | None]
    form_key: Mapped[str | None] = mapped_column(String(300))
    form_data: Mapped[list | None]
    created_at: Mapped[datetime] = mapped_column(index=True)
    # The inbox's sort orders (migrations 0010_inbox, 0011_inbox_sqlite): on PostgreSQL partial indexes of
    # the unclaimed tasks, on SQLite indexes led by the assignee.
    __table_args__ = (
        _present("ix_human_task_due_at", "due_at"),
        Index("ix_human_task_assigned_waiting", "assignee", "created_at", "id"),
        Index("ix_human_task_open_waiting", "created_at", "id",
              postgresql_where=text("assignee IS NULL")).ddl_if(dialect="postgresql"),
        Index("ix_human_task_open_due", text("(due_at IS NULL)"), "due_at", "created_at", "id",
              postgresql_where=text("assignee IS NULL")).ddl_if(dialect="postgresql"),
        Index("ix_human_task_open_priority", text("priority DESC"), "created_at", "id",
              postgresql_where=text("assignee IS NULL")).ddl_if(dialect="postgresql"),
        Index("ix_human_task_due_order", "assignee", text("(due_at IS NULL)"), "due_at", "created_at",
              "id").ddl_if(dialect="sqlite"),
        Index("ix_human_task_priority_order", "assignee", text("priority DESC"), "created_at",
              "id").ddl_if(dialect="sqlite"),
    )


class TaskCandidate(Base):
    """One row per (task, group or user) so "tasks of group G" is an index lookup."""

    __tablename__ = "task_candidate"
    task_id: Mapped[str] = mapped_column(
        ForeignKey("human_task.id", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(5), primary_key=True)  # group | user
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    __table_args__ = (Index("ix_task_candidate_lookup", "kind", "name", "task_id"),)


class Timer(Base):
    __tablename__ = "timer"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    start_trigger_id: Mapped[int | None] = mapped_column(ForeignKey("start_trigger.id", ondelete="CASCADE"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    due_at: Mapped[datetime] = mapped_column(index=True)
    repeats_left: Mapped[int | None]  # start timers with a cycle: -1 for ever
    attached_task_id: Mapped[str | None] = mapped_column(String(36))  # a boundary timer's activity
    __table_args__ = {"sqlite_autoincrement": True}  # a fired timer's id is never reused


class Subscription(Base):
    """A catch event waiting for a message; ``variables`` holds the instance's scalar variables."""

    __tablename__ = "subscription"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    message_name: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (Index("ix_subscription_lookup", "message_name", "business_key"),)


class SubscriptionValue(Base):
    """Correlation values: a waiting instance's scalar variables, one row each, indexed."""

    __tablename__ = "subscription_value"
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscription.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
    __table_args__ = (Index("ix_subscription_value_lookup", "name", "value"),)


class Position(Base):
    """Where an instance's tokens stand (per process, so called processes count too) and since when:
    the monitor's token counts and "age in this step" come from here, not from instance state."""

    __tablename__ = "position"
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    element_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    # The version the token's process runs: the instance's, or the one a call activity chose at run time.
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    since: Mapped[datetime]
    __table_args__ = (Index("ix_position_element", "process_key", "element_id"),)



class ExternalTask(Base):
    """A READY external task (``camunda:type="external"``) waiting for a worker of its topic: what
    fetchAndLock reads. The lock and retry columns belong to the external-task commands; rewriting the
    derived rows only adds new tasks and removes finished ones."""

    __tablename__ = "external_task"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), index=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    definition_key: Mapped[str] = mapped_column(String(200))
    process_key: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    topic: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    business_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    worker_id: Mapped[str | None] = mapped_column(String(200), index=True)
    lock_expires_at: Mapped[datetime | None]
    retries: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_external_task_fetch", "topic", text("priority DESC"), "created_at"),)


class HistoricTask(Base):
    """Every user task that was ever ready, kept once it ended (Camunda's historic task instance):
    inserted beside its ``human_task`` row, closed when the task leaves. ``delete_reason`` says how it
    ended, with Camunda's words: ``completed``, or ``deleted`` when an event or the process ended it."""

    __tablename__ = "historic_task"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), index=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    definition_key: Mapped[str] = mapped_column(String(200))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    assignee: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime | None]
    follow_up_at: Mapped[datetime | None]
    started_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None] = mapped_column(index=True)
    delete_reason: Mapped[str | None] = mapped_column(String(20))


class VariableInstance(Base):
    """A running instance's variable (Camunda's variable instance): ``/variable-instance`` reads these
    rows, never instance state. ``value`` is the JSON text; a row changes only when its value does."""

    __tablename__ = "variable_instance"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"))
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("instance_id", "name", name="uq_variable_instance_name"),
                      Index("ix_variable_instance_name", "name"))


class AuditEvent(Base):
    """Append-only: who did what, when, to which instance and task, with the data entered."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50))
    element_id: Mapped[str | None] = mapped_column(String(200))
    element_name: Mapped[str | None] = mapped_column(String(300))
    task_id: Mapped[str | None] = mapped_column(String(36))
    data: Mapped[dict | None]
    __table_args__ = (Index("ix_audit_event_progress", "instance_id", "action", "at"),)


class Incident(Base):
    __tablename__ = "incident"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"), index=True)
    element_id: Mapped[str | None] = mapped_column(String(200))
    task_id: Mapped[str | None] = mapped_column(String(36))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(100))


class Account(Base):
    """A person (or a machine client's owner) who logs in; groups match the candidate groups."""

    __tablename__ = "account"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class AccountGroup(Base):
    __tablename__ = "account_group"
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class SchedulerNode(Base):
    """A running scheduler: its heartbeat tells health checks and the monitor it is alive."""

    __tablename__ = "scheduler_node"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime] = mapped_column(index=True)
    fired: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class LoginFailures(Base):
    """Failed logins in a row for one account or one address, and until when logging in is refused
    for it. In the database, so every web worker counts the same attempts."""

    __tablename__ = "login_failures"
    __table_args__ = (UniqueConstraint("kind", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # account | address
    key: Mapped[str] = mapped_column(String(200))
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]


class MigrationBatch(Base):
    """A migration run in the background (Camunda's batch): the plan, its instances, and how far it got."""

    __tablename__ = "migration_batch"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    target_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    plan: Mapped[dict]
    instance_ids: Mapped[list]
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
