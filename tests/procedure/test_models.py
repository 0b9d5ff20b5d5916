"""Static checks of processen/ and formulieren/ that need no engine and no Node.

- every .bpmn/.dmn validates against the BPMN/DMN XSD and parses with SpiffWorkflow's CamundaParser;
- Camunda Modeler attributes (execution platform, history time to live, formRef binding);
- candidate groups come from the documented vocabulary (or a ${var} that a DMN table or the domain sets);
- every variable a condition, a DMN input or an expression reads is set by a form field, a DMN output
  or a documented message;
- forms follow the form-js schema Camunda Modeler 5 writes, one per user task that asks input;
- processen/demo_dossiers.json only uses tasks, groups, messages and values the models accept.
"""

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.camunda.parser import CamundaParser

from engine.gros.demo import NEXT_MEETING

ROOT = Path(__file__).resolve().parents[2]
PROCESSEN = ROOT / "processen"
FORMULIEREN = ROOT / "formulieren"
BPMN_FILES = sorted(PROCESSEN.glob("*.bpmn"))
DMN_FILES = sorted(PROCESSEN.glob("*.dmn"))
FORM_FILES = sorted(FORMULIEREN.glob("*.form"))

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
MODELER = "http://camunda.org/schema/modeler/1.0"
DMN = "https://www.omg.org/spec/DMN/20191111/MODEL/"
NS = {"bpmn": BPMN, "camunda": CAMUNDA, "dmn": DMN, "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}

PROCESS_KEYS = {
    "gros-dossier",
    "gros-selectie",
    "gros-verkenning",
    "gros-agendering",
    "gros-uitwerking",
    "gros-uitvoering",
    "gros-parlementsrapport",
    "gros-escalatie",
    "gros-overlegcyclus",
    "gros-grenseffectentoets",
}
GROUPS = {
    "secretariaat",
    "regionaal-netwerk",
    "grensregio-nl",
    "grensregio-vl",
    "departement-nl",
    "departement-vl",
    "federaal-be",
    "hoofd-van-dienst-nl",
    "hoofd-van-dienst-vl",
    "bewindspersoon-nl",
    "bewindspersoon-vl",
    "minister-grenssamenwerking-nl",
    "minister-grenssamenwerking-vl",
    "ministerraad-nl",
    "vlaamse-regering",
    "bilateraal-overleg",
    "ambtelijk-grensoverleg",
    "management",
}
# message name -> variables it carries (documented in processen/README.md)
MESSAGES = {
    "signaal-ontvangen": {"titel", "omschrijving", "melder", "thema", "betrokken_regelgeving", "melder_contact"},
    "akkoord-ministerraad": {"akkoord_nl", "akkoord_nl_toelichting"},
    "akkoord-vlaamse-regering": {"akkoord_vl", "akkoord_vl_toelichting"},
    "akkoord-federale-regering": {"akkoord_federaal", "akkoord_federaal_toelichting"},
    "voortgang-gevraagd": {"overleg_id", "overleg_titel", "overleg_datum", "rapport_deadline"},
    "overleg-agenda-gereed": {"voorstellen"},
    "overleg-oordeel": {"voortgang_oordeel", "vertragend_land", "oordeel_toelichting", "impasse_rijp"},
}
# Variables a door sets when it starts a process (the toets intake: engine/gros/toetsen.py submit).
START_VARIABLES = {"indiener_zijde", "beoordeling_termijn"}
UITKOMSTEN = {
    "gestopt-triage",
    "afgewezen-nl",
    "afgewezen-vl",
    "afgewezen-beide",
    "gestopt-na-verkenning",
    "niet-geagendeerd",
    "geen-oplossing",
    "opgelost",
    "verlaten",
}
JUEL_WORDS = {
    "true",
    "false",
    "null",
    "empty",
    "not",
    "and",
    "or",
    "eq",
    "ne",
    "lt",
    "gt",
    "le",
    "ge",
    "div",
    "mod",
    "True",
    "False",
    "None",
    "in",
}
CAMUNDA_FUNCTIONS = {"dateTime", "plusDays", "plusWeeks", "plusMonths", "toDate"}  # Camunda's date built-in
KEYED_TYPES = {"dynamiclist", "textfield", "textarea", "number", "select", "radio", "checkbox", "checklist", "taglist",
               "datetime"}
VALIDATE_KEYS = {"required", "minLength", "maxLength", "min", "max", "pattern", "validationType"}


def _tree(path):
    return etree.parse(str(path))


def _forms():
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in FORM_FILES}


