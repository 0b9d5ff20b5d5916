"""The secretariaat's meeting calendar: plan the half-yearly bilateral meetings and the Top, see each
agenda fill with progress reports. Starting this part also runs the scheduler inside the app unless
``GROS_SCHEDULER=off`` (it then runs as its own service, ``gros scheduler``)."""

from __future__ import annotations

import atexit
import os
from collections.abc import Mapping
from datetime import datetime, time

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for

from engine.errors import CommandError
from engine.gros import meetings, parliament
from engine.gros.business_calendar import ZONES
from engine.scheduler import Scheduler, Settings
from engine.web import add_nav, add_panel, current_engine
from engine.web.auth import login_required
from engine.web.inputs import calendar_date, refuse, whole_number
from engine.wiring import periodic_jobs

bp = Blueprint("planning", __name__, template_folder="templates")
PLANNERS = "secretariaat"
READERS = (PLANNERS, "bilateraal-overleg", "ambtelijk-grensoverleg")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, "Overleg", "planning.calendar", READERS)
    add_panel(app, "dossier", dossier_panel)
    engine = app.extensions["gros.engine"]
    if scheduler_mode(app) == "embedded":
        settings = Settings.from_env()
        scheduler = Scheduler(engine, settings, jobs=periodic_jobs(engine, settings))
        scheduler.start()
        app.extensions["gros.scheduler"] = scheduler
        atexit.register(scheduler.shutdown)


def dossier_panel(instance_id: str) -> str:
    """On the monitor's dossier page: the half-yearly meetings the dossier passed (§ 5.3.3)."""
    return render_template("planning/_dossier_panel.html",
                           passed=meetings.of_dossier(current_engine(), instance_id))


def scheduler_mode(app: Flask) -> str:
    """``embedded`` (default) or ``off``. An app handed its engine by the caller (tests) runs none
    unless its config asks for one."""
    default = "off" if app.config.get("GROS_ENGINE") is not None else os.environ.get("GROS_SCHEDULER", "embedded")
    return app.config.get("GROS_SCHEDULER", default)


def _held(form: Mapping[str, str]) -> datetime:
    """The meeting's local date and hour as the form gave them."""
    day = calendar_date(form, "datum", "Datum")
    if day is None:
        raise refuse("datum", "Datum", "vul de datum van het overleg in")
    return datetime.combine(day, time.fromisoformat(form.get("uur") or "10:00"))


def _readers_only() -> None:
    if not g.actor.groups & set(READERS):
        abort(403)


@bp.get("/overleg")
@login_required
def calendar():
    _readers_only()
    engine = current_engine()
    return render_template("planning/calendar.html", meetings=meetings.calendar(engine, include_past=True),
                           kinds=meetings.KINDS, zones=ZONES, now=engine.now(),
                           may_plan=PLANNERS in g.actor.groups)


@bp.post("/overleg")
@login_required
def plan():
    if PLANNERS not in g.actor.groups:
        abort(403)
    form = request.form
    try:
        meeting = meetings.plan(current_engine(), form.get("soort", ""), _held(form), g.actor,
                                form.get("titel") or None, ZONES.get(form.get("zone", "VL"), ZONES["VL"]),
                                f"P{whole_number(form, 'vooraf', 'Weken vooraf', 6, 1, 26)}W",
                                f"P{whole_number(form, 'termijn', 'Rapporten binnen', 2, 0, 25)}W")
    except ValueError:
        flash("Geef een geldige datum, een uur en aantallen weken.", "error")
    except CommandError as error:
        flash(str(error), "error")
    else:
        flash(f"{meeting.title} staat op de kalender.", "success")
    return redirect(url_for("planning.calendar"))


@bp.post("/overleg/<int:meeting_id>/schrappen")
@login_required
def cancel(meeting_id: int):
    if PLANNERS not in g.actor.groups:
        abort(403)
    try:
        meetings.cancel(current_engine(), meeting_id, g.actor)
    except CommandError as error:
        flash(str(error), "error")
    return redirect(url_for("planning.calendar"))


@bp.get("/overleg/<int:meeting_id>")
@login_required
def agenda(meeting_id: int):
    _readers_only()
    try:
        found = meetings.agenda(current_engine(), meeting_id)
    except CommandError:
        abort(404)
    return render_template("planning/agenda.html", agenda=found,
                           parliament_report=parliament.of_meeting(current_engine(), meeting_id))
