"""Delivering the outbox: signed Standard Webhooks POSTs, retried with backoff, every attempt logged.

``deliver_due(engine, now)`` is what the scheduler calls (and ``gros webhooks deliver``). Due rows are
claimed with a short lease in one transaction (SKIP LOCKED on PostgreSQL), posted outside any
transaction, and each result recorded in its own. A subscriber that has failed without a single
success for ``PAUSE_AFTER`` — or answers 410 Gone — is paused; its events wait for it to be resumed.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from engine.local_time import moment_text
from engine.services import Engine
from webhooks.models import DeliveryAttempt, OutboxEvent, WebhookSubscriber
from webhooks.signing import signed_headers

BACKOFF = [timedelta(seconds=s) for s in (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)]
MAX_ATTEMPTS = len(BACKOFF) + 1
PAUSE_AFTER = timedelta(days=1)
LEASE = timedelta(minutes=2)
TIMEOUT_SECONDS = 10
PARALLEL = 8
USER_AGENT = "GROS-werkstroom-webhooks/1"


@dataclass(frozen=True)
class _Claimed:
    id: int
    subscriber_id: int
    message_id: str
    body: str
    url: str
    secret: str


@dataclass(frozen=True)
class _Result:
    status: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def deliver_due(engine: Engine, now: datetime | None = None, limit: int = 200) -> int:
    """Send every due outbox event of an unpaused subscriber; returns how many were delivered."""
    now = now or engine.now()
    claimed = _claim(engine, now, limit)
    if not claimed:
        return 0
    with ThreadPoolExecutor(min(PARALLEL, len(claimed))) as pool:
        results = list(pool.map(lambda item: _post(item, now), claimed))
    return sum(_record(engine, item, result, now) for item, result in zip(claimed, results, strict=True))


def _claim(engine: Engine, now: datetime, limit: int) -> list[_Claimed]:
    with engine.db.transaction() as session:
        rows = session.execute(
            select(OutboxEvent, WebhookSubscriber.url, WebhookSubscriber.secret)
            .join(WebhookSubscriber, WebhookSubscriber.id == OutboxEvent.subscriber_id)
            .where(OutboxEvent.status == "pending", OutboxEvent.next_attempt_at <= now,
                   WebhookSubscriber.paused_at.is_(None))
            .order_by(OutboxEvent.next_attempt_at, OutboxEvent.id).limit(limit)
            .with_for_update(skip_locked=True, of=OutboxEvent)
        ).all()
        for row, _, _ in rows:
            row.next_attempt_at = now + LEASE
        return [_Claimed(row.id, row.subscriber_id, row.message_id, row.body, url, secret) for row, url, secret in rows]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _post(item: _Claimed, now: datetime) -> _Result:
    body = item.body.encode()
    headers = signed_headers([item.secret], item.message_id, now, body) | {
        "Content-Type": "application/json", "User-Agent": USER_AGENT}
    started = time.perf_counter()
    try:
        with _OPENER.open(urllib.request.Request(item.url, body, headers, method="POST"),
                          timeout=TIMEOUT_SECONDS) as response:
            status, error = response.status, None
    except urllib.error.HTTPError as failure:
        status, error = failure.code, f"HTTP {failure.code} {failure.reason}"
    except (urllib.error.URLError, OSError, ValueError) as failure:
        status, error = None, f"{type(failure).__name__}: {getattr(failure, 'reason', failure)}"
    return _Result(status, error, int((time.perf_counter() - started) * 1000))


def _record(engine: Engine, item: _Claimed, result: _Result, now: datetime) -> int:
    with engine.db.transaction() as session:
        event = session.get(OutboxEvent, item.id)
        subscriber = session.execute(select(WebhookSubscriber).where(WebhookSubscriber.id == item.subscriber_id)
                                     .with_for_update()).scalar_one()
        session.add(DeliveryAttempt(outbox_id=item.id, at=now, http_status=result.status, error=result.error,
                                    duration_ms=result.duration_ms))
        event.attempts += 1
        if result.ok:
            event.status, event.delivered_at, event.next_attempt_at, event.last_error = "delivered", now, None, None
            subscriber.failing_since = None
            return 1
        event.last_error = result.error
        if event.attempts >= MAX_ATTEMPTS:
            event.status, event.next_attempt_at = "failed", None
        else:
            event.next_attempt_at = now + BACKOFF[event.attempts - 1]
        _note_failure(subscriber, result, now)
        return 0


def _note_failure(subscriber: WebhookSubscriber, result: _Result, now: datetime) -> None:
    subscriber.failing_since = subscriber.failing_since or now
    if subscriber.paused_at is not None:
        return
    if result.status == 410:
        subscriber.paused_at, subscriber.pause_reason = now, "de ontvanger antwoordde 410 Gone"
    elif now - subscriber.failing_since >= PAUSE_AFTER:
        subscriber.paused_at = now
        subscriber.pause_reason = f"geen geslaagde aflevering sinds {moment_text(subscriber.failing_since)}"
