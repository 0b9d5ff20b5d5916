"""The safe evaluator plugged into SpiffWorkflow: conditions, scripts and DMN cells in a real workflow."""

from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from engine.bpmn.expressions import ExpressionError, SafeScriptEngine

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="module")
def specs() -> tuple:
    parser = CamundaParser()
    parser.add_bpmn_file(str(DATA / "expressions.bpmn"))
    parser.add_dmn_files([str(DATA / name) for name in ("route.dmn", "discount.dmn", "checks.dmn")])
    return parser.get_spec("expressions"), parser.get_subprocess_specs("expressions")


def run(specs: tuple, **data: object) -> BpmnWorkflow:
    workflow = BpmnWorkflow(*specs, script_engine=SafeScriptEngine())
    workflow.get_next_task(state=TaskState.READY).data.update(data)
    workflow.do_engine_steps()
    return workflow


def reached(workflow: BpmnWorkflow, end: str) -> bool:
    return any(task.task_spec.name == end for task in workflow.get_tasks(state=TaskState.COMPLETED))


ALL_CHECKS = ["basic", "fraud", "limits", "even"]


@pytest.mark.parametrize(
    ("country", "amount", "member", "expected", "end"),
    [
        ("NL", 500, True, ("simple", 10, ALL_CHECKS), "end_normal"),
        ("DE", 501, False, ("foreign", 0, ["basic", "fraud", "limits"]), "end_normal"),
        ("BE", 2000, True, ("review", 10, ["basic", "fraud", "even"]), "end_normal"),
        ("NL", 60000, False, ("board", 0, ALL_CHECKS), "end_board"),
        ("NL", 1, False, ("simple", 0, ["basic"]), "end_normal"),
    ],
)
def test_workflow_with_dmn_and_camunda_conditions(specs, country, amount, member, expected, end) -> None:
    workflow = run(specs, country=country, amount=amount, member=member, extra=0)
    assert workflow.is_completed()
    result = workflow.last_task.data
    assert (result["route"], result["discount"], result["checks"]) == expected
    assert result["size"] == ("large" if amount > 50000 else "small")
    assert reached(workflow, end)


def test_a_dmn_input_that_is_not_set_reads_as_null_as_in_feel(specs) -> None:
    """Camunda 7 evaluates DMN input expressions in FEEL, where a variable that is not set is null: one table
    can then decide over a path that set only some of its inputs (processen/gros-uitkomst.dmn)."""
    workflow = BpmnWorkflow(*specs, script_engine=SafeScriptEngine())
    workflow.get_next_task(state=TaskState.READY).data.update(country="NL", amount=5, extra=0)
    workflow.do_engine_steps()
    [decided] = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.name == "decide_discount"]
    assert "discount" not in decided.data  # null matches neither `true` nor `false`: no rule applies


def test_dmn_failure_becomes_task_exception(specs) -> None:
    workflow = BpmnWorkflow(*specs, script_engine=SafeScriptEngine())
    workflow.get_next_task(state=TaskState.READY).data.update(country="NL", amount=5, member=True, extra=0)
    column = workflow.spec.task_specs["decide_discount"].dmnEngine.decision_table.inputs[0]
    column.expression, original = "country.code", column.expression  # a string has no keys
    try:
        with pytest.raises(WorkflowTaskException, match="kan alleen een sleutel van een dict lezen") as failed:
            workflow.do_engine_steps()
    finally:
        column.expression = original  # the parsed specs are shared with the other tests
    assert failed.value.task_spec.name == "decide_discount"


def test_script_failure_becomes_task_exception_with_line(specs) -> None:
    with pytest.raises(WorkflowTaskException, match="naam 'extra' is niet gedefinieerd") as failed:
        run(specs, country="NL", amount=5, member=True)
    assert failed.value.task_spec.name == "prepare"
    assert (failed.value.line_number, failed.value.error_line) == (1, "amount = amount + extra")


def test_engine_refuses_escape_in_condition(specs) -> None:
    workflow = run(specs, country="NL", amount=5, member=True, extra=0)
    task = workflow.last_task
    with pytest.raises(WorkflowTaskException, match="'__import__' is niet toegestaan"):
        SafeScriptEngine().evaluate(task, "__import__('os')")
    assert SafeScriptEngine().evaluate(task, "${amount + bonus}", external_context={"bonus": 1}) == 6


def test_engine_validate_accepts_feel_and_refuses_escapes() -> None:
    engine = SafeScriptEngine()
    for cell in ("[0..1000]", 'not("a", "b")', '"a","b"', "> 5", "-", "true", "amount"):
        engine.validate(cell)
    with pytest.raises(ExpressionError, match="'__import__' is niet toegestaan"):
        engine.validate("__import__('os')")
