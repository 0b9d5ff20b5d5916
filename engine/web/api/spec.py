"""The API described once. Each operation's path, parameters, body schema and responses drive both the
request validation and the OpenAPI 3.1 document at /api/v1/openapi.json, so the two cannot drift."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, current_app, request
from jsonschema import Draft202012Validator

from engine.services import Actor
from engine.web.api import jsontext
from engine.web.api.problems import API_VERSION, PROBLEM_TYPE, BadInput, Invalid, schema_errors
from engine.web.inputs import text_problem, text_problems

SCHEMAS: dict[str, dict] = {}
TEXT = {"type": "string", "maxLength": 200, "pattern": "^[^\\u0000]*$"}
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
PATH_TEXT = {**TEXT, "maxLength": 100}


def component(name: str, schema: dict) -> dict:
    """Register a named schema in the document's components and return a reference to it."""
    SCHEMAS[name] = schema
    return ref(name)


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required: Iterable[str] | None = None, **extra) -> dict:
    """An object schema; every property is required unless ``required`` says otherwise."""
    return {"type": "object", "properties": properties,
            "required": list(properties if required is None else required), "additionalProperties": False, **extra}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict
    description: str
    location: str = "query"


@dataclass(frozen=True)
class Call:
    """What a handler gets: who calls, the validated query parameters and body."""

    actor: Actor | None
    query: dict[str, Any]
    body: Any


@dataclass
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    handler: Callable
    params: list[Param]
    body: dict | None
    multipart: dict | None
    ok: tuple[int, dict | None]
    errors: tuple[int, ...]
    public: bool
    links: dict[str, tuple[str, str]]
    validator: Draft202012Validator | None = field(default=None, repr=False)


class Routes:
    """The operations of one concern (one tag in the document)."""

    def __init__(self, tag: str, description: str) -> None:
        self.tag, self.description = tag, description
        self.operations: list[Operation] = []

    def operation(self, method: str, path: str, summary: str, *, params: Iterable[Param] = (),
                  body: dict | None = None, multipart: dict | None = None,
                  ok: tuple[int, dict | None] = (200, None), errors: Iterable[int] = (),
                  public: bool = False, path_schemas: dict[str, dict] | None = None,
                  links: dict[str, tuple[str, str]] | None = None) -> Callable:
        """Declare an operation; path parameters are text unless ``path_schemas`` says otherwise.
        ``links`` (OpenAPI links: name → operationId, runtime expression for its ``id``) tell clients
        and Schemathesis where the next call's identifier comes from."""
        def register(handler: Callable) -> Callable:
            path_params = [Param(n, (path_schemas or {}).get(n, PATH_TEXT), n, "path")
                           for n in re.findall(r"{(\w+)}", path)]
            self.operations.append(Operation(
                method, path, _camel(handler.__name__), summary, self.tag, handler, [*path_params, *params], body,
                multipart, ok, tuple(errors), public, links or {}))
            return handler
        return register


def _rule(op: Operation, operations: list[Operation]) -> str:
    """The Flask rule. A numeric path parameter beside a fixed segment of an equally long path
    (``/deployment/{id}`` beside ``/deployment/create``) matches digits only, so the fixed path keeps its
    own methods (and Allow header); elsewhere a wrong identifier reaches validation and is named in a 400."""
    numeric = {p.name for p in op.params if p.location == "path" and p.schema.get("type") == "integer"}
    parts = op.path.split("/")
    for i, part in enumerate(parts):
        name = part[1:-1] if part.startswith("{") else None
        siblings = {o.path.split("/")[i] for o in operations
                    if o.path.split("/")[:i] == op.path.split("/")[:i] and o.path.count("/") == op.path.count("/")}
        fixed = name in numeric and any(not s.startswith("{") for s in siblings)
        parts[i] = f"<int:{name}>" if fixed else f"<{name}>" if name else part
    return "/".join(parts)


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


