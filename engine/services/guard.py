"""The deploy guard: which running dossiers a new version would strand — they wait at an element the new
version no longer has, so only a migration plan that maps it elsewhere can move them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.migration import elements
from engine.bpmn.runtime import ProcessBundle
from engine.store.models import Position, ProcessDefinition, ProcessInstance


def stranded(session: Session, definition: ProcessDefinition, target: ProcessBundle) -> tuple[int, list[str]]:
    """(dossiers, element ids) of older versions of ``definition``'s key waiting where ``target`` has no element:
    dossiers of such a version, and dossiers running it as the process a call activity chose at run time."""
    have = set(elements(target))
    rows = session.execute(
        select(Position.element_id, Position.instance_id).distinct()
        .join(ProcessDefinition, ProcessDefinition.id == Position.definition_id)
        .join(ProcessInstance, ProcessInstance.id == Position.instance_id)
        .where(ProcessDefinition.key == definition.key, ProcessDefinition.id != definition.id,
               ProcessInstance.status != "completed")).all()
    missing = sorted({element for element, _ in rows} - have)
    return len({instance for element, instance in rows if element in missing}), missing
