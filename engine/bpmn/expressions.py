"""Safe evaluation of BPMN/DMN expressions and script tasks, accepting Camunda 7 syntax.

SpiffWorkflow runs every expression through Python eval/exec.  This module replaces that with an
interpreter over a whitelisted subset of the Python AST: no dunder access, no imports, no calls
except a few builtins and side-effect free methods, and limits on loops and value sizes.

- ``translate``: Camunda/JUEL (``${a && !empty b}``) to the Python-like source evaluated here.
- ``evaluate`` / ``check``: expressions (conditions, timers, DMN cells, correlation).
- ``execute`` / ``check_script``: script tasks (assignments, if/elif/else, bounded for loops).
- ``feel_unary_test`` / ``unary_test``: DMN input entries in FEEL (ranges, lists, not(...)).
- ``SafeScriptEngine``: the above plugged into SpiffWorkflow in place of ``PythonScriptEngine``.
"""

from __future__ import annotations

import ast
import copy
import functools
import operator
import re
from collections import ChainMap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from .timers import add_duration
from .timers import now as clock_now

MAX_EXPRESSION_LENGTH = 10_000
MAX_SCRIPT_LENGTH = 100_000
MAX_DEPTH = 100  # AST nesting; keeps the recursive interpreter far from Python's recursion limit
MAX_ITERATIONS = 10_000  # loop and comprehension iterations per evaluation or script run
MAX_LENGTH = 100_000  # items or characters in any value an operation produces
MAX_INT_BITS = 10_000
MAX_DATA_SIZE = 10_000_000  # items and characters in task data once written out, after a script

DMN_INPUT = "dmninputexpr"  # the name SpiffWorkflow's DMNEngine gives the input value


class ExpressionError(Exception):
    """An expression or script is refused or failed; the message names it and the reason."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


class _Refused(Exception):
    """Raised inside the interpreter; turned into an ExpressionError naming the expression."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def is_empty(value: Any) -> bool:
    """JUEL ``empty``: None, or a string or collection of length zero."""
    return value is None or (isinstance(value, Sized) and len(value) == 0)


