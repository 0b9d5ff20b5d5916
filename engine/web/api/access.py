"""Who may do what through the API. Task rules are the inbox's (the engine enforces claim and complete
for candidates and assignees); reading everything and operating on instances is for overseers."""

from __future__ import annotations

from flask import current_app

from engine.errors import Forbidden
from engine.services import Actor, Engine

OVERSEERS = frozenset({"management", "secretariaat"})
EXTENSION = "gros.engine"


def current_engine() -> Engine:
    return current_app.extensions[EXTENSION]


def is_overseer(actor: Actor) -> bool:
    return bool(actor.groups & OVERSEERS)


def require_overseer(actor: Actor) -> None:
    if not is_overseer(actor):
        raise Forbidden("alleen management of het secretariaat mag dit")
