"""*Meldingen*: each official chooses, per kind of news, to get a mail at once, one digest a day, or none."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.errors import InvalidData
from engine.forms import FieldError
from engine.gros import notifications
from engine.web import add_nav, current_engine
from engine.web.auth import login_required

bp = Blueprint("notifications", __name__, template_folder="templates")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, "Meldingen", "notifications.settings")


@bp.get("/meldingen")
@login_required
def settings() -> ResponseReturnValue:
    return render_template("meldingen/settings.html", chosen=notifications.choices(current_engine(), g.actor.user),
                           kinds=notifications.KINDS, modes=notifications.MODES,
                           reminder_days=notifications.reminder_days().days)


@bp.post("/meldingen")
@login_required
def save() -> ResponseReturnValue:
    modes = {kind: request.form.get(kind, notifications.DEFAULT_MODE) for kind in notifications.KINDS}
    errors = [FieldError(kind, notifications.KINDS[kind], f"kies een van: {', '.join(notifications.MODES)}")
              for kind, mode in modes.items() if mode not in notifications.MODES]
    if errors:
        raise InvalidData("Je keuze voor meldingen klopt niet.", errors)
    notifications.choose(current_engine(), g.actor.user, modes)
    flash("Je keuze voor meldingen is bewaard.", "success")
    return redirect(url_for("notifications.settings"))

