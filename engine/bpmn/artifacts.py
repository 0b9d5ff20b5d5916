"""Data artifacts as Camunda 7 treats them: drawn, without behaviour. Camunda 7 keeps data in process
variables and ignores data stores and data associations; SpiffWorkflow demands a Python implementation
for every data store and refuses an association it cannot resolve to a data object. So before parsing,
stores, their references and every association that does not read or write a data object are left out;
a store in a model documents where the data lives outside, nothing more."""

from __future__ import annotations

import copy

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
STORES = (f"{{{BPMN}}}dataStore", f"{{{BPMN}}}dataStoreReference")
# The end of an association SpiffWorkflow resolves: where an input comes from, where an output goes.
RESOLVED_END = {f"{{{BPMN}}}dataInputAssociation": f"{{{BPMN}}}sourceRef",
                f"{{{BPMN}}}dataOutputAssociation": f"{{{BPMN}}}targetRef"}


def without_ignored_data(tree):
    """``tree`` itself when every data artifact in it runs here, else a copy without those that do not."""
    ignored = _ignored(tree)
    if not ignored and next(tree.iter(*STORES), None) is None:
        return tree
    tree = copy.deepcopy(tree)
    for node in _ignored(tree) + list(tree.iter(*STORES)):
        node.getparent().remove(node)
    return tree


def _ignored(tree) -> list:
    data_objects = {node.get("id") for node in tree.iter(f"{{{BPMN}}}dataObjectReference")}
    return [association for association in tree.iter(*RESOLVED_END)
            if not {(end.text or "").strip() for end in association.iterfind(RESOLVED_END[association.tag])}
            <= data_objects]
