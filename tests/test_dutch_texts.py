"""Everything a user reads is Dutch (issue #16): every text handed to a refusal, an error page, a flash
message or a problem detail — ``raise …("…")``, ``abort``, ``flash``, ``problem``, a deploy problem,
an expression refusal, a form error — is scanned for English words. Texts only a programmer meets
(a broken invariant) are named below with the reason."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("engine", "webhooks")
SKIPPED = {"migrations", "bench", "bench.py"}  # schema history; load generators for engineers
# Words that mean nothing in Dutch and are common in English messages ("of", "is", "in" are Dutch too).
ENGLISH = re.compile(r"\b(the|not|must|cannot|unknown|invalid|expected|should|has|have|does|doesn't|with|"
                     r"without|missing|only|already|which|when|from|than|into|allowed|requires?|supported|"
                     r"exists?|this|that|there|too|empty|wrong|failed|found|are|were|please|unable|could)\b",
                     re.IGNORECASE)
# Calls whose text arguments reach a person: refusals, pages, problem details, deploy problems, CLI output.
SPEAKING = {"problem", "abort", "flash", "InvalidData", "FieldError", "BadInput", "Invalid", "add", "Problem",
            "Refused", "Refusal", "error", "fail", "echo", "secho", "UsageError", "BadParameter", "ClickException"}
# file → texts that only a programmer meets.
FOR_PROGRAMMERS = {
    "engine/clock.py": "naive datetime",  # a caller passed a datetime without zone: a bug, not input
    "engine/store/models.py": "naive datetimes are not stored",  # idem, at the database boundary
    "engine/bpmn/serializer.py": "unknown format",  # a stored state from an unknown engine version
    "engine/web/throttle.py": "login.failed",  # an audit action's name, not a text
}


def _speaking_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            yield node.exc
        elif isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in SPEAKING:
                yield node


def _texts(call: ast.Call):
    for argument in [*call.args, *(keyword.value for keyword in call.keywords)]:
        text = " ".join(n.value for n in ast.walk(argument) if isinstance(n, ast.Constant) and isinstance(n.value, str))
        if text.strip():
            yield text


def english_texts() -> list[str]:
    found = []
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if SKIPPED & set(path.parts):
                continue
            for call in _speaking_calls(ast.parse(path.read_text(encoding="utf-8"))):
                for text in _texts(call):
                    if ENGLISH.search(text) and FOR_PROGRAMMERS.get(name, "\0") not in text:
                        found.append(f"{name}:{call.lineno}: {text!r}")
    return found


def test_refusals_and_messages_are_dutch():
    assert english_texts() == []


def test_the_scan_finds_an_english_refusal():
    tree = ast.parse('raise NotFound(f"process {key!r} is not deployed")\nflash("Opgeslagen.")')
    texts = [text for call in _speaking_calls(tree) for text in _texts(call)]
    assert [text for text in texts if ENGLISH.search(text)] == ["process   is not deployed"]
