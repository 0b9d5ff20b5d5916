"""Camunda 7's history and variable queries over real HTTP: /history/process-instance, /history/task and
/variable-instance answer with Camunda's field names, typed values, paging and sorting — the variable list
through the published pycamunda client, the history (which pycamunda lacks) as Camunda's REST reference
shapes the requests."""

from __future__ import annotations

from datetime import timedelta

import pycamunda.variable
import pytest

from .test_camunda_rest_client import basic

FILLED = {"bedrag": {"value": 1500, "type": "Integer"}, "land": {"value": "NL", "type": "String"},
          "aanvrager": {"value": "secretaris", "type": "String"},
          "deadline": {"value": "2027-02-01", "type": "String"}}


def _start(site, business_key: str) -> str:
    started = site.api("POST", "/process-definition/key/goedkeuring/start", "secretaris", json={
        "businessKey": business_key, "variables": {"titel": {"value": "Grensbrug", "type": "String"},
                                                   "dossier": {"value": {"nr": 7}, "type": "Json"}}})
    assert started.status_code == 200, started.text
    return started.json()["id"]


def _complete_waiting(site, instance_id: str, user: str, variables: dict | None = None) -> None:
    [task] = site.api("GET", "/task", "beheer", params={"processInstanceId": instance_id}).json()
    done = site.api("POST", f"/task/{task['id']}/complete", user, json={"variables": variables or {}})
    assert done.status_code == 204, done.text


def test_historic_tasks_record_how_each_task_ended_in_camundas_shape(site, clock):
    instance_id = _start(site, "H-1")
    clock.advance(timedelta(minutes=5))
    _complete_waiting(site, instance_id, "secretaris", FILLED)
    tasks = site.api("GET", "/history/task", params={"processInstanceId": instance_id, "sortBy": "startTime",
                                                     "sortOrder": "asc"}).json()
    assert [(t["taskDefinitionKey"], t["deleteReason"], t["taskState"]) for t in tasks] == [
        ("invullen", "completed", "Completed"), ("goedkeuren", None, "Created")]
    first, second = tasks
    assert first["duration"] == 5 * 60 * 1000 and first["endTime"] == second["startTime"]
    assert second["due"].startswith("2027-02-01") and second["endTime"] is None
    assert (first["processInstanceId"], first["executionId"], first["processDefinitionKey"]) == (
        instance_id, instance_id, "goedkeuring")
    assert first["processDefinitionId"].isdigit() and first["owner"] is None and first["tenantId"] is None

    finished = {"processInstanceId": instance_id, "finished": "true"}
    assert site.api("GET", "/history/task/count", params=finished).json() == {"count": 1}
    newest = site.api("POST", "/history/task", params={"maxResults": 1}, json={
        "processInstanceIdIn": [instance_id], "sorting": [{"sortBy": "startTime", "sortOrder": "desc"}]}).json()
    assert [t["taskDefinitionKey"] for t in newest] == ["goedkeuren"]
    assert site.api("POST", "/history/task/count", json={"taskDeleteReason": "completed",
                                                         "processDefinitionKey": "goedkeuring"}).json()["count"] == 1


