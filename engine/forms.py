"""Server-side rules for user task forms.

Two kinds of form reach the engine: Camunda Forms (``camunda:formRef`` to a ``.form`` file with the
bpmn.io form-js schema) and embedded ``camunda:formData`` fields. Both become a ``FormDefinition``
whose ``FieldRule``s repeat the rules the form-js viewer enforces in the browser, so that
``validate_submission`` can refuse what the browser would refuse before the engine sees the data.
formData fields are first turned into a form-js schema, so one viewer renders both kinds and one
code path derives the rules.

Loading fails with ``FormSchemaError`` on anything the server could not enforce the same way the
browser does (unknown component types, custom validation, FEEL expressions in validation bounds),
rather than silently accepting more than the form allows.

Choices where the server cannot know what the browser knows:

* ``conditional.hide`` is evaluated for a small FEEL subset (comparisons, ``and``/``or``/``not()``,
  literals) over submitted values of unconditional form fields. A field found hidden is dropped, as
  form-js drops it. When a condition falls outside that subset or reads anything else (process
  variables, fields that are themselves conditional), the field is treated as optional: it is not
  required, but a submitted value still has to satisfy its other rules.
* Options from ``valuesKey``/``valuesExpression`` come from process data at run time, so any value is
  accepted for such fields.
* ``readonly`` and ``disabled`` fields are ignored in submissions, but ``readonly`` counts only when it
  is literally ``true``: a field with a FEEL ``readonly`` expression is accepted as editable.
* Submissions use the nested shape form-js submits: a field with key ``adres.straat`` (or inside a
  group with path ``adres``) is read from ``{"adres": {"straat": ...}}`` and returned the same way.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "FieldError",
    "FieldRule",
    "FormDefinition",
    "FormSchemaError",
    "form_from_form_data",
    "load_camunda_form",
    "validate_submission",
]

REQUIRED = "Dit veld is verplicht."
UNKNOWN_FIELD = "Onbekend veld."
NOT_AN_OPTION = "Kies een van de toegelaten waarden."
NO_PATTERN_MATCH = "Voldoet niet aan het verwachte patroon."
NOT_A_NUMBER = "Geen geldig getal."
NOT_AN_INTEGER = "Geen geheel getal."
NOT_A_DATE = "Geen geldige datum."
NOT_A_TIME = "Geen geldig tijdstip."
NOT_AN_EMAIL = "Geen geldig e-mailadres."
NOT_A_PHONE = "Geen geldig internationaal telefoonnummer (bv. +32470123456)."
NOT_TEXT = "Geen geldige tekst."
FIXED = "Staat vast (alleen-lezen) en kan hier niet worden gewijzigd."
NOT_YES_NO = "Geen geldige ja/nee-waarde."
NOT_A_LIST = "Geen geldige lijst."
PASSED_DATE = "Kies een datum vanaf vandaag."

_FORM_DATA_NAME = "camunda:formData"

# The browser's email check (WHATWG "valid e-mail address").
_EMAIL = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
# International numbers as form-js asks for them: + or 00, country code, subscriber number.
_PHONE = re.compile(r"^(?:\+|00)[1-9][0-9]{6,14}$")

_ISO_FORMATS: dict[str, tuple[re.Pattern[str], Callable[[str], Any], str]] = {
    "date": (re.compile(r"\d{4}-\d{2}-\d{2}"), date.fromisoformat, NOT_A_DATE),
    "datetime": (
        re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?"),
        datetime.fromisoformat,
        NOT_A_DATE,
    ),
    "time": (re.compile(r"\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?"), time.fromisoformat, NOT_A_TIME),
}

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


class FormSchemaError(Exception):
    """A form file or formData block the server cannot enforce; the message names file and component."""


@dataclass(frozen=True)
class FieldRule:
    """What one form field accepts.

    ``type`` is one of string, number, boolean, date, datetime, time, enum, list (several options)
    or rows (a form-js dynamic list, whose rows follow ``item_fields``). ``hidden_when`` holds the
    FEEL ``conditional.hide`` expressions of the field and of the groups around it.
    """

    key: str
    label: str
    type: str
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    pattern: str | None = None
    options: tuple[Any, ...] | None = None
    readonly: bool = False
    multiple: bool = False
    validation_type: str | None = None  # email | phone
    decimal_digits: int | None = None
    increment: Decimal | None = None
    no_past_dates: bool = False
    hidden_when: tuple[str, ...] = ()
    item_fields: tuple[FieldRule, ...] = ()


@dataclass(frozen=True)
class FormDefinition:
    form_id: str
    fields: tuple[FieldRule, ...]
    schema: dict[str, Any]  # form-js schema for the browser viewer
    source: str  # camunda-form | form-data


@dataclass(frozen=True)
class FieldError:
    key: str
    label: str
    message: str


# --- loading -------------------------------------------------------------------------------------


def load_camunda_form(text: str, filename: str) -> FormDefinition:
    """Parse and check a Camunda Form (``.form``) file."""
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as error:
        raise FormSchemaError(f"{filename}: not valid JSON ({error.msg}, line {error.lineno})") from None
    return _read_schema(schema, filename, "camunda-form")


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
    return _read_schema(schema, _FORM_DATA_NAME, "form-data")


def _read_schema(schema: Any, filename: str, source: str) -> FormDefinition:
    if not isinstance(schema, dict):
        raise FormSchemaError(f"{filename}: the form is not a JSON object")
    form_id = schema.get("id")
    if not isinstance(form_id, str) or not form_id:
        raise FormSchemaError(f"{filename}: the form has no 'id'")
    if not isinstance(schema.get("components"), list):
        raise FormSchemaError(f"{filename}: 'components' is not a list")
    rules = _SchemaReader(filename).read(schema["components"], "", _Scope())
    return FormDefinition(form_id, tuple(rules), schema, source)


@dataclass(frozen=True)
class _Where:
    """A component's place in the file, for error messages."""

    filename: str
    number: str
    name: str
    type: Any

    def error(self, detail: str) -> FormSchemaError:
        return FormSchemaError(
            f"{self.filename}: component {self.number} ({self.name!r}) has type {self.type!r} but {detail}"
        )


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
                raise where.error(f"key {full!r} clashes with key {taken!r} of component {number}")
        self.keys[full] = where.number
        return full