def _with_rows(components):
    """A form's components, a dynamic list's rows (one list of records, ``path`` as its key) included."""
    for comp in components:
        if comp["type"] == "dynamiclist":
            assert re.fullmatch(r"[a-z][a-z0-9_]*", comp["path"]) and comp["components"], comp
            yield {**comp, "key": comp["path"], "validate": {}, "type": "dynamiclist"}
            yield from _with_rows(comp["components"])
        else:
            yield comp


def _form_fields(form):
    return {c["key"]: c for c in form["components"] if "key" in c}


def _dmn_outputs():
    outputs = {}
    for path in DMN_FILES:
        for out in _tree(path).iterfind(".//dmn:output", NS):
            outputs[out.get("name")] = path.name
    return outputs


def _known_variables():
    known = set(_dmn_outputs())
    for form in _forms().values():
        known |= set(_form_fields(form))
    for variables in MESSAGES.values():
        known |= variables
    return known | START_VARIABLES


def _names_in(expression):
    body = expression.strip()
    if body.startswith("${") and body.endswith("}"):
        body = body[2:-1]
    body = re.sub(r"'[^']*'|\"[^\"]*\"", " ", body)
    return {n for n in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", body) if n not in JUEL_WORDS | CAMUNDA_FUNCTIONS}


def _user_tasks():
    for path in BPMN_FILES:
        for task in _tree(path).iterfind(".//bpmn:userTask", NS):
            yield path, task


# ------------------------------------------------------------------ parsing


def test_all_files_validate_and_parse_with_camunda_parser():
    parser = CamundaParser(validator=BpmnValidator())
    parser.add_bpmn_files([str(p) for p in BPMN_FILES])
    parser.add_dmn_files([str(p) for p in DMN_FILES])
    assert set(parser.get_process_ids()) == PROCESS_KEYS
    for key in sorted(PROCESS_KEYS):
        spec = parser.get_spec(key)
        assert spec.name == key
        parser.get_subprocess_specs(key)  # resolves every call activity


def test_one_decision_per_dmn_file_and_every_decision_used():
    referenced = {
        t.get(f"{{{CAMUNDA}}}decisionRef")
        for p in BPMN_FILES
        for t in _tree(p).iterfind(".//bpmn:businessRuleTask", NS)
    }
    ids = set()
    for path in DMN_FILES:
        decisions = _tree(path).findall("dmn:decision", NS)
        assert len(decisions) == 1, path.name
        assert decisions[0].get("id") == path.stem
        ids.add(path.stem)
    assert ids == referenced


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.name)
def test_camunda_modeler_attributes(path):
    root = _tree(path).getroot()
    assert root.get(f"{{{MODELER}}}executionPlatform") == "Camunda Platform"
    assert root.get(f"{{{MODELER}}}executionPlatformVersion", "").startswith("7.")
    assert root.get("exporter") == "Camunda Modeler"
    processes = root.findall("bpmn:process", NS)
    assert len(processes) == 1
    process = processes[0]
    assert process.get("id") == path.stem
    assert process.get("isExecutable") == "true"
    assert process.get(f"{{{CAMUNDA}}}historyTimeToLive")
    assert process.get("name")
    # a pool with lanes, and every flow node in exactly one lane
    assert root.find("bpmn:collaboration/bpmn:participant", NS).get("processRef") == path.stem
    lanes = process.findall("bpmn:laneSet/bpmn:lane", NS)
    assert len(lanes) >= 2
    in_lanes = [ref.text for lane in lanes for ref in lane.findall("bpmn:flowNodeRef", NS)]
    flow_nodes = {
        el.get("id")
        for el in process
        if el.tag.split("}")[1] not in {"laneSet", "sequenceFlow", "documentation", "extensionElements"}
    }
    assert len(in_lanes) == len(set(in_lanes)), "a flow node is in two lanes"
    assert flow_nodes == set(in_lanes)
    # full diagram: every element with an id in the process has a DI shape or edge
    di = {el.get("bpmnElement") for el in root.iterfind(".//bpmndi:BPMNShape", NS)} | {
        el.get("bpmnElement") for el in root.iterfind(".//bpmndi:BPMNEdge", NS)
    }
    for el in process.iter():
        if (
            el.get("id")
            and el.tag.split("}")[1] not in {"laneSet", "process", "conditionExpression"}
            and not el.tag.endswith("EventDefinition")
        ):
            assert el.get("id") in di, f"{path.name}: {el.get('id')} has no diagram element"


