"""Session cookie settings, a CSRF token on every form, and the security headers on every response."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from flask import Blueprint, Flask, Response, current_app, request, session
from werkzeug.exceptions import BadRequest

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class CsrfError(BadRequest):
    description = "Het formulier is verlopen of kwam niet van deze site. Laad de pagina opnieuw en probeer nog eens."


# Applied before the environment and the factory's config, which may override them.
SESSION_SETTINGS = {
    "SESSION_COOKIE_NAME": "gros_sessie",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
}


def init_app(app: Flask) -> None:
    app.before_request(_check_csrf)
    app.after_request(_add_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token


def csrf_token() -> str:
    """This session's token; forms carry it in a hidden field, scripts in the X-CSRF-Token header."""
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return session[CSRF_FIELD]


def csrf_exempt(blueprint: Blueprint) -> Blueprint:
    """For blueprints that authenticate every request themselves (API tokens, signed webhooks)."""
    blueprint.csrf_exempt = True
    return blueprint


def _check_csrf() -> None:
    if request.method in SAFE_METHODS or exempt():
        return
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = session.get(CSRF_FIELD)
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfError()


def exempt() -> bool:
    """Whether this request goes to a part that authenticates every request itself (API, webhooks)."""
    blueprints = current_app.blueprints
    if request.url_rule is None:  # no route matched (unknown path, wrong method): judge by URL prefix
        return any(getattr(b, "csrf_exempt", False) and b.url_prefix and request.path.startswith(b.url_prefix + "/")
                   for b in blueprints.values())
    return any(getattr(blueprints.get(name), "csrf_exempt", False) for name in request.blueprints)


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
