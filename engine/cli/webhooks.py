"""``gros webhooks``: sources and their secrets, subscribers, delivering the outbox, the logs."""

from __future__ import annotations

import click

from engine.cli.common import emit, json_option, now_option, open_engine, refusals
from engine.cli.dutch import DutchGroup
from engine.clock import parse_instant
from engine.local_time import date_text, moment_text
from webhooks import admin
from webhooks.delivery import deliver_due
from webhooks.inbound import process_inbox
from webhooks.sources import load_sources, sources_folder


@click.group(cls=DutchGroup)
def webhooks() -> None:
    """Webhooks: bronnen, geheimen, abonnees, afleveren."""


@webhooks.command("sources")
@json_option
@refusals
def sources_(as_json: bool) -> None:
    """De ingestelde inkomende bronnen en hun soorten gebeurtenissen."""
    found = load_sources()
    lines = [f"/webhooks/{name}: {', '.join(f'{t} → {m.action} {m.message}' for t, m in s.events.items())}"
             for name, s in found.items()]
    emit(as_json, {name: sorted(s.events) for name, s in found.items()},
         lambda: "\n".join([f"map: {sources_folder()}", *lines]))


@webhooks.group()
def secret() -> None:
    """Ondertekeningsgeheimen van inkomende bronnen (wisselen: voeg het nieuwe toe, trek het oude in)."""


@secret.command("add")
@click.argument("source")
@click.option("--secret", "value", help="Een bestaand whsec_…-geheim; anders wordt een nieuw gemaakt.")
@click.option("--by", default="cli", help="Wie dit doet (audit).")
@json_option
@refusals
def secret_add(source: str, value: str | None, by: str, as_json: bool) -> None:
    """Voeg een geheim toe voor bron SOURCE."""
    secret_id, text = admin.add_secret(open_engine(), source, by, value)
    emit(as_json, {"id": secret_id, "secret": text}, lambda: f"geheim {secret_id} voor {source}: {text}")


@secret.command("retire")
@click.argument("secret_id", type=int)
@click.option("--at", help="ISO 8601-tijdstip vanaf wanneer het niet meer aanvaard wordt (standaard nu).")
@json_option
@refusals
def secret_retire(secret_id: int, at: str | None, as_json: bool) -> None:
    """Trek geheim SECRET_ID in."""
    admin.retire_secret(open_engine(), secret_id, parse_instant(at) if at else None)
    emit(as_json, {"id": secret_id, "retired": True}, lambda: f"geheim {secret_id} ingetrokken")


@secret.command("list")
@click.argument("source", required=False)
@json_option
@refusals
def secret_list(source: str | None, as_json: bool) -> None:
    """Toon de geheimen, van alle bronnen of van SOURCE."""
    rows = admin.secrets_of(open_engine(), source)
    emit(as_json, [{"id": r.id, "source": r.source, "created_at": r.created_at, "retired_at": r.retired_at}
                   for r in rows],
         lambda: "\n".join(f"{r.id:>4}  {r.source:<24} {r.secret[:10]}…  gemaakt {date_text(r.created_at)}"
                           f"{f'  ingetrokken {moment_text(r.retired_at)}' if r.retired_at else ''}"
                           for r in rows) or "geen geheimen")


@webhooks.group()
def subscriber() -> None:
    """Ontvangers van uitgaande gebeurtenissen."""


@subscriber.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--event", "events", multiple=True, help="Alleen deze soort gebeurtenis; herhaalbaar (standaard: alle).")
@click.option("--by", default="cli", help="Wie dit doet (audit).")
@json_option
@refusals
def subscriber_add(name: str, url: str, events: tuple[str, ...], by: str, as_json: bool) -> None:
    """Voeg abonnee NAME toe die gebeurtenissen op URL ontvangt."""
    subscriber_id, text = admin.add_subscriber(open_engine(), name, url, list(events), by)
    emit(as_json, {"id": subscriber_id, "secret": text}, lambda: f"abonnee {name}; geheim: {text}")


