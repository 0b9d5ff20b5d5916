"""The ``gros`` command: operators and scripts give the engine's commands from a shell."""

from __future__ import annotations

import json
import logging
import socket
import sys
from pathlib import Path

import click
import waitress
from sqlalchemy.engine import make_url

from engine.cli import data, users
from engine.cli import meetings as meeting_commands
from engine.cli.bench import SUITES, run_suites
from engine.cli.common import (
    acting,
    actor,
    emit,
    instance_json,
    json_option,
    now_option,
    open_engine,
    parse_vars,
    refusals,
    task_json,
    with_user,
)
from engine.cli.dutch import DutchGroup
from engine.cli.kennisbank import kennisbank
from engine.cli.migrate import migrate
from engine.cli.modeltest import modeltest
from engine.cli.tokens import token
from engine.cli.webhooks import webhooks
from engine.gros import demo, meetings
from engine.scheduler import Settings, healthy, run_standalone
from engine.web import vendor as vendored
from engine.web.app import ConfigurationError, create_app
from engine.wiring import periodic_jobs

ROOT = Path(__file__).resolve().parents[2]
MODEL_FOLDERS = [ROOT / "processen", ROOT / "formulieren"]


@click.group(cls=DutchGroup)
def main() -> None:
    """GROS werkstroom: BPMN-procedures voor grensbelemmeringen."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@json_option
@refusals
def deploy(paths: tuple[Path, ...], as_json: bool) -> None:
    """Zet .bpmn-, .dmn- en .form-bestanden of mappen in gebruik."""
    result = open_engine().repository.deploy(paths, name=", ".join(p.name for p in paths))
    emit(as_json, [d.__dict__ | {"warning": d.warning()} for d in result],
         lambda: "\n".join(_deployed_line(d) for d in result) or "niets te doen")


def _deployed_line(deployed) -> str:
    line = f"{deployed.key} v{deployed.version} {'nieuw' if deployed.changed else 'ongewijzigd'}"
    return f"{line}\n  let op: {deployed.warning()}" if deployed.warning() else line


@main.command()
@click.argument("key")
@click.option("--business-key", help="Het dossiernummer, bv. GROS-2027-001.")
@click.option("--var", "variables", multiple=True, help="naam=waarde (JSON of tekst); herhaalbaar.")
@with_user
@now_option
@json_option
@refusals
def start(key, business_key, variables, user, groups, now, as_json) -> None:
    """Start een proces op zijn sleutel."""
    engine = open_engine(now)
    instance_id = engine.runtime.start(key, business_key, parse_vars(variables), acting(user, groups))
    emit(as_json, instance_json(engine, engine.query.instance(instance_id)), lambda: instance_id)


@main.command()
@click.option("--group", help="Alleen taken voor deze groep.")
@click.option("--user", help="Taken van of aangeboden aan deze gebruiker.")
@click.option("--instance", "instance_id", help="Alleen taken van dit dossier (id).")
@json_option
@refusals
def tasks(group, user, instance_id, as_json) -> None:
    """Toon de wachtende taken."""
    rows = open_engine().query.tasks(group=group, user=user, instance_id=instance_id)
    emit(as_json, [task_json(t) for t in rows], lambda: "\n".join(
        f"{t.id}  {t.name}  [{', '.join(t.candidate_groups)}]  {t.business_key or ''}"
        f"{'  → ' + t.assignee if t.assignee else ''}" for t in rows) or "geen taken")


@main.command()
@click.argument("task_id")
@with_user
@json_option
@refusals
def claim(task_id, user, groups, as_json) -> None:
    """Neem een taak op je."""
    open_engine().tasks.claim(task_id, actor(user, groups))
    emit(as_json, {"id": task_id, "assignee": user}, lambda: f"geclaimd door {user}")


@main.command()
@click.argument("task_id")
@with_user
@json_option
@refusals
def unclaim(task_id, user, groups, as_json) -> None:
    """Geef een geclaimde taak terug aan haar groepen."""
    open_engine().tasks.unclaim(task_id, actor(user, groups))
    emit(as_json, {"id": task_id, "assignee": None}, lambda: "vrijgegeven")


@main.command()
@click.argument("task_id")
@click.option("--var", "variables", multiple=True, help="naam=waarde (JSON of tekst); herhaalbaar.")
@with_user
@now_option
@json_option
@refusals
def complete(task_id, variables, user, groups, now, as_json) -> None:
    """Rond een taak af met formuliergegevens."""
    done = open_engine(now).tasks.complete(task_id, actor(user, groups), parse_vars(variables))
    emit(as_json, done.__dict__, lambda: f"afgerond; instantie {done.instance_id} is {done.status}")


@main.command()
@click.argument("message")
@click.option("--business-key", help="Het dossiernummer dat het bericht moet vinden.")
@click.option("--key", "keys", multiple=True, help="Correlatievariabele naam=waarde; herhaalbaar.")
@click.option("--var", "variables", multiple=True, help="naam=waarde (JSON of tekst); herhaalbaar.")
@with_user
@now_option
@json_option
@refusals
def correlate(message, business_key, keys, variables, user, groups, now, as_json) -> None:
    """Bezorg een bericht aan het ene dossier dat erop wacht."""
    runtime = open_engine(now).runtime
    instance_id = runtime.correlate(message, business_key, parse_vars(keys), parse_vars(variables),
                                    acting(user, groups))
    emit(as_json, {"instance_id": instance_id}, lambda: f"afgeleverd aan {instance_id}")


@main.command()
@click.option("--fire", is_flag=True, help="Laat de timers aflopen die verstreken zijn.")
@now_option
@json_option
@refusals
def timers(fire, now, as_json) -> None:
    """Toon de lopende timers, of laat de verstreken aflopen."""
    engine = open_engine(now)
    if fire:
        fired = engine.timers.fire_due_timers()
        emit(as_json, {"fired": fired}, lambda: f"{fired} timer(s) afgegaan")
        return
    rows = engine.query.timers()
    emit(as_json, [{"id": t.id, "instance_id": t.instance_id, "element_id": t.element_id,
                    "due_at": t.due_at.isoformat()} for t in rows],
         lambda: "\n".join(f"{t.due_at:%Y-%m-%d %H:%M}Z  {t.element_id}  {t.instance_id or 'start'}"
                           for t in rows) or "geen timers")


@main.command()
@click.option("--status", type=click.Choice(["running", "completed", "incident", "suspended"]),
              help="Alleen dossiers met deze status.")
@json_option
@refusals
def instances(status, as_json) -> None:
    """Toon de dossiers (procesinstanties)."""
    engine = open_engine()
    rows = engine.query.instances(status=status)
    emit(as_json, [instance_json(engine, i) for i in rows], lambda: "\n".join(
        f"{i.id}  {i.definition_key}  {i.business_key or ''}  {i.status}  {', '.join(i.waiting_at)}"
        for i in rows) or "geen instanties")


@main.command()
@click.argument("instance_id")
@json_option
@refusals
def instance(instance_id, as_json) -> None:
    """Toon één dossier: status, waar het wacht, historie en incidenten."""
    engine = open_engine()
    row = engine.query.instance(instance_id)
    history = [{"at": h.at.isoformat(), "actor": h.actor, "action": h.action, "element_id": h.element_id,
                "element_name": h.element_name, "data": h.data} for h in engine.query.history(instance_id)]
    incidents = [{"id": i.id, "element_id": i.element_id, "message": i.message,
                  "resolved": i.resolved_at is not None} for i in engine.query.incidents(instance_id)]
    data = instance_json(engine, row) | {"history": history, "incidents": incidents}

    def text() -> str:
        lines = [f"{row.id}  {row.definition_key}  {row.business_key or ''}",
                 f"status: {row.status}", f"wacht bij: {', '.join(row.waiting_at) or '-'}", "historiek:"]
        lines += [f"  {h['at'][:16]}  {h['actor']:<12} {h['action']:<18} {h['element_name'] or h['element_id'] or ''}"
                  for h in history]
        lines += [f"incident {i['id']}: {i['element_id']}: {i['message']}" for i in incidents if not i["resolved"]]
        return "\n".join(lines)

    emit(as_json, data, text)


@main.command()
@click.argument("incident_id", type=int)
@click.option("--var", "variables", multiple=True, help="Gecorrigeerde variabele naam=waarde; herhaalbaar.")
@with_user
@json_option
@refusals
def retry(incident_id, variables, user, groups, as_json) -> None:
    """Probeer een vastgelopen stap opnieuw na het verbeteren van de gegevens."""
    status = open_engine().runtime.retry_incident(incident_id, actor(user, groups), parse_vars(variables))
    emit(as_json, {"status": status}, lambda: f"instantie is nu {status}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Adres waarop de webapp luistert.")
@click.option("--port", default=5000, type=int, show_default=True, help="Poort van de webapp.")
@refusals
def serve(host: str, port: int) -> None:
    """Zet processen/ en formulieren/ in gebruik, vul de demo bij GROS_DEMO=1 en start de webapp."""
    try:
        app = create_app()
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from error
    engine = app.extensions["gros.engine"]
    deployed = engine.repository.deploy([p for p in MODEL_FOLDERS if p.exists()], name="gros serve")
    click.echo(f"{len(deployed)} procesdefinities gedeployed; database "
               f"{make_url(engine.db.url).render_as_string(hide_password=True)}")
    if app.config["GROS_DEMO"]:
        announce_demo(demo.seed_accounts(engine, demo.FOLDER), demo.FOLDER)
        started, problems = demo.seed_dossiers(engine)
        started_toetsen, toets_problems = demo.seed_toetsen(engine)
        started, problems = started + started_toetsen, problems + toets_problems
        meetings.seed_calendar(engine)  # the next two half-yearly meetings, so progress rounds come
        if started:
            click.echo(f"Demodossiers aangemaakt: {', '.join(started)}")
        for problem in problems:
            click.echo(f"let op: {problem}", err=True)
    click.echo(f"GROS werkstroom draait op http://{host}:{port}/ (stoppen met Ctrl+C)")
    waitress.serve(app, host=host, port=port, threads=8, ident="GROS werkstroom")


def announce_demo(created: list[tuple[str, str]], folder: Path) -> None:
    if created:
        click.echo(f"Demo-accounts (wachtwoorden ook in {folder / demo.PASSWORDS_FILE}):")
        for username, password in created:
            click.echo(f"  {username:<22} {password}")
    else:
        click.echo(f"Demo-accounts en hun wachtwoorden: {folder / demo.PASSWORDS_FILE}")


@main.command()
@click.option("--check", is_flag=True, help="Meld alleen kopieën die afwijken van node_modules (dan afsluiten met 1).")
def vendor(check: bool) -> None:
    """Kopieer de front-endbestanden die de app serveert uit node_modules (na npm ci)."""
    if not vendored.NODE_MODULES.is_dir():
        raise click.ClickException("node_modules ontbreekt: draai eerst npm ci")
    changed = vendored.stale() if check else vendored.refresh()
    for path in changed:
        click.echo(f"{'verouderd' if check else 'gekopieerd'}: {path}")
    if check and changed:
        sys.exit(1)


@main.command()
@click.option("--health", is_flag=True, help="Afsluiten met 0 als een scheduler hier onlangs leefde (gezondheid).")
def scheduler(health: bool) -> None:
    """Laat BPMN-timers aflopen en draai de overlegkalender en de stilstandradar tot hij gestopt wordt (SIGTERM)."""
    engine = open_engine()
    if health:
        sys.exit(0 if healthy(engine, host=socket.gethostname()) else 1)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    run_standalone(engine, settings, periodic_jobs(engine, settings))


@main.command()
@click.option("--suite", "suites", multiple=True, type=click.Choice(SUITES),
              help="Meet alleen deze onderdelen (herhaalbaar); standaard alle.")
@click.option("--quick", is_flag=True, help="Kleinere aantallen: een rooktest, niet de cijfers van de doelen.")
@click.option("--scale", type=click.Choice(["1m"]),
              help="Suite engine: ook naast 1 miljoen wachtende instanties op PostgreSQL (enkele minuten vullen).")
@json_option
def bench(suites: tuple[str, ...], quick: bool, scale: str | None, as_json: bool) -> None:
    """Meet de snelheidsdoelen (SQLite, en PostgreSQL als die antwoordt). Geen test."""
    figures = run_suites(suites or SUITES, quick, million=scale == "1m")
    emit(as_json, figures, lambda: json.dumps(figures, indent=2, ensure_ascii=False))


main.add_command(migrate)
main.add_command(modeltest)
main.add_command(token)
main.add_command(kennisbank)
main.add_command(webhooks)
main.add_command(users.user)
for command in data.COMMANDS + meeting_commands.COMMANDS:
    main.add_command(command)