def test_historic_process_instances_filter_sort_and_page_as_camunda(site, clock):
    running = _start(site, "H-2")
    clock.advance(timedelta(hours=1))
    ended = _start(site, "H-3")
    _complete_waiting(site, ended, "secretaris", {**FILLED, "bedrag": {"value": 10, "type": "Integer"}})
    clock.advance(timedelta(minutes=30))
    _complete_waiting(site, ended, "secretaris")

    newest_first = site.api("GET", "/history/process-instance", params={
        "processDefinitionKey": "goedkeuring", "sortBy": "startTime", "sortOrder": "desc"}).json()
    assert [i["businessKey"] for i in newest_first] == ["H-3", "H-2"]
    done, active = newest_first
    assert (done["state"], done["durationInMillis"], done["startUserId"]) == ("COMPLETED", 30 * 60 * 1000,
                                                                              "secretaris")
    assert done["removalTime"] is not None and done["processDefinitionName"] == "Goedkeuring"
    assert (active["id"], active["state"], active["endTime"], active["processDefinitionVersion"]) == (
        running, "ACTIVE", None, 1)
    page = site.api("GET", "/history/process-instance", params={
        "sortBy": "businessKey", "sortOrder": "asc", "firstResult": 1, "maxResults": 1}).json()
    assert [i["businessKey"] for i in page] == ["H-3"]
    assert site.api("GET", "/history/process-instance/count", params={"finished": "true"}).json() == {"count": 1}
    assert site.api("POST", "/history/process-instance/count", json={
        "unfinished": True, "processInstanceBusinessKeyLike": "H-%"}).json() == {"count": 1}
    later = (clock.now() - timedelta(minutes=45)).isoformat(timespec="milliseconds")
    assert [i["businessKey"] for i in site.api("GET", "/history/process-instance", params={
        "startedAfter": later.replace("+00:00", "+0000")}).json()] == ["H-3"]


def test_pycamunda_reads_the_variables_of_running_instances(site):
    first, second = _start(site, "V-1"), _start(site, "V-2")
    _complete_waiting(site, first, "secretaris", FILLED)
    url = site.url + "/api/v1"
    found = basic(pycamunda.variable.GetList(url, process_instance_id_in=[first], sort_by="name"), "beheer")()
    assert [(v.name, v.type_, v.value) for v in found] == [
        ("aanvrager", "String", "secretaris"), ("bedrag", "Integer", 1500), ("deadline", "String", "2027-02-01"),
        ("dossier", "Json", '{"nr": 7}'), ("land", "String", "NL"), ("titel", "String", "Grensbrug")]
    assert {v.process_instance_id for v in found} == {first} and found[0].task_id is None

    titles = basic(pycamunda.variable.GetList(url, name="titel", first_result=1, max_results=5), "beheer")()
    assert len(titles) == 1
    one = basic(pycamunda.variable.GetList(url, name_like="bed%"), "beheer")
    one.add_equal_value_filter("land", "NL")
    [amount] = one()
    assert (amount.name, amount.value, amount.process_instance_id) == ("bedrag", 1500, first)
    assert basic(pycamunda.variable.Get(url, id_=amount.id_), "beheer")().value == 1500
    assert site.api("POST", "/variable-instance/count", json={"processInstanceIdIn": [second]}).json() == {"count": 2}
    assert site.api("GET", "/variable-instance", params={"taskIdIn": "x"}).json() == []


def test_an_ended_instance_has_no_running_variables_left(site):
    instance_id = _start(site, "V-3")
    _complete_waiting(site, instance_id, "secretaris", {**FILLED, "bedrag": {"value": 10, "type": "Integer"}})
    assert site.api("GET", "/variable-instance/count", params={"processInstanceIdIn": instance_id}).json()["count"]
    _complete_waiting(site, instance_id, "secretaris")
    assert site.api("GET", "/variable-instance/count",
                    params={"processInstanceIdIn": instance_id}).json() == {"count": 0}
    assert site.api("GET", "/history/task/count", params={"processInstanceId": instance_id,
                                                          "unfinished": "true"}).json() == {"count": 0}


@pytest.mark.parametrize("path", ["/history/process-instance", "/history/task", "/variable-instance"])
def test_the_history_is_for_overseers_and_bad_filters_are_named(site, path):
    assert site.api("GET", path, "nl").status_code == 403
    refused = site.api("GET", path, params={"sortBy": "nergens"})
    assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == "sortBy"


def test_a_moment_without_its_zone_is_refused_naming_the_filter(site):
    refused = site.api("GET", "/history/task", params={"startedAfter": "2026-01-01T00:00:00"})
    assert refused.status_code == 400 and "tijdzone" in refused.text
    assert [p["name"] for p in refused.json()["invalidParams"]] == ["startedAfter"]
