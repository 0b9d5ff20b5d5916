"""What the engine refuses element by element in a BPMN file, in Dutch: elements and attributes it does not
run (Java delegates, listeners, compensation, complex gateways), external tasks without a topic, and
conditions, scripts, timers and time-to-live values it could not evaluate as Camunda 7 would.

``check_elements`` hands each refusal to ``add(node, message, detail=None)``; the deploy checks
(``definitions``) name the file, line and element of each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from lxml import etree

from . import expressions
from .parser import is_external
from .retention import removal_time
from .timers import check_timer, timer_text_is_literal

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN, "camunda": CAMUNDA}

RESERVED_IDS = {"Start"}  # SpiffWorkflow names its own start task so; an element with it never starts
UNSUPPORTED = {
    "compensateEventDefinition": "compensatiegebeurtenissen worden niet ondersteund",
    "complexGateway": "complexe gateways worden niet ondersteund",
    "serviceTask": "een servicetaak draait hier als external task: geef ze camunda:type=\"external\" en een "
    "camunda:topic (Java-delegates en expressies draaien hier niet)",
    "executionListener": "execution listeners worden niet ondersteund",
    "taskListener": "task listeners worden niet ondersteund",
}

EXTERNAL_TASKS = ("serviceTask", "sendTask", "businessRuleTask")

Add = Callable[..., None]


def check_elements(tree, add: Add) -> None:
    """Hand ``add`` every element of ``tree`` the engine refuses, with why."""
    for node in tree.iter(etree.Element):
        local = etree.QName(node).localname
        if node.get("id") in RESERVED_IDS:
            add(node, f"het id '{node.get('id')}' is voorbehouden aan de engine (haar eigen starttaak); "
                      "kies een ander id")
        if is_external(node):
            _check_external(node, add)
        elif local in UNSUPPORTED:
            add(node, UNSUPPORTED[local])
        elif local == "conditionExpression" and node.text and node.text.strip():
            _check_condition(node, add)
        elif local == "scriptTask":
            _check_script(node, add)
        elif local in ("timeDuration", "timeDate", "timeCycle"):
            _check_timer(node, local, add)
        elif local == "process":
            _check_time_to_live(node, add)
        elif local == "sendTask" and not node.get("messageRef"):
            add(node, "een send task zonder worker (camunda:type=\"external\") verstuurt een bericht naar buiten: "
                      "geef ze een bericht (messageRef)")
        elif local == "businessRuleTask" and node.get(f"{{{CAMUNDA}}}decisionRef") is None:
            add(node, "een business rule task heeft camunda:decisionRef (DMN) of camunda:type=\"external\" nodig; "
                      "andere implementaties worden niet ondersteund")


def _check_external(node, add) -> None:
    if not _may_be_external(node):
        add(node, "camunda:type=\"external\" kan hier alleen op een service-, send- of business rule task, of "
                  "op de berichtdefinitie van een bericht-throw- of -eindgebeurtenis")
    elif not (node.get(f"{{{CAMUNDA}}}topic") or "").strip():
        add(node, "een external task heeft een camunda:topic nodig: het onderwerp waarop workers taken ophalen")


def _may_be_external(node) -> bool:
    local = etree.QName(node).localname
    if local == "messageEventDefinition":
        return etree.QName(node.getparent()).localname in ("intermediateThrowEvent", "endEvent")
    return local in EXTERNAL_TASKS


def _check_condition(node, add) -> None:
    """A condition GROS cannot evaluate is one Camunda 7 cannot either: it deploys it, but fails the flow on
    every pass. GROS refuses it at deploy, saying why Camunda would fail."""
    text = node.text.strip()
    _check_expression(node, text, add, f"de voorwaarde '{text[:200]}' {_why_no_condition(text, node.get('language'))}"
                                       "; schrijf ze als ${...} met variabelen, vergelijkingen en &&, ||, !")


def _why_no_condition(text: str, language: str | None) -> str:
    if language:
        return (f"is geschreven in de taal '{language}': Camunda 7 zoekt bij elke doorgang een script-engine voor "
                "die taal, en voor FEEL of XPath is er geen")
    if text.startswith("="):
        return ("is FEEL zoals Camunda 8 (Zeebe) het schrijft: Camunda 7 leest dat als vaste tekst, niet als "
                "voorwaarde, en faalt bij elke doorgang")
    if "${" not in text and "#{" not in text:
        return ("staat niet tussen ${...}: Camunda 7 leest ze als vaste tekst, niet als voorwaarde, en faalt bij elke "
                "doorgang (condition expression returns non-Boolean)")
    return "kan de engine niet uitvoeren (Java-aanroepen en methoden van execution draaien hier niet)"


def _check_expression(node, text: str, add, refusal: str | None = None) -> None:
    """Refuse an expression the engine cannot evaluate, on the element that holds ``node``."""
    try:
        expressions.check(text.strip())
    except expressions.ExpressionError as error:
        add(node.getparent(), refusal or f"de expressie '{text.strip()[:200]}' kan de engine niet uitvoeren: "
                                         "schrijf ze als ${...} met variabelen, vergelijkingen en &&, ||, ! (FEEL, "
                                         "XPath en Java-aanroepen draaien hier niet)", str(error))


def _check_script(node, add) -> None:
    script_format = (node.get("scriptFormat") or "python").lower()
    if script_format != "python":
        add(node, f"scriptformaat '{script_format}' wordt niet ondersteund; schrijf het script in de beperkte "
                  "Python van de engine (scriptFormat=\"python\")")
        return
    script = node.find("bpmn:script", NS)
    try:
        expressions.check_script(script.text if script is not None and script.text else "")
    except expressions.ExpressionError as error:
        line = f" (regel {error.line} van het script)" if error.line else ""
        add(node, f"het script kan de engine niet uitvoeren{line}: alleen beperkte Python, zonder imports, "
                  "bestanden of dunder-attributen", str(error))


def _check_time_to_live(node, add) -> None:
    text = (node.get(f"{{{CAMUNDA}}}historyTimeToLive") or "").strip()
    if text and removal_time(datetime.now(UTC), text) is None:
        add(node, f"camunda:historyTimeToLive '{text}' is geen aantal dagen en geen ISO 8601-duur (bv. 180 of P180D)")


def _check_timer(node, kind: str, add) -> None:
    text = (node.text or "").strip()
    event = node.getparent().getparent()
    if not text:
        add(event, f"de timer heeft een lege {kind}: zonder tijdstip, duur of herhaling loopt hij nooit af; vul een "
                   "ISO 8601-waarde of ${...} in")
    elif not timer_text_is_literal(text):
        _check_expression(node.getparent(), text, add)
    else:
        try:
            check_timer(kind, text)
        except ValueError as error:
            add(event, f"ongeldige ISO 8601-{kind} '{text}': {error}")
