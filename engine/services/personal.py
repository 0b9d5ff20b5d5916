"""Personal data declared, not guessed: the process owner marks a form field in Camunda Modeler with the
custom property ``persoonsgegeven = ja`` (form-js ``"properties": {"persoonsgegeven": "ja"}``); the
engine then knows from the deployed model which variables hold personal data. Those are kept out of
what leaves the engine and replaced by a marker when history is cleaned or a person's data erased."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import ProcessDefinition, Resource

PROPERTY, YES = "persoonsgegeven", "ja"
ERASED = "[verwijderd]"


def declared_fields(schema: Mapping[str, Any], prefix: str = "") -> set[str]:
    """The data paths of a form-js schema's fields marked as personal data; a group's or dynamic list's
    ``path`` prefixes its children's keys."""
    found: set[str] = set()
    for component in schema.get("components") or []:
        if not isinstance(component, dict):
            continue
        properties = component.get("properties") or {}
        if str(properties.get(PROPERTY, "")).strip().lower() == YES and component.get("key"):
            found.add(prefix + str(component["key"]))
        path = component.get("path")
        found |= declared_fields(component, f"{prefix}{path}." if path else prefix)
    return found


def definition_fields(session: Session, definition: ProcessDefinition) -> frozenset[str]:
    """Every personal field declared in the forms a deployed process version uses."""
    forms = session.scalars(select(Resource.content).where(Resource.id.in_(definition.resource_ids),
                                                           Resource.kind == "form"))
    return frozenset(key for content in forms for key in declared_fields(json.loads(content)))


def mask(data: Any, fields: Iterable[str]) -> Any:
    """``data`` with every declared personal field's value replaced by the marker; a dotted key is a
    path, through the rows of a list too."""
    if isinstance(data, list):
        return [mask(item, fields) for item in data]
    if not isinstance(data, dict):
        return data
    masked = dict(data)
    for key in fields:
        head, _, rest = key.partition(".")
        if masked.get(head) not in (None, ERASED):
            masked[head] = mask(masked[head], [rest]) if rest else ERASED
    return masked
