"""SpiffWorkflow integration: the safe evaluator in place of ``PythonScriptEngine``'s eval/exec."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from .checks import check
from .errors import ExpressionError
from .feel import feel_unary_test, unary_test
from .functions import CONSTANTS
from .interpreter import evaluate, execute


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
    if name.isidentifier() and name not in variables and name not in CONSTANTS:
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