@pytest.mark.parametrize("path", BPMN_FILES, ids=lambda p: p.name)
def test_gateways_have_conditions_and_a_default(path):
    process = _tree(path).find("bpmn:process", NS)
    flows = {f.get("id"): f for f in process.iterfind("bpmn:sequenceFlow", NS)}
    for gw in process.iterfind("bpmn:exclusiveGateway", NS):
        outgoing = [o.text for o in gw.findall("bpmn:outgoing", NS)]
        if len(outgoing) < 2:
            continue
        assert gw.get("default") in outgoing, f"{gw.get('id')} needs a default flow"
        for fid in outgoing:
            if fid != gw.get("default"):
                cond = flows[fid].find("bpmn:conditionExpression", NS)
                assert cond is not None and cond.text.startswith("${"), fid
    assert process.find("bpmn:scriptTask", NS) is None


def test_every_variable_read_is_written_somewhere():
    known = _known_variables() | DOMAIN_GROUPS
    problems = []
    for path in BPMN_FILES:
        tree = _tree(path)
        for cond in tree.iterfind(".//bpmn:conditionExpression", NS):
            problems += [(path.name, n) for n in _names_in(cond.text) - known]
        for task in tree.iterfind(".//bpmn:userTask", NS):
            for attr in ("candidateGroups", "dueDate"):
                value = task.get(f"{{{CAMUNDA}}}{attr}", "")
                if "${" in value:
                    problems += [(path.name, n) for n in _names_in(value) - known]
    for path in DMN_FILES:
        for text in _tree(path).iterfind(".//dmn:inputExpression/dmn:text", NS):
            problems += [(path.name, n) for n in _names_in(text.text) - known]
    assert not problems


def test_messages_are_the_documented_ones():
    names = {m.get("name") for p in BPMN_FILES for m in _tree(p).iterfind("bpmn:message", NS)}
    assert names == set(MESSAGES)


def test_call_activities_and_their_mappings():
    for path in BPMN_FILES:
        for call in _tree(path).iterfind(".//bpmn:callActivity", NS):
            assert call.get("calledElement") in PROCESS_KEYS
            ins = call.findall("bpmn:extensionElements/camunda:in", NS)
            outs = call.findall("bpmn:extensionElements/camunda:out", NS)
            assert ins and outs, call.get("id")


# ------------------------------------------------------------------ candidate groups and forms


# Group variables the GROS domain sets rather than a decision table: the dossier's bestuurlijke schakel (§ 4.4).
DOMAIN_GROUPS = {"schakel"}


def test_candidate_groups_use_the_vocabulary():
    dmn_outputs = _dmn_outputs()
    for path, task in _user_tasks():
        raw = task.get(f"{{{CAMUNDA}}}candidateGroups")
        assert raw, f"{path.name}: {task.get('id')} has no candidate groups"
        if raw.startswith("${"):
            assert raw[2:-1] in set(dmn_outputs) | DOMAIN_GROUPS, raw
        else:
            groups = raw.split(",")
            assert set(groups) <= GROUPS - {"management"}, raw
    # every group the DMN tables hand out is in the vocabulary too
    for path in DMN_FILES:
        table = _tree(path).find(".//dmn:decisionTable", NS)
        names = [o.get("name") for o in table.iterfind("dmn:output", NS)]
        for rule in table.iterfind("dmn:rule", NS):
            for name, entry in zip(names, rule.iterfind("dmn:outputEntry/dmn:text", NS), strict=True):
                if name.startswith("groep_"):
                    assert set(entry.text.strip().strip('"').split(",")) <= GROUPS, (path.name, entry.text)


