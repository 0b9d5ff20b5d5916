"""Webhook source files: a broken one is refused with its name and every problem."""

from __future__ import annotations

import json

import pytest

from webhooks.sources import ConfigError, parse_source, pointed


def source(**events) -> str:
    return json.dumps({"source": "bron", "events": events})


def test_a_valid_source_parses_with_defaults():
    parsed = parse_source(source(x={"action": "start", "message": "m", "schema": {"type": "object"}}), "bron.json")
    assert (parsed.name, parsed.tolerance.total_seconds(), parsed.max_bytes) == ("bron", 300, 256 * 1024)


@pytest.mark.parametrize(("text", "expected"), [
    ("{", "geen geldige JSON"),
    (json.dumps({"source": "Bron!", "events": {}}), "source"),
    (source(x={"action": "stop", "message": "m", "schema": {}}), "events/x/action"),
    (source(x={"action": "start", "message": "m", "schema": {"type": "nope"}}), "geen geldig JSON Schema"),
    (source(x={"action": "start", "message": "m", "schema": {}, "correlation": {"a": "/data/a"}}), "correleert"),
    (source(x={"action": "correlate", "message": "m", "schema": {}, "businessKey": "data"}), "businessKey"),
])
def test_broken_sources_are_refused_with_the_reason(text, expected):
    with pytest.raises(ConfigError) as refused:
        parse_source(text, "bron.json")
    assert "bron.json" in str(refused.value) and expected in str(refused.value)


def test_json_pointers():
    document = {"data": {"a/b": [10, {"~x": 2}]}}
    assert pointed(document, "/data/a~1b/1/~0x") == (True, 2)
    assert pointed(document, "/data/a~1b/5") == (False, None)
    assert pointed(document, "/data/missing") == (False, None)
