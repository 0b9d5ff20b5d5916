"""Camunda Modeler's "Deploy to Camunda Platform" against GROS: the exact calls its CamundaAPI client makes
(client/src/plugins/camunda-plugin/shared/CamundaAPI.js in camunda/camunda-modeler) — connection check,
version, deploy of a diagram with its form as attachment, start, a refused diagram whose ``message`` the
Modeler shows — once with HTTP Basic (username and password) and once with a bearer token."""

from __future__ import annotations

import base64

import pytest
import requests

from tests.engine.test_called_element import caller

from .conftest import PASSWORD, SHARED

# The process owner who deploys it may start it: the model says so, as Camunda 7 reads it (issue #13).
DIAGRAM = (SHARED / "approval.bpmn").read_text().replace(
    'name="Goedkeuring"', 'name="Goedkeuring uit de Modeler" camunda:candidateStarterGroups="procesbeheer"')
FORM = (SHARED / "aanvraag.form").read_text()


class ModelerClient:
    """What CamundaAPI.js sends: its headers, its multipart layout, its JSON bodies."""

    def __init__(self, endpoint: str, authorization: str) -> None:
        self.endpoint = endpoint
        self.headers = {"accept": "application/json", "authorization": authorization}

    def check_connection(self) -> requests.Response:
        return requests.get(f"{self.endpoint}/deployment?maxResults=0", headers=self.headers, timeout=30)

    def version(self) -> requests.Response:
        return requests.get(f"{self.endpoint}/version", headers=self.headers, timeout=30)

    def deploy(self, name: str, diagram_name: str, diagram: str, attachments: dict[str, str]) -> requests.Response:
        fields = [("deployment-name", (None, name)), ("deployment-source", (None, "Camunda Modeler")),
                  ("enable-duplicate-filtering", (None, "true")),
                  (diagram_name, (diagram_name, diagram.encode(), "text/xml"))]
        fields += [(file, (file, text.encode(), "application/octet-stream")) for file, text in attachments.items()]
        return requests.post(f"{self.endpoint}/deployment/create", files=fields, headers=self.headers, timeout=30)

    def start(self, definition_id: str, business_key: str, variables: dict) -> requests.Response:
        return requests.post(f"{self.endpoint}/process-definition/{definition_id}/start",
                             json={"businessKey": business_key, "variables": variables},
                             headers={"content-type": "application/json", **self.headers}, timeout=30)


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture(params=["basic", "bearer"])
def modeler(request, site) -> ModelerClient:
    authorization = basic("modelleur", PASSWORD) if request.param == "basic" else f"Bearer {site.tokens['modelleur']}"
    return ModelerClient(site.url + "/api/v1", authorization)


def test_the_modeler_connects_deploys_a_diagram_with_its_form_and_starts_it(modeler, site):
    assert modeler.check_connection().status_code == 200
    assert modeler.version().json()["version"].startswith("7.")

    answer = modeler.deploy("goedkeuring", "approval.bpmn", DIAGRAM, {"aanvraag.form": FORM})
    assert answer.status_code == 200, answer.text
    deployment = answer.json()
    assert deployment["name"] == "goedkeuring" and deployment["source"] == "Camunda Modeler"
    (definition_id, definition), = deployment["deployedProcessDefinitions"].items()
    assert definition["id"] == int(definition_id) and definition["key"] == "goedkeuring"
    assert definition["version"] == 2 and definition["deploymentId"] == int(deployment["id"])
    assert site.api("GET", f"/deployment/{deployment['id']}", "modelleur").json()["deploymentTime"]
    assert site.api("GET", "/deployment", "modelleur", params={"maxResults": 1}).json()[0]["id"] == deployment["id"]

    again = modeler.deploy("goedkeuring", "approval.bpmn", DIAGRAM, {"aanvraag.form": FORM}).json()
    assert again["id"] == deployment["id"], "an unchanged diagram is filtered as a duplicate"

    started = modeler.start(definition_id, "M-1", {"titel": {"value": "Brug", "type": "String"},
                                                   "aanvrager": {"value": "piet", "type": "String"}})
    assert started.status_code == 200, started.text
    instance = site.engine.query.instance(started.json()["id"])
    assert (instance.definition_id, instance.business_key) == (int(definition_id), "M-1")


def test_the_modeler_shows_why_a_diagram_is_refused(modeler, site):
    broken = DIAGRAM.replace('camunda:formRef="aanvraag"', 'camunda:formRef="bestaat-niet"')
    answer = modeler.deploy("kapot", "approval.bpmn", broken, {})
    assert answer.status_code == 400
    body = answer.json()
    assert answer.headers["Content-Type"] == "application/problem+json" and body["type"]
    # the dialog shows ``message``: file, line and element of each problem
    assert "approval.bpmn:7" in body["message"] and "invullen" in body["message"]
    assert "bestaat-niet" in body["message"]


def test_only_process_owners_deploy_and_wrong_credentials_are_refused(site):
    endpoint = site.url + "/api/v1"
    overseer = ModelerClient(endpoint, f"Bearer {site.tokens['beheer']}")
    assert overseer.check_connection().status_code == 200
    assert overseer.deploy("x", "approval.bpmn", DIAGRAM, {}).status_code == 403
    for wrong in (basic("modelleur", "verkeerd-wachtwoord"), basic("niemand", PASSWORD), "Basic !!!", "Digest x"):
        refused = ModelerClient(endpoint, wrong).check_connection()
        assert refused.status_code == 401 and "Basic" in refused.headers["WWW-Authenticate"]
    assert ModelerClient(endpoint, f"Bearer {site.tokens['nl']}").check_connection().status_code == 403


def test_a_diagram_calling_a_process_not_deployed_yet_deploys_with_a_dutch_warning(site):
    client = ModelerClient(site.url + "/api/v1", f"Bearer {site.tokens['modelleur']}")
    diagram = caller('calledElement="modeler-kind"').replace('id="ouder"', 'id="modeler-ouder"')
    answer = client.deploy("aanroeper", "modeler-ouder.bpmn", diagram, {})
    assert answer.status_code == 200, answer.text
    (definition,) = answer.json()["deployedProcessDefinitions"].values()
    assert definition["warning"].startswith("modeler-ouder roept proces 'modeler-kind' aan, dat niet gedeployed is")
