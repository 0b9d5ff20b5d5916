"""Who may start a process and who may send each message it waits for, read once at deploy from what a
process owner writes in Camunda Modeler (Camunda 7's own attributes), and stored on the definition row:

- ``camunda:candidateStarterGroups`` / ``camunda:candidateStarterUsers`` on the ``<bpmn:process>``: who may
  start it (no attribute: the overseers); ``camunda:isStartableInTasklist="false"``: nobody from outside;
- a message event or receive task may name its senders with extension properties
  ``candidateSenderGroups`` / ``candidateSenderUsers`` (``camunda:properties``);
- without them, a message boundary event on a user task stands for that task's decision: its senders
  are the task's candidates; a message start event is sent by the process's starters; any other
  message by the overseers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}
MESSAGE_ELEMENTS = ("startEvent", "intermediateCatchEvent", "boundaryEvent", "receiveTask")
SENDER_PROPERTIES = {"candidateSenderGroups": "groups", "candidateSenderUsers": "users"}


@dataclass(frozen=True)
class ProcessAccess:
    """``starters`` None means "no attribute" (overseers); a sender rule is ``{"groups", "users"}``,
    ``{"task": user task id}`` or None (overseers), by the id of the element that waits for the message."""

    starters: dict | None
    startable: bool
    calls: list[str]
    senders: dict[str, dict | None] = field(default_factory=dict)


def process_access(process, elements: list) -> ProcessAccess:
    """``process`` is the ``<bpmn:process>`` node; ``elements`` it and every process it calls."""
    starters = _names(process.get(f"{{{CAMUNDA}}}candidateStarterGroups"),
                      process.get(f"{{{CAMUNDA}}}candidateStarterUsers"))
    senders: dict[str, dict | None] = {}
    for element in elements:
        for node in element.iter(*(f"{{{BPMN}}}{local}" for local in MESSAGE_ELEMENTS)):
            if _waits_for_message(node):
                senders[node.get("id")] = _sender_rule(node, element.get("id") == process.get("id"), starters)
    calls = sorted({node.get("calledElement") for node in process.iter(f"{{{BPMN}}}callActivity")
                    if "${" not in (node.get("calledElement") or "${")})  # an expression names no process here
    startable = process.get(f"{{{CAMUNDA}}}isStartableInTasklist", "true").strip().lower() != "false"
    return ProcessAccess(starters, startable, calls, senders)


def _waits_for_message(node) -> bool:
    if etree.QName(node).localname == "receiveTask":
        return node.get("messageRef") is not None
    return node.find("bpmn:messageEventDefinition", NS) is not None


def _sender_rule(node, in_root: bool, starters: dict | None) -> dict | None:
    declared = {SENDER_PROPERTIES[p.get("name")]: p.get("value") for p in node.iterfind(
        "bpmn:extensionElements/camunda:properties/camunda:property", NS) if p.get("name") in SENDER_PROPERTIES}
    if declared:
        return _names(declared.get("groups"), declared.get("users"))
    local = etree.QName(node).localname
    if local == "boundaryEvent":
        attached = node.getroottree().getroot().find(f".//bpmn:userTask[@id='{node.get('attachedToRef')}']", NS)
        if attached is not None:
            return {"task": attached.get("id")}
    if local == "startEvent" and in_root and node.getparent().tag == f"{{{BPMN}}}process":
        return starters
    return None


def _names(groups: str | None, users: str | None) -> dict | None:
    if groups is None and users is None:
        return None
    return {"groups": _split(groups), "users": _split(users)}


def _split(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]
