"""Call activities choose their process as Camunda 7 does: ``calledElement="${…}"`` and
``camunda:calledElementBinding`` (latest, deployment, version, versionTag), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.bpmn.migration import Instruction
from engine.errors import DeployRefused
from engine.services import Actor, Engine
from engine.services.integrity import verify
from engine.services.migration import Selection
from tests.engine.gros_cli import run

SECRETARIAAT = Actor.of("iemand-secretariaat", ["secretariaat"])
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/'
        'MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">')


def caller(call: str) -> str:
    """Start → Voorbereiden (a person) → Doorverwijzen (the call activity, ``call`` its attributes) → Nazorg."""
    return f"""{HEAD}
  <bpmn:process id="ouder" isExecutable="true" camunda:historyTimeToLive="P30D">
    <bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="voor" name="Voorbereiden" camunda:candidateGroups="secretariaat">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:callActivity id="roep" name="Doorverwijzen" {call}>
      <bpmn:extensionElements><camunda:in variables="all"/><camunda:out variables="all"/></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:callActivity>
    <bpmn:userTask id="na" name="Nazorg" camunda:candidateGroups="secretariaat">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="einde"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="voor"/>
    <bpmn:sequenceFlow id="f2" sourceRef="voor" targetRef="roep"/>
    <bpmn:sequenceFlow id="f3" sourceRef="roep" targetRef="na"/>
    <bpmn:sequenceFlow id="f4" sourceRef="na" targetRef="einde"/>
  </bpmn:process>
</bpmn:definitions>"""


def callee(key: str, task_name: str, version_tag: str | None = None, task_id: str = "werk") -> str:
    tag = f' camunda:versionTag="{version_tag}"' if version_tag else ""
    return f"""{HEAD}
  <bpmn:process id="{key}" isExecutable="true" camunda:historyTimeToLive="P30D"{tag}>
    <bpmn:startEvent id="kbegin"><bpmn:outgoing>k1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="{task_id}" name="{task_name}" camunda:candidateGroups="secretariaat">
      <bpmn:incoming>k1</bpmn:incoming><bpmn:outgoing>k2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="keinde"><bpmn:incoming>k2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="k1" sourceRef="kbegin" targetRef="{task_id}"/>
    <bpmn:sequenceFlow id="k2" sourceRef="{task_id}" targetRef="keinde"/>
  </bpmn:process>
