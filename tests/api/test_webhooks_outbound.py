"""Outbound webhooks: the outbox is written with the change, delivered signed by ``deliver_due``,
retried with backoff while the receiver fails, and a receiver that keeps failing is paused."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask, request
from sqlalchemy import select
from standardwebhooks import Webhook

from engine.errors import InvalidData
from engine.services import Actor
from webhooks import admin
from webhooks.delivery import BACKOFF, PAUSE_AFTER, deliver_due
from webhooks.models import OutboxEvent
from webhooks.signing import verify

from .conftest import serve

MELDING = {"kenmerk": "GB-2027-010", "titel": "Ziekenhuiszorg over de grens", "ernst": 2}


class Receiver:
    """A subscriber's endpoint: answers with the statuses it is told to, then 204."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.received: list[tuple[dict, bytes]] = []
        self.app = Flask("ontvanger")
        self.app.add_url_rule("/events", "events", self._receive, methods=["POST"])

    def _receive(self):
        self.received.append(({k.lower(): v for k, v in request.headers.items()}, request.get_data()))
        return "", self.statuses.pop(0) if self.statuses else 204


def outbox(engine) -> list[OutboxEvent]:
    with engine.db.reading() as session:
        return list(session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))


def test_events_are_signed_and_retried_until_the_receiver_recovers(site, clock):
    receiver = Receiver([500, 503])
    with serve(receiver.app) as url:
        _, secret = admin.add_subscriber(site.engine, "ontvanger", f"{url}/events", ["dossier.gestart"], "test")
        instance_id = site.delivered("proef", "melding.nieuw", MELDING)["processInstanceId"]
        [event] = outbox(site.engine)
        assert (event.event_type, event.instance_id, event.status) == ("dossier.gestart", instance_id, "pending")

        assert deliver_due(site.engine, clock.now()) == 0
        assert deliver_due(site.engine, clock.advance(BACKOFF[0] - timedelta(seconds=1))) == 0, "not due yet"
        assert deliver_due(site.engine, clock.advance(timedelta(seconds=1))) == 0
        sent_at = clock.advance(BACKOFF[1])
        assert deliver_due(site.engine, sent_at) == 1
        assert deliver_due(site.engine, clock.advance(timedelta(days=2))) == 0, "delivered once"

    assert len(receiver.received) == 3
    ids = {headers["webhook-id"] for headers, _ in receiver.received}
    assert ids == {event.message_id}, "a retry keeps its webhook-id, so the receiver can de-duplicate"
    headers, body = receiver.received[-1]
    assert verify([secret], headers, body, sent_at, timedelta(minutes=5)) == (event.message_id, secret)
    assert headers["webhook-timestamp"] == str(int(sent_at.timestamp()))
    assert Webhook(secret).sign(event.message_id, sent_at, body.decode()) == headers["webhook-signature"], \
        "the reference library computes the same signature"
    payload = json.loads(body)
    assert payload["type"] == "dossier.gestart"
    assert payload["data"]["businessKey"] == "GB-2027-010" and payload["data"]["processInstanceId"] == instance_id
    [delivered] = outbox(site.engine)
    assert (delivered.status, delivered.attempts) == ("delivered", 3)
    log = admin.delivery_log(site.engine, "ontvanger")
    assert [attempt.http_status for attempt, _, _ in reversed(log)] == [500, 503, 204]


def test_a_receiver_that_keeps_failing_is_paused_and_gets_everything_when_resumed(site, clock):
    receiver = Receiver([500] * 100)
    with serve(receiver.app) as url:
        admin.add_subscriber(site.engine, "stuk", f"{url}/events", [], "test")
        site.delivered("proef", "melding.nieuw", MELDING)
        start = clock.now()
        while clock.now() - start < PAUSE_AFTER + timedelta(hours=12):
            deliver_due(site.engine, clock.now())
            clock.advance(timedelta(hours=1))
        [view] = admin.subscribers(site.engine)
        assert view.paused_at is not None and "geen geslaagde aflevering" in view.pause_reason
        attempts = len(receiver.received)
        site.delivered("proef", "melding.nieuw", {**MELDING, "kenmerk": "GB-2027-011"})
        assert deliver_due(site.engine, clock.advance(timedelta(days=1))) == 0
        assert len(receiver.received) == attempts, "a paused subscriber gets no attempts"
        assert admin.subscribers(site.engine)[0].pending == 2

        receiver.statuses.clear()
        assert admin.resume_subscriber(site.engine, "stuk") == 2
        assert deliver_due(site.engine, clock.now()) == 2
    assert {e.status for e in outbox(site.engine)} == {"delivered"}
    assert admin.subscribers(site.engine)[0].paused_at is None


def test_410_gone_pauses_at_once_and_an_unreachable_receiver_is_an_error_not_a_crash(site, clock):
    receiver = Receiver([410])
    with serve(receiver.app) as url:
        admin.add_subscriber(site.engine, "weg", f"{url}/events", [], "test")
        admin.add_subscriber(site.engine, "onbereikbaar", "http://127.0.0.1:9/events", [], "test")
        site.delivered("proef", "melding.nieuw", MELDING)
        assert deliver_due(site.engine, clock.now()) == 0
    views = {v.name: v for v in admin.subscribers(site.engine)}
    assert views["weg"].paused_at is not None and "410" in views["weg"].pause_reason
    assert views["onbereikbaar"].paused_at is None and views["onbereikbaar"].failing_since == clock.now()
    [(attempt, _, _)] = admin.delivery_log(site.engine, "onbereikbaar")
    assert attempt.http_status is None and "Connection refused" in attempt.error


def test_the_outbox_commits_or_rolls_back_with_the_change(site):
    admin.add_subscriber(site.engine, "alles", "http://127.0.0.1:9/events", [], "test")
    instance_id = site.delivered("proef", "melding.nieuw", MELDING)["processInstanceId"]
    site.delivered("proef", "melding.nieuw", MELDING | {"kenmerk": "M-2"}, message_id="msg_x")
    site.webhook("proef", "melding.nieuw", MELDING | {"kenmerk": "M-2"}, message_id="msg_x")
    site.process_inbox()
    assert [e.event_type for e in outbox(site.engine)] == ["dossier.gestart", "dossier.gestart"]
    [task] = site.engine.query.tasks(instance_id=instance_id)
    with pytest.raises(InvalidData):
        site.engine.tasks.complete(task.id, Actor.of("secretaris", ["secretariaat"]), {"_verboden": 1})
    assert len(outbox(site.engine)) == 2, "a refused command writes no events"
