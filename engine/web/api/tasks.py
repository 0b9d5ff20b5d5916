"""User tasks: list, read, claim, unclaim, complete — for their candidates and assignee."""

from __future__ import annotations

from engine.errors import Forbidden
from engine.web.api.access import current_engine, is_overseer
from engine.web.api.problems import BadInput
from engine.web.api.resources import TASK, array, task_json
from engine.web.api.spec import TEXT, Call, Param, Routes, obj
from engine.web.api.variables import NO_VARIABLES_RETURNED, VARIABLES, plain

routes = Routes("Taken", "Gebruikerstaken: lijst, claimen, vrijgeven en afronden met variabelen.")
PAGING = [Param("firstResult", {"type": "integer", "minimum": 0, "maximum": 10**6}, "Eerste resultaat (vanaf 0)."),
          Param("maxResults", {"type": "integer", "minimum": 1, "maximum": 1000}, "Hoogstens zoveel resultaten.")]


FILTERS = {"candidateGroup": (TEXT, "Kandidaatgroep."), "candidateUser": (TEXT, "Kandidaatgebruiker."),
           "assignee": (TEXT, "Toegewezen aan."), "processInstanceId": (TEXT, "Van deze procesinstantie.")}
QUERY = obj({name: schema for name, (schema, _) in FILTERS.items()}, required=[])
COUNT = obj({"count": {"type": "integer"}})
COMPLETION = obj({"variables": VARIABLES, "withVariablesInReturn": NO_VARIABLES_RETURNED}, required=[])
TASK_LINKS = {"Taak": ("getTask", "$response.body#/0/id"), "Claimen": ("claimTask", "$response.body#/0/id"),
              "Vrijgeven": ("unclaimTask", "$response.body#/0/id"),
              "Afronden": ("completeTask", "$response.body#/0/id")}


@routes.operation("GET", "/task", "Wachtende taken die de aanroeper mag zien (management en secretariaat: alle).",
                  params=[*(Param(n, s, d) for n, (s, d) in FILTERS.items()), *PAGING], ok=(200, array(TASK)),
                  links=TASK_LINKS)
def list_tasks(call: Call) -> list[dict]:
    return _tasks(call, call.query)


@routes.operation("POST", "/task", "Als GET /task, met de filters in de body (zoals Camunda 7-clients vragen).",
                  params=PAGING, body=QUERY, ok=(200, array(TASK)))
def query_tasks(call: Call) -> list[dict]:
    return _tasks(call, call.body)


@routes.operation("GET", "/task/count", "Het aantal taken dat GET /task zou geven.",
                  params=[Param(n, s, d) for n, (s, d) in FILTERS.items()], ok=(200, COUNT))
def count_tasks(call: Call) -> dict:
    return {"count": current_engine().query.task_count(**_filters(call, call.query))}


@routes.operation("POST", "/task/count", "Het aantal taken dat POST /task zou geven.", body=QUERY, ok=(200, COUNT))
def query_task_count(call: Call) -> dict:
    return {"count": current_engine().query.task_count(**_filters(call, call.body))}


def _tasks(call: Call, filters: dict) -> list[dict]:
    rows = current_engine().query.tasks(**_filters(call, filters), limit=call.query.get("maxResults", 100),
                                        offset=call.query.get("firstResult", 0))
    return [task_json(t) for t in rows]


def _filters(call: Call, given: dict) -> dict:
    return {"group": given.get("candidateGroup"), "user": given.get("candidateUser"),
            "assignee": given.get("assignee"), "instance_id": given.get("processInstanceId"),
            "visible_to": None if is_overseer(call.actor) else call.actor}


@routes.operation("GET", "/task/{id}", "Eén wachtende taak.", ok=(200, TASK), errors=(403, 404, 409))
def get_task(call: Call, id: str) -> dict:
    engine = current_engine()
    return task_json(engine.query.task(id) if is_overseer(call.actor) else engine.query.task_for(id, call.actor))


@routes.operation("POST", "/task/{id}/claim", "Claim een taak voor de aanroeper.",
                  body=obj({"userId": TEXT}, required=[]), ok=(204, None), errors=(403, 404, 409))
def claim_task(call: Call, id: str) -> None:
    if call.body.get("userId", call.actor.user) != call.actor.user:
        raise Forbidden("een taak claimen kan alleen voor jezelf")
    current_engine().tasks.claim(id, call.actor)


@routes.operation("POST", "/task/{id}/unclaim", "Geef een geclaimde taak terug aan haar groepen.",
                  ok=(204, None), errors=(403, 404, 409))
def unclaim_task(call: Call, id: str) -> None:
    current_engine().tasks.unclaim(id, call.actor)


@routes.operation("POST", "/task/{id}/complete", "Rond een taak af met variabelen (de formulierregels gelden).",
                  body=COMPLETION, ok=(204, None), errors=(403, 404, 409))
def complete_task(call: Call, id: str) -> None:
    variables, problems = plain(call.body.get("variables", {}), "body/variables")
    if problems:
        raise BadInput("ongeldige variabelen", problems)
    current_engine().tasks.complete(id, call.actor, variables)


@routes.operation("POST", "/task/{id}/submit-form", "Rond een taak af met de waarden van haar formulier (Camunda's "
                  "submit-form; de formulierregels gelden).", body=COMPLETION,
                  ok=(204, None), errors=(403, 404, 409))
def submit_task_form(call: Call, id: str) -> None:
    complete_task(call, id)
