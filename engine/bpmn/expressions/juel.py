"""Camunda/JUEL expressions (``${a && !empty b}``) to the Python-like source evaluated here."""

from __future__ import annotations

import ast
import re

STRING = r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"'
_JUEL_TOKEN = re.compile(
    rf"(?P<string>{STRING})|(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<space>\s+)|(?P<op>&&|\|\||!=|==|<=|>=|\S)",
    re.DOTALL,
)
_JUEL_WRAPPED = re.compile(r"[$#]\{(.*)\}", re.DOTALL)
_JUEL_WORDS = {
    "eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%",
    "true": "True", "false": "False", "null": "None",
}
_JUEL_OPS = {"&&": "and", "||": "or", "!": "not"}
OPENING, CLOSING = frozenset("([{"), frozenset(")]}")

_Token = tuple[str, str]


def translate(expression: str) -> str:
    """Camunda/JUEL expression to Python-like source; valid Python without ``${}`` is kept as is."""
    text = expression.strip()
    wrapped = _JUEL_WRAPPED.fullmatch(text)
    if wrapped:
        return _from_juel(wrapped.group(1))
    return text if _parses(text) else _from_juel(text)


def _parses(text: str) -> bool:
    try:
        ast.parse(text, mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return False
    return True


def _from_juel(source: str) -> str:
    tokens = [(m.lastgroup or "op", m.group()) for m in _JUEL_TOKEN.finditer(source)]
    return _join(_juel_parts(tokens))


def _juel_parts(tokens: list[_Token]) -> list[str]:
    parts: list[str] = []
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        attribute = _previous_text(tokens, i) == "."
        if kind == "name" and text == "empty" and not attribute:
            end = _operand_end(tokens, i + 1)
            parts += [" ", f"is_empty({_join(_juel_parts(tokens[i + 1:end]))})", " "]
            i = end
            continue
        if kind == "space":
            parts.append(" ")
        elif kind == "name" and text in _JUEL_WORDS and not attribute:
            parts += [" ", _JUEL_WORDS[text], " "]
        elif kind == "op" and text in _JUEL_OPS:
            parts += [" ", _JUEL_OPS[text], " "]
        else:
            parts.append(text)
        i += 1
    return parts


def _join(parts: list[str]) -> str:
    kept = [p for i, p in enumerate(parts) if p != " " or (i and parts[i - 1] != " ")]
    return "".join(kept).strip()


def _previous_text(tokens: list[_Token], i: int) -> str:
    while i > 0:
        i -= 1
        if tokens[i][0] != "space":
            return tokens[i][1]
    return ""


def _operand_end(tokens: list[_Token], i: int) -> int:
    """End of the operand of ``empty``: ``(...)``, or a name/literal with ``.x``, ``[..]``, ``(..)``."""
    while i < len(tokens) and tokens[i][0] == "space":
        i += 1
    if i < len(tokens) and tokens[i][1] == "(":
        return _closing(tokens, i)
    i += 1
    while i < len(tokens) and tokens[i][1] in {".", "[", "("}:
        i = i + 2 if tokens[i][1] == "." else _closing(tokens, i)
    return min(i, len(tokens))


def _closing(tokens: list[_Token], i: int) -> int:
    depth = 0
    for j in range(i, len(tokens)):
        depth += (tokens[j][1] in OPENING) - (tokens[j][1] in CLOSING)
        if depth == 0:
            return j + 1
    return len(tokens)