</bpmn:definitions>"""


def complete_only_task(engine: Engine, instance_id: str, variables: dict | None = None) -> tuple[str, str]:
    """Complete the one waiting task; answers (process key, task name) of the task completed."""
    [task] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(task.id, SECRETARIAAT, variables or {})
    return task.process_key, task.name


def called_task(engine: Engine, instance_id: str, variables: dict | None = None) -> tuple[str, str]:
    """Finish Voorbereiden; answers the task the called process waits at."""
    complete_only_task(engine, instance_id, variables)
    [task] = engine.query.tasks(instance_id=instance_id)
    return task.process_key, task.name


def test_an_expression_in_called_element_is_evaluated_when_the_call_starts(engine: Engine):
    engine.repository.deploy_sources({"ouder.bpmn": caller('calledElement="${doel}"'),
                                      "kind-a.bpmn": callee("kind-a", "Taak A"),
                                      "kind-b.bpmn": callee("kind-b", "Taak B")})
    instance_id = engine.runtime.start("ouder", variables={"doel": "kind-a"}, actor=SECRETARIAAT)
    assert called_task(engine, instance_id, {"doel": "kind-b"}) == ("kind-b", "Taak B")
    assert complete_only_task(engine, instance_id, {"uitkomst": "klaar"}) == ("kind-b", "Taak B")
    [after] = engine.query.tasks(instance_id=instance_id)
    assert after.name == "Nazorg" and engine.query.variables(instance_id)["uitkomst"] == "klaar"


@pytest.mark.parametrize(("binding", "expected"), [
    ("", "Versie 1"),  # GROS's default: the version deployed when the caller version was, bundled with it
    ('camunda:calledElementBinding="deployment"', "Versie 1"),
    ('camunda:calledElementBinding="latest"', "Versie 2"),
])
def test_latest_calls_the_newest_version_when_the_call_starts_deployment_the_one_of_the_caller(
        engine: Engine, binding: str, expected: str):
    engine.repository.deploy_sources({"ouder.bpmn": caller(f'calledElement="kind" {binding}'),
                                      "kind.bpmn": callee("kind", "Versie 1")})
    instance_id = engine.runtime.start("ouder", actor=SECRETARIAAT)
    engine.repository.deploy_sources({"kind.bpmn": callee("kind", "Versie 2")})
    assert called_task(engine, instance_id) == ("kind", expected)
    complete_only_task(engine, instance_id)
    assert [t.name for t in engine.query.tasks(instance_id=instance_id)] == ["Nazorg"]


def test_version_binding_calls_that_version_and_a_missing_one_is_an_incident_a_deploy_and_retry_fix(
        engine: Engine):
    call = 'calledElement="kind" camunda:calledElementBinding="version" camunda:calledElementVersion="${versie}"'
    engine.repository.deploy_sources({"ouder.bpmn": caller(call), "kind.bpmn": callee("kind", "Versie 1")})
    engine.repository.deploy_sources({"kind.bpmn": callee("kind", "Versie 2")})
    first = engine.runtime.start("ouder", variables={"versie": 1}, actor=SECRETARIAAT)
    assert called_task(engine, first) == ("kind", "Versie 1")

    missing = engine.runtime.start("ouder", variables={"versie": 3}, actor=SECRETARIAAT)
    complete_only_task(engine, missing)
    [incident] = engine.query.incidents(missing, open_only=True)
    assert incident.element_id == "roep"
    assert incident.message.strip() == ("call activity 'Doorverwijzen': versie 3 van proces 'kind' is niet "
                                        "gedeployed; deploy het en probeer het incident opnieuw.")
    engine.repository.deploy_sources({"kind.bpmn": callee("kind", "Versie 3")})
    engine.runtime.retry_incident(incident.id, SECRETARIAAT)
    assert engine.query.incidents(missing, open_only=True) == []
    assert complete_only_task(engine, missing) == ("kind", "Versie 3")
    assert [t.name for t in engine.query.tasks(instance_id=missing)] == ["Nazorg"]


def test_version_tag_binding_calls_the_newest_version_with_that_tag(engine: Engine):
    call = 'calledElement="kind" camunda:calledElementBinding="versionTag" camunda:calledElementVersionTag="2026-a"'
    engine.repository.deploy_sources({"ouder.bpmn": caller(call), "kind.bpmn": callee("kind", "Getagd", "2026-a")})
    engine.repository.deploy_sources({"kind.bpmn": callee("kind", "Nieuwer", "2026-b")})
    instance_id = engine.runtime.start("ouder", actor=SECRETARIAAT)
    assert called_task(engine, instance_id) == ("kind", "Getagd")
    engine.repository.deploy_sources({"kind.bpmn": callee("kind", "Opnieuw getagd", "2026-a")})
    again = engine.runtime.start("ouder", actor=SECRETARIAAT)
    assert called_task(engine, again) == ("kind", "Opnieuw getagd")  # the newest version with the tag


def test_an_undeployed_process_named_by_the_expression_is_an_incident_that_a_retry_with_a_fix_resolves(
        engine: Engine):
    instance_id = start_choosing(engine, "kind-z")
    complete_only_task(engine, instance_id)
    [incident] = engine.query.incidents(instance_id, open_only=True)
    assert incident.message.strip() == ("call activity 'Doorverwijzen': proces 'kind-z' is niet gedeployed; "
                                        "deploy het en probeer het incident opnieuw.")
    engine.runtime.retry_incident(incident.id, SECRETARIAAT, {"doel": "kind-a"})
    assert called_task_now(engine, instance_id) == ("kind-a", "Taak A")


def test_a_called_process_not_deployed_yet_is_deployed_with_a_warning_and_looked_up_when_the_call_starts(
        engine: Engine):
    """Camunda 7 deploys such a caller too; the call is an incident until the process is there."""
    [deployed] = engine.repository.deploy_sources({"ouder.bpmn": caller('calledElement="kind"')})
    assert deployed.missing_calls == ("kind",)
    assert deployed.warning() == ("ouder roept proces 'kind' aan, dat niet gedeployed is: de aanroep zoekt de "
                                  "nieuwste versie wanneer ze start en wordt een incident zolang er geen is (deploy "
                                  "het proces en probeer het incident opnieuw).")
    instance_id = engine.runtime.start("ouder", actor=SECRETARIAAT)
    complete_only_task(engine, instance_id)
    [incident] = engine.query.incidents(instance_id, open_only=True)
    assert incident.message.strip() == ("call activity 'Doorverwijzen': proces 'kind' is niet gedeployed; "
                                        "deploy het en probeer het incident opnieuw.")
    engine.repository.deploy_sources({"kind.bpmn": callee("kind", "Eindelijk")})
    engine.runtime.retry_incident(incident.id, SECRETARIAAT)
    assert called_task_now(engine, instance_id) == ("kind", "Eindelijk")


def test_a_called_process_deployed_alongside_is_pinned_and_gives_no_warning(engine: Engine):
    deployed = engine.repository.deploy_sources({"ouder.bpmn": caller('calledElement="kind"'),
                                                 "kind.bpmn": callee("kind", "Versie 1")})
    assert sorted(d.key for d in deployed) == ["kind", "ouder"]
    assert all(d.missing_calls == () and d.warning() is None for d in deployed)


def called_task_now(engine: Engine, instance_id: str) -> tuple[str, str]:
    [task] = engine.query.tasks(instance_id=instance_id)
    return task.process_key, task.name


@pytest.mark.parametrize(("call", "message"), [
    ('calledElement="kind" camunda:calledElementBinding="version"',
     'camunda:calledElementBinding="version" heeft camunda:calledElementVersion nodig'),
    ('calledElement="kind" camunda:calledElementBinding="versionTag"',
     'camunda:calledElementBinding="versionTag" heeft camunda:calledElementVersionTag nodig'),
    ('calledElement="kind" camunda:calledElementBinding="nieuwste"',
     "camunda:calledElementBinding 'nieuwste' bestaat niet; kies latest, deployment, version of versionTag"),
    ('calledElement="${doel}" camunda:calledElementBinding="deployment"',
     'camunda:calledElementBinding="deployment" heeft een vaste calledElement nodig'),
    ('calledElement="onbekend" camunda:calledElementBinding="deployment"',
     "aangeroepen proces 'onbekend' is niet gedeployed: camunda:calledElementBinding=\"deployment\" roept de "
     "versie aan die samen met de aanroeper gedeployed is; deploy ze samen of laat de binding weg (dan zoekt de "
     "aanroep de nieuwste versie wanneer ze start)"),
    ('calledElement="${execution.getVariable(\'doel\')}"',
     "de expressie '${execution.getVariable('doel')}' kan de engine niet uitvoeren: schrijf ze als ${...} met "
     "variabelen en vergelijkingen (Java-aanroepen draaien hier niet)"),
])
def test_a_binding_without_what_it_needs_is_refused_at_deploy(engine: Engine, call: str, message: str):
    with pytest.raises(DeployRefused) as refused:
        engine.repository.deploy_sources({"ouder.bpmn": caller(call), "kind.bpmn": callee("kind", "Taak")})
    assert [str(p) for p in refused.value.problems] == [f"ouder.bpmn:7 [roep]: {message}"]


def deploy_choosing(engine: Engine) -> None:
    """A caller that calls the process its variable ``doel`` names, and one such process, kind-a."""
    engine.repository.deploy_sources({"ouder.bpmn": caller('calledElement="${doel}"'),
                                      "kind-a.bpmn": callee("kind-a", "Taak A")})


def start_choosing(engine: Engine, doel: str) -> str:
    deploy_choosing(engine)
    return engine.runtime.start("ouder", variables={"doel": doel}, actor=SECRETARIAAT)


def definition_id(engine: Engine, key: str, version: int) -> int:
    [found] = [d.id for d in engine.repository.definitions(key) if d.version == version]
    return found


def test_a_process_chosen_at_run_time_migrates_by_its_own_plan_and_its_caller_goes_on(engine: Engine):
    """Camunda 7 migrates a called process instance as a process instance of its own: the plan is for the
    called process's definition; the dossier stays on its version and goes on when the call ends."""
    instance_id = start_choosing(engine, "kind-a")
    assert called_task(engine, instance_id) == ("kind-a", "Taak A")
    [waiting] = engine.query.tasks(instance_id=instance_id)
    [deployed] = [d for d in engine.repository.deploy_sources(
        {"kind-a.bpmn": callee("kind-a", "Taak A, herzien", task_id="werk-2")}) if d.key == "kind-a"]
    assert (deployed.stranded, deployed.stranded_at) == (1, ("werk",))  # the deploy guard sees it waits in v1
    v1, v2 = definition_id(engine, "kind-a", 1), definition_id(engine, "kind-a", 2)
    caller_version = definition_id(engine, "ouder", 1)

    plan = engine.migration.generate(v1, v2)
    assert Instruction("werk", "werk-2") in plan.instructions
    assert [(e.element_id, e.dossiers, e.target, e.refusals) for e in engine.migration.preview(plan)] == [
        ("werk", 1, "werk-2", ())]
    assert engine.migration.validate(plan) == []
    assert engine.migration.instances(plan, Selection()) == [instance_id]
    report = engine.migration.execute(plan, Selection(), SECRETARIAAT)
    assert (report.migrated, report.failed) == ([instance_id], {})

    [moved] = engine.query.tasks(instance_id=instance_id)
    assert (moved.id, moved.element_id, moved.name) == (waiting.id, "werk-2", "Taak A, herzien")
    assert {(p.process_key, p.element_id, p.definition_id) for p in engine.query.positions(instance_id)} == {
        ("ouder", "roep", caller_version), ("kind-a", "werk-2", v2)}
    assert engine.query.instance(instance_id).definition_id == caller_version
    assert verify(engine.executor).problems == []  # the stored state loads with the version it now calls
    assert [e.element_name for e in engine.query.history(instance_id) if e.action == "instance.migrated"] == [
        "aangeroepen proces kind-a gemigreerd van v1 naar v2"]
    assert engine.migration.instances(plan, Selection()) == []
    assert complete_only_task(engine, instance_id, {"uitkomst": "herzien"}) == ("kind-a", "Taak A, herzien")
    [after] = engine.query.tasks(instance_id=instance_id)
    assert after.name == "Nazorg" and engine.query.variables(instance_id)["uitkomst"] == "herzien"


