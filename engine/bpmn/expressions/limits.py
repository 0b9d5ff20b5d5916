"""Ceilings on expressions, scripts and the values they produce, and the budget of one evaluation.

The budget counts steps: one per node evaluated and per loop iteration, and one per item or
character a built-in, method or operator reads or builds. Each operation is charged *before* it
runs, so work beyond the budget never starts and one evaluation can allocate no more than
MAX_STEPS items in all, besides the MAX_LENGTH ceiling on each value. A wall clock catches what
the steps do not foresee.
"""

from __future__ import annotations

import time
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
MAX_STEPS = 1_000_000  # steps per evaluation or script run: about a second at most on one core
MAX_SECONDS = 5.0  # wall clock per evaluation or script run


class BudgetExceeded(Refused):
    """An evaluation used up its budget; the message says which part, in Dutch."""


class Budget:
    """The steps and the time one evaluation or script run may still use."""

    def __init__(self, steps: int = MAX_STEPS, seconds: float = MAX_SECONDS) -> None:
        self.steps = steps
        self.seconds = seconds
        self.used = 0
        self.deadline = time.monotonic() + seconds

    def charge(self, cost: int) -> None:
        """Count ``cost`` steps for work about to be done; refuse it if the budget cannot pay."""
        self.used += cost
        if self.used > self.steps:
            raise BudgetExceeded(f"meer dan {self.steps:,} rekenstappen".replace(",", "."))
        if time.monotonic() >= self.deadline:
            raise BudgetExceeded(f"langer dan {self.seconds:g} seconden")


def size(value: Any) -> int:
    """Items or characters an operation on the value copies: its length, or 1."""
    return len(value) if isinstance(value, Sized) else 1


def hash_cost(key: Any) -> int:
    """Steps to hash a key: a tuple is hashed anew at every lookup, item by nested item."""
    return expanded_size(key) if isinstance(key, tuple) else 1


def is_int(value: Any) -> bool:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def limit(value: Any) -> Any:
    """The value, if it is within the size ceilings."""
    if is_int(value) and value.bit_length() > MAX_INT_BITS:
        raise Refused(f"getal groter dan {MAX_INT_BITS} bits")
    if isinstance(value, Sized):
        check_length(len(value))
    return value


def check_length(length: int) -> None:
    """Refuse a result of ``length`` items or characters beyond the ceiling."""
    if length > MAX_LENGTH:
        raise Refused(f"resultaat langer dan {MAX_LENGTH} elementen of tekens")


def check_expanded(value: Any, limit: int) -> int:
    """The value's size once printed or serialized; refused when longer than ``limit`` items and characters.

    Repeating one object (``[s] * 1000``) costs little memory but is written out in full.
    """
    written = expanded_size(value)
    if written > limit:
        raise Refused(f"waarde langer dan {limit} elementen en tekens als ze wordt uitgeschreven")
    return written


def expanded_size(value: Any) -> int:
    """Items and characters of the value once printed or serialized."""
    try:
        return _expanded_size(value, {}, set())
    except RecursionError:
        raise Refused("waarde is te diep genest") from None


def _expanded_size(value: Any, sizes: dict[int, int], open_ids: set[int]) -> int:
    """Written-out size; each container is measured once (by id), so shared parts cost nothing extra."""
    if not isinstance(value, Mapping | list | tuple | set):
        return len(value) + 1 if isinstance(value, Sized) else 1
    key = id(value)
    if key in open_ids:
        raise Refused("waarde bevat zichzelf")
    if key not in sizes:
        open_ids.add(key)
        children = [*value.keys(), *value.values()] if isinstance(value, Mapping) else value
        total = len(value) + 1
        for child in children:  # the common leaves inline: this runs before every comparison
            kind = type(child)
            if kind is str:
                total += len(child) + 1
            elif kind in _SCALARS:
                total += 1
            else:
                total += _expanded_size(child, sizes, open_ids)
        sizes[key] = total
        open_ids.remove(key)
    return sizes[key]


_SCALARS = frozenset({int, float, bool, type(None)})
