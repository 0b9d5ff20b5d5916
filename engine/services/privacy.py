"""A person's request (AVG/GDPR inzage and verwijdering): find every dossier, task and audit line where a
person's data (an e-mail address, a name) occurs, and — after a decision the secretariaat records —
erase it: each value that holds it is replaced by the marker, in the instance state (every copy the
steps kept), the audit trail and the instance title; one command per dossier, audited with the
decision and the field names, never the value. A running dossier keeps running: only values change.

Finding reads the audit trail (every value that entered a dossier came in through an audited command)
with a text match — a full scan, fine for a rare request — and loads only the dossiers it found.

Data kept beside the dossiers (answers of stakeholders, agenda texts, webhook bodies) lives in tables the
core does not know: the part that keeps them declares them (``PersonalTable``, ``PrivacyService.declare``)
and the same text match finds and erases them, in one audited command."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import String, Table, cast, or_, select, update
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


@dataclass(frozen=True)
class PersonalTable:
    """Rows kept beside the dossiers that may hold a person's data: ``columns`` (column → its Dutch name in
    the report) are text or JSON, a text holding JSON searched and erased value by value; ``label`` names
    the rows to the secretariaat."""

    label: str
    table: Table
    columns: Mapping[str, str]

    def __post_init__(self) -> None:
        """A wrong declaration fails where the tables are declared, not at the first privacy search."""
        if len(self.table.primary_key.columns) != 1:
            raise ValueError(f"{self.table.name}: de privacyzoektocht vraagt een primaire sleutel van één kolom")
        unknown = sorted(set(self.columns) - set(self.table.c.keys()))
        if unknown:
            raise ValueError(f"{self.table.name} heeft geen kolom {', '.join(unknown)}")


@dataclass
class PersonReport:
    search: str
    dossiers: list[Occurrence]
    accounts: list[dict]
    elsewhere: list[dict] = field(default_factory=list)  # {"label", "id", "fields"} per row of a PersonalTable

    def as_json(self) -> dict:
        return asdict(self)


class PrivacyService:
    def __init__(self, executor: CommandExecutor) -> None:
        self.executor = executor
        self.tables: list[PersonalTable] = []

    def declare(self, *tables: PersonalTable) -> None:
        """Search and erase these tables too (the domain and the webhooks declare theirs when wired)."""
        self.tables.extend(table for table in tables if table not in self.tables)

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
            elsewhere = [{"label": declared.label, "id": key, "fields": sorted(_paths(
                {declared.columns[name]: cell.values for name, cell in cells.items()}, search))}
                         for declared in self.tables for key, cells in _matching_rows(session, declared, search)]
        return PersonReport(search, dossiers, accounts, elsewhere)

    def erase(self, search: str, decision: str, actor: Actor) -> PersonReport:
        """After the recorded ``decision``: replace the person's data in every dossier found by the marker."""
        decision = (decision or "").strip()
        if len(decision) < MIN_LENGTH:
            raise InvalidData("besluit: geef het besluit op dat de verwijdering toestaat (bv. kenmerk en datum)", [])
        check_text(decision, "het besluit", 500)
        report = self.find(search)
        for dossier in report.dossiers:
            self._erase_in(dossier.instance_id, report.search, decision, actor)
        if report.elsewhere:
            self._erase_elsewhere(report.search, decision, actor)
        return report

    def _erase_elsewhere(self, search: str, decision: str, actor: Actor) -> None:
        with self.executor.transaction() as session:
            erased: dict[str, int] = {}
            for declared in self.tables:
                key_column = _key_column(declared.table)
                for key, cells in _matching_rows(session, declared, search):
                    session.execute(update(declared.table).where(key_column == key).values(
                        {name: cell.erased(search) for name, cell in cells.items()}))
                    erased[declared.label] = erased.get(declared.label, 0) + 1
            audit(session, None, self.executor.now(), actor, ERASED_ACTION, data={"besluit": decision, "rijen": erased})

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


class _Cell(NamedTuple):
    """A stored value of a PersonalTable column and its values: a text holding JSON (a webhook body) parsed,
    once per row, any other value as it is."""

    stored: Any
    values: Any

    @classmethod
    def of(cls, stored: Any) -> _Cell:
        if isinstance(stored, str) and stored[:1] in ("{", "["):
            try:
                return cls(stored, json.loads(stored))
            except ValueError:
                pass
        return cls(stored, stored)

    def erased(self, search: str) -> Any:
        """The value to store with the person's data replaced: a JSON text keeps its other values and stays text."""
        if self.values is not self.stored:
            return json.dumps(_scrub(self.values, search))
        return _scrub(self.stored, search)


def _matching_rows(session: Session, declared: PersonalTable, search: str) -> list[tuple[Any, dict[str, _Cell]]]:
    """(primary key, {column: cell}) of the rows holding ``search``, only the columns that hold it."""
    escaped = json.dumps(search)[1:-1]
    columns = [declared.table.c[name] for name in declared.columns]
    key_column = _key_column(declared.table)
    query = select(key_column, *columns).where(or_(*[_like(cast(column, String), spelling) for column in columns
                                                     for spelling in {search, escaped}])).order_by(key_column)
    found = []
    for key, *stored in session.execute(query):
        cells = {name: _Cell.of(value) for name, value in zip(declared.columns, stored, strict=True)}
        holding = {name: cell for name, cell in cells.items() if _paths(cell.values, search)}
        if holding:
            found.append((key, holding))
    return found


def _key_column(table: Table):
    [key] = table.primary_key.columns
    return key


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
