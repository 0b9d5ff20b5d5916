"""The BPMN 2.0 XSD check (engine/bpmn/xsd.py): compiled once per thread, each check on its own."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from engine.bpmn.xsd import schema_violation

VALID = Path(__file__).parents[2] / "engine" / "bench" / "bench.bpmn"


def test_a_check_after_a_refusal_carries_nothing_of_it():
    broken = etree.fromstring(VALID.read_bytes().replace(b'<bpmn:userTask id="registreren"',
                                                         b'<bpmn:userTask idx="registreren"'))
    violation = schema_violation(etree.ElementTree(broken), "kapot.bpmn")
    assert violation is not None and violation.line is not None
    assert "idx" in violation.reason
    assert schema_violation(etree.parse(str(VALID)), "bench.bpmn") is None
    assert schema_violation(etree.ElementTree(broken), "kapot.bpmn") == violation
