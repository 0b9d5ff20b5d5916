"""Camunda 7's history and variable queries: /history/process-instance, /history/task and
/variable-instance, each as GET (filters in the query, lists comma-separated) and POST (filters in the body,
``sorting`` as a list), with a count beside it — Camunda's parameter and field names, answered from the
engine's history rows. For overseers, as the instance list is."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.derived import variable_text
from engine.errors import NotFound
from engine.services.history_queries import (
    INSTANCE_ORDER,
    TASK_ORDER,
    VARIABLE_ORDER,
    InstanceFilter,
    Page,
    Period,
    TaskFilter,
    VariableFilter,
)
from engine.store.models import HistoricTask, ProcessDefinition, ProcessInstance, VariableInstance
from engine.web.api.access import current_engine, require_overseer
from engine.web.api.problems import BadInput, Invalid
from engine.web.api.resources import BOOLEAN, INTEGER, NOTHING, STRING, TIME, array, when
from engine.web.api.spec import ID, TEXT, Call, Param, Routes, component, nullable, obj, ref
from engine.web.api.tasks import PAGING

routes = Routes("Historiek en variabelen", "Camunda 7's historiek van instanties en taken en de variabelen van "
                "lopende instanties (management en secretariaat).")
COUNT = obj({"count": INTEGER})
TEXTS = {"type": "array", "items": TEXT, "maxItems": 200}
NUMBER_TEXT = {"type": "string", "pattern": "^[0-9]{1,10}$"}
# Camunda's instance states, from GROS's statuses (an incident leaves an instance active)
STATES = {"running": "ACTIVE", "incident": "ACTIVE", "suspended": "SUSPENDED", "completed": "COMPLETED"}


@dataclass(frozen=True)
class Filter:
    """One Camunda filter parameter: its value (as the body gives it) becomes ``target`` of the filter."""

    name: str
    target: str
    schema: dict
    description: str
    convert: Callable[[Any], Any] = lambda value: value

    def query_param(self) -> Param:
        """In a query string a list is comma-separated text."""
        return Param(self.name, TEXT if self.schema.get("type") == "array" else self.schema, self.description)


def _listed(value: Any) -> tuple:
    return tuple(v for v in (value.split(",") if isinstance(value, str) else value) if v)


def _numbers(value: Any) -> tuple[int, ...]:
    items = _listed(value)
    if not all(item.isdigit() and len(item) <= 10 and int(item) < 2**31 for item in items):  # an id is a 32-bit integer
        raise ValueError("verwacht procesdefinitie-id's (getallen)")
    return tuple(int(item) for item in items)


def _moment(value: str) -> datetime:
    """Camunda's date format (2026-11-30T12:00:00.000+0100) or any ISO 8601 instant with its zone."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError("verwacht een tijdstip met tijdzone, bv. 2026-11-30T12:00:00.000+0100")
    return moment


def _flag(meaning: Any) -> Callable[[bool], Any]:
    return lambda given: meaning if given else None


def _state(value: str) -> tuple[str, ...]:
    return tuple(status for status, state in STATES.items() if state == value)


def _period(target: str, end: str, description: str) -> Filter:
    return Filter(f"{target}{end.title()}", f"{target}.{end}", TEXT, description, _moment)


