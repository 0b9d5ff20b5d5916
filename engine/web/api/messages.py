"""Messages: deliver one to the single dossier waiting for it, or start the process it starts."""

from __future__ import annotations

from flask import Response

from engine.errors import NoMatch
from engine.web.api.access import current_engine
from engine.web.api.problems import BadInput, problem
from engine.web.api.resources import INSTANCE, array, instance_json
from engine.web.api.spec import TEXT, Call, Routes, obj
from engine.web.api.variables import NO_VARIABLES_RETURNED, VARIABLES, plain

routes = Routes("Berichten", "Een bericht correleren met precies één wachtend dossier, of er een mee starten.")
# Camunda's options beside these are accepted as its clients send them by default: one target only (``all``
# false), no local correlation keys, local variables become process variables, no variables in the result.
CORRELATION = obj({
    "messageName": TEXT, "businessKey": TEXT, "correlationKeys": VARIABLES, "processVariables": VARIABLES,
    "resultEnabled": {"type": "boolean"}, "all": {"type": "boolean", "const": False},
    "localCorrelationKeys": {**VARIABLES, "maxProperties": 0}, "processVariablesLocal": VARIABLES,
    "variablesInResultEnabled": NO_VARIABLES_RETURNED,
}, required=["messageName"])
EXECUTION = obj({"id": TEXT, "processInstanceId": TEXT, "ended": {"type": "boolean"}, "tenantId": {"type": "null"}})
RESULT = obj({"resultType": {"type": "string", "enum": ["Execution", "ProcessDefinition"]},
              "processInstance": INSTANCE, "execution": EXECUTION}, required=["resultType", "processInstance"])


@routes.operation("POST", "/message", "Correleer een bericht; 400 als er niet precies één doel is.",
                  body=CORRELATION, ok=(200, array(RESULT)), errors=(409,))
def correlate_message(call: Call) -> list[dict] | Response:
    body = call.body
    keys, key_problems = plain(body.get("correlationKeys", {}), "body/correlationKeys")
    variables, problems = plain(body.get("processVariables", {}) | body.get("processVariablesLocal", {}),
                                "body/processVariables")
    if key_problems or problems:
        raise BadInput("ongeldige variabelen", key_problems + problems)
    engine = current_engine()
    name = body["messageName"]
    try:
        instance_id = engine.runtime.correlate(name, body.get("businessKey"), keys, variables, call.actor)
    except NoMatch as error:
        return problem(400, error.title, str(error))
    if not body.get("resultEnabled"):
        return Response(status=204)
    instance = instance_json(engine.query.instance(instance_id))
    if _result_type(engine, instance_id, name) == "ProcessDefinition":
        return [{"resultType": "ProcessDefinition", "processInstance": instance}]
    # Camunda names the execution that received the message; here that is the instance itself.
    return [{"resultType": "Execution", "processInstance": instance, "execution": {
        "id": instance_id, "processInstanceId": instance_id, "ended": instance["ended"], "tenantId": None}}]


def _result_type(engine, instance_id: str, message_name: str) -> str:
    """Camunda says whether the message started a process or reached a waiting one; the newest audit
    event about this message in the (locked, just changed) instance tells which."""
    for event in reversed(engine.query.history(instance_id)):
        if event.action == "message.correlated" and event.element_name == message_name:
            return "Execution"
        if event.action == "instance.started":
            return "ProcessDefinition"
    return "Execution"


