"""Deploy-time checks refuse every construct outside the whitelist, naming it and the line."""

import pytest

from engine.bpmn.expressions import ExpressionError, check, check_script, evaluate


def test_invalid_syntax_names_the_expression() -> None:
    with pytest.raises(ExpressionError, match=r"Expressie '\$\{a >\}' is ongeldig: "):
        check("${a >}")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "'__import__' is niet toegestaan"),
        ("().__class__.__base__.__subclasses__()", "'__subclasses__' is niet toegestaan"),
        ("[].__class__", "'__class__' is niet toegestaan"),
        ("x.__dict__", "'__dict__' is niet toegestaan"),
        ("x._private", "'_private' is niet toegestaan"),
        ("__builtins__", "'__builtins__' is niet toegestaan"),
        ("getattr(x, '__class__')", "'getattr' is niet toegestaan"),
        ("setattr(x, 'a', 1)", "'setattr' is niet toegestaan"),
        ("open('/etc/passwd')", "'open' is niet toegestaan"),
        ("eval('1')", "'eval' is niet toegestaan"),
        ("exec('x = 1')", "'exec' is niet toegestaan"),
        ("compile('1', 'f', 'eval')", "'compile' is niet toegestaan"),
        ("globals()", "'globals' is niet toegestaan"),
        ("locals()", "'locals' is niet toegestaan"),
        ("vars()", "'vars' is niet toegestaan"),
        ("type(x)", "'type' is niet toegestaan"),
        ("open", "'open' is niet toegestaan"),
        ("'{0.__class__}'.format(1)", "methode 'format' is niet toegestaan"),
        ("'{a}'.format_map(x)", "methode 'format_map' is niet toegestaan"),
        ("x.mro()", "methode 'mro' is niet toegestaan"),
        ("lambda: 1", "lambda is niet toegestaan"),
        ("(lambda: 1)()", "alleen toegelaten functies en methodes kunnen worden aangeroepen"),
        ("x[0]()", "alleen toegelaten functies en methodes kunnen worden aangeroepen"),
        ("f'{x}'", "f-string is niet toegestaan"),
        ("f'{x!r:>{10**9}}'", "f-string is niet toegestaan"),
        ("(y := 1)", "':=' is niet toegestaan"),
        ("[x for x in range(10)]", "functie 'range' is niet toegestaan"),
        ("[1 for x[0] in [1]]", "een comprehension kan alleen aan namen toekennen"),
        ("len(*x)", "* unpacking is niet toegestaan"),
        ("{**x}", "** unpacking is niet toegestaan"),
        ("x << 2", "LShift is niet toegestaan"),
        ("b'bytes'", "waarde b'bytes' is niet toegestaan"),
        ("...", "waarde Ellipsis is niet toegestaan"),
        ("(" * 300 + "1" + ")" * 300, "too many nested parentheses"),
        ("-" * 5000 + "1", "te ingewikkeld"),
        ("[" * 150 + "]" * 150, "te diep genest"),
        ("1" + "+1" * 200, "te diep genest"),
        ("x" * 10_001, "langer dan 10000 tekens"),
    ],
)
def test_escapes_are_refused_statically(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError, match="is ongeldig") as refused:
        check(expression)
    assert message in str(refused.value)
    with pytest.raises(ExpressionError, match="is ongeldig"):
        evaluate(expression, {"x": [lambda: 1]})


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("import os", "import is niet toegestaan"),
        ("from os import path", "import is niet toegestaan"),
        ("def f():\n    pass", "def is niet toegestaan"),
        ("class A:\n    pass", "class is niet toegestaan"),
        ("while True:\n    pass", "while is niet toegestaan"),
        ("try:\n    x = 1\nexcept Exception:\n    pass", "try is niet toegestaan"),
        ("with x:\n    pass", "with is niet toegestaan"),
        ("x = 1\nglobal y", "regel 2: global is niet toegestaan"),
        ("f = lambda: 1", "lambda is niet toegestaan"),
        ("del len", "'len' kan niet worden toegekend of verwijderd"),
        ("len = 3", "'len' kan niet worden toegekend of verwijderd"),
        ("true = 0", "'true' kan niet worden toegekend of verwijderd"),
        ("x.a = 1", "toekennen aan attributen is niet toegestaan"),
        ("for x in y:\n    break", "break is niet toegestaan"),
        ("for x in y:\n    pass\nelse:\n    pass", "for ... else is niet toegestaan"),
        ("x = ().__class__", "'__class__' is niet toegestaan"),
        ("return 1", "return is niet toegestaan"),
        ("x = (", "Script is ongeldig op regel 1"),
    ],
)
def test_script_refusals(script: str, message: str) -> None:
    with pytest.raises(ExpressionError, match="Script is ongeldig") as refused:
        check_script(script)
    assert message in str(refused.value)
