"""One dossier as the monitor shows it: where its tokens stand and the path it took, per (called)
process, for the diagrams; its facts, each with who entered it at which step for which side (read from
the audit trail and the model's candidate groups); and its full audit trail in words, with the data entered."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from engine.accounts import account, display_name
from engine.gros.groups import group_name
from engine.gros.radar import side_of
from engine.services import Engine
from engine.store.models import AuditEvent, Incident, Position, ProcessInstance
from engine.web.display import moment_text
from engine.web.inbox.context import Entry, Labels, filled
from engine.web.monitor.diagrams import Diagram, diagrams, phase_order
from engine.web.monitor.queries import owner, side_text

ACTIONS = {
    "instance.started": "Dossier gestart",
    "task.completed": "Taak afgerond",
    "task.claimed": "Taak geclaimd",
    "task.unclaimed": "Taak vrijgegeven",
    "task.assigned": "Taak overgedragen",
    "message.correlated": "Bericht ontvangen",
    "message.sent": "Bericht verzonden",
    "timer.fired": "Termijn verstreken",
    "element.completed": "Stap doorlopen",
    "incident.created": "Incident",
    "incident.retried": "Opnieuw geprobeerd",
    "instance.suspended": "Geschorst",
    "instance.resumed": "Hervat",
    "variables.set": "Gegevens gewijzigd",
    "instance.completed": "Dossier afgerond",
    "precedent.marked": "Precedent aangeduid",
    "precedent.unmarked": "Precedent losgekoppeld",
    "kennisbank.published": "Samenvatting openbaar gemaakt",
    "kennisbank.withdrawn": "Samenvatting niet langer openbaar",
    "toets.termijn-verstreken": "Beoordeling te laat gemarkeerd",
    "toets.dossier-gestart": "GROS-dossier gestart uit deze toets",
}
AUTOMATIC = {"element.completed", "instance.completed", "message.sent"}


@dataclass(frozen=True)
class Line:
    """One event of the audit trail, in words."""

    at: datetime
    who: str
    what: str
    step: str
    entries: list[Entry]
    automatic: bool


@dataclass(frozen=True)
class Fact:
    """One value of the dossier under its label, and where it came from: who, in which group, at which step."""

    label: str
    text: str
    source: str


@dataclass(frozen=True)
class Origin:
    who: str
    groups: tuple[str, ...]
    step: str
    at: datetime
    how: str  # "ingevuld", "bepaald volgens de regels" (a decision table) or "ontvangen" (a message)


@dataclass
class Marks:
    """What one diagram highlights: tokens, the path taken, failed elements."""

    diagram: Diagram
    active: set[str]
    done: set[str]
    incidents: set[str]
    chosen: int | None = None  # the version a call activity chose at run time for this process

    @property
    def title(self) -> str:
        if self.chosen is None:
            return self.diagram.name
        return f"{self.diagram.name} (versie {self.chosen}, gekozen bij de aanroep)"

    @property
    def waiting(self) -> list[str]:
        """The names of the elements a token waits at (not the call activities it runs inside)."""
        return sorted(self.diagram.label(e) for e in self.active if e not in self.diagram.containers)

    def payload(self) -> dict:
        visited = self.done | self.active
        flows = [flow for flow, (source, target) in self.diagram.flows.items()
                 if source in self.done and target in visited]
        return {"key": self.diagram.key, "name": self.diagram.name, "xml": self.diagram.xml,
                "active": sorted(self.active), "done": sorted(self.done - self.active), "flows": sorted(flows),
                "incidents": sorted(self.incidents)}


@dataclass(frozen=True)
class Chosen:
    """A process a call activity chose at run time, drawn in the version that was chosen."""

    diagram: Diagram
    version: int


def chosen(engine: Engine, instance: ProcessInstance, positions: list[Position],
           history: list[AuditEvent]) -> list[Chosen]:
    """The processes call activities chose at run time, in the version chosen (the expression is not evaluated
    again): the version the steps it took recorded in the audit trail, or, where it has tokens now, the one its
    positions carry (after a migration: the version it moved to)."""
    ran = [(e.data["processDefinitionId"], e.data["process"]) for e in history
           if e.action == "element.completed" and (e.data or {}).get("processDefinitionId")]
    ran += [(p.definition_id, p.process_key) for p in positions if p.definition_id != instance.definition_id]
    found: dict[str, Chosen] = {}
    for definition_id, process_key in dict.fromkeys(ran):
        diagram = owner(diagrams(engine, definition_id), process_key)
        if diagram is not None:
            found[diagram.key] = Chosen(diagram, engine.repository.definition(definition_id).version)
    return list(found.values())


def drawn(engine: Engine, instance: ProcessInstance, called: list[Chosen]) -> dict[str, Diagram]:
    """Process key → diagram, for the dossier's version and the processes chosen at run time."""
    return {**diagrams(engine, instance.definition_id), **{c.diagram.key: c.diagram for c in called}}


