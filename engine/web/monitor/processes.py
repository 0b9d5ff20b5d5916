"""Each process per definition version, as Cockpit shows it: how many dossiers run on it and how many
tokens wait at each element (on a call activity: the dossiers inside the process it calls) — counted over
the indexed position rows (GROUP BY element), including the tokens inside a called process, whose
positions carry the calling dossier's definition (or, for a process a call activity chose at run time, the
version it chose)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, func, select

from engine.errors import NotFound
from engine.services import Engine
from engine.store.models import Position, ProcessDefinition, ProcessInstance, Resource
from engine.web.monitor.diagrams import Diagram, diagrams


@dataclass(frozen=True)
class Version:
    definition: ProcessDefinition
    started: int  # dossiers started on this version (as the main process)
    running: int  # dossiers with a token in this version now (as main or called process)


@dataclass(frozen=True)
class ProcessView:
    definition: ProcessDefinition
    diagram: Diagram
    counts: dict[str, int]  # element id → tokens waiting there

    def payload(self) -> dict:
        return {"key": self.diagram.key, "name": self.diagram.name, "xml": self.diagram.xml,
                "counts": self.counts, "active": sorted(self.counts)}

    def rows(self) -> list[tuple[str, str, int]]:
        """(element id, name, tokens), most tokens first: the counts as a table."""
        return sorted(((e, self.diagram.label(e), n) for e, n in self.counts.items()), key=lambda r: (-r[2], r[1]))


def versions(engine: Engine, key: str | None = None) -> list[Version]:
    """Every definition version (or those of ``key``) with the dossiers on it."""
    with engine.db.reading() as session:
        query = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
        definitions = list(session.scalars(query.where(ProcessDefinition.key == key) if key else query))
        started = dict(session.execute(select(ProcessInstance.definition_id, func.count())
                                       .group_by(ProcessInstance.definition_id)).all())
        pinned = _pinned(session, definitions)
        active = session.execute(select(Position.definition_id, Position.process_key,
                                        func.count(distinct(Position.instance_id)))
                                 .group_by(Position.definition_id, Position.process_key)).all()
    # A token inside an embedded subprocess stands in its process too (on the subprocess), so the process key
    # alone counts each dossier once.
    running = {d.id: sum(n for root, process, n in active if root in pinned[d.id] and process == d.key)
               for d in definitions}
    return [Version(d, started.get(d.id, 0), running[d.id]) for d in definitions]


def view(engine: Engine, definition_id: int) -> ProcessView:
    with engine.db.reading() as session:
        definition = session.get(ProcessDefinition, definition_id)
        if definition is None:
            raise NotFound(f"procesdefinitie {definition_id} bestaat niet")
        roots = _pinned(session, [definition])[definition.id]
        counts = dict(session.execute(
            select(Position.element_id, func.count()).where(
                Position.definition_id.in_(roots), Position.process_key.in_(_process_keys(engine, definition)))
            .group_by(Position.element_id)).all())
    diagram = diagrams(engine, definition.id)[definition.key]
    # An embedded subprocess is drawn with its contents, which carry the count; a call activity's contents are
    # another process's diagram, so the dossiers inside it are counted on the call activity.
    return ProcessView(definition, diagram, {e: n for e, n in counts.items() if e not in diagram.subprocesses})


def _process_keys(engine: Engine, definition: ProcessDefinition) -> list[str]:
    """The process key and its embedded subprocesses' ids, as positions name them."""
    return [definition.key, *sorted(diagrams(engine, definition.id)[definition.key].subprocesses)]


def _pinned(session, definitions: list[ProcessDefinition]) -> dict[int, list[int]]:
    """Per definition version: the definitions whose dossiers run it — itself (as their own version or as the
    one a call activity chose at run time), and every caller version that pinned its file at deploy (positions
    of a pinned called process carry the calling dossier's definition)."""
    everyone = list(session.execute(select(ProcessDefinition.id, ProcessDefinition.resource_ids)))
    wanted = {r for d in definitions for r in d.resource_ids}
    names = dict(session.execute(select(Resource.id, Resource.name).where(Resource.id.in_(wanted))).all())
    own = {d.id: next((r for r in d.resource_ids if names.get(r) == d.source), None) for d in definitions}
    return {d.id: [other for other, ids in everyone if own[d.id] in (ids or [])] for d in definitions}
