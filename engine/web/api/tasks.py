"""User tasks: list, read, claim, unclaim, complete — for their candidates and assignee."""

from __future__ import annotations

from engine.errors import Forbidden
from engine.web.api.access import current_engine, is_overseer
from engine.web.api.problems import BadInput
from engine.web.api.resources import TASK, array, task_json
from engine.web.api.spec import TEXT, Call, Param, Routes, obj
from engine.web.api.variables import VARIABLES, plain

routes = Routes("Taken", "Gebruikerstaken: lijst, claimen, vrijgeven en afronden met variabelen.")
PAGING = [Param("firstResult", {"type": "integer", "minimum": 0, "maximum": 10**6}, "Eerste resultaat (vanaf 0)."),
          Param("maxResults", {"type": "integer", "minimum": 1, "maximum": 1000}, "Hoogstens zoveel resultaten.")]


@routes.operation("GET", "/task", "Wachtende taken die de aanroeper mag zien (management en secretariaat: alle).",
                  params=[Param("candidateGroup", TEXT, "Kandidaatgroep."),
                          Param("candidateUser", TEXT, "Kandidaatgebruiker."),
                          Param("assignee", TEXT, "Toegewezen aan."),
                          Param("processInstanceId", TEXT, "Van deze procesinstantie."), *PAGING],
                  ok=(200, array(TASK)), links={
                      "Taak": ("getTask", "$response.body#/0/id"), "Claimen": ("claimTask", "$response.body#/0/id"),
                      "Vrijgeven": ("unclaimTask", "$response.body#/0/id"),
                      "Afronden": ("completeTask", "$response.body#/0/id")})
def list_tasks(call: Call) -> list[dict]:
    q = call.query
    rows = current_engine().query.tasks(
        group=q.get("candidateGroup"), user=q.get("candidateUser"), assignee=q.get("assignee"),
        instance_id=q.get("processInstanceId"), limit=q.get("maxResults", 100), offset=q.get("firstResult", 0),
        visible_to=None if is_overseer(call.actor) else call.actor)
    return [task_json(t) for t in rows]


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
                  body=obj({"variables": VARIABLES}, required=[]), ok=(204, None), errors=(403, 404, 409))
def complete_task(call: Call, id: str) -> None:
    variables, problems = plain(call.body.get("variables", {}), "body/variables")
    if problems:
        raise BadInput("ongeldige variabelen", problems)
    current_engine().tasks.complete(id, call.actor, variables)
