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
    """``statement`` compiled for ``dialect``; with ``names``, as an INSERT/UPDATE given those columns. Without
    ``names`` a row gives the binds built without a value; those built with one keep it."""

    def __init__(self, statement: Executable, dialect: Dialect, names: Iterable[str] | None = None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(names) if names is not None else None)
        self.sql = compiled.string
        given = set(names) if names is not None else {bind.key for bind in compiled.bind_names if bind.required}
        # what a row does not give, as SQLAlchemy takes it
        fixed = compiled.construct_params(dict.fromkeys(given), escape_names=False)
        slots: dict[str, tuple[str, str | None, Callable[[Any], Any] | None, Any]] = {}
        for bind, name in compiled.bind_names.items():
            key = bind.key if bind.key in given else name if name in given else None
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            value = None if key is not None else process(fixed[name]) if process else fixed[name]
            # a driver taking names gets a name with characters its paramstyle cannot hold escaped
            slots[name] = (compiled.escaped_bind_names.get(name, name), key, process, value)
        # a positional driver (SQLite) takes them in the order of the ?s, any other by name
        self.positional = compiled.positiontup is not None
        self._slots = [slots[name] for name in compiled.positiontup] if self.positional else list(slots.values())
        # what SQLAlchemy would compute per execution (Python-side defaults, a callable value, expanding IN,
        # RETURNING) is not done here: such a statement is not ``plain`` and goes SQLAlchemy's way
        self.plain = not (compiled.insert_prefetch or compiled.update_prefetch or compiled.post_compile_params
                          or compiled.literal_execute_params or compiled.effective_returning
                          or any(bind.callable for bind in compiled.bind_names))

    def parameters(self, values: dict[str, Any]) -> tuple | dict[str, Any]:
        """``values`` by name as the driver takes them: converted, and in order for a positional driver."""
        if self.positional:
            return tuple([value if key is None else process(values[key]) if process else values[key]
                          for _, key, process, value in self._slots])
        return {name: value if key is None else process(values[key]) if process else values[key]
                for name, key, process, value in self._slots}