def test_a_dossier_migrates_while_a_process_chosen_at_run_time_runs_and_that_process_keeps_its_version(
        engine: Engine):
    instance_id = start_choosing(engine, "kind-a")
    called_task(engine, instance_id)
    engine.repository.deploy_sources({"ouder.bpmn": caller('calledElement="${doel}"').replace("Nazorg", "Opvolging")})
    v1, v2 = definition_id(engine, "ouder", 1), definition_id(engine, "ouder", 2)
    plan = engine.migration.generate(v1, v2)
    assert [(e.element_id, e.dossiers, e.refusals) for e in engine.migration.preview(plan)] == [("roep", 1, ())]
    report = engine.migration.execute(plan, Selection(), SECRETARIAAT)
    assert (report.migrated, report.failed) == ([instance_id], {})
    assert {(p.process_key, p.element_id, p.definition_id) for p in engine.query.positions(instance_id)} == {
        ("ouder", "roep", v2), ("kind-a", "werk", definition_id(engine, "kind-a", 1))}
    assert verify(engine.executor).problems == []
    assert complete_only_task(engine, instance_id) == ("kind-a", "Taak A")
    assert [t.name for t in engine.query.tasks(instance_id=instance_id)] == ["Opvolging"]


def test_gros_migrate_moves_a_process_chosen_at_run_time_and_refuses_one_the_plan_does_not_map(
        engine: Engine, database: str, tmp_path: Path):
    deploy_choosing(engine)
    mapped, unmapped = (engine.runtime.start("ouder", key, {"doel": "kind-a"}, SECRETARIAAT) for key in "AB")
    called_task(engine, mapped)
    called_task(engine, unmapped)
    engine.repository.deploy_sources({"kind-a.bpmn": callee("kind-a", "Taak A, herzien", task_id="werk-2")})
    plan = {"sourceProcessDefinitionId": definition_id(engine, "kind-a", 1),
            "targetProcessDefinitionId": definition_id(engine, "kind-a", 2), "instructions": [
                {"sourceActivityIds": ["kbegin"], "targetActivityIds": ["kbegin"]}]}
    (tmp_path / "plan.json").write_text(json.dumps(plan))

    refused = run(database, "migrate", "kind-a", "--from-version", "1", "--plan", str(tmp_path / "plan.json"),
                  "--instance", unmapped)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"niet gemigreerd: {unmapped}: werk: hier wachten dossiers, maar het plan zegt niet waarheen" \
        in refused.stdout
    [incident] = engine.query.incidents(unmapped, open_only=True)
    assert incident.element_id == "werk" and incident.message.startswith("migratie naar kind-a v2 niet mogelijk")

    preview = run(database, "migrate", "kind-a", "--from-version", "1", "--preview")
    assert "werk" in preview.stdout and "2 dossier(s) → werk-2" in preview.stdout
    done = run(database, "migrate", "kind-a", "--from-version", "1", "--instance", mapped)
    assert done.returncode == 0, done.stderr
    assert "1 van 1 gemigreerd van kind-a v1 naar v2" in done.stdout
    assert complete_only_task(engine, mapped) == ("kind-a", "Taak A, herzien")
    assert [t.name for t in engine.query.tasks(instance_id=mapped)] == ["Nazorg"]
