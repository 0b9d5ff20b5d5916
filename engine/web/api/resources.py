"""The shapes the API returns (Camunda 7 names, plus a few GROS fields), each next to its schema so a
change to one shows up in the other."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.services.repository import DeploymentInfo
from engine.store.models import AuditEvent, HumanTask, Incident, ProcessDefinition, ProcessInstance
from engine.web.api.spec import SCHEMAS, component, nullable, obj

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
STRINGS = {"type": "array", "items": STRING}
STATUS = {"type": "string", "enum": ["running", "completed", "incident", "suspended"]}


def when(moment: datetime | None) -> str | None:
    """ISO 8601 with milliseconds, as Camunda writes instants (its clients parse exactly that)."""
    return moment.isoformat(timespec="milliseconds") if moment else None


NOTHING = {"type": "null"}
# Fields of Camunda's task that GROS has no counterpart for; its clients read them, so they are there, empty.
CAMUNDA_ONLY = ("caseDefinitionId", "caseExecutionId", "caseInstanceId", "delegationState", "description", "owner",
                "parentTaskId", "processDefinitionId", "tenantId")
TASK = component("Task", obj({
    "id": STRING, "name": STRING, "assignee": nullable(STRING), "created": TIME, "due": nullable(TIME),
    "followUp": nullable(TIME), "priority": INTEGER, "processInstanceId": STRING, "processDefinitionKey": STRING,
    "taskDefinitionKey": STRING, "businessKey": nullable(STRING), "title": nullable(STRING),
    "candidateGroups": STRINGS, "candidateUsers": STRINGS, "camundaFormRef": nullable(STRING),
    "formKey": nullable(STRING), **{name: NOTHING for name in CAMUNDA_ONLY}, "suspended": BOOLEAN,
    "executionId": STRING,
}))


def task_json(task: HumanTask) -> dict:
    return {
        "id": task.id, "name": task.name, "assignee": task.assignee, "created": when(task.created_at),
        "due": when(task.due_at), "followUp": when(task.follow_up_at), "priority": task.priority,
        "processInstanceId": task.instance_id, "processDefinitionKey": task.definition_key,
        "taskDefinitionKey": task.element_id, "businessKey": task.business_key, "title": task.title,
        "candidateGroups": list(task.candidate_groups), "candidateUsers": list(task.candidate_users),
        "camundaFormRef": task.form_ref, "formKey": task.form_key, **dict.fromkeys(CAMUNDA_ONLY),
        "suspended": False, "executionId": task.instance_id,
    }


DEFINITION = component("ProcessDefinition", obj({
    "id": INTEGER, "key": STRING, "name": STRING, "version": INTEGER, "versionTag": nullable(STRING),
    "deploymentId": INTEGER, "resource": STRING, "historyTimeToLive": nullable(STRING), "deployed": TIME,
    "startableByKey": BOOLEAN,
}))


def definition_json(definition: ProcessDefinition) -> dict:
    return {
        "id": definition.id, "key": definition.key, "name": definition.name, "version": definition.version,
        "versionTag": definition.version_tag, "deploymentId": definition.deployment_id,
        "resource": definition.source, "historyTimeToLive": definition.history_ttl,
        "deployed": when(definition.deployed_at), "startableByKey": definition.none_start,
    }


DEFINITION_XML = component("ProcessDefinitionXml", obj({"id": INTEGER, "bpmn20Xml": STRING}))
LINK = obj({"method": STRING, "href": STRING, "rel": STRING})
DEPLOYMENT_FIELDS = {"id": STRING, "name": STRING, "source": nullable(STRING), "tenantId": {"type": "null"},
                     "deploymentTime": TIME, "links": {"type": "array", "items": LINK}}
DEPLOYMENT = component("Deployment", obj(DEPLOYMENT_FIELDS))
DEPLOYED_DEFINITION = obj({**SCHEMAS["ProcessDefinition"]["properties"], "changed": BOOLEAN, "suspended": BOOLEAN,
                           "tenantId": {"type": "null"}})
DEPLOYED_DECISION = obj({"id": STRING, "key": STRING, "name": STRING, "resource": STRING, "deploymentId": STRING,
                         "tenantId": {"type": "null"}})
DEPLOYMENT_WITH_DEFINITIONS = component("DeploymentWithDefinitions", obj({
    **DEPLOYMENT_FIELDS,
    "deployedProcessDefinitions": nullable({"type": "object", "additionalProperties": DEPLOYED_DEFINITION}),
    "deployedDecisionDefinitions": nullable({"type": "object", "additionalProperties": DEPLOYED_DECISION}),
    "deployedCaseDefinitions": {"type": "null"}, "deployedDecisionRequirementsDefinitions": {"type": "null"},
}))


def deployment_json(deployment: DeploymentInfo) -> dict:
    """Camunda's DeploymentDto; ids are text there, as they are here."""
    return {"id": str(deployment.id), "name": deployment.name, "source": deployment.source, "tenantId": None,
            "deploymentTime": when(deployment.deployed_at),
            "links": [{"method": "GET", "href": f"/api/v1/deployment/{deployment.id}", "rel": "self"}]}
INSTANCE = component("ProcessInstance", obj({
    "id": STRING, "definitionId": INTEGER, "definitionKey": STRING, "businessKey": nullable(STRING),
    "title": nullable(STRING), "status": STATUS, "ended": BOOLEAN, "suspended": BOOLEAN, "waitingAt": STRINGS,
    "startTime": TIME, "endTime": nullable(TIME), "links": {"type": "array", "items": LINK},
    "caseInstanceId": NOTHING, "tenantId": NOTHING,
}))


def instance_json(instance: ProcessInstance) -> dict:
    return {
        "id": instance.id, "definitionId": instance.definition_id, "definitionKey": instance.definition_key,
        "businessKey": instance.business_key, "title": instance.title, "status": instance.status,
        "ended": instance.status == "completed", "suspended": instance.suspended,
        "waitingAt": list(instance.waiting_at or []), "startTime": when(instance.started_at),
        "endTime": when(instance.ended_at),
        "links": [{"method": "GET", "href": f"/api/v1/process-instance/{instance.id}", "rel": "self"}],
        "caseInstanceId": None, "tenantId": None,
    }


HISTORY_EVENT = component("HistoryEvent", obj({
    "id": INTEGER, "time": TIME, "userId": nullable(STRING), "operation": STRING, "activityId": nullable(STRING),
    "activityName": nullable(STRING), "taskId": nullable(STRING), "data": {},
}))


def history_json(event: AuditEvent) -> dict:
    return {"id": event.id, "time": when(event.at), "userId": event.actor, "operation": event.action,
            "activityId": event.element_id, "activityName": event.element_name, "taskId": event.task_id,
            "data": event.data}


INCIDENT = component("Incident", obj({
    "id": INTEGER, "processInstanceId": STRING, "activityId": nullable(STRING), "taskId": nullable(STRING),
    "incidentMessage": STRING, "incidentTimestamp": TIME, "resolved": BOOLEAN, "resolvedTime": nullable(TIME),
    "resolvedBy": nullable(STRING),
}))


def incident_json(incident: Incident) -> dict:
    return {"id": incident.id, "processInstanceId": incident.instance_id, "activityId": incident.element_id,
            "taskId": incident.task_id, "incidentMessage": incident.message,
            "incidentTimestamp": when(incident.created_at), "resolved": incident.resolved_at is not None,
            "resolvedTime": when(incident.resolved_at), "resolvedBy": incident.resolved_by}


def array(schema: dict) -> dict[str, Any]:
    return {"type": "array", "items": schema}
