"""User administration for the secretariaat: add officials, set their groups, reset a password,
deactivate an account. Accounts are not workflow state; they change through engine.accounts."""

from __future__ import annotations

import re

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine import accounts
from engine.forms import FieldError
from engine.gros.groups import ADMINISTRATORS, GROUPS
from engine.web import add_nav, current_engine
from engine.web.auth import groups_required

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/beheer")
ADMINS = tuple(sorted(ADMINISTRATORS))
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TEXT_LENGTH = 200  # the columns of a display name and an e-mail address


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, "Gebruikers", "admin.users", ADMINS)


@bp.get("/gebruikers")
@groups_required(*ADMINS)
def users() -> ResponseReturnValue:
    return render_template("admin/users.html", people=accounts.accounts(current_engine()), groups=GROUPS)


@bp.route("/gebruikers/nieuw", methods=("GET", "POST"))
@groups_required(*ADMINS)
def new_user() -> ResponseReturnValue:
    errors: list[FieldError] = []
    if request.method == "POST":
        form = request.form
        errors = _new_user_errors(form) + _password_errors(form.get("wachtwoord", ""), required=True)
        errors += _group_errors(form.getlist("groepen"))
        if not errors:
            username = form["gebruikersnaam"].strip()
            accounts.create_account(current_engine(), username, form["wachtwoord"], form.getlist("groepen"),
                           form.get("naam", "").strip() or None, form.get("email", "").strip() or None)
            flash(f"Gebruiker {username} is aangemaakt.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/new_user.html", errors=errors, groups=GROUPS), 400 if errors else 200


@bp.route("/gebruikers/<username>", methods=("GET", "POST"))
@groups_required(*ADMINS)
def edit_user(username: str) -> ResponseReturnValue:
    engine = current_engine()
    found = accounts.account(engine, username)
    if found is None:
        abort(404)
    person, current_groups = found
    errors: list[FieldError] = []
    if request.method == "POST":
        groups, active = request.form.getlist("groepen"), "actief" in request.form
        password = request.form.get("wachtwoord", "")
        errors = _group_errors(groups) + _password_errors(password, required=False)
        errors += _self_lockout_errors(username, groups, active)
        if not errors:
            accounts.set_groups(engine, username, groups)
            accounts.set_active(engine, username, active)
            if password:
                accounts.set_password(engine, username, password)
            flash(f"Gebruiker {username} is bijgewerkt.", "success")
            return redirect(url_for("admin.users"))
        current_groups = groups
    return render_template("admin/edit_user.html", person=person, member_of=current_groups, errors=errors,
                           groups=GROUPS), 400 if errors else 200


def _new_user_errors(form) -> list[FieldError]:
    errors = []
    username, email = form.get("gebruikersnaam", "").strip(), form.get("email", "").strip()
    if not accounts.USERNAME.match(username):
        errors.append(FieldError("gebruikersnaam", "Gebruikersnaam",
                                 "Gebruik 2 tot 100 kleine letters, cijfers, punten, streepjes of lage streepjes."))
    elif accounts.account(current_engine(), username) is not None:
        errors.append(FieldError("gebruikersnaam", "Gebruikersnaam", f"De gebruikersnaam {username} bestaat al."))
    if email and not EMAIL.match(email):
        errors.append(FieldError("email", "E-mailadres", "Geef een geldig e-mailadres, bv. naam@voorbeeld.be."))
    errors += [FieldError(key, label, f"Hoogstens {TEXT_LENGTH} tekens.")
               for key, label in (("naam", "Volledige naam"), ("email", "E-mailadres"))
               if len(form.get(key, "").strip()) > TEXT_LENGTH]
    return errors


def _password_errors(password: str, required: bool) -> list[FieldError]:
    if (password or required) and len(password) < accounts.MIN_PASSWORD:
        message = f"Een wachtwoord heeft minstens {accounts.MIN_PASSWORD} tekens."
        return [FieldError("wachtwoord", "Wachtwoord", message)]
    return []


def _group_errors(groups: list[str]) -> list[FieldError]:
    unknown = [group for group in groups if group not in GROUPS]
    if unknown:
        return [FieldError("groepen", "Groepen", f"Onbekende groep: {', '.join(unknown)}.")]
    if not groups:
        return [FieldError("groepen", "Groepen", "Kies minstens één groep.")]
    return []


def _self_lockout_errors(username: str, groups: list[str], active: bool) -> list[FieldError]:
    """Nobody removes their own way back into this page."""
    if username == g.actor.user and (not active or not set(groups) & set(ADMINS)):
        return [FieldError("groepen", "Groepen", "Je kunt jezelf niet deactiveren of uit het secretariaat halen.")]
    return []
