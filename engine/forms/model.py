"""What a form accepts, as the rest of the engine sees it: a FormDefinition of FieldRules."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any


class FormSchemaError(Exception):
    """A form file or formData block the server cannot enforce; the message names file and component,
    ``line`` and ``element`` (the component's id or key) say where, when the source has lines."""

    def __init__(self, filename: str, reason: str, line: int | None = None, element: str | None = None) -> None:
        super().__init__(f"{filename}: {reason}")
        self.reason = reason
        self.line = line
        self.element = element


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


def finite_decimal(value: Any) -> Decimal | None:
    """A finite number from an int, float or numeric string; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None

