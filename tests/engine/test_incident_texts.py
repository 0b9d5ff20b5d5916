"""An incident tells the process owner in Dutch what went wrong, with SpiffWorkflow's own message kept
behind it as the detail to find the cause (issue #16)."""

from __future__ import annotations

import pytest

from engine.services import Actor, Engine

GATEWAY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="kiezen" name="Kiezen" isExecutable="true" camunda:historyTimeToLive="P30D">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="keuze" name="Welke kant?"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="einde"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="keuze"/>
    <bpmn:sequenceFlow id="f2" sourceRef="keuze" targetRef="einde">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${kant == 'NL'}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def gateway(engine: Engine, tmp_path) -> Engine:
    (tmp_path / "kiezen.bpmn").write_text(GATEWAY, encoding="utf-8")
    engine.repository.deploy([tmp_path])
    return engine


@pytest.mark.parametrize(("variables", "dutch", "original"), [
    ({"kant": "VL"}, "Geen enkele voorwaarde van deze gateway klopt en er is geen standaardpad",
     "No conditions satisfied"),
])
def test_a_gateway_incident_says_in_dutch_what_failed(gateway: Engine, variables, dutch, original):
    instance_id = gateway.runtime.start("kiezen", "K-1", variables, Actor.of("sanne", ["secretariaat"]))
    [incident] = gateway.query.incidents(instance_id)
    assert incident.element_id == "keuze"
    assert incident.message.startswith(f"{dutch}. Melding van de engine: ")
    assert original in incident.message


def test_a_condition_that_cannot_be_evaluated_is_an_incident_in_dutch(gateway: Engine):
    instance_id = gateway.runtime.start("kiezen", "K-2", {}, Actor.of("sanne", ["secretariaat"]))
    [incident] = gateway.query.incidents(instance_id)
    assert incident.message.startswith("Expressie '${kant == 'NL'}' mislukte: naam 'kant' is niet gedefinieerd")
