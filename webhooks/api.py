"""Webhook administration in the REST API: overseers see received deliveries with their outcome and the
subscribers of outbound events; administrators add and resume subscribers, as on the web."""

from __future__ import annotations

from engine.web.api.access import current_engine, require_administrator, require_overseer
from engine.web.api.resources import BOOLEAN, INTEGER, STRING, STRINGS, TIME, array, when
from engine.web.api.spec import ID, TEXT, Call, Param, Routes, nullable, obj
from engine.web.api.tasks import PAGING
from webhooks import admin
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookDelivery, WebhookMessage

routes = Routes("Webhooks", "Ontvangen webhooks en abonnees op uitgaande events (management en secretariaat).")
OUTCOME = {"type": "string", "enum": ["queued", "accepted", "duplicate", "rejected", "unmatched", "error"]}
DELIVERY = obj({
    "id": INTEGER, "source": STRING, "webhookId": nullable(STRING), "received": TIME, "outcome": OUTCOME,
    "httpStatus": INTEGER, "reason": nullable(STRING),
})
SUBSCRIBER = obj({
    "id": INTEGER, "name": STRING, "url": STRING, "eventTypes": STRINGS, "paused": BOOLEAN,
    "pausedTime": nullable(TIME), "pauseReason": nullable(STRING), "failingSince": nullable(TIME),
    "pending": INTEGER, "failed": INTEGER, "delivered": INTEGER,
})
NEW_SUBSCRIBER = obj({
    "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,99}$"},
    "url": {"type": "string", "pattern": "^https?://[^\\u0000]+$", "maxLength": 1000},
    "eventTypes": {"type": "array", "items": {"enum": EVENT_TYPES}, "uniqueItems": True},
}, required=["name", "url"])
NAME = {"name": {**TEXT, "maxLength": 100}}
INBOX = obj({"queued": INTEGER, "unmatched": INTEGER, "failed": INTEGER})
FAILED_EVENT = obj({
    "id": INTEGER, "source": STRING, "webhookId": STRING, "eventType": nullable(STRING), "received": TIME,
    "lastTry": TIME, "attempts": INTEGER, "lastError": nullable(STRING),
})


@routes.operation("GET", "/webhook-delivery", "Ontvangen webhookafleveringen met hun uitkomst, nieuwste eerst.",
                  params=[Param("source", TEXT, "Van deze bron."), Param("outcome", OUTCOME, "Met deze uitkomst."),
                          *PAGING],
                  ok=(200, array(DELIVERY)), errors=(403,))
def list_webhook_deliveries(call: Call) -> list[dict]:
    require_overseer(call.actor)
    q = call.query
    rows = admin.deliveries(current_engine(), q.get("source"), q.get("outcome"), q.get("maxResults", 100),
                            q.get("firstResult", 0))
    return [_delivery_json(d) for d in rows]


@routes.operation("GET", "/webhook-inbox", "Ontvangen events die nog niet verwerkt zijn: in de wachtrij, wachtend "
                  "op hun dossier, of opgegeven na de laatste poging (die laatste met hun fout).",
                  ok=(200, obj({"counts": INBOX, "failed": array(FAILED_EVENT)})), errors=(403,))
def webhook_inbox(call: Call) -> dict:
    require_overseer(call.actor)
    engine = current_engine()
    health = admin.inbox_health(engine)
    return {"counts": {"queued": health.queued, "unmatched": health.unmatched, "failed": health.failed},
            "failed": [_failed_json(m) for m in admin.failed_events(engine)]}


@routes.operation("POST", "/webhook-inbox/{id}/requeue", "Zet een opgegeven event opnieuw in de wachtrij, met "
                  "een nieuwe reeks pogingen (zoals de knop op Koppelingen; geaudit).",
                  ok=(200, obj({"requeued": INTEGER})), errors=(403, 404), path_schemas={"id": ID})
def requeue_webhook_event(call: Call, id: int) -> dict:
    require_administrator(call.actor)
    return {"requeued": admin.requeue_failed(current_engine(), call.actor.user, id)}


@routes.operation("GET", "/webhook-subscriber", "Abonnees op uitgaande events, met wat op hen wacht.",
                  ok=(200, array(SUBSCRIBER)), errors=(403,))
def list_webhook_subscribers(call: Call) -> list[dict]:
    require_overseer(call.actor)
    return [_subscriber_json(s) for s in admin.subscribers(current_engine())]


@routes.operation("POST", "/webhook-subscriber", "Nieuwe abonnee; het antwoord bevat eenmalig het geheim.",
                  body=NEW_SUBSCRIBER, ok=(200, obj({"id": INTEGER, "secret": STRING})), errors=(403, 409))
def create_webhook_subscriber(call: Call) -> dict:
    require_administrator(call.actor)
    body = call.body
    subscriber_id, secret = admin.add_subscriber(current_engine(), body["name"], body["url"],
                                                 body.get("eventTypes", []), call.actor.user)
    return {"id": subscriber_id, "secret": secret}


@routes.operation("POST", "/webhook-subscriber/{name}/resume", "Hervat een gepauzeerde abonnee.",
                  ok=(200, obj({"requeued": INTEGER})), errors=(403, 404), path_schemas=NAME)
def resume_webhook_subscriber(call: Call, name: str) -> dict:
    require_administrator(call.actor)
    return {"requeued": admin.resume_subscriber(current_engine(), name)}


def _delivery_json(delivery: WebhookDelivery) -> dict:
    return {"id": delivery.id, "source": delivery.source, "webhookId": delivery.webhook_id,
            "received": when(delivery.received_at), "outcome": delivery.outcome,
            "httpStatus": delivery.http_status, "reason": delivery.reason}


def _failed_json(message: WebhookMessage) -> dict:
    return {"id": message.id, "source": message.source, "webhookId": message.webhook_id,
            "eventType": message.event_type, "received": when(message.received_at),
            "lastTry": when(message.updated_at), "attempts": message.attempts, "lastError": message.last_error}


def _subscriber_json(view: admin.SubscriberView) -> dict:
    return {"id": view.id, "name": view.name, "url": view.url, "eventTypes": view.event_types,
            "paused": view.paused_at is not None, "pausedTime": when(view.paused_at), "pauseReason": view.pause_reason,
            "failingSince": when(view.failing_since), "pending": view.pending, "failed": view.failed,
            "delivered": view.delivered}
