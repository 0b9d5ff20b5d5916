"""The XML checks of a BPMN file, with their refusals in Dutch: libxml2 says in English what broke
well-formedness or the BPMN 2.0 XSD and at which line; here that becomes what is wrong and, for the schema,
the element (its id)."""

from __future__ import annotations

import re
import threading
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


_VALIDATORS = threading.local()


def schema_violation(tree, file_name: str) -> SchemaViolation | None:
    """None when ``tree`` is valid BPMN 2.0 by the XSD, else what is wrong, where."""
    try:
        _validator().validate(tree, file_name)
    except ValidationException as error:
        return _explained(tree, str(error).strip(), error.line_number or None)
    return None


def _validator() -> BpmnValidator:
    """The XSD compiled once per thread (~5 ms each time): a validator's error log, which each check starts
    anew, is not for two threads at once."""
    if not hasattr(_VALIDATORS, "validator"):
        _VALIDATORS.validator = BpmnValidator()
    return _VALIDATORS.validator


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


_SYNTAX = {
    "ERR_TAG_NAME_MISMATCH": "een sluit-tag past niet bij de open tag",
    "ERR_TAG_NOT_FINISHED": "het bestand houdt op midden in een element",
    "ERR_ATTRIBUTE_NOT_STARTED": "een attribuutwaarde staat niet tussen aanhalingstekens",
    "ERR_ATTRIBUTE_WITHOUT_VALUE": "een attribuut heeft geen waarde",
    "ERR_ATTRIBUTE_REDEFINED": "een attribuut staat twee keer op hetzelfde element",
    "ERR_DOCUMENT_END": "na het hoofdelement staat nog inhoud",
    "ERR_DOCUMENT_EMPTY": "het bestand is leeg",
    "ERR_UNDECLARED_ENTITY": "een entiteit (&...;) is niet gedefinieerd; schrijf &amp; voor &",
    "NS_ERR_UNDEFINED_NAMESPACE": "een namespace-voorvoegsel is niet gedeclareerd (xmlns:...)",
    "ERR_NAME_REQUIRED": "na < volgt geen geldige elementnaam; schrijf &lt; voor <",
    "ERR_LT_IN_ATTRIBUTE": "een < in een attribuutwaarde; schrijf &lt;",
}


def syntax_reason(error: etree.XMLSyntaxError) -> str:
    """What makes the XML not well-formed, in Dutch, with the column."""
    name = next((n for n in _SYNTAX if getattr(etree.ErrorTypes, n, None) == error.code), None)
    column = f" (kolom {error.position[1]})" if error.position else ""
    return (_SYNTAX[name] if name else "de XML klopt hier niet") + column
