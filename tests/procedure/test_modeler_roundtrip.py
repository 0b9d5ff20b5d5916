"""What Camunda Modeler saves is accepted (issue 14): opening and saving the shipped models and forms with the
Modeler's own libraries changes nothing that matters.

The round trip runs once, in Chromium: bpmn-js's Modeler with camunda-bpmn-moddle imports and saves every
processen/*.bpmn, dmn-js's Modeler with camunda-dmn-moddle every processen/*.dmn, form-js's editor every
formulieren/*.form. The saved set must deploy and pass the procedure's scenarios at full coverage, and keep what the
engine reads: every element id with its camunda:* attributes and extension elements, every decision rule, every form
field with its rules.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from engine.forms.schema import load_camunda_form
from tests.modeltest.test_gros_test import gros_test

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
MODELER = NODE_MODULES / "bpmn-js" / "dist" / "bpmn-modeler.development.js"
CAMUNDA_DESCRIPTOR = NODE_MODULES / "camunda-bpmn-moddle" / "resources" / "camunda.json"
DMN_MODELER = NODE_MODULES / "dmn-js" / "dist" / "dmn-modeler.development.js"
CAMUNDA_DMN_DESCRIPTOR = NODE_MODULES / "camunda-dmn-moddle" / "resources" / "camunda.json"
FORM_EDITOR = NODE_MODULES / "@bpmn-io" / "form-js" / "dist" / "form-editor.umd.js"
MODELS = sorted((ROOT / "processen").glob("*.bpmn")) + sorted((ROOT / "processen").glob("*.dmn"))
FORMS = sorted((ROOT / "formulieren").glob("*.form"))

OPEN_AND_SAVE = """async ({models, forms, camunda, camundaDmn}) => {
  const saved = {models: {}, forms: {}, warnings: {}};
  const bpmn = new BpmnJS({container: '#diagram', moddleExtensions: {camunda}});
  const dmn = new DmnJS({container: '#decision', common: {moddleExtensions: {camunda: camundaDmn}}});
  for (const [name, xml] of Object.entries(models)) {
    const modeler = name.endsWith('.dmn') ? dmn : bpmn;
    const {warnings} = await modeler.importXML(xml);
    saved.warnings[name] = warnings.map(warning => warning.message);
    saved.models[name] = (await modeler.saveXML({format: true})).xml;
  }
  const editor = new FormEditor.FormEditor({container: '#form'});
  for (const [name, text] of Object.entries(forms)) {
    const {warnings} = await editor.importSchema(JSON.parse(text));
    saved.warnings[name] = warnings.map(warning => String(warning.message || warning));
    saved.forms[name] = JSON.stringify(editor.saveSchema(), null, 2);
  }
  return saved;
}"""


@dataclass(frozen=True)
class RoundTrip:
    models: Path  # a copy of processen/ with every .bpmn as the Modeler saved it; ../formulieren likewise
    warnings: dict[str, list[str]]  # file name → what the Modeler said while importing it

    @property
    def forms(self) -> Path:
        return self.models.parent / "formulieren"


@pytest.fixture(scope="module")
def saved(request, tmp_path_factory) -> RoundTrip:
    """Every model and form opened and saved once in the browser, written under their own names beside the
    shipped scenarios and DMN tables."""
    for library in (MODELER, CAMUNDA_DESCRIPTOR, DMN_MODELER, CAMUNDA_DMN_DESCRIPTOR, FORM_EDITOR):
        if not library.is_file():
            pytest.skip(f"needs Node tooling: {library.relative_to(ROOT)} missing (run `npm ci` in the repo root)")
    page = request.getfixturevalue("chromium_browser").new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.set_content("<div id='diagram' style='width:1200px;height:800px'></div>"
                         "<div id='decision' style='width:1200px;height:800px'></div><div id='form'></div>")
        page.add_script_tag(path=str(MODELER))
        page.add_script_tag(path=str(DMN_MODELER))
        page.add_script_tag(path=str(FORM_EDITOR))
        result = page.evaluate(OPEN_AND_SAVE, {
            "models": {path.name: path.read_text(encoding="utf-8") for path in MODELS},
            "forms": {path.name: path.read_text(encoding="utf-8") for path in FORMS},
            "camunda": json.loads(CAMUNDA_DESCRIPTOR.read_text(encoding="utf-8")),
            "camundaDmn": json.loads(CAMUNDA_DMN_DESCRIPTOR.read_text(encoding="utf-8"))})
    finally:
        page.close()
    assert not errors, errors
    folder = tmp_path_factory.mktemp("modeler")
    shutil.copytree(ROOT / "processen", folder / "processen")
    shutil.copytree(ROOT / "formulieren", folder / "formulieren")
    for kind, subfolder in (("models", "processen"), ("forms", "formulieren")):
        for name, text in result[kind].items():
            (folder / subfolder / name).write_text(text, encoding="utf-8")
    return RoundTrip(folder / "processen", result["warnings"])


def test_the_modeler_opens_every_model_and_form_without_a_warning(saved: RoundTrip):
    assert sorted(saved.warnings) == sorted(path.name for path in MODELS + FORMS)
    assert {name: said for name, said in saved.warnings.items() if said} == {}


def test_the_saved_set_deploys_and_passes_every_scenario_at_full_coverage(saved: RoundTrip, database: str,
                                                                          tmp_path: Path):
    code, output = gros_test(str(saved.models), "--formulieren", str(saved.forms), "--min-coverage", "100",
                             "--html", str(tmp_path / "dekking.html"), "--database", database)
    assert code == 0, output
    assert re.search(r"(\d+) scenario's: \1 geslaagd, 0 mislukt", output)
    assert re.search(r"^totaal\s+(\d+)/\1\s+(\d+)/\2\s+100,0 %$", output, re.MULTILINE), output


@pytest.mark.parametrize("model", MODELS, ids=lambda path: path.name)
def test_the_saved_model_keeps_every_element_with_its_camunda_attributes(saved: RoundTrip, model: Path):
    shipped = model.read_text(encoding="utf-8")
    assert semantics(shipped.encode()), "the comparison sees the model's elements"
    assert compare(shipped, (saved.models / model.name).read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("form", FORMS, ids=lambda path: path.name)
def test_the_saved_form_keeps_every_field_with_its_rules(saved: RoundTrip, form: Path):
    """Compared as the engine reads them: keys, types, validation, options and hide conditions."""
    shipped = load_camunda_form(form.read_text(encoding="utf-8"), form.name)
    resaved = load_camunda_form((saved.forms / form.name).read_text(encoding="utf-8"), form.name)
    assert shipped.fields, "the comparison sees the form's fields"
    assert resaved.form_id == shipped.form_id
    assert {rule.key: rule for rule in resaved.fields} == {rule.key: rule for rule in shipped.fields}


def test_the_comparison_ignores_the_drawing_and_prefixes_but_not_a_lost_attribute_or_expression():
    """The structural comparison itself: what a save may change, and what it may not."""
    shipped = (ROOT / "processen" / "gros-dossier.bpmn").read_text(encoding="utf-8")
    assert 'xsi:type="bpmn:tFormalExpression"' in shipped and 'exporter="Camunda Modeler"' in shipped
    redrawn = re.sub(r'x="\d+"', 'x="7"', shipped).replace("bpmn:", "semantic:").replace(
        "xmlns:bpmn=", "xmlns:semantic=").replace('exporter="Camunda Modeler"', 'exporter="bpmn-js"')
    assert redrawn != shipped and compare(shipped, redrawn) == []

    triage = 'id="Activity_Triage" name="Triage uitvoeren" camunda:formRef="gros-triage"'
    assert compare(shipped, shipped.replace(triage, triage.replace(' camunda:formRef="gros-triage"', ""))) \
        == ["Activity_Triage changed"]
    condition = "${triage_besluit == 'nee'}"
    assert compare(shipped, shipped.replace(condition, "triage_besluit == 'nee'")) == ["Flow_06 changed"]

    table = (ROOT / "processen" / "gros-uitkomst.dmn").read_text(encoding="utf-8")
    unique = table.replace(' hitPolicy="FIRST"', "")
    assert compare(unique, unique.replace("<decisionTable ", '<decisionTable hitPolicy="UNIQUE" ')) == []
    assert compare(table, unique) == ["DecisionTable_gros_uitkomst changed"]


def compare(shipped: str, resaved: str) -> list[str]:
    return differences(semantics(shipped.encode()), semantics(resaved.encode()))


# --- the structural comparison ------------------------------------------------------------------------------
DRAWING = frozenset({"http://www.omg.org/spec/BPMN/20100524/DI", "http://www.omg.org/spec/DD/20100524/DC",
                     "http://www.omg.org/spec/DD/20100524/DI", "https://www.omg.org/spec/DMN/20191111/DMNDI/",
                     "http://www.omg.org/spec/DMN/20180521/DC/", "http://www.omg.org/spec/DMN/20180521/DI/"})
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
SAVED_BY = frozenset({"exporter", "exporterVersion"})  # which tool saved the file, not what it says
DEFAULTS = {  # attributes a Modeler leaves out when they hold the schema's default, which the engine reads the same
    "{https://www.omg.org/spec/DMN/20191111/MODEL/}decisionTable": {"hitPolicy": "UNIQUE"},
}


def semantics(xml: bytes) -> dict[str, tuple]:
    """Each element with an id, outside the diagram's drawing: its tag, attributes, text and children, with
    namespace prefixes resolved and whitespace collapsed; a child with an id of its own stands in by its id."""
    root = etree.fromstring(xml)
    return {element.get("id"): _canonical(element) for element in _meaning(root) if element.get("id")}


def differences(shipped: dict[str, tuple], resaved: dict[str, tuple]) -> list[str]:
    return ([f"{key} lost" for key in sorted(shipped.keys() - resaved.keys())]
            + [f"{key} added" for key in sorted(resaved.keys() - shipped.keys())]
            + [f"{key} changed" for key in sorted(shipped.keys() & resaved.keys()) if shipped[key] != resaved[key]])


def _meaning(element: etree._Element):
    yield element
    for child in _meaningful_children(element):
        yield from _meaning(child)


def _meaningful_children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str) and etree.QName(child).namespace not in DRAWING]


def _canonical(element: etree._Element) -> tuple:
    is_root = element.getparent() is None
    stated = {**DEFAULTS.get(element.tag, {}), **element.attrib}
    attributes = sorted((name, _resolved(element, name, value)) for name, value in stated.items()
                        if not (is_root and name in SAVED_BY))
    children = [("id", child.get("id")) if child.get("id") else _canonical(child)
                for child in _meaningful_children(element)]
    return element.tag, tuple(attributes), " ".join((element.text or "").split()), tuple(children)


def _resolved(element: etree._Element, name: str, value: str) -> str:
    """``xsi:type="bpmn:tFormalExpression"`` names a type by prefix; compare the namespace instead."""
    if name != XSI_TYPE:
        return value
    prefix, _, local = value.rpartition(":")
    return f"{{{element.nsmap.get(prefix or None)}}}{local}"
