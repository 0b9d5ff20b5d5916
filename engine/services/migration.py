"""The migration service: move running instances to another version of their process, as Camunda 7's
MigrationService does — generate a plan, validate it, execute it for a selection of instances.

Each instance migrates in a command of its own (lock, load, move, save, derived rows, audit), so a
batch that fails for one dossier leaves the others migrated and that one unchanged, with an incident
that names the elements it could not move."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select, distinct, func, or_, select, update
from sqlalchemy.orm import Session

from engine.bpmn.migration import (
    Instruction,
    MigrationRefused,
    Refusal,
    check_instructions,
    check_waiting,
    migrate_called,
)
from engine.bpmn.migration import generate as generate_instructions
from engine.bpmn.migration import migrate as migrate_workflow
from engine.bpmn.runtime import EngineStepError, Workflow
from engine.bpmn.specs import called_name
from engine.errors import Conflict, NotFound
from engine.services.access import Actor
from engine.services.executor import CommandExecutor, audit, status
from engine.store.models import MigrationBatch, Position, ProcessDefinition, ProcessInstance

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class MigrationPlan:
    source_definition_id: int
    target_definition_id: int
    instructions: tuple[Instruction, ...]

    def json(self) -> dict:
        """Camunda 7's shape of a migration plan."""
        return {"sourceProcessDefinitionId": self.source_definition_id,
                "targetProcessDefinitionId": self.target_definition_id,
                "instructions": [{"sourceActivityIds": [i.source], "targetActivityIds": [i.target],
                                  "updateEventTrigger": i.update_event_trigger} for i in self.instructions]}

    @classmethod
    def from_json(cls, data: dict) -> MigrationPlan:
        """A plan in Camunda's shape, already checked against its schema (one source and one target per
        instruction)."""
        return cls(data["sourceProcessDefinitionId"], data["targetProcessDefinitionId"], tuple(
            Instruction(i["sourceActivityIds"][0], i["targetActivityIds"][0], i.get("updateEventTrigger", False))
            for i in data["instructions"]))


@dataclass(frozen=True)
class Selection:
    """Which instances of the plan's source version to migrate: all, or those with these ids or business key."""

    instance_ids: tuple[str, ...] = ()
    business_key: str | None = None


@dataclass(frozen=True)
class ElementPreview:
    """One element where dossiers of the source version wait, and where the plan sends them."""

    element_id: str
    dossiers: int
    target: str | None
    refusals: tuple[str, ...]


@dataclass
class MigrationReport:
    total: int
    migrated: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # instance id → why, in Dutch


