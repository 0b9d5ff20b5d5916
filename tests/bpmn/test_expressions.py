from datetime import UTC, datetime
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.expressions import (
    ExpressionError,
    SafeScriptEngine,
    check,
    check_script,
    evaluate,
    execute,
    feel_unary_test,
    is_empty,
    translate,
    unary_test,
)
from engine.bpmn.timers import clock_at

DATA = Path(__file__).parent / "data"


# -- translation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("camunda", "python"),
    [
        ("${amount > 100}", "amount > 100"),
        ("#{a && !b}", "a and not b"),
        ("${a || b}", "a or b"),
        ("${!(a || b)}", "not (a or b)"),
        ("${x != 'y'}", "x != 'y'"),
        ('${a eq "x" || b ge 3}', 'a == "x" or b >= 3'),
        ("${a ne 1 and b lt 2 or c gt 3 and d le 4}", "a != 1 and b < 2 or c > 3 and d <= 4"),
        ("${a div 2 mod 3}", "a / 2 % 3"),
        ("${approved == true && rejected == false}", "approved == True and rejected == False"),
        ("${x == null}", "x == None"),
        ("${empty items}", "is_empty(items)"),
        ("${not empty order.lines[0]}", "not is_empty(order.lines[0])"),
        ("${empty (a)}", "is_empty((a))"),
        ("${order.empty}", "order.empty"),
        ("${\n  amount > 100\n  && ok\n}", "amount > 100 and ok"),
        # string literals are left alone
        ('${x == "a && !b eq null"}', 'x == "a && !b eq null"'),
        ("${x == 'it\\'s && true'}", "x == 'it\\'s && true'"),
        # plain Python passes through unchanged
        ("amount > 100", "amount > 100"),
        ('x == "NL"', 'x == "NL"'),
        ("not done and empty == 1", "not done and empty == 1"),
        # bare JUEL (not valid Python) is translated too
        ("!done", "not done"),
        ("a && b", "a and b"),
    ],
)
def test_translate(camunda: str, python: str) -> None:
    assert translate(camunda) == python


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("${amount > 100 && country == 'NL'}", True),
        ("${empty notes}", True),
        ("${!empty items}", True),
        ("${order.total ge 10}", True),
        ("amount * 2 + 1", 301),
        ("amount / 4", 37.5),
        ("amount // 7 % 5", 1),
        ("-amount ** 2", -22500),
        ("country in ['NL', 'BE'] and 'x' not in country", True),
        ("country.lower() == 'nl'", True),
        ("' a '.strip().upper()", "A"),
        ("', '.join(items)", "a, b"),
        ("order['lines'][1:]", [2, 3]),
        ("order.get('missing', 'default')", "default"),
        ("sorted(order.keys())", ["lines", "total"]),
        ("len(items) == 2 and max(order.lines) == 3", True),
        ("sum(x * 2 for x in order.lines if x > 1)", 10),
        ("{k: v for k, v in order.items() if k == 'total'}", {"total": 12}),
        ("any(x > 2 for x in order.lines) and all(order.lines)", True),
        ("round(amount / 7, 2)", 21.43),
        ("(1, 2.5, None, {3}, {'a': [1]})", (1, 2.5, None, {3}, {"a": [1]})),
        ("'big' if amount > 100 else 'small'", "big"),
        ("notes is None", True),
        ("true and not false and null is None", True),
        ("is_empty('') and is_empty([]) and not is_empty(0)", True),
    ],
)
def test_evaluate(expression: str, expected: object) -> None:
    variables = {
        "amount": 150,
        "country": "NL",
        "items": ["a", "b"],
        "notes": None,
        "order": {"total": 12, "lines": [1, 2, 3]},
    }
    assert evaluate(expression, variables) == expected


def test_is_empty() -> None:
    assert is_empty(None) and is_empty("") and is_empty({}) and is_empty(())
    assert not is_empty("x") and not is_empty(False) and not is_empty([0])


