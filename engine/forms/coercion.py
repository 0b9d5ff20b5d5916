"""Browser values to engine values: each field type's raw submission becomes a typed value or a message."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from .messages import NOT_A_DATE, NOT_A_NUMBER, NOT_A_TIME, NOT_AN_OPTION, NOT_TEXT, NOT_YES_NO
from .model import FieldRule, finite_decimal

MISSING: Any = object()  # a key that was not submitted at all, as opposed to one submitted empty

_ISO_FORMATS: dict[str, tuple[re.Pattern[str], Callable[[str], Any], str]] = {
    "date": (re.compile(r"\d{4}-\d{2}-\d{2}"), date.fromisoformat, NOT_A_DATE),
    "datetime": (
        re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?"),
        datetime.fromisoformat,
        NOT_A_DATE,
    ),
    "time": (re.compile(r"\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?"), time.fromisoformat, NOT_A_TIME),
}


class _Invalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def coerce_all(rules: list[FieldRule], raws: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed values of the submitted fields, and a message for each field whose value has the wrong type."""
    typed: dict[str, Any] = {}
    invalid: dict[str, str] = {}
    for rule in rules:
        if rule.type == "rows" or raws[rule.key] is MISSING:
            continue
        try:
            typed[rule.key] = _COERCERS[rule.type](rule, raws[rule.key])
        except _Invalid as error:
            invalid[rule.key] = error.message
    return typed, invalid


def is_empty(value: Any) -> bool:
    return value is MISSING or value is None or value == "" or value == [] or value is False


def _as_text(rule: FieldRule, raw: Any) -> str | None:
    if raw is not None and not isinstance(raw, str):
        raise _Invalid(NOT_TEXT)
    return raw


def _as_number(rule: FieldRule, raw: Any) -> int | float | None:
    if raw is None or raw == "":
        return None
    text = raw.strip().replace(",", ".") if isinstance(raw, str) else raw
    number = None if isinstance(raw, bool) else finite_decimal(text)
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

