"""Link events as Camunda 7 runs them: a throwing link event jumps to the catching one of the same name in
the same (sub)process; a jump without a landing place is refused at deploy, naming file, line and element."""

from __future__ import annotations

import pytest

from engine.errors import DeployRefused
from engine.services import Actor, Engine

SECRETARIAAT = Actor.of("sanne", ["secretariaat"])


def model(throw_name: str = "verder", catch_names: tuple[str, ...] = ("verder",)) -> str:
    catches = "".join(
        f'<bpmn:intermediateCatchEvent id="opvang{i}" name="{name}"><bpmn:outgoing>uit{i}</bpmn:outgoing>'
        f'<bpmn:linkEventDefinition name="{name}"/></bpmn:intermediateCatchEvent>'
        f'<bpmn:sequenceFlow id="uit{i}" sourceRef="opvang{i}" targetRef="b"/>' for i, name in enumerate(catch_names))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="springen" name="Springen" isExecutable="true" camunda:historyTimeToLive="P1D">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="a"/>
    <bpmn:userTask id="a" name="A" camunda:candidateGroups="secretariaat"><bpmn:incoming>f0</bpmn:incoming>
      <bpmn:outgoing>f1</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="a" targetRef="werp"/>
    <bpmn:intermediateThrowEvent id="werp" name="{throw_name}"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:linkEventDefinition name="{throw_name}"/></bpmn:intermediateThrowEvent>
    {catches}
    <bpmn:userTask id="b" name="B" camunda:candidateGroups="secretariaat">
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="b" targetRef="einde"/>
    <bpmn:endEvent id="einde"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_throwing_link_event_continues_at_its_catching_link_event(engine: Engine):
    engine.repository.deploy_sources({"springen.bpmn": model()})
    instance_id = engine.runtime.start("springen")
    [a] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(a.id, SECRETARIAAT, {})
    assert [t.element_id for t in engine.query.tasks(instance_id=instance_id)] == ["b"]


@pytest.mark.parametrize(("throw_name", "catch_names", "element", "reason"), [
    ("elders", ("verder",), "werp", "geen opvangende link-gebeurtenis 'elders'"),
    ("verder", ("verder", "verder"), "opvang1", "twee opvangende link-gebeurtenissen heten 'verder'"),
])
def test_a_link_without_one_landing_place_is_refused_by_file_line_and_element(
        sqlite_url: str, throw_name: str, catch_names: tuple[str, ...], element: str, reason: str):
    engine = Engine.open(sqlite_url)
    try:
        with pytest.raises(DeployRefused) as refused:
            engine.repository.deploy_sources({"springen.bpmn": model(throw_name, catch_names)})
    finally:
        engine.db.dispose()
    [problem] = refused.value.problems
    assert str(problem).startswith(f"springen.bpmn:{problem.line} [{element}]: {reason}")
    assert problem.line > 1
