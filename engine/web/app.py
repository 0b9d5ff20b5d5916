"""The web application factory: one Flask app, one blueprint per concern, every change to workflow
state through the engine's commands.

Settings come from the environment (``settings_from_env``) and can be overridden by the ``config``
given to ``create_app`` (tests pass ``GROS_ENGINE``: an engine opened on their own database and clock).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from importlib import import_module
from typing import Any

from flask import Flask

from engine import web
from engine.store.db import database_url
from engine.web import display, errors, security
from engine.wiring import open_engine

# The parts of the web app, in order. Each module's ``init_app(app)`` registers its blueprint(s) and
# whatever else it needs (navigation links, CSRF exemption, a background worker); the engine they all
# share is ``app.extensions["gros.engine"]`` (``engine.web.current_engine()`` inside a request).
PARTS: list[str] = [
    "engine.web.auth",
    "engine.web.inbox",
    "engine.web.intake",
    "engine.web.admin",
    "engine.web.planning",
    "engine.web.privacy",
    "engine.web.monitor",
    "engine.web.kennisbank",
    "engine.web.api",
    "engine.web.notifications",
    "engine.web.schakel",
    "webhooks",
]

MIN_SECRET_KEY = 32
TRUE = {"1", "true", "ja", "yes", "on"}


class ConfigurationError(RuntimeError):
    """The app cannot start safely with these settings."""


def settings_from_env(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    return {
        "SECRET_KEY": environ.get("GROS_SECRET_KEY") or None,
        "GROS_DATABASE_URL": environ.get("GROS_DATABASE_URL") or database_url(),
        "GROS_DEMO": environ.get("GROS_DEMO", "").strip().lower() in TRUE,
    }


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(security.SESSION_SETTINGS)
    app.config.from_mapping(settings_from_env())
    app.config.update(config or {})
    _check_secret_key(app)
    app.extensions["gros.engine"] = app.config.get("GROS_ENGINE") or open_engine(app.config["GROS_DATABASE_URL"])
    web.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    display.init_app(app)
    for name in PARTS:
        import_module(name).init_app(app)
    return app


def _check_secret_key(app: Flask) -> None:
    """Production refuses to start without a real key; demo mode makes one for this run."""
    key = app.config.get("SECRET_KEY")
    if key and len(key) >= MIN_SECRET_KEY:
        return
    if not app.config["GROS_DEMO"]:
        raise ConfigurationError(
            f"GROS_SECRET_KEY ontbreekt of is korter dan {MIN_SECRET_KEY} tekens. Zet een willekeurige geheime "
            "sleutel, bv. met: python3 -c 'import secrets; print(secrets.token_hex(32))' (of GROS_DEMO=1 voor "
            "een demo op deze machine)."
        )
    app.config["SECRET_KEY"] = secrets.token_hex(32)
