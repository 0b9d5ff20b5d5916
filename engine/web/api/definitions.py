"""Deployments and process definitions; starting a process by key."""

from __future__ import annotations

from flask import request

from engine.errors import NotFound
from engine.web.api.access import current_engine
from engine.web.api.problems import BadInput, Invalid
from engine.web.api.resources import (
    DEFINITION,
    DEFINITION_XML,
    DEPLOYMENT,
    INSTANCE,
    array,
    definition_json,
    instance_json,
)
from engine.web.api.spec import ID, TEXT, Call, Param, Routes, obj
from engine.web.api.variables import VARIABLES, plain

routes = Routes("Procesdefinities", "Deployments van BPMN, DMN en formulieren; procesdefinities; starten op sleutel.")
MAX_FILES = 50
DEFINITION_ID = {"id": ID}
START = obj({"variables": VARIABLES, "businessKey": TEXT}, required=[])


@routes.operation("POST", "/deployment/create", "Deploy .bpmn-, .dmn- en .form-bestanden (multipart).",
                  multipart={"type": "object", "properties": {
                      "deployment-name": {"type": "string", "maxLength": 200},
                      "data": {"type": "string", "format": "binary"}},
                      "additionalProperties": {"type": "string", "format": "binary"}},
                  ok=(200, DEPLOYMENT), errors=(403,))
def create_deployment(call: Call) -> dict:
    """Deploy as ``call.actor``: the repository service lets only administrators deploy, from any door."""
    name = request.form.get("deployment-name", "") or "api"
    files, problems = _uploaded(request.files, name)
    if problems:
        raise BadInput(f"{len(problems)} ongeldige bestand(en)", problems)
    deployed = current_engine().repository.deploy_sources(files, call.actor, name)
    return {"name": name, "deployedProcessDefinitions": {
        str(d.id): {"id": d.id, "key": d.key, "version": d.version, "changed": d.changed,
                    "strandedInstances": d.stranded, "strandedAt": list(d.stranded_at), "warning": d.warning()}
        for d in deployed}}


def _uploaded(uploads, name: str) -> tuple[dict[str, str], list[Invalid]]:
    files: dict[str, str] = {}
    problems = [Invalid("deployment-name", "hoogstens 200 tekens zonder NUL-teken")] if (
        len(name) > 200 or "\x00" in name) else []
    for field, upload in uploads.items(multi=True):
        filename = (upload.filename or field).rsplit("/", 1)[-1]
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Invalid(field, f"{filename}: geen UTF-8-tekst"))
            continue
        if "\x00" in text or "\x00" in filename or not filename or len(filename) > 300:
            problems.append(Invalid(field, f"{filename!r}: ongeldige naam of inhoud"))
            continue
        files[filename] = text
    if not files and not problems:
        problems.append(Invalid("data", "geen bestanden meegestuurd"))
    if len(files) > MAX_FILES:
        problems.append(Invalid("data", f"hoogstens {MAX_FILES} bestanden per deployment"))
    return files, problems


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
    variables, problems = plain(call.body.get("variables", {}), "body/variables")
    if problems:
        raise BadInput("ongeldige variabelen", problems)
    engine = current_engine()
    instance_id = engine.runtime.start(key, call.body.get("businessKey"), variables, call.actor)
    return instance_json(engine.query.instance(instance_id))


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
