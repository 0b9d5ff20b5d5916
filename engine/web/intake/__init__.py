"""A new dossier or a new grenseffectentoets, each through its form: the form's rules first, then the
instance starts.

A signal (secretariaat, regional networks) starts a dossier: by the plain start event for the secretariaat,
by the regional network's message for a network (as processen/gros-dossier.bpmn draws it). A department
asks for a grenseffectentoets (§ 4.2.2) with the start form of processen/gros-grenseffectentoets.bpmn; the
side it submits for follows from its group (engine/gros/toetsen.py)."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.errors import InvalidData, NotFound
from engine.forms import FormDefinition, validate_submission
from engine.gros import toetsen
from engine.gros.numbers import dossier_number
from engine.local_time import date_text
from engine.services import Engine
from engine.web import add_nav, current_engine, posted_variables
from engine.web.auth import groups_required

bp = Blueprint("intake", __name__, template_folder="templates")

PROCESS = "gros-dossier"
FORM = "gros-signaal-registreren"
MESSAGE = "signaal-ontvangen"
GROUPS = ("secretariaat", "regionaal-netwerk")
TOETS_FORM = "gros-toets-indienen"
TOETS_GROUPS = tuple(toetsen.SUBMITTERS)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, "Nieuw dossier", "intake.new", GROUPS)
    add_nav(app, "Grenseffectentoets aanvragen", "intake.new_toets", TOETS_GROUPS)


@bp.route("/dossiers/nieuw", methods=("GET", "POST"))
@groups_required(*GROUPS)
def new() -> ResponseReturnValue:
    engine = current_engine()
    form = _deployed_form(engine, FORM, "het meldingsformulier")
    data, errors = {}, []
    if request.method == "POST":
        data = posted_variables()
        clean, errors = validate_submission(form, data)
        if not errors:
            return _started(engine, _start(engine, clean))
    return render_template("intake/new.html", form=form, data=data, errors=errors), 400 if errors else 200


@bp.route("/toetsen/nieuw", methods=("GET", "POST"))
@groups_required(*TOETS_GROUPS)
def new_toets() -> ResponseReturnValue:
    engine = current_engine()
    form = _deployed_form(engine, TOETS_FORM, "het formulier van de grenseffectentoets")
    side = toetsen.submitting_side(g.actor)
    data, errors = {}, []
    if request.method == "POST":
        data = posted_variables()
        clean, errors = validate_submission(form, data)
        if not errors:
            try:
                return _toets_submitted(engine, toetsen.submit(engine, g.actor, clean))
            except InvalidData as refused:
                errors = refused.errors
    return render_template("intake/toets.html", form=form, data=data, errors=errors, side=toetsen.SIDES[side],
                           other=toetsen.SIDES["VL" if side == "NL" else "NL"]), 400 if errors else 200


def _deployed_form(engine: Engine, form_id: str, what: str) -> FormDefinition:
    form = engine.repository.deployed_forms().get(form_id)
    if form is None:
        raise NotFound(f"{what} '{form_id}' is niet gedeployed")
    return form


def _start(engine: Engine, variables: dict) -> str:
    if "secretariaat" in g.actor.groups:
        return engine.runtime.start(PROCESS, dossier_number, variables, g.actor)
    return engine.runtime.start_by_message(MESSAGE, variables, dossier_number, g.actor)


def _started(engine: Engine, instance_id: str) -> ResponseReturnValue:
    instance = engine.query.instance(instance_id)
    message = {"text": f"Dossier {instance.business_key} ‘{instance.title}’ is aangemaakt."}
    following = engine.query.tasks(instance_id=instance_id, visible_to=g.actor, limit=1)
    if following:
        message |= {"link": url_for("inbox.task", task_id=following[0].id),
                    "link_text": f"Volgende stap: ‘{following[0].name}’"}
    flash(message, "success")
    return redirect(url_for("inbox.mine"))


def _toets_submitted(engine: Engine, instance_id: str) -> ResponseReturnValue:
    row = toetsen.linked(engine, instance_id)
    flash({"text": f"Grenseffectentoets {row.business_key} ‘{row.title}’ is ingediend. De andere zijde "
                   f"beoordeelt de grenseffecten tot {date_text(row.deadline)}."}, "success")
    return redirect(url_for("inbox.mine"))
