"""``gros backup``, ``gros restore``, ``gros verify``: data that lasts; ``gros history-cleanup``: data that
goes. The commands work on the configured database (GROS_DATABASE_URL); the README's "Back-up en herstel"
and "Historie opruimen" tell operators when to use which."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.cli.common import emit, json_option, now_option, open_engine
from engine.services import Engine
from engine.services.cleanup import BATCH
from engine.services.integrity import Verification, verify
from engine.store.backup import BackupError, backup, restore
from engine.store.db import database_url


@click.command("backup")
@click.argument("file", type=click.Path(path_type=Path))
def backup_command(file: Path) -> None:
    """Write a consistent back-up of the database to FILE (safe while the app runs)."""
    try:
        backup(database_url(), file)
    except BackupError as error:
        refuse(error)
    click.echo(f"back-up geschreven naar {file} ({file.stat().st_size:,} bytes)".replace(",", "."))


@click.command("restore")
@click.argument("file", type=click.Path(path_type=Path))
def restore_command(file: Path) -> None:
    """Restore the back-up FILE into the configured, empty database, then verify every instance."""
    try:
        restore(file, database_url())
    except BackupError as error:
        refuse(error)
    click.echo(f"hersteld uit {file}")
    report(verify_database())


@click.command("verify")
def verify_command() -> None:
    """Check that every instance loads and its tasks, timers, subscriptions and positions match its state."""
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


@click.command("history-cleanup")
@click.option("--dry-run", is_flag=True, help="Only show which ended instances would be cleaned.")
@click.option("--batch", default=BATCH, show_default=True, help="Instances per transaction.")
@now_option
@json_option
def history_cleanup(dry_run: bool, batch: int, now: str | None, as_json: bool) -> None:
    """Clean ended instances past their historyTimeToLive: state, variables, detailed history."""
    engine = open_engine(now)
    if dry_run:
        due = engine.history.due(limit=10_000)
        total = engine.history.count_due()
        emit(as_json, {"due": total, "instances": [vars(d) for d in due]}, lambda: "\n".join(
            [f"{d.removal_at:%d-%m-%Y}  {d.business_key or d.instance_id}  {d.definition_key}  "
             f"afgerond {d.ended_at:%d-%m-%Y}" for d in due]
            + [f"{total} afgeronde instanties voorbij hun historyTimeToLive (niets verwijderd: --dry-run)"]))
        return
    cleaned = engine.history.clean(batch=batch)
    emit(as_json, {"cleaned": cleaned}, lambda: f"{cleaned} afgeronde instanties opgeruimd")


COMMANDS = [backup_command, restore_command, verify_command, history_cleanup]
