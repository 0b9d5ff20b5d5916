"""What an official needs to act on a task: what the dossier is about, what earlier steps decided
(from the audit trail, with who and when) and the documents and links entered. Values read with the
labels of the forms that asked for them."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.accounts import display_name
from engine.clock import parse_instant
from engine.forms import FormDefinition
from engine.services import Engine
from engine.store.models import HumanTask
from engine.web.display import date_text, moment_text

URL = re.compile(r"https?://[^\s<>\"']+")
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}.*)?$")
REMARK = "afronding_opmerking"  # the remark a form-less task is completed with
EXTRA_LABELS = {REMARK: "Opmerking bij afronden"}


@dataclass(frozen=True)
class Entry:
    label: str
    text: str


@dataclass(frozen=True)
class Step:
    at: datetime
    who: str
    title: str
    entries: list[Entry]


@dataclass(frozen=True)
class Dossier:
    facts: list[Entry]
    links: list[tuple[str, str]]
    steps: list[Step]


class Labels:
    """Field labels and option labels from every deployed form, so stored values read as people wrote them."""

    def __init__(self, forms: dict[str, FormDefinition]) -> None:
        self.fields: dict[str, str] = dict(EXTRA_LABELS)
        self.options: dict[str, dict[str, str]] = {}
        for form in forms.values():
            self._read(form.schema.get("components", []))

    def _read(self, components: list) -> None:
        for component in components:
            key = component.get("key")
            if key and component.get("label"):
                self.fields.setdefault(key, component["label"])
            if key and isinstance(component.get("values"), list):
                self.options.setdefault(key, {str(v.get("value")): v.get("label", "") for v in component["values"]})
            self._read(component.get("components", []))

    def label(self, key: str) -> str:
        return self.fields.get(key, _humanized(key))

    def entries(self, values: dict) -> list[Entry]:
        return [Entry(self.label(key), self.text(key, value)) for key, value in filled(values).items()]

    def text(self, key: str, value: Any) -> str:
        if isinstance(value, bool):
            return "ja" if value else "nee"
        if isinstance(value, list):
            return ", ".join(self.text(key, item) for item in value)
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, str) and MOMENT.match(value):
            return _moment(value)
        return self.options.get(key, {}).get(str(value), str(value))


def dossier(engine: Engine, task: HumanTask, variables: dict) -> Dossier:
    """The task's dossier as its page shows it, from its variables and its audit trail."""
    labels = Labels(engine.repository.deployed_forms())
    origins: dict[str, str] = {}
    steps = _steps(engine, labels, task, variables, origins)
    return Dossier(_facts(labels, variables, origins), _links(labels, variables), steps)


def _facts(labels: Labels, variables: dict, origins: dict[str, str]) -> list[Entry]:
    """The variables under their labels; where fields share a label, each says which step entered it."""
    values = filled(variables)
    shared = Counter(labels.label(key) for key in values)
    return [Entry(f"{labels.label(key)} ({origins[key]})" if shared[labels.label(key)] > 1 and key in origins
                  else labels.label(key), labels.text(key, value)) for key, value in values.items()]


def filled(values: dict) -> dict:
    return {key: value for key, value in values.items() if value not in (None, "", [], {})}


def _links(labels: Labels, variables: dict) -> list[tuple[str, str]]:
    return [(labels.label(key), url) for key, value in variables.items() for url in URL.findall(_flat(value))]


def _flat(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _steps(engine: Engine, labels: Labels, task: HumanTask, variables: dict, origins: dict[str, str]) -> list[Step]:
    """Newest first; ``origins`` learns which step last entered each variable."""
    names: dict[str, str] = {}
    steps = []
    for event in engine.query.history(task.instance_id):
        if _parallel_answer(event, task, variables):
            continue
        title, values = _described(event.action, event.element_name, event.data or {})
        if title is not None:
            steps.append(Step(event.at, display_name(engine, event.actor, names), title, labels.entries(values)))
            origins.update(dict.fromkeys(values, title))
    return steps[::-1]


def _parallel_answer(event, task: HumanTask, variables: dict) -> bool:
    """A step completed while this task waited, with values this task's dossier does not hold yet: another
    side's answer to the same joint decision. Each side answers first, then sees the other (§ 6.2.3)."""
    return (event.action == "task.completed" and event.at >= task.created_at
            and any(variables.get(key) != value for key, value in (event.data or {}).items()))


def _described(action: str, element: str | None, data: dict) -> tuple[str | None, dict]:
    if action == "instance.started":
        return "Dossier gestart", data.get("variables", {})
    if action == "task.completed":
        return element or "Taak afgerond", data
    if action == "message.correlated":
        return f"Bericht ontvangen: {element}", data.get("variables", {})
    if action == "timer.fired":
        return f"Termijn verstreken: {element}", {}
    if action == "element.completed" and data.get("variables"):
        return f"Bepaald volgens de regels: {element}", data["variables"]
    return None, {}


def _moment(text: str) -> str:
    """ISO dates and instants as people read them; anything else that merely looks like one, unchanged."""
    try:
        return moment_text(parse_instant(text)) if "T" in text else date_text(date.fromisoformat(text))
    except ValueError:
        return text


def _humanized(key: str) -> str:
    return key.replace("_", " ").capitalize()
