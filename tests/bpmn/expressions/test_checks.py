"""Deploy-time checks refuse every construct outside the whitelist, naming it and the line."""

import pytest

from engine.bpmn.expressions import ExpressionError, check, check_script, evaluate


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
