"""A dossier whose history was cleaned (issue 20) still opens in the monitor: its outcome, theme and the
decision lines stay, without variables and without the officials' names."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from engine.clock import FixedClock
from engine.services import Actor, Engine
from engine.services.personal import ERASED

MODELS = [Path(__file__).parents[1] / "engine" / "data" / name for name in ("melding.bpmn", "melding-registreren.form")]


def test_a_cleaned_dossier_shows_its_outcome(manager, engine: Engine, clock: FixedClock):
    engine.repository.deploy(MODELS)
    instance_id = engine.runtime.start("melding", business_key="M-1")
    for entered in ({"melder_naam": "An Peeters", "melder_contact": "an@example.org", "thema": "zorg",
                     "uitkomst": "opgelost"}, {}):
        [task] = engine.query.tasks(instance_id=instance_id)
        engine.tasks.complete(task.id, Actor.of("sanne", ["secretariaat"]), entered)
    clock.advance(timedelta(days=31))
    assert engine.history.clean() == 1
    page = manager.get(f"/monitor/dossiers/{instance_id}")
    assert page.status_code == 200, page.text
    assert "opgelost" in page.text and "M-1" in page.text and ERASED in page.text
    assert "An Peeters" not in page.text and "sanne" not in page.text
