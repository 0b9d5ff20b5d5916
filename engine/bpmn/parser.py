"""The Camunda 7 dialect as process owners draw it in Camunda Modeler, read into SpiffWorkflow specs.

Stock ``CamundaParser`` ignores most ``camunda:`` attributes on user tasks and call activities and
builds timers and messages that do not behave as in Camunda; the subclasses here fill those gaps.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import ReceiveTaskParser, SendTaskParser
from SpiffWorkflow.bpmn.parser.task_parsers import ConditionalGatewayParser, GatewayParser
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.specs.defaults import (
    BoundaryEvent,
    EndEvent,
    IntermediateCatchEvent,
    IntermediateThrowEvent,
    ReceiveTask,
    SendTask,
    ServiceTask,
    StartEvent,
)
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask as SubWorkflowTaskMixin
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaEndEventParser,
    CamundaIntermediateCatchEventParser,
    CamundaIntermediateThrowEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import (
    CAMUNDA_MODEL_NS,
    BusinessRuleTaskParser,
    CallActivityParser,
    UserTaskParser,
)
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask
from SpiffWorkflow.camunda.specs.user_task import UserTask

from .artifacts import without_ignored_data
from .links import with_links_resolved
from .specs import (
    CallBinding,
    GrosCallActivity,
    GrosExternalTask,
    GrosInclusiveGateway,
    GrosMessage,
    GrosParallelGateway,
    StrictDecision,
)
from .splits import with_explicit_splits
from .timers import engine_timer

USER_TASK_ATTRIBUTES = (
    "candidateGroups",
    "candidateUsers",
    "assignee",
    "dueDate",
    "followUpDate",
    "priority",
    "formKey",
    "formRef",
    "formRefBinding",
    "formRefVersion",
)


class _EngineEvents:
    """Mixin for every event parser: clock-aware timers and Camunda message semantics."""

    def parse_timer_event(self, event):
        return engine_timer(super().parse_timer_event(event))

    def parse_message_event(self, message_event):
        parsed = super().parse_message_event(message_event)
        return GrosMessage(parsed.name, parsed.correlation_properties, getattr(parsed, "expression", None),
                           getattr(parsed, "result_var", None))


class GrosStartEventParser(_EngineEvents, CamundaStartEventParser):
    pass


class _ExternalMessage:
    """Mixin for message throw and end events: with ``camunda:type="external"`` on the message event
    definition a worker sends the message (an external task, as in Camunda); without it the engine
    throws it (caught inside the instance, else an outbound event — see ``Workflow.run``)."""

    ends_process = False

    def create_task(self):
        definition = self.node.find(full_tag("messageEventDefinition"))
        if definition is None or not is_external(definition):
            return super().create_task()
        task = external_task(self.spec, self.bpmn_id, definition, self.bpmn_attributes)
        if self.ends_process:
            task.connect(self.spec.end)
        return task


class GrosEndEventParser(_ExternalMessage, _EngineEvents, CamundaEndEventParser):
    ends_process = True


class GrosCatchEventParser(_EngineEvents, CamundaIntermediateCatchEventParser):
    pass


class GrosThrowEventParser(_ExternalMessage, _EngineEvents, CamundaIntermediateThrowEventParser):
    pass


class GrosBoundaryEventParser(_EngineEvents, CamundaBoundaryEventParser):
    pass


class GrosReceiveTaskParser(_EngineEvents, ReceiveTaskParser):
    pass


class GrosUserTaskParser(UserTaskParser):
    """Reads the assignment, deadline and form attributes into ``task_spec.extensions``."""

    def parse_extensions(self, node=None) -> dict:
        extensions = {"properties": super().parse_extensions(node)}
        for name in USER_TASK_ATTRIBUTES:
            value = self.node.get(f"{{{CAMUNDA_MODEL_NS}}}{name}")
            if value is not None:
                extensions[name] = value.strip()
        fields = self.xpath(".//camunda:formData/camunda:formField")
        if fields:
            extensions["formData"] = [_form_field(field) for field in fields]
        return extensions


def _form_field(node) -> dict:
    ns = f"{{{CAMUNDA_MODEL_NS}}}"
    return {
        "id": node.get("id"),
        "label": node.get("label"),
        "type": node.get("type"),
        "default_value": node.get("defaultValue"),
        "options": [(v.get("id"), v.get("name")) for v in node.iter(f"{ns}value")],
        "validation": {c.get("name"): c.get("config") for c in node.iter(f"{ns}constraint")},
    }


class _ExternalImplementation:
    """Mixin for the task parsers Camunda lets a worker implement (``camunda:type="external"``)."""

    def create_task(self):
        if not is_external(self.node):
            return super().create_task()
        return external_task(self.spec, self.bpmn_id, self.node, self.bpmn_attributes)


def external_task(spec, bpmn_id: str, node, attributes: dict) -> GrosExternalTask:
    """The waiting task of an element whose ``node`` carries ``camunda:topic`` and ``camunda:taskPriority``."""
    ns = f"{{{CAMUNDA_MODEL_NS}}}"
    return GrosExternalTask(spec, bpmn_id, topic=node.get(f"{ns}topic", "").strip(),
                            priority=(node.get(f"{ns}taskPriority") or "0").strip(), **attributes)


def is_external(node) -> bool:
    return node.get(f"{{{CAMUNDA_MODEL_NS}}}type") == "external"


class GrosServiceTaskParser(_ExternalImplementation, TaskParser):
    pass


class GrosSendTaskParser(_ExternalImplementation, SendTaskParser):
    pass


class GrosBusinessRuleTaskParser(_ExternalImplementation, BusinessRuleTaskParser):
    pass


class GrosCallActivityParser(CallActivityParser):
    def create_task(self):
        task = super().create_task()
        ns = f"{{{CAMUNDA_MODEL_NS}}}"
        extension = self.node.find(full_tag("extensionElements"))
        nodes = list(extension) if extension is not None else []
        task.in_mappings = [dict(n.attrib) for n in nodes if n.tag == f"{ns}in" and _is_variable_mapping(n)]
        task.out_mappings = [dict(n.attrib) for n in nodes if n.tag == f"{ns}out"]
        task.call_binding = call_binding(self.node, self.process_parser.parser.callable_processes())
        return task


def call_binding(node, deployed: frozenset[str]) -> CallBinding | None:
    """How a call activity chooses its process when it starts; None for a fixed ``calledElement`` without
    a binding, or with ``deployment``: those call the version deployed with the caller, bundled with it.
    A fixed ``calledElement`` without a binding whose process is not ``deployed`` (yet) is looked up as
    Camunda 7 does, when the call starts: the newest version then, an incident while there is none."""
    ns = f"{{{CAMUNDA_MODEL_NS}}}"
    binding = node.get(f"{ns}calledElementBinding")
    called = node.get("calledElement") or ""
    if binding == "deployment" or (binding is None and "${" not in called and called in deployed):
        return None
    return CallBinding(binding or "latest", node.get(f"{ns}calledElementVersion"),
                       node.get(f"{ns}calledElementVersionTag"))


def looked_up_at_start(node, deployed: frozenset[str]) -> bool:
    """A fixed ``calledElement`` without a binding whose process is not ``deployed``: ``call_binding`` looks it
    up when the call starts, as Camunda 7 does (the deployer is warned)."""
    called = node.get("calledElement") or ""
    return (node.get(f"{{{CAMUNDA_MODEL_NS}}}calledElementBinding") is None and bool(called)
            and "${" not in called and called not in deployed)


def _is_variable_mapping(node) -> bool:
    """``camunda:in businessKey=...`` passes the business key, which a called process shares here."""
    return node.get("businessKey") is None


class GrosParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (GrosUserTaskParser, UserTask),
        full_tag("callActivity"): (GrosCallActivityParser, GrosCallActivity),
        full_tag("startEvent"): (GrosStartEventParser, StartEvent),
        full_tag("endEvent"): (GrosEndEventParser, EndEvent),
        full_tag("intermediateCatchEvent"): (GrosCatchEventParser, IntermediateCatchEvent),
        full_tag("intermediateThrowEvent"): (GrosThrowEventParser, IntermediateThrowEvent),
        full_tag("boundaryEvent"): (GrosBoundaryEventParser, BoundaryEvent),
        full_tag("receiveTask"): (GrosReceiveTaskParser, ReceiveTask),
        full_tag("serviceTask"): (GrosServiceTaskParser, ServiceTask),
        full_tag("sendTask"): (GrosSendTaskParser, SendTask),
        full_tag("businessRuleTask"): (GrosBusinessRuleTaskParser, BusinessRuleTask),
        full_tag("parallelGateway"): (GatewayParser, GrosParallelGateway),
        full_tag("inclusiveGateway"): (ConditionalGatewayParser, GrosInclusiveGateway),
    }

    def __init__(self) -> None:
        super().__init__()
        self._callable: frozenset[str] | None = None

    def callable_processes(self) -> frozenset[str]:
        """The executable processes this parser holds: what a call activity can be bundled with. Read once
        for all the files of a deployment (each call activity and each process asks)."""
        if self._callable is None:
            self._callable = frozenset(pid for pid, process in self.process_parsers.items()
                                       if process.process_executable)
        return self._callable

    def get_engine(self, decision_ref, node) -> StrictDecision:
        return StrictDecision(super().get_engine(decision_ref, node).decision_table, decision_ref)

    def get_subprocess_specs(self, name, specs=None, require_call_activity_specs=True):
        """The processes bundled with ``name``: those its call activities call at a fixed version (the
        others are chosen when they start)."""
        used = specs if specs is not None else {}
        for task_spec in self.get_spec(name).task_specs.values():
            if isinstance(task_spec, SubWorkflowTaskMixin) and task_spec.spec not in used \
                    and getattr(task_spec, "call_binding", None) is None:
                used[task_spec.spec] = self.get_spec(task_spec.spec, required=require_call_activity_specs)
                if used[task_spec.spec] is not None:
                    self.get_subprocess_specs(task_spec.spec, used)
        return used

    def add_bpmn_xml(self, bpmn, filename=None):
        self._callable = None  # the file may hold more processes
        super().add_bpmn_xml(with_explicit_splits(with_links_resolved(without_ignored_data(bpmn))), filename)

    def _find_dependencies(self, process):
        """As BpmnDmnParser's, but a business rule task run by an external worker needs no decision."""
        BpmnParser._find_dependencies(self, process)
        for node in process.xpath(".//bpmn:businessRuleTask", namespaces=self.namespaces):
            if not is_external(node):
                self.dmn_dependencies.add(GrosBusinessRuleTaskParser.get_decision_ref(node))
