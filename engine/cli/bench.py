"""``gros bench``: every part's figures, each measured on fresh databases, one part after the other."""

from __future__ import annotations

import tempfile

from engine.bench import cleanup, migration
from engine.bench.engine import run_all
from engine.bench.external_tasks import bench_round_trips
from engine.bench.scheduler import bench_timer_lateness
from engine.gros.kennisbank import bench as kennisbank
from engine.store.db import on_scratch_postgres
from engine.web.inbox import bench as inbox
from engine.web.monitor import bench as monitor
from webhooks import bench as webhooks

SUITES = ("engine", "inbox", "monitor", "webhooks", "scheduler", "cleanup", "kennisbank", "migration",
          "external-tasks")


def run_suites(suites: tuple[str, ...], quick: bool = False, million: bool = False) -> dict:
    """The figures of each named part, measured one after the other on fresh databases; ``million``
    adds the engine's figures beside a million waiting instances on PostgreSQL."""
    size = 10_000 if quick else 100_000
    with tempfile.TemporaryDirectory() as folder:
        measure = {
            "engine": lambda: run_all(f"sqlite:///{folder}/engine.db", instances=50 if quick else 300,
                                      inbox_sizes=(1_000, size), postgres_million=million),
            "inbox": lambda: {"sqlite": inbox.run(f"sqlite:///{folder}/inbox.db", waiting=size),
                              "postgresql": on_scratch_postgres(lambda url: inbox.run(url, waiting=size))},
            "monitor": lambda: monitor.run(folder, dossiers=size),
            "webhooks": lambda: webhooks.run_all(seconds=3.0 if quick else 10.0),
            "scheduler": lambda: on_scratch_postgres(
                lambda url: bench_timer_lateness(url, timers=1_000 if quick else 10_000)),
            "cleanup": lambda: cleanup.run(folder, ended=size),
            "kennisbank": lambda: kennisbank.run(folder, dossiers=size),
            "migration": lambda: {"sqlite": migration.run(f"sqlite:///{folder}/migration.db", 200 if quick else 1_000),
                                  "postgresql": on_scratch_postgres(
                                      lambda url: migration.run(url, 200 if quick else 1_000))},
            "external-tasks": lambda: on_scratch_postgres(
                lambda url: bench_round_trips(url, tasks=500 if quick else 2_000)),
        }
        return {name: measure[name]() for name in suites}