@subscriber.command("list")
@json_option
@refusals
def subscriber_list(as_json: bool) -> None:
    """Toon de abonnees met wat er voor hen wacht, mislukte en afgeleverd is."""
    rows = admin.subscribers(open_engine())
    emit(as_json, [r.__dict__ for r in rows], lambda: "\n".join(
        f"{r.name:<20} {r.url:<50} wacht {r.pending}, mislukt {r.failed}, afgeleverd {r.delivered}"
        f"{f'  GEPAUZEERD: {r.pause_reason}' if r.paused_at else ''}" for r in rows) or "geen abonnees")


@subscriber.command("pause")
@click.argument("name")
@click.option("--by", default="cli", help="Wie dit doet (audit).")
@refusals
def subscriber_pause(name: str, by: str) -> None:
    """Pauzeer abonnee NAME: gebeurtenissen blijven wachten."""
    admin.pause_subscriber(open_engine(), name, by)
    click.echo(f"{name} gepauzeerd")


@subscriber.command("resume")
@click.argument("name")
@click.option("--redeliver-failed", is_flag=True, help="Stuur ook de opgegeven gebeurtenissen opnieuw.")
@refusals
def subscriber_resume(name: str, redeliver_failed: bool) -> None:
    """Hervat abonnee NAME."""
    count = admin.resume_subscriber(open_engine(), name, redeliver_failed)
    click.echo(f"{name} hervat; {count} event(s) staan klaar")


@subscriber.command("remove")
@click.argument("name")
@refusals
def subscriber_remove(name: str) -> None:
    """Verwijder abonnee NAME."""
    admin.remove_subscriber(open_engine(), name)
    click.echo(f"{name} verwijderd")


@webhooks.command("deliver")
@now_option
@json_option
@refusals
def deliver(now: str | None, as_json: bool) -> None:
    """Verstuur de uitgaande gebeurtenissen die klaarstaan nu (de scheduler doet dat zelf)."""
    engine = open_engine(now)
    delivered = deliver_due(engine, engine.now())
    emit(as_json, {"delivered": delivered}, lambda: f"{delivered} event(s) afgeleverd")


@webhooks.command("retry")
@click.option("--by", default="cli", help="Wie dit doet (audit).")
@now_option
@json_option
@refusals
def retry(by: str, now: str | None, as_json: bool) -> None:
    """Zet de mislukte ontvangen gebeurtenissen terug in de wachtrij en verwerk wat klaarstaat: nieuw in de
    wachtrij, opnieuw gezet of nog zonder dossier."""
    engine = open_engine(now)
    requeued = admin.requeue_failed(engine, by)
    accepted = process_inbox(engine)
    emit(as_json, {"requeued": requeued, "accepted": accepted},
         lambda: f"{requeued} mislukt(e) event(s) opnieuw in de wachtrij; {accepted} event(s) alsnog verwerkt")


@webhooks.command("deliveries")
@click.option("--source")
@click.option("--outcome", type=click.Choice(["queued", "accepted", "duplicate", "rejected", "unmatched", "error"]))
@json_option
@refusals
def deliveries(source: str | None, outcome: str | None, as_json: bool) -> None:
    """Ontvangen leveringen, nieuwste eerst."""
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
    """Pogingen tot uitgaande levering, nieuwste eerst."""
    rows = admin.delivery_log(open_engine(), name)
    emit(as_json, [{"at": a.at, "subscriber": s, "event": e.event_type, "webhook_id": e.message_id,
                    "http_status": a.http_status, "error": a.error, "duration_ms": a.duration_ms} for a, e, s in rows],
         lambda: "\n".join(f"{a.at:%Y-%m-%d %H:%M:%S}  {s:<20} {e.event_type:<28} {a.http_status or '-'}  "
                           f"{a.error or 'ok'}" for a, e, s in rows) or "nog geen afleveringen")
