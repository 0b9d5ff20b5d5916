"""Errors as RFC 9457 problem details (``application/problem+json``), with every invalid input named
in ``invalidParams`` as the Dutch API Design Rules ask. Shared by the REST API and the webhooks."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass

from flask import Response, request
from jsonschema import ValidationError
from werkzeug.exceptions import HTTPException, default_exceptions

from engine.errors import CommandError

PROBLEM_TYPE = "application/problem+json"
API_VERSION = "1.0.0"


@dataclass(frozen=True)
class Invalid:
    name: str
    reason: str

    def json(self) -> dict:
        return {"name": self.name, "reason": self.reason}


class BadInput(Exception):
    """Input broke the documented rules: 400 naming every problem at once."""

    status = 400
    title = "Ongeldige invoer"

    def __init__(self, detail: str, invalid: list[Invalid]) -> None:
        super().__init__(detail)
        self.invalid = invalid


def problem_body(status: int, title: str, detail: str | None = None, invalid: list[Invalid] = (),
                 instance: str | None = None) -> dict:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    # Camunda 7's error body is {type, message}; its clients (Camunda Modeler's deploy dialog) show ``message``.
    body["message"] = _message(title, detail, invalid)
    body["instance"] = instance or request.path
    if invalid:
        body["invalidParams"] = [item.json() for item in invalid]
    return body


def _message(title: str, detail: str | None, invalid: list[Invalid]) -> str:
    lines = [f"{title}: {detail}" if detail else title]
    named = (f"{item.name}: {item.reason}" if item.name else item.reason for item in invalid)
    lines += [line for line in named if line not in (detail or "")]
    return "\n".join(lines)


def problem(status: int, title: str, detail: str | None = None, invalid: list[Invalid] = (),
            headers: dict | None = None) -> Response:
    text = json.dumps(problem_body(status, title, detail, invalid), ensure_ascii=False)
    return Response(text, status, headers={**(headers or {}), "API-Version": API_VERSION}, mimetype=PROBLEM_TYPE)


# Werkzeug's own titles and descriptions are English; a client reads these instead.
HTTP_TEXTS = {
    400: ("Ongeldig verzoek", "het verzoek kon niet worden gelezen"),
    401: ("Niet aangemeld", "meld je aan om dit te gebruiken"),
    403: ("Niet toegestaan", "je hebt hier geen toegang toe"),
    404: ("Niet gevonden", "dit adres bestaat niet"),
    405: ("Methode niet toegestaan", "deze HTTP-methode kan op dit adres niet"),
    406: ("Niet aanvaardbaar", "dit antwoordformaat kan hier niet"),
    413: ("Te groot", "het verzoek is te groot"),
    415: ("Inhoudstype niet ondersteund", "dit inhoudstype wordt hier niet aanvaard"),
    429: ("Te veel verzoeken", "probeer het straks opnieuw"),
}


def http_problem(error: HTTPException) -> Response:
    """An HTTP error raised before or outside a view (unknown path, wrong method, too large), in Dutch;
    a description of our own (``abort(404, '…')``) is kept."""
    allow = error.get_response().headers.get("Allow")
    title, detail = HTTP_TEXTS.get(error.code, (error.name, error.description))
    builtin = default_exceptions.get(error.code)
    if builtin is not None and error.description != builtin.description:
        detail = error.description
    return problem(error.code or 500, title, detail, headers={"Allow": allow} if allow else None)


def from_command_error(error: CommandError) -> Response:
    """An engine refusal, with the form fields or deployment problems it names."""
    invalid = [Invalid(e.key, f"{e.label}: {e.message}" if e.label else e.message)
               for e in getattr(error, "errors", [])]
    invalid += [_deploy_problem(p) for p in getattr(error, "problems", [])]
    return problem(error.status, error.title, str(error), invalid)


def _deploy_problem(item) -> Invalid:
    if isinstance(item, str):
        return Invalid("", item)
    place = ":".join(str(part) for part in (item.file, item.line) if part)
    return Invalid(f"{place} {item.element or ''}".strip(), item.message)


_DUTCH = {
    "type": "verwacht type {expected}",
    "enum": "toegelaten waarden: {expected}",
    "const": "moet {expected} zijn",
    "minLength": "minstens {expected} tekens",
    "maxLength": "hoogstens {expected} tekens",
    "minimum": "minstens {expected}",
    "maximum": "hoogstens {expected}",
    "pattern": "voldoet niet aan het patroon {expected}",
    "minProperties": "minstens {expected} velden",
    "maxProperties": "hoogstens {expected} velden",
    "minItems": "minstens {expected} elementen",
    "maxItems": "hoogstens {expected} elementen",
    "anyOf": "past bij geen van de toegelaten vormen",
    "oneOf": "past niet bij precies één van de toegelaten vormen",
    "propertyNames": "ongeldige naam",
}


def schema_errors(errors: list[ValidationError], base: str = "") -> list[Invalid]:
    """JSON Schema errors as invalid params: the JSON pointer of the offending value and a Dutch reason;
    a missing or unknown field is named itself."""
    found = [Invalid(base + pointer or "/", reason) for e in errors for pointer, reason in _named(e)]
    return sorted(found, key=lambda i: i.name)


def _named(error: ValidationError) -> list[tuple[str, str]]:
    path = "".join("/" + _escaped(part) for part in error.absolute_path)
    if error.validator == "required":
        return [(f"{path}/{_escaped(_missing(error))}", "is verplicht")]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return [(f"{path}/{_escaped(name)}", "onbekend veld") for name in extra]
    return [(path, _reason(error))]


def _escaped(part) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _missing(error: ValidationError) -> str:
    # jsonschema names the missing property only in its message: "'name' is a required property".
    return str(ast.literal_eval(error.message.removesuffix(" is a required property")))


def _reason(error: ValidationError) -> str:
    template = _DUTCH.get(error.validator)
    if template is None:
        return error.message
    expected = error.validator_value
    if error.validator == "type" and isinstance(expected, list):
        expected = " of ".join(expected)
    return template.format(expected=expected)
