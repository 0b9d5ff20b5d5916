"""Safe evaluation of BPMN/DMN expressions and script tasks, accepting Camunda 7 syntax.

SpiffWorkflow runs every expression through Python eval/exec.  This module replaces that with an
interpreter over a whitelisted subset of the Python AST: no dunder access, no imports, no calls
except a few builtins and side-effect free methods, ceilings on value sizes, and a budget of steps
and seconds for each evaluation, charged before the work is done.

- ``translate``: Camunda/JUEL (``${a && !empty b}``) to the Python-like source evaluated here.
- ``evaluate`` / ``check``: expressions (conditions, timers, DMN cells, correlation).
- ``execute`` / ``check_script``: script tasks (assignments, if/elif/else, bounded for loops).
- ``feel_unary_test`` / ``unary_test``: DMN input entries in FEEL (ranges, lists, not(...)).
- ``SafeScriptEngine``: the above plugged into SpiffWorkflow in place of ``PythonScriptEngine``.

Modules: ``juel`` (translation), ``checks`` (deploy-time whitelist), ``interpreter`` (evaluation),
``functions`` (what may be called, at what cost), ``limits`` (ceilings and the budget), ``feel``
(DMN cells), ``script_engine`` (SpiffWorkflow), ``errors``.
"""

from .checks import check, check_script
from .errors import ExpressionError
from .feel import feel_unary_test, unary_test
from .functions import is_empty
from .interpreter import evaluate, execute
from .juel import translate
from .script_engine import SafeScriptEngine

__all__ = [
    "ExpressionError",
    "SafeScriptEngine",
    "check",
    "check_script",
    "evaluate",
    "execute",
    "feel_unary_test",
    "is_empty",
    "translate",
    "unary_test",
]
