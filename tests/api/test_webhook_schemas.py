"""The quick schema verdict (webhooks.schemas) says what jsonschema's Draft 2020-12 validator says, for every
configured source's schemas and for the edge cases of each keyword it knows; a schema with more than that
gets no quick verdict."""

from __future__ import annotations

import random
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from webhooks.schemas import Schema, verdict
from webhooks.sources import DEFAULT_FOLDER, ENVELOPE, load_sources

from .conftest import DATA

TEXTS = ["", "a", "ab", "abc", "abcd", "GB-2027-001", "gb-2027-001", "A1", "A12", "Z" * 60, "Z" * 61, "ABC\n",
         "overig", "Overig", "overig ", "mobiliteit", "e\u0301", "\U0001f600" * 5, "x" * 19, "x" * 20, "x" * 199,
         "x" * 200, "x" * 201, "y" * 2000, "y" * 2001, "y" * 4000, "y" * 4001, "2027-01-31", "ja"]
OTHERS = [None, True, False, 0, 1, 5, 6, -1, 3.0, 3.5, 1e300, [], ["a"], {}, {"a": 1}]
VALUES = TEXTS + OTHERS


def configured() -> list[tuple[str, Any]]:
    sources = {**load_sources(DEFAULT_FOLDER), **load_sources(DATA / "bronnen")}
    return [("envelope", ENVELOPE.validator.schema)] + [
        (f"{s.name} {m.type}", m.schema.validator.schema) for s in sources.values() for m in s.events.values()]


def instances(schema: dict, count: int = 400) -> list[Any]:
    """Objects built from each property's first accepted value, then every field changed to every candidate,
    left out, joined by an unknown one, and random mixes of all that; and values that are no object."""
    properties = schema.get("properties", {})
    base = {name: next(v for v in VALUES if Draft202012Validator(sub).is_valid(v)) for name, sub in properties.items()}
    found: list[Any] = [base, {**base, "onbekend": "x"}, *VALUES]
    for name in properties:
        found += [{**base, name: value} for value in VALUES]
        found.append({key: value for key, value in base.items() if key != name})
    chance = random.Random(18)
    for _ in range(count):
        mixed = {name: chance.choice([base[name], chance.choice(VALUES)])
                 for name in properties if chance.random() > 0.1}
        found.append(mixed | ({"extra": chance.choice(VALUES)} if chance.random() < 0.2 else {}))
    return found


@pytest.mark.parametrize(("name", "schema"), configured(), ids=[name for name, _ in configured()])
def test_every_configured_schema_gets_the_quick_verdict_and_it_is_jsonschemas(name, schema):
    quick = verdict(schema)
    assert quick is not None, f"{name}: a keyword the quick verdict does not know"
    reference = Draft202012Validator(schema)
    checked = instances(schema)
    assert sum(map(reference.is_valid, checked)) > 10, "valid payloads are among those compared"
    assert [quick(i) for i in checked] == [reference.is_valid(i) for i in checked]


EDGES = [
    ({"type": "integer"}, [3, 3.0, 3.5, True, "3", None]),
    ({"type": "number"}, [3, 3.5, True, "3"]),
    ({"type": ["string", "null"]}, ["a", None, 1, False]),
    ({"enum": ["a", "b"]}, ["a", "c", ["a"], 1, None]),
    ({"minimum": 1, "maximum": 5}, [0, 1, 5, 5.5, True, False, "9", None]),
    ({"minLength": 2, "maxLength": 3}, ["a", "ab", "abc", "abcd", "e\u0301", "\U0001f600\U0001f600", 12345]),
    ({"pattern": "^[A-Z]{2}$"}, ["AB", "ABC", "ab", "AB\n", 12]),
    ({"pattern": "[0-9]"}, ["a1b", "ab", ""]),
    ({"required": ["a"], "properties": {"a": {"type": "string"}}}, [{"a": "x"}, {"a": 1}, {}, [], "a"]),
    ({"additionalProperties": False, "properties": {"a": {}}}, [{"a": 1}, {"a": 1, "b": 2}, {}, ["b"]]),
    ({"additionalProperties": {"type": "integer"}}, [{"a": 1}, {"a": "x"}, {}]),
    ({"properties": {"a": False}}, [{"a": 1}, {"b": 1}]),
    ({"type": "object", "description": "d", "format": "date", "title": "t"}, [{}, [], "2027-13-45"]),
    (True, [1, None]),
    (False, [1, None]),
]


@pytest.mark.parametrize(("schema", "values"), EDGES)
def test_the_quick_verdict_follows_jsonschema_on_each_keywords_edges(schema, values):
    quick, reference = verdict(schema), Draft202012Validator(schema)
    assert quick is not None
    assert [quick(v) for v in values] == [reference.is_valid(v) for v in values]


@pytest.mark.parametrize("schema", [
    {"$ref": "#/$defs/x", "$defs": {"x": {}}}, {"oneOf": [{}]}, {"enum": [1, "a"]}, {"minLength": 1.5},
    {"type": "geheel"}, {"patternProperties": {"a": {}}}, {"properties": {"a": {"const": 1}}}, {"pattern": "("},
])
def test_a_schema_with_more_than_it_knows_gets_no_quick_verdict_and_jsonschema_decides(schema):
    assert verdict(schema) is None
    fallback = Schema(schema)
    assert fallback.valid == fallback.validator.is_valid


def test_errors_come_from_jsonschema_only_when_the_quick_verdict_says_no():
    schema = Schema({"type": "object", "required": ["a"]})
    assert schema.errors({"a": 1}) == []
    [error] = schema.errors({})
    assert error.validator == "required"
