"""The functions and methods an expression may call, and what each call costs.

A call's cost is the number of items and characters it reads or builds, charged to the budget
before the call runs. Values are counted as written out (nested items too), because comparing and
hashing go as deep as the value does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sized
from datetime import datetime
from typing import Any

from ..timers import add_duration
from ..timers import now as clock_now
from .errors import Refused
from .limits import MAX_LENGTH, Budget, check_expanded, check_length, expanded_size, hash_cost, is_int, limit


def is_empty(value: Any) -> bool:
    """JUEL ``empty``: None, or a string or collection of length zero."""
    return value is None or (isinstance(value, Sized) and len(value) == 0)


def _str(value: Any) -> str:
    check_expanded(value, MAX_LENGTH)
    return str(value)


def _sum(values: Iterable[Any]) -> Any:
    """sum() without a start value: numbers only, so it cannot concatenate lists."""
    return sum(values)


class CamundaDateTime:
    """Camunda's ``dateTime()`` (a Joda DateTime): ``${dateTime().plusDays(28).toDate()}`` is how a Camunda 7
    model writes a deadline counted from the moment a task is created. Reads the engine's clock."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def plusDays(self, days: int) -> CamundaDateTime:  # noqa: N802 - Camunda's name
        return CamundaDateTime(add_duration(self.moment, f"P{int(days)}D"))

    def plusWeeks(self, weeks: int) -> CamundaDateTime:  # noqa: N802 - Camunda's name
        return CamundaDateTime(add_duration(self.moment, f"P{int(weeks)}W"))

    def plusMonths(self, months: int) -> CamundaDateTime:  # noqa: N802 - Camunda's name
        return CamundaDateTime(add_duration(self.moment, f"P{int(months)}M"))

    def toDate(self) -> datetime:  # noqa: N802 - Camunda's name
        return self.moment


def _date_time() -> CamundaDateTime:
    return CamundaDateTime(clock_now())


FUNCTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (len, int, float, bool, min, max, abs, round, any, all, sorted, list, is_empty)
} | {"str": _str, "sum": _sum, "dateTime": _date_time}
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
    CamundaDateTime: frozenset({"plusDays", "plusWeeks", "plusMonths", "toDate"}),
}
ALL_METHODS = frozenset().union(*_METHODS.values())


_CONSTANT_COST = frozenset({"len", "bool", "abs", "is_empty"})


def call_function(name: str, args: list[Any], kwargs: dict[str, Any], budget: Budget) -> Any:
    """Call a whitelisted function, its work paid from the budget first."""
    budget.charge(_function_cost(name, args, kwargs))
    return limit(FUNCTIONS[name](*args, **kwargs))


def call_method(obj: Any, name: str, args: list[Any], kwargs: dict[str, Any], budget: Budget) -> Any:
    """Call a whitelisted method of a value; too large a result or too much work is refused first."""
    if not any(isinstance(obj, kind) and name in names for kind, names in _METHODS.items()):
        raise Refused(f"methode '{name}' is niet toegestaan op {type(obj).__name__}")
    budget.charge(_method_cost(obj, name, args, kwargs))
    return limit(getattr(obj, name)(*args, **kwargs))


def _function_cost(name: str, args: list[Any], kwargs: dict[str, Any]) -> int:
    if name in _CONSTANT_COST:
        return 1
    if name == "round":  # round(n, -k) computes 10 ** k
        digits = args[1] if len(args) > 1 else kwargs.get("ndigits")
        return 1 + (abs(digits) if is_int(digits) else 0)
    work = _sizes(args, kwargs)
    return work * work.bit_length() if name == "sorted" else work


def _method_cost(obj: Any, name: str, args: list[Any], kwargs: dict[str, Any]) -> int:
    if isinstance(obj, Mapping):
        return hash_cost(args[0]) if args else 1  # get, keys, values, items: a lookup or a view
    work = expanded_size(obj) + _sizes(args, kwargs)
    # The separator / replacement is repeated once per item / character: check before building it.
    if name == "join" and args and isinstance(args[0], Sized):
        check_length(len(obj) * len(args[0]))
        work += len(obj) * len(args[0]) + check_expanded(args[0], MAX_LENGTH)
    if name == "replace" and len(args) > 1 and isinstance(args[1], Sized):
        check_length((len(obj) + 1) * len(args[1]))
        work += (len(obj) + 1) * len(args[1])
    return work


def _sizes(args: list[Any], kwargs: dict[str, Any]) -> int:
    return 1 + sum(expanded_size(value) for value in (*args, *kwargs.values()))
