"""How fast running dossiers migrate to a new version: each one command (lock, load, move, save, derived
rows, audit). Measured for ``gros bench``; not a test."""

from __future__ import annotations

import time

from engine.bench.engine import MODEL
from engine.clock import FixedClock
from engine.services import Actor, Engine
from engine.services.migration import Selection

OWNER = Actor.of("bench-procesbeheerder", ["management"])


def run(url: str, dossiers: int = 1_000) -> dict:
    """Dossiers waiting at a user task of v1, migrated to a v2 that adds nothing but a name."""
    engine = Engine.open(url, clock=FixedClock())
    [v1] = engine.repository.deploy([MODEL])
    for n in range(dossiers):
        engine.runtime.start("bench", f"M-{n}")
    changed = MODEL.read_text(encoding="utf-8").replace('name="Registreren"', 'name="Registreren (v2)"')
    [v2] = engine.repository.deploy_sources({MODEL.name: changed})
    plan = engine.migration.generate(v1.id, v2.id)
    began = time.perf_counter()
    report = engine.migration.execute(plan, Selection(), OWNER)
    seconds = time.perf_counter() - began
    engine.db.dispose()
    return {"dossiers": dossiers, "migrated": len(report.migrated), "seconds": round(seconds, 2),
            "per_s": round(len(report.migrated) / seconds, 1), "ms_per_dossier": round(seconds * 1000 / dossiers, 2)}
