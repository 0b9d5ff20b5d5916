"""Checking a submission against a FormDefinition: every error at once, cleaned values back."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from .coercion import MISSING, coerce_all, is_empty
from .conditions import visibility
from .messages import (
    FIXED,
    NO_PATTERN_MATCH,
    NOT_A_LIST,
    NOT_A_PHONE,
    NOT_AN_EMAIL,
    NOT_AN_INTEGER,
    PASSED_DATE,
    REQUIRED,
    UNKNOWN_FIELD,
)
from .model import FieldError, FieldRule, FormDefinition

# The browser's email check (WHATWG "valid e-mail address").
_EMAIL = re.compile(
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
# International numbers as form-js asks for them: + or 00, country code, subscriber number.
_PHONE = re.compile(r"^(?:\+|00)[1-9][0-9]{6,14}$")


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
        if not rule.readonly or is_empty(submitted):
            continue
        shown = _lookup(current, rule.key)
        if shown is MISSING or str(submitted) != str(shown):
            errors.append(FieldError(rule.key, rule.label, FIXED))
    return errors


def _validate_fields(
    fields: tuple[FieldRule, ...], data: Mapping[str, Any], prefix: str
) -> tuple[dict, list[FieldError]]:
    editable = [rule for rule in fields if not rule.readonly]
    raws = {rule.key: _lookup(data, rule.key) for rule in editable}
    typed, invalid = coerce_all(editable, raws)
    scope = {rule.key: typed[rule.key] for rule in editable if not rule.hidden_when and rule.key in typed}
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []
    for rule in editable:
        visible = visibility(rule, scope)
        if visible is False:
            continue
        if rule.type == "rows":
            value, messages = _validate_rows(rule, raws[rule.key], prefix)
            errors += messages
        elif rule.key in invalid:
            value = MISSING
            errors.append(FieldError(prefix + rule.key, rule.label, invalid[rule.key]))
        else:
            value = typed.get(rule.key, MISSING)
            messages = _violations(rule, value, required=rule.required and visible is True)
            errors += [FieldError(prefix + rule.key, rule.label, message) for message in messages]
        if value is not MISSING:
            _store(cleaned, rule.key, value)
    errors += [FieldError(prefix + key, prefix + key, UNKNOWN_FIELD) for key in _unknown_keys(data, fields)]
    return cleaned, errors


def _validate_rows(rule: FieldRule, raw: Any, prefix: str) -> tuple[Any, list[FieldError]]:
    if raw is MISSING or raw is None:
        return raw, []
    if not isinstance(raw, list) or not all(isinstance(row, Mapping) for row in raw):
        return MISSING, [FieldError(prefix + rule.key, rule.label, NOT_A_LIST)]
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
            return MISSING
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


# --- rule checks on coerced values ---------------------------------------------------------------


def _violations(rule: FieldRule, value: Any, required: bool) -> list[str]:
    if is_empty(value):
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