class _SchemaReader:
    def __init__(self, filename: str) -> None:
        self.filename = filename

    def read(self, components: Any, number: str, scope: _Scope) -> list[FieldRule]:
        rules: list[FieldRule] = []
        for index, component in enumerate(components, 1):
            if not isinstance(component, dict):
                raise FormSchemaError(f"{self.filename}: component {number}{index} is not a JSON object")
            name = next((component[k] for k in ("label", "dateLabel", "key", "id") if component.get(k)), "")
            where = _Where(self.filename, f"{number}{index}", str(name), component.get("type"))
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
        raise where.error("that type is not supported")

    def _children(self, component: dict, where: _Where, scope: _Scope) -> list[FieldRule]:
        children = component.get("components")
        if not isinstance(children, list):
            raise where.error("'components' is not a list")
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
        raise where.error(f"subtype {subtype!r} is not one of {', '.join(_DATETIME_SUBTYPES)}")
    return subtype


def _validate_block(component: dict, where: _Where) -> dict[str, Any]:
    validate = component.get("validate") or {}
    if not isinstance(validate, dict):
        raise where.error("'validate' is not an object")
    validate = {name: value for name, value in validate.items() if value is not None}
    unsupported = sorted(validate.keys() - _VALIDATE_KEYS.get(component["type"], {"required"}))
    if unsupported:
        raise where.error(f"validate.{unsupported[0]} is not supported for it")
    return validate


def _key_path(component: dict, prop: str, where: _Where) -> tuple[str, ...]:
    key = component.get(prop)
    parts = tuple(key.split(".")) if isinstance(key, str) else ()
    if not parts or not all(part.strip() for part in parts):
        raise where.error(f"{prop} {key!r} is not a valid key")
    return parts