def test_missing_variable_is_named() -> None:
    with pytest.raises(ExpressionError, match="Expression 'amount > 1' failed: name 'amount' is not defined"):
        evaluate("amount > 1", {})


def test_invalid_syntax_names_the_expression() -> None:
    with pytest.raises(ExpressionError, match=r"Expression '\$\{a >\}' is invalid: "):
        check("${a >}")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "'__import__' is not allowed"),
        ("().__class__.__base__.__subclasses__()", "'__subclasses__' is not allowed"),
        ("[].__class__", "'__class__' is not allowed"),
        ("x.__dict__", "'__dict__' is not allowed"),
        ("x._private", "'_private' is not allowed"),
        ("__builtins__", "'__builtins__' is not allowed"),
        ("getattr(x, '__class__')", "'getattr' is not allowed"),
        ("setattr(x, 'a', 1)", "'setattr' is not allowed"),
        ("open('/etc/passwd')", "'open' is not allowed"),
        ("eval('1')", "'eval' is not allowed"),
        ("exec('x = 1')", "'exec' is not allowed"),
        ("compile('1', 'f', 'eval')", "'compile' is not allowed"),
        ("globals()", "'globals' is not allowed"),
        ("locals()", "'locals' is not allowed"),
        ("vars()", "'vars' is not allowed"),
        ("type(x)", "'type' is not allowed"),
        ("open", "'open' is not allowed"),
        ("'{0.__class__}'.format(1)", "method 'format' is not allowed"),
        ("'{a}'.format_map(x)", "method 'format_map' is not allowed"),
        ("x.mro()", "method 'mro' is not allowed"),
        ("lambda: 1", "lambda is not allowed"),
        ("(lambda: 1)()", "only whitelisted functions and methods can be called"),
        ("x[0]()", "only whitelisted functions and methods can be called"),
        ("f'{x}'", "f-string is not allowed"),
        ("f'{x!r:>{10**9}}'", "f-string is not allowed"),
        ("(y := 1)", "':=' is not allowed"),
        ("[x for x in range(10)]", "function 'range' is not allowed"),
        ("[1 for x[0] in [1]]", "a comprehension can only assign to names"),
        ("len(*x)", "* unpacking is not allowed"),
        ("{**x}", "** unpacking is not allowed"),
        ("x << 2", "LShift is not allowed"),
        ("b'bytes'", "literal b'bytes' not allowed"),
        ("...", "literal Ellipsis not allowed"),
        ("(" * 300 + "1" + ")" * 300, "too many nested parentheses"),
        ("-" * 5000 + "1", "too complex"),
        ("[" * 150 + "]" * 150, "nested too deeply"),
        ("1" + "+1" * 200, "nested too deeply"),
        ("x" * 10_001, "longer than 10000 characters"),
    ],
)
def test_escapes_are_refused_statically(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError, match="is invalid") as refused:
        check(expression)
    assert message in str(refused.value)
    with pytest.raises(ExpressionError, match="is invalid"):
        evaluate(expression, {"x": [lambda: 1]})


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("9**9**9", "result of \\*\\* is too large"),
        ("2 ** n", "is too large"),
        ("10 ** 5000", "is too large"),
        ("2 ** 4000 * 2 ** 4000 * 2 ** 4000", "number larger than 10000 bits"),
        ("'a' * 10**10", "result longer than"),
        ("[0] * n * n", "result longer than"),
        ("n * 'ab'", "result longer than"),
        ("s * 2", "result longer than"),
        ("s + s", "result longer than"),
        ("(s + 'x').replace('x', s)", "result longer than"),
        ("s.join(s)", "result longer than"),
        ("str([s] * 2)", "when written out"),
        ("''.join([s, s])", "when written out"),
        ("sum([[1]], [])", "TypeError"),
        ("'%*d' % (n, 1)", "string formatting with % is not allowed"),
        ("[1 for a in s for b in s]", "more than 10000 loop iterations"),
        ("n.lower()", "method 'lower' is not allowed on int"),
        ("n.total", "can only read a key of a dict"),
        ("d.missing", "dict has no key 'missing'"),
        ("1 / 0", "ZeroDivisionError"),
        ("d['missing']", "KeyError"),
        ("s < 1", "TypeError"),
    ],
)
def test_runtime_limits(expression: str, message: str) -> None:
    check(expression)
    with pytest.raises(ExpressionError, match=f"Expression '.*' failed: .*{message}"):
        evaluate(expression, {"n": 100_000, "s": "x" * 60_000, "d": {}})


