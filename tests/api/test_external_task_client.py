"""The published Camunda 7 worker client, camunda-external-task-client-js, runs unchanged against GROS over
real HTTP: two topics, a failure with retries, a BPMN error caught by the task's error boundary, and a lock
that expires (on the engine clock) so that another worker takes the task and the slow one's completion is
refused. Needs Node and the client from package.json (`npm ci`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from engine.accounts import create_account
from engine.services import Topic

from .conftest import PASSWORD, SHARED

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).parent / "workers" / "betaling.mjs"
CLIENT = ROOT / "node_modules" / "camunda-external-task-client-js"


class Worker:
    """The node worker process; what it prints (one JSON object a line) is collected as it comes."""

    def __init__(self, node: str, endpoint: str) -> None:
        self.process = subprocess.Popen([node, str(SCRIPT), endpoint, "worker", PASSWORD], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.said: list[dict] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.said.append(json.loads(line))

    def until(self, condition: Callable[[], object], seconds: float = 30) -> object:
        """Wait for the worker (real time: it is another program), failing with its error output."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            if self.process.poll() is not None:
                pytest.fail(f"the worker stopped: {self.process.stderr.read()}")
            time.sleep(0.05)
        pytest.fail(f"the worker did not get there in time; it said {self.said}")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def worker(site) -> Iterator[Worker]:
    node = shutil.which("node")
    if node is None or not CLIENT.exists():
        pytest.skip("needs Node and camunda-external-task-client-js (run `npm ci` in the repo root)")
    site.engine.repository.deploy([SHARED / "betaling.bpmn"])
    create_account(site.engine, "worker", PASSWORD, ["koppeling"])
    running = Worker(node, site.url + "/api/v1")
    yield running
    running.stop()


def test_the_published_worker_client_runs_the_model(site, worker):
    engine = site.engine
    slow = start(site, "B-traag", "BE72")
    worker.until(lambda: engine.external_tasks.tasks(instance_id=slow, worker_id="js-worker"))
    engine.clock.advance(timedelta(seconds=11))  # the js worker's 10 s lock runs out while it pauses
    [taken] = engine.external_tasks.fetch_and_lock("py-worker", 1, [Topic("controle", 60_000)])
    assert taken.task.business_key == "B-traag"
    [late] = worker.until(lambda: [line for line in worker.said if line["what"].startswith("late-complete")])
    assert late["what"] == "late-complete-refused", late

    ok, wrong = start(site, "B-ok", "BE71"), start(site, "B-fout", "ONGELDIG")
    worker.until(lambda: engine.query.instance(ok).status == "completed")
    worker.until(lambda: engine.query.instance(wrong).waiting_at == ["nakijken"])
    engine.external_tasks.complete(taken.task.id, "py-worker")
    assert engine.query.instance(slow).waiting_at == ["melden"]

    done = [(line["what"], line["businessKey"], line["topic"]) for line in worker.said]
    assert ("failed", "B-ok", "controle") in done and ("bpmn-error", "B-fout", "controle") in done
    assert done.count(("completed", "B-ok", "controle")) == 1 and ("completed", "B-ok", "melding") in done
    retried = [line["retries"] for line in worker.said if line["what"] == "completed" and line["topic"] == "controle"]
    assert retried == [1]
    history = [event.action for event in engine.query.history(ok)]
    assert history.count("external-task.failed") == 1 and history.count("external-task.completed") == 2
    variables = engine.query.variables(ok)
    assert (variables["gecontroleerd"], variables["controle"], variables["gemeld"]) == (True, {"door": "js"}, True)
    assert engine.query.variables(wrong)["reden"] == "onbekend"


def test_the_rest_calls_clients_make_besides_fetching(site):
    site.engine.repository.deploy([SHARED / "betaling.bpmn"])
    create_account(site.engine, "worker", PASSWORD, ["koppeling"])
    instance_id = start(site, "B-5", "BE71")
    auth = {"auth": ("worker", PASSWORD)}
    fetch = {"workerId": "w", "maxTasks": 2, "topics": [{"topicName": "controle", "lockDuration": 1000}]}
    assert site.api("POST", "/external-task/fetchAndLock", "secretaris", json=fetch).status_code == 403
    [locked] = site.api("POST", "/external-task/fetchAndLock", None, json=fetch, **auth).json()
    assert locked["variables"]["bedrag"] == {"value": 120, "type": "Integer", "valueInfo": {}}
    assert site.api("POST", f"/external-task/{locked['id']}/extendLock", None,
                    json={"workerId": "w", "newDuration": 60_000}, **auth).status_code == 204
    [listed] = site.api("GET", "/external-task", params={"locked": "true", "topicName": "controle"}).json()
    assert (listed["workerId"], listed["processInstanceId"], listed["suspended"]) == ("w", instance_id, False)
    refused = site.api("POST", f"/external-task/{locked['id']}/complete", None, json={"workerId": "ander"}, **auth)
    assert refused.status_code == 409 and "niet vergrendeld door worker 'ander'" in refused.json()["message"]
    assert site.api("POST", f"/external-task/{locked['id']}/unlock").status_code == 204
    assert site.api("GET", "/external-task", params={"notLocked": "true"}).json()[0]["id"] == locked["id"]
    bad = site.api("POST", "/external-task/fetchAndLock", None, json={"workerId": "w", "topics": [{}]}, **auth)
    assert {p["name"] for p in bad.json()["invalidParams"]} == {"body/topics/0/topicName",
                                                                 "body/topics/0/lockDuration"}


def start(site, key: str, iban: str) -> str:
    response = site.api("POST", "/process-definition/key/betaling/start", "secretaris", json={
        "businessKey": key, "variables": {"bedrag": {"value": 120, "type": "Integer"},
                                          "iban": {"value": iban, "type": "String"},
                                          "prioriteit": {"value": 0, "type": "Integer"}}})
    assert response.status_code == 200, response.text
    return response.json()["id"]


def test_fetch_and_lock_applies_camundas_topic_filters(site):
    site.engine.repository.deploy([SHARED / "betaling.bpmn"])
    create_account(site.engine, "worker", PASSWORD, ["koppeling"])
    start(site, "B-6", "BE71")
    wanted = start(site, "B-7", "NL91")
    auth = {"auth": ("worker", PASSWORD)}

    def fetch(**filters) -> list[dict]:
        topic = {"topicName": "controle", "lockDuration": 1000, "localVariables": False, "deserializeValues": True,
                 "tenantIdIn": [], "withoutTenantId": True, **filters}
        answer = site.api("POST", "/external-task/fetchAndLock", None, json={"workerId": "w", "topics": [topic]},
                          **auth)
        assert answer.status_code == 200, answer.text
        return answer.json()

    assert fetch(processVariables={"iban": "XX00"}, businessKey="B-7") == []
    assert fetch(processDefinitionKeyIn=["elders"]) == []
    [locked] = fetch(processVariables={"iban": "NL91", "bedrag": 120}, processDefinitionKey="betaling",
                     variables=["iban"])
    assert (locked["processInstanceId"], locked["variables"]) == (
        wanted, {"iban": {"value": "NL91", "type": "String", "valueInfo": {}}})
    [other] = fetch(processDefinitionIdIn=[locked["processDefinitionId"]], businessKey="B-6")
    assert other["businessKey"] == "B-6"