def _hide_condition(component: dict, where: _Where) -> tuple[str, ...]:
    conditional = component.get("conditional") or {}
    if not isinstance(conditional, dict):
        raise where.error("'conditional' is not an object")
    hide = conditional.get("hide")
    if hide is not None and not isinstance(hide, str):
        raise where.error(f"conditional.hide {hide!r} is not an expression")
    return (hide,) if hide else ()


def _number(source: dict, name: str, where: _Where) -> Decimal | None:
    value = source.get(name)
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else value
    literal = text[1:].strip() if isinstance(text, str) and text.startswith("=") else text
    number = _decimal(literal)
    if number is not None:
        return number
    if literal is not text:
        raise where.error(f"{name} {value!r} is an expression the server cannot evaluate")
    raise where.error(f"{name} {value!r} is not a number")


def _count(source: dict, name: str, where: _Where) -> int | None:
    number = _number(source, name, where)
    if number is None:
        return None
    if number < 0 or number != number.to_integral_value():
        raise where.error(f"{name} {source[name]!r} is not a whole number of at least 0")
    return int(number)


def _increment(component: dict, where: _Where) -> Decimal | None:
    increment = _number(component, "increment", where)
    if increment is not None and increment <= 0:
        raise where.error(f"increment {component['increment']!r} is not above 0")
    return increment


def _pattern(validate: dict, where: _Where) -> str | None:
    pattern = validate.get("pattern")
    if pattern is None or pattern == "":
        return None
    if not isinstance(pattern, str):
        raise where.error(f"pattern {pattern!r} is not text")
    try:
        re.compile(pattern, re.ASCII)
    except re.error as error:
        raise where.error(f"pattern {pattern!r} is not a valid regular expression ({error})") from None
    return pattern


def _validation_type(validate: dict, where: _Where) -> str | None:
    kind = validate.get("validationType")
    if kind in ("email", "phone"):
        return kind
    if kind in (None, "", "custom"):  # custom means: validate.pattern
        return None
    raise where.error(f"validationType {kind!r} is not email, phone or custom")


def _options(component: dict, where: _Where) -> tuple[Any, ...] | None:
    if "valuesKey" in component or "valuesExpression" in component:
        return None
    values = component.get("values")
    if not isinstance(values, list):
        raise where.error("it has no values, valuesKey or valuesExpression")
    options = tuple(entry.get("value") if isinstance(entry, dict) else None for entry in values)
    if any(isinstance(option, dict | list) or option is None for option in options):
        raise where.error("one of its values has no plain 'value'")
    return options


# --- camunda:formData ----------------------------------------------------------------------------

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
        return FormSchemaError(f"{_FORM_DATA_NAME}: field {number} ({spec.get('id')!r}) {detail}")

    kind = spec.get("type")
    if kind not in _FORM_DATA_TYPES:
        raise fail(f"has type {kind!r}, which is not one of {', '.join(_FORM_DATA_TYPES)}")
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
            raise fail(f"has constraint {name!r}, which the server cannot check")
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
        number = _decimal(raw)
        return int(number) if number is not None and number == number.to_integral_value() else None
    return raw


# --- validation ----------------------------------------------------------------------------------


class _Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_MISSING: Any = object()


def validate_submission(
    form: FormDefinition, data: Mapping[str, Any], current: Mapping[str, Any] | None = None
) -> tuple[dict, list[FieldError]]:
    """Check submitted form data against the form's rules.

    Returns the cleaned values (coerced to the field types, readonly and hidden fields left out, only
    keys that were submitted) and every error at once. Keys the form does not ask for are refused
    with "Onbekend veld." so a client cannot set variables through a form. A non-empty error list
    means the submission must be refused as a whole.

    With ``current`` (the values the form was shown with), a readonly field submitted with another value
    than it shows is refused rather than ignored: such a field shows what the process decided.
    """
    cleaned, errors = _validate_fields(form.fields, data, "")
    if current is not None:
        errors += _changed_readonly(form.fields, data, current)
    return cleaned, errors


def _changed_readonly(
    fields: tuple[FieldRule, ...], data: Mapping[str, Any], current: Mapping[str, Any]
) -> list[FieldError]:
    errors = []
    for rule in fields:
        submitted = _lookup(data, rule.key)
        if not rule.readonly or _is_empty(submitted):
            continue
        shown = _lookup(current, rule.key)
        if shown is _MISSING or str(submitted) != str(shown):
            errors.append(FieldError(rule.key, rule.label, FIXED))
    return errors


