"""The scheduler: fires every due BPMN timer through the timer service and runs the periodic jobs its
owner hands it (for GROS: the meeting calendar, the stall radar, webhooks out and in, mail and deadline
reminders — see engine/wiring.py).

It never polls instances. It reads the indexed ``timer`` rows, sleeps until the earliest ``due_at``
(at most ``max_sleep``), and is woken early when a command creates an earlier timer: in the same
process after the command commits, in other processes by PostgreSQL ``NOTIFY gros_timer``.

Exactly once across nodes: ``fire_timer`` locks the instance row and re-reads the timer after the
lock, so a timer another node fired is gone; ``skip_locked`` makes a node pass over an instance
another node holds right now instead of queueing behind it. A node killed mid-fire holds its lock
only as long as its connection lives; PostgreSQL then rolls the transaction back and the timer is
still due for the survivors.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from weakref import WeakKeyDictionary

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from engine.derived import NEW_TIMERS
from engine.services import Engine
from engine.services.executor import AuditRecord
from engine.store.models import SchedulerNode, Timer

log = logging.getLogger("gros.scheduler")

CHANNEL = "gros_timer"
TIMER_JOB = "timers"


@dataclass(frozen=True)
class Settings:
    workers: int = 4  # timers fired side by side per process on PostgreSQL (SQLite has one writer)
    batch: int = 200
    max_sleep: float = 30.0  # the longest sleep without a wake-up: a safety net, not the mechanism
    busy_retry: float = 0.05  # timers held by another transaction are looked at again after this
    retry_after: timedelta = timedelta(minutes=5)  # a timer that failed unexpectedly waits this long
    radar_every: float = 300.0
    calendar_every: float = 60.0
    deliver_every: float = 5.0
    mail_every: float = 30.0
    reminder_every: float = 600.0
    inbox_every: float = 1.0  # how long a queued inbound webhook waits at most for the worker
    heartbeat_every: float = 10.0
    cleanup_every: float = 600.0  # how often a node looks whether it is in the history cleanup window
    cleanup_window: str = "01:00-05:00"  # business wall clock; empty: no automatic history cleanup

    @classmethod
    def from_env(cls, environ=os.environ) -> Settings:
        def number(name: str, default: float) -> float:
            return float(environ.get(name, default))

        return cls(
            workers=int(number("GROS_SCHEDULER_WORKERS", cls.workers)),
            max_sleep=number("GROS_SCHEDULER_MAX_SLEEP", cls.max_sleep),
            radar_every=number("GROS_RADAR_EVERY", cls.radar_every),
            calendar_every=number("GROS_CALENDAR_EVERY", cls.calendar_every),
            cleanup_every=number("GROS_HISTORY_CLEANUP_EVERY", cls.cleanup_every),
            inbox_every=number("GROS_WEBHOOK_INBOX_EVERY", cls.inbox_every),
            cleanup_window=environ.get("GROS_HISTORY_CLEANUP_WINDOW", cls.cleanup_window),
        )


@dataclass
class Round:
    """What one pass over the due timers did."""

    fired: int = 0
    passed: int = 0  # gone, or held by another node
    failed: int = 0
    retry: int = 0  # a database error; still due
    errors: list[str] = field(default_factory=list)


class TimerRunner:
    """Fires the due timers, oldest first, until none fires any more. Tests drive it with a moved clock."""

    def __init__(self, engine: Engine, settings: Settings | None = None) -> None:
        self.engine = engine
        self.settings = settings or Settings()
        workers = 1 if engine.db.is_sqlite else max(1, self.settings.workers)
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="gros-timer") if workers > 1 else None

    def run_due(self, now: datetime | None = None) -> Round:
        result = Round()
        fired_here: set[int] = set()
        while True:
            moment = now or self.engine.now()
            ids = self.due(moment)
            self._postpone_stuck([i for i in ids if i in fired_here], moment)
            ids = [i for i in ids if i not in fired_here]
            if not ids:
                return result
            # Without a fixed ``now`` each timer fires at the clock's time when its turn comes.
            outcomes = list(self._map(partial(self._fire, now=now), ids))
            for timer_id, (outcome, error) in zip(ids, outcomes, strict=True):
                setattr(result, outcome, getattr(result, outcome) + 1)
                if outcome == "fired":
                    fired_here.add(timer_id)
                if error:
                    result.errors.append(error)
            if all(outcome != "fired" for outcome, _ in outcomes):
                return result

    def _postpone_stuck(self, ids: list[int], now: datetime) -> None:
        """A timer that fired and is still due with the same row would fire for ever: an incident instead."""
        for timer_id in ids:
            log.error("timer %s is still due after it fired", timer_id)
            self._postpone(timer_id, RuntimeError("de timer bleef na het afgaan verschuldigd"), now)

    def due(self, now: datetime) -> list[int]:
        return self.engine.timers.due_timers(now, self.settings.batch)

    def next_due(self) -> datetime | None:
        return self.engine.timers.next_timer_due()

    def _map(self, function: Callable[[int], bool], ids: list[int]):
        return self._pool.map(function, ids) if self._pool else map(function, ids)

    def _fire(self, timer_id: int, now: datetime | None) -> tuple[str, str | None]:
        """("fired" | "passed" | "failed" | "retry", error): passed means gone or held by another node."""
        token = _in_round.set(True)
        try:
            return ("fired" if self.engine.timers.fire_timer(timer_id, now, skip_locked=True) else "passed"), None
        except OperationalError as error:  # lost connection, deadlock, serialization: the timer stays due
            log.warning("timer %s: database error, will retry: %s", timer_id, error.orig or error)
            return "retry", str(error.orig or error)
        except Exception as error:
            log.exception("timer %s failed", timer_id)
            self._postpone(timer_id, error, now or self.engine.now())
            return "failed", f"{type(error).__name__}: {error}"
        finally:
            _in_round.reset(token)

    def _postpone(self, timer_id: int, error: Exception, now: datetime) -> None:
        try:
            self.engine.timers.timer_failed(timer_id, error, now + self.settings.retry_after)
        except Exception:
            log.exception("timer %s: could not record the failure", timer_id)

    def close(self) -> None:
        if self._pool:
            self._pool.shutdown(wait=True)


class Scheduler:
    """APScheduler around the timer runner and the periodic jobs; embedded (a background thread in
    the app) or standalone (``gros scheduler``, blocking)."""

    def __init__(self, engine: Engine, settings: Settings | None = None, blocking: bool = False,
                 jobs: list[tuple[str, float, Callable[[], object]]] | None = None) -> None:
        self.engine = engine
        self.settings = settings or Settings.from_env()
        self.runner = TimerRunner(engine, self.settings)
        kind = BlockingScheduler if blocking else BackgroundScheduler
        self.aps = kind(timezone=UTC, job_defaults={"coalesce": True, "misfire_grace_time": None})
        self.jobs = jobs or []
        self.last_round: Round | None = None
        self._lock = threading.Lock()
        self._round_lock = threading.Lock()
        self._running = False
        self._next_at: datetime | None = None
        self._woken_at: datetime | None = None
        self._failures = 0
        self._listener: NotifyListener | None = None
        self._closed = False
        self._stopping = False
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.started_at = datetime.now(UTC)
        self.fired = 0
        self.last_error: str | None = None

    def start(self) -> None:
        attach(self.engine, self.wake)
        if not self.engine.db.is_sqlite:
            self._listener = NotifyListener(self.engine.db.url, self.wake)
            self._listener.start()
        for name, seconds, function in [("heartbeat", self.settings.heartbeat_every, self.beat), *self.jobs]:
            self.aps.add_job(_guarded(name, function), "interval", seconds=seconds, id=name,
                             next_run_time=datetime.now(UTC), max_instances=1)
        with self._lock:
            self._arm(datetime.now(UTC))
        log.info("scheduler started (%s)", "blocking" if isinstance(self.aps, BlockingScheduler) else "embedded")
        self.aps.start()

    def shutdown(self) -> None:
        """Stop after the running jobs finish, then leave a last heartbeat."""
        self.stop()
        self.close()

    def stop(self) -> None:
        # APScheduler holds its job store lock while it waits for running jobs; a round that armed
        # its successor then would wait for that lock for ever. So no arming once stopping.
        with self._lock:
            self._stopping = True
        if self.aps.running:
            self.aps.shutdown(wait=True)

    def close(self) -> None:
        if self._closed:  # atexit may ask again after an explicit shutdown
            return
        self._closed = True
        if self.wake in _wakers.get(self.engine, []):
            _wakers[self.engine].remove(self.wake)
        if self._listener:
            self._listener.stop()
        self.runner.close()
        try:
            self.beat()  # the final count, for whoever reads the heartbeats
        except Exception:
            log.exception("last heartbeat failed")

    def wake(self, due: datetime) -> None:
        """A timer due at ``due`` appeared: make sure a round runs then."""
        with self._lock:
            if self._running:
                self._woken_at = min(due, self._woken_at or due)
            elif not self._stopping and (self._next_at is None or due < self._next_at):
                self._arm(due)

    def beat(self) -> None:
        """Say this node is alive (health checks and the monitor read it)."""
        now = datetime.now(UTC)
        with self.engine.db.transaction() as session:
            session.merge(SchedulerNode(name=self.name, started_at=self.started_at, beat_at=now,
                                        fired=self.fired, last_error=self.last_error))

    def _arm(self, when: datetime) -> None:
        self._next_at = when
        # max_instances=2: the next round may be armed a moment before this one's thread returns.
        self.aps.add_job(self._round, "date", run_date=when, id=TIMER_JOB, replace_existing=True,
                         max_instances=2)

    def _round(self) -> None:
        with self._round_lock:
            with self._lock:
                self._running, self._woken_at = True, None
            try:
                self.last_round = self.runner.run_due()
                self.fired += self.last_round.fired
                self.last_error = self.last_round.errors[-1] if self.last_round.errors else self.last_error
                # Only database trouble and nothing fired: back off as after a failed round.
                self._failures = self._failures + 1 if self.last_round.retry and not self.last_round.fired else 0
            except Exception as error:
                self._failures += 1
                self.last_error = f"{type(error).__name__}: {error}"
                log.exception("timer round failed (%d in a row)", self._failures)
            finally:
                with self._lock:
                    self._running = False
                    if not self._stopping:
                        self._arm(self._next_wake())

    def _next_wake(self) -> datetime:
        now = datetime.now(UTC)
        latest = now + timedelta(seconds=self.settings.max_sleep)
        if self._failures:
            return now + timedelta(seconds=min(self.settings.max_sleep, 0.5 * 2 ** self._failures))
        try:
            due = self.runner.next_due()
        except Exception:
            log.exception("could not read the next due timer")
            return now + timedelta(seconds=1)
        candidates = [t for t in (due, self._woken_at) if t is not None]
        when = min([latest, *candidates])
        return max(when, now + timedelta(seconds=self.settings.busy_retry)) if when <= now else when


def _guarded(name: str, function: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            function()
        except Exception:
            log.exception("scheduler job %s failed", name)

    run.__name__ = name
    return run


# --- waking: the same process after commit, other processes by NOTIFY --------------------------------
_in_round: ContextVar[bool] = ContextVar("gros_in_round", default=False)
_wakers: WeakKeyDictionary[Engine, list[Callable[[datetime], None]]] = WeakKeyDictionary()


def attach(engine: Engine, wake: Callable[[datetime], None] | None = None) -> None:
    """Hook an engine up once in every process that runs commands (app, CLI, scheduler): a timer a
    command writes wakes the schedulers — by a ``NOTIFY`` that commits with it on PostgreSQL, and by
    ``wake`` in this process after commit."""
    if engine not in _wakers:
        _wakers[engine] = []
        engine.on_events(partial(_announce, engine))
    if wake is not None:
        _wakers[engine].append(wake)


def _announce(engine: Engine, session: Session, events: list[AuditRecord]) -> None:
    if _in_round.get():  # a round ends by reading the next due timer anyway; no query per fire
        return
    due = _earliest_new_timer(session, events)
    if due is None:
        return
    if not engine.db.is_sqlite:
        session.execute(text("SELECT pg_notify(:channel, :due)"), {"channel": CHANNEL, "due": due.isoformat()})
    for wake in _wakers[engine]:
        event.listen(session, "after_commit", lambda _session, wake=wake: wake(due), once=True)


def _earliest_new_timer(session: Session, events: list[AuditRecord]) -> datetime | None:
    """The earliest timer this command wrote: an instance's, as its derived rows said; a deployment's
    start timers, read."""
    due = list(session.info.get(NEW_TIMERS, []))
    if any(e.action == "deployment.created" for e in events):
        due += [session.scalar(select(func.min(Timer.due_at)).where(Timer.start_trigger_id.is_not(None)))]
    return min((d for d in due if d is not None), default=None)


class NotifyListener:
    """LISTEN gros_timer on its own connection; reconnects after a lost connection."""

    def __init__(self, url: str, wake: Callable[[datetime], None]) -> None:
        self.conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gros-notify", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for note in connection.notifies(timeout=1.0):
                            self.wake(datetime.fromisoformat(note.payload))
            except Exception:
                log.exception("LISTEN %s lost; reconnecting", CHANNEL)
                self._stop.wait(2.0)


def run_standalone(engine: Engine, settings: Settings | None = None,
                   jobs: list[tuple[str, float, Callable[[], object]]] | None = None) -> None:
    """``gros scheduler``: block and fire timers and ``jobs`` until stopped (SIGTERM/SIGINT)."""
    import signal

    scheduler = Scheduler(engine, settings, blocking=True, jobs=jobs)

    def stop(*_args) -> None:
        # Not in the handler itself: shutting down waits for the running round to finish.
        threading.Thread(target=scheduler.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        scheduler.start()  # returns once the jobs have finished
    finally:
        scheduler.close()


def healthy(engine: Engine, within: timedelta = timedelta(seconds=45), host: str | None = None) -> bool:
    """Did a scheduler (on ``host``, if given) beat recently? What ``gros scheduler --health`` asks."""
    with engine.db.reading() as session:
        query = select(SchedulerNode.name).where(SchedulerNode.beat_at >= datetime.now(UTC) - within)
        if host:
            query = query.where(SchedulerNode.name.startswith(f"{host}:"))
        return session.execute(query.limit(1)).first() is not None
