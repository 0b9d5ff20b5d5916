"""``gros migrate``: move running dossiers of one version of a process to another."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from engine.bpmn.migration import MigrationRefused
from engine.cli.common import emit, json_option, open_engine, refusals
from engine.cli.dutch import DutchCommand
from engine.errors import NotFound
from engine.services import Actor, Engine
from engine.services.migration import MigrationPlan, Selection


@click.command(cls=DutchCommand)
@click.argument("key")
@click.option("--from-version", "source_version", type=int, required=True, help="De versie waarop de dossiers staan.")
@click.option("--to-version", "target_version", type=int, help="De doelversie (standaard de nieuwste).")
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Een migratieplan (JSON zoals Camunda's); standaard: elementen met dezelfde id.")
@click.option("--instance", "instance_ids", multiple=True, help="Alleen deze instantie; herhaalbaar.")
@click.option("--business-key", help="Alleen dossiers met deze businessKey.")
@click.option("--update-event-triggers", is_flag=True, help="Timers opnieuw zetten vanaf nu, volgens de doelversie.")
@click.option("--preview", is_flag=True, help="Alleen tonen wat er zou gebeuren.")
@click.option("--user", default="cli", help="Wie migreert (audit).")
@json_option
@refusals
def migrate(key, source_version, target_version, plan_file, instance_ids, business_key, update_event_triggers,
            preview, user, as_json) -> None:
    """Migreer lopende dossiers van proces KEY van de ene versie naar een andere."""
    engine = open_engine()
    source, target = _version(engine, key, source_version), _version(engine, key, target_version)
    if plan_file:
        plan = MigrationPlan.from_json(json.loads(plan_file.read_text(encoding="utf-8")))
    else:
        plan = engine.migration.generate(source.id, target.id, update_event_triggers)
    elements = engine.migration.preview(plan)
    if preview:
        emit(as_json, [e.__dict__ for e in elements], lambda: _preview_text(source, target, elements))
        return
    try:
        report = engine.migration.execute(plan, Selection(instance_ids, business_key), Actor.of(user, []),
                                          progress=None if as_json else _progress)
    except MigrationRefused as error:
        for refusal in error.refusals:
            click.echo(f"  - {refusal}", err=True)
        raise
    emit(as_json, report.__dict__, lambda: "\n".join(
        [f"{len(report.migrated)} van {report.total} gemigreerd van {key} v{source.version} naar v{target.version}"]
        + [f"niet gemigreerd: {i}: {why}" for i, why in report.failed.items()]))
    if report.failed:
        sys.exit(1)


def _version(engine: Engine, key: str, version: int | None):
    found = engine.repository.definitions(key)
    if not found:
        raise NotFound(f"proces '{key}' is niet gedeployed")
    if version is None:
        return found[-1]
    for definition in found:
        if definition.version == version:
            return definition
    raise NotFound(f"{key} heeft geen versie {version}")


def _preview_text(source, target, elements) -> str:
    lines = [f"{source.key} v{source.version} → v{target.version}:"]
    for e in elements:
        where = e.target or "niet gemapt"
        lines.append(f"  {e.element_id:<30} {e.dossiers:>6} dossier(s) → {where}"
                     + "".join(f"\n      ! {reason}" for reason in e.refusals))
    return "\n".join(lines) if elements else lines[0] + " geen wachtende dossiers"


def _progress(done: int, total: int) -> None:
    if done == total or done % 100 == 0:
        click.echo(f"{done}/{total}", err=True)
