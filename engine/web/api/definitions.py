"""Deployments and process definitions; starting a process by key."""

from __future__ import annotations

from engine.errors import NotFound
from engine.web.api.access import current_engine
from engine.web.api.problems import BadInput
from engine.web.api.resources import (
    DEFINITION,
    DEFINITION_XML,
    INSTANCE,
    array,
    definition_json,
    instance_json,
)
from engine.web.api.spec import ID, TEXT, Call, Param, Routes, obj
from engine.web.api.variables import NO_VARIABLES_RETURNED, VARIABLES, plain

routes = Routes("Procesdefinities", "Procesdefinities; starten op sleutel of op definitie-id.")
DEFINITION_ID = {"id": ID}
# Camunda's start options, which clients send with their defaults; GROS runs no listeners or I/O mappings to
# skip, takes no start instructions and returns no variables here (GET the instance's variables).
START = obj({"variables": VARIABLES, "businessKey": TEXT, "skipCustomListeners": {"type": "boolean"},
             "skipIoMappings": {"type": "boolean"}, "startInstructions": {"type": "array", "maxItems": 0},
             "withVariablesInReturn": NO_VARIABLES_RETURNED}, required=[])


@routes.operation("GET", "/process-definition", "Procesdefinities, eventueel alleen de nieuwste versie per sleutel.",
                  params=[Param("key", TEXT, "Alleen deze processleutel."),
                          Param("latestVersion", {"type": "boolean"}, "Alleen de nieuwste versie per sleutel.")],
                  ok=(200, array(DEFINITION)))
def list_definitions(call: Call) -> list[dict]:
    rows = current_engine().repository.definitions(call.query.get("key"), call.query.get("latestVersion", False))
    return [definition_json(d) for d in rows]


@routes.operation("GET", "/process-definition/{id}", "Eén procesdefinitie.", ok=(200, DEFINITION), errors=(404,),
                  path_schemas=DEFINITION_ID)
def get_definition(call: Call, id: int) -> dict:
    return definition_json(_definition(id))


@routes.operation("GET", "/process-definition/{id}/xml", "De BPMN-XML van een procesdefinitie.",
                  ok=(200, DEFINITION_XML), errors=(404,), path_schemas=DEFINITION_ID)
def get_definition_xml(call: Call, id: int) -> dict:
    return {"id": id, "bpmn20Xml": current_engine().repository.definition_xml(id)}


@routes.operation("GET", "/process-definition/key/{key}", "De nieuwste versie van een proces.",
                  ok=(200, DEFINITION), errors=(404,))
def get_latest_definition(call: Call, key: str) -> dict:
    return definition_json(_latest(key))


@routes.operation("GET", "/process-definition/key/{key}/xml", "De BPMN-XML van de nieuwste versie.",
                  ok=(200, DEFINITION_XML), errors=(404,))
def get_latest_definition_xml(call: Call, key: str) -> dict:
    definition = _latest(key)
    return {"id": definition.id, "bpmn20Xml": current_engine().repository.definition_xml(definition.id)}


@routes.operation("POST", "/process-definition/key/{key}/start", "Start de nieuwste versie van een proces.",
                  body=START, ok=(200, INSTANCE), errors=(404, 409), links={
                      "Instantie": ("getInstance", "$response.body#/id"),
                      "Historiek": ("getInstanceHistory", "$response.body#/id")})
def start_process(call: Call, key: str) -> dict:
    engine = current_engine()
    instance_id = engine.runtime.start(key, call.body.get("businessKey"), _start_variables(call), call.actor)
    return instance_json(engine.query.instance(instance_id))


@routes.operation("POST", "/process-definition/{id}/start", "Start deze versie van een proces (zoals Camunda "
                  "Modeler na een deployment).", body=START, ok=(200, INSTANCE), errors=(404, 409),
                  path_schemas=DEFINITION_ID)
def start_definition(call: Call, id: int) -> dict:
    engine = current_engine()
    instance_id = engine.runtime.start_version(id, call.body.get("businessKey"), _start_variables(call), call.actor)
    return instance_json(engine.query.instance(instance_id))


def _start_variables(call: Call) -> dict:
    variables, problems = plain(call.body.get("variables", {}), "body/variables")
    if problems:
        raise BadInput("ongeldige variabelen", problems)
    return variables


def _definition(definition_id: int):
    found = [d for d in current_engine().repository.definitions() if d.id == definition_id]
    if not found:
        raise NotFound(f"procesdefinitie {definition_id} bestaat niet")
    return found[0]


def _latest(key: str):
    found = current_engine().repository.definitions(key, latest_only=True)
    if not found:
        raise NotFound(f"proces '{key}' is niet gedeployed")
    return found[0]
