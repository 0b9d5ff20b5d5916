"""What every blueprint of the web app shares: the engine it talks to and the navigation it joins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from flask import Flask, current_app, g, request
from markupsafe import Markup

from engine.forms import FieldError
from engine.services import Engine
from engine.web import inputs


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    groups: frozenset[str] | None  # None: every logged-in user


def current_engine() -> Engine:
    return current_app.extensions["gros.engine"]


def add_nav(app: Flask, label: str, endpoint: str, groups: tuple[str, ...] | None = None) -> None:
    """Put a link in the main navigation, for everyone or only for members of ``groups``."""
    app.extensions.setdefault("gros.nav", []).append(
        NavItem(label, endpoint, frozenset(groups) if groups is not None else None))


def add_panel(app: Flask, place: str, render: Callable[..., str]) -> None:
    """Let a part add a panel to another part's page: that page asks ``panels(place, **context)``."""
    app.extensions.setdefault("gros.panels", []).append((place, render))


def nav_items(app: Flask, groups: frozenset[str]) -> list[NavItem]:
    return [item for item in app.extensions.get("gros.nav", []) if item.groups is None or item.groups & groups]


def init_app(app: Flask) -> None:
    inputs.init_app(app)

    @app.context_processor
    def navigation() -> dict:
        actor = g.get("actor")
        return {"nav": nav_items(app, actor.groups) if actor else [], "panels": partial(_panels, app)}


def _panels(app: Flask, place: str, **context) -> list[Markup]:
    return [Markup(render(**context)) for at, render in app.extensions.get("gros.panels", []) if at == place]


def posted_variables() -> dict:
    """The JSON object a form-js form posted in its page form's ``variables`` field."""
    return inputs.json_object(request.form.get("variables", ""), FieldError(
        "formulier", "Formulier", "De ingevulde gegevens konden niet gelezen worden; probeer opnieuw."))
