"""Deploy-time checks and run-time parsing of BPMN, DMN and form sources.

A deploy either accepts every file or names each problem (file, line, element, reason); it never
lets a SpiffWorkflow traceback reach a process owner.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from copy import deepcopy
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.forms import FormSchemaError, load_camunda_form

from . import expressions
from .access import ProcessAccess, process_access
from .element_rules import check_elements
from .links import link_problems
from .parser import GrosParser, looked_up_at_start
from .paths import MAX_PATH, too_long_path
from .runtime import FORMS_PREFIX, ProcessBundle
from .xsd import schema_violation, syntax_reason

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}
DMN_NAMESPACES = ("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20151101/dmn.xsd")


@dataclass(frozen=True)
class Source:
    name: str
    kind: str  # bpmn | dmn | form
    content: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.content.encode()).hexdigest()


@dataclass(frozen=True)
class Problem:
    """A reason to refuse, in Dutch; ``detail`` keeps the library's own (English) text, for whoever digs."""

    file: str
    line: int | None
    element: str | None
    message: str
    detail: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        element = f" [{self.element}]" if self.element else ""
        return f"{where}{element}: {self.message}"


class DeployError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class CompiledProcess:
    """One executable process as deployed: what it is, what it needs, how it starts."""

    key: str
    name: str
    source: str
    content_hash: str
    needs: list[str]
    history_ttl: str | None
    version_tag: str | None
    none_start: bool
    access: ProcessAccess
    message_starts: list[tuple[str, str]] = field(default_factory=list)
    timer_starts: list[tuple[str, str, str]] = field(default_factory=list)
    # Processes its call activities name that are not deployed: looked up when the call starts.
    missing_calls: tuple[str, ...] = ()


def kind_of(name: str) -> str | None:
    for suffix in ("bpmn", "dmn", "form"):
        if name.endswith("." + suffix):
            return suffix
    return None


def compile_sources(universe: dict[str, Source], changed: Iterable[str]) -> list[CompiledProcess]:
    """Check ``changed`` files, then compile every executable process against everything deployed
    (a changed form, decision or called process changes the processes that use it)."""
    changed = sorted(changed)
    problems: list[Problem] = []
    trees = {}
    for name in changed:
        tree = _check_source(universe[name], problems)
        if tree is not None:
            trees[name] = tree
    if problems:
        raise DeployError(problems)
    forms = _form_ids(universe, problems)
    parser = _parser(universe, problems, validate=True)
    if problems:
        raise DeployError(problems)
    compiled = []
    for name, source in sorted(universe.items()):
        if source.kind == "bpmn":
            tree = trees.get(name)
            if tree is None:
                tree = etree.fromstring(source.content.encode())
            compiled += _compile_file(universe, name, tree, parser, forms, problems)
    if problems:
        raise DeployError(problems)
    return compiled


def bundle(key: str, sources: Iterable[Source]) -> ProcessBundle:
    """Parse a definition's own sources into the specs it runs (no XSD: checked at deploy)."""
    problems: list[Problem] = []
    parser = _parser({s.name: s for s in sources}, problems, validate=False)
    if problems:
        raise DeployError(problems)
    return ProcessBundle(key, parser.get_spec(key), parser.get_subprocess_specs(key))


