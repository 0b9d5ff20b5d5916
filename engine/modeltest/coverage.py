"""Which elements and sequence flows of each process the scenarios reached, read from the audit trail
the engine writes anyway (``element.completed`` names the process, ``task.completed`` the user task) —
nothing in the core counts for the tests.

The trail names elements, not the flows between them, so a flow is reached when its target completes
while the flow's source has completed and not yet handed its token elsewhere: an exclusive element hands
it to the first of its targets that completes, a parallel or inclusive gateway (or an activity with
several outgoing flows: an implicit fork) to each of them. Flows are traced per scope (a process, or an
embedded subprocess), as the trail names the scope each element ran in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from engine.store.models import AuditEvent

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
FLOW_NODES = {
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "task", "userTask", "serviceTask", "scriptTask", "businessRuleTask", "sendTask", "receiveTask",
    "manualTask", "callActivity", "subProcess", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
    "eventBasedGateway", "complexGateway",
}
FORKING_GATEWAYS = {"parallelGateway", "inclusiveGateway"}


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    kind: str
    scope: str  # the process or embedded subprocess it lies in


@dataclass(frozen=True)
class Flow:
    id: str
    name: str
    source: str
    target: str
    scope: str


@dataclass
class ProcessModel:
    key: str
    name: str
    file: Path
    nodes: dict[str, Node] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)

    def label(self, item_id: str) -> str:
        item = self.nodes.get(item_id) or self.flows.get(item_id)
        if isinstance(item, Flow):
            return f"{item_id} ({self._short(item.source)} → {self._short(item.target)})"
        return f"{item_id} ({item.name})" if item and item.name else item_id

    def _short(self, node_id: str) -> str:
        node = self.nodes.get(node_id)
        return node.name if node and node.name else node_id


class Models:
    """The processes of a folder of BPMN files, with each scope's flows indexed for tracing."""

    def __init__(self, processes: list[ProcessModel]) -> None:
        self.processes = processes
        self.owner: dict[str, ProcessModel] = {}  # scope → the process it belongs to
        self.nodes: dict[tuple[str, str], Node] = {}
        self.incoming: dict[tuple[str, str], list[Flow]] = defaultdict(list)
        self.outgoing: dict[tuple[str, str], list[Flow]] = defaultdict(list)
        for process in processes:
            for node in process.nodes.values():
                self.owner[node.scope] = process
                self.nodes[(node.scope, node.id)] = node
            for flow in process.flows.values():
                self.incoming[(flow.scope, flow.target)].append(flow)
                self.outgoing[(flow.scope, flow.source)].append(flow)

    @classmethod
    def read(cls, folder: Path) -> Models:
        return cls([process for path in sorted(folder.glob("*.bpmn")) for process in _processes(path)])

    def scopes_of(self, element_id: str) -> list[str]:
        return [scope for scope, node_id in self.nodes if node_id == element_id]

    def forks(self, scope: str, node_id: str) -> bool:
        node = self.nodes[(scope, node_id)]
        return node.kind in FORKING_GATEWAYS or ("Gateway" not in node.kind
                                                 and len(self.outgoing[(scope, node_id)]) > 1)


def _processes(path: Path) -> list[ProcessModel]:
    root = etree.parse(str(path)).getroot()
    found = []
    for element in root.iter(f"{BPMN}process"):
        process = ProcessModel(element.get("id"), element.get("name") or element.get("id"), path)
        _read_scope(element, element.get("id"), process)
        found.append(process)
    return found


def _read_scope(container, scope: str, process: ProcessModel) -> None:
    for child in container:
        if not isinstance(child.tag, str) or not child.tag.startswith(BPMN):
            continue
        kind = child.tag[len(BPMN):]
        if kind == "sequenceFlow":
            process.flows[child.get("id")] = Flow(child.get("id"), child.get("name") or "", child.get("sourceRef"),
                                                  child.get("targetRef"), scope)
        elif kind in FLOW_NODES:
            process.nodes[child.get("id")] = Node(child.get("id"), child.get("name") or "", kind, scope)
            if kind == "subProcess":
                _read_scope(child, child.get("id"), process)


@dataclass
class Coverage:
    models: Models
    reached: set[tuple[str, str]]  # (process key, element or flow id)

    def covered(self, process: ProcessModel, items: Iterable[str]) -> list[str]:
        return [item for item in items if (process.key, item) in self.reached]

    def missed(self, process: ProcessModel) -> list[str]:
        return [item for item in [*process.nodes, *process.flows] if (process.key, item) not in self.reached]

    def figures(self, process: ProcessModel) -> tuple[int, int, int, int]:
        """(reached elements, elements, reached flows, flows)"""
        return (len(self.covered(process, process.nodes)), len(process.nodes),
                len(self.covered(process, process.flows)), len(process.flows))

    def total(self) -> tuple[int, int, int, int]:
        sums = [0, 0, 0, 0]
        for process in self.models.processes:
            sums = [a + b for a, b in zip(sums, self.figures(process), strict=True)]
        return tuple(sums)

    @staticmethod
    def percent(figures: tuple[int, int, int, int]) -> float:
        reached_elements, elements, reached_flows, flows = figures
        whole = elements + flows
        return 100.0 * (reached_elements + reached_flows) / whole if whole else 100.0


def coverage(models: Models, histories: Iterable[list[AuditEvent]]) -> Coverage:
    reached: set[tuple[str, str]] = set()
    for history in histories:
        reached |= _trace(models, history)
    return Coverage(models, reached)


def _trace(models: Models, history: list[AuditEvent]) -> set[tuple[str, str]]:
    reached: set[tuple[str, str]] = set()
    waiting: dict[str, set[str]] = defaultdict(set)  # scope → flows whose source handed them a token
    for event in history:
        scope = _scope(models, event, waiting)
        if scope is None or (scope, event.element_id) not in models.nodes:
            continue
        owner = models.owner[scope].key
        reached.add((owner, event.element_id))
        tokens = waiting[scope]
        for flow in models.incoming[(scope, event.element_id)]:
            if flow.id in tokens:
                reached.add((owner, flow.id))
                tokens.discard(flow.id)
                if not models.forks(scope, flow.source):
                    tokens.difference_update(f.id for f in models.outgoing[(scope, flow.source)])
        tokens.update(flow.id for flow in models.outgoing[(scope, event.element_id)])
    return reached


def _scope(models: Models, event: AuditEvent, waiting: dict[str, set[str]]) -> str | None:
    if event.action == "element.completed":
        return (event.data or {}).get("process")
    if event.action != "task.completed":
        return None
    scopes = models.scopes_of(event.element_id)
    awaited = [scope for scope in scopes
               if any(flow.id in waiting[scope] for flow in models.incoming[(scope, event.element_id)])]
    return (awaited or scopes or [None])[0]
