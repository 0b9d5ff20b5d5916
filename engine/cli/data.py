"""``gros backup``, ``gros restore``, ``gros verify``: data that lasts. The commands work on the configured
database (GROS_DATABASE_URL); the README's "Back-up en herstel" tells operators when to use which."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.services import Engine
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


COMMANDS = [backup_command, restore_command, verify_command]
