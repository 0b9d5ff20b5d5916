"""What every ``gros`` subcommand shares: reading ``--var`` pairs, opening the engine, who acts,
printing results (text or ``--json``) and turning a refused command into a message and exit 1."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from engine import wiring
from engine.clock import FixedClock, parse_instant
from engine.errors import CommandError, InvalidData
from engine.services import Actor, Engine


def parse_vars(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``name=value`` pairs; a value that is valid JSON is read as JSON, otherwise as a string."""
    result: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"'{pair}' is geen naam=waarde")
        try:
            result[name] = json.loads(value)
        except json.JSONDecodeError:
            result[name] = value
    return result


def open_engine(now: str | None = None) -> Engine:
    clock = FixedClock(parse_instant(now)) if now else None
    return wiring.open_engine(clock=clock)


def actor(user: str | None, groups: str | None) -> Actor:
    if not user:
        raise click.UsageError("--user is verplicht voor deze opdracht")
    return Actor.of(user, (groups or "").split(","))


# Without --user, start and correlate run as the operator at the server: already trusted with the
# database and with deploying. With --user/--groups they get the same rule as every other door.
OPERATOR = Actor("cli", system=True)


def acting(user: str | None, groups: str | None) -> Actor:
    return Actor.of(user, (groups or "").split(",")) if user else OPERATOR


def refusals(function: Callable) -> Callable:
    """A refused command prints what is wrong and exits 1; never a traceback."""

    @wraps(function)
    def wrapper(*args, **kwargs):
        as_json = kwargs.get("as_json", False)
        try:
            return function(*args, **kwargs)
        except CommandError as error:
            details = [str(p) for p in getattr(error, "problems", [])]
            details += [f"{e.label or e.key}: {e.message}" for e in getattr(error, "errors", [])]
            if as_json:
                click.echo(json.dumps({"error": type(error).__name__, "title": error.title,
                                       "detail": str(error), "errors": details}, ensure_ascii=False))
            else:
                click.echo(f"Geweigerd: {error}", err=True)
                if isinstance(error, InvalidData):
                    for line in details:
                        click.echo(f"  - {line}", err=True)
            sys.exit(1)

    return wrapper


def emit(as_json: bool, data: Any, text: Callable[[], str]) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str) if as_json else text())


json_option = click.option("--json", "as_json", is_flag=True, help="Uitvoer als JSON, voor scripts.")
now_option = click.option("--now", help="Doe alsof het dit ISO 8601-tijdstip is (timers gaan erop af).")
user_options = [
    click.option("--user", help="Wie handelt (komt in de audittrail; diens groepen bepalen wat mag)."),
    click.option("--groups", help="Groepen van die gebruiker, gescheiden door komma's."),
]


def with_user(function: Callable) -> Callable:
    for option in reversed(user_options):
        function = option(function)
    return function


def task_json(task) -> dict:
    return {
        "id": task.id, "name": task.name, "element_id": task.element_id, "instance_id": task.instance_id,
        "business_key": task.business_key, "candidate_groups": task.candidate_groups,
        "candidate_users": task.candidate_users, "assignee": task.assignee,
        "due_at": task.due_at.isoformat() if task.due_at else None, "created_at": task.created_at.isoformat(),
    }


def instance_json(engine: Engine, instance) -> dict:
    versions = {d.id: d.version for d in engine.repository.definitions(instance.definition_key)}
    return {
        "id": instance.id, "business_key": instance.business_key, "definition_key": instance.definition_key,
        "version": versions.get(instance.definition_id), "status": instance.status,
        "waiting_at": instance.waiting_at, "title": instance.title,
        "started_at": instance.started_at.isoformat(),
        "ended_at": instance.ended_at.isoformat() if instance.ended_at else None,
    }
