"""The repository service: deploy models and read what is deployed. A changed file makes new versions
of the processes that use it (content hash); an unchanged one changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from lxml import etree
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine.bpmn.definitions import DeployError, Source, bundle, compile_sources, kind_of
from engine.bpmn.timers import first_due
from engine.errors import DeployRefused, NotFound
from engine.forms import FormDefinition, load_camunda_form
from engine.services.access import SYSTEM, Actor
from engine.services.executor import CommandExecutor, audit
from engine.services.guard import stranded
from engine.store.db import Batch, execute
from engine.store.models import Deployment, ProcessDefinition, Resource, StartTrigger, Timer


@dataclass(frozen=True)
class DeployedDefinition:
    id: int
    key: str
    version: int
    changed: bool
    # Running dossiers of older versions that wait at elements this version no longer has (the deploy
    # guard): they keep running on their version until someone migrates them.
    stranded: int = 0
    stranded_at: tuple[str, ...] = ()
    # Processes its call activities name that are not deployed (Camunda 7 deploys such a caller too).
    missing_calls: tuple[str, ...] = ()

    def warning(self) -> str | None:
        """What the deployer should know, in Dutch (stranded dossiers, missing called processes), or None."""
        return " ".join(filter(None, (self._stranded_warning(), self._missing_calls_warning()))) or None

    def _stranded_warning(self) -> str | None:
        if not self.stranded:
            return None
        return (f"{self.stranded} lopende dossier(s) van oudere versies van {self.key} wachten bij "
                f"{', '.join(self.stranded_at)}, dat v{self.version} niet meer heeft; ze lopen verder op hun "
                f"versie tot ze gemigreerd worden (gros migrate {self.key} --from-version N --plan …, "
                "of POST /api/v1/migration/execute).")

    def _missing_calls_warning(self) -> str | None:
        if not self.missing_calls:
            return None
        names = ", ".join(f"'{key}'" for key in self.missing_calls)
        return (f"{self.key} roept proces {names} aan, dat niet gedeployed is: de aanroep zoekt de nieuwste versie "
                "wanneer ze start en wordt een incident zolang er geen is (deploy het proces en probeer het "
                "incident opnieuw).")


@dataclass(frozen=True)
class DeployedDecision:
    key: str
    name: str
    resource: str


@dataclass(frozen=True)
class DeploymentInfo:
    """A deployment as Camunda's REST API describes it, with what this call deployed."""

    id: int
    name: str
    source: str | None
    deployed_at: datetime
    definitions: list[DeployedDefinition] = field(default_factory=list)
    decisions: list[DeployedDecision] = field(default_factory=list)


