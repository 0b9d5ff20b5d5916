"""A person's request (issue 20): their data is found across dossiers, tasks and audit lines, exported,
and — after a recorded decision — erased everywhere it was kept, without breaking a running dossier."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.bpmn.serializer import state_json
from engine.errors import InvalidData
from engine.services import Actor, Engine
from engine.services.personal import ERASED
from engine.services.privacy import ERASED_ACTION
from engine.wiring import open_engine
from webhooks.admin import add_subscriber
from webhooks.models import OutboxEvent

MODELS = [Path(__file__).parent / "data" / name for name in ("melding.bpmn", "melding-registreren.form")]
SECRETARIAAT = Actor.of("sofie", ["secretariaat"])
GROS = str(Path(sys.executable).with_name("gros"))
AN = {"melder_naam": "An Peeters", "melder_contact": "An.Peeters@example.org", "thema": "zorg", "uitkomst": "open"}


def register(engine: Engine, n: int, entered: dict, finish: bool = False) -> str:
    instance_id = engine.runtime.start("melding", business_key=f"M-{n}")
    [task] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(task.id, SECRETARIAAT, entered)
    if finish:
        [task] = engine.query.tasks(instance_id=instance_id)
        engine.tasks.complete(task.id, SECRETARIAAT)
    return instance_id


def test_a_persons_data_is_found_across_dossiers(engine: Engine):
    engine.repository.deploy(MODELS)
    running = register(engine, 1, AN)
    ended = register(engine, 2, AN, finish=True)
    register(engine, 3, AN | {"melder_naam": "Jan Jansen", "melder_contact": "jan@example.org"})
    accented = register(engine, 4, AN | {"melder_naam": "Zoë Lefèvre", "melder_contact": "zoe@example.org"})

    report = engine.privacy.find("an.peeters@EXAMPLE.org")
    assert [d.instance_id for d in report.dossiers] == sorted([running, ended])
    by_id = {d.instance_id: d for d in report.dossiers}
    assert by_id[running].fields == ["melder_contact"] and by_id[ended].status == "completed"
    assert [t["name"] for t in by_id[running].tasks] == ["Melding beoordelen"] and by_id[ended].tasks == []
    [line] = by_id[running].audit
    assert (line["action"], line["actor"], line["fields"]) == ("task.completed", "sofie", ["melder_contact"])
    assert json.loads(json.dumps(report.as_json()))["dossiers"][0]["audit"]

    assert [d.instance_id for d in engine.privacy.find("zoë lefèvre").dossiers] == [accented]
    with pytest.raises(InvalidData, match="zoekterm"):
        engine.privacy.find(" an ")


def test_erasure_after_a_decision_leaves_a_running_dossier_running(engine: Engine):
    engine.repository.deploy(MODELS)
    running = register(engine, 1, AN)
    ended = register(engine, 2, AN, finish=True)
    other = register(engine, 3, AN | {"melder_naam": "Jan Jansen", "melder_contact": "jan@example.org"})
    with pytest.raises(InvalidData, match="besluit"):
        engine.privacy.erase("an.peeters@example.org", "", SECRETARIAAT)

    engine.privacy.erase("an.peeters@example.org", "Besluit secretariaat 2027/14", SECRETARIAAT)
    engine.privacy.erase("An Peeters", "Besluit secretariaat 2027/14", SECRETARIAAT)

    assert engine.privacy.find("peeters").dossiers == []
    for instance_id in (running, ended):
        assert "Peeters" not in state_json(engine.query.instance(instance_id).state)  # every copy the steps kept
        assert engine.query.variables(instance_id) == AN | {
            "melder_naam": ERASED, "melder_contact": ERASED}
        erasures = [e for e in engine.query.history(instance_id) if e.action == ERASED_ACTION]
        assert [e.data["velden"] for e in erasures] == [["melder_contact"], ["melder_naam"]]
        assert {e.data["besluit"] for e in erasures} == {"Besluit secretariaat 2027/14"}
    assert engine.query.variables(other)["melder_naam"] == "Jan Jansen"

    [task] = engine.query.tasks(instance_id=running)
    engine.tasks.complete(task.id, SECRETARIAAT)
    assert engine.query.instance(running).status == "completed"


def test_gros_privacy_zoek_exports_json_and_wis_needs_a_decision(sqlite_url: str):
    engine = open_engine(sqlite_url)
    engine.repository.deploy(MODELS)
    instance_id = register(engine, 1, AN)
    engine.db.dispose()
    env = os.environ | {"GROS_DATABASE_URL": sqlite_url}

    def gros(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([GROS, "privacy", *args], capture_output=True, text=True, env=env, timeout=120)

    exported = json.loads(gros("zoek", "an.peeters@example.org", "--json").stdout)
    assert exported["dossiers"][0]["instance_id"] == instance_id
    assert "M-1" in gros("zoek", "an.peeters@example.org").stdout
    refused = gros("zoek", "an")
    assert refused.returncode == 1 and "zoekterm" in refused.stderr and "Traceback" not in refused.stderr
    unasked = gros("wis", "an.peeters@example.org", "--user", "sofie")
    assert unasked.returncode == 2 and "--besluit" in unasked.stderr
    done = gros("wis", "an.peeters@example.org", "--besluit", "B-2027/14", "--user", "sofie", "--groups",
                "secretariaat")
    assert done.returncode == 0, done.stderr
    assert json.loads(gros("zoek", "an.peeters@example.org", "--json").stdout)["dossiers"] == []


def test_outbound_events_carry_no_personal_field(engine: Engine):
    add_subscriber(engine, "open-data", "https://example.org/hook", [], "beheer")
    engine.repository.deploy(MODELS)
    register(engine, 1, AN, finish=True)
    with engine.db.reading() as session:
        bodies = list(session.scalars(select(OutboxEvent.body)))
    assert {json.loads(b)["type"] for b in bodies} == {"dossier.gestart", "dossier.afgesloten"}
    assert not [b for b in bodies if "Peeters" in b]
