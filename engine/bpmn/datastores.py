"""Data stores as Camunda 7 treats them: drawn artifacts without behaviour. A ``dataStore``, each
``dataStoreReference`` and the data associations from and to them are left out before parsing, where
SpiffWorkflow would otherwise demand a Python implementation for every store. GROS keeps data as
process variables; a store in a model documents where the data lives outside, nothing more."""

from __future__ import annotations

import copy

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
STORES = (f"{{{BPMN}}}dataStore", f"{{{BPMN}}}dataStoreReference")


def without_data_stores(tree):
    """``tree`` itself when it draws no data store, else a copy without stores and their associations."""
    if next(tree.iter(*STORES), None) is None:
        return tree
    tree = copy.deepcopy(tree)
    references = {node.get("id") for node in tree.iter(f"{{{BPMN}}}dataStoreReference")}
    for association in list(tree.iter(f"{{{BPMN}}}dataInputAssociation", f"{{{BPMN}}}dataOutputAssociation")):
        ends = association.findall(f"{{{BPMN}}}sourceRef") + association.findall(f"{{{BPMN}}}targetRef")
        if any((end.text or "").strip() in references for end in ends):
            association.getparent().remove(association)
    for store in list(tree.iter(*STORES)):
        store.getparent().remove(store)
    return tree
