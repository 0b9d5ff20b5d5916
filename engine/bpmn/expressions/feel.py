"""DMN input entries: FEEL unary tests (ranges, lists, not(...), comparisons) as expressions."""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Mapping
from typing import Any

from .errors import ExpressionError
from .interpreter import evaluate
from .juel import CLOSING, OPENING, STRING, translate

DMN_INPUT = "dmninputexpr"  # the name SpiffWorkflow's DMNEngine gives the input value


_FEEL_RANGE = r"[\[\](][^\[\](),]*?\.\.[^\[\](),]*?[\[\])]"
_FEEL_PIECE = re.compile(rf"{STRING}|{_FEEL_RANGE}|[^\"'()\[\]{{}},]+|.", re.DOTALL)
_FEEL_RANGE_PARTS = re.compile(r"([\[\](])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\])])", re.DOTALL)
_FEEL_NOT = re.compile(r"not\s*\((.*)\)", re.DOTALL)
_FEEL_COMPARISON = re.compile(r"(<=|>=|!=|==|=|<|>|not\s+in\b|in\b)\s*(.+)", re.DOTALL)


def feel_unary_test(test: str | None, name: str = DMN_INPUT) -> str:
    """Expression source that is true when variable ``name`` passes the FEEL unary test.

    Handles ``-``/empty (any), ``"a","b"`` (any of), ``not(...)``, ranges ``[1..5]``, ``]1..5[``,
    ``(1..5)``, comparisons ``< 5``, ``>= x``, ``in [..]`` and plain expressions (equality).
    """
    text = (test or "").strip()
    if text in ("", "-"):
        return "True"
    negated = _FEEL_NOT.fullmatch(text)
    if negated and _balanced(negated.group(1)):
        return f"not ({feel_unary_test(negated.group(1), name)})"
    parts = _feel_split(text)
    if len(parts) > 1:
        return " or ".join(f"({feel_unary_test(part, name)})" for part in parts)
    return _feel_single(text, name)


def unary_test(test: str | None, value: Any, variables: Mapping[str, Any]) -> bool:
    """Whether ``value`` passes the FEEL unary test (a DMN input entry)."""
    try:
        return bool(evaluate(feel_unary_test(test), ChainMap({DMN_INPUT: value}, variables)))
    except ExpressionError as e:
        raise ExpressionError(f"DMN-invoerregel '{test}' mislukte voor {value!r}: {e}") from e


def _feel_single(text: str, name: str) -> str:
    bounds = _FEEL_RANGE_PARTS.fullmatch(text)
    if bounds:
        start, low, high, end = bounds.groups()
        low_op = ">=" if start == "[" else ">"
        high_op = "<=" if end == "]" else "<"
        return f"{name} {low_op} ({translate(low)}) and {name} {high_op} ({translate(high)})"
    comparison = _FEEL_COMPARISON.fullmatch(text)
    if comparison:
        op = "==" if comparison.group(1) == "=" else " ".join(comparison.group(1).split())
        return f"{name} {op} ({translate(comparison.group(2))})"
    return f"{name} == ({translate(text)})"


def _feel_split(text: str) -> list[str]:
    """Split on commas outside strings, brackets and ranges."""
    parts, start = [], 0
    for match, depth in _feel_pieces(text):
        if match.group() == "," and depth == 0:
            parts.append(text[start:match.start()].strip())
            start = match.end()
    return [*parts, text[start:].strip()]


def _balanced(text: str) -> bool:
    pieces = _feel_pieces(text)
    return all(depth >= 0 for _, depth in pieces) and (not pieces or pieces[-1][1] == 0)


def _feel_pieces(text: str) -> list[tuple[re.Match[str], int]]:
    """Pieces of the text (a string or a range is one piece), each with the bracket depth after it."""
    pieces, depth = [], 0
    for match in _FEEL_PIECE.finditer(text):
        depth += (match.group() in OPENING) - (match.group() in CLOSING)
        pieces.append((match, depth))
    return pieces

