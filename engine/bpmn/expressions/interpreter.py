"""The interpreter: walks a checked tree with the task data as variables, within the limits and the budget."""

from __future__ import annotations

import ast
import copy
import operator
from collections import ChainMap
from collections.abc import Iterator, Mapping, Sized
from typing import Any

from .checks import compile_expression, compile_script
from .errors import ExpressionError, Refused
from .functions import CONSTANTS, call_function, call_method
from .limits import (
    MAX_DATA_SIZE,
    MAX_INT_BITS,
    MAX_ITERATIONS,
    Budget,
    BudgetExceeded,
    check_expanded,
    check_length,
    expanded_size,
    hash_cost,
    is_int,
    limit,
    size,
)

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
_RUNTIME_ERRORS = (Refused, TypeError, ValueError, ArithmeticError, LookupError, RecursionError)


def evaluate(expression: str, variables: Mapping[str, Any]) -> Any:
    """Evaluate an expression (Python-like or Camunda ``${...}``) against the variables."""
    tree = compile_expression(expression)
    try:
        return _Interpreter(variables).eval(tree.body)
    except BudgetExceeded as e:
        raise ExpressionError(f"Expressie '{expression}' overschrijdt het rekenbudget ({e})") from e
    except _RUNTIME_ERRORS as e:
        raise ExpressionError(f"Expressie '{expression}' mislukte: {_describe(e)}") from e


def execute(script: str, variables: dict[str, Any], context: Mapping[str, Any] | None = None) -> None:
    """Run a script task; results are written into ``variables``, ``context`` is read-only."""
    tree = compile_script(script)
    # Work on a copy so a failing script leaves the data untouched and the task can be retried.
    scope = copy.deepcopy(variables)
    interpreter = _Interpreter(ChainMap(scope, context or {}))
    try:
        interpreter.run(tree.body)
    except BudgetExceeded as e:
        line = interpreter.line
        raise ExpressionError(f"Script overschrijdt het rekenbudget op regel {line} ({e})", line) from e
    except _RUNTIME_ERRORS as e:
        line = interpreter.line
        raise ExpressionError(f"Script mislukte op regel {line}: {_describe(e)}", line) from e
    try:
        check_expanded(scope, MAX_DATA_SIZE)
    except Refused as e:
        raise ExpressionError(f"Script mislukte: de taakgegevens die het maakt zijn te groot ({e})") from e
    variables.clear()
    variables.update(scope)


def _describe(error: Exception) -> str:
    return str(error) if isinstance(error, Refused) else f"{type(error).__name__}: {error}"


def _binary(op: ast.operator, left: Any, right: Any, budget: Budget) -> Any:
    int_power = isinstance(op, ast.Pow) and is_int(left) and is_int(right) and abs(left) > 1
    if int_power and right * left.bit_length() > MAX_INT_BITS:
        raise Refused("resultaat van ** is te groot")
    if isinstance(op, ast.Mod) and isinstance(left, str):
        raise Refused("tekst opmaken met % is niet toegestaan")
    budget.charge(_binary_cost(op, left, right))
    return limit(_BINARY[type(op)](left, right))


def _binary_cost(op: ast.operator, left: Any, right: Any) -> int:
    """Items the operation reads or builds; a result beyond the length ceiling is refused before it is built."""
    if isinstance(op, ast.Mult):
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, Sized) and is_int(count):
                check_length(len(seq) * count)
                return 1 + len(seq) * max(count, 0)
    if isinstance(op, ast.Add) and isinstance(left, Sized) and isinstance(right, Sized):
        check_length(len(left) + len(right))
    return size(left) + size(right)


def _compare_cost(op: ast.cmpop, left: Any, right: Any) -> int:
    if isinstance(op, ast.Is | ast.IsNot):
        return 1
    if isinstance(op, ast.In | ast.NotIn) and isinstance(right, Mapping | set | frozenset):
        return hash_cost(left)
    return expanded_size(left) + expanded_size(right)  # comparing goes as deep as the values


