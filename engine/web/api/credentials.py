"""Who calls the API: an API token (``Authorization: Bearer gros_…``) or, as Camunda 7 REST clients and
Camunda Modeler send it, an account's username and password (``Authorization: Basic …``)."""

from __future__ import annotations

import base64
import binascii

from engine.accounts import authenticate
from engine.services import Actor, Engine
from engine.web.api.tokens import actor_for_token


def actor_for_authorization(engine: Engine, header: str) -> Actor | None:
    """The actor an ``Authorization`` header stands for; None when it is missing or wrong."""
    scheme, _, credentials = header.partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    if scheme == "bearer":
        return actor_for_token(engine, credentials)
    if scheme == "basic":
        username, password = _basic(credentials)
        return authenticate(engine, username, password) if username else None
    return None


def _basic(credentials: str) -> tuple[str, str]:
    try:
        text = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    username, separator, password = text.partition(":")
    return (username, password) if separator and "\x00" not in text else ("", "")