class Api:
    def __init__(self, title: str, description: str, routes: Iterable[Routes],
                 authenticate: Callable[[str], Actor | None]) -> None:
        """``authenticate`` gets the request's Authorization header and answers who calls, or None."""
        self.title, self.description = title, description
        self.routes = list(routes)
        self.authenticate = authenticate
        self.operations = [op for r in self.routes for op in r.operations]

    def blueprint(self, name: str, url_prefix: str) -> Blueprint:
        blueprint = Blueprint(name, __name__, url_prefix=url_prefix)
        for op in self.operations:
            rule = _rule(op, self.operations)
            op.validator = Draft202012Validator({**op.body, "components": {"schemas": SCHEMAS}}) if op.body else None
            blueprint.add_url_rule(rule, op.operation_id, self._view(op), methods=[op.method])
        return blueprint

    def _view(self, op: Operation) -> Callable:
        def view(**path_values: str) -> Response:
            actor = None if op.public else self._actor()
            problems: list[Invalid] = []
            path = _parsed(op.params, "path", {k: str(v) for k, v in path_values.items()}, problems)
            query = _parsed(op.params, "query", request.args, problems)
            body = self._body(op, problems)
            if problems:
                raise BadInput(f"{len(problems)} ongeldige invoer(en)", problems)
            return _response(op, op.handler(Call(actor, query, body), **path))
        return view

    def _actor(self) -> Actor:
        actor = self.authenticate(request.headers.get("Authorization", ""))
        if actor is None:
            raise Unauthorized()
        return actor

    def _body(self, op: Operation, problems: list[Invalid]) -> Any:
        if op.multipart is not None:
            return request.files
        if op.body is None:
            return None
        raw = request.get_data(cache=False)
        if not raw.strip():
            value: Any = {}
        elif not request.is_json:
            problems.append(Invalid("body", "verwacht Content-Type application/json"))
            return None
        else:
            try:
                value = jsontext.loads(raw)
            except ValueError as error:
                problems.append(Invalid("body", f"geen geldige JSON: {error}"))
                return None
        problems += schema_errors(list(op.validator.iter_errors(value)), "body")
        problems += [Invalid(f"body{p}", f"tekst {reason}") for p, reason in text_problems(value)]
        return value

    def document(self) -> dict:
        paths: dict[str, dict] = {}
        for op in self.operations:
            paths.setdefault(op.path, {})[op.method.lower()] = _describe(op)
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": API_VERSION, "description": self.description},
            "servers": [{"url": "/api/v1"}],
            "tags": [{"name": r.tag, "description": r.description} for r in self.routes if r.operations],
            "security": [{"bearer": []}, {"basic": []}],
            "paths": paths,
            "components": {
                "schemas": SCHEMAS | {"Problem": PROBLEM_SCHEMA},
                "securitySchemes": {"bearer": {
                    "type": "http", "scheme": "bearer",
                    "description": "Een API-token (gros_…), gemaakt met `gros token create`."},
                    "basic": {"type": "http", "scheme": "basic",
                              "description": "Gebruikersnaam en wachtwoord van een account, zoals Camunda "
                                             "Modeler en Camunda 7-clients aanmelden."}},
                "headers": {"API-Version": {"description": "Versie van de API (semver).", "required": True,
                                            "schema": {"type": "string", "example": API_VERSION}}},
            },
        }


class Unauthorized(Exception):
    pass


PROBLEM_SCHEMA = obj({
    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
    "detail": {"type": "string"}, "instance": {"type": "string"}, "message": {"type": "string"},
    "invalidParams": {"type": "array", "items": obj({"name": {"type": "string"}, "reason": {"type": "string"}})},
}, required=["type", "title", "status"])

ERROR_TEXT = {400: "Ongeldige invoer; invalidParams noemt elke fout.",
              401: "Geen of ongeldig API-token of wachtwoord.",
              403: "Het account van het token mag dit niet.", 404: "Niet gevonden.",
              409: "De taak of instantie laat dit nu niet toe.", 422: "Geen eenduidig doel."}


def _describe(op: Operation) -> dict:
    status, schema = op.ok
    responses = {str(status): _ok_response(schema)}
    if op.links:
        responses[str(status)]["links"] = {name: {"operationId": target, "parameters": {"id": expression}}
                                           for name, (target, expression) in op.links.items()}
    errors = set(op.errors) | ({400} if op.params or op.body or op.multipart else set())
    errors |= set() if op.public else {401}
    for code in sorted(errors):
        responses[str(code)] = {"description": ERROR_TEXT[code], "headers": _headers(),
                                "content": {PROBLEM_TYPE: {"schema": ref("Problem")}}}
    described: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.tag],
                                 "responses": responses}
    if op.params:
        described["parameters"] = [{"name": p.name, "in": p.location, "required": p.location == "path",
                                    "description": p.description, "schema": p.schema} for p in op.params]
    if op.body is not None:
        described["requestBody"] = {"required": False, "content": {"application/json": {"schema": op.body}}}
    if op.multipart is not None:
        described["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": op.multipart}}}
    if op.public:
        described["security"] = []
    return described


def _ok_response(schema: dict | None) -> dict:
    response = {"description": "Gelukt.", "headers": _headers()}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    return response


def _headers() -> dict:
    return {"API-Version": {"$ref": "#/components/headers/API-Version"}}


def _parsed(params: list[Param], location: str, raw: Any, problems: list[Invalid]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for param in (p for p in params if p.location == location):
        text = raw.get(param.name)
        if text is None:
            continue
        value, reason = _converted(text, param.schema)
        if reason is None:
            errors = schema_errors(list(Draft202012Validator(param.schema).iter_errors(value)))
            reason = errors[0].reason if errors else None
        if reason is None and text_problem(text):
            reason = f"tekst {text_problem(text)}"
        if reason is None:
            values[param.name] = value
        else:
            problems.append(Invalid(param.name, reason))
    return values


def _converted(text: str, schema: dict) -> tuple[Any, str | None]:
    kind = schema.get("type")
    if kind == "integer":
        return (int(text), None) if re.fullmatch(r"-?\d{1,19}", text) else (None, "verwacht een geheel getal")
    if kind == "boolean":
        return (text == "true", None) if text in ("true", "false") else (None, "verwacht true of false")
    return text, None


def _response(op: Operation, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    status = op.ok[0]
    if result is None:
        return current_app.response_class(status=204)
    return current_app.response_class(json.dumps(result, ensure_ascii=False, default=str), status,
                                      mimetype="application/json")
