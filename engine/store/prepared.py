"""Statements written in SQLAlchemy, compiled once per dialect and sent as their SQL text on the driver.

SQLAlchemy's own execution builds a context and a result for every statement (~20 µs), several times what
SQLite spends on a small INSERT. For the few statements a busy process runs thousands of times a second —
a command's batch, a webhook delivery's store — a ``Prepared`` keeps what compiling gave (the SQL in the
driver's paramstyle, the order of its parameters, the column types' bind processors: UTC datetimes, JSON)
and converts the values as SQLAlchemy would. Only public compiler attributes are read."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Executable


class Prepared:
    """``statement`` compiled for ``dialect``; with ``names``, as an INSERT/UPDATE given those columns."""

    def __init__(self, statement: Executable, dialect: Dialect, names: Iterable[str] | None = None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(names) if names is not None else None)
        self.compiled, self.sql = compiled, compiled.string
        self.order = compiled.positiontup  # positional drivers (SQLite): the names in the order of the ?s
        self.processors: dict[str, Callable[[Any], Any]] = {
            name: process for name, bind in compiled.binds.items()
            if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
        # what SQLAlchemy would compute per execution (Python-side defaults, expanding IN, RETURNING) is not
        # done here: such a statement is not ``plain`` and goes SQLAlchemy's way
        self.plain = not (compiled.insert_prefetch or compiled.update_prefetch or compiled.post_compile_params
                          or compiled.literal_execute_params or compiled.effective_returning)

    def parameters(self, values: dict[str, Any]) -> tuple | dict[str, Any]:
        """``values`` by name as the driver takes them: converted, and in order for a positional driver."""
        given = self.compiled.construct_params(values)
        for name, process in self.processors.items():
            given[name] = process(given[name])
        return given if self.order is None else tuple(given[name] for name in self.order)
