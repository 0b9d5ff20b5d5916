"""The MIWG reference models (../shared/corpora/miwg) as a Camunda 7 user would run them: service and send
tasks, and business rule tasks without a decision, given an implementation as external tasks. Those
Camunda 7 runs deploy; every other one is refused for a pinned reason, each naming file, line and element
in Dutch — never a crash, never SpiffWorkflow's English. The README (Wat de engine weigert) gives each
reason and whether Camunda 7 shares it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from engine.bpmn.definitions import LIBRARY_TEXTS, UNREADABLE, Problem
from engine.errors import DeployRefused
from engine.services import Engine

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "miwg"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
MODELS = sorted(CORPUS.glob("*.bpmn"))
DEPLOYS = {"A.1.0", "A.2.0", "A.2.1", "A.3.0", "A.4.0", "A.4.1", "C.1.0", "C.2.0", "C.4.0", "C.5.0", "C.7.0",
           "C.9.1"}
# A phrase of each refusal reason, and the models refused for exactly those reasons.
EMPTY_TIMER = "de timer heeft een lege timeDate"
COMPENSATION = "compensatiegebeurtenissen worden niet ondersteund"
BARE_TEXT = "staat niet tussen ${...}: Camunda 7 leest ze als vaste tekst"
CAMUNDA_8_FEEL = "is FEEL zoals Camunda 8 (Zeebe) het schrijft"
FEEL_LANGUAGE = "is geschreven in de taal 'https://www.omg.org/spec/DMN/20191111/FEEL/'"
REFUSED = {
    "B.1.0": {EMPTY_TIMER},
    "B.2.0": {EMPTY_TIMER},
    "C.1.1": {BARE_TEXT},
    "C.3.0": {BARE_TEXT},
    "C.6.0": {EMPTY_TIMER, COMPENSATION},
    "C.8.1": {FEEL_LANGUAGE},
    "C.9.0": {CAMUNDA_8_FEEL},
    "C.9.2": {CAMUNDA_8_FEEL},
}
REASONS = set().union(*REFUSED.values())
# What SpiffWorkflow and libxml2 say in English; none of it may reach a process owner.
ENGLISH = [english for english, _ in LIBRARY_TEXTS] + [
    "not supported", "Element '", "is not expected", "is not a valid value", "Expecting", "tag mismatch", "Exception"]


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


def refusal(path: Path, text: str, url: str) -> list[Problem]:
    """The problems a fresh engine names for the model, none when it deploys."""
    engine = Engine.open(url)
    try:
        engine.repository.deploy_sources({path.name: text})
        return []
    except DeployRefused as refused:
        return refused.problems
    finally:
        engine.db.dispose()


@pytest.mark.skipif(not MODELS, reason=f"needs the MIWG corpus in {CORPUS}")
@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_miwg_models_deploy_or_are_refused_for_their_pinned_reasons(path: Path, sqlite_url: str):
    problems = refusal(path, as_external_tasks(path), sqlite_url)
    reasons = {reason for problem in problems for reason in REASONS if reason in problem.message}
    assert all(any(reason in p.message for reason in REASONS) for p in problems), [str(p) for p in problems]
    assert reasons == REFUSED.get(path.stem, set())
    assert (not problems) == (path.stem in DEPLOYS)


@pytest.mark.skipif(not MODELS, reason=f"needs the MIWG corpus in {CORPUS}")
@pytest.mark.parametrize("given_workers", [False, True], ids=["as-exported", "as-external-tasks"])
def test_every_miwg_refusal_is_dutch_and_names_file_line_and_element(given_workers: bool, sqlite_url: str,
                                                                      tmp_path: Path):
    problems = [problem for number, path in enumerate(MODELS)
                for problem in refusal(path, as_external_tasks(path) if given_workers else path.read_text("utf-8"),
                                       f"sqlite:///{tmp_path}/{number}.db")]
    assert problems
    for problem in problems:
        assert re.match(rf"{re.escape(problem.file)}:\d+ \[[^\]]+\]: ", str(problem)), str(problem)
        assert problem.message != UNREADABLE and not [e for e in ENGLISH if e in problem.message], str(problem)
