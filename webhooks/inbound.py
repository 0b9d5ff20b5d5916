"""Inbound webhooks: verify, de-duplicate, validate and turn an event into one engine command.

Exactly once: the ``webhook_message`` row of an accepted event is written by an engine listener inside
the command's own transaction, under a unique (source, webhook-id). A second delivery of the same
id — even one racing the first on another worker — either finds that row and gets its stored reply,
or fails on the constraint, which rolls its whole command back, and then gets the first one's reply.
A delivery that finds no dossier waiting is stored as ``unmatched`` (422) and tried again later, by a
redelivery or by ``retry_unmatched``; nothing of it is applied until it succeeds.

At most one dossier per reference: an event that starts a process names the source's own reference
(``kenmerk``) as its business key; the listener records (source, reference) under a unique key in the
same transaction, so the same payload under a new webhook-id answers with the dossier already started.
A source acts under its own identity and may send the messages it is configured for, nothing else.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import Conflict, InvalidData, NoMatch, NotFound
from engine.services import Actor, Engine
from engine.store.models import AuditEvent
from engine.web.api import jsontext
from engine.web.api.problems import Invalid, problem_body, schema_errors
from engine.web.inputs import text_problems
from webhooks.models import WebhookDelivery, WebhookMessage, WebhookReference, WebhookSecret
from webhooks.signing import SignatureError, verify
from webhooks.sources import ENVELOPE, EventMapping, Source, load_sources, pointed

RETRY_DELAYS = [timedelta(minutes=m) for m in (1, 5, 15, 60, 240, 720)]
MAX_RETRIES = 12
UNMATCHED = (NoMatch, NotFound, Conflict)


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict
    outcome: str


@dataclass
class _Pending:
    """An event being applied; the engine listener records it in the command's transaction."""

    source: str
    webhook_id: str
    event_type: str
    body: str
    message_id: int | None
    attempts: int
    now: datetime
    reason: str | None
    reference: str | None = None
    reply: dict | None = field(default=None)


_pending: ContextVar[_Pending | None] = ContextVar("gros_webhook_pending", default=None)


class AlreadyHandled(Exception):
    """Another delivery of this webhook-id settled it first; this command must not take effect."""


