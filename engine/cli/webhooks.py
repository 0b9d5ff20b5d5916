"""``gros webhooks``: sources and their secrets, subscribers, delivering the outbox, the logs."""

from __future__ import annotations

import click

from engine.cli.common import emit, json_option, now_option, open_engine, refusals
from engine.clock import parse_instant
from webhooks import admin
from webhooks.delivery import deliver_due
from webhooks.inbound import retry_due
from webhooks.sources import load_sources, sources_folder


@click.group()
def webhooks() -> None:
    """Webhooks: bronnen, geheimen, abonnees, afleveren."""


@webhooks.command("sources")
@json_option
@refusals
def sources_(as_json: bool) -> None:
    """Configured inbound sources and their event types."""
    found = load_sources()
    lines = [f"/webhooks/{name}: {', '.join(f'{t} → {m.action} {m.message}' for t, m in s.events.items())}"
             for name, s in found.items()]
    emit(as_json, {name: sorted(s.events) for name, s in found.items()},
         lambda: "\n".join([f"map: {sources_folder()}", *lines]))


@webhooks.group()
def secret() -> None:
    """Signing secrets of inbound sources (rotation: add the new one, retire the old one)."""


@secret.command("add")
@click.argument("source")
@click.option("--secret", "value", help="An existing whsec_… secret; a new one is made otherwise.")
@click.option("--by", default="cli")
@json_option
@refusals
def secret_add(source: str, value: str | None, by: str, as_json: bool) -> None:
    secret_id, text = admin.add_secret(open_engine(), source, by, value)
    emit(as_json, {"id": secret_id, "secret": text}, lambda: f"geheim {secret_id} voor {source}: {text}")


@secret.command("retire")
@click.argument("secret_id", type=int)
@click.option("--at", help="ISO 8601 moment from which it is no longer accepted (default now).")
@json_option
@refusals
def secret_retire(secret_id: int, at: str | None, as_json: bool) -> None:
    admin.retire_secret(open_engine(), secret_id, parse_instant(at) if at else None)
    emit(as_json, {"id": secret_id, "retired": True}, lambda: f"geheim {secret_id} ingetrokken")


@secret.command("list")
@click.argument("source", required=False)
@json_option
@refusals
def secret_list(source: str | None, as_json: bool) -> None:
    rows = admin.secrets_of(open_engine(), source)
    emit(as_json, [{"id": r.id, "source": r.source, "created_at": r.created_at, "retired_at": r.retired_at}
                   for r in rows],
         lambda: "\n".join(f"{r.id:>4}  {r.source:<24} {r.secret[:10]}…  gemaakt {r.created_at:%Y-%m-%d}"
                           f"{f'  ingetrokken {r.retired_at:%Y-%m-%d %H:%M}' if r.retired_at else ''}"
                           for r in rows) or "geen geheimen")


@webhooks.group()
def subscriber() -> None:
    """Receivers of outbound events."""


@subscriber.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--event", "events", multiple=True, help="Only this event type; repeatable (default: all).")
@click.option("--by", default="cli")
@json_option
@refusals
def subscriber_add(name: str, url: str, events: tuple[str, ...], by: str, as_json: bool) -> None:
    subscriber_id, text = admin.add_subscriber(open_engine(), name, url, list(events), by)
    emit(as_json, {"id": subscriber_id, "secret": text}, lambda: f"abonnee {name}; geheim: {text}")


@subscriber.command("list")
@json_option
@refusals
def subscriber_list(as_json: bool) -> None:
    rows = admin.subscribers(open_engine())
    emit(as_json, [r.__dict__ for r in rows], lambda: "\n".join(
        f"{r.name:<20} {r.url:<50} wacht {r.pending}, mislukt {r.failed}, afgeleverd {r.delivered}"
        f"{f'  GEPAUZEERD: {r.pause_reason}' if r.paused_at else ''}" for r in rows) or "geen abonnees")


@subscriber.command("pause")
@click.argument("name")
@click.option("--by", default="cli")
@refusals
def subscriber_pause(name: str, by: str) -> None:
    admin.pause_subscriber(open_engine(), name, by)
    click.echo(f"{name} gepauzeerd")


@subscriber.command("resume")
@click.argument("name")
@click.option("--redeliver-failed", is_flag=True, help="Also send again the events given up on.")
@refusals
def subscriber_resume(name: str, redeliver_failed: bool) -> None:
    count = admin.resume_subscriber(open_engine(), name, redeliver_failed)
    click.echo(f"{name} hervat; {count} event(s) staan klaar")


@subscriber.command("remove")
@click.argument("name")
@refusals
def subscriber_remove(name: str) -> None:
    admin.remove_subscriber(open_engine(), name)
    click.echo(f"{name} verwijderd")


@webhooks.command("deliver")
@now_option
@json_option
@refusals
def deliver(now: str | None, as_json: bool) -> None:
    """Send the due outbound events now (the scheduler does this on its own)."""
    engine = open_engine(now)
    delivered = deliver_due(engine, engine.now())
    emit(as_json, {"delivered": delivered}, lambda: f"{delivered} event(s) afgeleverd")


@webhooks.command("retry")
@now_option
@json_option
@refusals
def retry(now: str | None, as_json: bool) -> None:
    """Try again the received events that found no dossier yet."""
    engine = open_engine(now)
    accepted = retry_due(engine, engine.now())
    emit(as_json, {"accepted": accepted}, lambda: f"{accepted} event(s) alsnog verwerkt")


@webhooks.command("deliveries")
@click.option("--source")
@click.option("--outcome", type=click.Choice(["accepted", "duplicate", "rejected", "unmatched", "error"]))
@json_option
@refusals
def deliveries(source: str | None, outcome: str | None, as_json: bool) -> None:
    """Received deliveries, newest first."""
    rows = admin.deliveries(open_engine(), source, outcome)
    emit(as_json, [{"id": r.id, "source": r.source, "webhook_id": r.webhook_id, "received_at": r.received_at,
                    "outcome": r.outcome, "http_status": r.http_status, "reason": r.reason} for r in rows],
         lambda: "\n".join(f"{r.received_at:%Y-%m-%d %H:%M:%S}  {r.source:<20} {r.outcome:<10} {r.http_status}  "
                           f"{r.webhook_id or '-'}  {r.reason or ''}" for r in rows) or "geen afleveringen")


@webhooks.command("log")
@click.option("--subscriber", "name")
@json_option
@refusals
def log(name: str | None, as_json: bool) -> None:
    """Outbound delivery attempts, newest first."""
    rows = admin.delivery_log(open_engine(), name)
    emit(as_json, [{"at": a.at, "subscriber": s, "event": e.event_type, "webhook_id": e.message_id,
                    "http_status": a.http_status, "error": a.error, "duration_ms": a.duration_ms} for a, e, s in rows],
         lambda: "\n".join(f"{a.at:%Y-%m-%d %H:%M:%S}  {s:<20} {e.event_type:<28} {a.http_status or '-'}  "
                           f"{a.error or 'ok'}" for a, e, s in rows) or "nog geen afleveringen")
