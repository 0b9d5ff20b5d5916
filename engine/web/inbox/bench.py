"""Inbox speed figures for ``gros bench`` (issue 4 §8), measured through the web app. Not a test.

Server time is the time the app takes to answer one request in-process (the WSGI call, no network):
the group inbox with ``waiting`` tasks for one group, and completing a task through its page.

The dossiers whose tasks are completed are real: started and driven to the paritaire selectie by the
engine's commands on the GROS models. The other waiting tasks are bulk copies of one real waiting
task's rows (instance row, task row, candidate row), because driving 100,000 dossiers through the
commands would take an hour; the inbox reads only these rows, so the copies look to it as real ones.
"""

from __future__ import annotations

import json
import re
import statistics
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

from engine.accounts import create_account
from engine.services import Actor, Engine
from engine.store.models import HumanTask, ProcessInstance, TaskCandidate
from engine.web.app import create_app
from engine.wiring import open_engine

ROOT = Path(__file__).resolve().parents[3]
MODELS = [ROOT / "processen", ROOT / "formulieren"]
GROUP = "grensregio-nl"
DECISION = "Activity_SelectiebesluitNL"
SECRETARIAAT = Actor.of("bench-secretariaat", ["secretariaat"])
PASSWORD = "bench-wachtwoord"
PREPARATION = [
    ("Activity_SignaalRegistreren", {"titel": "Benchmarkdossier", "omschrijving": "Een dossier om te meten.",
                                     "melder": "gros-secretariaat", "thema": "overig"}),
    ("Activity_Triage", {"triage_besluit": "ja", "triage_toelichting": "Een dossier om de snelheid te meten."}),
    ("Activity_SelectievoorstelVoorbereiden", {"selectie_voorstel": "Selecteren om te meten.",
                                               "selectie_overleg_datum": "2027-01-21"}),
]
DECIDED = {"besluit_nl": "ja", "besluit_nl_reden": "Gemeten in de benchmark."}


def run(url: str, waiting: int = 100_000, samples: int = 30) -> dict:
    """Median and 95th-percentile server time in ms of the inbox pages and of completing through a page."""
    engine = open_engine(url)
    engine.repository.deploy(MODELS)
    real = [_at_selection(engine) for _ in range(samples)]
    _fill(engine, real[0], waiting - samples)
    app = create_app({"GROS_ENGINE": engine, "SECRET_KEY": uuid.uuid4().hex * 2, "TESTING": True})
    client, token = _logged_in(app, engine)
    figures = {
        "waiting_tasks": waiting,
        "group_inbox_ms": _timed(lambda: client.get("/taken/groepen"), samples),
        "group_inbox_by_due_ms": _timed(lambda: client.get("/taken/groepen?sorteer=termijn"), samples),
        "group_inbox_by_priority_ms": _timed(lambda: client.get("/taken/groepen?sorteer=prioriteit"), samples),
        "group_inbox_newest_ms": _timed(lambda: client.get("/taken/groepen?sorteer=nieuwste"), samples),
        "group_inbox_page_100_ms": _timed(lambda: client.get("/taken/groepen?pagina=100"), samples),
    }
    tasks = [_decision(engine, instance_id) for instance_id in real]
    for task_id in tasks:
        client.post(f"/taken/{task_id}/claimen", data={"csrf_token": token})
    figures["my_inbox_ms"] = _timed(lambda: client.get("/taken"), samples)
    figures["task_page_ms"] = _timed(lambda: client.get(f"/taken/{tasks[0]}"), samples)
    pending = iter(tasks)
    figures["complete_through_page_ms"] = _timed(lambda: client.post(
        f"/taken/{next(pending)}/afronden", data={"csrf_token": token, "variables": json.dumps(DECIDED)}),
        samples, expect=302, warm_up=False)
    engine.db.dispose()
    return figures


def _at_selection(engine: Engine) -> str:
    instance_id = engine.runtime.start("gros-dossier", f"BENCH-{uuid.uuid4().hex[:8]}", {}, SECRETARIAAT)
    for element_id, variables in PREPARATION:
        task = next(t for t in engine.query.tasks(instance_id=instance_id) if t.element_id == element_id)
        engine.tasks.complete(task.id, SECRETARIAAT, variables)
    return instance_id


def _decision(engine: Engine, instance_id: str) -> str:
    return next(t.id for t in engine.query.tasks(instance_id=instance_id) if t.element_id == DECISION)


def _fill(engine: Engine, template_id: str, copies: int) -> None:
    """Bulk copies of the template dossier's waiting Dutch decision, each a minute older than the last."""
    with engine.db.reading() as session:
        instance = session.get(ProcessInstance, template_id)
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == template_id,
                                                       HumanTask.element_id == DECISION)).one()
        instance_row = {c.name: getattr(instance, c.name) for c in ProcessInstance.__table__.columns}
        task_row = {c.name: getattr(task, c.name) for c in HumanTask.__table__.columns}
    for first in range(0, copies, 5_000):
        instances, tasks, candidates = [], [], []
        for number in range(first, min(copies, first + 5_000)):
            instance_id, task_id = str(uuid.uuid4()), str(uuid.uuid4())
            created = task.created_at - timedelta(minutes=number + 1)
            instances.append(instance_row | {"id": instance_id, "business_key": f"KOPIE-{number:06d}"})
            tasks.append(task_row | {"id": task_id, "instance_id": instance_id, "created_at": created,
                                     "business_key": f"KOPIE-{number:06d}"})
            candidates.append({"task_id": task_id, "kind": "group", "name": GROUP})
        with engine.db.transaction() as session:
            session.execute(insert(ProcessInstance), instances)
            session.execute(insert(HumanTask), tasks)
            session.execute(insert(TaskCandidate), candidates)
    if not engine.db.is_sqlite:  # as autovacuum would by now; SQLite keeps no statistics unless told
        with engine.db.transaction() as session:
            session.execute(text("ANALYZE human_task, task_candidate, process_instance"))


def _logged_in(app, engine: Engine):
    username = f"bench-{uuid.uuid4().hex[:6]}"
    create_account(engine, username, PASSWORD, [GROUP], "Benchmark")
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/inloggen").text).group(1)
    client.post("/inloggen", data={"csrf_token": token, "gebruikersnaam": username, "wachtwoord": PASSWORD})
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/taken/groepen").text).group(1)
    return client, token


def _timed(request, samples: int, expect: int = 200, warm_up: bool = True) -> dict:
    if warm_up:
        request()
    spent = []
    for _ in range(samples):
        began = time.perf_counter()
        response = request()
        spent.append((time.perf_counter() - began) * 1000)
        if response.status_code != expect:
            raise RuntimeError(f"benchmark request answered {response.status_code}: {response.text[:500]}")
    spent.sort()
    return {"median": round(statistics.median(spent), 2), "p95": round(spent[int(len(spent) * 0.95) - 1], 2)}
