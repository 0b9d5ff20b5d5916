"""Each engine command's happy path and refusals, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import Conflict, Forbidden, InvalidData, NoMatch, NotFound
from engine.services import Actor, Engine
from tests.conftest import DATA

MODELS = DATA / "bpmn"


def person(group: str, name: str | None = None) -> Actor:
    return Actor.of(name or f"iemand-{group}", [group])


def only_task(engine: Engine, instance_id: str, group: str | None = None):
    tasks = engine.query.tasks(instance_id=instance_id, group=group)
    assert len(tasks) == 1, [t.name for t in tasks]
    return tasks[0]


def steps(engine: Engine, instance_id: str) -> list[str]:
    return [e.element_id for e in engine.query.history(instance_id) if e.action == "element.completed"]


@pytest.fixture
def deployed(engine: Engine) -> Engine:
    engine.repository.deploy([MODELS])
    return engine


def test_redeploying_identical_files_changes_nothing(engine: Engine):
    first = engine.repository.deploy([MODELS])
    again = engine.repository.deploy([MODELS])
    assert all(d.changed for d in first)
    assert {(d.key, d.version, d.changed) for d in again} == {(d.key, d.version, False) for d in first}


def test_changed_process_gets_a_new_version_and_running_instances_keep_theirs(engine: Engine, tmp_path):
    engine.repository.deploy([MODELS / "parallel.bpmn"])
    old = engine.runtime.start("parallel")
    changed = (MODELS / "parallel.bpmn").read_text().replace('name="Besluit NL"', 'name="Beslissing NL"')
    (tmp_path / "parallel.bpmn").write_text(changed)
    [redeployed] = engine.repository.deploy([tmp_path / "parallel.bpmn"])
    new = engine.runtime.start("parallel")
    assert redeployed.version == 2
    assert only_task(engine, old, "grensregio-nl").name == "Besluit NL"
    assert only_task(engine, new, "grensregio-nl").name == "Beslissing NL"
    engine.tasks.complete(only_task(engine, old, "grensregio-nl").id, person("grensregio-nl"), {"besluit_nl": "ja"})
    assert engine.query.instance(old).waiting_at == ["vl"]


def test_start_and_complete_through_gateway_with_camunda_condition(deployed: Engine):
    instance_id = deployed.runtime.start("parallel", business_key="GROS-1")
    nl, vl = person("grensregio-nl"), person("grensregio-vl")
    deployed.tasks.complete(only_task(deployed, instance_id, "grensregio-nl").id, nl, {"besluit_nl": "ja"})
    assert deployed.query.instance(instance_id).status == "running"
    deployed.tasks.complete(only_task(deployed, instance_id, "grensregio-vl").id, vl, {"besluit_vl": "ja"})
    instance = deployed.query.instance(instance_id)
    assert instance.status == "completed"
    assert steps(deployed, instance_id)[-1] == "geselecteerd"


def test_a_no_from_either_side_takes_the_default_flow(deployed: Engine):
    instance_id = deployed.runtime.start("parallel")
    for group, answer in (("grensregio-nl", {"besluit_nl": "ja"}), ("grensregio-vl", {"besluit_vl": "nee"})):
        deployed.tasks.complete(only_task(deployed, instance_id, group).id, person(group), answer)
    assert steps(deployed, instance_id)[-1] == "gestopt"


def test_start_refusals(deployed: Engine):
    with pytest.raises(NotFound, match="'onbekend' is niet gedeployed"):
        deployed.runtime.start("onbekend")
    with pytest.raises(Conflict, match="start met een bericht of een timer"):
        deployed.runtime.start("signaal")
    with pytest.raises(InvalidData, match="ongeldige variabelenamen"):
        deployed.runtime.start("parallel", variables={"__class__": 1})


def test_complete_refuses_non_candidates_and_changes_nothing(deployed: Engine):
    instance_id = deployed.runtime.start("parallel")
    task = only_task(deployed, instance_id, "grensregio-nl")
    with pytest.raises(Forbidden):
        deployed.tasks.complete(task.id, person("grensregio-vl"), {"besluit_nl": "ja"})
    assert deployed.query.task(task.id).id == task.id
    assert [e.action for e in deployed.query.history(instance_id)].count("task.completed") == 0


def test_complete_validates_form_rules_and_saves_nothing_on_error(deployed: Engine):
    instance_id = deployed.runtime.start("goedkeuring")
    task = only_task(deployed, instance_id, "secretariaat")
    revision = deployed.query.instance(instance_id).revision
    with pytest.raises(InvalidData) as refused:
        deployed.tasks.complete(task.id, person("secretariaat"), {"bedrag": -1, "land": "FR", "hack": 1})
    assert {e.key for e in refused.value.errors} == {"bedrag", "land", "aanvrager", "hack"}
    assert deployed.query.instance(instance_id).revision == revision
    deployed.tasks.complete(task.id, person("secretariaat"), {"bedrag": "12", "land": "VL", "aanvrager": "an"})
    assert deployed.query.variables(instance_id)["bedrag"] == 12


def test_completed_task_cannot_be_completed_twice(deployed: Engine):
    instance_id = deployed.runtime.start("goedkeuring")
    task = only_task(deployed, instance_id, "secretariaat")
    data = {"bedrag": 5, "land": "NL", "aanvrager": "an"}
    deployed.tasks.complete(task.id, person("secretariaat", "an"), data)
    with pytest.raises(Conflict, match="al afgerond door an"):
        deployed.tasks.complete(task.id, person("secretariaat", "bo"), data)


def test_claim_unclaim_and_hand_over(deployed: Engine):
    instance_id = deployed.runtime.start("parallel")
    task = only_task(deployed, instance_id, "grensregio-nl")
    an, bo = person("grensregio-nl", "an"), person("grensregio-nl", "bo")
    deployed.tasks.claim(task.id, an)
    assert deployed.query.task(task.id).assignee == "an"
    assert [t.id for t in deployed.query.tasks(user="an")] == [task.id]
    with pytest.raises(Conflict, match="al geclaimd door an"):
        deployed.tasks.claim(task.id, bo)
    with pytest.raises(Forbidden, match="toegewezen aan an"):
        deployed.tasks.complete(task.id, bo, {"besluit_nl": "ja"})
    with pytest.raises(Forbidden, match="geen kandidaat"):
        deployed.tasks.assign(task.id, an, person("grensregio-vl", "cy"))
    deployed.tasks.assign(task.id, an, bo)
    assert deployed.query.task(task.id).assignee == "bo"
    deployed.tasks.unclaim(task.id, bo)
    assert deployed.query.task(task.id).assignee is None
    actions = [e.action for e in deployed.query.history(instance_id)]
    assert actions.count("task.claimed") == 1 and "task.assigned" in actions and "task.unclaimed" in actions


def test_assignee_and_due_date_expressions_are_evaluated_when_task_is_ready(deployed: Engine):
    instance_id = deployed.runtime.start("goedkeuring")
    deployed.tasks.complete(only_task(deployed, instance_id).id, person("secretariaat"),
                      {"bedrag": 5000, "land": "NL", "aanvrager": "an", "deadline": "2027-02-01T12:00:00+01:00"})
    approve = only_task(deployed, instance_id)
    assert approve.candidate_groups == ["grensregio-nl", "grensregio-vl"]
    assert approve.due_at.isoformat() == "2027-02-01T11:00:00+00:00"
    deployed.tasks.complete(approve.id, person("grensregio-vl"))
    archive = only_task(deployed, instance_id)
    assert archive.assignee == "an"


def test_call_activity_passes_only_mapped_variables(deployed: Engine):
    instance_id = deployed.runtime.start("ouder", variables={"land": "NL", "niveau": 1, "geheim": "x"})
    task = only_task(deployed, instance_id)
    assert task.candidate_groups == ["hoofd-van-dienst-nl"]
    assert task.process_key == "kind"
    deployed.tasks.complete(task.id, person("hoofd-van-dienst-nl"), {"uitkomst": "opgelost", "intern": 1})
    variables = deployed.query.variables(instance_id)
    assert variables["escalatie_uitkomst"] == "opgelost"
    assert "intern" not in variables and "uitkomst" not in variables


def test_call_activity_with_all_variables(deployed: Engine):
    instance_id = deployed.runtime.start("alles", variables={"escalatie_land": "VL"})
    deployed.tasks.complete(only_task(deployed, instance_id).id, person("hoofd-van-dienst-vl"), {"uitkomst": "ok"})
    assert deployed.query.variables(instance_id) == {"escalatie_land": "VL", "uitkomst": "ok"}


def test_message_start_and_correlation_by_business_key_and_variables(deployed: Engine):
    first = deployed.runtime.start_by_message("signaal-ontvangen", {"dossier_nr": "D-1"}, business_key="GROS-1")
    second = deployed.runtime.correlate("signaal-ontvangen", business_key="GROS-2", variables={"dossier_nr": "D-2"})
    assert first != second
    assert deployed.query.instance(first).waiting_at == ["wacht_akkoord"]
    with pytest.raises(NoMatch, match="2 wachtende instanties"):
        deployed.runtime.correlate("akkoord-ministerraad")
    with pytest.raises(NoMatch, match="businessKey 'GROS-9'"):
        deployed.runtime.correlate("akkoord-ministerraad", business_key="GROS-9")
    assert deployed.runtime.correlate("akkoord-ministerraad", correlation={"dossier_nr": "D-2"},
                              variables={"akkoord": True}) == second
    assert deployed.query.instance(second).waiting_at == ["verwerk"]
    assert deployed.query.instance(first).waiting_at == ["wacht_akkoord"]
    assert deployed.query.variables(second)["akkoord"] is True
    assert deployed.runtime.correlate("akkoord-ministerraad", business_key="GROS-1") == first
    with pytest.raises(NoMatch, match="geen instantie wacht"):
        deployed.runtime.correlate("akkoord-ministerraad", business_key="GROS-1")


def test_boundary_timers_interrupting_and_not_and_intermediate_date(deployed: Engine, clock):
    instance_id = deployed.runtime.start("termijnen")
    assert {t.element_id for t in deployed.query.timers(instance_id)} == {"herinnering", "termijn_hoofd", "overleg"}
    clock.advance(timedelta(days=6))
    assert deployed.timers.fire_due_timers() == 0
    clock.advance(timedelta(days=2))
    assert deployed.timers.fire_due_timers() == 1
    names = {t.name for t in deployed.query.tasks(instance_id=instance_id)}
    assert names == {"Hoofd van dienst", "Rapport", "Aanmanen"}  # reminder did not cancel Rapport
    clock.advance(timedelta(days=7))
    deployed.timers.fire_due_timers()
    names = {t.name for t in deployed.query.tasks(instance_id=instance_id)}
    assert names == {"Rapport", "Aanmanen", "Bewindspersoon"}  # deadline cancelled Hoofd van dienst
    clock.set(clock.now().replace(month=3, day=1, hour=7, minute=59))
    deployed.timers.fire_due_timers()
    assert "Agenda" not in {t.name for t in deployed.query.tasks(instance_id=instance_id)}
    clock.advance(timedelta(minutes=1))
    deployed.timers.fire_due_timers()
    assert "Agenda" in {t.name for t in deployed.query.tasks(instance_id=instance_id)}


def test_cycle_timer_start_creates_instances_on_the_calendar(deployed: Engine, clock):
    [start_timer] = [t for t in deployed.query.timers() if t.instance_id is None]
    assert start_timer.due_at.isoformat() == "2027-01-15T08:00:00+00:00"
    clock.set(start_timer.due_at)
    assert deployed.timers.fire_due_timers() == 1
    [next_timer] = [t for t in deployed.query.timers() if t.instance_id is None]
    assert next_timer.due_at.isoformat() == "2027-07-15T07:00:00+00:00"  # 09:00 Brussels summer time
    clock.set(next_timer.due_at)
    deployed.timers.fire_due_timers()
    clock.advance(timedelta(days=365))
    deployed.timers.fire_due_timers()
    assert len(deployed.query.instances(definition_key="ronde")) == 3  # R3: three and no more
    assert [t for t in deployed.query.timers() if t.instance_id is None] == []
    assert all(only_task(deployed, i.id).name == "Overleg voorbereiden" for i in deployed.query.instances("running"))


def test_error_and_escalation_boundaries(deployed: Engine):
    names = {}
    for outcome in ("onhaalbaar", "impasse", "klaar"):
        instance_id = deployed.runtime.start("uitwerking")
        deployed.tasks.complete(only_task(deployed, instance_id).id, person("departement-nl"), {"uitkomst": outcome})
        names[outcome] = {t.name for t in deployed.query.tasks(instance_id=instance_id)}
    assert names["onhaalbaar"] == {"Stopzetting registreren"}
    assert names["impasse"] == {"Verder werken", "Escalatie behandelen"}
    assert names["klaar"] == set()


def test_business_rule_task_decides_with_dmn(deployed: Engine):
    federal = deployed.runtime.start("federaal", variables={"domein": "fiscaliteit"})
    regional = deployed.runtime.start("federaal", variables={"domein": "milieu"})
    assert deployed.query.instance(federal).waiting_at == ["consult"]
    assert deployed.query.instance(regional).status == "completed"
    assert deployed.query.variables(regional)["federale_wetgeving"] is False


def test_failing_script_becomes_incident_and_retry_after_fix_continues(deployed: Engine):
    instance_id = deployed.runtime.start("storing")
    result = deployed.tasks.complete(only_task(deployed, instance_id).id, person("secretariaat"), {})
    assert result.status == "incident"
    [incident] = deployed.query.incidents(instance_id)
    assert incident.element_id == "reken" and "ernst" in incident.message
    assert deployed.query.instance(instance_id).waiting_at == ["reken"]
    assert deployed.runtime.retry_incident(incident.id, person("secretariaat"), {"ernst": 3}) == "running"
    assert deployed.query.variables(instance_id)["score"] == 30
    assert only_task(deployed, instance_id).name == "Daarna"
    assert deployed.query.incidents(instance_id, open_only=True) == []


@pytest.mark.parametrize("text", ["\udc00", "a\x00b"])
def test_text_that_cannot_be_stored_is_refused_by_every_command(deployed: Engine, text: str):
    """Command-line arguments can carry lone surrogates (undecodable bytes); the engine refuses them too."""
    with pytest.raises(InvalidData):
        deployed.runtime.start("storing", variables={"titel": text})
    instance_id = deployed.runtime.start("storing")
    deployed.tasks.complete(only_task(deployed, instance_id).id, person("secretariaat"), {})
    [incident] = deployed.query.incidents(instance_id)
    with pytest.raises(InvalidData):
        deployed.runtime.retry_incident(incident.id, person("secretariaat"), {"ernst": 3, "toelichting": text})
    with pytest.raises(InvalidData):
        deployed.runtime.set_variables(instance_id, person("secretariaat"), {"toelichting": text})
    assert "toelichting" not in deployed.query.variables(instance_id)
    assert [i.id for i in deployed.query.incidents(instance_id, open_only=True)] == [incident.id]


def test_suspended_instance_refuses_commands_until_resumed(deployed: Engine):
    instance_id = deployed.runtime.start("parallel")
    task = only_task(deployed, instance_id, "grensregio-nl")
    deployed.runtime.suspend(instance_id, person("secretariaat"))
    assert deployed.query.instance(instance_id).status == "suspended"
    with pytest.raises(Conflict, match="geschorst"):
        deployed.tasks.complete(task.id, person("grensregio-nl"), {"besluit_nl": "ja"})
    deployed.runtime.resume(instance_id, person("secretariaat"))
    deployed.tasks.complete(task.id, person("grensregio-nl"), {"besluit_nl": "ja"})


def test_audit_trail_records_who_what_when_and_data(deployed: Engine, clock):
    instance_id = deployed.runtime.start("parallel", actor=person("secretariaat", "sara"))
    deployed.tasks.complete(only_task(deployed, instance_id, "grensregio-nl").id, person("grensregio-nl", "nina"),
                      {"besluit_nl": "ja"})
    started, *_, completed = [e for e in deployed.query.history(instance_id) if e.actor != "systeem"]
    assert (started.action, started.actor) == ("instance.started", "sara")
    assert (completed.action, completed.actor, completed.element_id, completed.data) == (
        "task.completed", "nina", "nl", {"besluit_nl": "ja"})
    assert completed.at == clock.now()


def test_listener_sees_audit_events_inside_the_transaction(deployed: Engine):
    seen = []
    deployed.on_events(lambda session, events: seen.extend(e.action for e in events))
    deployed.runtime.start("parallel")
    assert seen[:2] == ["instance.started", "element.completed"]


def test_a_join_keeps_each_branchs_latest_answer_across_rounds(deployed: Engine):
    """Round 1: NL ja, VL nee. Round 2: NL nee first, VL ja last — VL's stale copy of akkoord_nl must
    not win, so the dossier is not agendered."""
    instance_id = deployed.runtime.start("rondes")
    deployed.tasks.complete(only_task(deployed, instance_id, "ministerraad-nl").id, person("ministerraad-nl"),
                      {"akkoord_nl": "ja"})
    deployed.tasks.complete(only_task(deployed, instance_id, "vlaamse-regering").id, person("vlaamse-regering"),
                      {"akkoord_vl": "nee"})
    deployed.tasks.complete(only_task(deployed, instance_id, "ministerraad-nl").id, person("ministerraad-nl"),
                      {"akkoord_nl": "nee"})
    deployed.tasks.complete(only_task(deployed, instance_id, "vlaamse-regering").id, person("vlaamse-regering"),
                      {"akkoord_vl": "ja"})
    assert deployed.query.instance(instance_id).status == "running"
    assert deployed.query.variables(instance_id) | {} == {"akkoord_nl": "nee", "akkoord_vl": "ja"}


def test_event_based_gateway_waits_for_message_or_timer(deployed: Engine, clock):
    by_message = deployed.runtime.start("wachten", business_key="EB-1")
    by_timer = deployed.runtime.start("wachten", business_key="EB-2")
    assert {t.instance_id for t in deployed.query.timers() if t.instance_id} == {by_message, by_timer}
    deployed.runtime.correlate("rapport-ontvangen", business_key="EB-1", variables={"rapport": "klaar"})
    assert deployed.query.instance(by_message).waiting_at == ["besluit"]
    assert [t.instance_id for t in deployed.query.timers() if t.instance_id] == [by_timer]
    deployed.runtime.correlate("besluit-ontvangen", business_key="EB-1", variables={"besluit": "ja"})
    assert deployed.query.instance(by_message).status == "completed"
    assert deployed.query.variables(by_message) == {"rapport": "klaar", "besluit": "ja"}  # a receive task's too
    clock.advance(timedelta(days=31))
    deployed.timers.fire_due_timers()
    reminder = only_task(deployed, by_timer)
    assert reminder.name == "Aanmanen"
    assert reminder.due_at.isoformat() == "2027-03-01T22:59:59+00:00"  # a date alone: end of that day
    with pytest.raises(NoMatch):
        deployed.runtime.correlate("rapport-ontvangen", business_key="EB-2")


def test_positions_show_where_tokens_stand_in_called_processes_and_since_when(deployed: Engine, clock):
    instance_id = deployed.runtime.start("ouder", variables={"land": "VL", "niveau": 2})
    clock.advance(timedelta(hours=1))
    positions = deployed.query.positions(instance_id)
    assert {(p.process_key, p.element_id) for p in positions} == {("ouder", "roep"), ("kind", "beslis")}
    deployed.tasks.complete(only_task(deployed, instance_id).id, person("hoofd-van-dienst-vl"), {"uitkomst": "ok"})
    [after] = deployed.query.positions(instance_id)
    assert (after.process_key, after.element_id, after.since) == ("ouder", "na", clock.now())
    completed = [e for e in deployed.query.history(instance_id) if e.action == "element.completed"]
    assert ("kind", "keinde") in {(e.data["process"], e.element_id) for e in completed}


def test_text_a_database_cannot_store_is_refused_before_anything_is_written(deployed: Engine):
    with pytest.raises(InvalidData, match="NUL"):
        deployed.runtime.start("parallel", variables={"titel": "a\x00b"})
    with pytest.raises(InvalidData, match="langer dan 200"):
        deployed.runtime.start("parallel", business_key="K" * 201)
    with pytest.raises(InvalidData, match="gebruikersnaam"):
        Actor.of("x" * 101)
    assert deployed.query.instances() == []


def test_a_deadline_that_is_no_date_is_refused_and_nothing_changes(deployed: Engine):
    instance_id = deployed.runtime.start("goedkeuring")
    task = only_task(deployed, instance_id)
    with pytest.raises(InvalidData, match="dueDate van taak 'Goedkeuren': 'volgende week'"):
        deployed.tasks.complete(task.id, person("secretariaat"),
                          {"bedrag": 5000, "land": "NL", "aanvrager": "an", "deadline": "volgende week"})
    assert only_task(deployed, instance_id).id == task.id


def test_a_due_date_on_a_missing_variable_is_an_incident_that_a_retry_with_it_fixes(deployed: Engine):
    instance_id = deployed.runtime.start("goedkeuring", "D-1", {})
    invullen = only_task(deployed, instance_id)
    completion = deployed.tasks.complete(invullen.id, person("secretariaat"),
                                         {"bedrag": 2000, "land": "NL", "aanvrager": "jan"})
    assert completion.status == "incident"
    [incident] = deployed.query.incidents(instance_id)
    assert incident.message.startswith("vervaldatum (camunda:dueDate) van taak 'Goedkeuren' kan niet worden berekend")
    assert "'deadline'" in incident.message and incident.element_id == "goedkeuren"
    assert only_task(deployed, instance_id).due_at is None
    assert deployed.runtime.retry_incident(incident.id, person("management"), {"deadline": "2027-03-01"}) == "running"
    assert only_task(deployed, instance_id).due_at.date().isoformat() == "2027-03-01"


def test_a_variable_set_while_a_called_process_waits_reaches_its_task_and_flows_back(deployed: Engine):
    """Camunda sets process variables where every execution sees them: the waiting task's ${...} candidate
    group reads the new value, and so does what follows (issue 19: a schakel formed after the task was made)."""
    instance_id = deployed.runtime.start("alles", variables={"escalatie_land": "NL"})
    assert only_task(deployed, instance_id).candidate_groups == ["hoofd-van-dienst-nl"]
    deployed.runtime.set_variables(instance_id, person("secretariaat"), {"escalatie_land": "VL"})
    task = only_task(deployed, instance_id)
    assert task.candidate_groups == ["hoofd-van-dienst-vl"]
    deployed.tasks.complete(task.id, person("hoofd-van-dienst-vl"), {})
    assert deployed.query.instance(instance_id).status == "completed"
    assert deployed.query.variables(instance_id)["escalatie_land"] == "VL"
