"""External tasks with Camunda 7's REST shapes, so published Camunda workers (camunda-external-task-client-js
and others) run against GROS unchanged. Workers sign in as an account of the group ``koppeling``."""

from __future__ import annotations

from engine.derived import variable_text
from engine.errors import Forbidden
from engine.services import Topic
from engine.services.external_tasks import LockedTask
from engine.store.models import ExternalTask
from engine.web.api.access import current_engine, is_overseer
from engine.web.api.problems import BadInput
from engine.web.api.resources import INTEGER, STRING, TIME, array, when
from engine.web.api.spec import TEXT, Call, Param, Routes, component, nullable, obj
from engine.web.api.variables import STORED_VARIABLES, VARIABLES, plain, typed

routes = Routes("External tasks", "Werk voor externe workers: service-, send- en business rule tasks met "
                "camunda:type=\"external\", opgehaald per topic zoals in Camunda 7.")
WORKERS = frozenset({"koppeling"})
DURATION = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
BOOLEAN = {"type": "boolean"}
WORKER = {"workerId": TEXT}
FIELDS = {
    "id": STRING, "topicName": STRING, "workerId": nullable(STRING), "lockExpirationTime": nullable(TIME),
    "retries": nullable(INTEGER), "errorMessage": nullable(STRING), "priority": INTEGER, "activityId": STRING,
    "activityInstanceId": STRING, "executionId": STRING, "processInstanceId": STRING,
    "processDefinitionId": STRING, "processDefinitionKey": STRING, "businessKey": nullable(STRING),
    "tenantId": {"type": "null"}, "createTime": TIME,
}
EXTERNAL_TASK = component("ExternalTask", obj({**FIELDS, "suspended": BOOLEAN}))
LOCKED_TASK = component("LockedExternalTask", obj({
    **FIELDS, "errorDetails": nullable(STRING), "variables": STORED_VARIABLES,
    "extensionProperties": {"type": "object"}}))
TEXTS = {"type": "array", "items": TEXT, "maxItems": 200}
DEFINITION_ID = {"type": "string", "pattern": "^[0-9]{1,10}$"}
# Camunda's topic filters. GROS has no tenants (every task is without one: tenantIdIn and withoutTenantId
# change nothing) and no task-local variables (localVariables brings the same variables); values are always
# plain JSON (deserializeValues changes nothing).
TOPIC = obj({"topicName": TEXT, "lockDuration": DURATION, "variables": nullable(TEXTS),
             "localVariables": BOOLEAN, "deserializeValues": BOOLEAN, "includeExtensionProperties": BOOLEAN,
             "businessKey": nullable(TEXT), "processDefinitionId": nullable(DEFINITION_ID),
             "processDefinitionIdIn": nullable({"type": "array", "items": DEFINITION_ID, "maxItems": 200}),
             "processDefinitionKey": nullable(TEXT), "processDefinitionKeyIn": nullable(TEXTS),
             "processDefinitionVersionTag": nullable(TEXT),
             "processVariables": nullable({"type": "object", "maxProperties": 50, "propertyNames": TEXT}),
             "withoutTenantId": BOOLEAN, "tenantIdIn": nullable(TEXTS)},
            required=["topicName", "lockDuration"])
FETCH = obj({"workerId": TEXT, "maxTasks": {"type": "integer", "minimum": 0, "maximum": 100},
             "usePriority": BOOLEAN, "asyncResponseTimeout": {"type": "integer", "minimum": 0, "maximum": 60_000},
             "topics": {"type": "array", "items": TOPIC, "maxItems": 50}}, required=["workerId", "topics"])
COMPLETE = obj({**WORKER, "variables": VARIABLES, "localVariables": VARIABLES}, required=["workerId"])
FAILURE = obj({**WORKER, "errorMessage": {**TEXT, "maxLength": 2000}, "errorDetails": {"type": "string",
               "maxLength": 20_000}, "retries": {"type": "integer", "minimum": 0, "maximum": 1000},
               "retryTimeout": DURATION}, required=["workerId"])
BPMN_ERROR = obj({**WORKER, "errorCode": TEXT, "errorMessage": {**TEXT, "maxLength": 2000},
                  "variables": VARIABLES}, required=["workerId", "errorCode"])
EXTEND = obj({**WORKER, "newDuration": DURATION}, required=["workerId", "newDuration"])
LIST_PARAMS = [
    Param("topicName", TEXT, "Alleen dit topic."), Param("workerId", TEXT, "Alleen vergrendeld door deze worker."),
    Param("processInstanceId", TEXT, "Alleen van deze instantie."),
    Param("locked", BOOLEAN, "Alleen vergrendelde taken."), Param("notLocked", BOOLEAN, "Alleen vrije taken."),
    Param("withRetriesLeft", BOOLEAN, "Alleen taken met pogingen over."),
    Param("noRetriesLeft", BOOLEAN, "Alleen taken zonder pogingen (met een incident)."),
    Param("firstResult", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}, "Sla zoveel resultaten over."),
    Param("maxResults", {"type": "integer", "minimum": 0, "maximum": 1000}, "Hoogstens zoveel resultaten."),
]
NOT_HELD = (404, 409)




@routes.operation("POST", "/external-task/fetchAndLock", "Haal vrije taken van de topics op en vergrendel ze voor "
                  "deze worker; met asyncResponseTimeout wacht een leeg antwoord tot er werk is (long polling).",
                  body=FETCH, ok=(200, array(LOCKED_TASK)), errors=(403,))
