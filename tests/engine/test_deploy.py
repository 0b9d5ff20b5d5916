"""Deploy refuses broken or unsupported files with file, line and element — never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine.bpmn.definitions import DeployError, Source, compile_sources
from engine.bpmn.paths import MAX_PATH
from engine.errors import DeployRefused
from engine.services import Engine
from tests.conftest import DATA, ROOT

MIWG = ROOT.parent / "shared" / "corpora" / "miwg"
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">\n')


def process(body: str, extra: str = "") -> str:
    return (f'{HEAD}{extra}<bpmn:process id="p" isExecutable="true">\n'
            f'<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>\n'
            f'{body}\n</bpmn:process>\n</bpmn:definitions>\n')


def flow_to(element: str) -> str:
    return (f'{element}\n<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>\n'
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="x"/>\n'
            '<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="end"/>')


@pytest.fixture
def sqlite_engine(sqlite_url: str, clock) -> Engine:
    return Engine.open(sqlite_url, clock=clock)


def refusal(engine: Engine, files: dict[str, str]) -> list[str]:
    with pytest.raises(DeployRefused) as refused:
        engine.repository.deploy_sources(files)
    return [str(p) for p in refused.value.problems]


def test_not_well_formed_xml_names_file_and_line(sqlite_engine: Engine):
    [problem] = refusal(sqlite_engine, {"kapot.bpmn": HEAD + "<bpmn:process id='p'>\n<oops></bpmn:definitions>"})
    assert problem == "kapot.bpmn:4: geen welgevormde XML: een sluit-tag past niet bij de open tag (kolom 26)"


@pytest.mark.parametrize(("body", "where", "reason"), [
    ('<bpmn:userTaak id="x"/>', "5 [x]", "dit element hoort hier niet (onbekend, of op de verkeerde plaats)"),
    ('<bpmn:sequenceFlow id="f" sourceRef="start"/>', "5 [f]", "het verplichte attribuut 'targetRef' ontbreekt"),
    ('<bpmn:task id="x" startQuantity="veel"/>', "5 [x]", "de waarde 'veel' van attribuut 'startQuantity' is ongeldig"),
    ('<bpmn:task id="x" kleur="rood"/>', "5 [x]", "het attribuut 'kleur' hoort niet bij dit element"),
    ('<bpmn:task id="start"/>', "5 [start]",
     "'start' is geen geldige id: een id komt maar één keer voor en begint met een letter of _"),
])
def test_xsd_violation_names_line_element_and_what_is_wrong_in_dutch(
        sqlite_engine: Engine, body: str, where: str, reason: str):
    [problem] = refusal(sqlite_engine, {"xsd.bpmn": process(body)})
    assert problem == f"xsd.bpmn:{where}: geen geldige BPMN 2.0 volgens het XSD-schema: {reason}"


FORM_HEAD = '{\n  "id": "melding",\n  "components": [\n'


@pytest.mark.parametrize(("form", "where", "reason"), [
    ('{"id": "melding",\n  components: []}', "2", "geen geldige JSON (een sleutel staat niet tussen dubbele "
     "aanhalingstekens, regel 2, kolom 3)"),
    (FORM_HEAD + '    {"id": "Field_1", "key": "naam", "type": "textfield"},\n'
                 '    {"id": "Field_2", "key": "kaart", "type": "raket"}\n  ]\n}', "5 [Field_2]",
     "onderdeel 2 ('kaart') van type 'raket': dat type wordt niet ondersteund"),
    (FORM_HEAD + '    {"id": "Field_1", "label": "Naam", "type": "textfield"}\n  ]\n}', "4 [Field_1]",
     "onderdeel 1 ('Naam') van type 'textfield': key None is geen geldige sleutel"),
])
def test_a_form_refusal_names_file_line_and_component(sqlite_engine: Engine, form: str, where: str, reason: str):
    [problem] = refusal(sqlite_engine, {"melding.form": form})
    assert problem == f"melding.form:{where}: {reason}"


@pytest.mark.parametrize(("element", "message"), [
    ('<bpmn:intermediateThrowEvent id="x"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
     '<bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent>',
     "compensatiegebeurtenissen worden niet ondersteund"),
    ('<bpmn:serviceTask id="x" camunda:class="nl.Gros"><bpmn:incoming>f1</bpmn:incoming>'
     '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>', 'geef ze camunda:type="external"'),
    ('<bpmn:sendTask id="x" camunda:type="external"><bpmn:incoming>f1</bpmn:incoming>'
     '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:sendTask>', "heeft een camunda:topic nodig"),
    ('<bpmn:scriptTask id="x" scriptFormat="groovy"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
     '<bpmn:script>println 1</bpmn:script></bpmn:scriptTask>', "scriptformaat 'groovy' wordt niet ondersteund"),
    ('<bpmn:scriptTask id="x" scriptFormat="python"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
     '<bpmn:script>import os</bpmn:script></bpmn:scriptTask>', "het script kan de engine niet uitvoeren"),
    ('<bpmn:callActivity id="x" calledElement="onbekend" camunda:calledElementBinding="deployment">'
     '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:callActivity>',
     "aangeroepen proces 'onbekend' is niet gedeployed"),
    ('<bpmn:userTask id="x" camunda:formRef="nergens"><bpmn:incoming>f1</bpmn:incoming>'
     '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>', "formulier 'nergens' niet gevonden"),
    ('<bpmn:businessRuleTask id="x" camunda:decisionRef="geen"><bpmn:incoming>f1</bpmn:incoming>'
     '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>', "beslissing 'geen' is niet gedeployed"),
    ('<bpmn:intermediateCatchEvent id="x"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>'
     '<bpmn:timerEventDefinition><bpmn:timeDuration>P14X</bpmn:timeDuration></bpmn:timerEventDefinition>'
     '</bpmn:intermediateCatchEvent>', "ongeldige ISO 8601-timeDuration 'P14X'"),
])
def test_unsupported_or_unresolved_elements_are_named(sqlite_engine: Engine, element: str, message: str):
    [problem] = refusal(sqlite_engine, {"model.bpmn": process(flow_to(element))})
    assert problem.startswith("model.bpmn:") and "[x]" in problem and message in problem


def test_an_element_named_like_the_engines_own_start_task_is_refused(sqlite_engine: Engine):
    """SpiffWorkflow calls its own start task 'Start': a model element with that id would never start."""
    model = process(flow_to('<bpmn:userTask id="x"><bpmn:incoming>f1</bpmn:incoming>'
                            '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>')).replace('"start"', '"Start"')
    [problem] = refusal(sqlite_engine, {"model.bpmn": model})
    assert problem.startswith("model.bpmn:4") and "[Start]" in problem and "voorbehouden aan de engine" in problem


def conditioned(condition: str, language: str = "") -> str:
    return process('<bpmn:exclusiveGateway id="x" default="f3"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2'
                   '</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:exclusiveGateway>'
                   '<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming><bpmn:incoming>f3</bpmn:incoming>'
                   '</bpmn:endEvent><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="x"/>\n'
                   f'<bpmn:sequenceFlow id="f2" sourceRef="x" targetRef="end"><bpmn:conditionExpression{language} '
                   f'xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
                   '</bpmn:sequenceFlow><bpmn:sequenceFlow id="f3" sourceRef="x" targetRef="end"/>')


def test_unsafe_condition_is_refused_at_deploy(sqlite_engine: Engine):
    [problem] = refusal(sqlite_engine, {"m.bpmn": conditioned("${().__class__.__base__.__subclasses__()}")})
    assert "[f2]" in problem and "kan de engine niet uitvoeren" in problem


@pytest.mark.parametrize(("condition", "language", "reason"), [
    ("Service Level == 'Premium'", "", "staat niet tussen ${...}: Camunda 7 leest ze als vaste tekst, niet als "
     "voorwaarde, en faalt bij elke doorgang (condition expression returns non-Boolean)"),
    ("= some risk in levels satisfies risk = &quot;red&quot;", "", "is FEEL zoals Camunda 8 (Zeebe) het schrijft"),
    ("Approval = &quot;Approved&quot;", ' language="https://www.omg.org/spec/DMN/20191111/FEEL/"',
     "is geschreven in de taal 'https://www.omg.org/spec/DMN/20191111/FEEL/': Camunda 7 zoekt bij elke doorgang "
     "een script-engine voor die taal"),
])
def test_a_condition_camunda_7_fails_on_every_pass_is_refused_saying_why(
        sqlite_engine: Engine, condition: str, language: str, reason: str):
    [problem] = refusal(sqlite_engine, {"m.bpmn": conditioned(condition, language)})
    assert problem.startswith("m.bpmn:6 [f2]: de voorwaarde ") and reason in problem
    assert problem.endswith("schrijf ze als ${...} met variabelen, vergelijkingen en &&, ||, !")


def test_every_problem_is_reported_at_once_and_nothing_is_stored(sqlite_engine: Engine):
    files = {"a.bpmn": process(flow_to('<bpmn:sendTask id="x"><bpmn:incoming>f1</bpmn:incoming>'
                                       '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:sendTask>')),
             "b.dmn": '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" '
                      'namespace="n"><decision id="a"/><decision id="b"/></definitions>',
             "c.form": '{"type": "default"}'}
    problems = refusal(sqlite_engine, files)
    assert [p.split(":")[0] for p in problems] == ["a.bpmn", "b.dmn", "c.form"]
    assert "geef ze een bericht (messageRef)" in problems[0]
    assert problems[1:] == ["b.dmn:1 [d]: één beslissing per DMN-bestand, gevonden: 2",
                            "c.form:1: het formulier heeft geen 'id'"]
    assert sqlite_engine.repository.definitions() == []


def test_unknown_file_kind_is_refused(sqlite_engine: Engine):
    assert "alleen .bpmn-, .dmn- en .form-bestanden" in refusal(sqlite_engine, {"notes.txt": "hallo"})[0]


def test_a_form_change_makes_a_new_version_of_the_processes_that_use_it(sqlite_engine: Engine, tmp_path: Path):
    form = (DATA / "bpmn" / "aanvraag.form").read_text()
    sqlite_engine.repository.deploy([DATA / "bpmn" / "approval.bpmn", DATA / "bpmn" / "aanvraag.form"])
    (tmp_path / "aanvraag.form").write_text(form.replace('"Bedrag"', '"Bedrag in euro"'))
    [changed] = [d for d in sqlite_engine.repository.deploy([tmp_path / "aanvraag.form"])]
    assert (changed.key, changed.version, changed.changed) == ("goedkeuring", 2, True)



def chain(tasks: int) -> str:
    """A process of ``tasks`` script tasks one after another, between a start and an end event."""
    ids = ["start", *(f"s{i}" for i in range(tasks)), "end"]
    scripts = "".join(f'<bpmn:scriptTask id="s{i}" scriptFormat="python"><bpmn:incoming>f{i}</bpmn:incoming>'
                      f'<bpmn:outgoing>f{i + 1}</bpmn:outgoing><bpmn:script>n = {i}</bpmn:script></bpmn:scriptTask>\n'
                      for i in range(tasks))
    flows = "".join(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>\n'
                    for i, (a, b) in enumerate(zip(ids, ids[1:], strict=False)))
    return (f'{HEAD}<bpmn:process id="keten" isExecutable="true">\n'
            '<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>\n'
            f'{scripts}<bpmn:endEvent id="end"><bpmn:incoming>f{tasks}</bpmn:incoming></bpmn:endEvent>\n'
            f'{flows}</bpmn:process>\n</bpmn:definitions>\n')


def test_a_process_of_five_thousand_tasks_in_a_row_is_refused_with_a_reason(sqlite_engine: Engine):
    [problem] = refusal(sqlite_engine, {"keten.bpmn": chain(5000)})
    assert problem.startswith("keten.bpmn:") and "[s249]" in problem
    assert "proces 'keten' heeft hier een pad van meer dan 250 elementen na elkaar" in problem
    assert "deelprocessen" in problem and "Recursion" not in problem


def test_the_longest_chain_allowed_deploys_and_runs(sqlite_engine: Engine):
    sqlite_engine.repository.deploy_sources({"keten.bpmn": chain(MAX_PATH - 2)})
    instance_id = sqlite_engine.runtime.start("keten")
    assert sqlite_engine.query.instance(instance_id).status == "completed"


def test_running_out_of_recursion_in_the_parser_is_a_clear_refusal():
    """A deploy called from deep in a stack may still exhaust the parser's recursion."""
    def deep(frames: int) -> list[str]:
        if frames:
            return deep(frames - 1)
        with pytest.raises(DeployError) as refused:
            compile_sources({"keten.bpmn": Source("keten.bpmn", "bpmn", chain(MAX_PATH - 2))}, ["keten.bpmn"])
        return [str(p) for p in refused.value.problems]

    [problem] = deep(sys.getrecursionlimit() - 2 * MAX_PATH)
    assert problem.startswith("keten.bpmn") and problem.endswith(
        ": het model is te lang of te diep genest om in te lezen; splits het op in deelprocessen (call activities)")

@pytest.mark.skipif(not MIWG.exists(), reason="needs the MIWG corpus in ../shared/corpora/miwg")
@pytest.mark.parametrize("name", sorted(p.name for p in MIWG.glob("*.bpmn")) if MIWG.exists() else [])
def test_miwg_reference_models_deploy_or_are_refused_with_reasons(tmp_path: Path, clock, name: str):
    engine = Engine.open(f"sqlite:///{tmp_path / 'miwg.db'}", clock=clock)
    try:
        deployed = engine.repository.deploy([MIWG / name])
    except DeployRefused as refused:
        assert refused.problems
        assert all(str(p).startswith(name) and len(p.message) > 10 for p in refused.problems)
        return
    for definition in deployed:
        if engine.repository.definitions(definition.key)[0].none_start:
            instance_id = engine.runtime.start(definition.key)
            assert engine.query.instance(instance_id).status in {"running", "completed", "incident"}
