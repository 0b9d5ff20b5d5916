"""The /api/v1 blueprint: operations, errors as problem details, the API-Version header, the OpenAPI
document and a trivial health endpoint."""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from engine.errors import CommandError
from engine.services import Engine
from engine.web.api import (
    definitions,
    deployments,
    external_tasks,
    history,
    instances,
    kennisbank,
    messages,
    migration,
    tasks,
)
from engine.web.api.access import EXTENSION
from engine.web.api.credentials import Throttled, actor_for_authorization
from engine.web.api.problems import API_VERSION, BadInput, from_command_error, http_problem, problem
from engine.web.api.spec import Api, Call, Routes, Unauthorized, obj
from engine.web.errors import handle_under
from engine.web.security import csrf_exempt
from webhooks import api as webhook_admin

PREFIX = "/api/v1"
CAMUNDA_VERSION = "7.24.0"  # the dialect .bpmnlintrc checks the models against (camunda-platform-7-24)
MAX_REQUEST_BYTES = 10 * 1024 * 1024
log = logging.getLogger(__name__)

meta = Routes("Algemeen", "Beschikbaarheid.")


@meta.operation("GET", "/health", "Antwoordt als de server leeft (zonder authenticatie).",
                ok=(200, obj({"status": {"type": "string", "enum": ["ok"]}})), public=True)
def health(call: Call) -> dict:
    return {"status": "ok"}


@meta.operation("GET", "/version", "De Camunda 7-versie waarvan GROS de REST API en het BPMN-dialect volgt "
                "(Camunda Modeler kiest er zijn controles op).", ok=(200, obj({"version": {"type": "string"}})))
def version(call: Call) -> dict:
    return {"version": CAMUNDA_VERSION}


def build_api(engine: Engine) -> Api:
    return Api("GROS werkstroom API", DESCRIPTION,
               [meta, deployments.routes, definitions.routes, tasks.routes, messages.routes, instances.routes,
                history.routes, kennisbank.routes, migration.routes, external_tasks.routes, webhook_admin.routes],
               lambda header: actor_for_authorization(engine, header))


def init_app(app: Flask) -> None:
    """Serve the API for the app's engine: bearer tokens instead of sessions, so no CSRF token."""
    api = build_api(app.extensions[EXTENSION])
    blueprint = csrf_exempt(api.blueprint("api", PREFIX))
    document = json.dumps(api.document(), ensure_ascii=False)
    blueprint.add_url_rule("/openapi.json", "openapi", lambda: Response(document, mimetype="application/json"))
    blueprint.before_request(_limit_size)
    blueprint.after_request(_version_header)
    blueprint.register_error_handler(BadInput, lambda e: problem(400, e.title, str(e), e.invalid))
    blueprint.register_error_handler(CommandError, from_command_error)
    blueprint.register_error_handler(Unauthorized, lambda e: problem(
        401, "Niet aangemeld", "stuur een geldig API-token (Authorization: Bearer gros_…) of gebruikersnaam en "
        "wachtwoord (Authorization: Basic …)", headers={"WWW-Authenticate": 'Bearer realm="gros", Basic realm="gros"'}))
    blueprint.register_error_handler(Throttled, lambda e: problem(
        429, "Te veel mislukte aanmeldingen", str(e), headers={"Retry-After": str(e.wait)}))
    blueprint.register_error_handler(Exception, _unexpected)
    app.register_blueprint(blueprint)
    handle_under(app, PREFIX + "/", http_problem)


def _limit_size() -> None:
    request.max_content_length = MAX_REQUEST_BYTES


def _version_header(response: Response) -> Response:
    response.headers["API-Version"] = API_VERSION
    return response


def _unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return http_problem(error)
    log.exception("onverwachte fout in %s %s", request.method, request.path)
    return problem(500, "Interne fout", "de fout is vastgelegd; probeer later opnieuw")


DESCRIPTION = """REST-API van GROS werkstroom, naar het model van de Camunda 7 REST API en de Nederlandse
API Design Rules: JSON, fouten als `application/problem+json` (RFC 9457) met alle invoerfouten in
`invalidParams`, de header `API-Version` op elk antwoord.

Aanmelden met een API-token (`Authorization: Bearer gros_…`), gemaakt door het secretariaat
(`gros token create GEBRUIKER NAAM`), of met gebruikersnaam en wachtwoord (`Authorization: Basic …`), zoals
Camunda Modeler en Camunda 7-clients doen. Wie aanmeldt handelt als dat account, met zijn groepen:
taken claimen en afronden kan alleen als kandidaat of toegewezene; alle dossiers, historiek,
incidenten en webhooklogs zijn voor de groepen `management` en `secretariaat`; deployen is voor de groep
`procesbeheer`.

Variabelen gaan in het Camunda-formaat: `{"naam": {"value": …, "type": "String"}}`."""