def marks(instance: ProcessInstance, positions: list[Position], history: list[AuditEvent],
          incidents: list[Incident], called: list[Chosen], found: dict[str, Diagram]) -> list[Marks]:
    """Per process the dossier ran in (root first, then in call order, then the processes chosen at run time
    ``called``, all ``found`` as ``drawn`` gives them): its tokens and the path it took."""
    active, done, failed = defaultdict(set), defaultdict(set), defaultdict(set)
    for position in positions:
        diagram = owner(found, position.process_key)
        if diagram is not None:
            active[diagram.key].add(position.element_id)
    for index, event in enumerate(history):
        diagram = _ran_in(found, history, index, instance.definition_key)
        if diagram is not None:
            done[diagram.key].add(event.element_id)
    for incident in incidents:
        if incident.resolved_at is None and incident.element_id:
            keys = [k for k, ids in active.items() if incident.element_id in ids] or \
                   [d.key for d in found.values() if incident.element_id in d.elements]
            if keys:
                failed[keys[0]].add(incident.element_id)
    versions = {c.diagram.key: c.version for c in called}
    order = phase_order(found, instance.definition_key)
    shown = [key for key in order + [key for key in versions if key not in order]
             if key == instance.definition_key or active[key] or done[key]]
    return [Marks(found[key], active[key], done[key], failed[key], versions.get(key)) for key in shown]


def _ran_in(found: dict[str, Diagram], history: list[AuditEvent], index: int, root: str) -> Diagram | None:
    """The diagram an event's element ran in. Completed user tasks do not record their process; when
    their element id occurs in several processes, the steps the same command took next decide."""
    event = history[index]
    if event.action == "element.completed":
        return owner(found, (event.data or {}).get("process") or root)
    if event.action != "task.completed" or not event.element_id:
        return None
    candidates = [d for d in found.values() if event.element_id in d.elements]
    if len(candidates) > 1:
        for later in history[index + 1:]:
            if later.at != event.at:
                break
            diagram = owner(found, (later.data or {}).get("process") or root) \
                if later.action == "element.completed" else None
            if diagram in candidates:
                return diagram
    return candidates[0] if candidates else None


def trail(engine: Engine, history: list[AuditEvent], found: dict[str, Diagram], labels: Labels) -> list[Line]:
    """The audit trail in words, newest first: who did what, when, in which step, with what data."""
    names: dict[str, str] = {}
    lines = []
    for event in history:
        data = event.data or {}
        step = event.element_name or ""
        if event.action == "element.completed":
            if not step:  # a gateway or event without a label means nothing to a reader
                continue
            diagram = owner(found, data.get("process", ""))
            step = f"{step} ({diagram.name})" if diagram else step
        lines.append(Line(event.at, display_name(engine, event.actor, names), ACTIONS.get(event.action, event.action),
                          step, labels.entries(_entered(event.action, data)), event.action in AUTOMATIC))
    return lines[::-1]


