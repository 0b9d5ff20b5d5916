"""Who may do what through the API. Task rules are the inbox's (the engine enforces claim and complete
for candidates and assignees); reading everything and operating on instances is for overseers; deploying
is for process owners (``procesbeheer``), who draw the models."""

from __future__ import annotations

from flask import current_app

from engine.errors import Forbidden
from engine.services import Actor, Engine

OVERSEERS = frozenset({"management", "secretariaat"})
DEPLOYERS = frozenset({"procesbeheer"})
EXTENSION = "gros.engine"


def current_engine() -> Engine:
    return current_app.extensions[EXTENSION]


def is_overseer(actor: Actor) -> bool:
    return bool(actor.groups & OVERSEERS)


def require_overseer(actor: Actor) -> None:
    if not is_overseer(actor):
        raise Forbidden("alleen management of het secretariaat mag dit")


def require_deployer(actor: Actor) -> None:
    if not actor.groups & DEPLOYERS:
        raise Forbidden("alleen procesbeheer mag deployen")


def require_deployments_reader(actor: Actor) -> None:
    """Deployments are read by who deploys (Camunda Modeler's connection check) and by overseers."""
    if not actor.groups & (DEPLOYERS | OVERSEERS):
        raise Forbidden("alleen procesbeheer, management of het secretariaat ziet de deployments")