# -- scripts -----------------------------------------------------------------------------------


def test_script_runs_allowed_statements() -> None:
    variables = {"amount": 1500, "lines": [{"price": 2, "qty": 3}, {"price": 5, "qty": 1}], "tmp": 1}
    execute(
        """
total = 0
for line in lines:
    total += line['price'] * line['qty']
    line['done'] = True
if amount > 10000:
    level = 'board'
elif amount > 1000:
    level = 'manager'
else:
    level = 'clerk'
first, second = lines
summary = {'total': total}
summary['count'] = len(lines)
names = [k for k in summary]
del tmp
pass
""",
        variables,
    )
    assert variables["total"] == 11
    assert variables["level"] == "manager"
    assert variables["summary"] == {"total": 11, "count": 2}
    assert variables["names"] == ["total", "count"]
    assert variables["lines"][0]["done"] and variables["second"]["price"] == 5
    assert "tmp" not in variables


def test_script_reads_context_without_writing_it_back() -> None:
    variables: dict[str, object] = {}
    execute("doubled = limit * 2", variables, {"limit": 5})
    assert variables == {"doubled": 10}


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("import os", "import is not allowed"),
        ("from os import path", "import is not allowed"),
        ("def f():\n    pass", "def is not allowed"),
        ("class A:\n    pass", "class is not allowed"),
        ("while True:\n    pass", "while is not allowed"),
        ("try:\n    x = 1\nexcept Exception:\n    pass", "try is not allowed"),
        ("with x:\n    pass", "with is not allowed"),
        ("x = 1\nglobal y", "line 2: global is not allowed"),
        ("f = lambda: 1", "lambda is not allowed"),
        ("del len", "cannot assign to or delete 'len'"),
        ("len = 3", "cannot assign to or delete 'len'"),
        ("true = 0", "cannot assign to or delete 'true'"),
        ("x.a = 1", "assigning to attributes is not allowed"),
        ("for x in y:\n    break", "break is not allowed"),
        ("for x in y:\n    pass\nelse:\n    pass", "for ... else is not allowed"),
        ("x = ().__class__", "'__class__' is not allowed"),
        ("return 1", "return is not allowed"),
        ("x = (", "Script is invalid on line 1"),
    ],
)
def test_script_refusals(script: str, message: str) -> None:
    with pytest.raises(ExpressionError, match="Script is invalid") as refused:
        check_script(script)
    assert message in str(refused.value)


def test_failing_script_names_the_line_and_leaves_data_untouched() -> None:
    variables = {"a": 1, "nested": {"k": 1}}
    expected = "Script failed on line 3: name 'missing' is not defined"
    with pytest.raises(ExpressionError, match=expected) as failed:
        execute("a = 2\nnested['k'] = 2\nb = missing", variables)
    assert failed.value.line == 3
    assert variables == {"a": 1, "nested": {"k": 1}}


def test_script_loops_are_bounded() -> None:
    with pytest.raises(ExpressionError, match="more than 10000 loop iterations"):
        execute("n = 0\nfor a in xs:\n    for b in xs:\n        n += 1", {"xs": list(range(200))})


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("a = [s] * 100\nb = [a] * 100", "longer than 10000000"),  # small in memory, 10 MB serialized
        ("a = [1]\na[0] = a", "contains itself"),
        ("a = []\nfor i in range1000:\n    a = [a]", "nested too deeply"),
    ],
)
def test_script_result_must_be_serializable(script: str, message: str) -> None:
    variables = {"s": "x" * 1000, "range1000": list(range(1000))}
    with pytest.raises(ExpressionError, match=f"the task data it produces is too large.*{message}"):
        execute(script, variables)
    assert variables == {"s": "x" * 1000, "range1000": list(range(1000))}


