"""The errors of expressions and scripts: one for callers, one raised inside."""

from __future__ import annotations


class ExpressionError(Exception):
    """An expression or script is refused or failed; the message names it and the reason."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class Refused(Exception):
    """Raised inside the interpreter; turned into an ExpressionError naming the expression."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line