class Receiver:
    def __init__(self, engine: Engine, sources: dict[str, Source]) -> None:
        self.engine = engine
        self.sources = sources

    def receive(self, source_name: str, headers: dict[str, str], body: bytes | None) -> Reply:
        """Handle one HTTP delivery; ``body`` None means it was larger than the source allows."""
        now = self.engine.now()
        source = self.sources.get(source_name)
        claimed_id = headers.get("webhook-id")
        if source is None:  # anyone can post here: answered, but never written (nothing to fill the log with)
            detail = f"geen webhookbron '{_clean(source_name, 100)}' geconfigureerd"
            return Reply(404, problem_body(404, "Onbekende bron", detail, instance=_path(_clean(source_name, 100))),
                         "rejected")
        if body is None:
            return self._refuse(source_name, claimed_id, now, 413, "Te groot",
                                f"deze bron aanvaardt hoogstens {source.max_bytes} bytes")
        try:
            webhook_id, existing = self._authentic(source, headers, body, now)
        except SignatureError as error:
            return self._refuse(source_name, claimed_id, now, 401, "Niet authentiek", str(error))
        if existing is not None and existing.status != "unmatched":
            return self._duplicate(existing, now)
        payload, mapping, problems = _validated(source, body)
        if problems:
            reply = problem_body(400, "Ongeldige payload", f"{len(problems)} fout(en) in de payload", problems,
                                 _path(source.name))
            return self._settle(source.name, webhook_id, payload, body, now, Reply(400, reply, "rejected"), existing)
        return self._apply(source, mapping, webhook_id, payload, body.decode(), now, existing)

    def retry_unmatched(self, now: datetime | None = None, limit: int = 100) -> int:
        """Try the stored unmatched events that are due again; returns how many were accepted now."""
        now = now or self.engine.now()
        with self.engine.db.reading() as session:
            due = list(session.scalars(select(WebhookMessage).where(
                WebhookMessage.status == "unmatched", WebhookMessage.next_retry_at <= now)
                .order_by(WebhookMessage.next_retry_at).limit(limit)))
        accepted = 0
        for message in due:
            source = self.sources.get(message.source)
            payload = json.loads(message.body)
            mapping = source.events.get(payload.get("type")) if source else None
            if mapping is None:
                continue
            reply = self._apply(source, mapping, message.webhook_id, payload, message.body, now, message,
                                reason="opnieuw geprobeerd")
            accepted += reply.outcome == "accepted"
        return accepted

    def _apply(self, source: Source, mapping: EventMapping, webhook_id: str, payload: dict, body: str,
               now: datetime, existing: WebhookMessage | None, reason: str | None = None) -> Reply:
        reference = _reference(mapping, payload)
        started = self._started(source.name, reference)
        if started is not None:
            return self._already_started(source.name, mapping, webhook_id, body, now, existing, started)
        pending = _Pending(source.name, webhook_id, mapping.type, body, existing.id if existing else None,
                           existing.attempts + 1 if existing else 1, now, reason, reference)
        token = _pending.set(pending)
        try:
            self._command(source, mapping, payload)
        except UNMATCHED as error:
            reply = problem_body(422, "Geen passend dossier", f"{error}; bewaard om later opnieuw te proberen",
                                 instance=_path(source.name))
            return self._settle(source.name, webhook_id, payload, body.encode(), now, Reply(422, reply, "unmatched"),
                                existing, reason)
        except InvalidData as error:
            invalid = [Invalid(e.key, e.message) for e in error.errors]
            reply = problem_body(400, "Ongeldige payload", str(error), invalid, _path(source.name))
            return self._settle(source.name, webhook_id, payload, body.encode(), now, Reply(400, reply, "rejected"),
                                existing, reason)
        except (IntegrityError, AlreadyHandled):
            message = self._message(source.name, webhook_id)
            started = self._started(source.name, reference) if message is None else None
            if started is not None:  # a twin under another webhook-id started this reference's dossier first
                return self._already_started(source.name, mapping, webhook_id, body, now, existing, started)
            return self._duplicate(message, now)
        finally:
            _pending.reset(token)
        if pending.reply is None:
            raise RuntimeError(f"{mapping.message} ging door zonder dat webhook {webhook_id} werd vastgelegd")
        return Reply(200, pending.reply, "accepted")

    def _command(self, source: Source, mapping: EventMapping, payload: dict) -> str:
        actor = source_actor(source)
        business_key = _value(payload, mapping.business_key)
        variables = _values(payload, mapping.variables)
        if mapping.action == "start":
            return self.engine.runtime.start_by_message(mapping.message, variables, business_key, actor)
        return self.engine.runtime.correlate(mapping.message, business_key, _values(payload, mapping.correlation),
                                     variables, actor)

    def _started(self, source: str, reference: str | None) -> str | None:
        """The dossier this source already started for ``reference``, if any."""
        if reference is None:
            return None
        with self.engine.db.reading() as session:
            return session.scalars(select(WebhookReference.instance_id).where(
                WebhookReference.source == source, WebhookReference.reference == reference)).first()

    def _already_started(self, source: str, mapping: EventMapping, webhook_id: str, body: str, now: datetime,
                         existing: WebhookMessage | None, instance_id: str) -> Reply:
        """The same reference under a new webhook-id: answer with the dossier it started, start nothing."""
        reply = Reply(200, _accepted(webhook_id, mapping.type, instance_id), "duplicate")
        try:
            with self.engine.db.transaction() as session:
                message_id = _store(session, source, webhook_id, mapping.type, body, existing.id if existing else None,
                                    existing.attempts + 1 if existing else 1, now, "accepted", reply, instance_id)
                session.add(_delivery(source, webhook_id, now, "duplicate", 200,
                                      "kenmerk al ontvangen: bestaand dossier", message_id))
        except (IntegrityError, AlreadyHandled):
            return self._duplicate(self._message(source, webhook_id), now)
        return reply

    def _settle(self, source: str, webhook_id: str, payload: Any, body: bytes, now: datetime, reply: Reply,
                existing: WebhookMessage | None, reason: str | None = None) -> Reply:
        """Store a refusal of an authentic delivery (400 or 422) as the reply its id gets from now on."""
        status = "unmatched" if reply.status == 422 else "rejected"
        event_type = payload.get("type") if isinstance(payload, dict) else None
        try:
            with self.engine.db.transaction() as session:
                message_id = _store(session, source, webhook_id, event_type, body.decode(errors="replace"),
                                    existing.id if existing else None, existing.attempts + 1 if existing else 1,
                                    now, status, reply)
                session.add(_delivery(source, webhook_id, now, reply.outcome, reply.status,
                                      reason or reply.body.get("detail"), message_id))
        except (IntegrityError, AlreadyHandled):
            return self._duplicate(self._message(source, webhook_id), now)
        return reply

    def _duplicate(self, message: WebhookMessage, now: datetime) -> Reply:
        with self.engine.db.transaction() as session:
            session.add(_delivery(message.source, message.webhook_id, now, "duplicate", message.http_status,
                                  f"al ontvangen: {message.status}", message.id))
        return Reply(message.http_status, message.reply, "duplicate")

    def _refuse(self, source: str, webhook_id: str | None, now: datetime, status: int, title: str,
                detail: str) -> Reply:
        """Refused before it was known to be authentic: logged, but never holds its webhook-id."""
        with self.engine.db.transaction() as session:
            session.add(_delivery(_clean(source, 100), _clean(webhook_id, 200), now, "rejected", status, detail, None))
        return Reply(status, problem_body(status, title, detail, instance=_path(_clean(source, 100))), "rejected")

    def record_error(self, source: str, webhook_id: str | None, error: Exception) -> None:
        """An unexpected failure is logged as this delivery's outcome before it propagates."""
        with self.engine.db.transaction() as session:
            session.add(_delivery(_clean(source, 100), _clean(webhook_id, 200), self.engine.now(), "error", 500,
                                  f"{type(error).__name__}: {error}", None))

    def _authentic(self, source: Source, headers: dict[str, str], body: bytes,
                   now: datetime) -> tuple[str, WebhookMessage | None]:
        """The verified webhook-id and what was stored for it before, read in one go."""
        with self.engine.db.reading() as session:
            secrets = session.scalars(select(WebhookSecret.secret).where(
                WebhookSecret.source == source.name,
                (WebhookSecret.retired_at.is_(None)) | (WebhookSecret.retired_at > now)))
            webhook_id = verify(list(secrets), headers, body, now, source.tolerance)
            return webhook_id, _message(session, source.name, webhook_id)

    def _message(self, source: str, webhook_id: str) -> WebhookMessage | None:
        with self.engine.db.reading() as session:
            return _message(session, source, webhook_id)