class MigrationService:
    def __init__(self, executor: CommandExecutor) -> None:
        self.executor = executor

    def generate(self, source_id: int, target_id: int, update_event_trigger: bool = False) -> MigrationPlan:
        """A plan mapping every element of the source to the element with the same id and kind in the target."""
        with self.executor.db.reading() as session:
            source, target = self._bundles(session, source_id, target_id)
        return MigrationPlan(source_id, target_id, tuple(generate_instructions(source, target, update_event_trigger)))

    def validate(self, plan: MigrationPlan) -> list[Refusal]:
        """What keeps the plan from migrating the source version's running dossiers, per element."""
        return [r for element in self.preview(plan) for r in
                (Refusal(element.element_id, reason) for reason in element.refusals)] + self._instruction_refusals(plan)

    def preview(self, plan: MigrationPlan) -> list[ElementPreview]:
        """Per element where dossiers of the source version wait: how many, mapped to what, and why not."""
        with self.executor.db.reading() as session:
            source, target = self._bundles(session, plan.source_definition_id, plan.target_definition_id)
            counts = _waiting_counts(session, plan.source_definition_id)
        mapped = {i.source: i.target for i in plan.instructions}
        refusals = check_waiting(source, target, set(counts), list(plan.instructions))
        return [ElementPreview(element_id, n, mapped.get(element_id),
                               tuple(r.reason for r in refusals if r.element_id == element_id))
                for element_id, n in sorted(counts.items())]

    def instances(self, plan: MigrationPlan, selection: Selection) -> list[str]:
        """The running instances of the source version the selection names."""
        source_id = plan.source_definition_id
        query = select(ProcessInstance.id).where(
            ProcessInstance.status != "completed",
            or_(ProcessInstance.definition_id == source_id, ProcessInstance.id.in_(_with_tokens_in(source_id))))
        if selection.instance_ids:
            query = query.where(ProcessInstance.id.in_(selection.instance_ids))
        if selection.business_key is not None:
            query = query.where(ProcessInstance.business_key == selection.business_key)
        with self.executor.db.reading() as session:
            return list(session.scalars(query.order_by(ProcessInstance.started_at, ProcessInstance.id)))

    def execute(self, plan: MigrationPlan, selection: Selection, actor: Actor,
                progress: Progress | None = None) -> MigrationReport:
        """Migrate the selected instances one by one; refuses the whole plan if its instructions are wrong."""
        ids = self._checked_selection(plan, selection)
        report = MigrationReport(len(ids))
        report.failed.update({i: "geen lopende instantie van de bronversie"
                              for i in sorted(set(selection.instance_ids) - set(ids))})
        for done, instance_id in enumerate(ids, 1):
            self._migrate_one(plan, instance_id, actor, report)
            if progress is not None:
                progress(done, len(ids))
        return report

    # --- batches: the same, in the background, with progress in a row ------------------------------
    def create_batch(self, plan: MigrationPlan, selection: Selection, actor: Actor) -> int:
        """Store a batch for ``run_batch``; refuses a plan whose instructions are wrong, as ``execute`` does."""
        ids = self._checked_selection(plan, selection)
        with self.executor.db.transaction() as session:
            batch = MigrationBatch(source_definition_id=plan.source_definition_id,
                                   target_definition_id=plan.target_definition_id, plan=plan.json(),
                                   instance_ids=ids, total=len(ids), done=0, failed=0, created_by=actor.user,
                                   created_at=self.executor.now())
            session.add(batch)
            session.flush()
            return batch.id

    def run_batch(self, batch_id: int, actor: Actor) -> MigrationReport:
        """Migrate a stored batch's instances, counting each one done (or failed) as it goes."""
        with self.executor.db.reading() as session:
            batch = session.get(MigrationBatch, batch_id)
            plan, ids = MigrationPlan.from_json(batch.plan), list(batch.instance_ids)
        report = MigrationReport(len(ids))
        for instance_id in ids:
            failed = self._migrate_one(plan, instance_id, actor, report)
            with self.executor.db.transaction() as session:
                column = MigrationBatch.failed if failed else MigrationBatch.done
                session.execute(update(MigrationBatch).where(MigrationBatch.id == batch_id)
                                .values({column: column + 1}))
        with self.executor.db.transaction() as session:
            session.get(MigrationBatch, batch_id).ended_at = self.executor.now()
        return report

    def start_batch(self, batch_id: int, actor: Actor) -> threading.Thread:
        """Run a batch on a thread of this process (the door answers at once; the batch row shows progress)."""
        thread = threading.Thread(target=self.run_batch, args=(batch_id, actor), name=f"migratie-{batch_id}",
                                  daemon=True)
        thread.start()
        return thread

    def batch(self, batch_id: int) -> MigrationBatch:
        with self.executor.db.reading() as session:
            batch = session.get(MigrationBatch, batch_id)
            if batch is None:
                raise NotFound(f"migratiebatch {batch_id} bestaat niet")
            return batch

    def _checked_selection(self, plan: MigrationPlan, selection: Selection) -> list[str]:
        wrong = self._instruction_refusals(plan)
        if wrong:
            raise MigrationRefused(wrong)
        return self.instances(plan, selection)

    def _migrate_one(self, plan: MigrationPlan, instance_id: str, actor: Actor, report: MigrationReport) -> bool:
        """Migrate one instance into ``report``; True when it failed."""
        try:
            self.migrate_instance(plan, instance_id, actor)
        except MigrationRefused as error:
            report.failed[instance_id] = str(error)
            self._record_failure(plan, instance_id, error, actor)
            return True
        except (Conflict, NotFound) as error:
            report.failed[instance_id] = str(error)
            return True
        report.migrated.append(instance_id)
        return False

    def migrate_instance(self, plan: MigrationPlan, instance_id: str, actor: Actor) -> None:
        """One instance to the plan's target version, in one command: the instance itself when it runs the
        source version, else the processes of that version its call activities chose at run time (Camunda 7's
        called process instances, each migrated by a plan for its own definition) while it stays on its own."""
        now = self.executor.now()
        with self.executor.transaction() as session:
            instance = self.executor.lock(session, instance_id)
            source = self.executor.definition(session, plan.source_definition_id)
            target = self.executor.definition(session, plan.target_definition_id)
            called = "" if instance.definition_id == source.id else f"aangeroepen proces {source.key} "
            moved = self._moved(session, instance, source, target, list(plan.instructions))
            session.execute(update(Position).where(Position.instance_id == instance.id,
                                                   Position.definition_id == source.id)
                            .values(definition_id=target.id))
            audit(session, instance.id, now, actor, "instance.migrated", None,
                  f"{called}gemigreerd van v{source.version} naar v{target.version}",
                  data={"from": source.version, "to": target.version, "sourceDefinitionId": source.id,
                        "targetDefinitionId": target.id, "process": source.key})
            self.executor.advance(session, instance, moved, actor, now)

    def _moved(self, session: Session, instance: ProcessInstance, source: ProcessDefinition,
               target: ProcessDefinition, instructions: list[Instruction]) -> Workflow:
        target_bundle = self.executor.bundle(session, target)
        if instance.definition_id == source.id:  # the loaded workflow brings the source version's bundle
            moved = migrate_workflow(self.executor.load(session, instance), target_bundle, instructions)
            instance.definition_id, instance.definition_key = target.id, target.key
            return moved
        if session.scalar(_with_tokens_in(source.id).where(Position.instance_id == instance.id).limit(1)) is None:
            raise Conflict(f"instantie {instance.id} staat niet op {source.key} v{source.version} en roept die "
                           "versie ook niet aan")
        return migrate_called(self.executor.load(session, instance), called_name(source.key, source.id),
                              self.executor.bundle(session, source), called_name(target.key, target.id),
                              target_bundle, instructions)

    def _record_failure(self, plan: MigrationPlan, instance_id: str, error: MigrationRefused, actor: Actor) -> None:
        now = self.executor.now()
        with self.executor.transaction() as session:
            instance = self.executor.lock(session, instance_id)
            target = self.executor.definition(session, plan.target_definition_id)
            message = f"migratie naar {target.key} v{target.version} niet mogelijk: {error}"
            self.executor.record_incident(session, instance, EngineStepError(
                message, error.refusals[0].element_id or None, None), actor, now)
            instance.status = status(session, instance, completed=False)

    def _instruction_refusals(self, plan: MigrationPlan) -> list[Refusal]:
        with self.executor.db.reading() as session:
            source, target = self._bundles(session, plan.source_definition_id, plan.target_definition_id)
        return check_instructions(source, target, list(plan.instructions))

    def _bundles(self, session: Session, source_id: int, target_id: int):
        found = []
        for definition_id in (source_id, target_id):
            if session.get(ProcessDefinition, definition_id) is None:
                raise NotFound(f"procesdefinitie {definition_id} bestaat niet")
            found.append(self.executor.bundle(session, self.executor.definition(session, definition_id)))
        return found


def _with_tokens_in(definition_id: int) -> Select:
    """The instances with a token in this version: their own, or a process a call activity chose at run time."""
    return select(Position.instance_id).where(Position.definition_id == definition_id)


def _waiting_counts(session: Session, definition_id: int) -> dict[str, int]:
    """Element id → dossiers with a token there in this version (as their own or as a process a call activity
    chose at run time), from the indexed position rows."""
    return dict(session.execute(
        select(Position.element_id, func.count(distinct(Position.instance_id)))
        .where(Position.definition_id == definition_id)
        .group_by(Position.element_id)).all())