INSTANCE_FILTERS = [
    Filter("processInstanceId", "instance_ids", TEXT, "Deze instantie.", lambda v: (v,)),
    Filter("processInstanceIds", "instance_ids", TEXTS, "Een van deze instanties.", _listed),
    Filter("processDefinitionId", "definition_ids", NUMBER_TEXT, "Van deze procesdefinitie.", _numbers),
    Filter("processDefinitionKey", "definition_keys", TEXT, "Van dit proces.", lambda v: (v,)),
    Filter("processDefinitionKeyIn", "definition_keys", TEXTS, "Van een van deze processen.", _listed),
    Filter("processInstanceBusinessKey", "business_key", TEXT, "Business key."),
    Filter("processInstanceBusinessKeyLike", "business_key_like", TEXT, "Business key als (% als joker)."),
    Filter("finished", "finished", BOOLEAN, "Alleen beëindigde.", _flag(True)),
    Filter("unfinished", "finished", BOOLEAN, "Alleen lopende.", _flag(False)),
    Filter("active", "statuses", BOOLEAN, "Alleen actieve.", _flag(("running", "incident"))),
    Filter("suspended", "statuses", BOOLEAN, "Alleen geschorste.", _flag(("suspended",))),
    Filter("completed", "statuses", BOOLEAN, "Alleen afgeronde.", _flag(("completed",))),
    Filter("state", "statuses", {"enum": sorted(set(STATES.values()) | {"EXTERNALLY_TERMINATED",
                                                                         "INTERNALLY_TERMINATED"})},
           "Camunda-toestand.", _state),
    Filter("withIncidents", "with_incidents", BOOLEAN, "Alleen met een incident."),
    Filter("startedBy", "started_by", TEXT, "Gestart door."),
    _period("started", "after", "Gestart na."), _period("started", "before", "Gestart voor."),
    _period("finished", "after", "Beëindigd na."), _period("finished", "before", "Beëindigd voor."),
]
TASK_FILTERS = [
    Filter("taskId", "task_ids", TEXT, "Deze taak.", lambda v: (v,)),
    Filter("processInstanceId", "instance_ids", TEXT, "Van deze instantie.", lambda v: (v,)),
    Filter("processInstanceIdIn", "instance_ids", TEXTS, "Van een van deze instanties.", _listed),
    Filter("executionId", "instance_ids", TEXT, "Van deze uitvoering (in GROS: de instantie).", lambda v: (v,)),
    Filter("processInstanceBusinessKey", "business_key", TEXT, "Business key van de instantie."),
    Filter("processDefinitionId", "definition_ids", NUMBER_TEXT, "Van deze procesdefinitie.", _numbers),
    Filter("processDefinitionKey", "definition_keys", TEXT, "Van dit proces.", lambda v: (v,)),
    Filter("taskDefinitionKey", "element_ids", TEXT, "Dit element van het model.", lambda v: (v,)),
    Filter("taskDefinitionKeyIn", "element_ids", TEXTS, "Een van deze elementen.", _listed),
    Filter("taskName", "name", TEXT, "Naam."),
    Filter("taskNameLike", "name_like", TEXT, "Naam als (% als joker)."),
    Filter("taskAssignee", "assignee", TEXT, "Toegewezen aan."),
    Filter("taskDeleteReason", "delete_reason", TEXT, "Hoe de taak eindigde (completed, deleted)."),
    Filter("finished", "finished", BOOLEAN, "Alleen beëindigde.", _flag(True)),
    Filter("unfinished", "finished", BOOLEAN, "Alleen wachtende.", _flag(False)),
    _period("started", "after", "Ontstaan na."), _period("started", "before", "Ontstaan voor."),
    _period("finished", "after", "Beëindigd na."), _period("finished", "before", "Beëindigd voor."),
]
VARIABLE_FILTERS = [
    Filter("variableName", "name", TEXT, "Naam."),
    Filter("variableNameLike", "name_like", TEXT, "Naam als (% als joker)."),
    Filter("processInstanceIdIn", "instance_ids", TEXTS, "Van een van deze instanties.", _listed),
    Filter("executionIdIn", "instance_ids", TEXTS, "Van een van deze uitvoeringen (in GROS: instanties).", _listed),
    Filter("variableValues", "values", {"type": "array", "items": obj({
        "name": TEXT, "operator": {"enum": ["eq"]}, "value": {}})},
           "Alleen instanties met deze waarden (naam_eq_waarde, komma-gescheiden; enkel eq).", lambda v: v),
    Filter("taskIdIn", "task_ids", TEXTS, "Van deze taken (GROS kent geen taakvariabelen: geen resultaat).",
           _listed),
]
# Accepted as Camunda's clients send it: values are always plain JSON here, nothing is deserialized.
VARIABLE_EXTRAS = [Param("deserializeValues", BOOLEAN, "Aanvaard; waarden zijn altijd JSON.")]


def _sorting(keys: dict) -> tuple[list[Param], dict]:
    key = {"enum": sorted(keys)}
    order = {"enum": ["asc", "desc"]}
    return ([Param("sortBy", key, "Sorteer op."), Param("sortOrder", order, "Oplopend (asc) of aflopend (desc).")],
            {"type": "array", "maxItems": 5, "items": obj({"sortBy": key, "sortOrder": order}, required=["sortBy"])})


def _declare(path: str, what: str, filters: list[Filter], keys: dict, shape: dict, listing: Callable,
             counting: Callable, extras: list[Param] = ()) -> None:
    """GET and POST of a query and of its count, all four from one list of filters."""
    sort_params, sorting = _sorting(keys)
    query_params = [f.query_param() for f in filters] + list(extras)
    body = obj({**{f.name: f.schema for f in filters}, "sorting": sorting}, required=[])
    answer = component(shape["name"], shape["schema"])

    def get_list(call: Call) -> list[dict]:
        return listing(_where(call.query, filters, call), _page(call, call.query, bool(call.query.get("sortBy"))))

    def post_list(call: Call) -> list[dict]:
        return listing(_where(call.body, filters, call), _page(call, call.body, False))

    def get_count(call: Call) -> dict:
        return {"count": counting(_where(call.query, filters, call))}

    def post_count(call: Call) -> dict:
        return {"count": counting(_where(call.body, filters, call))}

    name = path.strip("/").replace("/", "_").replace("-", "_")
    for method, suffix, handler, params, kind, ok, operation in (
            ("GET", "", get_list, [*query_params, *sort_params, *PAGING], None, array(answer), f"list_{name}"),
            ("POST", "", post_list, [*PAGING, *extras], body, array(answer), f"query_{name}"),
            ("GET", "/count", get_count, query_params, None, COUNT, f"count_{name}"),
            ("POST", "/count", post_count, list(extras), body, COUNT, f"query_{name}_count")):
        handler.__name__ = operation
        routes.operation(method, path + suffix, f"{what}{' (aantal)' if suffix else ''}"
                         f"{'; filters in de body' if method == 'POST' else ''}.",
                         params=params, body=kind, ok=(200, ok), errors=(403,))(handler)


