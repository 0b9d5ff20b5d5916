"""Every expression and script runs within a budget of steps and time, charged before the work is done."""

import pytest

from engine.bpmn.expressions import ExpressionError, evaluate, execute
from engine.bpmn.expressions.limits import MAX_STEPS, Budget, BudgetExceeded, expanded_size

BIG = {"xs": [1] * 100_000, "s": "x" * 100_000, "h": "x" * 50_000, "ws": ["ww"] * 15_000, "t": "x" * 10_000}
REFUSED = "overschrijdt het rekenbudget \\(meer dan 1.000.000 rekenstappen\\)"


def test_budget_refuses_a_charge_it_cannot_pay() -> None:
    budget = Budget(steps=10)
    budget.charge(10)
    with pytest.raises(BudgetExceeded, match="meer dan 10 rekenstappen"):
        budget.charge(1)


def test_budget_refuses_work_after_its_deadline() -> None:
    with pytest.raises(BudgetExceeded, match="langer dan 0 seconden"):
        Budget(seconds=0).charge(1)


def test_counting_in_a_long_list_ten_thousand_times_is_refused() -> None:
    script = "s = [1] * 100000\nn = 0\nfor i in 'x' * 10000:\n    n = n + s.count(1)"
    expected = "^Script overschrijdt het rekenbudget op regel 4 \\(meer dan 1.000.000 rekenstappen\\)$"
    with pytest.raises(ExpressionError, match=expected) as refused:
        execute(script, {})
    assert refused.value.line == 4


def test_building_ten_thousand_long_lists_is_refused_before_they_exist() -> None:
    expression = "${len([[0]*100000 for c in 'x'*10000]) > 0}"
    with pytest.raises(ExpressionError, match=f"^Expressie '.*' {REFUSED}"):
        evaluate(expression, {})


@pytest.mark.parametrize(
    "expression",
    [
        "[xs.count(1) for c in t]",
        "[s.find('y') for c in t]",
        "[h.replace('y', 'z') for c in t]",
        "[''.join(ws) for c in t]",
        "[sum(xs) for c in t]",
        "[max(xs) for c in t]",
        "[list(s) for c in t]",
        "[xs[1:] for c in t]",
        "[xs + [] for c in t]",
        "['ab' * 50000 for c in t]",
        "[xs == xs for c in t]",
        "[1 in xs for c in t]",
        "[str(ws) for c in t]",
        "sorted(xs[:60000] + xs[:40000])",
        "round(1, -100000000)",
        "([xs] * 300).count(xs + [])",  # one call, but 300 comparisons of 100,000 items each
        "([xs] * 300) == ([xs + []] * 300)",
        "len({((1,) * 100000,) * 300})",  # a tuple is hashed item by nested item
        "{'k': 1}.get(((1,) * 100000,) * 300)",
        "[[" + ", ".join(["a"] * 100) + "] for a in t]",  # only interpreted steps
    ],
)
def test_the_work_of_builtins_and_operators_is_charged(expression: str) -> None:
    with pytest.raises(ExpressionError, match=REFUSED):
        evaluate(expression, BIG)


@pytest.mark.parametrize(
    "expression",
    ["[len(xs) for c in t]", "[d.get('k') for c in t]", "['k' in d for c in t]", "sorted(xs[:25000])"],
)
def test_cheap_work_on_large_values_fits_the_budget(expression: str) -> None:
    evaluate(expression, {**BIG, "d": dict.fromkeys(range(100_000))})


def test_a_script_over_budget_leaves_the_data_untouched() -> None:
    variables = {"xs": [1] * 100_000}
    with pytest.raises(ExpressionError, match="rekenbudget"):
        execute("n = 0\nfor i in 'x' * 10000:\n    n = n + xs.count(1)", variables)
    assert variables == {"xs": [1] * 100_000}


def test_each_evaluation_has_its_own_budget() -> None:
    more_than_half = " + ".join(["sum(xs)"] * (MAX_STEPS // 2 // expanded_size(BIG["xs"]) + 1))
    for _ in range(2):
        assert evaluate(more_than_half, BIG) > 0
