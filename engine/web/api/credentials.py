"""Who calls the API: an API token (``Authorization: Bearer gros_…``) or, as Camunda 7 REST clients and
Camunda Modeler send it, an account's username and password (``Authorization: Basic …``) — throttled as
the login form is (engine/web/throttle.py), so the API is no side door for guessing passwords."""

from __future__ import annotations

import base64
import binascii

from flask import request

from engine.accounts import authenticate
from engine.services import Actor, Engine
from engine.web import throttle
from engine.web.api.tokens import actor_for_token


class Throttled(Exception):
    """Too many failed Basic logins for this account or address: answered 429 with the wait."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"te veel mislukte aanmeldingen; probeer het over {wait} seconden opnieuw")
        self.wait = wait


def actor_for_authorization(engine: Engine, header: str) -> Actor | None:
    """The actor an ``Authorization`` header stands for; None when it is missing or wrong."""
    scheme, _, credentials = header.partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if scheme == "bearer":
        return actor_for_token(engine, credentials)
    if scheme == "basic":
        username, password = _basic(credentials)
        return _password_login(engine, username, password) if username else None
    return None


def _password_login(engine: Engine, username: str, password: str) -> Actor | None:
    """As the login form: refused unseen while a wait runs, every failure counted, a success starts over."""
    key, address = username.strip().lower(), request.remote_addr or "onbekend"
    wait = throttle.wait_seconds(engine, key, address)
    if wait:
        raise Throttled(wait)
    actor = authenticate(engine, username, password)
    if actor is None:
        throttle.failed(engine, key, address)
    elif throttle.has_failures(engine, key, address):
        throttle.succeeded(engine, key, address)
    return actor


def _basic(credentials: str) -> tuple[str, str]:
    try:
        text = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    username, separator, password = text.partition(":")
    return (username, password) if separator and "\x00" not in text else ("", "")
