"""Who may do what through the API. Task rules are the inbox's (the engine enforces claim and complete
for candidates and assignees); reading everything and operating on instances is for overseers; managing
subscribers for administrators; deploying for process owners (``procesbeheer``) — the groups
``engine.gros.groups`` names, asked through the engine's roles so every door applies the same rule."""

from __future__ import annotations

from flask import current_app

from engine.errors import Forbidden
from engine.gros.groups import OVERSEERS
from engine.services import Actor, Engine

__all__ = ["OVERSEERS", "current_engine", "is_overseer", "require_administrator", "require_deployer",
           "require_deployments_reader", "require_overseer"]
EXTENSION = "gros.engine"


def current_engine() -> Engine:
    return current_app.extensions[EXTENSION]


def is_overseer(actor: Actor) -> bool:
    return current_engine().roles.oversees(actor)


def require_overseer(actor: Actor) -> None:
    if not is_overseer(actor):
        raise Forbidden("alleen management of het secretariaat mag dit")


def require_administrator(actor: Actor) -> None:
    """The web's rule for the same action (deploy, webhook subscribers): one rule, both doors."""
    current_engine().roles.require_administrator(actor)


def require_deployer(actor: Actor) -> None:
    """The repository service refuses anyone else too; asking first answers before the upload is read."""
    current_engine().roles.require_deployer(actor)


def require_deployments_reader(actor: Actor) -> None:
    """Deployments are read by who deploys (Camunda Modeler's connection check) and by overseers."""
    roles = current_engine().roles
    if not (roles.deploys(actor) or roles.oversees(actor)):
        raise Forbidden("alleen procesbeheer, management of het secretariaat ziet de deployments")
