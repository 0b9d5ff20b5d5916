"""The MIWG reference models (../shared/corpora/miwg) as a Camunda 7 user would run them: service and send
tasks, and business rule tasks without a decision, given an implementation as external tasks. Those
Camunda 7 runs deploy; every other one is refused naming file and element — never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from engine.errors import DeployRefused
from engine.services import Engine

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "miwg"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
MODELS = sorted(CORPUS.glob("*.bpmn"))
DEPLOYS = {"A.1.0", "A.2.0", "A.2.1", "A.3.0", "A.4.0", "A.4.1", "C.1.0", "C.2.0", "C.7.0", "C.9.1"}


def as_external_tasks(path: Path) -> str:
    root = etree.parse(str(path)).getroot()
    for node in root.iter(f"{{{BPMN}}}serviceTask", f"{{{BPMN}}}sendTask", f"{{{BPMN}}}businessRuleTask"):
        if node.get(f"{{{CAMUNDA}}}decisionRef"):
            continue
        for name in [a for a in node.attrib if a.startswith(f"{{{CAMUNDA}}}")]:
            del node.attrib[name]
        node.set(f"{{{CAMUNDA}}}type", "external")
        node.set(f"{{{CAMUNDA}}}topic", node.get("id"))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode()


@pytest.mark.skipif(not MODELS, reason=f"needs the MIWG corpus in {CORPUS}")
@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_miwg_models_deploy_or_are_refused_by_name(path: Path, sqlite_url: str):
    engine = Engine.open(sqlite_url)
    try:
        engine.repository.deploy_sources({path.name: as_external_tasks(path)})
        deployed = True
    except DeployRefused as refusal:
        deployed = False
        assert all(str(problem).startswith(path.name) for problem in refusal.problems), refusal.problems
    finally:
        engine.db.dispose()
    assert deployed == (path.stem in DEPLOYS)
