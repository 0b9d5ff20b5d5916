"""Inbound webhooks: verify, validate and queue an event; the inbox worker turns it into one engine command.

Accept and queue: a delivery is verified (signature, freshness) and its payload validated while the
sender waits; a valid one is stored as a ``queued`` ``webhook_message`` in one transaction of two
INSERTs (the message and its log row; on PostgreSQL one statement) and answered 202 after the commit.
The engine command runs later, in the scheduler's ``webhook-inbox`` job (``Receiver.process_due``): an
HTTP delivery costs a few cheap statements instead of a whole command, so a source's burst never waits on
the engine. The price: the answer does not name the dossier; a later delivery of the same webhook-id gets
the outcome once it is known.

Exactly once: a delivery's ``webhook_message`` row is written under a unique (source, webhook-id) when
it is queued; a second delivery of the same id — even one racing the first on another web worker —
fails on that key and gets the stored reply (202 while queued, the outcome once applied). The worker's
outcome is written by an engine listener inside the command's own transaction, as the update of the
still pending row; a worker on another node racing for the same event finds nothing to update, which
rolls its whole command back.
An event that finds no dossier waiting is stored as ``unmatched`` (422) and tried again later, by the
worker or sooner after a redelivery; nothing of it is applied until it succeeds.

One worker per event: a worker first claims a due event (one UPDATE from a waiting status to ``applying``,
fenced by its try count) and applies only what it claimed; a worker on another node that read the same
event finds the claim taken and skips it without a trace. A claim lapses after ``LEASE`` (a worker that
died mid-way), and a lapsed claim's late outcome finds its fence moved and is dropped.
Given up, never lost: an event whose last of ``MAX_RETRIES`` tries fails — by an error or still without a
dossier — is marked ``failed`` with the last error kept, logged at ERROR and shown on *Koppelingen*, where
an administrator (or ``gros webhooks retry``) puts it back in the queue with a fresh set of tries.

At most one dossier per reference: an event that starts a process names the source's own reference
(``kenmerk``) as its business key; the listener records (source, reference) under a unique key in the
same transaction, so the same payload under a new webhook-id answers with the dossier already started.
A source acts under its own identity and may send the messages it is configured for, nothing else.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import Conflict, InvalidData, NoMatch, NotFound
from engine.services import Actor, Engine
from engine.services.executor import AuditRecord
from engine.web.api import jsontext
from engine.web.api.problems import Invalid, problem_body, schema_errors
from engine.web.inputs import text_problems
from webhooks.ingest import Duplicate, Ingest, Store
from webhooks.models import WebhookDelivery, WebhookMessage, WebhookReference
from webhooks.signing import NO_ACTIVE_SECRET, SignatureError, verify
from webhooks.sources import ENVELOPE, EventMapping, Source, load_sources, pointed

log = logging.getLogger(__name__)
RETRY_DELAYS = [timedelta(minutes=m) for m in (1, 5, 15, 60, 240, 720)]
MAX_RETRIES = 12
LEASE = timedelta(minutes=5)  # how long a claimed event is one worker's; longer than any one command
UNMATCHED = (NoMatch, NotFound, Conflict)
PENDING = ("queued", "unmatched")  # stored, not applied yet: what the inbox worker picks up when due
DUE = (*PENDING, "applying")  # an ``applying`` event is due again once its claim has lapsed
REDELIVERABLE = ("unmatched", "failed")  # a sender's redelivery puts these back in the queue at once


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


@dataclass(frozen=True)
class _Claim:
    """A due event this worker claimed: no other worker applies it while the claim holds."""

    id: int
    source: str
    webhook_id: str
    event_type: str | None
    body: str
    was: str  # its waiting status before the claim: queued or unmatched
    attempts: int  # the number of this try, and the fence that a lapsed claim's late writes fail on


class AlreadyHandled(Exception):
    """Another delivery of this webhook-id settled it first; this command must not take effect."""


class Receiver:
    def __init__(self, engine: Engine, sources: dict[str, Source]) -> None:
        self.engine = engine
        self.sources = sources
        self.ingest = Ingest(engine.db)
        self.known: dict[str, list[str]] = {}  # each source's secrets as last read: which to try first

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
        payload, mapping, problems = _validated(source, body)  # acted upon only once the delivery is authentic
        if not problems and (queued := self._queue_known(source, headers, body, mapping.type, now)):
            return queued
        try:
            with self.ingest.store() as store:
                secrets = self.known[source.name] = store.secrets(source.name, now)
                webhook_id, secret = verify(secrets, headers, body, now, source.tolerance)
                if not problems:
                    queued = _enqueue(store, source.name, webhook_id, secret, mapping.type, body.decode(), now)
                    if queued is None:  # retired since the read (on PostgreSQL the read is its own transaction)
                        raise SignatureError(NO_ACTIVE_SECRET)
                    return queued
        except SignatureError as error:
            return self._refuse(source_name, claimed_id, now, 401, "Niet authentiek", str(error))
        except Duplicate:  # this webhook-id was stored before
            return self._redelivered(source.name, webhook_id, now)
        reply = problem_body(400, "Ongeldige payload", f"{len(problems)} fout(en) in de payload", problems,
                             _path(source.name))
        return self._settle(source.name, webhook_id, payload, body, now, Reply(400, reply, "rejected"), None)

    def _queue_known(self, source: Source, headers: dict[str, str], body: bytes, event_type: str,
                     now: datetime) -> Reply | None:
        """The common case in one statement: a valid event signed with a secret this process read before,
        stored if that secret is still active — the INSERT itself checks, so one retired since is refused as
        surely as by a fresh read. None for anything else (a secret new to this process, a retired one, no
        valid signature): ``receive`` then reads the secrets and decides."""
        try:
            webhook_id, secret = verify(self.known.get(source.name, ()), headers, body, now, source.tolerance)
        except SignatureError:
            return None
        try:
            with self.ingest.store() as store:
                return _enqueue(store, source.name, webhook_id, secret, event_type, body.decode(), now)
        except Duplicate:  # this webhook-id was stored before
            return self._redelivered(source.name, webhook_id, now)

    def process_due(self, now: datetime | None = None, batch: int = 100) -> int:
        """The inbox worker: apply the stored events that are due — queued ones, and unmatched ones whose
        wait is over — oldest first, batch after batch until none is left; returns how many were accepted.
        Each event leaves the due set when tried (applied, refused, or given a later retry time)."""
        now = now or self.engine.now()
        accepted = 0
        while due := self._due(now, batch):
            accepted += sum(self._process(message, now) for message in due)
            if len(due) < batch:
                break
        return accepted

    def _due(self, now: datetime, limit: int) -> list[WebhookMessage]:
        with self.engine.db.reading() as session:
            return list(session.scalars(select(WebhookMessage).where(
                WebhookMessage.status.in_(DUE), WebhookMessage.next_retry_at <= now)
                .order_by(WebhookMessage.next_retry_at, WebhookMessage.id).limit(limit)))

    def _process(self, message: WebhookMessage, now: datetime) -> bool:
        claim = self._claim(message, now)
        if claim is None:  # another worker took it after we read it: theirs to apply and to log
            return False
        source = self.sources.get(claim.source)
        payload = json.loads(claim.body)
        mapping = source.events.get(payload.get("type")) if source else None
        if mapping is None:
            self._postpone(claim, now, f"bron of eventtype '{claim.event_type}' niet meer geconfigureerd")
            return False
        reason = "opnieuw geprobeerd" if claim.was == "unmatched" else None
        try:
            reply = self._apply(source, mapping, claim.webhook_id, payload, claim.body, now, claim, reason)
        except Exception as error:  # one broken event must not stop the others; it waits and comes again
            log.exception("webhook %s van %s kon niet verwerkt worden", claim.webhook_id, claim.source)
            self._postpone(claim, now, f"{type(error).__name__}: {error}")
            return False
        return reply.outcome == "accepted"

    def _claim(self, message: WebhookMessage, now: datetime) -> _Claim | None:
        """Take a due event for this worker with one UPDATE that only one worker can make (the row lock on
        PostgreSQL, the write lock on SQLite); None when another worker was first."""
        attempts = message.attempts + 1
        with self.engine.db.transaction() as session:
            claimed = session.execute(update(WebhookMessage).where(
                WebhookMessage.id == message.id, WebhookMessage.attempts == message.attempts,
                WebhookMessage.status.in_(DUE), WebhookMessage.next_retry_at <= now).values(
                status="applying", attempts=attempts, next_retry_at=now + LEASE, updated_at=now)).rowcount
        if not claimed:
            return None
        was = message.status if message.status in PENDING else "queued"
        return _Claim(message.id, message.source, message.webhook_id, message.event_type, message.body, was,
                      attempts)

    def _redelivered(self, source: str, webhook_id: str, now: datetime) -> Reply:
        """A webhook-id seen before gets its stored reply; one still waiting for its dossier, or given up on,
        is queued again at once (a sender redelivers because something changed)."""
        message = self._message(source, webhook_id)
        if message.status not in REDELIVERABLE:
            return self._duplicate(message, now)
        reply = Reply(202, _queued(webhook_id, message.event_type), "queued")
        with self.engine.db.transaction() as session:
            requeued = session.execute(update(WebhookMessage).where(
                WebhookMessage.id == message.id, WebhookMessage.status == message.status).values(
                status="queued", http_status=202, reply=reply.body, updated_at=now, next_retry_at=now)).rowcount
            if requeued:
                session.add(_delivery(source, webhook_id, now, "queued", 202, "opnieuw afgeleverd", message.id))
        return reply if requeued else self._duplicate(self._message(source, webhook_id), now)

    def _postpone(self, claim: _Claim, now: datetime, reason: str) -> None:
        """An event the worker could not apply waits as an unmatched one would, and the failure is logged;
        after its last try it is marked failed instead, keeping the error, for an administrator to requeue."""
        exhausted = _exhausted(claim.attempts)
        with self.engine.db.transaction() as session:
            held = session.execute(update(WebhookMessage).where(*_held(claim.id, claim.attempts)).values(
                status="failed" if exhausted else claim.was, updated_at=now, last_error=reason,
                next_retry_at=_next_retry(now, claim.attempts))).rowcount
            if held:
                logged = _given_up(claim, reason) if exhausted else reason
                session.add(_delivery(claim.source, claim.webhook_id, now, "error", 500, logged, claim.id))

    def _apply(self, source: Source, mapping: EventMapping, webhook_id: str, payload: dict, body: str,
               now: datetime, existing: _Claim | None, reason: str | None = None) -> Reply:
        reference = _reference(mapping, payload)
        started = self._started(source.name, reference)
        if started is not None:
            return self._already_started(source.name, mapping, webhook_id, body, now, existing, started)
        pending = _Pending(source.name, webhook_id, mapping.type, body, existing.id if existing else None,
                           existing.attempts if existing else 1, now, reason, reference)
        token = _pending.set(pending)
        try:
            self._command(source, mapping, payload)
        except UNMATCHED as error:
            reply = problem_body(422, "Geen passend dossier", f"{error}; bewaard om later opnieuw te proberen",
                                 instance=_path(source.name))
            return self._settle(source.name, webhook_id, payload, body.encode(), now, Reply(422, reply, "unmatched"),
                                existing, reason, cause=str(error))
        except InvalidData as error:
            invalid = [Invalid(e.key, e.message) for e in error.errors]
            reply = problem_body(400, "Ongeldige payload", str(error), invalid, _path(source.name))
            return self._settle(source.name, webhook_id, payload, body.encode(), now, Reply(400, reply, "rejected"),
                                existing, reason)
        except (IntegrityError, AlreadyHandled):
            message = self._message(source.name, webhook_id)
            if message is not None and not _still_held(message, existing):  # settled by another worker
                return self._duplicate(message, now)
            started = self._started(source.name, reference)
            if started is None:
                raise
            # a twin under another webhook-id started this reference's dossier first
            return self._already_started(source.name, mapping, webhook_id, body, now, existing, started)
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
                         existing: _Claim | None, instance_id: str) -> Reply:
        """The same reference under a new webhook-id: answer with the dossier it started, start nothing."""
        reply = Reply(200, _accepted(webhook_id, mapping.type, instance_id), "duplicate")
        try:
            with self.engine.db.transaction() as session:
                message_id = _store(session, source, webhook_id, mapping.type, body, existing.id if existing else None,
                                    existing.attempts if existing else 1, now, "accepted", reply, instance_id)
                session.add(_delivery(source, webhook_id, now, "duplicate", 200,
                                      "kenmerk al ontvangen: bestaand dossier", message_id))
        except (IntegrityError, AlreadyHandled):
            return self._duplicate(self._message(source, webhook_id), now)
        return reply

    def _settle(self, source: str, webhook_id: str, payload: Any, body: bytes, now: datetime, reply: Reply,
                existing: _Claim | None, reason: str | None = None, cause: str | None = None) -> Reply:
        """Store a refusal of an authentic delivery (400 or 422) as the reply its id gets from now on; an
        event still without a dossier after its last try is given up as failed, keeping ``cause``."""
        status = "unmatched" if reply.status == 422 else "rejected"
        if status == "unmatched" and existing is not None and _exhausted(existing.attempts):
            status, reason = "failed", _given_up(existing, cause or reply.body["detail"])
        event_type = payload.get("type") if isinstance(payload, dict) else None
        try:
            with self.engine.db.transaction() as session:
                message_id = _store(session, source, webhook_id, event_type, body.decode(errors="replace"),
                                    existing.id if existing else None, existing.attempts if existing else 1,
                                    now, status, reply, last_error=cause if status == "failed" else None)
                session.add(_delivery(source, webhook_id, now, reply.outcome, reply.status,
                                      reason or reply.body.get("detail"), message_id))
        except (IntegrityError, AlreadyHandled):
            return self._duplicate(self._message(source, webhook_id), now)
        return reply

    def _duplicate(self, message: WebhookMessage, now: datetime) -> Reply:
        """A webhook-id seen before gets its stored reply; one back in the queue (an administrator requeued it)
        gets the queue's, whatever its last try answered."""
        waiting = message.status in ("queued", "applying")
        status, body = (202, _queued(message.webhook_id, message.event_type)) if waiting else (
            message.http_status, message.reply)
        with self.engine.db.transaction() as session:
            session.add(_delivery(message.source, message.webhook_id, now, "duplicate", status,
                                  f"al ontvangen: {message.status}", message.id))
        return Reply(status, body, "duplicate")

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

    def _message(self, source: str, webhook_id: str) -> WebhookMessage | None:
        with self.engine.db.reading() as session:
            return _message(session, source, webhook_id)


