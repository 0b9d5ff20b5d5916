"""DMN input entries: FEEL unary tests as expressions."""

import pytest

from engine.bpmn.expressions import ExpressionError, feel_unary_test, unary_test


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
    with pytest.raises(ExpressionError, match=r"DMN-invoerregel '\[0..10\]' mislukte voor 'abc'"):
        unary_test("[0..10]", "abc", {})
