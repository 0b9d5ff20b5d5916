"""Reading a form-js schema (a Camunda Form ``.form`` file) into a FormDefinition.

Anything the server could not enforce the way the browser does is refused with FormSchemaError.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from .model import FieldRule, FormDefinition, FormSchemaError, finite_decimal

_INPUT_TYPES = {
    "textfield": "string",
    "textarea": "string",
    "number": "number",
    "checkbox": "boolean",
    "radio": "enum",
    "select": "enum",
    "checklist": "list",
    "taglist": "list",
    "datetime": None,  # date, time or datetime by subtype
}
_DISPLAY_TYPES = frozenset(
    {"text", "html", "image", "spacer", "separator", "iframe", "table", "documentPreview", "button"}
)
_VALIDATE_KEYS = {
    "textfield": frozenset({"required", "minLength", "maxLength", "pattern", "validationType"}),
    "textarea": frozenset({"required", "minLength", "maxLength"}),
    "number": frozenset({"required", "min", "max"}),
}
_DATETIME_SUBTYPES = ("date", "time", "datetime")


# json's own messages (English) in the words a process owner reads; the rest keeps json's text.
_JSON_MESSAGES = (
    ("Expecting value", "hier verwacht de JSON een waarde"),
    ("Expecting property name enclosed in double quotes", "een sleutel staat niet tussen dubbele aanhalingstekens"),
    ("Expecting ',' delimiter", "er ontbreekt een komma"),
    ("Expecting ':' delimiter", "er ontbreekt een dubbele punt"),
    ("Unterminated string", "een tekst wordt niet afgesloten"),
    ("Invalid control character", "een tekst bevat een regeleinde of tab; schrijf \\n of \\t"),
    ("Invalid \\escape", "ongeldige escape (\\) in een tekst"),
    ("Illegal trailing comma", "een komma vóór het sluitende haakje"),
    ("Extra data", "na het formulier staat nog tekst"),
)

Positions = Callable[[Any], int | None]


def load_camunda_form(text: str, filename: str) -> FormDefinition:
    """Parse and check a Camunda Form (``.form``) file; a refusal names the line of the component."""
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as error:
        reason = next((dutch for english, dutch in _JSON_MESSAGES if error.msg.startswith(english)), error.msg)
        raise FormSchemaError(filename, f"geen geldige JSON ({reason}, regel {error.lineno}, kolom {error.colno})",
                              error.lineno) from None
    try:
        return read_schema(schema, filename, "camunda-form")
    except FormSchemaError:
        # Counting lines needs json's pure-Python decoder, several times slower than json.loads: only a refusal
        # pays for it, by reading the text again with lines, which refuses the same way but names the line.
        with_lines, line_of = _with_lines(text)
        return read_schema(with_lines, filename, "camunda-form", line_of)


def read_schema(schema: Any, filename: str, source: str, line_of: Positions = lambda _: None) -> FormDefinition:
    """Rules for a form-js schema already read from JSON; ``filename`` names it in every refusal, ``line_of``
    the line where a JSON object of it starts (None when it was not read from text)."""
    if not isinstance(schema, dict):
        raise FormSchemaError(filename, "het formulier is geen JSON-object", line_of(schema))
    form_id = schema.get("id")
    if not isinstance(form_id, str) or not form_id:
        raise FormSchemaError(filename, "het formulier heeft geen 'id'", line_of(schema))
    if not isinstance(schema.get("components"), list):
        raise FormSchemaError(filename, "'components' is geen lijst", line_of(schema), form_id)
    rules = _SchemaReader(filename, line_of).read(schema["components"], "", _Scope())
    return FormDefinition(form_id, tuple(rules), schema, source)


def _with_lines(text: str) -> tuple[Any, Positions]:
    """The JSON value of ``text`` and, for each object in it, the line where its ``{`` stands."""
    starts: dict[int, int] = {}
    objects: list[dict] = []  # keeps every object alive, so its id() stays its own

    def parse_object(string_and_end, *args):
        found, end = json.decoder.JSONObject(string_and_end, *args)
        starts[id(found)] = string_and_end[1] - 1
        objects.append(found)
        return found, end

    decoder = json.JSONDecoder()
    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    value = decoder.decode(text)
    return value, lambda node: text.count("\n", 0, starts[id(node)]) + 1 if id(node) in starts else None


@dataclass(frozen=True)
class _Where:
    """A component's place in the file, for error messages."""

    filename: str
    number: str
    name: str
    type: Any
    line: int | None = None
    element: str | None = None

    def error(self, detail: str) -> FormSchemaError:
        return FormSchemaError(self.filename, f"onderdeel {self.number} ({self.name!r}) van type {self.type!r}: "
                                              f"{detail}", self.line, self.element)


@dataclass(frozen=True)
class _Scope:
    """Where components bind their keys: the data path, inherited hide conditions, keys in use."""

    path: tuple[str, ...] = ()
    hidden_when: tuple[str, ...] = ()
    keys: dict[str, str] = field(default_factory=dict)  # full key -> component number

    def claim(self, key: tuple[str, ...], where: _Where) -> str:
        full = ".".join(self.path + key)
        for taken, number in self.keys.items():
            if full == taken or full.startswith(taken + ".") or taken.startswith(full + "."):
                raise where.error(f"sleutel {full!r} botst met sleutel {taken!r} van onderdeel {number}")
        self.keys[full] = where.number
        return full


class _SchemaReader:
    def __init__(self, filename: str, line_of: Positions) -> None:
        self.filename = filename
        self.line_of = line_of

    def read(self, components: Any, number: str, scope: _Scope) -> list[FieldRule]:
        rules: list[FieldRule] = []
        for index, component in enumerate(components, 1):
            if not isinstance(component, dict):
                raise FormSchemaError(self.filename, f"onderdeel {number}{index} is geen JSON-object")
            name = next((component[k] for k in ("label", "dateLabel", "key", "id") if component.get(k)), "")
            element = next((str(component[k]) for k in ("id", "key") if component.get(k)), None)
            where = _Where(self.filename, f"{number}{index}", str(name), component.get("type"),
                           self.line_of(component), element)
            rules += self._component(component, where, scope)
        return rules

    def _component(self, component: dict, where: _Where, scope: _Scope) -> list[FieldRule]:
        kind = component.get("type")
        scope = replace(scope, hidden_when=scope.hidden_when + _hide_condition(component, where))
        if kind in _DISPLAY_TYPES:
            return []
        if kind == "group":
            path = _key_path(component, "path", where) if component.get("path") else ()
            return self._children(component, where, replace(scope, path=scope.path + path))
        if kind == "dynamiclist":
            return [self._rows(component, where, scope)]
        if kind in _INPUT_TYPES:
            return [_input_rule(component, where, scope)]
        raise where.error("dat type wordt niet ondersteund")

    def _children(self, component: dict, where: _Where, scope: _Scope) -> list[FieldRule]:
        children = component.get("components")
        if not isinstance(children, list):
            raise where.error("'components' is geen lijst")
        return self.read(children, where.number + ".", scope)

    def _rows(self, component: dict, where: _Where, scope: _Scope) -> FieldRule:
        key = scope.claim(_key_path(component, "path", where), where)
        items = self._children(component, where, _Scope())
        return FieldRule(
            key=key,
            label=component.get("label") or key,
            type="rows",
            hidden_when=scope.hidden_when,
            item_fields=tuple(items),
        )


def _input_rule(component: dict, where: _Where, scope: _Scope) -> FieldRule:
    kind = _field_type(component, where)
    validate = _validate_block(component, where)
    key = scope.claim(_key_path(component, "key", where), where)
    label = component.get("label") or component.get("dateLabel") or component.get("timeLabel") or key
    return FieldRule(
        key=key,
        label=label,
        type=kind,
        required=validate.get("required") is True,
        min_length=_count(validate, "minLength", where),
        max_length=_count(validate, "maxLength", where),
        minimum=_number(validate, "min", where),
        maximum=_number(validate, "max", where),
        pattern=_pattern(validate, where),
        options=_options(component, where) if kind in ("enum", "list") else None,
        readonly=component.get("readonly") is True or component.get("disabled") is True,
        multiple=kind == "list",
        validation_type=_validation_type(validate, where),
        decimal_digits=_count(component, "decimalDigits", where) if kind == "number" else None,
        increment=_increment(component, where) if kind == "number" else None,
        no_past_dates=kind in ("date", "datetime") and component.get("disallowPassedDates") is True,
        hidden_when=scope.hidden_when,
    )


def _field_type(component: dict, where: _Where) -> str:
    kind = _INPUT_TYPES[component["type"]]
    if kind:
        return kind
    subtype = component.get("subtype")
    if subtype not in _DATETIME_SUBTYPES:
        raise where.error(f"subtype {subtype!r} is niet een van {', '.join(_DATETIME_SUBTYPES)}")
    return subtype


def _validate_block(component: dict, where: _Where) -> dict[str, Any]:
    validate = component.get("validate") or {}
    if not isinstance(validate, dict):
        raise where.error("'validate' is geen object")
    validate = {name: value for name, value in validate.items() if value is not None}
    unsupported = sorted(validate.keys() - _VALIDATE_KEYS.get(component["type"], {"required"}))
    if unsupported:
        raise where.error(f"validate.{unsupported[0]} wordt daarvoor niet ondersteund")
    return validate


def _key_path(component: dict, prop: str, where: _Where) -> tuple[str, ...]:
    key = component.get(prop)
    parts = tuple(key.split(".")) if isinstance(key, str) else ()
    if not parts or not all(part.strip() for part in parts):
        raise where.error(f"{prop} {key!r} is geen geldige sleutel")
    return parts


def _hide_condition(component: dict, where: _Where) -> tuple[str, ...]:
    conditional = component.get("conditional") or {}
    if not isinstance(conditional, dict):
        raise where.error("'conditional' is geen object")
    hide = conditional.get("hide")
    if hide is not None and not isinstance(hide, str):
        raise where.error(f"conditional.hide {hide!r} is geen expressie")
    return (hide,) if hide else ()


def _number(source: dict, name: str, where: _Where) -> Decimal | None:
    value = source.get(name)
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else value
    literal = text[1:].strip() if isinstance(text, str) and text.startswith("=") else text
    number = finite_decimal(literal)
    if number is not None:
        return number
    if literal is not text:
        raise where.error(f"{name} {value!r} is een expressie die de server niet kan uitrekenen")
    raise where.error(f"{name} {value!r} is geen getal")


def _count(source: dict, name: str, where: _Where) -> int | None:
    number = _number(source, name, where)
    if number is None:
        return None
    if number < 0 or number != number.to_integral_value():
        raise where.error(f"{name} {source[name]!r} is geen geheel getal van minstens 0")
    return int(number)


def _increment(component: dict, where: _Where) -> Decimal | None:
    increment = _number(component, "increment", where)
    if increment is not None and increment <= 0:
        raise where.error(f"increment {component['increment']!r} is niet groter dan 0")
    return increment


def _pattern(validate: dict, where: _Where) -> str | None:
    pattern = validate.get("pattern")
    if pattern is None or pattern == "":
        return None
    if not isinstance(pattern, str):
        raise where.error(f"pattern {pattern!r} is geen tekst")
    try:
        re.compile(pattern, re.ASCII)
    except re.error as error:
        raise where.error(f"pattern {pattern!r} is geen geldige reguliere expressie ({error})") from None
    return pattern


def _validation_type(validate: dict, where: _Where) -> str | None:
    kind = validate.get("validationType")
    if kind in ("email", "phone"):
        return kind
    if kind in (None, "", "custom"):  # custom means: validate.pattern
        return None
    raise where.error(f"validationType {kind!r} is niet email, phone of custom")


def _options(component: dict, where: _Where) -> tuple[Any, ...] | None:
    if "valuesKey" in component or "valuesExpression" in component:
        return None
    values = component.get("values")
    if not isinstance(values, list):
        raise where.error("er zijn geen values, valuesKey of valuesExpression")
    options = tuple(entry.get("value") if isinstance(entry, dict) else None for entry in values)
    if any(isinstance(option, dict | list) or option is None for option in options):
        raise where.error("een van de values heeft geen gewone 'value'")
    return options