def source_actor(source: Source) -> Actor:
    """A source acts under its own name and may send exactly the messages its file configures."""
    return Actor(f"webhook:{source.name}", messages=frozenset(m.message for m in source.events.values()))


def _message(session: Session, source: str, webhook_id: str) -> WebhookMessage | None:
    return session.scalars(select(WebhookMessage).where(
        WebhookMessage.source == source, WebhookMessage.webhook_id == webhook_id)).first()


def record_accepted(session: Session, events: list[AuditEvent]) -> None:
    """Engine listener: store the event being applied, in the transaction of its command."""
    pending = _pending.get()
    if pending is None or pending.reply is not None:
        return
    instance_id = next((e.instance_id for e in events if e.instance_id), None)
    reply = _accepted(pending.webhook_id, pending.event_type, instance_id)
    message_id = _store(session, pending.source, pending.webhook_id, pending.event_type, pending.body,
                        pending.message_id, pending.attempts, pending.now, "accepted", Reply(200, reply, "accepted"),
                        instance_id)
    if pending.reference is not None and instance_id is not None:
        session.add(WebhookReference(source=pending.source, reference=pending.reference, instance_id=instance_id))
        session.flush()
    session.add(_delivery(pending.source, pending.webhook_id, pending.now, "accepted", 200, pending.reason, message_id))
    pending.reply = reply