def test_every_user_task_links_an_existing_form_and_every_form_is_used():
    forms = _forms()
    used = set()
    for path, task in _user_tasks():
        ref = task.get(f"{{{CAMUNDA}}}formRef")
        assert ref, f"{path.name}: {task.get('id')} asks input but has no formRef"
        assert task.get(f"{{{CAMUNDA}}}formRefBinding") == "latest"
        assert ref in forms, ref
        used.add(ref)
    for path in BPMN_FILES:  # a start form (the toets intake shows it)
        used |= {start.get(f"{{{CAMUNDA}}}formRef") for start in _tree(path).iterfind(".//bpmn:startEvent", NS)}
    assert used - {None} == set(forms)


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.name)
def test_form_schema_as_camunda_modeler_writes_it(path):
    form = json.loads(path.read_text(encoding="utf-8"))
    assert form["type"] == "default"
    assert form["id"] == path.stem
    assert isinstance(form["schemaVersion"], int)  # whichever form-js version saved it: the engine reads them all
    assert form["executionPlatform"] == "Camunda Platform"
    assert form["executionPlatformVersion"].startswith("7.")
    assert form["exporter"]["name"] == "Camunda Modeler"
    ids, keys = set(), set()
    for comp in _with_rows(form["components"]):
        assert comp["id"] not in ids
        ids.add(comp["id"])
        if comp["type"] == "text":
            assert comp["text"]
            continue
        assert comp["type"] in KEYED_TYPES, comp
        assert re.fullmatch(r"[a-z][a-z0-9_]*", comp["key"]), comp["key"]
        assert comp["key"] not in keys
        keys.add(comp["key"])
        assert comp.get("label") or comp.get("dateLabel")
        assert set(comp.get("validate", {})) <= VALIDATE_KEYS
        if comp["type"] in ("textfield", "textarea"):
            assert comp["validate"]["maxLength"] <= 4000
        if comp["type"] in ("select", "radio"):
            assert comp["values"] and all({"label", "value"} == set(v) for v in comp["values"])
            assert comp["validate"]["required"] is True
    assert keys, "a linked form asks at least one input"


def test_outcome_form_shows_every_outcome_but_lets_nobody_choose_it():
    """§ 5.2.4: the outcome comes from DMN gros-uitkomst; the form shows it (with its label) read-only."""
    fields = _form_fields(_forms()["gros-uitkomst"])
    assert {v["value"] for v in fields["uitkomst"]["values"]} == UITKOMSTEN
    assert fields["uitkomst"].get("readonly") is True
    assert fields["uitkomst_reden"]["validate"]["required"] is True
    outputs = {r.text.strip('"') for r in _tree(PROCESSEN / "gros-uitkomst.dmn").iterfind(
        ".//dmn:rule/dmn:outputEntry[1]/dmn:text", NS)}
    assert outputs == UITKOMSTEN


def test_escalation_result_is_derived_not_typed():
    """§ 5.3.3, § 5.2.4: escalatie_resultaat and escalatie_niveau come from DMN gros-escalatie-uitkomst."""
    fields = _form_fields(_forms()["gros-escalatie-uitkomst"])
    assert fields["escalatie_resultaat"].get("readonly") is True
    assert fields["escalatie_niveau"].get("readonly") is True
    assert "escalatie_resultaat" in _dmn_outputs() and "escalatie_niveau" in _dmn_outputs()


def test_select_values_match_what_gateways_compare_with():
    """A condition like ${x == 'ja'} must compare x with a value a form or a decision table can produce."""
    values = defaultdict(set)
    for form in _forms().values():
        for key, comp in _form_fields(form).items():
            for v in comp.get("values", []):
                values[key].add(v["value"])
    for path in DMN_FILES:
        table = _tree(path).find(".//dmn:decisionTable", NS)
        names = [o.get("name") for o in table.iterfind("dmn:output", NS)]
        for rule in table.iterfind("dmn:rule", NS):
            for name, entry in zip(names, rule.iterfind("dmn:outputEntry/dmn:text", NS), strict=True):
                values[name].add(entry.text.strip().strip('"'))
    for path in BPMN_FILES:
        for cond in _tree(path).iterfind(".//bpmn:conditionExpression", NS):
            for var, literal in re.findall(r"([a-z_]+) == '([^']*)'", cond.text):
                if var in values:
                    assert literal in values[var], (path.name, var, literal)


