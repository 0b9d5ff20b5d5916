"""Link events as Camunda 7 runs them: a throwing link event is no step of its own but a jump, so every
sequence flow into it continues at the catching link event of the same name in the same (sub)process.
SpiffWorkflow knows no links, so before parsing the jump is drawn in: each flow into a throw is pointed at
its catch and the throw is dropped; the catch, a catch event without a definition Spiff knows, passes on.

``link_problems`` names, at deploy, what would leave a jump without a landing place (Camunda refuses the
same: a throw without its catch, two catches of one name, a flow leaving a throw)."""

from __future__ import annotations

import copy
from collections.abc import Iterator

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
LINK = f"{{{BPMN}}}linkEventDefinition"
THROW = f"{{{BPMN}}}intermediateThrowEvent"
CATCH = f"{{{BPMN}}}intermediateCatchEvent"
CONTAINERS = tuple(f"{{{BPMN}}}{name}" for name in ("process", "subProcess", "transaction", "adHocSubProcess"))


def with_links_resolved(tree):
    """``tree`` itself when it has no link events, else a copy in which each jump is a sequence flow."""
    if tree.find(f".//{LINK}") is None:
        return tree
    tree = copy.deepcopy(tree)
    for container in tree.iter(*CONTAINERS):
        catches = _catches_by_name(container)
        for throw in _events(container, THROW):
            _jump(container, throw, catches.get(_link_name(throw)))
    return tree


def link_problems(tree) -> Iterator[tuple[object, str]]:
    """(element, Dutch reason) for each link event that cannot jump."""
    for container in tree.iter(*CONTAINERS):
        seen: set[str] = set()
        for catch in _events(container, CATCH):
            name = _link_name(catch)
            if name in seen:
                yield catch, f"twee opvangende link-gebeurtenissen heten '{name}'; een link-naam landt op één plek"
            seen.add(name)
        for throw in _events(container, THROW):
            if _link_name(throw) not in seen:
                yield throw, (f"geen opvangende link-gebeurtenis '{_link_name(throw)}' in hetzelfde (deel)proces; "
                              "een link springt alleen binnen zijn eigen (deel)proces")
            if _flows(container, "sourceRef", throw.get("id")):
                yield throw, "een werpende link-gebeurtenis springt naar haar opvanger en heeft geen uitgaande pijl"
    for node in tree.iter(LINK):
        if node.getparent().tag not in (THROW, CATCH):
            yield node.getparent(), ("een link-definitie kan alleen op een tussentijdse werpende of opvangende "
                                     "gebeurtenis")


def _events(container, tag: str) -> list:
    return [node for node in container.iterchildren(tag) if node.find(LINK) is not None]


def _catches_by_name(container) -> dict:
    return {_link_name(catch): catch for catch in _events(container, CATCH)}


def _link_name(event) -> str:
    return event.find(LINK).get("name") or event.get("name") or ""


def _flows(container, end: str, element_id: str) -> list:
    return [flow for flow in container.iterchildren(f"{{{BPMN}}}sequenceFlow") if flow.get(end) == element_id]


def _jump(container, throw, catch) -> None:
    if catch is None:  # refused at deploy (link_problems)
        return
    for flow in _flows(container, "targetRef", throw.get("id")):
        flow.set("targetRef", catch.get("id"))
        etree.SubElement(catch, f"{{{BPMN}}}incoming").text = flow.get("id")
    container.remove(throw)
