"""The kennisbank for every logged-in official (seed § 4.6, § 5.2.4): search every dossier with Dutch
stemming, read its card, mark precedents, see the loketten en expertise of its theme; the secretariaat
keeps the loketten and decides which summaries the openbare kennisbank (/openbaar) shows. The task pages of
*Triage*, *Eerste verkenning* and *Gezamenlijke verkenning* get a panel with similar dossiers (§ 5.2.2),
the monitor's dossier page one with its precedents."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.errors import InvalidData
from engine.gros.kennisbank import records
from engine.gros.kennisbank.search import ENDED, KINDS, Query, search
from engine.services import Engine
from engine.web import add_nav, add_panel, current_engine
from engine.web.auth import groups_required, login_required
from engine.web.kennisbank import cards, panels

bp = Blueprint("kennisbank", __name__, template_folder="templates", url_prefix="/kennisbank")
editors_only = groups_required(records.EDITORS)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, "Kennisbank", "kennisbank.overview")
    add_panel(app, "taak", panels.task_panel)
    add_panel(app, "dossier", panels.dossier_panel)
    from engine.web.kennisbank import openbaar  # the public pages: no login, their own blueprint

    openbaar.init_app(app)


@bp.context_processor
def helpers() -> dict:
    actor = g.get("actor")  # an error page may be drawn before anyone logged in
    return {"marked": cards.marked_html, "is_editor": bool(actor and records.EDITORS in actor.groups)}


@bp.get("/")
@login_required
def overview() -> ResponseReturnValue:
    engine = current_engine()
    errors, query = [], Query()
    try:
        query = Query.parse(request.args)
    except InvalidData as refused:
        errors = refused.errors
    results = search(engine, query)
    return render_template("kennisbank/overview.html", results=results, query=query, errors=errors,
                           choices=cards.choices(engine), ended=ENDED, kinds=KINDS,
                           view=cards.Vocabulary(engine)), 400 if errors else 200


@bp.get("/dossiers/<instance_id>")
@login_required
def card(instance_id: str) -> ResponseReturnValue:
    engine = current_engine()
    found = cards.card(engine, instance_id)
    return render_template("kennisbank/card.html", card=found, view=cards.Vocabulary(engine),
                           public=records.is_public(engine, instance_id))


@bp.post("/dossiers/<instance_id>/precedenten")
@login_required
def mark(instance_id: str) -> ResponseReturnValue:
    engine = current_engine()
    _may_mark(engine, instance_id)
    records.mark_precedent(engine, instance_id, request.form.get("precedent", ""), g.actor)
    flash("Het dossier staat nu als precedent bij dit dossier.", "success")
    return _back(instance_id)


@bp.post("/dossiers/<instance_id>/precedenten/<precedent_id>/verwijderen")
@login_required
def unmark(instance_id: str, precedent_id: str) -> ResponseReturnValue:
    engine = current_engine()
    _may_mark(engine, instance_id)
    records.unmark_precedent(engine, instance_id, precedent_id, g.actor)
    flash("Het precedent is losgekoppeld.", "success")
    return _back(instance_id)


def _may_mark(engine: Engine, instance_id: str) -> None:
    """The secretariaat, or whoever has a task of the dossier in view (the officials exploring it)."""
    if records.EDITORS in g.actor.groups:
        return
    if not engine.query.tasks(instance_id=instance_id, visible_to=g.actor, limit=1):
        abort(403, "Alleen wie aan dit dossier werkt, kan er precedenten bij aanduiden.")


def _back(instance_id: str) -> ResponseReturnValue:
    target = request.form.get("terug", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return redirect(target)
    return redirect(url_for("kennisbank.card", instance_id=instance_id))


@bp.post("/dossiers/<instance_id>/openbaar")
@editors_only
def publish(instance_id: str) -> ResponseReturnValue:
    engine = current_engine()
    if request.form.get("openbaar") == "ja":
        records.publish(engine, instance_id, g.actor)
        flash("De samenvatting staat nu in de openbare kennisbank.", "success")
    else:
        records.withdraw(engine, instance_id, g.actor)
        flash("De samenvatting is uit de openbare kennisbank gehaald.", "success")
    return redirect(url_for("kennisbank.card", instance_id=instance_id))


@bp.get("/loketten")
@login_required
def loketten() -> ResponseReturnValue:
    engine = current_engine()
    return render_template("kennisbank/loketten.html", loketten=records.loketten(engine), errors=[],
                           view=cards.Vocabulary(engine), entered={})


@bp.post("/loketten")
@bp.post("/loketten/<int:loket_id>")
@editors_only
def save_loket(loket_id: int | None = None) -> ResponseReturnValue:
    engine = current_engine()
    try:
        records.save_loket(engine, g.actor, request.form.to_dict(), loket_id)
    except InvalidData as refused:
        return render_template("kennisbank/loketten.html", loketten=records.loketten(engine), errors=refused.errors,
                               view=cards.Vocabulary(engine), entered=request.form, editing=loket_id), 400
    flash("Het loket is bewaard.", "success")
    return redirect(url_for("kennisbank.loketten"))


@bp.post("/loketten/<int:loket_id>/verwijderen")
@editors_only
def delete_loket(loket_id: int) -> ResponseReturnValue:
    records.delete_loket(current_engine(), g.actor, loket_id)
    flash("Het loket is verwijderd.", "success")
    return redirect(url_for("kennisbank.loketten"))
