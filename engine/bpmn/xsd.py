"""The BPMN 2.0 XSD check, with its refusal in Dutch naming the element: libxml2 says what broke the schema
in English and at which line; here that becomes the element (its id) and what is wrong with it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

_WHERE = re.compile(r"Element '(?P<tag>[^']+)'(?:, attribute '(?P<attribute>[^']+)')?: (?P<what>.*)", re.DOTALL)
_REASONS = (
    (re.compile(r"The attribute '(?P<x>[^']+)' is required but missing"), "het verplichte attribuut '{x}' ontbreekt"),
    (re.compile(r"The attribute '(?P<x>[^']+)' is not allowed"), "het attribuut '{x}' hoort niet bij dit element"),
    (re.compile(r"'(?P<x>[^']*)' is not a valid value of the atomic type 'xs:ID'"),
     "'{x}' is geen geldige id: een id komt maar één keer voor en begint met een letter of _"),
    (re.compile(r"'(?P<x>[^']*)' is not a valid value"), "de waarde '{x}' van attribuut '{attribute}' is ongeldig"),
    (re.compile(r"This element is not expected"), "dit element hoort hier niet (onbekend, of op de verkeerde plaats)"),
    (re.compile(r"Missing child element"), "er ontbreekt een verplicht onderdeel binnen dit element"),
)
FALLBACK = "dit element voldoet niet aan het schema"


@dataclass(frozen=True)
class SchemaViolation:
    line: int | None
    element: str | None
    reason: str  # Dutch
    detail: str  # libxml2's own text


def schema_violation(tree, file_name: str) -> SchemaViolation | None:
    """None when ``tree`` is valid BPMN 2.0 by the XSD, else what is wrong, where."""
    try:
        BpmnValidator().validate(tree, file_name)  # its error log is its own: one per check
    except ValidationException as error:
        return _explained(tree, str(error).strip(), error.line_number or None)
    return None


def _explained(tree, text: str, line: int | None) -> SchemaViolation:
    where = _WHERE.match(text)
    if where is None:
        return SchemaViolation(line, None, FALLBACK, text)
    tag, attribute = where["tag"], where["attribute"]
    reason = next((dutch.format(x=found["x"] if "x" in pattern.groupindex else "", attribute=attribute)
                   for pattern, dutch in _REASONS if (found := pattern.search(where["what"]))), FALLBACK)
    return SchemaViolation(line, _element(tree, tag, attribute, line), reason, text)


def _element(tree, tag: str, attribute: str | None, line: int | None) -> str:
    """The id of the element the error is about (the nearest one with an id around it), else its name."""
    candidates = [n for n in tree.iter(tag) if n.sourceline == line and (attribute is None or n.get(attribute))]
    node = candidates[0] if candidates else None
    while node is not None and node.get("id") is None:
        node = node.getparent()
    return node.get("id") if node is not None else etree.QName(tag).localname
