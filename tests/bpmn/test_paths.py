"""The deploy measures the paths SpiffWorkflow's recursive parser will follow, without recursing itself."""

from lxml import etree

from engine.bpmn.paths import MAX_PATH, too_long_path

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def tasks(prefix: str, count: int, end: str) -> str:
    """Start event, ``count`` tasks and ``end``, in a row, each id starting with ``prefix``."""
    ids = [f"{prefix}start", *(f"{prefix}t{i}" for i in range(count)), end]
    nodes = "".join(f'<task id="{i}"/>' for i in ids[1:-1])
    pairs = zip(ids, ids[1:], strict=False)
    flows = "".join(f'<sequenceFlow id="{a}-{b}" sourceRef="{a}" targetRef="{b}"/>' for a, b in pairs)
    return f'<startEvent id="{ids[0]}"/>{nodes}{flows}'


def process(body: str) -> etree._Element:
    return etree.fromstring(f'<process xmlns="{BPMN}" id="p">{body}</process>')


def test_a_path_of_max_path_elements_passes_and_one_more_is_named() -> None:
    assert too_long_path(process(tasks("", MAX_PATH - 2, "end") + '<endEvent id="end"/>')) is None
    too_long = process(tasks("", MAX_PATH - 1, "end") + '<endEvent id="end"/>')
    assert too_long_path(too_long).get("id") == "end"


def test_an_embedded_subprocess_adds_its_own_path_to_the_path_that_reaches_it() -> None:
    inner = f'<subProcess id="sub">{tasks("in-", MAX_PATH // 2, "in-end")}<endEvent id="in-end"/></subProcess>'
    outer = tasks("", MAX_PATH // 2, "sub") + inner
    assert too_long_path(process(outer)).get("id").startswith("in-")


def test_a_loop_back_ends_the_path_where_it_meets_an_element_already_walked() -> None:
    rework = '<exclusiveGateway id="check"/><sequenceFlow id="back" sourceRef="check" targetRef="t0"/>'
    assert too_long_path(process(tasks("", 10, "check") + rework)) is None
