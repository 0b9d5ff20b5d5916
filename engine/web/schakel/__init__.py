"""*Schakels*: each agendered dossier's bestuurlijke schakel and the standing one for the approach as a whole
(seed § 4.4). Members see their dossier here read-only (they act on their own tasks in the inbox) and open
and close consultations during uitwerking; the secretariaat forms the schakels and manages who sits in them.
A stakeholder answers a consultation on ``/consultatie/<token>``: no account, and nothing else to see.
The work is ``engine.gros.schakel`` and ``engine.gros.consultatie``'s; these pages only ask and show."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.bpmn.timers import deadline
from engine.errors import CommandError, Forbidden, InvalidData
from engine.forms import FieldError
from engine.gros import consultatie, schakel
from engine.gros.consultatie import Invitee
from engine.gros.schakel import Member
from engine.web import add_nav, add_panel, current_engine
from engine.web.auth import login_required

bp = Blueprint("schakel", __name__, template_folder="templates")
# The tasks whose page shows what stakeholders said (§ 5.3.2): working out the solution and fixing it.
DECISION_TASKS = frozenset({"Activity_OplossingUitwerkenNL", "Activity_OplossingUitwerkenVL",
                            "Activity_OplossingUitwerkenFederaal", "Activity_OplossingVaststellenNL",
                            "Activity_OplossingVaststellenVL", "Activity_OplossingVaststellenFederaal"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, "Schakels", "schakel.index")
    add_panel(app, "taak", lambda task: _answers_panel(task.instance_id) if task.element_id in DECISION_TASKS else "")
    add_panel(app, "dossier", lambda instance_id: _answers_panel(instance_id))


@bp.get("/schakel")
@login_required
def index() -> ResponseReturnValue:
    engine = current_engine()
    return render_template("schakel/index.html", dossiers=schakel.dossiers(engine, g.actor),
                           manager=schakel.is_manager(g.actor))


@bp.get("/schakel/aanpak")
@login_required
def standing() -> ResponseReturnValue:
    if not (schakel.is_manager(g.actor) or schakel.STANDING_GROUP in g.actor.groups):
        flash("Alleen de vaste schakel en het secretariaat zien deze pagina.", "error")
        return redirect(url_for("schakel.index"))
    return render_template("schakel/standing.html", members=schakel.members(current_engine(), None),
                           roles=schakel.ROLES, manager=schakel.is_manager(g.actor), errors=[])


@bp.get("/schakel/<instance_id>")
@login_required
def dossier(instance_id: str) -> ResponseReturnValue:
    engine = current_engine()
    schakel.require_sight(engine, g.actor, instance_id)
    instance = engine.query.instance(instance_id)
    member = schakel.is_member(g.actor, instance.business_key, instance.id)
    return render_template("schakel/dossier.html", instance=instance, members=schakel.members(engine, instance_id),
                           tasks=engine.query.tasks(instance_id=instance_id), roles=schakel.ROLES,
                           consultations=consultatie.consultations(engine, instance_id), now=engine.now(),
                           manager=schakel.is_manager(g.actor), member=member, errors=[])


@bp.post("/schakel/<instance_id>/vormen")
@login_required
def form(instance_id: str) -> ResponseReturnValue:
    chairs = [Member(request.form.get(role, "").strip(), role, request.form.get(f"{role}-organisatie", ""))
              for role in schakel.CHAIRS]
    return _done(lambda: schakel.form(current_engine(), instance_id, *chairs, g.actor),
                 "De bestuurlijke schakel is gevormd.", instance_id)


@bp.post("/schakel/<instance_id>/leden")
@login_required
def add(instance_id: str) -> ResponseReturnValue:
    member = Member(request.form.get("lid", "").strip(), request.form.get("rol", ""),
                    request.form.get("lid-organisatie", ""))
    target = None if instance_id == "aanpak" else instance_id
    return _done(lambda: schakel.add_member(current_engine(), target, member, g.actor),
                 f"{member.username} zit nu in de schakel.", instance_id)


@bp.post("/schakel/<instance_id>/leden/<int:membership_id>/beeindigen")
@login_required
def remove(instance_id: str, membership_id: int) -> ResponseReturnValue:
    return _done(lambda: schakel.remove_member(current_engine(), membership_id, g.actor),
                 "Het lidmaatschap is beëindigd.", instance_id)


@bp.post("/schakel/<instance_id>/consultaties")
@login_required
def open_consultation(instance_id: str) -> ResponseReturnValue:
    engine = current_engine()

    def opening() -> None:
        consultatie.open_consultation(engine, instance_id, request.form.get("vraag", ""),
                                      _lines(request.form.get("documenten", "")), _deadline(),
                                      _invitees(request.form.get("genodigden", "")), g.actor)

    return _done(opening, "De consultatie is geopend; elke genodigde krijgt een persoonlijke link per mail.",
                 instance_id)


@bp.post("/schakel/<instance_id>/consultaties/<int:consultation_id>/sluiten")
@login_required
def close_consultation(instance_id: str, consultation_id: int) -> ResponseReturnValue:
    return _done(lambda: consultatie.close(current_engine(), consultation_id, g.actor),
                 "De consultatie is gesloten.", instance_id)


# --- the stakeholder's page (no account) -----------------------------------------------------------------

@bp.get("/consultatie/<token>")
def invitation(token: str) -> ResponseReturnValue:
    return render_template("schakel/answer.html", invitation=consultatie.invitation(current_engine(), token),
                           errors=[], answer="")


@bp.post("/consultatie/<token>")
def answer(token: str) -> ResponseReturnValue:
    engine = current_engine()
    text = request.form.get("antwoord", "")
    try:
        consultatie.answer(engine, token, text)
    except InvalidData as refused:
        return render_template("schakel/answer.html", invitation=consultatie.invitation(engine, token),
                               errors=refused.errors, answer=text), 400
    return render_template("schakel/thanks.html")


# --- helpers ---------------------------------------------------------------------------------------------

def _done(action, success: str, instance_id: str) -> ResponseReturnValue:
    """Run ``action``; a refusal is shown on the page it came from (one not allowed at all: the 403 page)."""
    try:
        action()
    except Forbidden:
        raise
    except CommandError as refused:
        details = "; ".join(f"{e.label}: {e.message}" for e in getattr(refused, "errors", []))
        flash(f"{refused} {details}".strip(), "error")
    else:
        flash(success, "success")
    return redirect(url_for("schakel.standing" if instance_id == "aanpak" else "schakel.dossier",
                            **({} if instance_id == "aanpak" else {"instance_id": instance_id})))


def _answers_panel(instance_id: str) -> str:
    found = consultatie.consultations(current_engine(), instance_id)
    return render_template("schakel/_answers_panel.html", consultations=found) if found else ""


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _invitees(text: str) -> list[Invitee]:
    """One per line: ``adres@voorbeeld.nl; Organisatie`` (the organisation may be left out)."""
    invitees = []
    for line in _lines(text):
        email, _, organisation = line.partition(";")
        invitees.append(Invitee(email.strip(), organisation.strip() or email.strip()))
    return invitees


def _deadline() -> datetime:
    text = request.form.get("termijn", "").strip()
    try:
        return deadline(text)
    except ValueError as error:
        raise InvalidData("De consultatie is niet geopend.",
                          [FieldError("termijn", "Termijn", "kies een datum")]) from error
