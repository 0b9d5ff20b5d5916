"""Running instances migrate to a changed version and go on there, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from engine.bpmn.migration import Instruction, MigrationRefused
from engine.clock import FixedClock
from engine.gros import demo
from engine.services import Actor, Engine
from engine.services.migration import MigrationPlan, Selection
from engine.store.models import ProcessInstance
from tests.conftest import DATA, ROOT

MODEL = DATA / "migration" / "klein.bpmn"
SECRETARIAAT = Actor.of("sofie", ["secretariaat"])
BEHEERDER = Actor.of("procesbeheerder", ["beheer"])


def changed_model(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    text = MODEL.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "klein.bpmn"
    path.write_text(text)
    return path


# v2: a check after the assessment, a longer reminder, a renamed task in the called process.
V2 = (
    ('<bpmn:sequenceFlow id="f2" sourceRef="beoordelen" targetRef="afsluiten"/>',
     '<bpmn:sequenceFlow id="f2" sourceRef="beoordelen" targetRef="controleren"/>'
     '<bpmn:userTask id="controleren" name="Controleren" camunda:candidateGroups="secretariaat">'
     '<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f2b</bpmn:outgoing></bpmn:userTask>'
     '<bpmn:sequenceFlow id="f2b" sourceRef="controleren" targetRef="afsluiten"/>'),
    ('<bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming>',
     '<bpmn:incoming>f2b</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming>'),
    ("<bpmn:timeDuration>P14D</bpmn:timeDuration>", "<bpmn:timeDuration>P30D</bpmn:timeDuration>"),
    ('name="Subtaak"', 'name="Subtaak (nieuw)"'),
)


def deploy(engine: Engine, path: Path = MODEL) -> int:
    [deployed] = [d for d in engine.repository.deploy([path]) if d.key == "klein"]
    return deployed.id


def new_version(engine: Engine, tmp_path: Path, *replacements) -> int:
    return deploy(engine, changed_model(tmp_path, *replacements))


def start(engine: Engine, route: str, key: str = "GROS-1") -> str:
    return engine.runtime.start("klein", key, {"route": route, "land": "NL"})


def task(engine: Engine, instance_id: str):
    [only] = engine.query.tasks(instance_id=instance_id)
    return only


def migrate_all(engine: Engine, source: int, target: int, **kwargs):
    plan = engine.migration.generate(source, target, **kwargs)
    return engine.migration.execute(plan, Selection(), BEHEERDER)


def test_a_waiting_user_task_keeps_id_assignee_data_and_timer_and_goes_on_in_the_new_version(
        engine: Engine, clock: FixedClock, tmp_path: Path):
    source = deploy(engine)
    instance_id = start(engine, "taak")
    before = task(engine, instance_id)
    engine.tasks.claim(before.id, SECRETARIAAT)
    [timer_before] = engine.query.timers(instance_id)
    target = new_version(engine, tmp_path, *V2)
    report = migrate_all(engine, source, target)
    assert report.migrated == [instance_id] and not report.failed, report.failed
    instance = engine.query.instance(instance_id)
    after = task(engine, instance_id)
    assert instance.definition_id == target
    assert (after.id, after.assignee, after.name) == (before.id, "sofie", "Beoordelen")
    [timer_after] = engine.query.timers(instance_id)
    assert timer_after.due_at == timer_before.due_at  # P14D as armed, not the new P30D
    assert any(e.action == "instance.migrated" and e.element_name == "gemigreerd van v1 naar v2"
               and e.actor == "procesbeheerder" for e in engine.query.history(instance_id))
    engine.tasks.complete(after.id, SECRETARIAAT, {"oordeel": "ok"})
    assert task(engine, instance_id).name == "Controleren"  # only v2 has this step
    assert engine.query.variables(instance_id)["oordeel"] == "ok"


def test_a_boundary_timer_keeps_its_due_time_then_fires_into_the_new_version(
        engine: Engine, clock: FixedClock, tmp_path: Path):
    source = deploy(engine)
    instance_id = start(engine, "taak")
    [timer_before] = engine.query.timers(instance_id)
    target = new_version(engine, tmp_path, *V2)
    migrate_all(engine, source, target)
    clock.advance(timedelta(days=14, minutes=1))
    assert engine.timers.fire_due_timers() == 1
    assert task(engine, instance_id).name == "Rappel"


def test_update_event_trigger_arms_the_timer_again_from_the_new_definition(
        engine: Engine, clock: FixedClock, tmp_path: Path):
    source = deploy(engine)
    instance_id = start(engine, "taak")
    clock.advance(timedelta(days=2))
    target = new_version(engine, tmp_path, *V2)
    migrate_all(engine, source, target, update_event_trigger=True)
    [timer] = engine.query.timers(instance_id)
    assert timer.due_at == clock.now() + timedelta(days=30)


def test_a_message_catch_is_subscribed_again_and_the_message_still_arrives(
        engine: Engine, clock: FixedClock, tmp_path: Path):
    renamed = V2 + (('<bpmn:message id="m_antwoord" name="antwoord"/>',
                     '<bpmn:message id="m_antwoord" name="antwoord-v2"/>'),)
    source = deploy(engine)
    instance_id = start(engine, "bericht")
    target = new_version(engine, tmp_path, *renamed)
    migrate_all(engine, source, target)
    engine.runtime.correlate("antwoord-v2", business_key="GROS-1", variables={"antwoord": "ja"})
    assert task(engine, instance_id).name == "Afsluiten"
    assert engine.query.variables(instance_id)["antwoord"] == "ja"


def test_an_instance_inside_a_called_process_moves_with_it(engine: Engine, clock: FixedClock, tmp_path: Path):
    source = deploy(engine)
    instance_id = start(engine, "sub")
    before = task(engine, instance_id)
    target = new_version(engine, tmp_path, *V2)
    migrate_all(engine, source, target)
    after = task(engine, instance_id)
    assert (after.id, after.name) == (before.id, "Subtaak (nieuw)")
    engine.tasks.complete(after.id, SECRETARIAAT)
    engine.tasks.complete(task(engine, instance_id).id, SECRETARIAAT)
    assert engine.query.instance(instance_id).status == "completed"


def test_an_invalid_plan_is_refused_naming_the_elements(engine: Engine, clock: FixedClock, tmp_path: Path):
    source = deploy(engine)
    start(engine, "taak")
    start(engine, "bericht", "GROS-2")
    target = new_version(engine, tmp_path, *V2)
    plan = MigrationPlan(source, target, (Instruction("beoordelen", "controleren_niet"),
                                          Instruction("herinnering", "afsluiten")))
    reasons = {str(r) for r in engine.migration.validate(plan)}
    assert "wacht_antwoord: hier wachten dossiers, maar het plan zegt niet waarheen" in reasons
    assert "beoordelen: doelelement 'controleren_niet' bestaat niet in de doelversie" in reasons
    assert "herinnering: is een BoundaryEvent, doelelement 'afsluiten' een UserTask" in reasons
    with pytest.raises(MigrationRefused, match="controleren_niet"):
        engine.migration.execute(plan, Selection(), BEHEERDER)
    assert {i.definition_id for i in engine.query.instances()} == {source}


def test_a_failing_instance_stays_unchanged_with_an_incident_and_the_others_migrate(
        engine: Engine, clock: FixedClock, tmp_path: Path):
    source = deploy(engine)
    at_task = [start(engine, "taak", f"GROS-{n}") for n in range(3)]
    stuck = start(engine, "bericht", "GROS-9")
    target = new_version(engine, tmp_path, *V2)
    generated = engine.migration.generate(source, target)
    plan = MigrationPlan(source, target, tuple(i for i in generated.instructions if i.source != "wacht_antwoord"))
    seen = []
    report = engine.migration.execute(plan, Selection(), BEHEERDER, progress=lambda done, total: seen.append(done))
    assert sorted(report.migrated) == sorted(at_task) and list(report.failed) == [stuck]
    assert seen == [1, 2, 3, 4]
    instance = engine.query.instance(stuck)
    assert (instance.definition_id, instance.status, instance.waiting_at) == (source, "incident", ["wacht_antwoord"])
    [incident] = engine.query.incidents(stuck)
    assert incident.element_id == "wacht_antwoord" and "niet waarheen" in incident.message
    engine.runtime.correlate("antwoord", business_key="GROS-9")  # still runs on v1
    assert task(engine, stuck).name == "Afsluiten"


def test_preview_counts_dossiers_per_waiting_element(engine: Engine, clock: FixedClock, tmp_path: Path):
    source = deploy(engine)
    for n in range(2):
        start(engine, "taak", f"T-{n}")
    start(engine, "sub", "S-1")
    target = new_version(engine, tmp_path, *V2)
    rows = {p.element_id: (p.dossiers, p.target, p.refusals)
            for p in engine.migration.preview(engine.migration.generate(source, target))}
    assert rows["beoordelen"] == (2, "beoordelen", ())
    assert rows["herinnering"] == (2, "herinnering", ())
    assert rows["uitwerken"] == (1, "uitwerken", ())
    assert rows["subtaak"] == (1, "subtaak", ())


def test_selection_by_business_key_migrates_only_that_dossier(engine: Engine, clock: FixedClock, tmp_path: Path):
    source = deploy(engine)
    chosen, other = start(engine, "taak", "A"), start(engine, "taak", "B")
    target = new_version(engine, tmp_path, *V2)
    report = engine.migration.execute(engine.migration.generate(source, target), Selection(business_key="A"),
                                      BEHEERDER)
    assert report.migrated == [chosen]
    assert engine.query.instance(other).definition_id == source


def test_gros_migrate_previews_migrates_and_reports_progress(sqlite_url: str, tmp_path: Path):
    from tests.engine.gros_cli import run

    run(sqlite_url, "deploy", str(MODEL))
    for key in ("A", "B"):
        run(sqlite_url, "start", "klein", "--business-key", key, "--var", "route=taak")
    run(sqlite_url, "start", "klein", "--business-key", "C", "--var", "route=bericht")
    run(sqlite_url, "deploy", str(changed_model(tmp_path, *V2)))
    preview = run(sqlite_url, "migrate", "klein", "--from-version", "1", "--preview")
    assert preview.returncode == 0, preview.stderr
    assert "beoordelen" in preview.stdout and "2 dossier(s) → beoordelen" in preview.stdout
    plan = json.loads(run(sqlite_url, "migrate", "klein", "--from-version", "1", "--preview", "--json").stdout)
    assert {"element_id": "wacht_antwoord", "dossiers": 1, "target": "wacht_antwoord", "refusals": []} in plan
    done = run(sqlite_url, "migrate", "klein", "--from-version", "1", "--to-version", "2", "--user", "an")
    assert done.returncode == 0, done.stderr
    assert "3/3" in done.stderr and "3 van 3 gemigreerd van klein v1 naar v2" in done.stdout
    refused = run(sqlite_url, "migrate", "klein", "--from-version", "7")
    assert refused.returncode == 1 and "klein heeft geen versie 7" in refused.stderr


def test_a_batch_of_a_thousand_dossiers_migrates_with_progress(engine: Engine, clock: FixedClock, tmp_path: Path):
    source = deploy(engine)
    started = [start(engine, "taak", f"B-{n}") for n in range(1000)]
    target = new_version(engine, tmp_path, *V2)
    seen: list[tuple[int, int]] = []
    report = engine.migration.execute(engine.migration.generate(source, target), Selection(), BEHEERDER,
                                      progress=lambda done, total: seen.append((done, total)))
    assert len(report.migrated) == 1000 and not report.failed
    assert seen[0] == (1, 1000) and seen[-1] == (1000, 1000) and len(seen) == 1000
    assert {i.definition_id for i in engine.query.instances()} == {target}
    last = task(engine, started[-1])
    engine.tasks.complete(last.id, SECRETARIAAT)
    assert task(engine, started[-1]).name == "Controleren"


def test_deploying_a_version_that_strands_waiting_dossiers_says_how_many_and_where(
        engine: Engine, clock: FixedClock, tmp_path: Path):
    deploy(engine)
    for n in range(2):
        start(engine, "bericht", f"M-{n}")
    start(engine, "taak", "T-1")
    without_catch = changed_model(tmp_path, ('<bpmn:intermediateCatchEvent id="wacht_antwoord"',
                                             '<bpmn:intermediateCatchEvent id="wacht_reactie"'),
                                  ('targetRef="wacht_antwoord"', 'targetRef="wacht_reactie"'),
                                  ('sourceRef="wacht_antwoord"', 'sourceRef="wacht_reactie"'))
    [deployed] = [d for d in engine.repository.deploy([without_catch]) if d.key == "klein"]
    assert (deployed.stranded, deployed.stranded_at) == (2, ("wacht_antwoord",))
    assert deployed.warning().startswith("2 lopende dossier(s) van oudere versies van klein wachten bij "
                                         "wacht_antwoord, dat v2 niet meer heeft")
    assert "gros migrate klein" in deployed.warning()
    [harmless] = [d for d in engine.repository.deploy([changed_model(tmp_path, *V2)]) if d.key == "klein"]
    assert harmless.version == 3 and harmless.stranded == 0 and harmless.warning() is None


def test_a_layout_only_change_makes_new_versions_pinned_alike_that_serve_their_own_xml(
        engine: Engine, clock: FixedClock, tmp_path: Path):
    first = {d.key: d for d in engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])}
    original = (ROOT / "processen" / "gros-escalatie.bpmn").read_text()
    moved_text = re.sub(r'<dc:Bounds x="(\d+)"', lambda m: f'<dc:Bounds x="{int(m[1]) + 10}"', original, count=1)
    assert moved_text != original
    moved = tmp_path / "gros-escalatie.bpmn"
    moved.write_text(moved_text)
    second = {d.key: d for d in engine.repository.deploy([moved]) if d.changed}
    assert set(second) == {"gros-escalatie", "gros-dossier", "gros-uitvoering", "gros-uitwerking"}
    assert second["gros-escalatie"].version == first["gros-escalatie"].version + 1
    pinned = {key: engine.repository.definition(d.id).resource_ids for key, d in second.items()}
    assert all(set(pinned["gros-escalatie"]) <= set(ids) for ids in pinned.values())  # the same files
    assert engine.repository.definition_xml(first["gros-escalatie"].id) == original
    assert engine.repository.definition_xml(second["gros-escalatie"].id) == moved_text
    assert not any(d.changed for d in engine.repository.deploy([moved]))


def test_a_batch_counts_its_progress_in_its_row(engine: Engine, clock: FixedClock, tmp_path: Path):
    source = deploy(engine)
    for n in range(3):
        start(engine, "taak", f"T-{n}")
    stuck = start(engine, "bericht", "M-1")
    target = new_version(engine, tmp_path, *V2)
    generated = engine.migration.generate(source, target)
    plan = MigrationPlan(source, target, tuple(i for i in generated.instructions if i.source != "wacht_antwoord"))
    batch_id = engine.migration.create_batch(plan, Selection(), BEHEERDER)
    assert (engine.migration.batch(batch_id).total, engine.migration.batch(batch_id).done) == (4, 0)
    report = engine.migration.run_batch(batch_id, BEHEERDER)
    batch = engine.migration.batch(batch_id)
    assert (batch.done, batch.failed, batch.ended_at) == (3, 1, clock.now())
    assert list(report.failed) == [stuck]


@pytest.mark.parametrize("route", ["taak", "bericht", "sub"])
def test_migrating_to_an_equal_version_leaves_every_task_as_it_was(
        engine: Engine, clock: FixedClock, tmp_path: Path, route: str):
    source = deploy(engine)
    instance_id = start(engine, route)
    target = new_version(engine, tmp_path, ('name="Klein dossier"', 'name="Klein dossier (v2)"'))

    before = tree(engine, instance_id)
    migrate_all(engine, source, target)
    assert engine.query.instance(instance_id).definition_id == target
    assert tree(engine, instance_id) == before


def tree(engine: Engine, instance_id: str) -> list[tuple[str, str, int]]:
    """Every task of an instance as (process, spec, state): what a migration must not disturb."""
    with engine.db.reading() as session:
        workflow = engine.executor.load_state(session, session.get(ProcessInstance, instance_id))
    inner = workflow.inner
    return sorted((sub.spec.name, task.task_spec.name, task.state)
                  for sub in (inner, *inner.subprocesses.values()) for task in sub.tasks.values())


def test_the_gros_demo_dossiers_migrate_to_a_new_version_with_every_task_as_it_was(
        engine: Engine, clock: FixedClock, tmp_path: Path):
    first = {d.key: d for d in engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])}
    demo.seed_dossiers(engine)
    running = [i.id for i in engine.query.instances(status="running")]
    before = {i: tree(engine, i) for i in running}
    moved = tmp_path / "gros-escalatie.bpmn"
    moved.write_text(re.sub(r'<dc:Bounds x="(\d+)"', lambda m: f'<dc:Bounds x="{int(m[1]) + 10}"',
                            (ROOT / "processen" / "gros-escalatie.bpmn").read_text(), count=1))
    second = {d.key: d for d in engine.repository.deploy([moved]) if d.changed}
    for key, new in second.items():
        plan = engine.migration.generate(first[key].id, new.id)
        assert engine.migration.validate(plan) == []
        assert not engine.migration.execute(plan, Selection(), BEHEERDER).failed
    assert len(running) >= 5
    for instance_id in running:
        assert engine.query.instance(instance_id).definition_id == second["gros-dossier"].id
        assert tree(engine, instance_id) == before[instance_id]


def test_the_migration_benchmark_measures_its_figures(database: str):
    from engine.bench import migration as bench

    figures = bench.run(database, dossiers=5)
    assert figures["migrated"] == 5 and figures["per_s"] > 0


def test_a_waiting_element_mapped_to_an_element_of_another_process_is_refused(
        engine: Engine, clock: FixedClock, tmp_path: Path):
    source = deploy(engine)
    instance_id = start(engine, "sub")
    target = new_version(engine, tmp_path, *V2)
    generated = engine.migration.generate(source, target)
    plan = MigrationPlan(source, target, tuple(Instruction("subtaak", "afsluiten") if i.source == "subtaak" else i
                                               for i in generated.instructions))
    report = engine.migration.execute(plan, Selection(), BEHEERDER)
    assert report.failed == {instance_id: "subtaak: het doelelement bestaat niet in proces 'klein-sub' van de "
                                          "doelversie"}
    assert engine.query.instance(instance_id).definition_id == source
    assert task(engine, instance_id).name == "Subtaak"
