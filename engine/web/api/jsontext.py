"""Strict JSON for input from outside: no NaN or Infinity (not JSON, and PostgreSQL refuses them), no
nesting deeper than ``MAX_DEPTH`` (so nothing that walks it can exhaust the stack). Which strings in it
can be stored is ``engine.web.inputs.text_problems``'s to say."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


def loads(text: str | bytes) -> Any:
    """Parse JSON; ValueError names what is wrong."""
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except RecursionError as error:
        raise ValueError("te diep genest") from error
    if _depth(value) > MAX_DEPTH:
        raise ValueError(f"hoogstens {MAX_DEPTH} niveaus diep genest")
    return value


def _depth(value: Any) -> int:
    deepest, level = 0, [value]
    while level:
        deepest += 1
        level = [child for item in level if isinstance(item, dict | list)
                 for child in (item.values() if isinstance(item, dict) else item)]
    return deepest - 1


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is geen JSON-getal")
