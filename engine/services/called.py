"""The deployed processes a call activity may choose when it starts (an expression or an explicit
``camunda:calledElementBinding``), as Camunda 7 resolves them: the newest version (``latest``), a version
number (``version``) or the newest version with a version tag (``versionTag``)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.runtime import ProcessBundle
from engine.bpmn.specs import called_definition, called_name
from engine.store.models import ProcessDefinition


class DeployedCalls:
    """Resolves called processes in the session of the command that runs the instance."""

    def __init__(self, session: Session, bundle_of: Callable[[int], ProcessBundle]) -> None:
        self.session = session
        self.bundle_of = bundle_of  # definition id -> what that version runs

    def find(self, key: str, binding: str, version: int | None, version_tag: str | None) -> str | None:
        query = select(ProcessDefinition.id).where(ProcessDefinition.key == key)
        if binding == "version":
            query = query.where(ProcessDefinition.version == version)
        elif binding == "versionTag":
            query = query.where(ProcessDefinition.version_tag == version_tag)
        found = self.session.scalars(query.order_by(ProcessDefinition.version.desc()).limit(1)).first()
        return called_name(key, found) if found is not None else None

    def specs(self, name: str) -> dict:
        """The called version's process under ``name`` and the processes bundled with it."""
        called = self.bundle_of(called_definition(name))
        return {name: called.spec, **called.subprocess_specs}