class _Interpreter:
    """Walks a tree that passed ``_check_tree``; every node type met here is whitelisted."""

    def __init__(self, names: Mapping[str, Any]):
        self.names = names
        self.budget = Budget()
        self.iterations = 0
        self.line = 0

    def eval(self, node: ast.AST) -> Any:
        self.budget.charge(1)
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
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        raise Refused(f"naam '{node.id}' is niet gedefinieerd")

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        stop_when = isinstance(node.op, ast.Or)
        for value_node in node.values:
            value = self.eval(value_node)
            if bool(value) == stop_when:
                return value
        return value

    def _BinOp(self, node: ast.BinOp) -> Any:
        return _binary(node.op, self.eval(node.left), self.eval(node.right), self.budget)

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        return _UNARY[type(node.op)](self.eval(node.operand))

    def _Compare(self, node: ast.Compare) -> bool:
        left = self.eval(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.eval(right_node)
            self.budget.charge(_compare_cost(op, left, right))
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
            return call_function(node.func.id, args, kwargs, self.budget)
        return call_method(target, node.func.attr, args, kwargs, self.budget)

    def _Attribute(self, node: ast.Attribute) -> Any:
        # JUEL/Camunda style ``order.amount`` reads a key of a dict; there are no other attributes.
        value = self.eval(node.value)
        if not isinstance(value, Mapping):
            raise Refused(f"'.{node.attr}' kan alleen een sleutel van een dict lezen, niet van {type(value).__name__}")
        if node.attr not in value:
            raise Refused(f"dict heeft geen sleutel '{node.attr}'")
        return value[node.attr]

    def _Subscript(self, node: ast.Subscript) -> Any:
        value, key = self.eval(node.value), self.eval(node.slice)
        if isinstance(key, slice) and isinstance(value, Sized):
            self.budget.charge(1 + len(range(*key.indices(len(value)))))
        return value[self._key(value, key)]

    def _Slice(self, node: ast.Slice) -> slice:
        parts = (node.lower, node.upper, node.step)
        return slice(*(None if part is None else self.eval(part) for part in parts))

    def _List(self, node: ast.List) -> list[Any]:
        return [self.eval(element) for element in node.elts]

    def _Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return tuple(self.eval(element) for element in node.elts)

    def _Set(self, node: ast.Set) -> set[Any]:
        return {self._hashed(self.eval(element)) for element in node.elts}

    def _Dict(self, node: ast.Dict) -> dict[Any, Any]:
        pairs = zip(node.keys, node.values, strict=True)
        return {self._hashed(self.eval(key)): self.eval(value) for key, value in pairs}

    def _ListComp(self, node: ast.ListComp) -> list[Any]:
        return [self.eval(node.elt) for _ in self._comprehend(node.generators)]

    _GeneratorExp = _ListComp

    def _SetComp(self, node: ast.SetComp) -> set[Any]:
        return {self._hashed(self.eval(node.elt)) for _ in self._comprehend(node.generators)}

    def _DictComp(self, node: ast.DictComp) -> dict[Any, Any]:
        return {self._hashed(self.eval(node.key)): self.eval(node.value) for _ in self._comprehend(node.generators)}

    def _hashed(self, key: Any) -> Any:
        self.budget.charge(hash_cost(key))
        return key

    def _key(self, container: Any, key: Any) -> Any:
        """The key, its hashing charged when the container is a dict."""
        return self._hashed(key) if isinstance(container, Mapping) else key

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
        self.budget.charge(size(iterable))
        for item in list(iterable):
            self.budget.charge(1)
            self.iterations += 1
            if self.iterations > MAX_ITERATIONS:
                raise Refused(f"meer dan {MAX_ITERATIONS} herhalingen in een lus")
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
            self.names[node.target.id] = _binary(node.op, current, value, self.budget)
        else:
            container, key = self.eval(node.target.value), self.eval(node.target.slice)
            key = self._key(container, key)
            container[key] = _binary(node.op, container[key], value, self.budget)

    def _assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.names[target.id] = value
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value)
            container[self._key(container, self.eval(target.slice))] = value
        else:
            self.budget.charge(size(value))
            values = list(value)
            if len(values) != len(target.elts):
                raise Refused(f"kan {len(values)} waarden niet verdelen over {len(target.elts)} namen")
            for element, item in zip(target.elts, values, strict=True):
                self._assign(element, item)

    def _Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._Name(target)
                del self.names[target.id]
            else:
                container = self.eval(target.value)
                if not isinstance(container, Mapping):
                    self.budget.charge(size(container))  # the items after it move up
                del container[self._key(container, self.eval(target.slice))]

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