def _where(given: dict, filters: list[Filter], call: Call) -> dict:
    require_overseer(call.actor)
    values: dict[str, Any] = {}
    problems = []
    for item in filters:
        if given.get(item.name) is None:
            continue
        try:
            value = item.convert(given[item.name])
        except ValueError as error:
            problems.append(Invalid(item.name, str(error)))
            continue
        if value is not None:
            values[item.target] = value
    if problems:
        raise BadInput("ongeldige filter(s)", problems)
    return values


def _page(call: Call, given: dict, from_query: bool) -> Page:
    if from_query:
        order = ((given["sortBy"], given.get("sortOrder") == "desc"),)
    else:
        order = tuple((s["sortBy"], s.get("sortOrder") == "desc") for s in given.get("sorting", []))
    return Page(call.query.get("firstResult", 0), call.query.get("maxResults", 100), order)


def _split(values: dict, cls: type) -> Any:
    """The filter dataclass from ``target`` names; ``started.after`` and the like fill a Period."""
    periods: dict[str, dict] = {}
    plain = {}
    for target, value in values.items():
        if "." in target:
            field_name, end = target.split(".")
            periods.setdefault(field_name, {})[end] = value
        else:
            plain[target] = value
    periods = {"ended" if name == "finished" else name: Period(**ends) for name, ends in periods.items()}
    return cls(**plain, **periods)


def _duration(start: datetime, end: datetime | None) -> int | None:
    return int((end - start).total_seconds() * 1000) if end else None


HISTORIC_INSTANCE = {"name": "HistoricProcessInstance", "schema": obj({
    "id": STRING, "rootProcessInstanceId": STRING, "superProcessInstanceId": NOTHING,
    "superCaseInstanceId": NOTHING, "caseInstanceId": NOTHING, "processDefinitionName": STRING,
    "processDefinitionKey": STRING, "processDefinitionVersion": INTEGER, "processDefinitionId": STRING,
    "businessKey": nullable(STRING), "startTime": TIME, "endTime": nullable(TIME), "removalTime": nullable(TIME),
    "durationInMillis": nullable(INTEGER), "startUserId": nullable(STRING), "startActivityId": NOTHING,
    "deleteReason": NOTHING, "tenantId": NOTHING, "state": {"enum": sorted(set(STATES.values()))},
})}


def historic_instance_json(instance: ProcessInstance, definition: ProcessDefinition) -> dict:
    return {
        "id": instance.id, "rootProcessInstanceId": instance.id, "superProcessInstanceId": None,
        "superCaseInstanceId": None, "caseInstanceId": None, "processDefinitionName": definition.name,
        "processDefinitionKey": instance.definition_key, "processDefinitionVersion": definition.version,
        "processDefinitionId": str(definition.id), "businessKey": instance.business_key,
        "startTime": when(instance.started_at), "endTime": when(instance.ended_at),
        "removalTime": when(instance.removal_at), "durationInMillis": _duration(instance.started_at, instance.ended_at),
        "startUserId": instance.started_by, "startActivityId": None, "deleteReason": None, "tenantId": None,
        "state": STATES[instance.status],
    }


TASK_ONLY_IN_CAMUNDA = ("caseDefinitionKey", "caseDefinitionId", "caseInstanceId", "caseExecutionId", "description",
                        "owner", "parentTaskId", "tenantId", "removalTime")
TASK_STATES = {None: "Created", "completed": "Completed", "deleted": "Deleted"}
HISTORIC_TASK = {"name": "HistoricTask", "schema": obj({
    "id": STRING, "processDefinitionKey": STRING, "processDefinitionId": STRING, "processInstanceId": STRING,
    "executionId": STRING, "activityInstanceId": STRING, "rootProcessInstanceId": STRING, "name": STRING,
    "deleteReason": nullable({"enum": ["completed", "deleted"]}), "assignee": nullable(STRING),
    "startTime": TIME, "endTime": nullable(TIME), "duration": nullable(INTEGER), "taskDefinitionKey": STRING,
    "priority": INTEGER, "due": nullable(TIME), "followUp": nullable(TIME),
    "taskState": {"enum": sorted(TASK_STATES.values())}, **{name: NOTHING for name in TASK_ONLY_IN_CAMUNDA},
})}