def _str(value: Any) -> str:
    _check_expanded(value, MAX_LENGTH)
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
_CONSTANTS = {"true": True, "false": False, "null": None}  # JUEL/FEEL literals left bare in Python mode
_FORBIDDEN = {
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
_ALL_METHODS = frozenset().union(*_METHODS.values())

# ---------------------------------------------------------------------------------------------
# Camunda / JUEL translation
# ---------------------------------------------------------------------------------------------

_STRING = r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"'
_JUEL_TOKEN = re.compile(
    rf"(?P<string>{_STRING})|(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_]\w*)"
    r"|(?P<space>\s+)|(?P<op>&&|\|\||!=|==|<=|>=|\S)",
    re.DOTALL,
)
_JUEL_WRAPPED = re.compile(r"[$#]\{(.*)\}", re.DOTALL)
_JUEL_WORDS = {
    "eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "div": "/", "mod": "%",
    "true": "True", "false": "False", "null": "None",
}
_JUEL_OPS = {"&&": "and", "||": "or", "!": "not"}
_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")

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
        depth += (tokens[j][1] in _OPENING) - (tokens[j][1] in _CLOSING)
        if depth == 0:
            return j + 1
    return len(tokens)


# ---------------------------------------------------------------------------------------------
# Static checks
# ---------------------------------------------------------------------------------------------

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
    _compile_expression(expression)


def check_script(script: str) -> None:
    """Deploy-time validation of a script task."""
    _compile_script(script)


@functools.lru_cache(maxsize=1024)
def _compile_expression(expression: str) -> ast.Expression:
    try:
        if len(expression) > MAX_EXPRESSION_LENGTH:
            raise _Refused(f"longer than {MAX_EXPRESSION_LENGTH} characters")
        tree = _parse(translate(expression), "eval")
        _check_tree(tree, _EXPRESSION_NODES)
    except _Refused as e:
        raise ExpressionError(f"Expression '{expression}' is invalid: {e}") from None
    return tree


@functools.lru_cache(maxsize=256)
def _compile_script(script: str) -> ast.Module:
    try:
        if len(script) > MAX_SCRIPT_LENGTH:
            raise _Refused(f"longer than {MAX_SCRIPT_LENGTH} characters")
        tree = _parse(script, "exec")
        _check_tree(tree, _SCRIPT_NODES)
    except _Refused as e:
        where = f" on line {e.line}" if e.line else ""
        raise ExpressionError(f"Script is invalid{where}: {e}", e.line) from None
    return tree


def _parse(source: str, mode: str) -> Any:
    try:
        return ast.parse(source, mode=mode)
    except SyntaxError as e:
        raise _Refused(e.msg, e.lineno) from None
    except (RecursionError, MemoryError, ValueError):
        raise _Refused("too complex") from None


def _check_tree(tree: ast.AST, allowed: frozenset[type]) -> None:
    stack = [(tree, 0, 1)]  # iterative: the tree may be deeper than we are willing to recurse
    while stack:
        node, depth, line = stack.pop()
        line = getattr(node, "lineno", line)
        if depth > MAX_DEPTH:
            raise _Refused("nested too deeply", line)
        if type(node) not in allowed:
            name = type(node).__name__
            raise _Refused(f"{_DESCRIPTIONS.get(name, name)} is not allowed", line)
        node_check = _NODE_CHECKS.get(type(node))
        problem = node_check(node) if node_check else None
        if problem:
            raise _Refused(problem, line)
        children = [(child, depth + 1, line) for child in ast.iter_child_nodes(node)]
        stack.extend(reversed(children))  # report the first problem in source order


def _check_name(node: ast.Name) -> str | None:
    if node.id.startswith("__") or node.id in _FORBIDDEN:
        return f"'{node.id}' is not allowed"
    if not isinstance(node.ctx, ast.Load) and (node.id in FUNCTIONS or node.id in _CONSTANTS):
        return f"cannot assign to or delete '{node.id}'"
    return None


def _check_attribute(node: ast.Attribute) -> str | None:
    if node.attr.startswith("_"):
        return f"'{node.attr}' is not allowed"
    if not isinstance(node.ctx, ast.Load):
        return "assigning to attributes is not allowed; use d['key'] = value"
    return None


def _check_call(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return None if func.id in FUNCTIONS else f"function '{func.id}' is not allowed"
    if isinstance(func, ast.Attribute):
        return None if func.attr in _ALL_METHODS else f"method '{func.attr}' is not allowed"
    return "only whitelisted functions and methods can be called"


def _check_comprehension(node: ast.comprehension) -> str | None:
    if node.is_async:
        return "async comprehensions are not allowed"
    if not all(isinstance(n, (ast.Name, ast.Tuple, ast.Store)) for n in ast.walk(node.target)):
        return "a comprehension can only assign to names"
    return None


_NODE_CHECKS: dict[type, Callable[[Any], str | None]] = {
    ast.Name: _check_name,
    ast.Attribute: _check_attribute,
    ast.Call: _check_call,
    ast.Constant: lambda n: None if type(n.value) in _LITERAL_TYPES else f"literal {n.value!r} not allowed",
    ast.keyword: lambda n: "** arguments are not allowed" if n.arg is None else None,
    ast.Dict: lambda n: "** unpacking is not allowed" if None in n.keys else None,
    ast.For: lambda n: "for ... else is not allowed" if n.orelse else None,
    ast.comprehension: _check_comprehension,
}

# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_UNARY = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos}
_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}
_RUNTIME_ERRORS = (_Refused, TypeError, ValueError, ArithmeticError, LookupError, RecursionError)


def evaluate(expression: str, variables: Mapping[str, Any]) -> Any:
    """Evaluate an expression (Python-like or Camunda ``${...}``) against the variables."""
    tree = _compile_expression(expression)
    try:
        return _Interpreter(variables).eval(tree.body)
    except _RUNTIME_ERRORS as e:
        raise ExpressionError(f"Expression '{expression}' failed: {_describe(e)}") from e


def execute(script: str, variables: dict[str, Any], context: Mapping[str, Any] | None = None) -> None:
    """Run a script task; results are written into ``variables``, ``context`` is read-only."""
    tree = _compile_script(script)
    # Work on a copy so a failing script leaves the data untouched and the task can be retried.
    scope = copy.deepcopy(variables)
    interpreter = _Interpreter(ChainMap(scope, context or {}))
    try:
        interpreter.run(tree.body)
    except _RUNTIME_ERRORS as e:
        line = interpreter.line
        raise ExpressionError(f"Script failed on line {line}: {_describe(e)}", line) from e
    try:
        _check_expanded(scope, MAX_DATA_SIZE)
    except _Refused as e:
        raise ExpressionError(f"Script failed: the task data it produces is too large ({e})") from e
    variables.clear()
    variables.update(scope)


def _describe(error: Exception) -> str:
    return str(error) if isinstance(error, _Refused) else f"{type(error).__name__}: {error}"


def _binary(op: ast.operator, left: Any, right: Any) -> Any:
    int_power = isinstance(op, ast.Pow) and _is_int(left) and _is_int(right) and abs(left) > 1
    if int_power and right * left.bit_length() > MAX_INT_BITS:
        raise _Refused("result of ** is too large")
    if isinstance(op, ast.Mult):
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, Sized) and _is_int(count):
                _check_length(len(seq) * count)
    if isinstance(op, ast.Mod) and isinstance(left, str):
        raise _Refused("string formatting with % is not allowed")
    return _limit(_BINARY[type(op)](left, right))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _limit(value: Any) -> Any:
    if _is_int(value) and value.bit_length() > MAX_INT_BITS:
        raise _Refused(f"number larger than {MAX_INT_BITS} bits")
    if isinstance(value, Sized):
        _check_length(len(value))
    return value


