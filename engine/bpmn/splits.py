"""Camunda runs several outgoing sequence flows of an activity as a split: every flow without a condition
is taken, a conditioned one when its condition holds (the default flow when none does). SpiffWorkflow
refuses such activities, so before parsing each one gets the gateway Camunda implies: a parallel gateway
when no flow has a condition, an inclusive one (whose unconditioned flows always hold) otherwise."""

from __future__ import annotations

import copy
from collections import defaultdict

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ACTIVITIES = frozenset({"task", "userTask", "serviceTask", "sendTask", "receiveTask", "manualTask",
                        "businessRuleTask", "scriptTask", "callActivity", "subProcess"})
SUFFIX = "_splitsing"


def with_explicit_splits(tree):
    """``tree`` itself when no activity splits, else a copy with the implied gateways drawn in."""
    if not any(_splitting(container) for container in _containers(tree)):
        return tree
    tree = copy.deepcopy(tree)
    for container in _containers(tree):
        for activity, flows in _splitting(container):
            _insert_gateway(container, activity, flows)
    return tree


def _containers(tree) -> list:
    return [n for n in tree.iter(f"{{{BPMN}}}process", f"{{{BPMN}}}subProcess")]


def _splitting(container) -> list[tuple]:
    outgoing = defaultdict(list)
    for flow in container.iterfind(f"{{{BPMN}}}sequenceFlow"):
        outgoing[flow.get("sourceRef")].append(flow)
    return [(node, outgoing[node.get("id")]) for node in container
            if isinstance(node.tag, str) and etree.QName(node).localname in ACTIVITIES
            and len(outgoing[node.get("id")]) > 1]


def _insert_gateway(container, activity, flows: list) -> None:
    activity_id = activity.get("id")
    conditioned = any(flow.find(f"{{{BPMN}}}conditionExpression") is not None for flow in flows)
    gateway = etree.SubElement(container, f"{{{BPMN}}}{'inclusiveGateway' if conditioned else 'parallelGateway'}",
                               id=activity_id + SUFFIX)
    gateway.sourceline = activity.sourceline
    if activity.get("default"):
        gateway.set("default", activity.attrib.pop("default"))
    joining = etree.SubElement(container, f"{{{BPMN}}}sequenceFlow", id=f"{activity_id}{SUFFIX}_in",
                               sourceRef=activity_id, targetRef=gateway.get("id"))
    for flow in flows:
        flow.set("sourceRef", gateway.get("id"))
        if conditioned and flow.find(f"{{{BPMN}}}conditionExpression") is None and flow.get("id") != gateway.get(
                "default"):
            # An inclusive gateway wants a condition on each flow but the default; Camunda takes this one always.
            etree.SubElement(flow, f"{{{BPMN}}}conditionExpression").text = "${true}"
    for reference in activity.iterfind(f"{{{BPMN}}}outgoing"):
        activity.remove(reference)
    etree.SubElement(activity, f"{{{BPMN}}}outgoing").text = joining.get("id")
    etree.SubElement(gateway, f"{{{BPMN}}}incoming").text = joining.get("id")
    for flow in flows:
        etree.SubElement(gateway, f"{{{BPMN}}}outgoing").text = flow.get("id")