# --- one file ------------------------------------------------------------------------------------
def _check_source(source: Source, problems: list[Problem]):
    if source.kind == "form":
        try:
            load_camunda_form(source.content, source.name)
        except FormSchemaError as error:
            problems.append(_form_problem(source, error))
        return None
    try:
        tree = etree.fromstring(source.content.encode(), etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as error:
        problems.append(Problem(source.name, error.lineno, None, f"geen welgevormde XML: {syntax_reason(error)}",
                                error.msg))
        return None
    if source.kind == "dmn":
        _check_dmn(source, tree, problems)
        return tree
    if tree.tag != f"{{{BPMN}}}definitions":
        problems.append(Problem(source.name, tree.sourceline, etree.QName(tree).localname,
                                "geen BPMN 2.0-document (bpmn:definitions)"))
        return None
    violation = schema_violation(_with_qname_called_elements(tree), source.name)
    if violation is not None:
        problems.append(Problem(source.name, violation.line, violation.element,
                                f"geen geldige BPMN 2.0 volgens het XSD-schema: {violation.reason}", violation.detail))
        return None
    _check_rules(source, tree, problems)
    _check_links(source, tree, problems)
    _check_paths(source, tree, problems)
    return tree


CALLED_EXPRESSIONS = "//bpmn:callActivity[contains(@calledElement, '${')]"


def _with_qname_called_elements(tree):
    """The XSD types calledElement as a QName; Camunda also takes ``${…}`` there, so the schema sees a stand-in."""
    if not tree.xpath(CALLED_EXPRESSIONS, namespaces=NS):
        return tree
    copy = deepcopy(tree)
    for node in copy.xpath(CALLED_EXPRESSIONS, namespaces=NS):
        node.set("calledElement", "expressie")
    return copy


def _check_dmn(source: Source, tree, problems: list[Problem]) -> None:
    element = tree.get("id") or etree.QName(tree).localname
    if etree.QName(tree).namespace not in DMN_NAMESPACES:
        problems.append(Problem(source.name, tree.sourceline, element, "geen DMN 1.2- of 1.3-document"))
        return
    decisions = tree.findall(f"{{{etree.QName(tree).namespace}}}decision")
    if len(decisions) != 1:
        message = f"één beslissing per DMN-bestand, gevonden: {len(decisions)}"
        problems.append(Problem(source.name, tree.sourceline, element, message))


def _check_rules(source: Source, tree, problems: list[Problem]) -> None:
    def add(node, message, detail=None):
        owner = next((n for n in node.iterancestors() if n.get("id")), node) if node.get("id") is None else node
        problems.append(Problem(source.name, node.sourceline, owner.get("id") or etree.QName(node).localname, message,
                                detail))

    check_elements(tree, add)


_TOO_LONG = ("proces '{process}' heeft hier een pad van meer dan {limit} elementen na elkaar; zo'n lange keten "
             "kan niet worden ingelezen: splits het proces op in deelprocessen (call activities)")
_TOO_DEEP = ("het model is te lang of te diep genest om in te lezen; splits het op in deelprocessen "
             "(call activities)")


def _check_links(source: Source, tree, problems: list[Problem]) -> None:
    for node, message in link_problems(tree):
        problems.append(Problem(source.name, node.sourceline, node.get("id"), message))


def _check_paths(source: Source, tree, problems: list[Problem]) -> None:
    for process in tree.iterfind("bpmn:process", NS):
        node = too_long_path(process)
        if node is not None:
            problems.append(Problem(source.name, node.sourceline, node.get("id"), _TOO_LONG.format(
                process=process.get("id"), limit=MAX_PATH)))


# --- the whole universe of deployed files --------------------------------------------------------
def _form_ids(universe: dict[str, Source], problems: list[Problem]) -> dict[str, str]:
    """form id -> file name of every deployed form."""
    ids = {}
    for source in universe.values():
        if source.kind != "form":
            continue
        try:
            ids[load_camunda_form(source.content, source.name).form_id] = source.name
        except FormSchemaError as error:
            problems.append(_form_problem(source, error))
    return ids


def _form_problem(source: Source, error: FormSchemaError) -> Problem:
    return Problem(source.name, error.line, error.element, error.reason)


def _parser(universe: dict[str, Source], problems: list[Problem], validate: bool) -> GrosParser:
    parser = GrosParser()
    owners: dict[str, str] = {}
    for source in sorted(universe.values(), key=lambda s: s.name):
        if source.kind == "form":
            continue
        tree = etree.fromstring(source.content.encode())
        try:
            if source.kind == "dmn":
                parser.add_dmn_xml(tree, filename=source.name)
            elif _claim_processes(source, tree, owners, problems):
                parser.add_bpmn_xml(tree, filename=source.name)
        except ValidationException as error:
            problems.append(_problem(error, source.name, tree))
    return parser


def _claim_processes(source: Source, tree, owners: dict[str, str], problems: list[Problem]) -> bool:
    """Record which file defines each process id; False if another file already does."""
    clashes = 0
    for process in tree.iterfind("bpmn:process", NS):
        pid = process.get("id")
        if pid in owners:
            clashes += 1
            problems.append(Problem(source.name, process.sourceline, pid,
                                    f"proces '{pid}' staat ook in {owners[pid]}"))
        owners.setdefault(pid, source.name)
    return clashes == 0


def _compile_file(universe, name, tree, parser, forms, problems) -> list[CompiledProcess]:
    compiled = []
    for process in tree.iterfind("bpmn:process", NS):
        if process.get("isExecutable") != "true":
            continue
        before = len(problems)
        _check_references(universe[name], process, parser, forms, problems)
        if len(problems) > before:
            continue
        try:
            parser.get_spec(process.get("id"))
            parser.get_subprocess_specs(process.get("id"))
        except ValidationException as error:
            problems.append(_problem(error, name, process))
            continue
        compiled.append(_describe(universe, name, process, parser, forms))
    return compiled


def _check_references(source: Source, process, parser, forms: dict[str, str], problems: list[Problem]) -> None:
    def add(node, message):
        problems.append(Problem(source.name, node.sourceline, node.get("id"), message))

    deployed = parser.callable_processes()
    for node in process.iter(f"{{{BPMN}}}callActivity"):
        called = node.get("calledElement")
        if not called:
            add(node, "een call activity heeft een calledElement nodig: de id van het aangeroepen proces of ${...}")
        elif "${" in called or node.get(BINDING) is not None:
            _check_binding(node, deployed, add)
    for node in process.iter(f"{{{BPMN}}}businessRuleTask"):
        ref = node.get(f"{{{CAMUNDA}}}decisionRef")
        if ref and ref not in parser.dmn_parsers:
            add(node, f"beslissing '{ref}' is niet gedeployed")
    for node in process.iter(f"{{{BPMN}}}userTask"):
        form = _form_reference(node)
        if form and form not in forms and form not in forms.values():
            add(node, f"formulier '{form}' niet gevonden")


BINDING = f"{{{CAMUNDA}}}calledElementBinding"
BINDINGS = ("latest", "deployment", "version", "versionTag")


def _check_binding(node, deployed: frozenset[str], add) -> None:
    """A binding chosen at run time needs what it names; the process itself is looked up when the call starts.
    ``deployment`` calls the version deployed with the caller, so that one must be there."""
    binding = node.get(BINDING) or "latest"
    called = node.get("calledElement")
    needed = {"version": "calledElementVersion", "versionTag": "calledElementVersionTag"}.get(binding)
    if binding not in BINDINGS:
        add(node, f"camunda:calledElementBinding '{binding}' bestaat niet; kies latest, deployment, version of "
                  "versionTag")
    elif binding == "deployment" and "${" in called:
        add(node, "camunda:calledElementBinding=\"deployment\" heeft een vaste calledElement nodig")
    elif binding == "deployment" and called not in deployed:
        add(node, f"aangeroepen proces '{called}' is niet gedeployed: camunda:calledElementBinding=\"deployment\" "
                  "roept de versie aan die samen met de aanroeper gedeployed is; deploy ze samen of laat de binding "
                  "weg (dan zoekt de aanroep de nieuwste versie wanneer ze start)")
    elif needed and not (node.get(f"{{{CAMUNDA}}}{needed}") or "").strip():
        add(node, f"camunda:calledElementBinding=\"{binding}\" heeft camunda:{needed} nodig")
    for attribute in ("calledElement", f"{{{CAMUNDA}}}calledElementVersion", f"{{{CAMUNDA}}}calledElementVersionTag"):
        text = node.get(attribute) or ""
        if "${" in text:
            _check_called_expression(node, text, add)


def _check_called_expression(node, text: str, add) -> None:
    try:
        expressions.check(text)
    except expressions.ExpressionError:
        add(node, f"de expressie '{text[:200]}' kan de engine niet uitvoeren: schrijf ze als ${{...}} met "
                  "variabelen en vergelijkingen (Java-aanroepen draaien hier niet)")


def _form_reference(node) -> str | None:
    ref = node.get(f"{{{CAMUNDA}}}formRef")
    key = node.get(f"{{{CAMUNDA}}}formKey") or ""
    if ref:
        return ref
    if key.startswith(FORMS_PREFIX):
        return key[len(FORMS_PREFIX):]
    return None


def _describe(universe, name, process, parser, forms) -> CompiledProcess:
    pid = process.get("id")
    processes = [pid, *parser.get_subprocess_specs(pid).keys()]
    files = {parser.process_parsers[p].filename for p in processes if p in parser.process_parsers}
    elements = [parser.process_parsers[p].node for p in processes if p in parser.process_parsers]
    decisions = {n.get(f"{{{CAMUNDA}}}decisionRef") for el in elements for n in el.iter(f"{{{BPMN}}}businessRuleTask")}
    files |= {parser.dmn_parsers[d].filename for d in decisions if d in parser.dmn_parsers}
    form_refs = {_form_reference(n) for el in elements for n in el.iter(f"{{{BPMN}}}userTask")} - {None}
    files |= {forms.get(ref, ref) for ref in form_refs}
    needs = sorted(files | {name})
    # A version is what it runs and what it shows: every byte of its own file (layout included) and of
    # the files it needs. A changed file thus makes a new version of each process in it, and of their callers.
    digest = hashlib.sha256()
    for needed in needs:
        digest.update(universe[needed].content_hash.encode())
    return CompiledProcess(
        key=pid,
        name=process.get("name") or pid,
        source=name,
        content_hash=digest.hexdigest(),
        needs=needs,
        history_ttl=process.get(f"{{{CAMUNDA}}}historyTimeToLive"),
        version_tag=process.get(f"{{{CAMUNDA}}}versionTag"),
        none_start=any(not _event_kind(s) for s in _starts(process)),
        access=process_access(process, elements),
        message_starts=[(s.get("id"), _message_name(process, s)) for s in _starts(process)
                        if _event_kind(s) == "messageEventDefinition"],
        timer_starts=[(s.get("id"), *_timer_spec(s)) for s in _starts(process)
                      if _event_kind(s) == "timerEventDefinition"],
        missing_calls=_missing_calls(process, parser.callable_processes()),
    )


def _missing_calls(process, deployed: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted({node.get("calledElement") for node in process.iter(f"{{{BPMN}}}callActivity")
                         if looked_up_at_start(node, deployed)}))


def _starts(process):
    return process.findall("bpmn:startEvent", NS)


def _event_kind(event) -> str | None:
    for child in event:
        local = etree.QName(child).localname
        if local.endswith("EventDefinition"):
            return local
    return None


def _message_name(process, start) -> str:
    ref = start.find("bpmn:messageEventDefinition", NS).get("messageRef")
    message = process.getroottree().getroot().find(f"bpmn:message[@id='{ref}']", NS)
    return message.get("name") if message is not None else ref


def _timer_spec(start) -> tuple[str, str]:
    definition = start.find("bpmn:timerEventDefinition", NS)
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        node = definition.find(f"bpmn:{kind}", NS)
        if node is not None:
            return kind, (node.text or "").strip()
    return "timeDuration", ""


# SpiffWorkflow's parse refusals (by a piece of their English text) in the words a process owner reads.
LIBRARY_TEXTS = (
    ("Multiple outgoing flows are not supported", "meerdere uitgaande pijlen worden bij dit element niet ondersteund"),
    ("There is no support implemented for this task type", "dit soort element kan de engine niet uitvoeren"),
    ("is not executable", "het aangeroepen proces is niet uitvoerbaar (isExecutable=\"false\")"),
    ("No start event found", "het proces heeft geen startgebeurtenis"),
    ("Duplicate process ID", "deze proces-id komt meer dan eens voor"),
    ("identifier is missing from bpmn xml", "de gebeurtenis verwijst naar een signaal, fout, escalatie of "
                                            "correlatie die niet in het bestand gedefinieerd is"),
    ("Conditional event definition with missing condition", "een voorwaardelijke gebeurtenis zonder voorwaarde"),
    ("Time Specification", "de tijdsaanduiding van de timer is ongeldig"),
    ("Cannot resolve data", "een gegevensassociatie verwijst naar een data-object dat niet bestaat"),
    ("Must contain an End event", "een deelproces moet een eindgebeurtenis hebben"),
    ("Exactly one start event is required", "een deelproces heeft precies één startgebeurtenis nodig (ook Camunda 7 "
                                            "weigert een deelproces zonder)"),
    ("must specify a cardinality or a collection", "een multi-instance heeft een loopCardinality of "
                                                   "camunda:collection nodig (ook Camunda 7 weigert ze zonder)"),
)
UNREADABLE = "de engine kan dit element niet inlezen"


def _problem(error: ValidationException, file_name: str, where) -> Problem:
    """SpiffWorkflow's refusal in Dutch; where it names no line, the element being read (``where``) stands in."""
    original = str(error)
    message = _TOO_DEEP if _from_recursion(error) else next(
        (dutch for english, dutch in LIBRARY_TEXTS if english in original), UNREADABLE)
    line, element = error.line_number or None, error.id or None
    if (error.file_name or file_name) == file_name:
        named = where.getroottree().xpath("//*[@id=$id]", id=element) if element else []
        # The element's own line: SpiffWorkflow's may be another node's, or missing.
        line, element = (named[0].sourceline, element) if named else (
            line or where.sourceline, element or where.get("id") or etree.QName(where).localname)
    return Problem(error.file_name or file_name, line, element, message, original)


def _from_recursion(error: BaseException | None) -> bool:
    """Whether SpiffWorkflow's parser ran out of recursion: it wraps the RecursionError it meets."""
    while error is not None:
        if isinstance(error, RecursionError):
            return True
        error = error.__cause__ or error.__context__
    return False
