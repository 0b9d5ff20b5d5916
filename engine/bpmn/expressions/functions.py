"""The functions and methods an expression may call, and the checks around them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sized
from typing import Any

from .errors import Refused
from .limits import MAX_LENGTH, check_expanded, check_length, limit


def is_empty(value: Any) -> bool:
    """JUEL ``empty``: None, or a string or collection of length zero."""
    return value is None or (isinstance(value, Sized) and len(value) == 0)


def _str(value: Any) -> str:
    check_expanded(value, MAX_LENGTH)
    return str(value)


def _sum(values: Iterable[Any]) -> Any:
    """sum() without a start value: numbers only, so it cannot concatenate lists."""
    return sum(values)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (len, int, float, bool, min, max, abs, round, any, all, sorted, list, is_empty)
} | {"str": _str, "sum": _sum}
CONSTANTS = {"true": True, "false": False, "null": None}  # JUEL/FEEL literals left bare in Python mode
FORBIDDEN = {
    "getattr", "setattr", "delattr", "hasattr", "eval", "exec", "open", "compile", "globals", "locals",
    "vars", "type", "dir", "input", "breakpoint", "help", "object", "super", "memoryview", "exit", "quit",
}
# Side-effect free methods whose result is no larger than the input, except join/replace (checked).
_METHODS: dict[type, frozenset[str]] = {
    str: frozenset({
        "lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "title",
        "capitalize", "isdigit", "count", "find", "replace", "join",
    }),
    list: frozenset({"count", "index"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "keys", "values", "items"}),
}
ALL_METHODS = frozenset().union(*_METHODS.values())


def call_method(obj: Any, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call a whitelisted method of a value; one that would build too large a result is refused first."""
    if not any(isinstance(obj, kind) and name in names for kind, names in _METHODS.items()):
        raise Refused(f"method '{name}' is not allowed on {type(obj).__name__}")
    # The separator / replacement is repeated once per item / character: check before building it.
    if name == "join" and args and isinstance(args[0], Sized):
        check_length(len(obj) * len(args[0]))
        check_expanded(args[0], MAX_LENGTH)
    if name == "replace" and len(args) > 1 and isinstance(args[1], Sized):
        check_length((len(obj) + 1) * len(args[1]))
    return limit(getattr(obj, name)(*args, **kwargs))