def _store(session: Session, source: str, webhook_id: str, event_type: str | None, body: str,
           existing_id: int | None, attempts: int, now: datetime, status: str, reply: Reply,
           instance_id: str | None = None) -> int:
    """Write an outcome: a new message row (its unique key makes a racing twin fail), or the update of
    an unmatched one (which finds nothing to update if a racing twin settled it first)."""
    retry = status == "unmatched" and attempts < MAX_RETRIES
    values: dict[str, Any] = {
        "status": status, "http_status": reply.status, "reply": reply.body, "instance_id": instance_id,
        "attempts": attempts, "updated_at": now,
        "next_retry_at": now + RETRY_DELAYS[min(attempts - 1, len(RETRY_DELAYS) - 1)] if retry else None}
    if existing_id is None:
        message = WebhookMessage(source=source, webhook_id=webhook_id, event_type=(event_type or "")[:200] or None,
                                 body=body.replace("\x00", ""), received_at=now, **values)
        session.add(message)
        session.flush()
        return message.id
    updated = session.execute(update(WebhookMessage).where(
        WebhookMessage.id == existing_id, WebhookMessage.status == "unmatched").values(**values))
    if updated.rowcount != 1:
        raise AlreadyHandled()
    return existing_id


def _delivery(source: str, webhook_id: str | None, now: datetime, outcome: str, status: int, reason: str | None,
              message_id: int | None) -> WebhookDelivery:
    return WebhookDelivery(source=source, webhook_id=webhook_id, received_at=now, outcome=outcome,
                           http_status=status, reason=reason, message_id=message_id)


def _validated(source: Source, body: bytes) -> tuple[Any, EventMapping | None, list[Invalid]]:
    try:
        payload = jsontext.loads(body)
    except ValueError as error:
        return None, None, [Invalid("/", f"geen geldige JSON: {error}")]
    problems = schema_errors(list(ENVELOPE.iter_errors(payload)))
    if problems:
        return payload, None, problems
    mapping = source.events.get(payload["type"])
    if mapping is None:
        known = ", ".join(sorted(source.events))
        return payload, None, [Invalid("/type", f"onbekend eventtype; deze bron kent {known}")]
    problems = schema_errors(list(mapping.validator.iter_errors(payload["data"])), "/data")
    problems += [Invalid(pointer, f"tekst {reason}") for pointer, reason in text_problems(payload)]
    return payload, mapping, problems


def _reference(mapping: EventMapping, payload: dict) -> str | None:
    """The source's own reference of what a start event starts: its business key."""
    if mapping.action != "start":
        return None
    reference = _value(payload, mapping.business_key)
    return reference if isinstance(reference, str) else None


def _value(payload: dict, pointer: str | None) -> Any:
    return pointed(payload, pointer)[1] if pointer else None


def _values(payload: dict, pointers: dict[str, str]) -> dict[str, Any]:
    found = {name: pointed(payload, pointer) for name, pointer in pointers.items()}
    return {name: value for name, (present, value) in found.items() if present}


def _accepted(webhook_id: str, event_type: str, instance_id: str | None) -> dict:
    return {"status": "accepted", "webhookId": webhook_id, "eventType": event_type, "processInstanceId": instance_id}


def _path(source: str) -> str:
    return f"/webhooks/{source}"


def _clean(text: str | None, length: int) -> str | None:
    return text.replace("\x00", "")[:length] if text is not None else None


def retry_due(engine: Engine, now: datetime | None = None) -> int:
    """For the scheduler: try again the stored events that found no dossier yet (configured sources)."""
    return Receiver(engine, load_sources()).retry_unmatched(now)
