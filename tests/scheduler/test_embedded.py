"""The scheduler inside the app: a timer a request writes wakes it after the commit, in the same
process (no NOTIFY needed, so this holds on SQLite too)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.clock import SystemClock
from engine.web.app import create_app
from engine.wiring import open_engine

MODELS = Path(__file__).parent / "data" / "timers.bpmn"


def test_the_embedded_scheduler_is_woken_by_a_new_timer(database: str):
    engine = open_engine(database, clock=SystemClock())
    engine.repository.deploy([MODELS])
    app = create_app({"GROS_ENGINE": engine, "SECRET_KEY": "s" * 48, "GROS_SCHEDULER": "embedded"})
    scheduler = app.extensions["gros.scheduler"]
    try:
        time.sleep(1)  # it has looked, found nothing due, and sleeps for up to max_sleep (30 s)
        due = datetime.now(UTC) + timedelta(milliseconds=300)
        instance = engine.runtime.start("op_datum", variables={"wanneer": due.isoformat()})
        deadline = time.monotonic() + 10
        while engine.query.instance(instance).status != "completed" and time.monotonic() < deadline:
            time.sleep(0.05)
        [fired] = [e for e in engine.query.history(instance) if e.action == "timer.fired"]
        assert 0 <= (fired.at - due).total_seconds() < 1.5
    finally:
        scheduler.shutdown()
        engine.db.dispose()