def source_actor(source: Source) -> Actor:
    """A source acts under its own name and may send exactly the messages its file configures."""
    return Actor(f"webhook:{source.name}", messages=frozenset(m.message for m in source.events.values()))


def _enqueue(store: Store, source: str, webhook_id: str, secret: str, event_type: str, body: str,
             now: datetime) -> Reply | None:
    """Store a verified, valid event for the worker: the message and its log row in one transaction, if the
    secret it was signed with is still active (None if not, and nothing stored). A webhook-id stored before
    fails on the unique key (Duplicate) and is answered as a redelivery."""
    reply = Reply(202, _queued(webhook_id, event_type), "queued")
    if store.enqueue({
            "source": source, "webhook_id": webhook_id, "event_type": event_type[:200], "status": "queued",
            "http_status": 202, "reply": reply.body, "body": body.replace("\x00", ""), "attempts": 0,
            "received_at": now, "updated_at": now, "next_retry_at": now}, secret, now):
        return reply
    return None


def _message(session: Session, source: str, webhook_id: str) -> WebhookMessage | None:
    return session.scalars(select(WebhookMessage).where(
        WebhookMessage.source == source, WebhookMessage.webhook_id == webhook_id)).first()


def record_accepted(session: Session, events: list[AuditRecord]) -> None:
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
           instance_id: str | None = None, last_error: str | None = None) -> int:
    """Write an outcome: a new message row (its unique key makes a racing twin fail), or the update of
    the event this worker claimed (which finds nothing to update if its claim lapsed and another took it)."""
    values: dict[str, Any] = {
        "status": status, "http_status": reply.status, "reply": reply.body, "instance_id": instance_id,
        "attempts": attempts, "updated_at": now,
        "next_retry_at": _next_retry(now, attempts) if status == "unmatched" else None,
        "last_error": last_error}
    if existing_id is None:
        message = WebhookMessage(source=source, webhook_id=webhook_id, event_type=(event_type or "")[:200] or None,
                                 body=body.replace("\x00", ""), received_at=now, **values)
        session.add(message)
        session.flush()
        return message.id
    updated = session.execute(update(WebhookMessage).where(*_held(existing_id, attempts)).values(**values))
    if updated.rowcount != 1:
        raise AlreadyHandled()
    return existing_id


