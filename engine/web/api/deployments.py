"""Deployments as Camunda 7's REST API offers them, so Camunda Modeler's "Deploy" button works against
GROS: the connection check (``GET /deployment?maxResults=0``), the deploy itself and the listing."""

from __future__ import annotations

from flask import request

from engine.web.api.access import current_engine, require_deployer, require_deployments_reader
from engine.web.api.problems import BadInput, Invalid
from engine.web.api.resources import (
    DEPLOYMENT,
    DEPLOYMENT_WITH_DEFINITIONS,
    array,
    definition_json,
    deployment_json,
)
from engine.web.api.spec import ID, TEXT, Call, Param, Routes, obj

routes = Routes("Deployments", "Deployments van BPMN, DMN en formulieren, zoals Camunda Modeler ze maakt.")
MAX_FILES = 50
FLAGS = ("enable-duplicate-filtering", "deploy-changed-only")
PAGING = [Param("firstResult", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}, "Sla zoveel resultaten over."),
          Param("maxResults", {"type": "integer", "minimum": 0, "maximum": 1000}, "Hoogstens zoveel resultaten."),
          Param("name", TEXT, "Alleen deployments met deze naam.")]


@routes.operation("GET", "/deployment", "Deployments, nieuwste eerst.", params=PAGING, ok=(200, array(DEPLOYMENT)),
                  errors=(403,))
def list_deployments(call: Call) -> list[dict]:
    require_deployments_reader(call.actor)
    rows = current_engine().repository.deployments(call.query.get("firstResult", 0), call.query.get("maxResults"),
                                                   call.query.get("name"))
    return [deployment_json(d) for d in rows]


@routes.operation("GET", "/deployment/count", "Het aantal deployments.", params=PAGING[2:],
                  ok=(200, obj({"count": {"type": "integer"}})), errors=(403,))
def count_deployments(call: Call) -> dict:
    require_deployments_reader(call.actor)
    return {"count": current_engine().repository.deployment_count(call.query.get("name"))}


@routes.operation("GET", "/deployment/{id}", "Eén deployment.", ok=(200, DEPLOYMENT), errors=(403, 404),
                  path_schemas={"id": ID})
def get_deployment(call: Call, id: int) -> dict:
    require_deployments_reader(call.actor)
    return deployment_json(current_engine().repository.deployment(id))


@routes.operation("POST", "/deployment/create", "Deploy .bpmn-, .dmn- en .form-bestanden (multipart, zoals "
                  "Camunda Modeler). Alleen gewijzigde bestanden worden een nieuwe versie.",
                  multipart={"type": "object", "properties": {
                      "deployment-name": {"type": "string", "maxLength": 200},
                      "deployment-source": {"type": "string", "maxLength": 200},
                      "enable-duplicate-filtering": {"type": "boolean"},
                      "deploy-changed-only": {"type": "boolean"},
                      "tenant-id": {"type": "string", "maxLength": 0},
                      "data": {"type": "string", "format": "binary"}},
                      "additionalProperties": {"type": "string", "format": "binary"}},
                  ok=(200, DEPLOYMENT_WITH_DEFINITIONS), errors=(403,))
def create_deployment(call: Call) -> dict:
    require_deployer(call.actor)
    name = request.form.get("deployment-name", "") or "api"
    source = request.form.get("deployment-source") or None
    files, problems = _uploaded(request.files)
    problems = _form_problems(name, source) + problems
    if problems:
        raise BadInput(f"{len(problems)} ongeldige invoer(en)", problems)
    engine = current_engine()
    deployment = engine.repository.create_deployment(files, call.actor, name, source)
    # Camunda lists what this deployment holds; a filtered duplicate answers with the current versions.
    deployed = [d for d in deployment.definitions if d.changed] or deployment.definitions
    definitions = {str(d.id): definition_json(engine.repository.definition(d.id))
                   | {"changed": d.changed, "suspended": False, "tenantId": None, "strandedInstances": d.stranded,
                      "strandedAt": list(d.stranded_at), "warning": d.warning()} for d in deployed}
    decisions = {f"{d.key}:{deployment.id}": {"id": f"{d.key}:{deployment.id}", "key": d.key, "name": d.name,
                                              "resource": d.resource, "deploymentId": str(deployment.id),
                                              "tenantId": None} for d in deployment.decisions}
    return deployment_json(deployment) | {
        "deployedProcessDefinitions": definitions or None, "deployedDecisionDefinitions": decisions or None,
        "deployedCaseDefinitions": None, "deployedDecisionRequirementsDefinitions": None}


def _form_problems(name: str, source: str | None) -> list[Invalid]:
    problems = []
    for field, value in (("deployment-name", name), ("deployment-source", source or "")):
        if len(value) > 200 or "\x00" in value:
            problems.append(Invalid(field, "hoogstens 200 tekens zonder NUL-teken"))
    problems += [Invalid(flag, "verwacht true of false") for flag in FLAGS
                 if request.form.get(flag, "false") not in ("true", "false")]
    if request.form.get("tenant-id"):
        problems.append(Invalid("tenant-id", "GROS kent geen tenants; laat tenant-id leeg"))
    return problems


def _uploaded(uploads) -> tuple[dict[str, str], list[Invalid]]:
    files: dict[str, str] = {}
    problems = []
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
