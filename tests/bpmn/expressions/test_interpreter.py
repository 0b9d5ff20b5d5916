"""Expressions and scripts evaluate against task data within the ceilings on values and loops."""

from datetime import UTC, datetime

import pytest

from engine.bpmn.expressions import ExpressionError, check, evaluate, execute, is_empty
from engine.bpmn.timers import clock_at


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
    with pytest.raises(ExpressionError, match="Expressie 'amount > 1' mislukte: naam 'amount' is niet gedefinieerd"):
        evaluate("amount > 1", {})


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("9**9**9", "resultaat van \\*\\* is te groot"),
        ("2 ** n", "is te groot"),
        ("10 ** 5000", "is te groot"),
        ("2 ** 4000 * 2 ** 4000 * 2 ** 4000", "getal groter dan 10000 bits"),
        ("'a' * 10**10", "resultaat langer dan"),
        ("[0] * n * n", "resultaat langer dan"),
        ("n * 'ab'", "resultaat langer dan"),
        ("s * 2", "resultaat langer dan"),
        ("s + s", "resultaat langer dan"),
        ("(s + 'x').replace('x', s)", "resultaat langer dan"),
        ("s.join(s)", "resultaat langer dan"),
        ("str([s] * 2)", "als ze wordt uitgeschreven"),
        ("''.join([s, s])", "als ze wordt uitgeschreven"),
        ("sum([[1]], [])", "TypeError"),
        ("'%*d' % (n, 1)", "tekst opmaken met % is niet toegestaan"),
        ("[1 for a in s for b in s]", "meer dan 10000 herhalingen in een lus"),
        ("n.lower()", "methode 'lower' is niet toegestaan op int"),
        ("n.total", "kan alleen een sleutel van een dict lezen"),
        ("d.missing", "dict heeft geen sleutel 'missing'"),
        ("1 / 0", "ZeroDivisionError"),
        ("d['missing']", "KeyError"),
        ("s < 1", "TypeError"),
    ],
)
def test_runtime_limits(expression: str, message: str) -> None:
    check(expression)
    with pytest.raises(ExpressionError, match=f"Expressie '.*' mislukte: .*{message}"):
        evaluate(expression, {"n": 100_000, "s": "x" * 60_000, "d": {}})


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


def test_failing_script_names_the_line_and_leaves_data_untouched() -> None:
    variables = {"a": 1, "nested": {"k": 1}}
    expected = "Script mislukte op regel 3: naam 'missing' is niet gedefinieerd"
    with pytest.raises(ExpressionError, match=expected) as failed:
        execute("a = 2\nnested['k'] = 2\nb = missing", variables)
    assert failed.value.line == 3
    assert variables == {"a": 1, "nested": {"k": 1}}


def test_script_loops_are_bounded() -> None:
    with pytest.raises(ExpressionError, match="meer dan 10000 herhalingen in een lus"):
        execute("n = 0\nfor a in xs:\n    for b in xs:\n        n += 1", {"xs": list(range(200))})


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("a = [s] * 100\nb = [a] * 100", "langer dan 10000000"),  # small in memory, 10 MB serialized
        ("a = [1]\na[0] = a", "bevat zichzelf"),
        ("a = []\nfor i in range1000:\n    a = [a]", "te diep genest"),
    ],
)
def test_script_result_must_be_serializable(script: str, message: str) -> None:
    variables = {"s": "x" * 1000, "range1000": list(range(1000))}
    with pytest.raises(ExpressionError, match=f"de taakgegevens die het maakt zijn te groot.*{message}"):
        execute(script, variables)
    assert variables == {"s": "x" * 1000, "range1000": list(range(1000))}


def test_script_growth_is_bounded() -> None:
    with pytest.raises(ExpressionError, match="resultaat langer dan"):
        execute("s = 'ab'\nfor i in xs:\n    s = s + s", {"xs": list(range(100))})


def test_camunda_date_time_counts_from_the_engine_clock() -> None:
    """Camunda 7's ``dateTime()`` in a deadline, as processen/gros-escalatie.bpmn writes its due dates."""
    with clock_at(datetime(2027, 2, 1, 9, 0, tzinfo=UTC)):
        assert evaluate("${dateTime().plusDays(28).toDate()}", {}) == datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
        assert evaluate("${dateTime().plusWeeks(1).toDate()}", {}) == datetime(2027, 2, 8, 9, 0, tzinfo=UTC)
    with pytest.raises(ExpressionError, match="niet toegestaan"):
        evaluate("${dateTime().minusDays(1).toDate()}", {})
