"""Outbound domain events, written to the outbox inside the transaction of the change they report.

What subscribers can receive, and which audit event of the engine produces it:

========================== =====================================================================
``dossier.gestart``        ``instance.started`` — a dossier (process instance) began
``dossier.geselecteerd``   ``Event_VerkenningGestart`` completed — both sides selected it
``dossier.geagendeerd``    ``Event_UitwerkingGestart`` completed — the ministers agendated it
``dossier.oplossing-vastgesteld`` ``Event_UitvoeringGestart`` completed — a solution was adopted
``escalatie.gestart``      ``Event_EscalatieInGang`` completed — the minister started the escalation
``dossier.selectiebesluit`` ``Activity_Selectie`` completed — both sides decided on selection (§ 5.2.5)
``dossier.agenderingsbesluit`` ``Activity_AgenderingsresultaatBepalen`` completed — agendered or not
``dossier.overlegoordeel`` ``Event_UitwerkingOordeelOntvangen`` / ``Event_OverlegOordeelOntvangen``
                           completed — the half-yearly meeting's judgement reached the dossier
``dossier.bericht-ontvangen`` ``message.correlated`` — a message (e.g. a government's accord) arrived
``dossier.bericht-verzonden`` ``message.sent`` — a send task, message throw or end event without a worker
                           (``camunda:type="external"``) sent a message nothing in the instance caught;
                           ``data.messageName`` names it
``dossier.incident``       ``incident.created`` — an element failed and waits for a fix
``dossier.afgesloten``     ``instance.completed`` — the dossier ended (its outcome is recorded)
========================== =====================================================================

The element ids are the milestone start events of the called processes in ``processen/``. A payload names
the dossier and the step, never its variables: form fields declared as personal data (the form-js property
``persoonsgegeven`` = ``ja``, see engine/services/personal.py) cannot leave through it.
"""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.services.executor import AuditRecord
from engine.store.models import ProcessInstance
from webhooks.models import OutboxEvent, WebhookSubscriber

ACTION_EVENTS = {
    "instance.started": "dossier.gestart",
    "message.correlated": "dossier.bericht-ontvangen",
    "message.sent": "dossier.bericht-verzonden",
    "incident.created": "dossier.incident",
    "instance.completed": "dossier.afgesloten",
}
ELEMENT_EVENTS = {
    "Event_VerkenningGestart": "dossier.geselecteerd",
    "Event_UitwerkingGestart": "dossier.geagendeerd",
    "Event_UitvoeringGestart": "dossier.oplossing-vastgesteld",
    "Event_EscalatieInGang": "escalatie.gestart",
    # the region hears back (§ 5.2.5): the same moments give the regions a notice in their inbox
    "Activity_Selectie": "dossier.selectiebesluit",
    "Activity_AgenderingsresultaatBepalen": "dossier.agenderingsbesluit",
    "Event_UitwerkingOordeelOntvangen": "dossier.overlegoordeel",
    "Event_OverlegOordeelOntvangen": "dossier.overlegoordeel",
}
ELEMENT_ACTIONS = ("element.completed", "task.completed")
EVENT_TYPES = sorted(set(ACTION_EVENTS.values()) | set(ELEMENT_EVENTS.values()))


def event_type(event: AuditRecord) -> str | None:
    if event.instance_id is None:
        return None
    if event.action in ELEMENT_ACTIONS:
        return ELEMENT_EVENTS.get(event.element_id or "")
    return ACTION_EVENTS.get(event.action)


def write_outbox(session: Session, events: list[AuditRecord]) -> None:
    """Engine listener: one outbox row per domain event and interested subscriber, paused ones too
    (they receive it once resumed)."""
    mapped = [(kind, event) for event in events if (kind := event_type(event))]
    if not mapped:
        return
    subscribers = session.execute(select(WebhookSubscriber.id, WebhookSubscriber.event_types)).all()
    for kind, event in mapped:
        wanted = [s.id for s in subscribers if not s.event_types or kind in s.event_types]
        if not wanted:
            continue
        message_id = f"msg_{uuid.uuid4().hex}"
        body = json.dumps(_payload(session, kind, event), ensure_ascii=False)
        session.add_all(OutboxEvent(subscriber_id=s, message_id=message_id, event_type=kind,
                                    instance_id=event.instance_id, body=body, created_at=event.at, status="pending",
                                    attempts=0, next_attempt_at=event.at) for s in wanted)


def _payload(session: Session, kind: str, event: AuditRecord) -> dict:
    instance = session.get(ProcessInstance, event.instance_id)
    return {"type": kind, "timestamp": event.at.isoformat(), "data": {
        "processInstanceId": event.instance_id,
        "businessKey": instance.business_key if instance else None,
        "processDefinitionKey": instance.definition_key if instance else None,
        "title": instance.title if instance else None,
        "activityId": event.element_id,
        "activityName": event.element_name,
        "userId": event.actor,
        **({"messageName": event.data["message"]} if event.action == "message.sent" else {}),
    }}