class RepositoryService:
    def __init__(self, executor: CommandExecutor) -> None:
        self.executor = executor
        self._forms = executor.forms

    def deploy(self, paths: Iterable[str | Path], actor: Actor = SYSTEM, name: str = "") -> list[DeployedDefinition]:
        """Deploy .bpmn, .dmn and .form files (folders are searched); unchanged files change nothing."""
        return self.deploy_sources(read_sources(paths), actor, name or "deployment")

    def deploy_sources(self, files: dict[str, str], actor: Actor = SYSTEM,
                       name: str = "deployment") -> list[DeployedDefinition]:
        return self.create_deployment(files, actor, name).definitions

    def create_deployment(self, files: dict[str, str], actor: Actor = SYSTEM, name: str = "deployment",
                          source: str | None = None) -> DeploymentInfo:
        """Deploy the changed files as one deployment. When nothing changed, nothing is stored: the answer
        is the newest deployment of these files (Camunda's duplicate filtering, always on here)."""
        sources = {n: Source(n, kind_of(n) or "", text) for n, text in files.items()}
        unknown = [n for n, s in sources.items() if not s.kind]
        if not sources:
            raise DeployRefused(["geen bestanden om te deployen"])
        if unknown:
            raise DeployRefused([f"{n}: alleen .bpmn-, .dmn- en .form-bestanden kunnen worden gedeployed"
                                 for n in unknown])
        self.executor.roles.require_deployer(actor)
        now = self.executor.now()
        self.executor.newest_versions.clear()  # a start confirms what it takes anyway; this spares it a retry
        with self.executor.transaction() as session:
            latest = _latest_resources(session)
            changed = [n for n, s in sources.items() if n not in latest or latest[n].content_hash != s.content_hash]
            if not changed:
                previous = session.get(Deployment, max(latest[n].deployment_id for n in sources))
                return _info(previous, _current_definitions(session, sources))
            universe = {n: Source(r.name, r.kind, r.content) for n, r in latest.items()} | sources
            try:
                compiled = compile_sources(universe, changed)
            except DeployError as error:
                raise DeployRefused(error.problems) from error
            deployment = Deployment(name=name, deployed_at=now, deployed_by=actor.user, source=source)
            session.add(deployment)
            session.flush()
            ids = {n: r.id for n, r in latest.items()}
            ids |= {n: _store_resource(session, deployment.id, sources[n]).id for n in changed}
            result = [_guarded(session, _store_definition(session, deployment.id, c, ids, now)) for c in compiled]
            audit(session, None, now, actor, "deployment.created", data={"files": changed, "name": name})
            decisions = [d for n in changed if sources[n].kind == "dmn" for d in _decisions(sources[n])]
            return _info(deployment, result, decisions)

    # --- reading ---------------------------------------------------------------------------------
    def deployments(self, first: int = 0, limit: int | None = None, name: str | None = None) -> list[DeploymentInfo]:
        """Deployments, newest first."""
        query = select(Deployment).order_by(Deployment.id.desc()).offset(first).limit(limit)
        if name is not None:
            query = query.where(Deployment.name == name)
        with self.executor.db.reading() as session:
            return [_info(d) for d in session.scalars(query)]

    def deployment_count(self, name: str | None = None) -> int:
        query = select(func.count(Deployment.id))
        if name is not None:
            query = query.where(Deployment.name == name)
        with self.executor.db.reading() as session:
            return session.scalar(query)

    def deployment(self, deployment_id: int) -> DeploymentInfo:
        with self.executor.db.reading() as session:
            found = session.get(Deployment, deployment_id)
            if found is None:
                raise NotFound(f"deployment {deployment_id} bestaat niet")
            return _info(found)

    def definition(self, definition_id: int) -> ProcessDefinition:
        with self.executor.db.reading() as session:
            definition = session.get(ProcessDefinition, definition_id)
            if definition is None:
                raise NotFound(f"procesdefinitie {definition_id} bestaat niet")
            return definition

    def definitions(self, key: str | None = None, latest_only: bool = False) -> list[ProcessDefinition]:
        query = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version)
        if key:
            query = query.where(ProcessDefinition.key == key)
        with self.executor.db.reading() as session:
            rows = list(session.scalars(query))
        if latest_only:
            rows = list({row.key: row for row in rows}.values())
        return rows

    def definition_xml(self, definition_id: int) -> str:
        with self.executor.db.reading() as session:
            definition = session.get(ProcessDefinition, definition_id)
            if definition is None:
                raise NotFound(f"procesdefinitie {definition_id} bestaat niet")
            return session.scalars(select(Resource).where(
                Resource.id.in_(definition.resource_ids), Resource.name == definition.source)).one().content

    def deployed_forms(self) -> dict[str, FormDefinition]:
        """The newest deployed version of every Camunda Form by form id: start pages and field labels."""
        with self.executor.db.reading() as session:
            newest = select(func.max(Resource.id)).where(Resource.kind == "form").group_by(Resource.name)
            ids = dict(session.execute(select(Resource.id, Resource.form_id).where(Resource.id.in_(newest))).all())
            for resource in session.scalars(select(Resource).where(Resource.id.in_(set(ids) - set(self._forms)))):
                self._forms[resource.id] = load_camunda_form(resource.content, resource.name)
        return {form_id: self._forms[resource_id] for resource_id, form_id in ids.items()}

    def camunda_form(self, session: Session, definition_id: int, ref: str) -> FormDefinition:
        """The form ``ref`` (form id or file name) as deployed with that definition version."""
        definition = session.get(ProcessDefinition, definition_id)
        resource = session.scalars(
            select(Resource).where(Resource.id.in_(definition.resource_ids), Resource.kind == "form",
                                   (Resource.form_id == ref) | (Resource.name == ref))
        ).first()
        if resource is None:
            raise NotFound(f"formulier '{ref}' niet gevonden")
        if resource.id not in self._forms:
            self._forms[resource.id] = load_camunda_form(resource.content, resource.name)
        return self._forms[resource.id]


def read_sources(paths: Iterable[str | Path]) -> dict[str, str]:
    files: dict[str, str] = {}
    for path in map(Path, paths):
        candidates = sorted(p for p in path.rglob("*") if kind_of(p.name)) if path.is_dir() else [path]
        for file in candidates:
            if not file.is_file():
                raise DeployRefused([f"{file}: bestand niet gevonden"])
            try:
                files[file.name] = file.read_text(encoding="utf-8")
            except UnicodeDecodeError as error:
                raise DeployRefused([f"{file.name}: geen UTF-8-tekst ({error.reason})"]) from error
    return files


def latest_definition(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                           .order_by(ProcessDefinition.version.desc()).limit(1)).first()


_DEFINITIONS = ProcessDefinition.__table__
_LATEST_ID = (select(_DEFINITIONS.c.id).where(_DEFINITIONS.c.key == bindparam("key"))
              .order_by(_DEFINITIONS.c.version.desc()).limit(1))


def latest_definition_id(session: Session, key: str) -> int | None:
    """The newest version's id: a version never changes once stored, so a start reads only this and takes
    the rest from ``CommandExecutor.definition`` (the row's XML source and all, read once per process)."""
    return execute(session.connection(), _LATEST_ID, {"key": key}).scalar()


# SQLSTATE of gros_confirm_newest (migration 0068, PostgreSQL): the version a start took is not the newest
NEWER_VERSION = "GR001"
_CONFIRM_NEWEST = select(func.gros_confirm_newest(bindparam("key"), bindparam("definition_id")))


