"""The door for what people type. Every query parameter and form field of a page is text that can be
stored and encoded — no NUL (PostgreSQL text cannot hold it), no lone surrogate (it has no UTF-8 form,
so the page, the API and the CLI that show it afterwards would fail) — and of a sane length; numbers,
page numbers, dates and ids are parsed and range-checked here. What fails is a Dutch 400 (or 404 for
an id no row can have) naming the field, before any view or command sees it.

The API and the webhooks check their own JSON against their schemas; ``text_problems`` gives them the
same rule for the strings inside it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from engine.errors import InvalidData
from engine.forms import FieldError
from engine.web.security import exempt

MAX_ID = 2**31 - 1  # the largest id a row can have (PostgreSQL integer)
MAX_PARAM = 1_000  # characters in a query parameter
MAX_FIELD = 100_000  # characters in a form field (a task's form arrives as one JSON field)
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
NUMBER = re.compile(r"-?[0-9]{1,9}")  # ASCII digits only: '²' and '٣' are digits to str.isdigit()
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)


class BoundedInt(IntegerConverter):
    """``<int:…>`` in a route matches only ids a row can have: past 2³¹−1 the answer is 404."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt
    app.before_request(_check_input)


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "mag geen NUL-teken bevatten"
    return "bevat een ongeldig teken (een losse surrogaat, geen Unicode-tekst)"


def text_problems(value: Any, path: str = "") -> list[tuple[str, str]]:
    """(JSON pointer, reason) for every key or string in a JSON value that cannot be stored."""
    if isinstance(value, str):
        reason = text_problem(value)
        return [(path or "/", reason)] if reason else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            reason = text_problem(key)
            inside = f"{path}/{key}"
            found += [(f"{path}/{visible(key)}", f"de naam {reason}")] if reason else text_problems(item, inside)
        return found
    if isinstance(value, list):
        return [found for i, item in enumerate(value) for found in text_problems(item, f"{path}/{i}")]
    return []


def visible(text: str) -> str:
    """``text`` with what cannot be shown replaced, to name it in an answer."""
    return UNSTORABLE.sub("\ufffd", text)[:MAX_PARAM]


def refuse(key: str, label: str, message: str) -> InvalidData:
    return InvalidData(f"{label}: {message}", [FieldError(key, label, message)])


def json_object(text: str, unreadable: FieldError) -> dict:
    """A JSON object posted as text, whose strings can all be stored; ``unreadable`` names the field
    when it is no JSON object."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise InvalidData(f"{unreadable.label}: {unreadable.message}", [unreadable])
    problems = text_problems(data)
    if problems:
        raise InvalidData("Niet alle ingevulde tekst kan bewaard worden.", [
            FieldError(pointer.split("/")[1], pointer.lstrip("/"), reason) for pointer, reason in problems])
    return data


def whole_number(args: Mapping[str, str], key: str, label: str, default: int, low: int, high: int) -> int:
    """An integer parameter between ``low`` and ``high``; ``default`` when absent or empty."""
    text = args.get(key, "").strip()
    if not text:
        return default
    if not NUMBER.fullmatch(text) or not low <= int(text) <= high:
        raise refuse(key, label, f"geef een geheel getal van {low} tot en met {high}")
    return int(text)


def page_number(args: Mapping[str, str]) -> int:
    return whole_number(args, "pagina", "Pagina", 1, 1, 1_000_000)


def calendar_date(args: Mapping[str, str], key: str, label: str) -> date | None:
    """A date as JJJJ-MM-DD within the years anyone plans or reports on; None when absent or empty."""
    text = args.get(key, "").strip()
    if not text:
        return None
    try:
        parsed = date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise refuse(key, label, "geef een datum als JJJJ-MM-DD")
    if not EARLIEST <= parsed <= LATEST:
        raise refuse(key, label, f"geef een datum tussen {EARLIEST.year} en {LATEST.year}")
    return parsed


def _check_input() -> None:
    """Every query parameter and form field of a page: storable text of a sane length."""
    if _checks_itself():
        return
    fields = [(key, value, MAX_PARAM) for key, value in (request.view_args or {}).items() if isinstance(value, str)]
    fields += [(key, value, MAX_PARAM) for key, value in request.args.items(multi=True)]
    fields += [(key, value, MAX_FIELD) for key, value in request.form.items(multi=True)]
    errors = [FieldError(visible(key), visible(key), problem) for key, value, limit in fields
              if (problem := _field_problem(key, value, limit))]
    if errors:
        raise InvalidData("Wat je verstuurde kan niet verwerkt worden.", errors)


def _field_problem(key: str, value: str, limit: int) -> str | None:
    if text_problem(key):
        return f"de veldnaam {text_problem(key)}"
    if len(value) > limit:
        return f"is langer dan {limit} tekens"
    return text_problem(value)


def _checks_itself() -> bool:
    """The API and the webhooks (the parts exempt from CSRF) name bad input in their own answers."""
    return request.endpoint == "static" or exempt()
