"""A person's request (AVG/GDPR inzage and verwijdering): find every dossier, task and audit line where a
person's data (an e-mail address, a name) occurs, and — after a decision the secretariaat records —
erase it: each value that holds it is replaced by the marker, in the instance state (every copy the
steps kept), the audit trail and the instance title; one command per dossier, audited with the
decision and the field names, never the value. A running dossier keeps running: only values change.

Finding reads the audit trail (every value that entered a dossier came in through an audited command)
with a text match — a full scan, fine for a rare request — and loads only the dossiers it found."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import String, cast, or_, select, update
from sqlalchemy.orm import Session

from engine.errors import InvalidData
from engine.services.access import Actor
from engine.services.executor import CommandExecutor, audit
from engine.services.inputs import check_text
from engine.services.personal import ERASED
from engine.store.models import Account, AuditEvent, HumanTask, ProcessInstance

MIN_LENGTH = 3
ERASED_ACTION = "privacy.erased"


@dataclass
class Occurrence:
    """One dossier where the person's data occurs: in which variables, open tasks and audit lines."""

    instance_id: str
    business_key: str | None
    definition_key: str
    title: str | None
    status: str
    cleaned: bool
    fields: list[str] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    audit: list[dict] = field(default_factory=list)


@dataclass
class PersonReport:
    search: str
    dossiers: list[Occurrence]
    accounts: list[dict]

    def as_json(self) -> dict:
        return asdict(self)


class PrivacyService:
    def __init__(self, executor: CommandExecutor) -> None:
        self.executor = executor

    def find(self, search: str) -> PersonReport:
        """Every dossier, open task and audit line holding ``search`` (case-insensitive), and accounts."""
        search = _checked(search)
        with self.executor.db.reading() as session:
            lines = _matching_lines(session, search)
            ids = sorted({line.instance_id for line in lines if line.instance_id}
                         | set(session.scalars(select(ProcessInstance.id).where(_like(ProcessInstance.title, search)))))
            dossiers = [self._occurrence(session, session.get(ProcessInstance, i), search, lines) for i in ids]
            accounts = [{"username": a.username, "name": a.display_name, "email": a.email}
                        for a in session.scalars(select(Account).where(or_(
                            _like(Account.username, search), _like(Account.display_name, search),
                            _like(Account.email, search))))]
        return PersonReport(search, dossiers, accounts)

    def erase(self, search: str, decision: str, actor: Actor) -> PersonReport:
        """After the recorded ``decision``: replace the person's data in every dossier found by the marker."""
        decision = (decision or "").strip()
        if len(decision) < MIN_LENGTH:
            raise InvalidData("besluit: geef het besluit op dat de verwijdering toestaat (bv. kenmerk en datum)", [])
        check_text(decision, "het besluit", 500)
        report = self.find(search)
        for dossier in report.dossiers:
            self._erase_in(dossier.instance_id, report.search, decision, actor)
        return report

    def _occurrence(self, session: Session, instance: ProcessInstance, search: str,
                    lines: list[AuditEvent]) -> Occurrence:
        found = Occurrence(instance.id, instance.business_key, instance.definition_key, instance.title,
                           instance.status, instance.cleaned_at is not None)
        if not found.cleaned:
            workflow = self.executor.load_state(session, instance)
            found.fields = sorted(_paths(workflow.data, search))
        found.tasks = [{"id": t.id, "name": t.name, "assignee": t.assignee, "created_at": t.created_at.isoformat()}
                       for t in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id))]
        found.audit = [{"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                        "element": e.element_name or e.element_id, "fields": sorted(_paths(e.data, search))}
                       for e in lines if e.instance_id == instance.id]
        return found

    def _erase_in(self, instance_id: str, search: str, decision: str, actor: Actor) -> None:
        now = self.executor.now()
        with self.executor.transaction() as session:
            instance = self.executor.lock(session, instance_id)
            fields: set[str] = set()
            if instance.cleaned_at is None:
                workflow = self.executor.load_state(session, instance)
                fields = _paths(workflow.data, search)
                workflow.rewrite_data(lambda data: _scrub(data, search))
                if workflow.completed:  # an ended dossier takes no engine step: only its state changes
                    instance.state, instance.revision = workflow.dump(), instance.revision + 1
                else:
                    self.executor.save(session, instance, workflow, now)
            if _holds(instance.title, search):
                instance.title = ERASED
            lines = [line for line in _matching_lines(session, search) if line.instance_id == instance_id]
            for line in lines:
                session.execute(update(AuditEvent).where(AuditEvent.id == line.id).values(
                    data=_scrub(line.data, search), actor=ERASED if _holds(line.actor, search) else line.actor))
            audit(session, instance.id, now, actor, ERASED_ACTION,
                  data={"besluit": decision, "velden": sorted(fields), "auditregels": len(lines)})


def _checked(search: str) -> str:
    search = (search or "").strip()
    if len(search) < MIN_LENGTH:
        raise InvalidData(f"zoekterm: geef minstens {MIN_LENGTH} tekens (een e-mailadres of naam)", [])
    check_text(search, "de zoekterm", 200)
    return search


def _matching_lines(session: Session, search: str) -> list[AuditEvent]:
    """Audit lines whose data or actor holds ``search``: the stored JSON may escape non-ASCII letters,
    so both spellings are looked for; the text match is then confirmed on the parsed values."""
    escaped = json.dumps(search)[1:-1]
    text = cast(AuditEvent.data, String)
    candidates = session.scalars(select(AuditEvent).where(or_(
        _like(text, search), _like(text, escaped), _like(AuditEvent.actor, search))).order_by(AuditEvent.id))
    return [e for e in candidates if _paths(e.data, search) or _holds(e.actor, search)]


def _like(column, search: str):
    pattern = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{pattern}%", escape="\\")


def _holds(value: Any, search: str) -> bool:
    return isinstance(value, str) and search.lower() in value.lower()


def _paths(data: Any, search: str, prefix: str = "") -> set[str]:
    """The dotted paths (list rows as numbers) of the text values holding ``search``."""
    if isinstance(data, dict):
        return {p for key, value in data.items() for p in _paths(value, search, f"{prefix}{key}.")}
    if isinstance(data, list):
        return {p for n, value in enumerate(data) for p in _paths(value, search, f"{prefix}{n}.")}
    return {prefix.rstrip(".")} if _holds(data, search) else set()


def _scrub(data: Any, search: str) -> Any:
    if isinstance(data, dict):
        return {key: _scrub(value, search) for key, value in data.items()}
    if isinstance(data, list):
        return [_scrub(value, search) for value in data]
    return ERASED if _holds(data, search) else data
