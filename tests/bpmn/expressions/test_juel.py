"""Camunda/JUEL expressions become the Python-like source the interpreter reads."""

import pytest

from engine.bpmn.expressions import translate


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
