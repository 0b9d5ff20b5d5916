"""Data stores and data associations are drawn artifacts, as in Camunda 7: a model that reads from and writes
to a store (drawn as Camunda Modeler writes it) and reads a process input deploys and runs as if they were not
drawn; the data lives in process variables."""

from __future__ import annotations

from engine.services import Actor, Engine

SECRETARIAAT = Actor.of("sanne", ["secretariaat"])
MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:dataStore id="register" name="Knelpuntenregister"/>
  <bpmn:process id="opslaan" name="Opslaan" isExecutable="true" camunda:historyTimeToLive="P1D">
    <bpmn:ioSpecification><bpmn:dataInput id="aanvraag"/><bpmn:inputSet><bpmn:dataInputRefs>aanvraag
      </bpmn:dataInputRefs></bpmn:inputSet><bpmn:outputSet/></bpmn:ioSpecification>
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="a"/>
    <bpmn:userTask id="a" name="Knelpunt opzoeken" camunda:candidateGroups="secretariaat">
      <bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:property id="plaatshouder" name="__targetRef_placeholder"/>
      <bpmn:dataInputAssociation id="lezen"><bpmn:sourceRef>registerLezen</bpmn:sourceRef>
        <bpmn:targetRef>plaatshouder</bpmn:targetRef></bpmn:dataInputAssociation>
      <bpmn:dataInputAssociation id="aanvraagLezen"><bpmn:sourceRef>aanvraag</bpmn:sourceRef>
        <bpmn:targetRef>plaatshouder</bpmn:targetRef></bpmn:dataInputAssociation>
      <bpmn:dataOutputAssociation id="schrijven"><bpmn:targetRef>registerSchrijven</bpmn:targetRef>
      </bpmn:dataOutputAssociation>
    </bpmn:userTask>
    <bpmn:dataStoreReference id="registerLezen" name="Knelpuntenregister" dataStoreRef="register"/>
    <bpmn:dataStoreReference id="registerSchrijven" name="Knelpuntenregister" dataStoreRef="register"/>
    <bpmn:sequenceFlow id="f1" sourceRef="a" targetRef="einde"/>
    <bpmn:endEvent id="einde"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_model_with_a_data_store_and_associations_deploys_and_runs_without_them(engine: Engine):
    [deployed] = engine.repository.deploy_sources({"opslaan.bpmn": MODEL})
    instance_id = engine.runtime.start("opslaan")
    [task] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(task.id, SECRETARIAAT, {"knelpunt": "K-7"})
    assert deployed.key == "opslaan"
    assert engine.query.tasks(instance_id=instance_id) == []
    assert engine.query.variables(instance_id)["knelpunt"] == "K-7"
