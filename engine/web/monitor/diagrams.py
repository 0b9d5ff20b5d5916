"""The BPMN files a definition version runs — its own and those of the processes it calls, as pinned at
deploy — read once per file content: element names, embedded subprocesses, flows and calls."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from lxml import etree
from sqlalchemy import select

from engine.services import Engine
from engine.store.models import ProcessDefinition, Resource

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CANDIDATE_GROUPS = "{http://camunda.org/schema/1.0/bpmn}candidateGroups"
CONTAINERS = {f"{BPMN}callActivity", f"{BPMN}subProcess"}


@dataclass(frozen=True)
class Diagram:
    """One process of a BPMN file; ``xml`` is the whole file, as bpmn-js draws it."""

    key: str
    name: str
    xml: str
    elements: dict[str, str]  # element id → name (or id), embedded subprocesses' contents included
    containers: frozenset[str]  # call activities and subprocesses: a token there waits inside them
    subprocesses: frozenset[str]  # embedded subprocess ids: positions and events name them as a process
    flows: dict[str, tuple[str, str]] = field(default_factory=dict)  # sequence flow → (source, target)
    calls: tuple[str, ...] = ()  # called process keys, in document order
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)  # user task → its literal candidate groups

    def owns(self, process_key: str) -> bool:
        return process_key == self.key or process_key in self.subprocesses

    def label(self, element_id: str) -> str:
        return self.elements.get(element_id) or element_id


_parsed: dict[str, list[Diagram]] = {}
_lock = threading.Lock()


def diagrams(engine: Engine, definition_id: int) -> dict[str, Diagram]:
    """Process key → diagram, for every process in the BPMN files pinned by this definition version."""
    with engine.db.reading() as session:
        ids = session.scalar(select(ProcessDefinition.resource_ids).where(ProcessDefinition.id == definition_id))
        files = session.execute(select(Resource.id, Resource.content_hash).where(
            Resource.id.in_(ids or []), Resource.kind == "bpmn")).all()
        missing = [resource_id for resource_id, content_hash in files if content_hash not in _parsed]
        for content_hash, content in session.execute(
                select(Resource.content_hash, Resource.content).where(Resource.id.in_(missing))):
            parsed = _parse(content)
            with _lock:
                _parsed[content_hash] = parsed
    return {d.key: d for _, content_hash in files for d in _parsed[content_hash]}


def phase_order(found: dict[str, Diagram], root: str) -> list[str]:
    """The processes in the order the root calls them (breadth first), the root first."""
    order, queue = [], [root]
    while queue:
        key = queue.pop(0)
        if key in found and key not in order:
            order.append(key)
            queue.extend(found[key].calls)
    return order


def _parse(content: str) -> list[Diagram]:
    tree = etree.fromstring(content.encode("utf-8"))
    return [_diagram(process, content) for process in tree.iter(f"{BPMN}process")]


def _diagram(process, content: str) -> Diagram:
    elements, containers, subprocesses, flows, calls, groups = {}, set(), set(), {}, [], {}
    for node in process.iter(etree.Element):
        element_id = node.get("id")
        if not element_id or node is process or not node.tag.startswith(BPMN):
            continue
        if node.tag == f"{BPMN}sequenceFlow":
            flows[element_id] = (node.get("sourceRef"), node.get("targetRef"))
            continue
        elements[element_id] = (node.get("name") or element_id).strip()
        if node.tag in CONTAINERS:
            containers.add(element_id)
        if node.tag == f"{BPMN}subProcess":
            subprocesses.add(element_id)
        if node.tag == f"{BPMN}callActivity" and node.get("calledElement"):
            calls.append(node.get("calledElement"))
        if node.get(CANDIDATE_GROUPS) and "${" not in node.get(CANDIDATE_GROUPS):
            groups[element_id] = tuple(g.strip() for g in node.get(CANDIDATE_GROUPS).split(",") if g.strip())
    return Diagram(process.get("id"), process.get("name") or process.get("id"), content, elements,
                   frozenset(containers), frozenset(subprocesses), flows, tuple(dict.fromkeys(calls)), groups)
