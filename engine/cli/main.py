"""The ``gros`` command: operators and scripts give the engine's commands from a shell."""

from __future__ import annotations

import json
import logging
import socket
import sys
from datetime import datetime
from pathlib import Path

import click
import waitress
from sqlalchemy.engine import make_url

from engine import accounts
from engine.cli import data
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
from engine.gros import demo, meetings, radar
from engine.gros.business_calendar import ZONES
from engine.gros.groups import GROUPS
from engine.local_time import date_text, moment_text
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


@main.group()
def user() -> None:
    """Accounts: ambtenaren toevoegen, hun groepen instellen, wachtwoorden herstellen."""


@user.command("add")
@click.argument("username")
@click.option("--groups", required=True, help="Groepen, gescheiden door komma's, bv. grensregio-nl.")
@click.option("--name", "display_name", help="Volledige naam zoals de app die toont.")
@click.option("--email", help="E-mailadres voor meldingen.")
@click.password_option("--password", prompt="Wachtwoord", confirmation_prompt="Herhaal het wachtwoord")
@refusals
def user_add(username: str, groups: str, display_name: str | None, email: str | None, password: str) -> None:
    """Voeg een account toe."""
    names = group_list(groups)
    accounts.create_account(open_engine(), username, password, names, display_name, email)
    click.echo(f"gebruiker {username} aangemaakt in {', '.join(names)}")


@user.command("groups")
@click.argument("username")
@click.argument("groups")
@refusals
def user_groups(username: str, groups: str) -> None:
    """Vervang de groepen van een account (gescheiden door komma's)."""
    names = group_list(groups)
    accounts.set_groups(open_engine(), username, names)
    click.echo(f"{username} zit nu in {', '.join(names) or 'geen groepen'}")


@user.command("password")
@click.argument("username")
@click.password_option("--password", prompt="Nieuw wachtwoord", confirmation_prompt="Herhaal het wachtwoord")
@refusals
def user_password(username: str, password: str) -> None:
    """Stel een nieuw wachtwoord in."""
    accounts.set_password(open_engine(), username, password)
    click.echo(f"wachtwoord van {username} gewijzigd")


@user.command("deactivate")
@click.argument("username")
@refusals
def user_deactivate(username: str) -> None:
    """Laat een account niet meer inloggen (de historie blijft)."""
    accounts.set_active(open_engine(), username, False)
    click.echo(f"{username} kan niet meer inloggen")


@user.command("activate")
@click.argument("username")
@refusals
def user_activate(username: str) -> None:
    """Laat een gedeactiveerd account weer inloggen."""
    accounts.set_active(open_engine(), username, True)
    click.echo(f"{username} kan weer inloggen")


@user.command("list")
@click.option("--group", help="Alleen leden van deze groep.")
@json_option
@refusals
def user_list(group: str | None, as_json: bool) -> None:
    """Toon de accounts en hun groepen."""
    rows = accounts.accounts(open_engine(), group)
    emit(as_json, [{"username": a.username, "name": a.display_name, "email": a.email, "active": a.active,
                    "groups": groups} for a, groups in rows],
         lambda: "\n".join(f"{a.username:<22} {'' if a.active else '(gedeactiveerd) '}{a.display_name:<28} "
                           f"{', '.join(groups)}" for a, groups in rows) or "geen gebruikers")


def group_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in GROUPS:
            click.echo(f"let op: '{name}' is geen groep uit de GROS-procedure ({', '.join(GROUPS)})", err=True)
    return names


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
for command in data.COMMANDS:
    main.add_command(command)


@main.group()
def meeting() -> None:
    """De overlegkalender: het halfjaarlijks bilateraal overleg en de Vlaams-Nederlandse Top."""


@meeting.command("plan")
@click.argument("when")
@click.option("--kind", type=click.Choice(list(meetings.KINDS)), default="bilateraal", show_default=True)
@click.option("--title")
@click.option("--side", type=click.Choice(list(ZONES)), default="VL", show_default=True,
              help="In wiens lokale tijd WHEN staat (Brussel of Amsterdam).")
@click.option("--lead-time", default=meetings.DEFAULT_LEAD_TIME, show_default=True,
              help="ISO 8601-duur vóór het overleg waarop de rapporten gevraagd worden.")