def test_script_growth_is_bounded() -> None:
    with pytest.raises(ExpressionError, match="result longer than"):
        execute("s = 'ab'\nfor i in xs:\n    s = s + s", {"xs": list(range(100))})


# -- DMN FEEL unary tests ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("test", "value", "expected"),
    [
        ("-", "anything", True),
        ("", None, True),
        (None, 1, True),
        ('"NL"', "NL", True),
        ('"NL"', "BE", False),
        ('"NL","BE"', "BE", True),
        ('"NL", "BE"', "DE", False),
        ('not("NL", "BE")', "DE", True),
        ('not("NL", "BE")', "NL", False),
        ("[0..1000]", 0, True),
        ("[0..1000]", 1000, True),
        ("[0..1000]", 1001, False),
        ("]0..1000[", 0, False),
        ("]0..1000[", 999.5, True),
        ("]0..1000[", 1000, False),
        ("(0..10)", 10, False),
        ("[0.5..1.5]", 1.5, True),
        ("[low..high]", 7, True),
        ("not([1..5])", 3, False),
        ("[1..5], > 100", 101, True),
        ("[1..5], > 100", 50, False),
        ("> 1000", 1001, True),
        ("<= 10", 11, False),
        ("!= 'x'", "y", True),
        ("= 3", 3, True),
        ("in ['a', 'b']", "a", True),
        ("not in ['a', 'b']", "a", False),
        ("true", True, True),
        ("false", True, False),
        ("null", None, True),
        ('"a,b"', "a,b", True),
        ('"not(x)"', "not(x)", True),
    ],
)
def test_unary_test(test: str | None, value: object, expected: bool) -> None:
    assert unary_test(test, value, {"low": 5, "high": 10}) is expected


def test_feel_unary_test_source() -> None:
    assert feel_unary_test("]0..1000[") == "dmninputexpr > (0) and dmninputexpr < (1000)"
    assert feel_unary_test('not("a")', "v") == 'not (v == ("a"))'


def test_unary_test_failure_names_the_entry() -> None:
    with pytest.raises(ExpressionError, match=r"DMN input entry '\[0..10\]' failed for 'abc'"):
        unary_test("[0..10]", "abc", {})


# -- SpiffWorkflow integration -----------------------------------------------------------------


@pytest.fixture(scope="module")
def specs() -> tuple:
    parser = CamundaParser()
    parser.add_bpmn_file(str(DATA / "expressions.bpmn"))
    parser.add_dmn_files([str(DATA / name) for name in ("route.dmn", "discount.dmn", "checks.dmn")])
    return parser.get_spec("expressions"), parser.get_subprocess_specs("expressions")


def run(specs: tuple, **data: object) -> BpmnWorkflow:
    workflow = BpmnWorkflow(*specs, script_engine=SafeScriptEngine())
    workflow.get_next_task(state=TaskState.READY).data.update(data)
    workflow.do_engine_steps()
    return workflow


def reached(workflow: BpmnWorkflow, end: str) -> bool:
    return any(task.task_spec.name == end for task in workflow.get_tasks(state=TaskState.COMPLETED))


ALL_CHECKS = ["basic", "fraud", "limits", "even"]


