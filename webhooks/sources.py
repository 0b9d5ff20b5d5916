"""Inbound webhook sources, configured in JSON files: one file per source in the folder named by
``GROS_WEBHOOK_SOURCES`` (default: ``webhooks/bronnen/``). A file names the source (its URL is
``/webhooks/<source>``), the tolerance window, the size limit and, per event type, the engine action
with the JSON Schema its ``data`` must satisfy and JSON pointers saying where the business key,
correlation values and variables are. Secrets are not in these files: they live in the database
(``gros webhooks secret add|retire``) so they can be rotated without a deployment."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from webhooks.schemas import Schema

DEFAULT_FOLDER = Path(__file__).parent / "bronnen"
NAME = "^[a-z0-9][a-z0-9-]{0,59}$"
POINTER = {"type": "string", "pattern": "^(/[^/]*)+$"}
POINTERS = {"type": "object", "additionalProperties": POINTER, "propertyNames": {"pattern": "^[A-Za-z][A-Za-z0-9_]*$"}}
CONFIG_SCHEMA = {
    "type": "object",
    "required": ["source", "events"],
    "additionalProperties": False,
    "properties": {
        "source": {"type": "string", "pattern": NAME},
        "description": {"type": "string"},
        "toleranceSeconds": {"type": "integer", "minimum": 1, "maximum": 3600},
        "maxBytes": {"type": "integer", "minimum": 256, "maximum": 10 * 1024 * 1024},
        "events": {"type": "object", "minProperties": 1, "additionalProperties": {
            "type": "object",
            "required": ["action", "message", "schema"],
            "additionalProperties": False,
            "properties": {
                "description": {"type": "string"},
                "action": {"enum": ["start", "correlate"]},
                "message": {"type": "string", "minLength": 1},
                "businessKey": POINTER,
                "correlation": POINTERS,
                "variables": POINTERS,
                "schema": {"type": "object"},
            },
        }},
    },
}
ENVELOPE = Schema({
    "type": "object",
    "required": ["type", "timestamp", "data"],
    "properties": {"type": {"type": "string", "maxLength": 200}, "timestamp": {"type": "string"},
                   "data": {"type": "object"}},
})


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class EventMapping:
    type: str
    action: str
    message: str
    business_key: str | None
    correlation: dict[str, str]
    variables: dict[str, str]
    schema: Schema


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    tolerance: timedelta
    max_bytes: int
    events: dict[str, EventMapping]


def sources_folder() -> Path:
    return Path(os.environ.get("GROS_WEBHOOK_SOURCES", DEFAULT_FOLDER))


def load_sources(folder: Path | None = None) -> dict[str, Source]:
    """Every ``*.json`` source in the folder; a broken file is refused with its name and problems."""
    sources: dict[str, Source] = {}
    for path in sorted((folder or sources_folder()).glob("*.json")):
        source = parse_source(path.read_text(encoding="utf-8"), path.name)
        if source.name in sources:
            raise ConfigError(f"{path.name}: bron '{source.name}' is al elders geconfigureerd")
        sources[source.name] = source
    return sources


def parse_source(text: str, filename: str) -> Source:
    try:
        config = json.loads(text)
    except ValueError as error:
        raise ConfigError(f"{filename}: geen geldige JSON: {error}") from error
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '/'}: {e.message}"
                for e in Draft202012Validator(CONFIG_SCHEMA).iter_errors(config)]
    if problems:
        raise ConfigError(f"{filename}: " + "; ".join(problems))
    events = {name: _mapping(name, spec, filename) for name, spec in config["events"].items()}
    tolerance = timedelta(seconds=config.get("toleranceSeconds", 300))
    size = config.get("maxBytes", 256 * 1024)
    return Source(config["source"], config.get("description", ""), tolerance, size, events)


def _mapping(name: str, spec: dict, filename: str) -> EventMapping:
    try:
        Draft202012Validator.check_schema(spec["schema"])
    except SchemaError as error:
        raise ConfigError(f"{filename}: schema van {name} is geen geldig JSON Schema: {error.message}") from error
    if spec["action"] == "start" and spec.get("correlation"):
        raise ConfigError(f"{filename}: {name} start een proces en correleert dus niet")
    return EventMapping(name, spec["action"], spec["message"], spec.get("businessKey"), spec.get("correlation", {}),
                        spec.get("variables", {}), Schema(spec["schema"]))


def pointed(document: Any, pointer: str) -> tuple[bool, Any]:
    """RFC 6901: (found, value) at ``pointer`` in ``document``."""
    value = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and token in value:
            value = value[token]
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return False, None
    return True, value
