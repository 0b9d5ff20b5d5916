"""Camunda's typed variables (``{"naam": {"value": …, "type": "String"}}``) in and out of the API.
The engine keeps plain JSON values; the declared type is checked on the way in and inferred on the way
out."""

from __future__ import annotations

import json
from typing import Any

from engine.derived import variable_type
from engine.web.api import jsontext
from engine.web.api.problems import Invalid
from engine.web.api.spec import component, ref

_VALUE_SCHEMAS = {
    "String": {"type": ["string", "null"]},
    "Boolean": {"type": ["boolean", "null"]},
    "Short": {"type": ["integer", "null"], "minimum": -(2**15), "maximum": 2**15 - 1},
    "Integer": {"type": ["integer", "null"], "minimum": -(2**31), "maximum": 2**31 - 1},
    "Long": {"type": ["integer", "null"], "minimum": -(2**63), "maximum": 2**63 - 1},
    "Double": {"type": ["number", "null"]},
    "Date": {"type": ["string", "null"]},
    "Null": {"type": "null"},
    "Json": {"type": ["string", "object", "array", "null"]},
    "Object": {},
}

VARIABLE_NAME = {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]{0,99}$"}
VARIABLE_VALUE = component("VariableValue", {
    "type": "object",
    "description": "Een waarde met haar Camunda-type; zonder type wordt het type afgeleid.",
    "properties": {"value": {}, "type": {"enum": [*_VALUE_SCHEMAS, *map(str.lower, _VALUE_SCHEMAS)]},
                   "valueInfo": {"type": ["object", "null"]}},
    "required": ["value"],
    "additionalProperties": False,
    # Camunda reads the type name in any case; its JavaScript client sends it in lower case.
    "allOf": [{"if": {"properties": {"type": {"enum": [name, name.lower()]}}, "required": ["type"]},
               "then": {"properties": {"value": schema}}} for name, schema in _VALUE_SCHEMAS.items()],
})
VARIABLES = component("Variables", {
    "type": "object", "maxProperties": 200, "propertyNames": VARIABLE_NAME,
    "additionalProperties": ref("VariableValue"),
})
# Camunda's withVariablesInReturn, accepted as clients send it by default (false); read variables separately.
NO_VARIABLES_RETURNED = {"type": "boolean", "const": False}
STORED_VARIABLES = component("StoredVariables", {"type": "object", "additionalProperties": ref("VariableValue")})


def plain(typed: dict[str, dict], where: str) -> tuple[dict[str, Any], list[Invalid]]:
    """The values of schema-valid typed variables; a Json text that is not JSON is named as invalid."""
    values: dict[str, Any] = {}
    problems: list[Invalid] = []
    for name, item in typed.items():
        value = item["value"]
        if str(item.get("type")).lower() == "json" and isinstance(value, str):
            try:
                value = jsontext.loads(value)
            except ValueError as error:
                problems.append(Invalid(f"{where}/{name}/value", f"geen geldige JSON: {error}"))
                continue
        values[name] = value
    return values, problems


def typed(values: dict[str, Any]) -> dict[str, dict]:
    """Camunda's typed values; a Json value travels as JSON text, as Camunda sends it."""
    return {name: _typed(value, variable_type(value)) for name, value in values.items()}


def _typed(value: Any, kind: str) -> dict:
    return {"value": json.dumps(value, ensure_ascii=False) if kind == "Json" else value, "type": kind, "valueInfo": {}}