def fetch_and_lock(call: Call) -> list[dict]:
    _require_worker(call)
    body = call.body
    topics = [_topic(t) for t in body["topics"]]
    locked = current_engine().external_tasks.fetch_and_lock(
        body["workerId"], body.get("maxTasks", 10), topics, body.get("usePriority", False),
        body.get("asyncResponseTimeout", 0), call.actor)
    return [_locked_json(item) for item in locked]


@routes.operation("POST", "/external-task/{id}/complete", "Rond een vergrendelde taak af, met variabelen.",
                  body=COMPLETE, ok=(204, None), errors=(403, *NOT_HELD))
def complete_external_task(call: Call, id: str) -> None:
    _require_worker(call)
    # GROS keeps one set of process variables: local ones become process variables too.
    variables = _variables(call, "variables") | _variables(call, "localVariables")
    current_engine().external_tasks.complete(id, call.body["workerId"], variables, call.actor)


@routes.operation("POST", "/external-task/{id}/failure", "Meld dat de worker de taak niet kon doen; bij 0 "
                  "resterende pogingen opent een incident.", body=FAILURE, ok=(204, None), errors=(403, *NOT_HELD))
def fail_external_task(call: Call, id: str) -> None:
    _require_worker(call)
    body = call.body
    current_engine().external_tasks.failure(id, body["workerId"], body.get("errorMessage") or "onbekende fout",
                                            body.get("errorDetails"), body.get("retries", 0),
                                            body.get("retryTimeout", 0), call.actor)


@routes.operation("POST", "/external-task/{id}/bpmnError", "Gooi een BPMN-fout: de foutgrensgebeurtenis op de "
                  "taak die de foutcode vangt, neemt over.", body=BPMN_ERROR, ok=(204, None),
                  errors=(403, *NOT_HELD))
def bpmn_error(call: Call, id: str) -> None:
    _require_worker(call)
    body = call.body
    current_engine().external_tasks.bpmn_error(id, body["workerId"], body["errorCode"], body.get("errorMessage"),
                                               _variables(call, "variables"), call.actor)


@routes.operation("POST", "/external-task/{id}/extendLock", "Verleng het slot van de worker.", body=EXTEND,
                  ok=(204, None), errors=(403, *NOT_HELD))
def extend_lock(call: Call, id: str) -> None:
    _require_worker(call)
    current_engine().external_tasks.extend_lock(id, call.body["workerId"], call.body["newDuration"], call.actor)


@routes.operation("POST", "/external-task/{id}/unlock", "Geef de taak vrij voor andere workers.", ok=(204, None),
                  errors=(403, 404))
def unlock(call: Call, id: str) -> None:
    if not is_overseer(call.actor):
        _require_worker(call)
    current_engine().external_tasks.unlock(id, call.actor)


@routes.operation("GET", "/external-task", "External tasks die op een worker wachten.", params=LIST_PARAMS,
                  ok=(200, array(EXTERNAL_TASK)), errors=(403,))
def list_external_tasks(call: Call) -> list[dict]:
    if not is_overseer(call.actor):
        _require_worker(call)
    q = call.query
    rows = current_engine().external_tasks.tasks(
        q.get("topicName"), q.get("workerId"), _either(q, "locked", "notLocked"), q.get("processInstanceId"),
        _either(q, "withRetriesLeft", "noRetriesLeft"), q.get("firstResult", 0), q.get("maxResults"))
    return [_task_json(task) | {"suspended": suspended} for task, suspended in rows]


def _topic(given: dict) -> Topic:
    ids = [given.get("processDefinitionId"), *(given.get("processDefinitionIdIn") or [])]
    keys = [given.get("processDefinitionKey"), *(given.get("processDefinitionKeyIn") or [])]
    values = (given.get("processVariables") or {}).items()
    return Topic(given["topicName"], given["lockDuration"], given.get("variables"), given.get("businessKey"),
                 tuple(int(i) for i in ids if i), tuple(k for k in keys if k), given.get("processDefinitionVersionTag"),
                 tuple((name, variable_text(value)) for name, value in values))


def _require_worker(call: Call) -> None:
    if not call.actor.groups & WORKERS:
        raise Forbidden("alleen accounts van de groep koppeling voeren external tasks uit")


def _variables(call: Call, field: str) -> dict:
    values, problems = plain(call.body.get(field) or {}, f"body/{field}")
    if problems:
        raise BadInput("ongeldige variabelen", problems)
    return values


def _either(query: dict, yes: str, no: str) -> bool | None:
    """Camunda's paired flags (locked/notLocked): true for the first, false for the second, else None."""
    if query.get(yes):
        return True
    return False if query.get(no) else None


def _task_json(task: ExternalTask) -> dict:
    return {"id": task.id, "topicName": task.topic, "workerId": task.worker_id,
            "lockExpirationTime": when(task.lock_expires_at), "retries": task.retries,
            "errorMessage": task.error_message, "priority": task.priority, "activityId": task.element_id,
            "activityInstanceId": task.id, "executionId": task.id, "processInstanceId": task.instance_id,
            "processDefinitionId": str(task.definition_id), "processDefinitionKey": task.definition_key,
            "businessKey": task.business_key, "tenantId": None, "createTime": when(task.created_at)}


def _locked_json(item: LockedTask) -> dict:
    return _task_json(item.task) | {"errorDetails": item.task.error_details, "variables": typed(item.variables),
                                    "extensionProperties": {}}
