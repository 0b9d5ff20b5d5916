"""A published Camunda 7 REST client (pycamunda, from PyPI) works against GROS unchanged: HTTP Basic, start
with typed variables, the task list, completing a task, a message correlated with ``resultEnabled``; and
the Camunda shapes it does not cover (POST /task, /task/count, submit-form) answer as Camunda's do."""

from __future__ import annotations

from datetime import timedelta

import pycamunda.message
import pycamunda.processdef
import pycamunda.task
import requests

from .conftest import PASSWORD


def basic(request, user: str):
    request.session = requests.Session()
    request.auth = requests.auth.HTTPBasicAuth(user, PASSWORD)
    return request


def test_pycamunda_starts_lists_completes_and_correlates(site):
    url = site.url + "/api/v1"
    start = basic(pycamunda.processdef.StartInstance(url, key="goedkeuring", business_key="P-1"), "secretaris")
    start.add_variable("titel", "Grensbrug", type_="String")
    start.add_variable("aanvrager", "piet", type_="String")
    instance = start()
    assert instance.business_key == "P-1" and instance.links[0].href.endswith(instance.id_)

    [task] = basic(pycamunda.task.GetList(url, process_instance_id=instance.id_), "secretaris")()
    assert (task.task_definition_key, task.process_instance_id, task.suspended) == ("invullen", instance.id_, False)
    assert task.created.tzinfo is not None
    complete = basic(pycamunda.task.Complete(url, id_=task.id_), "secretaris")
    for name, value, kind in (("bedrag", 1200, "Integer"), ("land", "NL", "String"), ("aanvrager", "piet", "String"),
                              ("deadline", "2027-02-01", "String")):
        complete.add_variable(name, value, type_=kind)
    complete()
    [next_task] = basic(pycamunda.task.GetList(url, process_instance_id=instance.id_), "beheer")()
    assert next_task.task_definition_key == "goedkeuren"

    correlate = basic(pycamunda.message.CorrelateSingle(url, "melding-ontvangen", business_key="P-2",
                                                        result_enabled=True), "beheer")
    correlate.add_process_variable("titel", "Brug", type_="String")
    [started] = correlate()
    assert started.result_type.value == "ProcessDefinition" and started.process_instance.business_key == "P-2"


def test_the_task_query_count_and_submit_form_shapes(site):
    site.api("POST", "/process-definition/key/goedkeuring/start", "secretaris", json={
        "businessKey": "Q-1", "variables": {"titel": {"value": "Brug", "type": "String"},
                                            "aanvrager": {"value": "piet", "type": "string"}}})
    query = {"candidateGroup": "secretariaat"}
    [task] = site.api("POST", "/task", "secretaris", json=query, params={"maxResults": 10}).json()
    assert task["businessKey"] == "Q-1" and task["created"].endswith("+00:00") and "." in task["created"]
    assert site.api("POST", "/task/count", "secretaris", json=query).json() == {"count": 1}
    assert site.api("GET", "/task/count", "nl", params=query).json() == {"count": 0}
    refused = site.api("POST", f"/task/{task['id']}/submit-form", "nl", json={})
    assert refused.status_code == 403
    submitted = site.api("POST", f"/task/{task['id']}/submit-form", "secretaris",
                         json={"variables": {"bedrag": {"value": 5, "type": "Integer"},
                                             "land": {"value": "NL", "type": "String"},
                                             "aanvrager": {"value": "jan", "type": "String"}}})
    assert submitted.status_code == 204, submitted.text
    assert site.api("POST", "/task/count", "secretaris", json=query).json() == {"count": 0}


def test_basic_auth_guesses_are_throttled_as_the_login_form(site, clock):
    def as_secretaris(password: str):
        return site.api("GET", "/task/count", None, auth=("secretaris", password))

    assert [as_secretaris(f"fout-{n}").status_code for n in range(5)] == [401] * 5
    refused = as_secretaris(PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) == 30
    assert "probeer het over 30 seconden opnieuw" in refused.json()["message"]
    clock.advance(timedelta(seconds=31))
    assert as_secretaris(PASSWORD).status_code == 200
    assert [as_secretaris("fout").status_code for _ in range(5)] == [401] * 5  # a success started over
