"""The parser reads which processes a call activity can be bundled with once, and reads it again when a file adds
processes."""

from lxml import etree

from engine.bpmn.parser import GrosParser
from tests.engine.test_called_element import callee, caller


def test_the_callable_processes_include_those_of_a_file_added_after_they_were_read():
    parser = GrosParser()
    parser.add_bpmn_xml(etree.fromstring(caller('calledElement="kind"').encode()), filename="ouder.bpmn")
    assert parser.callable_processes() == {"ouder"}
    parser.add_bpmn_xml(etree.fromstring(callee("kind", "Werk").encode()), filename="kind.bpmn")
    assert parser.callable_processes() == {"ouder", "kind"}
    assert parser.get_spec("ouder").task_specs["roep"].call_binding is None  # pinned: bundled with its caller
