"""How long a path of elements SpiffWorkflow will have to follow, measured without recursion.

SpiffWorkflow's parser reads a process by recursion: each element parses the element its sequence
flow leads to before it returns (two Python frames an element, more for boundary events and
embedded subprocesses). A long enough chain of tasks exhausts Python's recursion limit, and the
limit is shared with whatever called the deploy. So a deploy walks each process the same way, with
a stack of its own, and refuses a path longer than MAX_PATH elements before the parser sees it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_PATH = 250  # elements one after another: ~500 frames of the parser, half of Python's default limit

_FLOW_CONTAINERS = frozenset({f"{{{BPMN}}}subProcess", f"{{{BPMN}}}transaction", f"{{{BPMN}}}adHocSubProcess"})


def too_long_path(process: etree._Element) -> etree._Element | None:
    """The first element at which a path from a start event gets longer than MAX_PATH, if any.

    Walks depth-first in the parser's order: boundary events, then an embedded subprocess's own
    elements, then the targets of outgoing sequence flows; an element already walked ends a path.
    """
    graph = _Graph(process)
    walked: set[str] = set()
    for start in process.iterfind(f"{{{BPMN}}}startEvent"):
        stack: list[Iterator[str]] = [iter([start.get("id")])]
        while stack:
            element_id = next(stack[-1], None)
            if element_id is None:
                stack.pop()
            elif element_id in graph.elements and element_id not in walked:
                walked.add(element_id)
                if len(stack) > MAX_PATH:
                    return graph.elements[element_id]
                stack.append(iter(graph.next_of(element_id)))
    return None


class _Graph:
    """Elements by id and what the parser reads after each, over the process and its subprocesses."""

    def __init__(self, process: etree._Element) -> None:
        self.elements = {node.get("id"): node for node in process.iter(etree.Element) if node.get("id")}
        self.targets: dict[str, list[str]] = defaultdict(list)
        for flow in process.iter(f"{{{BPMN}}}sequenceFlow"):
            self.targets[flow.get("sourceRef")].append(flow.get("targetRef"))
        self.boundary: dict[str, list[str]] = defaultdict(list)
        for event in process.iter(f"{{{BPMN}}}boundaryEvent"):
            self.boundary[event.get("attachedToRef")].append(event.get("id"))

    def next_of(self, element_id: str) -> list[str]:
        node = self.elements[element_id]
        inner = node.findall(f"{{{BPMN}}}startEvent") if node.tag in _FLOW_CONTAINERS else []
        return [*self.boundary[element_id], *(start.get("id") for start in inner), *self.targets[element_id]]
