"""The engine's services over one command executor, as Camunda 7's ``ProcessEngine`` offers its
Repository-, Runtime- and TaskService: every door (inbox, API, webhooks, scheduler, CLI) speaks this
vocabulary, and every change goes through ``CommandExecutor.transaction()``.

    engine.repository  deploy, definitions, forms            (services/repository.py)
    engine.runtime     start, correlate, operators' commands (services/runtime.py)
    engine.tasks       claim, release, hand over, complete   (services/tasks.py)
    engine.timers      due timers and firing them            (services/timers.py)
    engine.migration   move running instances to a version   (services/migration.py)
    engine.external_tasks  workers' fetch-and-lock, complete, failure, BPMN error (services/external_tasks.py)
    engine.query       the read side                         (services/queries.py)
    engine.history     history cleanup per historyTimeToLive (services/cleanup.py)
    engine.privacy     a person's data: find, export, erase    (services/privacy.py)

The engine knows no domain: whoever opens it (the composition root) adds listeners with
``on_events`` (audit events, inside each command's transaction) and ``on_save`` (each saved instance).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime

from engine.clock import Clock, SystemClock
from engine.services.access import SYSTEM, Actor, Roles
from engine.services.cleanup import HistoryService
from engine.services.executor import CommandExecutor, EventListener, GroupSource, SaveListener, SaveListening
from engine.services.external_tasks import ExternalTaskService, Topic
from engine.services.migration import MigrationService
from engine.services.privacy import PrivacyService
from engine.services.queries import Queries
from engine.services.repository import DeployedDefinition, RepositoryService
from engine.services.runtime import RuntimeService
from engine.services.tasks import Completion, TaskService
from engine.services.timers import TimerService
from engine.store.db import Database, database_url

__all__ = ["SYSTEM", "Actor", "Completion", "DeployedDefinition", "Engine", "Roles", "Topic"]


class Engine:
    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self.executor = CommandExecutor(db, clock or SystemClock())
        self._build_services()

    def _build_services(self) -> None:
        executor = self.executor
        self.repository = RepositoryService(executor)
        self.runtime = RuntimeService(executor)
        self.tasks = TaskService(executor, self.repository)
        self.timers = TimerService(executor, self.runtime)
        self.external_tasks = ExternalTaskService(executor)
        self.query = Queries(executor)
        self.history = HistoryService(executor)
        self.privacy = PrivacyService(executor)
        self.migration = MigrationService(executor)

    @classmethod
    def open(cls, url: str | None = None, clock: Clock | None = None) -> Engine:
        """An engine on the database at ``url`` (migrated first), with no listeners yet."""
        db = Database(url or database_url())
        db.migrate()
        return cls(db, clock)

    @property
    def db(self) -> Database:
        return self.executor.db

    @property
    def roles(self) -> Roles:
        return self.executor.roles

    def set_roles(self, roles: Roles) -> None:
        """Name the groups that oversee and administer (before the engine is shared or copied)."""
        self.executor.roles = roles

    @property
    def clock(self) -> Clock:
        return self.executor.clock

    def now(self) -> datetime:
        return self.executor.now()

    def with_clock(self, clock: Clock) -> Engine:
        """This engine — same database, listeners and caches — acting at the time ``clock`` tells."""
        other = copy.copy(self)
        other.executor = self.executor.with_clock(clock)
        other._build_services()
        return other

    def on_events(self, listener: EventListener) -> None:
        """Call ``listener`` inside every command's transaction with the audit events it appended,
        just before commit — an outbox written here commits or rolls back with the change."""
        self.executor.event_listeners.append(listener)

    def on_save(self, listener: SaveListener, reads: Callable[[str], bool] | None = None) -> None:
        """Call ``listener`` when a command saves an instance, before its derived rows are rewritten.
        With ``reads`` (which variable names it reads) only when one of those variables or the processes
        the instance's tokens stand in changed: a claim or a note then costs the listener nothing."""
        self.executor.save_listeners.append(SaveListening(listener, reads))

    def grant_groups(self, source: GroupSource) -> None:
        """Ask ``source`` for the groups it grants a user whenever an account becomes an actor, beside
        the account's own groups."""
        self.executor.group_sources.append(source)
