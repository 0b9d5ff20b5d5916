"""Migrating running instances to another definition version, shaped as Camunda 7's /migration resource."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from engine.bpmn.migration import MigrationRefused
from engine.services.migration import MigrationPlan, Selection
from engine.web.api.access import current_engine, require_overseer
from engine.web.api.problems import BadInput, Invalid
from engine.web.api.resources import BOOLEAN, INTEGER, STRING, STRINGS, array
from engine.web.api.spec import ID, TEXT, Call, Routes, component, nullable, obj

routes = Routes("Migratie", "Lopende instanties naar een andere versie van hun proces brengen, zoals in Camunda 7.")

ONE_ID = {"type": "array", "items": {**TEXT, "minLength": 1}, "minItems": 1, "maxItems": 1}
PLAN = component("MigrationPlan", obj({
    "sourceProcessDefinitionId": ID, "targetProcessDefinitionId": ID,
    "instructions": {"type": "array", "maxItems": 2000, "items": obj(
        {"sourceActivityIds": ONE_ID, "targetActivityIds": ONE_ID, "updateEventTrigger": BOOLEAN},
        required=["sourceActivityIds", "targetActivityIds"])},
}))
GENERATE = obj({"sourceProcessDefinitionId": ID, "targetProcessDefinitionId": ID, "updateEventTriggers": BOOLEAN},
               required=["sourceProcessDefinitionId", "targetProcessDefinitionId"])
VALIDATION = component("MigrationPlanReport", obj({
    "valid": BOOLEAN,
    "failures": array(obj({"activityId": STRING, "reason": STRING})),
    "waiting": array(obj({"activityId": STRING, "dossiers": INTEGER, "targetActivityId": nullable(STRING),
                          "failures": STRINGS})),
}))
EXECUTE = obj({
    "migrationPlan": PLAN,
    "processInstanceIds": {"type": "array", "items": TEXT, "maxItems": 10000},
    "processInstanceQuery": obj({"businessKey": TEXT}, required=[]),
}, required=["migrationPlan"])
BATCH = component("MigrationBatch", obj({
    "id": INTEGER, "type": {"type": "string", "enum": ["instance-migration"]}, "sourceProcessDefinitionId": INTEGER,
    "targetProcessDefinitionId": INTEGER, "total": INTEGER, "done": INTEGER, "failed": INTEGER,
    "createdBy": nullable(STRING), "ended": BOOLEAN,
}))
RESULT = component("MigrationResult", obj({
    "total": INTEGER, "migrated": STRINGS,
    "failed": array(obj({"processInstanceId": STRING, "reason": STRING})),
}))


@routes.operation("POST", "/migration/generate", "Een migratieplan dat elementen met dezelfde id en soort koppelt.",
                  body=GENERATE, ok=(200, PLAN), errors=(403, 404))
def generate_migration(call: Call) -> dict:
    require_overseer(call.actor)
    body = call.body
    plan = current_engine().migration.generate(body["sourceProcessDefinitionId"], body["targetProcessDefinitionId"],
                                               body.get("updateEventTriggers", False))
    return plan.json()


@routes.operation("POST", "/migration/validate", "Controleer een plan tegen de wachtende dossiers van de bronversie.",
                  body=PLAN, ok=(200, VALIDATION), errors=(403, 404))
def validate_migration(call: Call) -> dict:
    require_overseer(call.actor)
    engine, plan = current_engine(), MigrationPlan.from_json(call.body)
    failures = engine.migration.validate(plan)
    return {"valid": not failures,
            "failures": [{"activityId": r.element_id, "reason": r.reason} for r in failures],
            "waiting": [{"activityId": p.element_id, "dossiers": p.dossiers, "targetActivityId": p.target,
                         "failures": list(p.refusals)} for p in engine.migration.preview(plan)]}


@routes.operation("POST", "/migration/execute", "Migreer de gekozen instanties, elk in een eigen opdracht.",
                  body=EXECUTE, ok=(200, RESULT), errors=(403, 404))
def execute_migration(call: Call) -> dict:
    require_overseer(call.actor)
    with _named_refusals():
        report = current_engine().migration.execute(*_plan_and_selection(call.body), call.actor)
    return {"total": report.total, "migrated": report.migrated,
            "failed": [{"processInstanceId": i, "reason": why} for i, why in report.failed.items()]}


@routes.operation("POST", "/migration/executeAsync", "Migreer de gekozen instanties op de achtergrond, als batch.",
                  body=EXECUTE, ok=(200, BATCH), errors=(403, 404), links={"Batch": ("getBatch", "$response.body#/id")})
def execute_migration_async(call: Call) -> dict:
    require_overseer(call.actor)
    migration = current_engine().migration
    with _named_refusals():
        batch_id = migration.create_batch(*_plan_and_selection(call.body), call.actor)
    migration.start_batch(batch_id, call.actor)
    return batch_json(migration.batch(batch_id))


@routes.operation("GET", "/batch/{id}", "Hoe ver een migratiebatch is.", ok=(200, BATCH), errors=(403, 404),
                  path_schemas={"id": ID})
def get_batch(call: Call, id: int) -> dict:
    require_overseer(call.actor)
    return batch_json(current_engine().migration.batch(id))


def batch_json(batch) -> dict:
    return {"id": batch.id, "type": "instance-migration", "sourceProcessDefinitionId": batch.source_definition_id,
            "targetProcessDefinitionId": batch.target_definition_id, "total": batch.total, "done": batch.done,
            "failed": batch.failed, "createdBy": batch.created_by, "ended": batch.ended_at is not None}


def _plan_and_selection(body: dict) -> tuple[MigrationPlan, Selection]:
    selection = Selection(tuple(body.get("processInstanceIds", ())),
                          body.get("processInstanceQuery", {}).get("businessKey"))
    return MigrationPlan.from_json(body["migrationPlan"]), selection


@contextmanager
def _named_refusals() -> Iterator[None]:
    """A plan with wrong instructions: 400 naming each element."""
    try:
        yield
    except MigrationRefused as error:
        raise BadInput("het migratieplan is ongeldig", [
            Invalid(f"body/migrationPlan/instructions/{r.element_id}", r.reason) for r in error.refusals]) from error