@click.option("--report-before", default=meetings.DEFAULT_REPORT_BEFORE, show_default=True,
              help="ISO 8601-duur vóór het overleg waarop de rapporten binnen moeten zijn.")
@with_user
@json_option
@refusals
def meeting_plan(when, kind, title, side, lead_time, report_before, user, groups, as_json) -> None:
    """Plan een overleg op WHEN, lokale tijd (bv. 2027-05-20T10:00)."""
    try:
        held = datetime.fromisoformat(when)
    except ValueError as error:
        raise click.BadParameter(f"'{when}' is geen datum en uur zoals 2027-05-20T10:00") from error
    row = meetings.plan(open_engine(), kind, held, actor(user, groups), title, ZONES[side], lead_time, report_before)
    emit(as_json, meeting_json(row), lambda: f"{row.id}  {row.title}: rapporten gevraagd vanaf "
                                             f"{moment_text(row.request_at)}")


@meeting.command("list")
@click.option("--all", "include_past", is_flag=True, help="Ook voorbije overleggen.")
@json_option
@refusals
def meeting_list(include_past: bool, as_json: bool) -> None:
    """Toon de geplande overleggen."""
    rows = meetings.calendar(open_engine(), include_past)
    emit(as_json, [meeting_json(m) for m in rows], lambda: "\n".join(
        f"{m.id}  {moment_text(m.held_at)}  {m.title}"
        f"{'  agenda klaar' if m.agenda_ready_at else '  rapporten gevraagd' if m.requested_at else ''}"
        for m in rows) or "geen overleg gepland")


@meeting.command("agenda")
@click.argument("meeting_id", type=int)
@json_option
@refusals
def meeting_agenda(meeting_id: int, as_json: bool) -> None:
    """Toon de agenda van een overleg: elk geagendeerd dossier met zijn rapport en oordeel."""
    found = meetings.agenda(open_engine(), meeting_id)
    items = [{"business_key": i.business_key, "title": i.title, "status": i.status, "report": i.report,
              "judgement": i.judgement} for i in found.items]
    emit(as_json, meeting_json(found.meeting) | {"items": items}, lambda: "\n".join(
        [found.meeting.title] + [f"  {i['business_key'] or ''}  {i['status']}  {i['title'] or ''}" for i in items]))


@meeting.command("cancel")
@click.argument("meeting_id", type=int)
@with_user
@refusals
def meeting_cancel(meeting_id: int, user, groups) -> None:
    """Haal een overleg van de kalender (voordat de rapporten gevraagd zijn)."""
    meetings.cancel(open_engine(), meeting_id, actor(user, groups))
    click.echo("geschrapt")


def meeting_json(row) -> dict:
    return {"id": row.id, "kind": row.kind, "title": row.title, "held_at": row.held_at.isoformat(),
            "zone": row.zone, "request_at": row.request_at.isoformat(),
            "report_deadline": row.report_deadline.isoformat(),
            "requested_at": row.requested_at.isoformat() if row.requested_at else None,
            "agenda_ready_at": row.agenda_ready_at.isoformat() if row.agenda_ready_at else None}


@main.command()
@click.option("--refresh", is_flag=True, help="Bereken de signalen nu opnieuw, niet die van de laatste ronde.")
@now_option
@json_option
@refusals
def stalls(refresh: bool, now: str | None, as_json: bool) -> None:
    """Dossiers die de stilstandradar signaleert: taken over termijn, of geen taak afgerond sinds GROS_STALL_AFTER."""
    engine = open_engine(now)
    if refresh:
        radar.refresh(engine)
    rows = radar.flags(engine)
    emit(as_json, [{"instance_id": f.instance_id, "business_key": f.business_key, "reason": f.reason,
                    "since": f.since.isoformat(), "side": f.side, "waiting_on": f.waiting_on,
                    "task": f.task_name} for f in rows],
         lambda: "\n".join(f"{date_text(f.since)}  {f.reason:<18} {f.business_key or f.instance_id}  "
                           f"{f.side or '-'}  {', '.join(f.waiting_on)}" for f in rows) or "geen stilstand")
