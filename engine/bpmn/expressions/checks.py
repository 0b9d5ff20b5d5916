"""Deploy-time checks: parse an expression or script and refuse any construct outside the whitelist."""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable
from typing import Any

from .errors import ExpressionError, Refused
from .functions import ALL_METHODS, CONSTANTS, FORBIDDEN, FUNCTIONS
from .juel import translate
from .limits import MAX_DEPTH, MAX_EXPRESSION_LENGTH, MAX_SCRIPT_LENGTH

_EXPRESSION_NODES = frozenset({
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Store, ast.BoolOp, ast.And, ast.Or,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
    ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE,
    ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.IfExp, ast.Call, ast.keyword,
    ast.Attribute, ast.Subscript, ast.Slice, ast.List, ast.Tuple, ast.Dict, ast.Set,
    ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension,
})
_SCRIPT_NODES = _EXPRESSION_NODES | {
    ast.Module, ast.Assign, ast.AugAssign, ast.If, ast.For, ast.Pass, ast.Expr, ast.Delete, ast.Del,
}
_DESCRIPTIONS = {
    "Lambda": "lambda", "JoinedStr": "f-string", "FormattedValue": "f-string", "NamedExpr": "':='",
    "Import": "import", "ImportFrom": "import", "FunctionDef": "def", "AsyncFunctionDef": "def",
    "ClassDef": "class", "While": "while", "Try": "try", "With": "with", "Starred": "* unpacking",
    "Global": "global", "Nonlocal": "nonlocal", "Return": "return", "Raise": "raise",
    "Break": "break", "Continue": "continue", "Yield": "yield", "Await": "await",
}
_LITERAL_TYPES = (str, int, float, bool, type(None))


def check(expression: str) -> None:
    """Deploy-time validation of an expression (syntax and forbidden constructs)."""
    compile_expression(expression)


def check_script(script: str) -> None:
    """Deploy-time validation of a script task."""
    compile_script(script)


@functools.lru_cache(maxsize=1024)
def compile_expression(expression: str) -> ast.Expression:
    """The checked tree of an expression (Camunda syntax translated); refused ones raise ExpressionError."""
    try:
        if len(expression) > MAX_EXPRESSION_LENGTH:
            raise Refused(f"langer dan {MAX_EXPRESSION_LENGTH} tekens")
        tree = _parse(translate(expression), "eval")
        _check_tree(tree, _EXPRESSION_NODES)
    except Refused as e:
        raise ExpressionError(f"Expressie '{expression}' is ongeldig: {e}") from None
    return tree


@functools.lru_cache(maxsize=256)
def compile_script(script: str) -> ast.Module:
    """The checked tree of a script task; refused ones raise ExpressionError naming the line."""
    try:
        if len(script) > MAX_SCRIPT_LENGTH:
            raise Refused(f"langer dan {MAX_SCRIPT_LENGTH} tekens")
        tree = _parse(script, "exec")
        _check_tree(tree, _SCRIPT_NODES)
    except Refused as e:
        where = f" op regel {e.line}" if e.line else ""
        raise ExpressionError(f"Script is ongeldig{where}: {e}", e.line) from None
    return tree


def _parse(source: str, mode: str) -> Any:
    try:
        return ast.parse(source, mode=mode)
    except SyntaxError as e:
        raise Refused(e.msg, e.lineno) from None
    except (RecursionError, MemoryError, ValueError):
        raise Refused("te ingewikkeld") from None


def _check_tree(tree: ast.AST, allowed: frozenset[type]) -> None:
    stack = [(tree, 0, 1)]  # iterative: the tree may be deeper than we are willing to recurse
    while stack:
        node, depth, line = stack.pop()
        line = getattr(node, "lineno", line)
        if depth > MAX_DEPTH:
            raise Refused("te diep genest", line)
        if type(node) not in allowed:
            name = type(node).__name__
            raise Refused(f"{_DESCRIPTIONS.get(name, name)} is niet toegestaan", line)
        node_check = _NODE_CHECKS.get(type(node))
        problem = node_check(node) if node_check else None
        if problem:
            raise Refused(problem, line)
        children = [(child, depth + 1, line) for child in ast.iter_child_nodes(node)]
        stack.extend(reversed(children))  # report the first problem in source order


def _check_name(node: ast.Name) -> str | None:
    if node.id.startswith("__") or node.id in FORBIDDEN:
        return f"'{node.id}' is niet toegestaan"
    if not isinstance(node.ctx, ast.Load) and (node.id in FUNCTIONS or node.id in CONSTANTS):
        return f"'{node.id}' kan niet worden toegekend of verwijderd"
    return None


def _check_attribute(node: ast.Attribute) -> str | None:
    if node.attr.startswith("_"):
        return f"'{node.attr}' is niet toegestaan"
    if not isinstance(node.ctx, ast.Load):
        return "toekennen aan attributen is niet toegestaan; gebruik d['sleutel'] = waarde"
    return None


def _check_call(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return None if func.id in FUNCTIONS else f"functie '{func.id}' is niet toegestaan"
    if isinstance(func, ast.Attribute):
        return None if func.attr in ALL_METHODS else f"methode '{func.attr}' is niet toegestaan"
    return "alleen toegelaten functies en methodes kunnen worden aangeroepen"


def _check_comprehension(node: ast.comprehension) -> str | None:
    if node.is_async:
        return "async comprehensions zijn niet toegestaan"
    if not all(isinstance(n, (ast.Name, ast.Tuple, ast.Store)) for n in ast.walk(node.target)):
        return "een comprehension kan alleen aan namen toekennen"
    return None


_NODE_CHECKS: dict[type, Callable[[Any], str | None]] = {
    ast.Name: _check_name,
    ast.Attribute: _check_attribute,
    ast.Call: _check_call,
    ast.Constant: lambda n: None if type(n.value) in _LITERAL_TYPES else f"waarde {n.value!r} is niet toegestaan",
    ast.keyword: lambda n: "** argumenten zijn niet toegestaan" if n.arg is None else None,
    ast.Dict: lambda n: "** unpacking is niet toegestaan" if None in n.keys else None,
    ast.For: lambda n: "for ... else is niet toegestaan" if n.orelse else None,
    ast.comprehension: _check_comprehension,
}
