"""``gros backup``, ``gros restore``, ``gros verify``: data that lasts; ``gros history-cleanup`` and
``gros privacy``: data that goes. The commands work on the configured database (GROS_DATABASE_URL); the
README's "Back-up en herstel", "Historie opruimen" and "Persoonsgegevens" tell operators when to use which."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.cli.common import actor, emit, json_option, now_option, open_engine, refusals, with_user
from engine.cli.dutch import DutchCommand, DutchGroup
from engine.local_time import date_text
from engine.services import Engine
from engine.services.cleanup import BATCH
from engine.services.integrity import Verification, verify
from engine.store.backup import BackupError, backup, restore
from engine.store.db import database_url


@click.command("backup", cls=DutchCommand)
@click.argument("file", type=click.Path(path_type=Path))
def backup_command(file: Path) -> None:
    """Schrijf een consistente back-up van de database naar FILE (veilig terwijl de app draait)."""
    try:
        backup(database_url(), file)
    except BackupError as error:
        refuse(error)
    click.echo(f"back-up geschreven naar {file} ({file.stat().st_size:,} bytes)".replace(",", "."))


@click.command("restore", cls=DutchCommand)
@click.argument("file", type=click.Path(path_type=Path))
def restore_command(file: Path) -> None:
    """Zet de back-up FILE terug in de ingestelde, lege database en controleer daarna elk dossier."""
    try:
        restore(file, database_url())
    except BackupError as error:
        refuse(error)
    click.echo(f"hersteld uit {file}")
    report(verify_database())


@click.command("verify", cls=DutchCommand)
def verify_command() -> None:
    """Controleer dat elk dossier laadt en dat zijn taken, timers, abonnementen en posities kloppen."""
    report(verify_database())


def refuse(error: BackupError) -> None:
    click.echo(f"Geweigerd: {error}", err=True)
    sys.exit(1)


def verify_database() -> Verification:
    engine = Engine.open(database_url())
    try:
        return verify(engine.executor)
    finally:
        engine.db.dispose()


def report(result: Verification) -> None:
    click.echo(f"{result.instances} instanties, {result.loaded} geladen, "
               f"{result.instances - result.loaded} zonder toestand (opgeruimd of onleesbaar)")
    for problem in result.problems:
        click.echo(f"  - {problem}", err=True)
    if not result.ok:
        click.echo(f"controle mislukt: {len(result.problems)} problemen", err=True)
        sys.exit(1)
    click.echo("controle geslaagd: alle instanties laden en hun afgeleide rijen kloppen")


@click.command("history-cleanup", cls=DutchCommand)
@click.option("--dry-run", is_flag=True, help="Toon alleen welke afgeronde dossiers opgeruimd zouden worden.")
@click.option("--batch", default=BATCH, show_default=True, help="Dossiers per transactie.")
@now_option
@json_option
def history_cleanup(dry_run: bool, batch: int, now: str | None, as_json: bool) -> None:
    """Ruim afgeronde dossiers op voorbij hun historyTimeToLive: toestand, variabelen, gedetailleerde historie."""
    engine = open_engine(now)
    if dry_run:
        due = engine.history.due(limit=10_000)
        total = engine.history.count_due()
        emit(as_json, {"due": total, "instances": [vars(d) for d in due]}, lambda: "\n".join(
            [f"{date_text(d.removal_at)}  {d.business_key or d.instance_id}  {d.definition_key}  "
             f"afgerond {date_text(d.ended_at)}" for d in due]
            + [f"{total} afgeronde instanties voorbij hun historyTimeToLive (niets verwijderd: --dry-run)"]))
        return
    cleaned = engine.history.clean(batch=batch)
    emit(as_json, {"cleaned": cleaned}, lambda: f"{cleaned} afgeronde instanties opgeruimd")


@click.group(cls=DutchGroup)
def privacy() -> None:
    """Het verzoek van een persoon: gegevens opzoeken (inzage, met JSON-export) en wissen."""


@privacy.command("zoek")
@click.argument("search")
@json_option
@refusals
def privacy_find(search: str, as_json: bool) -> None:
    """Elk dossier, elke taak en auditregel met SEARCH (e-mailadres of naam); --json exporteert het."""
    report = open_engine().privacy.find(search)
    emit(as_json, report.as_json(), lambda: describe(report))


@privacy.command("wis")
@click.argument("search")
@click.option("--besluit", "decision", required=True, help="Het vastgelegde besluit dat het wissen toestaat.")
@with_user
@json_option
@refusals
def privacy_erase(search: str, decision: str, user, groups, as_json: bool) -> None:
    """Wis SEARCH uit elk dossier dat het bevat (waarden worden [verwijderd]), na een besluit."""
    report = open_engine().privacy.erase(search, decision, actor(user, groups))
    emit(as_json, report.as_json(),
         lambda: f"verwijderd uit {len(report.dossiers)} dossiers en {len(report.elsewhere)} andere gegevens")


def describe(report) -> str:
    lines = [f"'{report.search}' komt voor in {len(report.dossiers)} dossiers"]
    for d in report.dossiers:
        lines.append(f"  {d.business_key or d.instance_id}  {d.status}{'  (opgeruimd)' if d.cleaned else ''}  "
                     f"{d.title or ''}")
        lines += [f"    veld {name}" for name in d.fields]
        lines += [f"    taak {t['name']} ({t['assignee'] or 'niet geclaimd'})" for t in d.tasks]
        lines += [f"    audit {a['at'][:16]} {a['action']} {a['element'] or ''} door {a['actor']}: "
                  f"{', '.join(a['fields']) or 'gebruiker'}" for a in d.audit]
    lines += [f"  account {a['username']} ({a['name']}, {a['email'] or '-'})" for a in report.accounts]
    lines += [f"  {e['label']} #{e['id']}: {', '.join(e['fields'])}" for e in report.elsewhere]
    return "\n".join(lines)


COMMANDS = [backup_command, restore_command, verify_command, history_cleanup, privacy]
