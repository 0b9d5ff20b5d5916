"""The "Koppelingen" page: the secretariaat makes and revokes API tokens, manages the subscribers
of outbound events and requeues received webhooks given up on; management and the secretariaat see
received webhooks with their outcome, the inbox's health and any subscriber that was paused. A new
token or secret is shown once, in the response, never stored."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine import accounts
from engine.errors import CommandError, InvalidData
from engine.forms import FieldError
from engine.gros.groups import ADMINISTRATORS
from engine.web import add_nav, current_engine
from engine.web.api.access import OVERSEERS
from engine.web.api.tokens import create_token, list_tokens, revoke_token
from engine.web.auth import groups_required
from webhooks import admin
from webhooks.events import EVENT_TYPES

bp = Blueprint("koppelingen", __name__, template_folder="templates", url_prefix="/beheer/koppelingen")
MANAGERS = tuple(sorted(ADMINISTRATORS))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, "Koppelingen", "koppelingen.overview", tuple(sorted(OVERSEERS)))


@bp.get("")
@groups_required(*OVERSEERS)
def overview() -> ResponseReturnValue:
    return _page()


@bp.post("/tokens")
@groups_required(*MANAGERS)
def new_token() -> ResponseReturnValue:
    username, name = request.form.get("gebruiker", "").strip(), request.form.get("naam", "").strip()
    errors = _required(("gebruiker", "Account", username), ("naam", "Naam van het token", name))
    if not errors:
        try:
            info, token = create_token(current_engine(), username, name, g.actor.user)
        except CommandError as refused:
            errors = [FieldError("gebruiker", "Account", str(refused))]
        else:
            return _page(shown=(f"API-token '{info.name}' voor {info.username}", token))
    return _page(errors=errors), 400


@bp.post("/tokens/<int:token_id>/intrekken")
@groups_required(*MANAGERS)
def revoke(token_id: int) -> ResponseReturnValue:
    revoke_token(current_engine(), token_id, g.actor.user)
    flash("Het token is ingetrokken; het geeft geen toegang meer.", "success")
    return redirect(url_for("koppelingen.overview"))


@bp.post("/abonnees")
@groups_required(*MANAGERS)
def new_subscriber() -> ResponseReturnValue:
    form = request.form
    name, url = form.get("abonnee", "").strip(), form.get("url", "").strip()
    errors = _required(("abonnee", "Naam", name), ("url", "Adres (URL)", url))
    if not errors:
        try:
            _, secret = admin.add_subscriber(current_engine(), name, url, form.getlist("events"), g.actor.user)
        except InvalidData as refused:
            errors = refused.errors
        except CommandError as refused:  # the name is taken
            errors = [FieldError("abonnee", "Naam", str(refused))]
        else:
            return _page(shown=(f"Ondertekeningsgeheim van abonnee {name}", secret))
    return _page(errors=errors), 400


@bp.post("/abonnees/<name>/hervatten")
@groups_required(*MANAGERS)
def resume(name: str) -> ResponseReturnValue:
    try:
        count = admin.resume_subscriber(current_engine(), name)
    except CommandError:
        abort(404)
    flash(f"{name} is hervat; {count} event(s) worden opnieuw afgeleverd.", "success")
    return redirect(url_for("koppelingen.overview"))


@bp.post("/webhooks/<int:message_id>/opnieuw")
@groups_required(*MANAGERS)
def requeue(message_id: int) -> ResponseReturnValue:
    try:
        admin.requeue_failed(current_engine(), g.actor.user, message_id)
    except CommandError:
        abort(404)
    flash("Het event staat opnieuw in de wachtrij; de worker probeert het meteen opnieuw.", "success")
    return redirect(url_for("koppelingen.overview"))


def _page(errors: list[FieldError] | None = None, shown: tuple[str, str] | None = None) -> str:
    engine = current_engine()
    return render_template(
        "koppelingen/overview.html", errors=errors or [], shown=shown, tokens=list_tokens(engine),
        people=[person.username for person, _ in accounts.accounts(engine) if person.active],
        subscribers=admin.subscribers(engine), deliveries=admin.deliveries(engine, limit=50),
        inbox=admin.inbox_health(engine), failed=admin.failed_events(engine),
        event_types=EVENT_TYPES, can_manage=bool(g.actor.groups & set(MANAGERS)))


def _required(*fields: tuple[str, str, str]) -> list[FieldError]:
    return [FieldError(key, label, f"Vul {label.lower()} in.") for key, label, value in fields if not value]