@pytest.mark.parametrize(
    ("country", "amount", "member", "expected", "end"),
    [
        ("NL", 500, True, ("simple", 10, ALL_CHECKS), "end_normal"),
        ("DE", 501, False, ("foreign", 0, ["basic", "fraud", "limits"]), "end_normal"),
        ("BE", 2000, True, ("review", 10, ["basic", "fraud", "even"]), "end_normal"),
        ("NL", 60000, False, ("board", 0, ALL_CHECKS), "end_board"),
        ("NL", 1, False, ("simple", 0, ["basic"]), "end_normal"),
    ],
)
def test_workflow_with_dmn_and_camunda_conditions(specs, country, amount, member, expected, end) -> None:
    workflow = run(specs, country=country, amount=amount, member=member, extra=0)
    assert workflow.is_completed()
    result = workflow.last_task.data
    assert (result["route"], result["discount"], result["checks"]) == expected
    assert result["size"] == ("large" if amount > 50000 else "small")
    assert reached(workflow, end)


def test_a_dmn_input_that_is_not_set_reads_as_null_as_in_feel(specs) -> None:
    """Camunda 7 evaluates DMN input expressions in FEEL, where a variable that is not set is null: one table
    can then decide over a path that set only some of its inputs (processen/gros-uitkomst.dmn)."""
    workflow = BpmnWorkflow(*specs, script_engine=SafeScriptEngine())
    workflow.get_next_task(state=TaskState.READY).data.update(country="NL", amount=5, extra=0)
    workflow.do_engine_steps()
    [decided] = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.name == "decide_discount"]
    assert "discount" not in decided.data  # null matches neither `true` nor `false`: no rule applies


def test_dmn_failure_becomes_task_exception(specs) -> None:
    workflow = BpmnWorkflow(*specs, script_engine=SafeScriptEngine())
    workflow.get_next_task(state=TaskState.READY).data.update(country="NL", amount=5, member=True, extra=0)
    column = workflow.spec.task_specs["decide_discount"].dmnEngine.decision_table.inputs[0]
    column.expression, original = "country.code", column.expression  # a string has no keys
    try:
        with pytest.raises(WorkflowTaskException, match="can only read a key of a dict") as failed:
            workflow.do_engine_steps()
    finally:
        column.expression = original  # the parsed specs are shared with the other tests
    assert failed.value.task_spec.name == "decide_discount"


def test_script_failure_becomes_task_exception_with_line(specs) -> None:
    with pytest.raises(WorkflowTaskException, match="name 'extra' is not defined") as failed:
        run(specs, country="NL", amount=5, member=True)
    assert failed.value.task_spec.name == "prepare"
    assert (failed.value.line_number, failed.value.error_line) == (1, "amount = amount + extra")


def test_engine_refuses_escape_in_condition(specs) -> None:
    workflow = run(specs, country="NL", amount=5, member=True, extra=0)
    task = workflow.last_task
    with pytest.raises(WorkflowTaskException, match="'__import__' is not allowed"):
        SafeScriptEngine().evaluate(task, "__import__('os')")
    assert SafeScriptEngine().evaluate(task, "${amount + bonus}", external_context={"bonus": 1}) == 6


def test_engine_validate_accepts_feel_and_refuses_escapes() -> None:
    engine = SafeScriptEngine()
    for cell in ("[0..1000]", 'not("a", "b")', '"a","b"', "> 5", "-", "true", "amount"):
        engine.validate(cell)
    with pytest.raises(ExpressionError, match="'__import__' is not allowed"):
        engine.validate("__import__('os')")


def test_camunda_date_time_counts_from_the_engine_clock() -> None:
    """Camunda 7's ``dateTime()`` in a deadline, as processen/gros-escalatie.bpmn writes its due dates."""
    with clock_at(datetime(2027, 2, 1, 9, 0, tzinfo=UTC)):
        assert evaluate("${dateTime().plusDays(28).toDate()}", {}) == datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
        assert evaluate("${dateTime().plusWeeks(1).toDate()}", {}) == datetime(2027, 2, 8, 9, 0, tzinfo=UTC)
    with pytest.raises(ExpressionError, match="not allowed"):
        evaluate("${dateTime().minusDays(1).toDate()}", {})