def _check_length(length: int) -> None:
    if length > MAX_LENGTH:
        raise _Refused(f"result longer than {MAX_LENGTH} items or characters")


def _check_expanded(value: Any, limit: int) -> None:
    """Refuse a value that is longer than ``limit`` items and characters once printed or serialized.

    Repeating one object (``[s] * 1000``) costs little memory but is written out in full.
    """
    try:
        size = _expanded_size(value, {}, set())
    except RecursionError:
        raise _Refused("value is nested too deeply") from None
    if size > limit:
        raise _Refused(f"value longer than {limit} items and characters when written out")


def _expanded_size(value: Any, sizes: dict[int, int], open_ids: set[int]) -> int:
    """Written-out size; each container is measured once (by id), so shared parts cost nothing extra."""
    if not isinstance(value, Mapping | list | tuple | set):
        return len(value) + 1 if isinstance(value, Sized) else 1
    key = id(value)
    if key in open_ids:
        raise _Refused("value contains itself")
    if key not in sizes:
        open_ids.add(key)
        children = [*value.keys(), *value.values()] if isinstance(value, Mapping) else value
        sizes[key] = len(value) + 1 + sum(_expanded_size(child, sizes, open_ids) for child in children)
        open_ids.remove(key)
    return sizes[key]


def _call_method(obj: Any, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if not any(isinstance(obj, kind) and name in names for kind, names in _METHODS.items()):
        raise _Refused(f"method '{name}' is not allowed on {type(obj).__name__}")
    # The separator / replacement is repeated once per item / character: check before building it.
    if name == "join" and args and isinstance(args[0], Sized):
        _check_length(len(obj) * len(args[0]))
        _check_expanded(args[0], MAX_LENGTH)
    if name == "replace" and len(args) > 1 and isinstance(args[1], Sized):
        _check_length((len(obj) + 1) * len(args[1]))
    return _limit(getattr(obj, name)(*args, **kwargs))


class _Interpreter:
    """Walks a tree that passed ``_check_tree``; every node type met here is whitelisted."""

    def __init__(self, names: Mapping[str, Any]):
        self.names = names
        self.iterations = 0
        self.line = 0

    def eval(self, node: ast.AST) -> Any:
        return getattr(self, "_" + type(node).__name__)(node)

    def run(self, statements: list[ast.stmt]) -> None:
        for statement in statements:
            self.line = statement.lineno
            self.eval(statement)

    # -- expressions ---------------------------------------------------------------------------

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        if node.id in self.names:
            return self.names[node.id]
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise _Refused(f"name '{node.id}' is not defined")

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        stop_when = isinstance(node.op, ast.Or)
        for value_node in node.values:
            value = self.eval(value_node)
            if bool(value) == stop_when:
                return value
        return value

    def _BinOp(self, node: ast.BinOp) -> Any:
        return _binary(node.op, self.eval(node.left), self.eval(node.right))

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        return _UNARY[type(node.op)](self.eval(node.operand))

    def _Compare(self, node: ast.Compare) -> bool:
        left = self.eval(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.eval(right_node)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)

    def _Call(self, node: ast.Call) -> Any:
        target = None if isinstance(node.func, ast.Name) else self.eval(node.func.value)
        args = [self.eval(arg) for arg in node.args]
        kwargs = {kw.arg: self.eval(kw.value) for kw in node.keywords}
        if isinstance(node.func, ast.Name):
            return _limit(FUNCTIONS[node.func.id](*args, **kwargs))
        return _call_method(target, node.func.attr, args, kwargs)

    def _Attribute(self, node: ast.Attribute) -> Any:
        # JUEL/Camunda style ``order.amount`` reads a key of a dict; there are no other attributes.
        value = self.eval(node.value)
        if not isinstance(value, Mapping):
            raise _Refused(f"'.{node.attr}' can only read a key of a dict, not of {type(value).__name__}")
        if node.attr not in value:
            raise _Refused(f"dict has no key '{node.attr}'")
        return value[node.attr]

    def _Subscript(self, node: ast.Subscript) -> Any:
        return self.eval(node.value)[self.eval(node.slice)]

    def _Slice(self, node: ast.Slice) -> slice:
        parts = (node.lower, node.upper, node.step)
        return slice(*(None if part is None else self.eval(part) for part in parts))

    def _List(self, node: ast.List) -> list[Any]:
        return [self.eval(element) for element in node.elts]

    def _Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self.eval(element) for element in node.elts)

    def _Set(self, node: ast.Set) -> set[Any]:
        return {self.eval(element) for element in node.elts}

    def _Dict(self, node: ast.Dict) -> dict[Any, Any]:
        return {self.eval(key): self.eval(value) for key, value in zip(node.keys, node.values, strict=True)}

    def _ListComp(self, node: ast.ListComp) -> list[Any]:
        return [self.eval(node.elt) for _ in self._comprehend(node.generators)]

    _GeneratorExp = _ListComp

    def _SetComp(self, node: ast.SetComp) -> set[Any]:
        return {self.eval(node.elt) for _ in self._comprehend(node.generators)}

    def _DictComp(self, node: ast.DictComp) -> dict[Any, Any]:
        return {self.eval(node.key): self.eval(node.value) for _ in self._comprehend(node.generators)}

    def _comprehend(self, generators: list[ast.comprehension]) -> Iterator[None]:
        """Yields once per combination of loop values, with the loop variables in a local scope."""
        outer = self.names
        self.names = ChainMap({}, outer)
        try:
            yield from self._generate(generators)
        finally:
            self.names = outer

    def _generate(self, generators: list[ast.comprehension]) -> Iterator[None]:
        first, rest = generators[0], generators[1:]
        for item in self._iterate(self.eval(first.iter)):
            self._assign(first.target, item)
            if not all(self.eval(condition) for condition in first.ifs):
                continue
            if rest:
                yield from self._generate(rest)
            else:
                yield None

    def _iterate(self, iterable: Any) -> Iterator[Any]:
        for item in list(iterable):
            self.iterations += 1
            if self.iterations > MAX_ITERATIONS:
                raise _Refused(f"more than {MAX_ITERATIONS} loop iterations")
            yield item

    # -- statements ----------------------------------------------------------------------------

    def _Assign(self, node: ast.Assign) -> None:
        value = self.eval(node.value)
        for target in node.targets:
            self._assign(target, value)

    def _AugAssign(self, node: ast.AugAssign) -> None:
        value = self.eval(node.value)
        if isinstance(node.target, ast.Name):
            current = self._Name(node.target)
            self.names[node.target.id] = _binary(node.op, current, value)
        else:
            container, key = self.eval(node.target.value), self.eval(node.target.slice)
            container[key] = _binary(node.op, container[key], value)

    def _assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.names[target.id] = value
        elif isinstance(target, ast.Subscript):
            self.eval(target.value)[self.eval(target.slice)] = value
        else:
            values = list(value)
            if len(values) != len(target.elts):
                raise _Refused(f"cannot unpack {len(values)} values into {len(target.elts)} targets")
            for element, item in zip(target.elts, values, strict=True):
                self._assign(element, item)

    def _Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._Name(target)
                del self.names[target.id]
            else:
                del self.eval(target.value)[self.eval(target.slice)]

    def _If(self, node: ast.If) -> None:
        self.run(node.body if self.eval(node.test) else node.orelse)

    def _For(self, node: ast.For) -> None:
        for item in self._iterate(self.eval(node.iter)):
            self._assign(node.target, item)
            self.run(node.body)

    def _Expr(self, node: ast.Expr) -> None:
        self.eval(node.value)

    def _Pass(self, node: ast.Pass) -> None:
        return None


