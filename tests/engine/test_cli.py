"""The gros command: readable text, --json for scripts, and refusals without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import DATA
from tests.engine.gros_cli import run
from tests.engine.test_called_element import caller


def test_json_fields_for_scripts(sqlite_url: str):
    run(sqlite_url, "deploy", str(DATA / "bpmn"))
    started = json.loads(run(sqlite_url, "start", "goedkeuring", "--business-key", "K-1", "--json").stdout)
    assert {"id", "business_key", "definition_key", "version", "status", "waiting_at"} <= started.keys()
    assert started["waiting_at"] == ["invullen"] and started["version"] == 1
    [task] = json.loads(run(sqlite_url, "tasks", "--group", "secretariaat", "--json").stdout)
    assert {"id", "name", "element_id", "instance_id", "candidate_groups", "assignee"} <= task.keys()


def test_var_values_parse_as_json_else_text_and_form_refusals_list_every_field(sqlite_url: str):
    run(sqlite_url, "deploy", str(DATA / "bpmn"))
    run(sqlite_url, "start", "goedkeuring")
    [task] = json.loads(run(sqlite_url, "tasks", "--json").stdout)
    refused = run(sqlite_url, "complete", task["id"], "--user", "an", "--groups", "secretariaat",
                  "--var", "bedrag=veel", "--var", "land=NL")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "Bedrag: Geen geldig getal." in refused.stderr and "Aanvrager: Dit veld is verplicht." in refused.stderr
    done = run(sqlite_url, "complete", task["id"], "--user", "an", "--groups", "secretariaat",
               "--var", "bedrag=12.5", "--var", "land=NL", "--var", "aanvrager=an", "--json")
    assert done.returncode == 0, done.stderr
    shown = json.loads(run(sqlite_url, "instance", json.loads(done.stdout)["instance_id"], "--json").stdout)
    completed = [h for h in shown["history"] if h["action"] == "task.completed"]
    assert completed[0]["data"]["bedrag"] == 12.5 and completed[0]["actor"] == "an"


def test_deploy_refusal_names_file_and_line(sqlite_url: str, tmp_path: Path):
    broken = tmp_path / "kapot.bpmn"
    broken.write_text("<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>\n<x>")
    result = run(sqlite_url, "deploy", str(broken))
    assert result.returncode == 1
    assert result.stderr.startswith("Geweigerd: kapot.bpmn:2") and "Traceback" not in result.stderr


def test_timers_fire_at_a_given_now(sqlite_url: str):
    run(sqlite_url, "deploy", str(DATA / "bpmn" / "timers.bpmn"))
    run(sqlite_url, "start", "termijnen", "--now", "2027-01-04T09:00:00+01:00")
    early = json.loads(run(sqlite_url, "timers", "--fire", "--now", "2027-01-05T09:00:00+01:00", "--json").stdout)
    late = json.loads(run(sqlite_url, "timers", "--fire", "--now", "2027-01-19T09:00:00+01:00", "--json").stdout)
    assert early == {"fired": 0} and late == {"fired": 2}
    names = {t["name"] for t in json.loads(run(sqlite_url, "tasks", "--json").stdout)}
    assert {"Aanmanen", "Bewindspersoon"} <= names and "Hoofd van dienst" not in names


def test_deploy_warns_in_dutch_of_a_called_process_that_is_not_deployed(sqlite_url: str, tmp_path: Path):
    model = tmp_path / "ouder.bpmn"
    model.write_text(caller('calledElement="kind"'))
    result = run(sqlite_url, "deploy", str(model))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["ouder v1 nieuw", "  let op: ouder roept proces 'kind' aan, dat niet "
                                          "gedeployed is: de aanroep zoekt de nieuwste versie wanneer ze start en "
                                          "wordt een incident zolang er geen is (deploy het proces en probeer het "
                                          "incident opnieuw)."]