# ------------------------------------------------------------------ demo dossiers


def _task_forms():
    out = defaultdict(set)
    groups = defaultdict(set)
    for _path, task in _user_tasks():
        out[task.get("id")].add(task.get(f"{{{CAMUNDA}}}formRef"))
        groups[task.get("id")].add(task.get(f"{{{CAMUNDA}}}candidateGroups"))
    return out, groups


def _check_variables(form, variables, where):
    fields = _form_fields(form)
    assert set(variables) <= set(fields), (where, set(variables) - set(fields))
    assert not {k for k in variables if fields[k].get("readonly")}, (where, "a readonly field is derived, not typed")
    for key, comp in fields.items():
        rules = comp.get("validate", {})
        value = variables.get(key)
        if rules.get("required") and not comp.get("conditional") and not comp.get("readonly"):
            assert value not in (None, ""), (where, key)
        if value in (None, ""):
            continue
        if "values" in comp:
            assert value in {v["value"] for v in comp["values"]}, (where, key, value)
        if isinstance(value, str):
            assert len(value) <= rules.get("maxLength", 10**6), (where, key)
            assert len(value) >= rules.get("minLength", 0), (where, key)
        if comp["type"] == "datetime" and value != NEXT_MEETING:  # the demo fills in its next meeting
            assert re.fullmatch(r"\d{4}-\d\d-\d\d", value), (where, key, value)
        if comp["type"] == "checkbox":
            assert isinstance(value, bool), (where, key)


def test_demo_dossiers_fit_the_models():
    demo = json.loads((PROCESSEN / "demo_dossiers.json").read_text(encoding="utf-8"))
    forms = _forms()
    task_forms, task_groups = _task_forms()
    dossiers = demo["dossiers"]
    assert len(dossiers) >= 6
    assert len({d["business_key"] for d in dossiers}) == len(dossiers)
    signaal = forms["gros-signaal-registreren"]
    for d in dossiers:
        _check_variables(
            signaal,
            {k: d[k] for k in ("titel", "omschrijving", "melder", "thema", "betrokken_regelgeving")},
            d["business_key"],
        )
        if d["start"]["type"] == "bericht":
            assert set(d["start"]["variabelen"]) <= MESSAGES[d["start"]["bericht"]]
        else:
            assert d["start"]["proces"] == "gros-dossier"
        for step in d["stappen"]:
            where = (d["business_key"], step.get("taak") or step.get("bericht"))
            if "bericht" in step:
                assert set(step["variabelen"]) <= MESSAGES[step["bericht"]], where
                if "rapport_deadline" in step["variabelen"]:  # relative, so the demo's deadline lies ahead
                    assert re.fullmatch(r"\+P\d+[DW]", step["variabelen"]["rapport_deadline"]), where
                continue
            (form_id,) = task_forms[step["taak"]]
            _check_variables(forms[form_id], step["variabelen"], where)
            assert step["groep"] in GROUPS, where
            literal = {g for raw in task_groups[step["taak"]] if not raw.startswith("${") for g in raw.split(",")}
            if literal:
                assert step["groep"] in literal, where
        for element_id in d["verwacht_open"]:
            assert element_id in task_forms, element_id
        if d["afgesloten"]:
            assert d["stappen"][-1]["taak"] == "Activity_UitkomstRegistreren"


def test_the_reporters_contact_is_declared_personal_data():
    """AVG/GDPR (issue #20): the contact person a region gives with its signal is personal data, declared on
    the form field as Camunda Modeler shows it, so cleanup pseudonymises it and outbound events leave it out."""
    from engine.services.personal import declared_fields

    schema = json.loads((ROOT / "formulieren" / "gros-signaal-registreren.form").read_text())
    assert declared_fields(schema) == {"melder_contact"}
