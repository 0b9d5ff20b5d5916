"""Benchmark: external-task round trips. ``tasks`` instances each wait at one external task; ``workers``
threads fetch and lock one task at a time and complete it, as Camunda workers do. A round trip is
fetchAndLock plus complete. Prints nothing; returns figures.

    python -m engine.bench.external_tasks postgresql+psycopg://postgres@127.0.0.1:5432/bench
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from statistics import quantiles

from engine.clock import SystemClock
from engine.services import Engine, Topic

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="bench" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="bench-extern" name="Bench external task" isExecutable="true" camunda:historyTimeToLive="P1D">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="werk" name="Werk" camunda:type="external" camunda:topic="bench">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="werk" />
    <bpmn:sequenceFlow id="f2" sourceRef="werk" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
TOPIC = Topic("bench", 60_000, [])


def bench_round_trips(url: str, tasks: int = 2_000, workers: int = 4) -> dict:
    engine = Engine.open(url, clock=SystemClock())
    engine.repository.deploy_sources({"bench-extern.bpmn": MODEL}, name="external-task bench")
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda i: engine.runtime.start("bench-extern", f"E-{i}", {"i": i}), range(tasks)))
    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        timings = [t for found in pool.map(lambda w: _work(engine, f"w{w}"), range(workers)) for t in found]
    elapsed = time.monotonic() - started
    figures = sorted(timings)
    cuts = quantiles(figures, n=100, method="inclusive") if len(figures) > 1 else figures * 99
    return {"tasks": tasks, "workers": workers, "database": engine.db.engine.dialect.name,
            "completed": len(figures), "per_s": round(len(figures) / elapsed, 1),
            "p50_ms": round(cuts[49] * 1000, 1), "p99_ms": round(cuts[98] * 1000, 1),
            "max_ms": round(figures[-1] * 1000, 1)}


def _work(engine: Engine, worker_id: str) -> list[float]:
    """Fetch one, complete it, until none is left: the seconds of each round trip."""
    timings = []
    while True:
        began = time.perf_counter()
        locked = engine.external_tasks.fetch_and_lock(worker_id, 1, [TOPIC])
        if not locked:
            return timings
        engine.external_tasks.complete(locked[0].task.id, worker_id, {"gedaan": True})
        timings.append(time.perf_counter() - began)


if __name__ == "__main__":
    print(bench_round_trips(sys.argv[1]))
