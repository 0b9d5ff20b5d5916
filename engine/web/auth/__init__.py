"""Logging in and out, and who is logged in: every request knows its actor (user and current groups)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import wraps
from urllib.parse import unquote

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from engine.accounts import account, actor_for, authenticate
from engine.forms import FieldError
from engine.gros.groups import DEPLOYERS, OVERSEERS, WITHOUT_TASKS
from engine.web import current_engine, throttle

bp = Blueprint("auth", __name__, template_folder="templates")
WRONG_LOGIN = "Onbekende gebruikersnaam of verkeerd wachtwoord."


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.before_app_request
def load_actor() -> None:
    g.actor = None
    username = session.get("user")
    if request.endpoint == "static" or not username:
        return
    g.actor = actor_for(current_engine(), username)
    if g.actor is None:  # deactivated since logging in
        session.clear()


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.actor is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def groups_required(*groups: str) -> Callable[[Callable], Callable]:
    """Only members of one of ``groups`` get past; others get 403."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not g.actor.groups & set(groups):
                abort(403)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorate


@bp.route("/inloggen", methods=("GET", "POST"))
def login() -> ResponseReturnValue:
    if request.method == "GET":
        return _login_page([], 200)
    username = request.form.get("gebruikersnaam", "").strip().lower()
    password = request.form.get("wachtwoord", "")
    errors = _missing(username, password)
    if errors:
        return _login_page(errors, 400)
    engine, address = current_engine(), request.remote_addr or "onbekend"
    wait = throttle.wait_seconds(engine, username, address)
    if wait:  # refused without looking at the password: guessing on during the wait gains nothing
        message = f"Te veel mislukte pogingen; probeer het over {wait} seconden opnieuw."
        page, status = _login_page([FieldError("gebruikersnaam", "Gebruikersnaam", message)], 429)
        return page, status, {"Retry-After": str(wait)}
    if authenticate(engine, username, password) is None:
        throttle.failed(engine, username, address)
        return _login_page([FieldError("gebruikersnaam", "Gebruikersnaam", WRONG_LOGIN)], 400)
    throttle.succeeded(engine, username, address)
    return _log_in(username)


def _login_page(errors: list[FieldError], status: int) -> tuple[str, int]:
    return render_template("auth/login.html", errors=errors, next=request.values.get("next", "")), status


@bp.post("/uitloggen")
def logout() -> ResponseReturnValue:
    session.clear()
    flash("Je bent uitgelogd.", "success")
    return redirect(url_for("auth.login"))


def _missing(username: str, password: str) -> list[FieldError]:
    errors = []
    if not username:
        errors.append(FieldError("gebruikersnaam", "Gebruikersnaam", "Vul je gebruikersnaam in."))
    if not password:
        errors.append(FieldError("wachtwoord", "Wachtwoord", "Vul je wachtwoord in."))
    return errors


def _log_in(username: str) -> ResponseReturnValue:
    found, groups = account(current_engine(), username)
    target = _safe_next(request.form.get("next", ""))
    session.clear()  # a fresh session (and CSRF token) after logging in
    session.permanent = True
    session["user"] = username
    session["name"] = found.display_name
    return redirect(target or url_for(landing(frozenset(groups))))


def landing(groups: frozenset[str]) -> str:
    """The page a person starts on: officials at their tasks, management at the monitor, process owners
    at the processes."""
    if groups - WITHOUT_TASKS:
        return "inbox.mine"
    if groups & OVERSEERS:
        return "monitor.overview"
    if groups & DEPLOYERS:
        return "monitor.process_list"
    return "inbox.mine"


def _safe_next(target: str) -> str | None:
    """Only a path on this site, never another host (open redirect), however disguised: '//' or '\\'
    (also percent-encoded), a scheme, or tabs, spaces and other characters a browser drops or reads
    as a separator (``/%09/evil.example`` arrives as '/\t/evil.example', a browser goes to '//evil.example')."""
    path = unquote(target.partition("?")[0])
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    if any(unicodedata.category(character)[0] in "CZ" for character in target):
        return None
    return target