def confirm_newest(session: Session, key: str, definition_id: int) -> None:
    """Queue the check that ``definition_id`` is still ``key``'s newest version: it goes with the command's
    next statement or its COMMIT, and fails the transaction (``newer_version_deployed``) if it is not."""
    batch = Batch(session.connection())
    batch.execute(_CONFIRM_NEWEST, {"key": key, "definition_id": definition_id})
    batch.send()


def newer_version_deployed(error: DBAPIError) -> bool:
    return getattr(error.orig, "sqlstate", None) == NEWER_VERSION


def _store_definition(session, deployment_id, compiled, resource_ids, now: datetime) -> DeployedDefinition:
    latest = latest_definition(session, compiled.key)
    if latest is not None and latest.content_hash == compiled.content_hash:
        return DeployedDefinition(latest.id, latest.key, latest.version, False, missing_calls=compiled.missing_calls)
    definition = ProcessDefinition(
        key=compiled.key, version=(latest.version + 1) if latest else 1, name=compiled.name,
        content_hash=compiled.content_hash, deployment_id=deployment_id, source=compiled.source,
        resource_ids=[resource_ids[n] for n in compiled.needs], history_ttl=compiled.history_ttl,
        version_tag=compiled.version_tag, none_start=compiled.none_start, deployed_at=now,
        starters=compiled.access.starters, startable=compiled.access.startable, calls=compiled.access.calls,
        senders=compiled.access.senders,
    )
    session.add(definition)
    session.flush()
    _replace_start_triggers(session, definition, compiled, now)
    return DeployedDefinition(definition.id, definition.key, definition.version, True,
                              missing_calls=compiled.missing_calls)


def _guarded(session: Session, deployed: DeployedDefinition) -> DeployedDefinition:
    if not deployed.changed or deployed.version == 1:
        return deployed
    definition = session.get(ProcessDefinition, deployed.id)
    resources = session.scalars(select(Resource).where(Resource.id.in_(definition.resource_ids)))
    target = bundle(definition.key, [Source(r.name, r.kind, r.content) for r in resources])
    count, where = stranded(session, definition, target)
    return replace(deployed, stranded=count, stranded_at=tuple(where))


def _replace_start_triggers(session, definition, compiled, now: datetime) -> None:
    old = select(StartTrigger.id).where(StartTrigger.definition_key == definition.key)
    session.query(Timer).filter(Timer.start_trigger_id.in_(old)).delete(synchronize_session=False)
    session.query(StartTrigger).filter(StartTrigger.definition_key == definition.key).delete()
    for element_id, message in compiled.message_starts:
        session.add(StartTrigger(definition_id=definition.id, definition_key=definition.key,
                                 element_id=element_id, message_name=message))
    for element_id, kind, text in compiled.timer_starts:
        trigger = StartTrigger(definition_id=definition.id, definition_key=definition.key,
                               element_id=element_id, timer_kind=kind, timer_text=text)
        session.add(trigger)
        session.flush()
        due, repeats = first_due(kind, text, now)
        session.add(Timer(start_trigger_id=trigger.id, element_id=element_id, name=text,
                          due_at=due, repeats_left=repeats))


def _latest_resources(session: Session) -> dict[str, Resource]:
    newest = select(func.max(Resource.id)).group_by(Resource.name)
    return {r.name: r for r in session.scalars(select(Resource).where(Resource.id.in_(newest)))}


def _store_resource(session: Session, deployment_id: int, source: Source) -> Resource:
    existing = session.scalars(select(Resource).where(
        Resource.name == source.name, Resource.content_hash == source.content_hash)).first()
    if existing is not None:
        # A file changed back to an earlier content: it becomes the newest version again.
        session.delete(existing)
        session.flush()
    form_id = load_camunda_form(source.content, source.name).form_id if source.kind == "form" else None
    resource = Resource(deployment_id=deployment_id, name=source.name, kind=source.kind,
                        content_hash=source.content_hash, content=source.content, form_id=form_id)
    session.add(resource)
    session.flush()
    return resource


def _info(deployment: Deployment, definitions: list[DeployedDefinition] = (),
          decisions: list[DeployedDecision] = ()) -> DeploymentInfo:
    return DeploymentInfo(deployment.id, deployment.name, deployment.source, deployment.deployed_at,
                          list(definitions), list(decisions))


def _decisions(source: Source) -> list[DeployedDecision]:
    root = etree.fromstring(source.content.encode(), etree.XMLParser(resolve_entities=False))
    return [DeployedDecision(d.get("id"), d.get("name") or d.get("id"), source.name)
            for d in root.iter(f"{{{etree.QName(root).namespace}}}decision")]


def _current_definitions(session: Session, sources: dict[str, Source]) -> list[DeployedDefinition]:
    newest = select(func.max(ProcessDefinition.id)).group_by(ProcessDefinition.key)
    rows = session.scalars(select(ProcessDefinition).where(
        ProcessDefinition.id.in_(newest), ProcessDefinition.source.in_(list(sources))))
    return [DeployedDefinition(r.id, r.key, r.version, False) for r in rows]