# ---------------------------------------------------------------------------------------------
# DMN: FEEL unary tests
# ---------------------------------------------------------------------------------------------

_FEEL_RANGE = r"[\[\](][^\[\](),]*?\.\.[^\[\](),]*?[\[\])]"
_FEEL_PIECE = re.compile(rf"{_STRING}|{_FEEL_RANGE}|[^\"'()\[\]{{}},]+|.", re.DOTALL)
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
        raise ExpressionError(f"DMN input entry '{test}' failed for {value!r}: {e}") from e


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
        depth += (match.group() in _OPENING) - (match.group() in _CLOSING)
        pieces.append((match, depth))
    return pieces


# ---------------------------------------------------------------------------------------------
# SpiffWorkflow integration
# ---------------------------------------------------------------------------------------------


class SafeScriptEngine(PythonScriptEngine):
    """PythonScriptEngine without eval/exec: expressions, scripts and DMN cells run through this module.

    DMN: SpiffWorkflow's DMNEngine calls ``validate(cell)`` and, when that passes, evaluates
    ``f'({input expression}) == ({cell})'`` on the business rule task.  ``validate`` accepts every
    FEEL unary test, and ``evaluate`` recognises that exact shape (the input expression is looked
    up in the task's decision table) and runs the cell as a FEEL unary test.
    """

    def validate(self, expression: str) -> None:
        check(feel_unary_test(expression))

    def evaluate(self, task: Any, expression: str, external_context: Mapping[str, Any] | None = None) -> Any:
        variables = ChainMap(task.data, external_context or {})
        try:
            dmn_entry = _dmn_input_entry(task, expression)
            if dmn_entry:
                input_expression, test = dmn_entry
                return unary_test(test, _input_value(input_expression, variables), variables)
            return evaluate(expression, variables)
        except ExpressionError as e:
            raise WorkflowTaskException(str(e), task=task, exception=e) from e

    def execute(self, task: Any, script: str, external_context: Mapping[str, Any] | None = None) -> bool:
        try:
            execute(script, task.data, external_context)
        except ExpressionError as e:
            error_line = script.splitlines()[e.line - 1] if e.line else ""
            raise WorkflowTaskException(
                str(e), task=task, exception=e, line_number=e.line, error_line=error_line
            ) from e
        return True


def _input_value(expression: str, variables: Mapping[str, Any]) -> Any:
    """A DMN input expression's value. FEEL, Camunda 7's default language for input expressions, reads a
    variable that is not set as null, so one table can decide over a path that set only some of them."""
    name = expression.strip()
    if name.isidentifier() and name not in variables and name not in _CONSTANTS:
        return None
    return evaluate(expression, variables)


def _dmn_input_entry(task: Any, expression: str) -> tuple[str, str] | None:
    """(input expression, cell) if this is DMNEngine's ``(input) == (cell)`` for the task's table."""
    engine = getattr(task.task_spec, "dmnEngine", None)
    if engine is None:
        return None
    for column in engine.decision_table.inputs:
        prefix = f"({column.expression}) == ("
        if column.expression and expression.startswith(prefix) and expression.endswith(")"):
            return column.expression, expression[len(prefix):-1]
    return None
