"""An expression or script that would run for minutes or fill the memory becomes an incident at once."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

import pytest

from engine.services import Engine

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">\n'
        '<bpmn:process id="p" isExecutable="true">\n'
        '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="x"/>\n')
TAIL = '</bpmn:process>\n</bpmn:definitions>\n'


def script_task(script: str) -> str:
    return (f'{HEAD}<bpmn:scriptTask id="x" scriptFormat="python"><bpmn:incoming>f1</bpmn:incoming>'
            f'<bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>\n'
            '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
            f'<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="end"/>\n{TAIL}')


def gateway(condition: str) -> str:
    return (f'{HEAD}<bpmn:exclusiveGateway id="x" default="nee"><bpmn:incoming>f1</bpmn:incoming>'
            '<bpmn:outgoing>ja</bpmn:outgoing><bpmn:outgoing>nee</bpmn:outgoing></bpmn:exclusiveGateway>\n'
            '<bpmn:sequenceFlow id="ja" sourceRef="x" targetRef="end_ja">'
            f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
            '</bpmn:conditionExpression></bpmn:sequenceFlow>\n'
            '<bpmn:sequenceFlow id="nee" sourceRef="x" targetRef="end_nee"/>\n'
            '<bpmn:endEvent id="end_ja"><bpmn:incoming>ja</bpmn:incoming></bpmn:endEvent>\n'
            f'<bpmn:endEvent id="end_nee"><bpmn:incoming>nee</bpmn:incoming></bpmn:endEvent>\n{TAIL}')


@pytest.fixture
def sqlite_engine(sqlite_url: str, clock) -> Engine:
    return Engine.open(sqlite_url, clock=clock)


@pytest.mark.parametrize(
    "model",
    [
        script_task("s = [1] * 100000\nn = 0\nfor i in 'x' * 10000:\n    n = n + s.count(1)"),
        gateway("${len([[0]*100000 for c in 'x'*10000]) > 0}"),
    ],
    ids=["count-in-a-loop", "lists-in-a-comprehension"],
)
def test_work_beyond_the_budget_becomes_an_incident_at_its_element(sqlite_engine: Engine, model: str) -> None:
    sqlite_engine.repository.deploy_sources({"p.bpmn": model})
    instance_id = sqlite_engine.runtime.start("p")
    [incident] = sqlite_engine.query.incidents(instance_id)
    assert incident.element_id == "x"
    assert re.search(r"overschrijdt het rekenbudget .*\(meer dan 1\.000\.000 rekenstappen\)", incident.message)
    assert sqlite_engine.query.instance(instance_id).waiting_at == ["x"]
