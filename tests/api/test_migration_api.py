"""/migration/generate, /validate and /execute over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from tests.engine.test_called_element import (
    SECRETARIAAT,
    called_task,
    callee,
    caller,
    complete_only_task,
    definition_id,
)
from tests.engine.test_migration import V2, changed_model, deploy, start


def test_generate_validate_and_execute_a_plan(site, tmp_path):
    engine = site.engine
    source = deploy(engine)
    at_task, at_message = start(engine, "taak", "A"), start(engine, "bericht", "B")
    target = deploy(engine, changed_model(tmp_path, *V2))
    ids = {"sourceProcessDefinitionId": source, "targetProcessDefinitionId": target}

    generated = site.api("POST", "/migration/generate", json=ids)
    assert generated.status_code == 200, generated.text
    plan = generated.json()
    assert {"sourceActivityIds": ["beoordelen"], "targetActivityIds": ["beoordelen"],
            "updateEventTrigger": False} in plan["instructions"]

    plan["instructions"] = [i for i in plan["instructions"] if i["sourceActivityIds"] != ["wacht_antwoord"]]
    report = site.api("POST", "/migration/validate", json=plan).json()
    assert report["valid"] is False
    assert {"activityId": "wacht_antwoord", "dossiers": 1, "targetActivityId": None,
            "failures": ["hier wachten dossiers, maar het plan zegt niet waarheen"]} in report["waiting"]

    done = site.api("POST", "/migration/execute", json={"migrationPlan": plan, "processInstanceIds": [at_task]})
    assert done.status_code == 200, done.text
    assert done.json() == {"total": 1, "migrated": [at_task], "failed": []}
    assert engine.query.instance(at_task).definition_id == target
    assert engine.query.instance(at_message).definition_id == source


def test_a_plan_with_wrong_elements_is_refused_naming_them_and_only_overseers_migrate(site, tmp_path):
    engine = site.engine
    source = deploy(engine)
    target = deploy(engine, changed_model(tmp_path, *V2))
    plan = {"sourceProcessDefinitionId": source, "targetProcessDefinitionId": target, "instructions": [
        {"sourceActivityIds": ["beoordelen"], "targetActivityIds": ["bestaat_niet"]}]}
    refused = site.api("POST", "/migration/execute", json={"migrationPlan": plan})
    assert refused.status_code == 400
    assert refused.json()["invalidParams"] == [{
        "name": "body/migrationPlan/instructions/beoordelen",
        "reason": "doelelement 'bestaat_niet' bestaat niet in de doelversie"}]
    malformed = site.api("POST", "/migration/validate", json={**plan, "instructions": [{"sourceActivityIds": []}]})
    assert malformed.status_code == 400
    assert {p["name"] for p in malformed.json()["invalidParams"]} == {
        "body/instructions/0/sourceActivityIds", "body/instructions/0/targetActivityIds"}
    assert site.api("POST", "/migration/validate", "nl", json=plan).status_code == 403
    unknown = site.api("POST", "/migration/generate", json={"sourceProcessDefinitionId": 999999,
                                                             "targetProcessDefinitionId": target})
    assert unknown.status_code == 404


def test_execute_async_runs_a_batch_whose_progress_can_be_read(site, tmp_path):
    engine = site.engine
    source = deploy(engine)
    dossiers = [start(engine, "taak", f"A-{n}") for n in range(5)]
    target = deploy(engine, changed_model(tmp_path, *V2))
    plan = site.api("POST", "/migration/generate", json={"sourceProcessDefinitionId": source,
                                                         "targetProcessDefinitionId": target}).json()
    started = site.api("POST", "/migration/executeAsync", json={"migrationPlan": plan})
    assert started.status_code == 200, started.text
    batch = started.json()
    assert (batch["type"], batch["total"]) == ("instance-migration", 5)
    for _ in range(600):  # the batch runs on the server's own thread; poll its row, as a client would
        batch = site.api("GET", f"/batch/{batch['id']}").json()
        if batch["ended"]:
            break
        time.sleep(0.05)
    assert (batch["done"], batch["failed"], batch["ended"]) == (5, 0, True)
    assert {engine.query.instance(i).definition_id for i in dossiers} == {target}
    assert site.api("GET", "/batch/999999").status_code == 404


def test_a_process_chosen_at_run_time_migrates_over_http_by_the_plan_of_its_own_definition(site):
    engine = site.engine
    engine.repository.deploy_sources({"ouder.bpmn": caller('calledElement="${doel}"'),
                                      "kind-a.bpmn": callee("kind-a", "Taak A")})
    dossier = engine.runtime.start("ouder", variables={"doel": "kind-a"}, actor=SECRETARIAAT)
    called_task(engine, dossier)
    engine.repository.deploy_sources({"kind-a.bpmn": callee("kind-a", "Taak A, herzien", task_id="werk-2")})
    ids = {"sourceProcessDefinitionId": definition_id(engine, "kind-a", 1),
           "targetProcessDefinitionId": definition_id(engine, "kind-a", 2)}
    plan = site.api("POST", "/migration/generate", json=ids).json()
    report = site.api("POST", "/migration/validate", json=plan).json()
    assert (report["valid"], report["waiting"]) == (True, [
        {"activityId": "werk", "dossiers": 1, "targetActivityId": "werk-2", "failures": []}])
    done = site.api("POST", "/migration/execute", json={"migrationPlan": plan, "processInstanceIds": [dossier]})
    assert done.json() == {"total": 1, "migrated": [dossier], "failed": []}
    assert complete_only_task(engine, dossier) == ("kind-a", "Taak A, herzien")
    assert [t.name for t in engine.query.tasks(instance_id=dossier)] == ["Nazorg"]
