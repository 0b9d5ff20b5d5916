"""Ceilings on expressions, scripts and the values they produce."""

from __future__ import annotations

from collections.abc import Mapping, Sized
from typing import Any

from .errors import Refused

MAX_EXPRESSION_LENGTH = 10_000
MAX_SCRIPT_LENGTH = 100_000
MAX_DEPTH = 100  # AST nesting; keeps the recursive interpreter far from Python's recursion limit
MAX_ITERATIONS = 10_000  # loop and comprehension iterations per evaluation or script run
MAX_LENGTH = 100_000  # items or characters in any value an operation produces
MAX_INT_BITS = 10_000
MAX_DATA_SIZE = 10_000_000  # items and characters in task data once written out, after a script


def is_int(value: Any) -> bool:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def limit(value: Any) -> Any:
    """The value, if it is within the size ceilings."""
    if is_int(value) and value.bit_length() > MAX_INT_BITS:
        raise Refused(f"number larger than {MAX_INT_BITS} bits")
    if isinstance(value, Sized):
        check_length(len(value))
    return value


def check_length(length: int) -> None:
    """Refuse a result of ``length`` items or characters beyond the ceiling."""
    if length > MAX_LENGTH:
        raise Refused(f"result longer than {MAX_LENGTH} items or characters")


def check_expanded(value: Any, limit: int) -> None:
    """Refuse a value that is longer than ``limit`` items and characters once printed or serialized.

    Repeating one object (``[s] * 1000``) costs little memory but is written out in full.
    """
    try:
        size = _expanded_size(value, {}, set())
    except RecursionError:
        raise Refused("value is nested too deeply") from None
    if size > limit:
        raise Refused(f"value longer than {limit} items and characters when written out")


def _expanded_size(value: Any, sizes: dict[int, int], open_ids: set[int]) -> int:
    """Written-out size; each container is measured once (by id), so shared parts cost nothing extra."""
    if not isinstance(value, Mapping | list | tuple | set):
        return len(value) + 1 if isinstance(value, Sized) else 1
    key = id(value)
    if key in open_ids:
        raise Refused("value contains itself")
    if key not in sizes:
        open_ids.add(key)
        children = [*value.keys(), *value.values()] if isinstance(value, Mapping) else value
        sizes[key] = len(value) + 1 + sum(_expanded_size(child, sizes, open_ids) for child in children)
        open_ids.remove(key)
    return sizes[key]

