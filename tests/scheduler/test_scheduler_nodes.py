"""Real scheduler processes on one PostgreSQL database: every timer fires exactly once, also when one
node is killed with SIGKILL mid-run, and a timer written elsewhere wakes a sleeping node at once.

The timers are made overdue with a clock in the past, so no test waits for a BPMN timer to expire.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.clock import FixedClock, SystemClock
from engine.scheduler import attach
from engine.services import Engine
from engine.store.models import AuditEvent, ProcessInstance, SchedulerNode, Timer
from engine.wiring import open_engine

MODELS = Path(__file__).parent / "data" / "timers.bpmn"
GROS = Path(sys.executable).with_name("gros")
PAST = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def nodes(pg_url: str, tmp_path: Path):
    started: list[subprocess.Popen] = []

    def start(count: int) -> list[subprocess.Popen]:
        env = os.environ | {"GROS_DATABASE_URL": pg_url, "GROS_SCHEDULER_MAX_SLEEP": "60",
                            "GROS_CALENDAR_EVERY": "3600", "GROS_RADAR_EVERY": "3600"}
        for n in range(count):
            log = (tmp_path / f"node{len(started) + n}.log").open("w")
            started.append(subprocess.Popen([str(GROS), "scheduler"], env=env, stdout=log, stderr=subprocess.STDOUT,
                                            cwd=tmp_path))
        return started[-count:]

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def overdue_timers(url: str, count: int) -> Engine:
    """``count`` dossiers waiting at a timer that fell due in 2020."""
    engine = open_engine(url, clock=FixedClock(PAST))
    engine.repository.deploy([MODELS])
    for _ in range(count):
        engine.runtime.start("op_datum", variables={"wanneer": (PAST + timedelta(days=1)).isoformat()})
    return engine


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def pending(engine: Engine) -> int:
    with engine.db.reading() as session:
        return session.scalar(select(func.count()).select_from(Timer).where(Timer.instance_id.is_not(None)))


def fired_per_instance(engine: Engine) -> Counter:
    with engine.db.reading() as session:
        return Counter(session.scalars(select(AuditEvent.instance_id).where(AuditEvent.action == "timer.fired")))


def completed(engine: Engine) -> int:
    with engine.db.reading() as session:
        return session.scalar(select(func.count()).select_from(ProcessInstance)
                              .where(ProcessInstance.status == "completed"))


def test_two_nodes_fire_a_thousand_timers_exactly_once(pg_url, nodes):
    engine = overdue_timers(pg_url, 1000)
    a, b = nodes(2)
    assert wait_until(lambda: pending(engine) == 0, timeout=120), f"{pending(engine)} timers left"
    for process in (a, b):
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    fired = fired_per_instance(engine)
    assert len(fired) == 1000 and set(fired.values()) == {1}  # 0 missed, 0 duplicates
    assert completed(engine) == 1000
    with engine.db.reading() as session:
        counts = dict(session.execute(select(SchedulerNode.name, SchedulerNode.fired)).all())
    started_by_timer = len(engine.query.instances(definition_key="periodiek"))  # the model's timer start event
    assert sum(counts.values()) == 1000 + started_by_timer, counts
    print(f"fired per node: {counts}")


def test_a_node_killed_mid_run_loses_nothing(pg_url, nodes):
    engine = overdue_timers(pg_url, 1000)
    victim, survivor = nodes(2)
    assert wait_until(lambda: sum(fired_per_instance(engine).values()) >= 150, timeout=60)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    assert wait_until(lambda: pending(engine) == 0, timeout=120), f"{pending(engine)} timers left"
    fired = fired_per_instance(engine)
    assert len(fired) == 1000 and set(fired.values()) == {1}
    assert completed(engine) == 1000
    assert survivor.poll() is None


def test_a_timer_written_by_another_process_wakes_a_sleeping_node(pg_url, nodes):
    engine = open_engine(pg_url, clock=SystemClock())
    engine.repository.deploy([MODELS])
    attach(engine)  # as the web app and the CLI do: NOTIFY on commit
    nodes(1)
    time.sleep(3)  # the node starts, finds nothing due and sleeps for up to 60 s
    due = datetime.now(UTC) + timedelta(milliseconds=500)
    instance = engine.runtime.start("op_datum", variables={"wanneer": due.isoformat()})
    assert wait_until(lambda: engine.query.instance(instance).status == "completed", timeout=10)
    [fired] = [e for e in engine.query.history(instance) if e.action == "timer.fired"]
    lateness = (fired.at - due).total_seconds()
    print(f"woken across processes; fired {lateness:.3f} s after due")
    assert 0 <= lateness < 2
