"""Benchmark: how late do real timers fire? ``timers`` dossiers wait at a timer, due times spread over
``spread`` seconds, and ``nodes`` real ``gros scheduler`` processes fire them on the wall clock.
Lateness is the fired moment (the audit event) minus the due time. Prints nothing; returns figures.

    python -m engine.bench.scheduler postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import quantiles

from sqlalchemy import func, select

from engine.clock import SystemClock
from engine.scheduler import attach
from engine.services import Engine
from engine.store.models import AuditEvent, ProcessInstance, Timer

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="bench" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="bench-timer" name="Bench timer" isExecutable="true" camunda:historyTimeToLive="P1D">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait" name="Wait">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDate>${due}</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
FAR = datetime(2999, 1, 1, tzinfo=UTC)


def bench_timer_lateness(url: str, timers: int = 10_000, spread: float = 60.0, nodes: int = 2,
                         grace: float = 60.0, creators: int = 4) -> dict:
    """Create ``timers`` pending timers due over ``spread`` s, let ``nodes`` schedulers fire them."""
    engine = Engine.open(url, clock=SystemClock())
    attach(engine)
    engine.repository.deploy_sources({"bench-timer.bpmn": MODEL}, name="scheduler bench")
    rate = _creation_rate(engine, creators)
    processes = _start_nodes(url, nodes)
    try:
        first_due = datetime.now(UTC) + timedelta(seconds=timers / rate * 1.3 + 5)
        dues = [first_due + timedelta(seconds=spread * i / timers) for i in range(timers)]
        created_at = time.monotonic()
        with ThreadPoolExecutor(creators) as pool:
            list(pool.map(lambda due: engine.runtime.start("bench-timer", variables={"due": due.isoformat()}), dues))
        setup_s = time.monotonic() - created_at
        setup_overran = datetime.now(UTC) > first_due
        _wait_until_fired(engine, dues[-1] + timedelta(seconds=grace))
        lateness = _lateness(engine)
    finally:
        _stop(processes)
    figures = sorted(lateness)
    cuts = quantiles(figures, n=100, method="inclusive") if len(figures) > 1 else figures * 99
    return {
        "timers": timers, "spread_s": spread, "nodes": nodes, "database": engine.db.engine.dialect.name,
        "fired": len(figures), "missed": timers - len(figures), "setup_s": round(setup_s, 1),
        "setup_overran_first_due": setup_overran,
        "p50_s": round(cuts[49], 3), "p99_s": round(cuts[98], 3), "max_s": round(figures[-1], 3),
    }


def _creation_rate(engine: Engine, creators: int, sample: int = 200) -> float:
    """Dossiers per second this machine creates (a sample with timers that never fall due)."""
    started = time.monotonic()
    with ThreadPoolExecutor(creators) as pool:
        list(pool.map(lambda _: engine.runtime.start("bench-timer", variables={"due": FAR.isoformat()}), range(sample)))
    return sample / (time.monotonic() - started)


def _start_nodes(url: str, nodes: int) -> list[subprocess.Popen]:
    gros = Path(sys.executable).with_name("gros")
    env = os.environ | {"GROS_DATABASE_URL": url, "GROS_CALENDAR_EVERY": "3600", "GROS_RADAR_EVERY": "3600"}
    return [subprocess.Popen([str(gros), "scheduler"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(nodes)]


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_fired(engine: Engine, deadline: datetime) -> None:
    while datetime.now(UTC) < deadline and _pending(engine):
        time.sleep(1)


def _pending(engine: Engine) -> int:
    """Bench timers still waiting (an indexed count; the warm-up sample's timers never fall due)."""
    with engine.db.reading() as session:
        return session.scalar(select(func.count()).select_from(Timer).where(Timer.due_at < FAR))


def _lateness(engine: Engine) -> list[float]:
    with engine.db.reading() as session:
        rows = session.execute(
            select(AuditEvent.at, AuditEvent.data).join(ProcessInstance, ProcessInstance.id == AuditEvent.instance_id)
            .where(AuditEvent.action == "timer.fired", ProcessInstance.definition_key == "bench-timer"))
        return [(at - datetime.fromisoformat(data["due_at"])).total_seconds() for at, data in rows]


if __name__ == "__main__":
    arguments = dict(arg.split("=", 1) for arg in sys.argv[2:])
    print(bench_timer_lateness(sys.argv[1], **{k: type(v)(arguments[k]) for k, v in
                                               {"timers": 0, "spread": 0.0, "nodes": 0}.items() if k in arguments}))
