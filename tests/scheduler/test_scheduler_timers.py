"""Every timer kind fires through the scheduler's runner on a moved clock, once, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from engine.scheduler import TimerRunner
from engine.services import Actor, Engine
from engine.store.models import ProcessInstance

MODELS = Path(__file__).parent / "data" / "timers.bpmn"
SECRETARIAAT = Actor.of("sofie", ["secretariaat"])


@pytest.fixture
def deployed(engine: Engine) -> Engine:
    engine.repository.deploy([MODELS])
    return engine


@pytest.fixture
def runner(deployed: Engine):
    runner = TimerRunner(deployed)
    yield runner
    runner.close()


def task_names(engine: Engine, instance_id: str) -> list[str]:
    return sorted(t.name for t in engine.query.tasks(instance_id=instance_id))


def fired(engine: Engine, instance_id: str) -> list[str]:
    return [e.element_id for e in engine.query.history(instance_id) if e.action == "timer.fired"]


def test_intermediate_duration_timer_fires_at_its_due_time_and_not_before(deployed, runner, clock):
    instance = deployed.runtime.start("tussentijds")
    clock.advance(timedelta(minutes=59))
    runner.run_due()
    assert fired(deployed, instance) == []
    clock.advance(timedelta(minutes=1))
    runner.run_due()
    runner.run_due()
    assert fired(deployed, instance) == ["wacht"]
    assert task_names(deployed, instance) == ["Na het wachten"]


def test_time_date_from_a_variable_is_read_with_its_zone(deployed, runner, clock):
    instance = deployed.runtime.start("op_datum", variables={"wanneer": "2027-01-04T12:00:00+01:00"})
    [timer] = deployed.query.timers(instance)
    assert timer.due_at == datetime(2027, 1, 4, 11, 0, tzinfo=UTC)
    clock.set(timer.due_at)
    assert runner.run_due().fired == 1
    assert deployed.query.instance(instance).status == "completed"


def test_interrupting_boundary_timer_cancels_the_task(deployed, runner, clock):
    instance = deployed.runtime.start("onderbrekend")
    clock.advance(timedelta(days=2))
    runner.run_due()
    assert fired(deployed, instance) == ["termijn_verstreken"]
    assert task_names(deployed, instance) == ["Rappelleren"]


def test_completing_the_task_first_removes_its_boundary_timer(deployed, runner, clock):
    instance = deployed.runtime.start("onderbrekend")
    [task] = deployed.query.tasks(instance_id=instance)
    deployed.tasks.complete(task.id, Actor.of("piet", ["departement-nl"]))
    clock.advance(timedelta(days=3))
    runner.run_due()
    assert fired(deployed, instance) == []
    assert deployed.query.timers(instance) == []
    assert deployed.query.instance(instance).status == "completed"


def test_non_interrupting_cycle_reminds_three_times_and_keeps_the_task(deployed, runner, clock):
    instance = deployed.runtime.start("herinneren")
    for week in range(1, 5):
        clock.advance(timedelta(days=7))
        runner.run_due()
        assert len(fired(deployed, instance)) == min(week, 3)
    assert task_names(deployed, instance) == ["Herinnering lezen"] * 3 + ["Uitwerken"]
    assert deployed.query.timers(instance) == []


def test_a_scheduler_that_was_down_catches_up_a_cycle_in_one_round(deployed, runner, clock):
    instance = deployed.runtime.start("herinneren")
    clock.advance(timedelta(days=30))
    runner.run_due()
    assert task_names(deployed, instance).count("Herinnering lezen") == 3
    assert deployed.query.timers(instance) == []


def test_timer_start_event_starts_one_instance_per_cycle(deployed, runner, clock):
    for _ in range(3):
        clock.advance(timedelta(days=1))
        runner.run_due()
    started = deployed.query.instances(definition_key="periodiek")
    assert len(started) == 2  # R2
    assert all(task_names(deployed, i.id) == ["Dagtaak"] for i in started)
    assert [t for t in deployed.query.timers() if t.instance_id is None] == []


def test_a_suspended_instance_keeps_its_timer_until_resumed(deployed, runner, clock):
    instance = deployed.runtime.start("tussentijds")
    deployed.runtime.suspend(instance, SECRETARIAAT)
    clock.advance(timedelta(hours=2))
    runner.run_due()
    assert fired(deployed, instance) == []
    assert runner.next_due() > clock.now()  # nothing due to wake for: no spinning on a suspended timer
    deployed.runtime.resume(instance, SECRETARIAAT)
    runner.run_due()
    assert fired(deployed, instance) == ["wacht"]
    assert task_names(deployed, instance) == ["Na het wachten"]


def test_an_unexpected_error_becomes_one_incident_and_the_timer_waits(deployed, runner, clock):
    broken = deployed.runtime.start("tussentijds")
    healthy = deployed.runtime.start("tussentijds")
    with deployed.db.transaction() as session:  # a damaged state, as after a bad manual repair
        session.execute(update(ProcessInstance).where(ProcessInstance.id == broken)
                        .values(state="{", revision=ProcessInstance.revision + 1))
    clock.advance(timedelta(hours=1))
    first = runner.run_due()
    assert (first.fired, first.failed) == (1, 1)
    assert task_names(deployed, healthy) == ["Na het wachten"]
    [incident] = deployed.query.incidents(broken)
    assert incident.element_id == "wacht" and "timer kon niet afgaan" in incident.message
    assert deployed.query.instance(broken).status == "incident"
    assert runner.next_due() == clock.now() + runner.settings.retry_after
    clock.advance(runner.settings.retry_after)
    assert runner.run_due().failed == 1
    assert len(deployed.query.incidents(broken)) == 1  # the same failure is not recorded twice
