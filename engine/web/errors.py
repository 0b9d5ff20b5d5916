"""Every refusal and failure becomes a Dutch page with the right status; unexpected errors are logged
with a reference the official can pass on, never swallowed."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import Flask, current_app, render_template, request
from werkzeug.exceptions import HTTPException, default_exceptions

from engine.errors import CommandError

TITLES = {
    400: "Ongeldig verzoek",
    401: "Niet ingelogd",
    403: "Niet toegestaan",
    404: "Niet gevonden",
    405: "Niet toegestaan op deze manier",
    409: "Conflict",
    413: "Te groot",
    500: "Er ging iets mis",
}
MESSAGES = {
    403: "Je hebt geen toegang tot deze pagina.",
    404: "Deze pagina bestaat niet (meer).",
    405: "Deze pagina kan zo niet gebruikt worden.",
    413: "Wat je verstuurde is te groot.",
}


def init_app(app: Flask) -> None:
    app.register_error_handler(CommandError, _refused)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def handle_under(app: Flask, prefix: str, handler: Callable[[HTTPException], object]) -> None:
    """Let a part answer HTTP errors that happen before any of its views run (unknown path, wrong method,
    too large) under its own path prefix, e.g. as problem+json, instead of with the Dutch pages."""
    app.extensions.setdefault("gros.error_prefixes", []).append((prefix, handler))


def _refused(error: CommandError):
    return _page(error.status, error.title, str(error), getattr(error, "errors", []))


def _http_error(error: HTTPException):
    for prefix, handler in current_app.extensions.get("gros.error_prefixes", []):
        if request.path.startswith(prefix):
            return handler(error)
    builtin = default_exceptions.get(error.code)
    own_words = builtin is None or error.description != builtin.description
    message = error.description if own_words else MESSAGES.get(error.code, "")
    return _page(error.code or 500, TITLES.get(error.code, error.name), message)


def _unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return _http_error(error)
    reference = uuid.uuid4().hex[:8]
    current_app.logger.exception("onverwachte fout (referentie %s)", reference)
    return _page(500, TITLES[500], f"Dit is niet jouw fout. Geef referentie {reference} door aan het secretariaat.")


def _page(status: int, title: str, message: str, errors: list | None = None):
    return render_template("error.html", status=status, title=title, message=message, errors=errors or []), status
