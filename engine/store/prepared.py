"""Statements written in SQLAlchemy, compiled once per dialect and sent as their SQL text on the driver.

SQLAlchemy's own execution builds a context and a result for every statement (~20 µs), several times what
SQLite spends on a small INSERT. For the few statements a busy process runs thousands of times a second —
a command's batch, a webhook delivery's store — a ``Prepared`` keeps what compiling gave (the SQL in the
driver's paramstyle, the order of its parameters, the column types' bind processors: UTC datetimes, JSON)
and converts the values as SQLAlchemy would. Only public compiler attributes are read."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from json import JSONEncoder
from typing import Any

from sqlalchemy import JSON, Boolean
from sqlalchemy.dialects.sqlite import DATETIME as SQLITE_DATETIME
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeEngine

from engine.json_encoder import ReusedEncoder
from engine.store.models import UTCDateTime

Convert = Callable[[Any], Any]


class Prepared:
    """``statement`` compiled for ``dialect``; with ``names``, as an INSERT/UPDATE given those columns. Without
    ``names`` a row gives the binds built without a value; those built with one keep it."""

    def __init__(self, statement: Executable, dialect: Dialect, names: Iterable[str] | None = None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(names) if names is not None else None)
        self.sql = compiled.string
        given = set(names) if names is not None else {bind.key for bind in compiled.bind_names if bind.required}
        # what a row does not give, as SQLAlchemy takes it
        fixed = compiled.construct_params(dict.fromkeys(given), escape_names=False)
        slots: dict[str, tuple[str, str | None, Convert | None, Any]] = {}
        for bind, name in compiled.bind_names.items():
            key = bind.key if bind.key in given else name if name in given else None
            convert = converter(bind.type, dialect)
            value = None if key is not None else convert(fixed[name]) if convert else fixed[name]
            # a driver taking names gets a name with characters its paramstyle cannot hold escaped
            slots[name] = (compiled.escaped_bind_names.get(name, name), key, convert, value)
        # a positional driver (SQLite) takes them in the order of the ?s, any other by name
        positional = compiled.positiontup is not None
        ordered = [slots[name] for name in compiled.positiontup] if positional else list(slots.values())
        # ``values`` by name as the driver takes them: converted, and in order for a positional driver
        self.parameters: Callable[[dict[str, Any]], tuple | dict[str, Any]] = _row_builder(ordered, positional)
        # what SQLAlchemy would compute per execution (Python-side defaults, a callable value, expanding IN,
        # RETURNING) is not done here: such a statement is not ``plain`` and goes SQLAlchemy's way
        self.plain = not (compiled.insert_prefetch or compiled.update_prefetch or compiled.post_compile_params
                          or compiled.literal_execute_params or compiled.effective_returning
                          or any(bind.callable for bind in compiled.bind_names))


def _row_builder(slots: list[tuple[str, str | None, Convert | None, Any]],
                 positional: bool) -> Callable[[dict[str, Any]], tuple | dict[str, Any]]:
    """One expression from a row to the driver's parameters, compiled for these slots: a row costs a single
    Python call besides its converters' (a comprehension over the slots cost twice as many instructions).
    The keys and names are written as literals (repr), the converters and fixed values are looked up."""
    scope: dict[str, Any] = {}
    parts = []
    for index, (name, key, convert, value) in enumerate(slots):
        if key is None:
            scope[f"fixed{index}"] = value
            part = f"fixed{index}"
        elif convert:
            scope[f"convert{index}"] = convert
            part = f"convert{index}(row[{key!r}])"
        else:
            part = f"row[{key!r}]"
        parts.append(part if positional else f"{name!r}: {part}")
    listed = "".join(f"{part}, " for part in parts)
    return eval(f"lambda row: ({listed})" if positional else f"lambda row: {{{listed}}}", scope)


def converter(type_: TypeEngine, dialect: Dialect) -> Convert | None:
    """What ``type_``'s bind processor on ``dialect`` makes of a value, as one function: SQLAlchemy's own
    processor chains a TypeDecorator's to its implementation's and checks every value for the rare kinds
    (SQL NULL objects, dates, bad booleans); the common values here take a short way to the very same
    result, the rest SQLAlchemy's."""
    impl = type_.dialect_impl(dialect)
    process = impl.bind_processor(dialect)
    if process is None:
        return None
    if type(impl) is UTCDateTime:
        storage = impl.impl_instance
        sqlite_text = type(storage) is SQLITE_DATETIME and storage._storage_format == SQLITE_DATETIME._storage_format
        return _utc_text(process) if sqlite_text else _utc(process)
    if type(impl).bind_processor is JSON.bind_processor and dialect._json_serializer is None:
        return _json_text(process, process(None))  # None: JSON's null, or SQL NULL for none_as_null
    if type(impl).bind_processor is Boolean.bind_processor:
        return _boolean(process, process(True), process(False))
    return process


def _utc(process: Convert) -> Convert:
    def convert(value):
        if type(value) is datetime and value.tzinfo is not None:
            return value.astimezone(UTC)
        return process(value)

    return convert


# SQLite's DATETIME text (SQLAlchemy's default storage format), by position
_SQLITE_MOMENT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"
# a command stamps its rows with one moment: the last one written as text, and that text
_last_moment: tuple[datetime | None, str | None] = (None, None)


def _utc_text(process: Convert) -> Convert:
    def convert(value):
        global _last_moment
        if value is None:
            return None
        moment, text = _last_moment
        if value is moment:
            return text
        if type(value) is not datetime or value.tzinfo is None:
            return process(value)  # SQLAlchemy's: a naive moment refused, a date at midnight
        utc = value.astimezone(UTC)
        text = _SQLITE_MOMENT % (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond)
        _last_moment = value, text
        return text

    return convert


_encode_json = ReusedEncoder(JSONEncoder()).encode  # what json.dumps writes, its encoder built once


def _json_text(process: Convert, none: Any) -> Convert:
    def convert(value):
        if value is None:
            return none
        if type(value) is dict or type(value) is list:
            return _encode_json(value)
        return process(value)

    return convert


def _boolean(process: Convert, true: Any, false: Any) -> Convert:
    def convert(value):
        return true if value is True else false if value is False else process(value)

    return convert