def _held(message_id: int, attempts: int) -> tuple:
    """The claim of try ``attempts`` on an event still holds: nobody settled it or claimed it again."""
    return (WebhookMessage.id == message_id, WebhookMessage.status == "applying",
            WebhookMessage.attempts == attempts)


def _still_held(message: WebhookMessage, claim: _Claim | None) -> bool:
    return claim is not None and message.status == "applying" and message.attempts == claim.attempts


def _exhausted(attempts: int) -> bool:
    return attempts >= MAX_RETRIES


def _given_up(claim: _Claim, reason: str) -> str:
    """Logged at ERROR: nothing tries this event again until an administrator requeues it."""
    log.error("webhook %s van %s opgegeven na %d pogingen: %s", claim.webhook_id, claim.source, claim.attempts,
              reason)
    return f"mislukt na {claim.attempts} pogingen — {reason}"


def _next_retry(now: datetime, attempts: int) -> datetime | None:
    """When a pending event is tried again after ``attempts`` tries; never after the last one."""
    if _exhausted(attempts):
        return None
    return now + RETRY_DELAYS[min(attempts - 1, len(RETRY_DELAYS) - 1)]


def _delivery(source: str, webhook_id: str | None, now: datetime, outcome: str, status: int, reason: str | None,
              message_id: int | None) -> WebhookDelivery:
    return WebhookDelivery(source=source, webhook_id=webhook_id, received_at=now, outcome=outcome,
                           http_status=status, reason=reason, message_id=message_id)


def _validated(source: Source, body: bytes) -> tuple[Any, EventMapping | None, list[Invalid]]:
    try:
        payload = jsontext.loads(body)
    except ValueError as error:
        return None, None, [Invalid("/", f"geen geldige JSON: {error}")]
    problems = schema_errors(ENVELOPE.errors(payload))
    if problems:
        return payload, None, problems
    mapping = source.events.get(payload["type"])
    if mapping is None:
        known = ", ".join(sorted(source.events))
        return payload, None, [Invalid("/type", f"onbekend eventtype; deze bron kent {known}")]
    problems = schema_errors(mapping.schema.errors(payload["data"]), "/data")
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


def _queued(webhook_id: str, event_type: str | None) -> dict:
    return {"status": "queued", "webhookId": webhook_id, "eventType": event_type}


def _path(source: str) -> str:
    return f"/webhooks/{source}"


def _clean(text: str | None, length: int) -> str | None:
    return text.replace("\x00", "")[:length] if text is not None else None


def process_inbox(engine: Engine) -> int:
    """For ``gros webhooks retry``: apply the queued events and those that found no dossier before (configured
    sources). The scheduler's job keeps one ``Receiver`` instead."""
    return Receiver(engine, load_sources()).process_due()
