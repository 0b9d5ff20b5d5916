"""History cleanup per historyTimeToLive (issue 20), as Camunda 7: removal time = end time + TTL, set when
the instance ends; cleanup takes exactly the instances past it, once even with two engines racing, and
keeps the dossier summary and the decision lines without personal data (§ 5.2.4: the outcome stays)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.clock import FixedClock
from engine.errors import DeployRefused
from engine.gros.models import InstanceSummary
from engine.services import Actor, Engine
from engine.services.cleanup import CLEANED_ACTION, KEPT_ACTIONS, Window
from engine.services.history_queries import TaskFilter
from engine.services.integrity import verify
from engine.services.personal import ERASED
from engine.store.models import AuditEvent
from engine.wiring import open_engine

MODELS = [Path(__file__).parent / "data" / name for name in ("melding.bpmn", "melding-registreren.form")]
SECRETARIAAT = Actor.of("sofie", ["secretariaat"])
GROS = str(Path(sys.executable).with_name("gros"))
ENTERED = {"melder_naam": "An Peeters", "melder_contact": "an.peeters@example.org", "thema": "zorg",
           "uitkomst": "opgelost"}


def finish(engine: Engine, n: int) -> str:
    """A melding registered with its reporter's contact, then judged: ended."""
    instance_id = begin(engine, n)
    [task] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(task.id, SECRETARIAAT)
    return instance_id


def begin(engine: Engine, n: int) -> str:
    instance_id = engine.runtime.start("melding", business_key=f"M-{n}")
    [task] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(task.id, SECRETARIAAT, ENTERED)
    return instance_id


def cleaned_ids(engine: Engine) -> list[str]:
    with engine.db.reading() as session:
        lines = session.scalars(select(AuditEvent.data).where(AuditEvent.action == CLEANED_ACTION))
        return [instance_id for data in lines for instance_id in data["instances"]]


def test_an_ending_instance_gets_its_removal_time(engine: Engine, clock: FixedClock):
    engine.repository.deploy(MODELS)
    running = begin(engine, 1)
    ended = finish(engine, 2)
    assert engine.query.instance(running).removal_at is None
    assert engine.query.instance(ended).removal_at == datetime(2027, 2, 3, 9, 0, tzinfo=UTC)  # P30D on the wall clock


def test_a_time_to_live_that_is_no_duration_is_refused_at_deploy(engine: Engine):
    model = MODELS[0].read_text(encoding="utf-8").replace('historyTimeToLive="P30D"', 'historyTimeToLive="dertig"')
    with pytest.raises(DeployRefused, match="camunda:historyTimeToLive 'dertig' is geen aantal dagen"):
        engine.repository.deploy_sources({"melding.bpmn": model, MODELS[1].name: MODELS[1].read_text()})


def test_cleanup_takes_exactly_the_instances_past_their_ttl_and_keeps_the_outcome(engine: Engine, clock: FixedClock):
    engine.repository.deploy(MODELS)
    past = finish(engine, 1)
    clock.advance(timedelta(days=10))
    inside = finish(engine, 2)
    running = begin(engine, 3)
    clock.set(engine.query.instance(past).removal_at + timedelta(minutes=1))

    assert [d.instance_id for d in engine.history.due()] == [past]
    assert engine.history.clean() == 1
    assert engine.history.clean() == 0 and cleaned_ids(engine) == [past]

    assert engine.query.variables(past) == {}
    historic = engine.query.historic
    assert historic.task_count(TaskFilter(instance_ids=(past,))) == 0  # Camunda's cleanup takes them too
    assert historic.task_count(TaskFilter(instance_ids=(inside,), finished=True)) == 2
    gone = engine.query.instance(past)
    assert (gone.status, gone.business_key, gone.removal_at, gone.started_by) == ("completed", "M-1", None, None)
    kept = engine.query.history(past)
    assert {e.action for e in kept} <= set(KEPT_ACTIONS) and "task.completed" in {e.action for e in kept}
    assert all(e.actor in (ERASED, "systeem") for e in kept)
    [registered] = [e for e in kept if e.element_id == "registreren"]
    assert registered.data == ENTERED | {"melder_naam": ERASED, "melder_contact": ERASED}
    with engine.db.reading() as session:
        summary = session.get(InstanceSummary, past)
        assert (summary.theme, summary.outcome) == ("zorg", "opgelost")

    assert engine.query.variables(inside)["melder_contact"] == "an.peeters@example.org"
    assert "element.completed" in {e.action for e in engine.query.history(inside)}
    [task] = engine.query.tasks(instance_id=running)
    engine.tasks.complete(task.id, SECRETARIAAT)
    assert engine.query.instance(running).status == "completed"
    assert verify(engine.executor).ok


def test_two_engines_racing_clean_each_instance_once(database: str, clock: FixedClock):
    engines = [open_engine(database, clock=clock) for _ in range(2)]
    engines[0].repository.deploy(MODELS)
    ended = {finish(engines[0], n) for n in range(24)}
    clock.advance(timedelta(days=31))
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def clean(engine: Engine) -> None:
        barrier.wait()
        counts.append(engine.history.clean(batch=3))

    threads = [threading.Thread(target=clean, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    ids = cleaned_ids(engines[0])
    assert sum(counts) == 24 and len(ids) == 24 and set(ids) == ended
    for engine in engines:
        engine.db.dispose()


def test_the_nightly_window_on_the_business_clock(engine: Engine, clock: FixedClock):
    night = Window.parse("01:00-05:00")
    brussels_2am = datetime(2027, 3, 10, 1, 0, tzinfo=UTC)
    assert night.end_after(brussels_2am) == datetime(2027, 3, 10, 4, 0, tzinfo=UTC)
    assert night.end_after(datetime(2027, 3, 10, 11, 0, tzinfo=UTC)) is None
    late = Window.parse("22:00-02:00")
    assert late.end_after(datetime(2027, 3, 10, 0, 30, tzinfo=UTC)) == datetime(2027, 3, 10, 1, 0, tzinfo=UTC)
    assert late.end_after(datetime(2027, 3, 10, 22, 0, tzinfo=UTC)) == datetime(2027, 3, 11, 1, 0, tzinfo=UTC)
    assert Window.parse("") is None
    with pytest.raises(ValueError, match="opruimvenster '1 uur' is geen UU:MM-UU:MM"):
        Window.parse("1 uur")

    engine.repository.deploy(MODELS)
    finish(engine, 1)
    clock.set(datetime(2027, 3, 10, 11, 0, tzinfo=UTC))  # past the TTL, but midday
    assert engine.history.clean_in_window(night) == 0 and engine.history.count_due() == 1
    clock.set(brussels_2am)
    assert engine.history.clean_in_window(night) == 1 and engine.history.count_due() == 0


def test_gros_history_cleanup_dry_run_shows_and_keeps(sqlite_url: str, clock: FixedClock):
    engine = open_engine(sqlite_url, clock=clock)
    engine.repository.deploy(MODELS)
    finish(engine, 7)
    engine.db.dispose()
    env = os.environ | {"GROS_DATABASE_URL": sqlite_url}

    def gros(*args: str) -> dict:
        done = subprocess.run([GROS, "history-cleanup", *args, "--now", "2027-03-01T00:00:00Z", "--json"],
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    shown = gros("--dry-run")
    assert shown["due"] == 1 and shown["instances"][0]["business_key"] == "M-7"
    assert gros("--dry-run")["due"] == 1
    assert gros() == {"cleaned": 1}
    assert gros("--dry-run")["due"] == 0
