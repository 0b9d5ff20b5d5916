"""The REST API over real HTTP: Camunda-shaped operations through the engine's one door, problem
details naming every error, the API-Version header, the OpenAPI document matching the routes."""

from __future__ import annotations

import re

from flask import Flask

from tests.conftest import DATA as TEST_DATA

from .conftest import DATA, SHARED, make_app

ENGINE_DATA = TEST_DATA / "bpmn"

ROOT = SHARED.parents[2]

PROBLEM = "application/problem+json"


def typed(**values) -> dict:
    return {name: {"value": value} for name, value in values.items()}


def start_approval(site, user="secretaris", key="B-1") -> dict:
    response = site.api("POST", "/process-definition/key/goedkeuring/start", user,
                        json={"businessKey": key, "variables": typed(titel="Fietsbrug", aanvrager="piet")})
    assert response.status_code == 200, response.text
    return response.json()


def test_openapi_document_is_public_and_names_every_route(site, served_engine):
    response = site.api("GET", "/openapi.json", None)
    assert response.status_code == 200 and response.headers["API-Version"] == "1.0.0"
    document = response.json()
    assert document["openapi"].startswith("3.1") and document["servers"] == [{"url": "/api/v1"}]
    app: Flask = make_app(served_engine)
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/") and r.endpoint != "api.openapi"]
    routes = {(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1")), method.lower())
              for rule in rules for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    assert routes == documented
    for operations in document["paths"].values():
        for operation in operations.values():
            assert all("API-Version" in r["headers"] for r in operation["responses"].values())


def test_start_list_claim_complete_through_the_api(site):
    instance = start_approval(site)
    assert instance["businessKey"] == "B-1" and instance["status"] == "running" and not instance["ended"]
    tasks = site.api("GET", "/task", "secretaris", params={"processInstanceId": instance["id"]}).json()
    [task] = tasks
    assert (task["taskDefinitionKey"], task["candidateGroups"], task["camundaFormRef"]) == (
        "invullen", ["secretariaat"], "aanvraag")
    assert site.api("GET", f"/task/{task['id']}", "secretaris").json() == task
    assert site.api("POST", f"/task/{task['id']}/claim", "secretaris", json={"userId": "secretaris"}).status_code == 204
    assert site.api("GET", "/task", "beheer", params={"assignee": "secretaris"}).json()[0]["id"] == task["id"]
    assert site.api("POST", f"/task/{task['id']}/unclaim", "secretaris").status_code == 204
    assert site.api("POST", f"/task/{task['id']}/claim", "secretaris").status_code == 204

    invalid = site.api("POST", f"/task/{task['id']}/complete", "secretaris",
                       json={"variables": typed(bedrag=-5, land="BE")})
    assert invalid.status_code == 400 and invalid.headers["Content-Type"] == PROBLEM
    assert {p["name"] for p in invalid.json()["invalidParams"]} == {"bedrag", "land", "aanvrager"}
    assert site.api("GET", f"/task/{task['id']}", "secretaris").status_code == 200, "nothing was saved"

    done = site.api("POST", f"/task/{task['id']}/complete", "secretaris",
                    json={"variables": typed(bedrag=50, land="VL", aanvrager="secretaris")})
    assert done.status_code == 204, done.text
    again = site.api("POST", f"/task/{task['id']}/complete", "secretaris", json={"variables": typed(bedrag=50)})
    assert again.status_code == 409 and "al afgerond" in again.json()["detail"]
    history = site.api("GET", f"/process-instance/{instance['id']}/history", "secretaris").json()
    assert [h["operation"] for h in history if h["operation"].startswith("task.")] == [
        "task.claimed", "task.unclaimed", "task.claimed", "task.completed"]


def test_typed_variables_and_body_errors_are_all_named(site):
    response = site.api("POST", "/process-definition/key/goedkeuring/start", json={
        "businessKey": 7, "variables": {"a": {"value": "x", "type": "Integer"}, "_b": {"value": 1},
                                        "c": {"type": "String"}, "d": {"value": "{", "type": "Json"}},
        "extra": 1})
    problem = response.json()
    assert response.status_code == 400 and problem["status"] == 400 and problem["title"] == "Ongeldige invoer"
    assert {p["name"] for p in problem["invalidParams"]} == {
        "body/businessKey", "body/variables/a/value", "body/variables", "body/variables/c/value", "body/extra"}
    not_json = site.api("POST", "/process-definition/key/goedkeuring/start", data=b"{",
                        headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and "geen geldige JSON" in not_json.json()["invalidParams"][0]["reason"]
    nan = site.api("POST", "/process-definition/key/goedkeuring/start", data=b'{"variables": {"x": {"value": NaN}}}',
                   headers={"Content-Type": "application/json"})
    assert nan.status_code == 400
    deep = site.api("POST", "/process-definition/key/goedkeuring/start",
                    data=b'{"variables": {"x": {"value": ' + b"[" * 5000 + b"]" * 5000 + b"}}}",
                    headers={"Content-Type": "application/json"})
    assert deep.status_code == 400 and "genest" in deep.json()["invalidParams"][0]["reason"]
    bad_json_value = site.api("POST", "/process-definition/key/goedkeuring/start",
                              json={"variables": {"d": {"value": "{", "type": "Json"}}})
    assert bad_json_value.json()["invalidParams"][0]["name"] == "body/variables/d/value"
    query = site.api("GET", "/task", params={"maxResults": "veel", "firstResult": "-1"})
    assert {p["name"] for p in query.json()["invalidParams"]} == {"maxResults", "firstResult"}
    assert site.api("GET", "/process-definition/abc").status_code == 400
    assert site.api("GET", "/process-definition/999").status_code == 404


def test_definitions_deployments_and_xml(site):
    listed = site.api("GET", "/process-definition", params={"latestVersion": "true"}).json()
    assert {d["key"] for d in listed} >= {"goedkeuring", "melding", "storing"}
    one = site.api("GET", "/process-definition/key/goedkeuring").json()
    assert site.api("GET", f"/process-definition/{one['id']}").json() == one
    xml = site.api("GET", "/process-definition/key/goedkeuring/xml").json()["bpmn20Xml"]
    assert xml.startswith("<?xml") and 'id="goedkeuring"' in xml
    changed = (SHARED / "approval.bpmn").read_text().replace('name="Goedkeuring"', 'name="Goedkeuring v2"')
    deployed = site.api("POST", "/deployment/create", "modelleur", files={
        "deployment-name": (None, "v2"), "approval.bpmn": ("approval.bpmn", changed.encode())})
    assert deployed.status_code == 200, deployed.text
    summaries = deployed.json()["deployedProcessDefinitions"].values()
    assert {(d["key"], d["version"]) for d in summaries if d["changed"]} == {("goedkeuring", 2)}
    refused = site.api("POST", "/deployment/create", "modelleur",
                       files={"kapot.bpmn": ("kapot.bpmn", b"<niet-bpmn")})
    assert refused.status_code == 400 and refused.json()["invalidParams"]
    assert site.api("POST", "/deployment/create", "modelleur", files={"x.txt": ("x.txt", b"x")}).status_code == 400
    for outsider in ("nl", "beheer"):  # deploying is procesbeheer's, not any overseer's
        assert site.api("POST", "/deployment/create", outsider, files={
            "melding.bpmn": ("melding.bpmn", (DATA / "melding.bpmn").read_bytes())}).status_code == 403


def test_messages_start_correlate_and_refuse_without_exactly_one_target(site):
    started = site.api("POST", "/message", json={
        "messageName": "melding-ontvangen", "businessKey": "M-1", "processVariables": typed(titel="Brug"),
        "resultEnabled": True})
    assert started.status_code == 200, started.text
    [result] = started.json()
    assert result["resultType"] == "ProcessDefinition" and result["processInstance"]["businessKey"] == "M-1"
    none = site.api("POST", "/message", json={"messageName": "besluit-ontvangen", "businessKey": "M-1"})
    assert none.status_code == 400 and "geen instantie wacht" in none.json()["detail"]
    [task] = site.api("GET", "/task", params={"processInstanceId": result["processInstance"]["id"]}).json()
    site.api("POST", f"/task/{task['id']}/complete", "secretaris")
    site.api("POST", "/message", json={"messageName": "melding-ontvangen", "businessKey": "M-2"})
    [other_task] = [t for t in site.api("GET", "/task").json() if t["businessKey"] == "M-2"]
    site.api("POST", f"/task/{other_task['id']}/complete", "secretaris")
    two = site.api("POST", "/message", json={"messageName": "besluit-ontvangen"})
    assert two.status_code == 400 and "2 wachtende instanties" in two.json()["detail"]
    by_key = site.api("POST", "/message", json={"messageName": "besluit-ontvangen", "businessKey": "M-1",
                                                  "processVariables": typed(besluit="ja")})
    assert by_key.status_code == 204
    instance = site.api("GET", f"/process-instance/{result['processInstance']['id']}").json()
    assert instance["waitingAt"] == ["verwerken"]
    variables = site.api("GET", f"/process-instance/{instance['id']}/variables").json()
    assert variables["besluit"] == {"value": "ja", "type": "String", "valueInfo": {}}


def test_instances_incidents_retry_and_suspension(site):
    response = site.api("POST", "/process-definition/key/storing/start", json={"businessKey": "S-1"})
    instance_id = response.json()["id"]
    [task] = site.api("GET", "/task", "secretaris", params={"processInstanceId": instance_id}).json()
    site.api("POST", f"/task/{task['id']}/complete", "secretaris")
    [incident] = site.api("GET", "/incident", params={"processInstanceId": instance_id, "open": "true"}).json()
    assert incident["activityId"] == "reken" and not incident["resolved"]
    assert site.api("GET", "/process-instance", params={"status": "incident"}).json()[0]["id"] == instance_id
    retried = site.api("POST", f"/incident/{incident['id']}/retry", json={"variables": typed(ernst=4)})
    assert retried.json() == {"status": "running"}
    assert site.api("GET", "/incident", params={"open": "true"}).json() == []
    assert site.api("PUT", f"/process-instance/{instance_id}/suspended", json={"suspended": True}).status_code == 204
    assert site.api("GET", f"/process-instance/{instance_id}").json()["status"] == "suspended"
    [waiting] = site.api("GET", "/task", "secretaris", params={"processInstanceId": instance_id}).json()
    assert site.api("POST", f"/task/{waiting['id']}/complete", "secretaris").status_code == 409
    site.api("PUT", f"/process-instance/{instance_id}/suspended", json={"suspended": False})
    assert site.api("POST", f"/task/{waiting['id']}/complete", "secretaris").status_code == 204
    done = site.api("GET", f"/process-instance/{instance_id}").json()
    assert done["ended"] and done["status"] == "completed" and done["endTime"]
    listed = site.api("GET", "/process-instance", params={"processDefinitionKey": "storing", "maxResults": 1}).json()
    assert [i["id"] for i in listed] == [instance_id]


def test_unknown_paths_and_methods_answer_as_problems(site):
    missing = site.api("GET", "/bestaat-niet")
    assert missing.status_code == 404 and missing.headers["Content-Type"] == PROBLEM
    assert (missing.json()["title"], missing.json()["detail"]) == ("Niet gevonden", "dit adres bestaat niet")
    wrong = site.api("DELETE", "/task")
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    assert wrong.json()["title"] == "Methode niet toegestaan"
    assert site.api("GET", "/health", None).json() == {"status": "ok"}


def test_text_that_cannot_be_stored_is_refused_naming_the_variable(site):
    for text in ("\udc00", "a\x00b"):  # requests writes them as JSON escapes, as any client would
        response = site.api("POST", "/process-definition/key/goedkeuring/start",
                            json={"businessKey": "B-9", "variables": typed(titel=text)})
        assert response.status_code == 400, response.text
        assert [p["name"] for p in response.json()["invalidParams"]] == ["body/variables/titel/value"]
    inside_json = site.api("POST", "/process-definition/key/goedkeuring/start",
                           json={"variables": {"d": {"value": '{"t": "\\udc00"}', "type": "Json"}}})
    assert inside_json.status_code == 400 and "ongeldig teken" in inside_json.json()["detail"]
    assert site.api("GET", "/process-instance").json() == []


def test_a_decision_without_a_matching_rule_starts_a_dossier_with_an_incident(site):
    bpmn = (ENGINE_DATA / "federaal.bpmn").read_text()
    dmn = (ENGINE_DATA / "federale_betrokkenheid.dmn").read_text()
    no_catch_all = dmn[:dmn.index('<rule id="r2">')] + dmn[dmn.index("</decisionTable>"):]
    site.engine.repository.deploy_sources({"federaal.bpmn": bpmn, "federale_betrokkenheid.dmn": no_catch_all})
    response = site.api("POST", "/process-definition/key/federaal/start", "secretaris", json={
        "businessKey": "FED-1", "variables": typed(domein="landbouw")})
    assert response.status_code == 200, response.text
    [incident] = site.api("GET", "/incident", params={"processInstanceId": response.json()["id"]}).json()
    assert "federale_betrokkenheid" in incident["incidentMessage"]