def _validate_fields(
    fields: tuple[FieldRule, ...], data: Mapping[str, Any], prefix: str
) -> tuple[dict, list[FieldError]]:
    editable = [rule for rule in fields if not rule.readonly]
    raws = {rule.key: _lookup(data, rule.key) for rule in editable}
    typed, invalid = _coerce_all(editable, raws)
    scope = {rule.key: typed[rule.key] for rule in editable if not rule.hidden_when and rule.key in typed}
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []
    for rule in editable:
        visible = _visibility(rule, scope)
        if visible is False:
            continue
        if rule.type == "rows":
            value, messages = _validate_rows(rule, raws[rule.key], prefix)
            errors += messages
        elif rule.key in invalid:
            value = _MISSING
            errors.append(FieldError(prefix + rule.key, rule.label, invalid[rule.key]))
        else:
            value = typed.get(rule.key, _MISSING)
            messages = _violations(rule, value, required=rule.required and visible is True)
            errors += [FieldError(prefix + rule.key, rule.label, message) for message in messages]
        if value is not _MISSING:
            _store(cleaned, rule.key, value)
    errors += [FieldError(prefix + key, prefix + key, UNKNOWN_FIELD) for key in _unknown_keys(data, fields)]
    return cleaned, errors


def _coerce_all(rules: list[FieldRule], raws: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    typed: dict[str, Any] = {}
    invalid: dict[str, str] = {}
    for rule in rules:
        if rule.type == "rows" or raws[rule.key] is _MISSING:
            continue
        try:
            typed[rule.key] = _COERCERS[rule.type](rule, raws[rule.key])
        except _Invalid as error:
            invalid[rule.key] = error.message
    return typed, invalid


def _validate_rows(rule: FieldRule, raw: Any, prefix: str) -> tuple[Any, list[FieldError]]:
    if raw is _MISSING or raw is None:
        return raw, []
    if not isinstance(raw, list) or not all(isinstance(row, Mapping) for row in raw):
        return _MISSING, [FieldError(prefix + rule.key, rule.label, NOT_A_LIST)]
    rows: list[dict] = []
    errors: list[FieldError] = []
    for index, row in enumerate(raw):
        cleaned, row_errors = _validate_fields(rule.item_fields, row, f"{prefix}{rule.key}.{index}.")
        rows.append(cleaned)
        errors += row_errors
    return rows, errors


def _lookup(data: Mapping[str, Any], key: str) -> Any:
    value: Any = data
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _store(target: dict, key: str, value: Any) -> None:
    *parents, last = key.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def _unknown_keys(data: Mapping[str, Any], fields: tuple[FieldRule, ...]) -> Iterator[str]:
    keys = {rule.key for rule in fields}
    parents = {rule.key.rsplit(".", i)[0] for rule in fields for i in range(1, rule.key.count(".") + 1)}

    def walk(node: Mapping[str, Any], path: str) -> Iterator[str]:
        for name, value in node.items():
            key = f"{path}{name}"
            if key in keys:
                continue
            if key in parents and isinstance(value, Mapping):
                yield from walk(value, key + ".")
            else:
                yield key

    return walk(data, "")


# --- coercion: browser values to engine values ---------------------------------------------------


def _is_empty(value: Any) -> bool:
    return value is _MISSING or value is None or value == "" or value == [] or value is False


def _as_text(rule: FieldRule, raw: Any) -> str | None:
    if raw is not None and not isinstance(raw, str):
        raise _Invalid(NOT_TEXT)
    return raw


def _as_number(rule: FieldRule, raw: Any) -> int | float | None:
    if raw is None or raw == "":
        return None
    text = raw.strip().replace(",", ".") if isinstance(raw, str) else raw
    number = None if isinstance(raw, bool) else _decimal(text)
    if number is None:
        raise _Invalid(NOT_A_NUMBER)
    return int(number) if number == number.to_integral_value() else float(number)


def _as_bool(rule: FieldRule, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = "" if raw is None else str(raw).strip().lower()
    if text in ("true", "on", "1"):
        return True
    if text in ("false", "off", "0", ""):
        return False
    raise _Invalid(NOT_YES_NO)


def _as_iso(rule: FieldRule, raw: Any) -> str | None:
    if raw is None or raw == "":
        return None
    shape, parse, message = _ISO_FORMATS[rule.type]
    if not isinstance(raw, str) or not shape.fullmatch(raw):
        raise _Invalid(message)
    try:
        parse(raw)
    except ValueError:
        raise _Invalid(message) from None
    return raw


def _as_option(rule: FieldRule, raw: Any) -> Any:
    if raw is None or raw == "":
        return None
    if not _is_choice(rule, raw):
        raise _Invalid(NOT_AN_OPTION)
    return raw


def _as_options(rule: FieldRule, raw: Any) -> list:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(_is_choice(rule, item) for item in raw):
        raise _Invalid(NOT_AN_OPTION)
    return raw


def _is_choice(rule: FieldRule, value: Any) -> bool:
    if rule.options is None:  # options from process data: at least keep structured data out
        return isinstance(value, str | int | float)
    return value in rule.options


_COERCERS: dict[str, Callable[[FieldRule, Any], Any]] = {
    "string": _as_text,
    "number": _as_number,
    "boolean": _as_bool,
    "date": _as_iso,
    "datetime": _as_iso,
    "time": _as_iso,
    "enum": _as_option,
    "list": _as_options,
}


def _decimal(value: Any) -> Decimal | None:
    """A finite number from an int, float or numeric string; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


# --- rule checks on coerced values ---------------------------------------------------------------


def _violations(rule: FieldRule, value: Any, required: bool) -> list[str]:
    if _is_empty(value):
        return [REQUIRED] if required else []
    return [message for check in _CHECKS if (message := check(rule, value))]


def _check_length(rule: FieldRule, value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    length = len(value.strip())  # form-js counts trimmed text
    if rule.min_length is not None and length < rule.min_length:
        return f"Minstens {_counted(rule.min_length, 'teken', 'tekens')}."
    if rule.max_length is not None and length > rule.max_length:
        return f"Hoogstens {_counted(rule.max_length, 'teken', 'tekens')}."
    return None


def _check_pattern(rule: FieldRule, value: Any) -> str | None:
    # form-js uses RegExp.test: a match anywhere counts unless the pattern anchors itself.
    if rule.pattern and not re.search(rule.pattern, value, re.ASCII):
        return NO_PATTERN_MATCH
    return None


def _check_validation_type(rule: FieldRule, value: Any) -> str | None:
    if rule.validation_type == "email" and not _EMAIL.match(value):
        return NOT_AN_EMAIL
    if rule.validation_type == "phone" and not _PHONE.match(value):
        return NOT_A_PHONE
    return None


def _check_number(rule: FieldRule, value: Any) -> str | None:
    if rule.type != "number":
        return None
    number = Decimal(str(value))
    digits = rule.decimal_digits
    if digits is not None and -number.as_tuple().exponent > digits:
        return f"Hoogstens {_counted(digits, 'cijfer', 'cijfers')} na de komma." if digits else NOT_AN_INTEGER
    if rule.increment is not None and number % rule.increment:
        return f"Moet een veelvoud zijn van {_format(rule.increment)}."
    if rule.minimum is not None and number < rule.minimum:
        return f"Minstens {_format(rule.minimum)}."
    if rule.maximum is not None and number > rule.maximum:
        return f"Hoogstens {_format(rule.maximum)}."
    return None


def _check_passed_date(rule: FieldRule, value: Any) -> str | None:
    if rule.no_past_dates and value[:10] < date.today().isoformat():
        return PASSED_DATE
    return None


_CHECKS: tuple[Callable[[FieldRule, Any], str | None], ...] = (
    _check_length,
    _check_pattern,
    _check_validation_type,
    _check_number,
    _check_passed_date,
)


def _counted(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def _format(number: Decimal) -> str:
    """Dutch notation: 2,5 rather than 2.5; 100 rather than 1E+2."""
    text = f"{number.normalize():f}" if number != number.to_integral_value() else str(int(number))
    return text.replace(".", ",")


# --- conditional.hide ----------------------------------------------------------------------------


class _Unsupported(Exception):
    """The expression is outside the FEEL subset that can be evaluated safely here."""


_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<string>\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<operator><=|>=|!=|[=<>()-])|(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*))"
)
_LITERALS = {"true": True, "false": False, "null": None}
_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _visibility(rule: FieldRule, scope: Mapping[str, Any]) -> bool | None:
    """True when shown, False when hidden, None when a hide condition cannot be evaluated safely."""
    results = [_hides(condition, scope) for condition in rule.hidden_when]
    if any(result is True for result in results):
        return False
    return None if None in results else True


def _hides(condition: str, scope: Mapping[str, Any]) -> bool | None:
    if not condition.startswith("="):
        return None
    try:
        result = _Condition(condition[1:], scope).evaluate()
    except _Unsupported:
        return None
    # FEEL null hides nothing; any other non-boolean result is beyond what we can mirror.
    return result is True if result is None or isinstance(result, bool) else None


class _Condition:
    """Recursive-descent evaluator for: comparisons, and, or, not(...), parentheses, literals, names.

    Values follow FEEL's three-valued logic: comparing different types gives null, as does
    ``and``/``or``/``not`` on non-booleans.
    """

    def __init__(self, text: str, scope: Mapping[str, Any]) -> None:
        self.tokens = _tokenize(text)
        self.position = 0
        self.scope = scope

    def evaluate(self) -> Any:
        value = self._disjunction()
        if self.position != len(self.tokens):
            raise _Unsupported
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise _Unsupported
        self.position += 1
        return self.tokens[self.position - 1]

    def _expect(self, text: str) -> None:
        if self._take()[1] != text:
            raise _Unsupported

    def _disjunction(self) -> Any:
        value = self._conjunction()
        while self._peek() == "or":
            self.position += 1
            value = _either(value, self._conjunction())
        return value

    def _conjunction(self) -> Any:
        value = self._comparison()
        while self._peek() == "and":
            self.position += 1
            value = _both(value, self._comparison())
        return value

    def _comparison(self) -> Any:
        left = self._operand()
        if self._peek() in ("=", "!=", *_ORDERINGS):
            operator_ = self._take()[1]
            return _compare(operator_, left, self._operand())
        return left

    def _operand(self) -> Any:
        kind, text = self._take()
        if text == "(":
            value = self._disjunction()
            self._expect(")")
            return value
        if text == "not":
            self._expect("(")
            value = self._disjunction()
            self._expect(")")
            return not value if isinstance(value, bool) else None
        if text == "-":
            number = self._operand()
            if not isinstance(number, Decimal):
                raise _Unsupported
            return -number
        if kind == "number":
            return Decimal(text)
        if kind == "string":
            try:
                return json.loads(text)  # FEEL string escapes are JSON's
            except json.JSONDecodeError:
                raise _Unsupported from None
        if kind == "name":
            return _LITERALS[text] if text in _LITERALS else self._variable(text)
        raise _Unsupported

    def _variable(self, name: str) -> Any:
        if name in ("and", "or", "not") or name not in self.scope:
            raise _Unsupported
        value = self.scope[name]
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int | float):
            return Decimal(str(value))
        raise _Unsupported


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise _Unsupported
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _either(left: Any, right: Any) -> bool | None:
    if left is True or right is True:
        return True
    return False if left is False and right is False else None


def _both(left: Any, right: Any) -> bool | None:
    if left is False or right is False:
        return False
    return True if left is True and right is True else None


def _compare(operator_: str, left: Any, right: Any) -> bool | None:
    if operator_ in ("=", "!="):
        if left is None or right is None:
            equal = left is right
        elif type(left) is not type(right):
            return None
        else:
            equal = left == right
        return equal if operator_ == "=" else not equal
    if left is None or type(left) is not type(right) or isinstance(left, bool):
        return None
    return _ORDERINGS[operator_](left, right)
