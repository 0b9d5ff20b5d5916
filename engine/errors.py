"""Refusals a command gives. Each names what is wrong; none leaves anything half-written."""

from __future__ import annotations


class CommandError(Exception):
    status = 400
    title = "Ongeldige opdracht"


class NotFound(CommandError):
    status = 404
    title = "Niet gevonden"


class Forbidden(CommandError):
    status = 403
    title = "Niet toegestaan"


class Conflict(CommandError):
    """The instance or task is not in a state that allows this (already done, claimed, suspended)."""

    status = 409
    title = "Conflict"


class NoMatch(CommandError):
    """A message found no waiting instance, or more than one."""

    status = 422
    title = "Geen eenduidig doel"


class InvalidData(CommandError):
    """Submitted data broke the task's form rules; ``errors`` lists every field at once."""

    status = 400
    title = "Ongeldige gegevens"

    def __init__(self, message: str, errors: list) -> None:
        super().__init__(message)
        self.errors = errors


class DeployRefused(CommandError):
    """A deployment named its problems; ``problems`` carries file, line, element and reason."""

    title = "Deployment geweigerd"

    def __init__(self, problems: list) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
