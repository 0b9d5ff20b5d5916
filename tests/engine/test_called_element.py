"""Call activities choose their process as Camunda 7 does: ``calledElement="${…}"`` and
``camunda:calledElementBinding`` (latest, deployment, version, versionTag), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from engine.errors import DeployRefused
from engine.services import Actor, Engine

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


def callee(key: str, task_name: str, version_tag: str | None = None) -> str:
    tag = f' camunda:versionTag="{version_tag}"' if version_tag else ""
    return f"""{HEAD}
  <bpmn:process id="{key}" isExecutable="true" camunda:historyTimeToLive="P30D"{tag}>
    <bpmn:startEvent id="kbegin"><bpmn:outgoing>k1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="werk" name="{task_name}" camunda:candidateGroups="secretariaat">
      <bpmn:incoming>k1</bpmn:incoming><bpmn:outgoing>k2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="keinde"><bpmn:incoming>k2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="k1" sourceRef="kbegin" targetRef="werk"/>
    <bpmn:sequenceFlow id="k2" sourceRef="werk" targetRef="keinde"/>
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
    engine.repository.deploy_sources({"ouder.bpmn": caller('calledElement="${doel}"'),
                                      "kind-a.bpmn": callee("kind-a", "Taak A")})
    instance_id = engine.runtime.start("ouder", variables={"doel": "kind-z"}, actor=SECRETARIAAT)
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
