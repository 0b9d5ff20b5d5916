"""``gros meeting`` and ``gros stalls``: the procedure's rhythm — the calendar of half-yearly meetings and Tops,
and the dossiers the stall radar flags."""

from __future__ import annotations

from datetime import datetime

import click

from engine.cli.common import actor, emit, json_option, now_option, open_engine, refusals, with_user
from engine.cli.dutch import DutchCommand, DutchGroup
from engine.gros import meetings, radar
from engine.gros.business_calendar import ZONES
from engine.local_time import date_text, moment_text


@click.group(cls=DutchGroup)
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


@click.command(cls=DutchCommand)
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


COMMANDS = [meeting, stalls]
