"""Several outgoing flows of an activity split as in Camunda: all unconditioned flows run in parallel; a
conditioned flow runs when its condition holds, the default flow when none does."""

from __future__ import annotations

import pytest

from engine.services import Actor, Engine

SECRETARIAAT = Actor.of("sanne", ["secretariaat"])
HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="splitsen" name="Splitsen" isExecutable="true" camunda:historyTimeToLive="P1D">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="a"/>
"""
TASKS = "".join(
    f'<bpmn:userTask id="{t}" name="{t}" camunda:candidateGroups="secretariaat"><bpmn:incoming>i{t}</bpmn:incoming>'
    f'<bpmn:outgoing>o{t}</bpmn:outgoing></bpmn:userTask>'
    f'<bpmn:endEvent id="einde_{t}"><bpmn:incoming>o{t}</bpmn:incoming></bpmn:endEvent>'
    f'<bpmn:sequenceFlow id="o{t}" sourceRef="{t}" targetRef="einde_{t}"/>' for t in ("b", "c", "d"))


def model(flows: str, default: str = "") -> str:
    activity = (f'<bpmn:userTask id="a" name="A" camunda:candidateGroups="secretariaat"{default}>'
                '<bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>ib</bpmn:outgoing><bpmn:outgoing>ic</bpmn:outgoing>'
                '</bpmn:userTask>')
    return HEAD + activity + TASKS + flows + "</bpmn:process></bpmn:definitions>"


def flow(target: str, condition: str | None = None) -> str:
    expression = f'<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>' if condition else ""
    return f'<bpmn:sequenceFlow id="i{target}" sourceRef="a" targetRef="{target}">{expression}</bpmn:sequenceFlow>'


def after_a(engine: Engine, text: str, variables: dict) -> set[str]:
    engine.repository.deploy_sources({"splitsen.bpmn": text})
    instance_id = engine.runtime.start("splitsen")
    [a] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(a.id, SECRETARIAAT, variables)
    return {t.element_id for t in engine.query.tasks(instance_id=instance_id)}


def test_unconditioned_flows_of_an_activity_all_run(engine: Engine):
    assert after_a(engine, model(flow("b") + flow("c") + flow("d")), {}) == {"b", "c", "d"}


@pytest.mark.parametrize(("bedrag", "expected"), [(7, {"b", "d"}), (3, {"c", "d"})])
def test_conditioned_flows_run_when_their_condition_holds(engine: Engine, bedrag: int, expected: set[str]):
    flows = flow("b", "${bedrag &gt; 5}") + flow("c", "${bedrag &lt;= 5}") + flow("d")
    assert after_a(engine, model(flows), {"bedrag": bedrag}) == expected


def test_the_default_flow_runs_when_no_condition_holds(engine: Engine):
    flows = flow("b", "${bedrag &gt; 5}") + flow("c")
    assert after_a(engine, model(flows, ' default="ic"'), {"bedrag": 1}) == {"c"}
    assert after_a(engine, model(flows, ' default="ic"').replace("Splitsen", "Splitsen 2"), {"bedrag": 9}) == {"b"}