def historic_task_json(task: HistoricTask) -> dict:
    return {
        "id": task.id, "processDefinitionKey": task.definition_key, "processDefinitionId": str(task.definition_id),
        "processInstanceId": task.instance_id, "executionId": task.instance_id, "activityInstanceId": task.id,
        "rootProcessInstanceId": task.instance_id, "name": task.name, "deleteReason": task.delete_reason,
        "assignee": task.assignee, "startTime": when(task.started_at), "endTime": when(task.ended_at),
        "duration": _duration(task.started_at, task.ended_at), "taskDefinitionKey": task.element_id,
        "priority": task.priority, "due": when(task.due_at), "followUp": when(task.follow_up_at),
        "taskState": TASK_STATES[task.delete_reason], **dict.fromkeys(TASK_ONLY_IN_CAMUNDA),
    }


VARIABLE_ONLY_IN_CAMUNDA = ("caseInstanceId", "caseExecutionId", "taskId", "batchId", "errorMessage", "tenantId")
VARIABLE_INSTANCE = {"name": "VariableInstance", "schema": obj({
    "id": STRING, "name": STRING, "type": STRING, "value": {}, "valueInfo": obj({}),
    "processDefinitionId": STRING, "processInstanceId": STRING, "executionId": STRING,
    "activityInstanceId": STRING, **{name: NOTHING for name in VARIABLE_ONLY_IN_CAMUNDA},
})}


def variable_json(variable: VariableInstance) -> dict:
    """A Json value travels as JSON text, as Camunda sends it; the others as their value."""
    return {
        "id": str(variable.id), "name": variable.name, "type": variable.type,
        "value": variable.value if variable.type == "Json" else json.loads(variable.value), "valueInfo": {},
        "processDefinitionId": str(variable.definition_id), "processInstanceId": variable.instance_id,
        "executionId": variable.instance_id, "activityInstanceId": variable.instance_id,
        **dict.fromkeys(VARIABLE_ONLY_IN_CAMUNDA),
    }


def _history():
    return current_engine().query.historic


def _variable_filter(values: dict) -> VariableFilter:
    return _split({**values, "values": tuple(_value_filters(values.get("values", ())))}, VariableFilter)


def _value_filters(given: Any) -> list[tuple[str, str]]:
    """``naam_eq_waarde`` (comma-separated) or the body's objects; a value is compared as its JSON text."""
    if isinstance(given, str):
        parts = [item.split("_", 2) for item in given.split(",") if item]
        if any(len(p) != 3 or p[1] != "eq" for p in parts):
            raise BadInput("ongeldige filter(s)", [Invalid("variableValues", "verwacht naam_eq_waarde; enkel eq")])
        return [(name, variable_text(_scalar(text))) for name, _, text in parts]
    return [(item["name"], variable_text(item["value"])) for item in given]


def _scalar(text: str) -> Any:
    """A query string's value as Camunda reads it: a number or boolean when it is one, else text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, bool | int | float) else text


_declare("/history/process-instance", "Procesinstanties, lopend en beëindigd", INSTANCE_FILTERS, INSTANCE_ORDER,
         HISTORIC_INSTANCE,
         lambda where, page: [historic_instance_json(*row)
                              for row in _history().instances(_split(where, InstanceFilter), page)],
         lambda where: _history().instance_count(_split(where, InstanceFilter)))
_declare("/history/task", "Gebruikerstaken, wachtend en beëindigd", TASK_FILTERS, TASK_ORDER, HISTORIC_TASK,
         lambda where, page: [historic_task_json(t) for t in _history().tasks(_split(where, TaskFilter), page)],
         lambda where: _history().task_count(_split(where, TaskFilter)))
_declare("/variable-instance", "Variabelen van lopende instanties", VARIABLE_FILTERS, VARIABLE_ORDER,
         VARIABLE_INSTANCE,
         lambda where, page: [variable_json(v) for v in _history().variables(_variable_filter(where), page)],
         lambda where: _history().variable_count(_variable_filter(where)), VARIABLE_EXTRAS)


@routes.operation("GET", "/variable-instance/{id}", "Eén variabele van een lopende instantie.",
                  params=VARIABLE_EXTRAS, ok=(200, ref("VariableInstance")), errors=(403, 404),
                  path_schemas={"id": ID})
def get_variable_instance(call: Call, id: int) -> dict:
    require_overseer(call.actor)
    variable = _history().variable(id)
    if variable is None:
        raise NotFound(f"variabele {id} bestaat niet (meer)")
    return variable_json(variable)
