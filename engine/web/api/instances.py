"""Process instances: lists and history for overseers; one instance for whoever started it or works
on it; incidents, retry and suspension for overseers."""

from __future__ import annotations

from engine.errors import Forbidden
from engine.services import Actor
from engine.web.api.access import current_engine, is_overseer, require_overseer
from engine.web.api.problems import BadInput
from engine.web.api.resources import (
    HISTORY_EVENT,
    INCIDENT,
    INSTANCE,
    STATUS,
    array,
    history_json,
    incident_json,
    instance_json,
)
from engine.web.api.spec import ID, TEXT, Call, Param, Routes, obj
from engine.web.api.tasks import PAGING
from engine.web.api.variables import STORED_VARIABLES, VARIABLES, plain, typed

routes = Routes("Procesinstanties", "Dossiers: lijst, één dossier, historiek, variabelen, incidenten, schorsen.")
SUSPENSION = obj({"suspended": {"type": "boolean"}})
RETRY = obj({"variables": VARIABLES}, required=[])


@routes.operation("GET", "/process-instance", "Procesinstanties (management en secretariaat).",
                  params=[Param("businessKey", TEXT, "Business key."),
                          Param("processDefinitionKey", TEXT, "Processleutel."),
                          Param("status", STATUS, "Status."), *PAGING],
                  ok=(200, array(INSTANCE)), errors=(403,))
def list_instances(call: Call) -> list[dict]:
    require_overseer(call.actor)
    q = call.query
    rows = current_engine().query.instances(status=q.get("status"), definition_key=q.get("processDefinitionKey"),
                                      business_key=q.get("businessKey"), limit=q.get("maxResults", 100),
                                      offset=q.get("firstResult", 0))
    return [instance_json(i) for i in rows]


@routes.operation("GET", "/process-instance/{id}", "Eén procesinstantie.", ok=(200, INSTANCE), errors=(403, 404))
def get_instance(call: Call, id: str) -> dict:
    return instance_json(_readable(id, call.actor))


@routes.operation("GET", "/process-instance/{id}/variables", "De variabelen van een lopende instantie.",
                  ok=(200, STORED_VARIABLES), errors=(403, 404))
def get_instance_variables(call: Call, id: str) -> dict:
    _readable(id, call.actor)
    return typed(current_engine().query.variables(id))


@routes.operation("GET", "/process-instance/{id}/history", "Wie deed wat en wanneer (de audittrail).",
                  ok=(200, array(HISTORY_EVENT)), errors=(403, 404))
def get_instance_history(call: Call, id: str) -> list[dict]:
    _readable(id, call.actor)
    return [history_json(e) for e in current_engine().query.history(id)]


@routes.operation("PUT", "/process-instance/{id}/suspended", "Schors of hervat een instantie.",
                  body=SUSPENSION, ok=(204, None), errors=(403, 404, 409))
def set_instance_suspended(call: Call, id: str) -> None:
    require_overseer(call.actor)
    if "suspended" not in call.body:
        raise BadInput("suspended ontbreekt", [])
    engine = current_engine()
    (engine.runtime.suspend if call.body["suspended"] else engine.runtime.resume)(id, call.actor)


@routes.operation("GET", "/incident", "Incidenten (management en secretariaat).",
                  params=[Param("processInstanceId", TEXT, "Van deze instantie."),
                          Param("open", {"type": "boolean"}, "Alleen niet-opgeloste.")],
                  ok=(200, array(INCIDENT)), errors=(403,),
                  links={"Opnieuw": ("retryIncident", "$response.body#/0/id")})
def list_incidents(call: Call) -> list[dict]:
    require_overseer(call.actor)
    rows = current_engine().query.incidents(call.query.get("processInstanceId"), call.query.get("open", False))
    return [incident_json(i) for i in rows]


@routes.operation("POST", "/incident/{id}/retry", "Probeer het mislukte element opnieuw (eventueel met variabelen).",
                  body=RETRY, ok=(200, obj({"status": STATUS})), errors=(403, 404, 409), path_schemas={"id": ID})
def retry_incident(call: Call, id: int) -> dict:
    require_overseer(call.actor)
    variables, problems = plain(call.body.get("variables", {}), "body/variables")
    if problems:
        raise BadInput("ongeldige variabelen", problems)
    return {"status": current_engine().runtime.retry_incident(id, call.actor, variables)}


def _readable(instance_id: str, actor: Actor):
    engine = current_engine()
    instance = engine.query.instance(instance_id)
    if is_overseer(actor) or instance.started_by == actor.user or engine.query.tasks(
            instance_id=instance_id, visible_to=actor, limit=1):
        return instance
    raise Forbidden("je bent niet betrokken bij deze instantie")
