"""Embedded ``camunda:formData`` fields, turned into a form-js schema so one code path reads both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import FormDefinition, FormSchemaError, finite_decimal
from .schema import read_schema

_FORM_DATA_NAME = "camunda:formData"


def form_from_form_data(fields: list[dict[str, Any]], form_id: str = "formData") -> FormDefinition:
    """Rules for embedded ``camunda:formData`` fields.

    Each field is a dict with id, label, type (string, long, boolean, date, enum), default_value,
    options [(id, name), ...] for enums and validation {constraint name: config}. Dates are ISO
    ``YYYY-MM-DD`` as the browser's date input sends them.
    """
    components = [_form_field_component(spec, number) for number, spec in enumerate(fields, 1)]
    schema = {
        "type": "default",
        "id": form_id,
        "components": components,
        "executionPlatform": "Camunda Platform",
    }
    return read_schema(schema, _FORM_DATA_NAME, "form-data")


_FORM_DATA_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "textfield"},
    "long": {"type": "number", "decimalDigits": 0},
    "boolean": {"type": "checkbox"},
    "date": {"type": "datetime", "subtype": "date"},
    "enum": {"type": "select"},
}
_FORM_DATA_CONSTRAINTS = {
    "required": "required",
    "minlength": "minLength",
    "maxlength": "maxLength",
    "min": "min",
    "max": "max",
}


def _form_field_component(spec: Mapping[str, Any], number: int) -> dict[str, Any]:
    def fail(detail: str) -> FormSchemaError:
        return FormSchemaError(_FORM_DATA_NAME, f"veld {number} ({spec.get('id')!r}) {detail}")

    kind = spec.get("type")
    if kind not in _FORM_DATA_TYPES:
        raise fail(f"heeft type {kind!r}, en dat is niet een van {', '.join(_FORM_DATA_TYPES)}")
    component: dict[str, Any] = {
        **_FORM_DATA_TYPES[kind],
        "id": f"Field_{spec.get('id')}",
        "key": spec.get("id"),
        "label": spec.get("label") or spec.get("id"),
    }
    validate: dict[str, Any] = {}
    for name, config in (spec.get("validation") or {}).items():
        if name == "readonly":
            component["readonly"] = True
        elif name in _FORM_DATA_CONSTRAINTS:
            validate[_FORM_DATA_CONSTRAINTS[name]] = True if name == "required" else config
        else:
            raise fail(f"heeft beperking {name!r}, die de server niet kan controleren")
    if validate:
        component["validate"] = validate
    if kind == "enum":
        component["values"] = [{"label": name, "value": option} for option, name in spec.get("options") or []]
    default = _form_data_default(kind, spec.get("default_value"))
    if default is not None:
        component["defaultValue"] = default
    return component


def _form_data_default(kind: str, raw: Any) -> Any:
    """The default for the viewer; Camunda expressions (${...}) cannot be shown, so they are left out."""
    if not isinstance(raw, str) or "${" in raw or "#{" in raw:
        return None
    if kind == "boolean":
        return raw.strip().lower() == "true"
    if kind == "long":
        number = finite_decimal(raw)
        return int(number) if number is not None and number == number.to_integral_value() else None
    return raw

