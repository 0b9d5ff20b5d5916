"""The database is the truth: a new process continues an instance, and two workers racing on one
task produce exactly one completion."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from engine.errors import Conflict
from engine.services import Actor, Engine
from engine.wiring import open_engine
from tests.conftest import DATA

GROS = [str(Path(sys.executable).with_name("gros"))]


def gros(url: str, *args: str) -> dict | list:
    env = os.environ | {"GROS_DATABASE_URL": url}
    result = subprocess.run([*GROS, *args, "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def test_a_new_process_on_the_same_database_continues_the_instance(database: str):
    gros(database, "deploy", str(DATA / "bpmn" / "parallel.bpmn"))
    started = gros(database, "start", "parallel", "--business-key", "GROS-9")
    [nl] = gros(database, "tasks", "--group", "grensregio-nl")
    gros(database, "complete", nl["id"], "--user", "nina", "--groups", "grensregio-nl", "--var", "besluit_nl=ja")
    [vl] = gros(database, "tasks", "--group", "grensregio-vl")
    gros(database, "complete", vl["id"], "--user", "vic", "--groups", "grensregio-vl", "--var", "besluit_vl=ja")
    shown = gros(database, "instance", started["id"])
    assert shown["status"] == "completed" and shown["business_key"] == "GROS-9"
    actors = [h["actor"] for h in shown["history"] if h["action"] == "task.completed"]
    assert actors == ["nina", "vic"]


def test_two_concurrent_completions_of_one_task_exactly_one_wins(database: str, clock):
    engines = [open_engine(database, clock=clock) for _ in range(2)]
    engines[0].repository.deploy([DATA / "bpmn" / "parallel.bpmn"])
    for round_ in range(5):
        instance_id = engines[0].runtime.start("parallel", business_key=f"race-{round_}")
        [task] = engines[0].query.tasks(group="grensregio-nl", instance_id=instance_id)
        assert sorted(_race(engines, task.id)) == ["refused", "won"]
        completions = [e for e in engines[0].query.history(instance_id) if e.action == "task.completed"]
        assert len(completions) == 1
        assert engines[1].query.instance(instance_id).waiting_at == ["vl"]
    for engine in engines:
        engine.db.dispose()


def _race(engines: list[Engine], task_id: str) -> list[str]:
    """Both engines complete the same task at the same moment, each on its own connection."""
    barrier = threading.Barrier(len(engines))
    outcomes: list[str] = []

    def complete(engine: Engine, who: str) -> None:
        barrier.wait()
        try:
            engine.tasks.complete(task_id, Actor.of(who, ["grensregio-nl"]), {"besluit_nl": "ja"})
            outcomes.append("won")
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=complete, args=(e, f"w{n}")) for n, e in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
