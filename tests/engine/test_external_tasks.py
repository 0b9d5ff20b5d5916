"""External tasks as in Camunda 7, through the engine's service on SQLite and PostgreSQL: fetch and lock
per topic, one worker per task, locks that expire on the engine clock, failures with retries and an
incident at none left, BPMN errors caught by the task's error boundary event."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.errors import Conflict
from engine.services import Actor, Engine, Topic
from webhooks.admin import add_subscriber
from webhooks.models import OutboxEvent

MODEL = Path(__file__).parents[1] / "data" / "bpmn" / "betaling.bpmn"
OPERATOR = Actor.of("beheerder", ["management"])
CONTROLE, MELDING = Topic("controle", 10_000), Topic("melding", 10_000, ["bedrag"])


@pytest.fixture
def betaling(engine: Engine) -> Engine:
    engine.repository.deploy([MODEL])
    return engine


def start(engine: Engine, key: str, priority: int = 0) -> str:
    return engine.runtime.start("betaling", key, {"bedrag": 120, "iban": "BE71", "prioriteit": priority})


def test_a_worker_locks_completes_and_the_next_topic_waits(betaling: Engine):
    instance_id = start(betaling, "B-1")
    [locked] = betaling.external_tasks.fetch_and_lock("w1", 5, [CONTROLE, MELDING])
    assert (locked.task.topic, locked.task.element_id, locked.task.worker_id) == ("controle", "controleren", "w1")
    assert locked.variables == {"bedrag": 120, "iban": "BE71", "prioriteit": 0}
    assert betaling.external_tasks.fetch_and_lock("w2", 5, [CONTROLE]) == []
    with pytest.raises(Conflict):
        betaling.external_tasks.complete(locked.task.id, "w2")
    betaling.external_tasks.complete(locked.task.id, "w1", {"gecontroleerd": True})
    [melding] = betaling.external_tasks.fetch_and_lock("w2", 5, [CONTROLE, MELDING])
    assert melding.task.topic == "melding" and melding.variables == {"bedrag": 120}
    betaling.external_tasks.complete(melding.task.id, "w2")
    assert betaling.query.instance(instance_id).status == "completed"
    assert betaling.external_tasks.tasks() == []


def test_priority_decides_the_order_when_asked(betaling: Engine):
    start(betaling, "laag", 1)
    start(betaling, "hoog", 9)
    [first] = betaling.external_tasks.fetch_and_lock("w", 1, [CONTROLE], use_priority=True)
    assert (first.task.business_key, first.task.priority) == ("hoog", 9)
    [oldest] = betaling.external_tasks.fetch_and_lock("w", 1, [CONTROLE])
    assert oldest.task.business_key == "laag"


def test_an_expired_lock_frees_the_task_and_refuses_the_late_completion(betaling: Engine, clock):
    start(betaling, "B-2")
    [first] = betaling.external_tasks.fetch_and_lock("traag", 1, [CONTROLE])
    betaling.external_tasks.extend_lock(first.task.id, "traag", 20_000)
    clock.advance(timedelta(seconds=15))
    assert betaling.external_tasks.fetch_and_lock("snel", 1, [CONTROLE]) == []
    clock.advance(timedelta(seconds=6))
    [again] = betaling.external_tasks.fetch_and_lock("snel", 1, [CONTROLE])
    assert again.task.id == first.task.id
    with pytest.raises(Conflict, match="niet vergrendeld door worker 'traag'"):
        betaling.external_tasks.complete(first.task.id, "traag")
    clock.advance(timedelta(seconds=11))
    with pytest.raises(Conflict, match="verlopen"):
        betaling.external_tasks.complete(first.task.id, "snel")
    betaling.external_tasks.unlock(first.task.id)
    assert betaling.external_tasks.tasks(locked=False)[0][0].id == first.task.id


def test_failures_retry_later_then_open_an_incident_that_an_operator_retries(betaling: Engine, clock):
    instance_id = start(betaling, "B-3")
    [locked] = betaling.external_tasks.fetch_and_lock("w", 1, [CONTROLE])
    betaling.external_tasks.failure(locked.task.id, "w", "bank onbereikbaar", "timeout", retries=1,
                                    retry_timeout_ms=5_000)
    assert betaling.external_tasks.fetch_and_lock("w", 1, [CONTROLE]) == []
    clock.advance(timedelta(seconds=5))
    [again] = betaling.external_tasks.fetch_and_lock("w", 1, [CONTROLE])
    assert (again.task.retries, again.task.error_message) == (1, "bank onbereikbaar")
    betaling.external_tasks.failure(again.task.id, "w", "bank weer onbereikbaar", retries=0)
    assert betaling.query.instance(instance_id).status == "incident"
    [incident] = betaling.query.incidents(instance_id)
    assert "bank weer onbereikbaar" in incident.message and incident.element_id == "controleren"
    assert betaling.external_tasks.fetch_and_lock("w", 1, [CONTROLE]) == []
    assert betaling.runtime.retry_incident(incident.id, OPERATOR) == "running"
    [retried] = betaling.external_tasks.fetch_and_lock("w", 1, [CONTROLE])
    betaling.external_tasks.complete(retried.task.id, "w")
    assert betaling.query.instance(instance_id).waiting_at == ["melden"]


def test_a_bpmn_error_takes_the_error_boundary_path(betaling: Engine):
    instance_id = start(betaling, "B-4")
    [locked] = betaling.external_tasks.fetch_and_lock("w", 1, [CONTROLE])
    with pytest.raises(Conflict, match="ONBEKEND"):
        betaling.external_tasks.bpmn_error(locked.task.id, "w", "ONBEKEND")
    betaling.external_tasks.bpmn_error(locked.task.id, "w", "ONGELDIG", "rekening gesloten", {"reden": "gesloten"})
    instance = betaling.query.instance(instance_id)
    assert instance.waiting_at == ["nakijken"] and betaling.external_tasks.tasks() == []
    [task] = betaling.query.tasks(instance_id=instance_id)
    assert task.element_id == "nakijken"


def test_a_business_rule_task_without_a_decision_is_an_external_task(engine: Engine):
    text = MODEL.read_text().replace("bpmn:sendTask", "bpmn:businessRuleTask")
    engine.repository.deploy_sources({"betaling.bpmn": text})
    start(engine, "B-6")
    [locked] = engine.external_tasks.fetch_and_lock("w", 1, [CONTROLE])
    engine.external_tasks.complete(locked.task.id, "w")
    [rule] = engine.external_tasks.fetch_and_lock("w", 1, [MELDING])
    assert rule.task.element_id == "melden"


def test_a_topic_fetches_only_what_its_filters_let_through(betaling: Engine):
    start(betaling, "B-laag", 1)
    hoog = start(betaling, "B-hoog", 9)
    definition_id = betaling.query.instance(hoog).definition_id
    assert betaling.external_tasks.fetch_and_lock("w", 5, [Topic("controle", 1000, business_key="B-ander")]) == []
    assert betaling.external_tasks.fetch_and_lock("w", 5, [Topic("controle", 1000, definition_keys=("x",))]) == []
    assert betaling.external_tasks.fetch_and_lock("w", 5, [Topic("controle", 1000, version_tag="2.0")]) == []
    [by_variable] = betaling.external_tasks.fetch_and_lock("w", 5, [Topic(
        "controle", 1000, definition_ids=(definition_id,), variable_values=(("prioriteit", "9"),))])
    assert by_variable.task.business_key == "B-hoog"
    [by_key] = betaling.external_tasks.fetch_and_lock("w", 5, [Topic(
        "controle", 1000, business_key="B-laag", definition_keys=("betaling",))])
    assert by_key.task.business_key == "B-laag"


BERICHTEN = MODEL.parent / "berichten.bpmn"


def test_message_throw_and_end_events_with_a_topic_wait_for_a_worker(engine: Engine):
    engine.repository.deploy([BERICHTEN])
    instance_id = engine.runtime.start("berichten", "M-1", {})
    [throw] = engine.external_tasks.fetch_and_lock("w", 5, [Topic("bevestigen", 1000)])
    assert (throw.task.element_id, throw.task.name) == ("bevestigen", "Bevestiging sturen")
    engine.external_tasks.complete(throw.task.id, "w")
    assert engine.query.instance(instance_id).status == "completed"
    ending = engine.runtime.start("afmelden", "M-2", {})
    [end] = engine.external_tasks.fetch_and_lock("w", 5, [Topic("afmelden", 1000)])
    assert (end.task.element_id, end.task.priority) == ("afgemeld", 7)
    assert engine.query.instance(ending).status == "running"
    engine.external_tasks.complete(end.task.id, "w")
    assert engine.query.instance(ending).status == "completed"


def test_messages_without_a_worker_leave_through_the_outbox(engine: Engine):
    engine.repository.deploy([BERICHTEN])
    add_subscriber(engine, "ontvanger", "https://ontvanger.example/hook", ["dossier.bericht-verzonden"], "test")
    instance_id = engine.runtime.start("berichten", "M-3", {"geheim": "niet naar buiten"})
    [throw] = engine.external_tasks.fetch_and_lock("w", 5, [Topic("bevestigen", 1000)])
    engine.external_tasks.complete(throw.task.id, "w")
    sent = [(e.element_id, e.data["message"]) for e in engine.query.history(instance_id) if e.action == "message.sent"]
    assert sent == [("versturen", "aanvraag-verstuurd"), ("klaar", "dossier-klaar")]
    with engine.db.reading() as session:
        bodies = [row.body for row in session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))]
    assert len(bodies) == 2 and '"messageName": "dossier-klaar"' in bodies[1]
    assert all('"businessKey": "M-3"' in body and "geheim" not in body for body in bodies)