def facts(engine: Engine, variables: dict, history: list[AuditEvent], found: dict[str, Diagram], labels: Labels,
          root: str) -> list[Fact]:
    """The dossier's values, each saying who entered it at which step and for which group; values that share a
    label (each side's 'Standpunt') are told apart by their side, or else by their step."""
    origins = _origins(engine, history, found, root)
    values = filled(variables)
    shared = Counter(labels.label(key) for key in values)
    return [Fact(_distinct_label(labels.label(key), origins.get(key)) if shared[labels.label(key)] > 1
                 else labels.label(key), labels.text(key, value), _source(origins.get(key)))
            for key, value in values.items()]


def _origins(engine: Engine, history: list[AuditEvent], found: dict[str, Diagram], root: str) -> dict[str, Origin]:
    """Variable → the last event that set it."""
    names: dict[str, str] = {}
    groups_of: dict[str, frozenset[str]] = {}
    origins = {}
    for index, event in enumerate(history):
        values, how = _set_by(event)
        if not values:
            continue
        groups: tuple[str, ...] = ()
        if event.action == "task.completed":
            diagram = _ran_in(found, history, index, root)
            groups = _acting_groups(engine, event.actor, diagram.groups.get(event.element_id, ()) if diagram else (),
                                    groups_of)
        step = event.element_name or ("de start van het dossier" if event.action == "instance.started" else "")
        origin = Origin(display_name(engine, event.actor, names), groups, step, event.at, how)
        origins.update(dict.fromkeys(values, origin))
    return origins


def _set_by(event: AuditEvent) -> tuple[dict, str]:
    """The variables an event set, and how they came."""
    data = event.data or {}
    if event.action in ("task.completed", "variables.set"):
        return data, "ingevuld"
    if event.action in ("instance.started", "incident.retried"):
        return data.get("variables") or {}, "ingevuld"
    if event.action == "message.correlated":
        return data.get("variables") or {}, "ontvangen"
    if event.action == "element.completed":
        return data.get("variables") or {}, "bepaald volgens de regels"
    return {}, ""


def _acting_groups(engine: Engine, username: str | None, candidates: tuple[str, ...],
                   known: dict[str, frozenset[str]]) -> tuple[str, ...]:
    """The task's candidate groups the person who completed it belongs to (all of them when unknown)."""
    if username and username not in known:
        found = account(engine, username)
        known[username] = frozenset(found[1]) if found else frozenset()
    own = [group for group in candidates if group in known.get(username or "", frozenset())]
    return tuple(own or candidates)


def _distinct_label(label: str, origin: Origin | None) -> str:
    side = side_of(list(origin.groups)) if origin else None
    if side:
        return f"{label} ({side_text(side)})"
    return f"{label} ({origin.step})" if origin and origin.step else label


def _source(origin: Origin | None) -> str:
    """'ingevuld door Els Maes (Departementen, Vlaanderen) bij Eerste verkenning, 3 mrt 2026 10:00'."""
    if origin is None:
        return ""
    when = moment_text(origin.at)
    if origin.how == "ontvangen":
        return f"ontvangen met het bericht ‘{origin.step}’, {when}"
    if origin.how == "bepaald volgens de regels":
        return f"bepaald volgens de regels bij {origin.step}, {when}"
    groups = f" ({', '.join(group_name(g) for g in origin.groups)})" if origin.groups else ""
    step = f" bij {origin.step}" if origin.step else ""
    return f"ingevuld door {origin.who}{groups}{step}, {when}"


def element_names(found: dict[str, Diagram]) -> dict[str, str]:
    """Element id → its name in the diagrams, for the texts that would otherwise show an id."""
    return {element_id: name for diagram in found.values() for element_id, name in diagram.elements.items()}


def _entered(action: str, data: dict) -> dict:
    if action in ("instance.started", "message.correlated", "incident.retried"):
        return data.get("variables") or {}
    if action in ("task.completed", "variables.set"):
        return data
    if action == "incident.created":
        return {"melding": data.get("message")}
    if action == "instance.suspended":
        return data
    if action == "task.assigned":
        return {"toegewezen_aan": data.get("assignee")}
    if action == "toets.dossier-gestart":
        return {"dossier": data.get("business_key")}
    if action == "toets.termijn-verstreken":
        return {"zijde": data.get("zijde")}
    return {}
