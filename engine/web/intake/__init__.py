"""A new dossier. The secretariaat and the regional networks register a signal with the signal form;
it is checked against that form's rules first, then starts a dossier: by the plain start event for the
secretariaat, by the regional network's message for a network (as processen/gros-dossier.bpmn draws it)."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.errors import NotFound
from engine.forms import FormDefinition, validate_submission
from engine.gros.numbers import dossier_number
from engine.services import Engine
from engine.web import add_nav, current_engine, posted_variables
from engine.web.auth import groups_required

bp = Blueprint("intake", __name__, template_folder="templates")

PROCESS = "gros-dossier"
FORM = "gros-signaal-registreren"
MESSAGE = "signaal-ontvangen"
GROUPS = ("secretariaat", "regionaal-netwerk")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, "Nieuw dossier", "intake.new", GROUPS)


@bp.route("/dossiers/nieuw", methods=("GET", "POST"))
@groups_required(*GROUPS)
def new() -> ResponseReturnValue:
    engine = current_engine()
    form = _signal_form(engine)
    data, errors = {}, []
    if request.method == "POST":
        data = posted_variables()
        clean, errors = validate_submission(form, data)
        if not errors:
            return _started(engine, _start(engine, clean))
    return render_template("intake/new.html", form=form, data=data, errors=errors), 400 if errors else 200


def _signal_form(engine: Engine) -> FormDefinition:
    form = engine.repository.deployed_forms().get(FORM)
    if form is None:
        raise NotFound(f"het meldingsformulier '{FORM}' is niet gedeployed")
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

