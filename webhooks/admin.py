"""Managing webhooks: a source's signing secrets (rotation), subscribers (add, pause, resume, remove),
inbound events given up on (requeued by an administrator), and what managers look at (deliveries
received, the inbox's health, subscribers with their backlog, the delivery log)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from engine.errors import Conflict, InvalidData, NotFound
from engine.forms import FieldError
from engine.services import Engine
from engine.store.models import AuditEvent
from webhooks.events import EVENT_TYPES
from webhooks.models import (
    DeliveryAttempt,
    OutboxEvent,
    WebhookDelivery,
    WebhookMessage,
    WebhookSecret,
    WebhookSubscriber,
)
from webhooks.signing import new_secret, secret_key

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


# --- inbound secrets ---------------------------------------------------------------------------------
def add_secret(engine: Engine, source: str, created_by: str, secret: str | None = None) -> tuple[int, str]:
    """A new active secret for ``source``; the old ones stay valid until retired (rotation)."""
    secret = secret or new_secret()
    try:
        secret_key(secret)
    except ValueError as error:
        raise InvalidData(str(error), []) from error
    with engine.db.transaction() as session:
        row = WebhookSecret(source=source, secret=secret, created_at=engine.now(), created_by=created_by)
        session.add(row)
        session.flush()
        return row.id, secret


def retire_secret(engine: Engine, secret_id: int, at: datetime | None = None) -> None:
    """Stop accepting a secret from ``at`` (now by default)."""
    with engine.db.transaction() as session:
        row = session.get(WebhookSecret, secret_id)
        if row is None:
            raise NotFound(f"geheim {secret_id} bestaat niet")
        row.retired_at = at or engine.now()


def secrets_of(engine: Engine, source: str | None = None) -> list[WebhookSecret]:
    query = select(WebhookSecret).order_by(WebhookSecret.source, WebhookSecret.id)
    if source:
        query = query.where(WebhookSecret.source == source)
    with engine.db.reading() as session:
        return list(session.scalars(query))


# --- the inbound inbox ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class InboxHealth:
    queued: int  # waiting for the worker (or being applied)
    unmatched: int  # waiting for their dossier; tried again later
    failed: int  # given up after the last try: only an administrator brings them back


def inbox_health(engine: Engine) -> InboxHealth:
    with engine.db.reading() as session:
        counts = dict(session.execute(select(WebhookMessage.status, func.count())
                                      .where(WebhookMessage.status.in_(("queued", "applying", "unmatched", "failed")))
                                      .group_by(WebhookMessage.status)).all())
    return InboxHealth(counts.get("queued", 0) + counts.get("applying", 0), counts.get("unmatched", 0),
                       counts.get("failed", 0))


def failed_events(engine: Engine, limit: int = 100) -> list[WebhookMessage]:
    """Inbound events given up on, the latest first, each with its number of tries and last error."""
    with engine.db.reading() as session:
        return list(session.scalars(select(WebhookMessage).where(WebhookMessage.status == "failed")
                                    .order_by(WebhookMessage.updated_at.desc(), WebhookMessage.id.desc())
                                    .limit(limit)))


def requeue_failed(engine: Engine, by: str, message_id: int | None = None) -> int:
    """Put failed inbound events (all, or the one ``message_id``) back in the queue with a fresh set of
    tries, due now; logged per event and audited under ``by``. Returns how many."""
    now = engine.now()
    chosen = [WebhookMessage.status == "failed"]
    if message_id is not None:
        chosen.append(WebhookMessage.id == message_id)
    with engine.db.transaction() as session:
        requeued = session.execute(update(WebhookMessage).where(*chosen).values(
            status="queued", attempts=0, next_retry_at=now, updated_at=now)
            .returning(WebhookMessage.id, WebhookMessage.source, WebhookMessage.webhook_id)).all()
        if message_id is not None and not requeued:
            raise NotFound(f"webhookbericht {message_id} bestaat niet of is niet mislukt")
        for row in requeued:
            session.add(WebhookDelivery(source=row.source, webhook_id=row.webhook_id, received_at=now,
                                        outcome="queued", http_status=202, message_id=row.id,
                                        reason=f"opnieuw in de wachtrij gezet door {by}"))
        if requeued:
            session.add(AuditEvent(instance_id=None, at=now, actor=by, action="webhook.requeued",
                                   data={"webhooks": [f"{row.source}/{row.webhook_id}" for row in requeued]}))
    return len(requeued)


# --- subscribers ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubscriberView:
    id: int
    name: str
    url: str
    event_types: list[str]
    paused_at: datetime | None
    pause_reason: str | None
    failing_since: datetime | None
    pending: int
    failed: int
    delivered: int


def add_subscriber(engine: Engine, name: str, url: str, event_types: list[str], created_by: str) -> tuple[int, str]:
    """Register a receiver; returns its id and the signing secret to give its owner."""
    _check_subscriber(name, url, event_types)
    secret = new_secret()
    with engine.db.transaction() as session:
        if session.scalars(select(WebhookSubscriber).where(WebhookSubscriber.name == name)).first() is not None:
            raise Conflict(f"abonnee '{name}' bestaat al")
        row = WebhookSubscriber(name=name, url=url, secret=secret, event_types=sorted(set(event_types)),
                                created_at=engine.now(), created_by=created_by)
        session.add(row)
        session.flush()
        return row.id, secret


def pause_subscriber(engine: Engine, name: str, by: str) -> None:
    with engine.db.transaction() as session:
        row = _subscriber(session, name)
        row.paused_at, row.pause_reason = engine.now(), f"gepauzeerd door {by}"


def resume_subscriber(engine: Engine, name: str, redeliver_failed: bool = False) -> int:
    """Unpause; its waiting events (and, if asked, the ones given up on) are due at once. Returns how many."""
    now = engine.now()
    states = ["pending", "failed"] if redeliver_failed else ["pending"]
    with engine.db.transaction() as session:
        row = _subscriber(session, name)
        row.paused_at = row.pause_reason = row.failing_since = None
        result = session.execute(update(OutboxEvent).where(
            OutboxEvent.subscriber_id == row.id, OutboxEvent.status.in_(states)
        ).values(status="pending", next_attempt_at=now, attempts=0))
        return result.rowcount


def remove_subscriber(engine: Engine, name: str) -> None:
    with engine.db.transaction() as session:
        session.delete(_subscriber(session, name))


def subscribers(engine: Engine) -> list[SubscriberView]:
    with engine.db.reading() as session:
        counts: dict[tuple[int, str], int] = {
            (sid, status): n for sid, status, n in session.execute(
                select(OutboxEvent.subscriber_id, OutboxEvent.status, func.count())
                .group_by(OutboxEvent.subscriber_id, OutboxEvent.status))}
        return [SubscriberView(s.id, s.name, s.url, list(s.event_types), s.paused_at, s.pause_reason, s.failing_since,
                               counts.get((s.id, "pending"), 0), counts.get((s.id, "failed"), 0),
                               counts.get((s.id, "delivered"), 0))
                for s in session.scalars(select(WebhookSubscriber).order_by(WebhookSubscriber.name))]


def delivery_log(engine: Engine, subscriber: str | None = None, limit: int = 100) -> list[tuple]:
    """Outbound attempts, newest first: (attempt, outbox event, subscriber name)."""
    query = (select(DeliveryAttempt, OutboxEvent, WebhookSubscriber.name)
             .join(OutboxEvent, OutboxEvent.id == DeliveryAttempt.outbox_id)
             .join(WebhookSubscriber, WebhookSubscriber.id == OutboxEvent.subscriber_id)
             .order_by(DeliveryAttempt.id.desc()).limit(limit))
    if subscriber:
        query = query.where(WebhookSubscriber.name == subscriber)
    with engine.db.reading() as session:
        return [tuple(row) for row in session.execute(query)]


def deliveries(engine: Engine, source: str | None = None, outcome: str | None = None, limit: int = 100,
               offset: int = 0) -> list[WebhookDelivery]:
    """Inbound deliveries, newest first."""
    query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit).offset(offset)
    if source:
        query = query.where(WebhookDelivery.source == source)
    if outcome:
        query = query.where(WebhookDelivery.outcome == outcome)
    with engine.db.reading() as session:
        return list(session.scalars(query))


def _subscriber(session, name: str) -> WebhookSubscriber:
    row = session.scalars(select(WebhookSubscriber).where(WebhookSubscriber.name == name)).first()
    if row is None:
        raise NotFound(f"abonnee '{name}' bestaat niet")
    return row


def _check_subscriber(name: str, url: str, event_types: list[str]) -> None:
    """Every wrong field at once, each named (the page puts each message at its own field)."""
    problems = []
    if not NAME.match(name):
        problems.append(FieldError("abonnee", "Naam",
                                   "een naam bestaat uit kleine letters, cijfers en '-' (hoogstens 100 tekens)"))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 1000:
        problems.append(FieldError("url", "Adres (URL)",
                                   "de URL begint met http:// of https:// en is hoogstens 1000 tekens"))
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        problems.append(FieldError("events", "Events", f"onbekende eventtypes: {', '.join(unknown)} "
                                                       f"(bekend: {', '.join(EVENT_TYPES)})"))
    if problems:
        raise InvalidData("; ".join(f"{p.label}: {p.message}" for p in problems), problems)
