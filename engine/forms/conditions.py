"""``conditional.hide``: a small FEEL subset evaluated over submitted values, as form-js would.

Anything outside the subset gives None ("cannot tell"), and the caller treats the field as optional.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .model import FieldRule


class _Unsupported(Exception):
    """The expression is outside the FEEL subset that can be evaluated safely here."""


_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<string>\"(?:[^\"\\]|\\.)*\")"
    r"|(?P<operator><=|>=|!=|[=<>()-])|(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*))"
)
_LITERALS = {"true": True, "false": False, "null": None}
_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def visibility(rule: FieldRule, scope: Mapping[str, Any]) -> bool | None:
    """True when shown, False when hidden, None when a hide condition cannot be evaluated safely."""
    results = [_hides(condition, scope) for condition in rule.hidden_when]
    if any(result is True for result in results):
        return False
    return None if None in results else True


def _hides(condition: str, scope: Mapping[str, Any]) -> bool | None:
    if not condition.startswith("="):
        return None
    try:
        result = _Condition(condition[1:], scope).evaluate()
    except _Unsupported:
        return None
    # FEEL null hides nothing; any other non-boolean result is beyond what we can mirror.
    return result is True if result is None or isinstance(result, bool) else None


class _Condition:
    """Recursive-descent evaluator for: comparisons, and, or, not(...), parentheses, literals, names.

    Values follow FEEL's three-valued logic: comparing different types gives null, as does
    ``and``/``or``/``not`` on non-booleans.
    """

    def __init__(self, text: str, scope: Mapping[str, Any]) -> None:
        self.tokens = _tokenize(text)
        self.position = 0
        self.scope = scope

    def evaluate(self) -> Any:
        value = self._disjunction()
        if self.position != len(self.tokens):
            raise _Unsupported
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise _Unsupported
        self.position += 1
        return self.tokens[self.position - 1]

    def _expect(self, text: str) -> None:
        if self._take()[1] != text:
            raise _Unsupported

    def _disjunction(self) -> Any:
        value = self._conjunction()
        while self._peek() == "or":
            self.position += 1
            value = _either(value, self._conjunction())
        return value

    def _conjunction(self) -> Any:
        value = self._comparison()
        while self._peek() == "and":
            self.position += 1
            value = _both(value, self._comparison())
        return value

    def _comparison(self) -> Any:
        left = self._operand()
        if self._peek() in ("=", "!=", *_ORDERINGS):
            operator_ = self._take()[1]
            return _compare(operator_, left, self._operand())
        return left

    def _operand(self) -> Any:
        kind, text = self._take()
        if text == "(":
            value = self._disjunction()
            self._expect(")")
            return value
        if text == "not":
            self._expect("(")
            value = self._disjunction()
            self._expect(")")
            return not value if isinstance(value, bool) else None
        if text == "-":
            number = self._operand()
            if not isinstance(number, Decimal):
                raise _Unsupported
            return -number
        if kind == "number":
            return Decimal(text)
        if kind == "string":
            try:
                return json.loads(text)  # FEEL string escapes are JSON's
            except json.JSONDecodeError:
                raise _Unsupported from None
        if kind == "name":
            return _LITERALS[text] if text in _LITERALS else self._variable(text)
        raise _Unsupported

    def _variable(self, name: str) -> Any:
        if name in ("and", "or", "not") or name not in self.scope:
            raise _Unsupported
        value = self.scope[name]
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int | float):
            return Decimal(str(value))
        raise _Unsupported


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise _Unsupported
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _either(left: Any, right: Any) -> bool | None:
    if left is True or right is True:
        return True
    return False if left is False and right is False else None


def _both(left: Any, right: Any) -> bool | None:
    if left is False or right is False:
        return False
    return True if left is True and right is True else None


def _compare(operator_: str, left: Any, right: Any) -> bool | None:
    if operator_ in ("=", "!="):
        if left is None or right is None:
            equal = left is right
        elif type(left) is not type(right):
            return None
        else:
            equal = left == right
        return equal if operator_ == "=" else not equal
    if left is None or type(left) is not type(right) or isinstance(left, bool):
        return None
    return _ORDERINGS[operator_](left, right)
