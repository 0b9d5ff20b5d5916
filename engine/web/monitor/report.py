"""De voortgangsrapportage for the Dutch and Flemish parliaments: every agendered dossier with its
status, the progress reported and judged in the period, the decisions taken, escalations and what
stalls — as a page, a CSV file and a PDF (WeasyPrint), all in Dutch."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import or_, select

from engine.errors import InvalidData
from engine.forms import FieldError
from engine.gros.meetings import JUDGEMENT_VARIABLE, REPORT_VARIABLE
from engine.gros.models import InstanceSummary, Meeting, MeetingItem, PhaseVisit, StallFlag
from engine.gros.toetsen import YearCount, counts_per_side
from engine.services import Engine
from engine.store.models import ProcessInstance
from engine.web.display import ZONE, date_text
from engine.web.inbox.context import Entry, Labels
from engine.web.inputs import calendar_date
from engine.web.monitor.queries import DONE, STATUSES, phases

ESCALATION = "gros-escalatie"  # the reusable escalation process (processen/README.md)
ESCALATION_FIELDS = ("escalatie_land", "escalatie_niveau", "escalatie_resultaat")
FACTS = {"thema", "melder"}  # choices that describe the dossier rather than decide on it
DEFAULT_PERIOD = timedelta(days=183)
DECIDING = {"task.completed", "message.correlated"}  # how a decision arrives: a person's form or a message


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def parse(cls, args: Mapping[str, str], engine: Engine) -> Period:
        """``van``/``tot`` as dates; by default from the last meeting held (or half a year) until today."""
        today = engine.now().astimezone(ZONE).date()
        start = calendar_date(args, "van", "Van") or _last_meeting(engine) or today - DEFAULT_PERIOD
        end = calendar_date(args, "tot", "Tot en met") or today
        if end < start:
            raise InvalidData("De periode klopt niet.", [FieldError("tot", "Tot en met", "Ligt vóór het begin.")])
        return cls(start, end)

    @property
    def begins(self) -> datetime:
        return datetime.combine(self.start, time(), ZONE).astimezone(UTC)

    @property
    def ends(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), ZONE).astimezone(UTC)

    @property
    def filename(self) -> str:
        return f"voortgangsrapportage-{self.start.isoformat()}-{self.end.isoformat()}"

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.begins <= moment < self.ends

    def __str__(self) -> str:
        return f"{date_text(self.start)} tot en met {date_text(self.end)}"


@dataclass
class Item:
    """One agendered dossier in the report."""

    instance: ProcessInstance
    phase: str
    phase_since: datetime | None
    theme: str
    progress: list[str] = field(default_factory=list)
    decisions: list[tuple[datetime, str, list[Entry]]] = field(default_factory=list)
    escalation: list[Entry] = field(default_factory=list)
    escalated_in_period: bool = False
    flags: list[StallFlag] = field(default_factory=list)

    @property
    def status(self) -> str:
        return STATUSES.get(self.instance.status, self.instance.status)


@dataclass(frozen=True)
class ToetsYear:
    """The grenseffectentoetsen of one calendar year per submitting side (§ 4.2.2)."""

    year: int
    counts: list[YearCount]


@dataclass(frozen=True)
class Report:
    period: Period
    items: list[Item]
    meetings: list[Meeting]
    labels: Labels
    toetsen: ToetsYear

    @property
    def stalled(self) -> list[Item]:
        return [item for item in self.items if item.flags]

    @property
    def escalated(self) -> list[Item]:
        return [item for item in self.items if item.escalated_in_period]


def build(engine: Engine, period: Period) -> Report:
    """The report's content: agendered dossiers from the summaries, their meeting items, decisions from
    their own audit trails (however they arrived: a task, a message, a webhook), escalation stays from
    the phase visits and the radar's current flags."""
    names = phases(engine)
    labels = Labels(engine.repository.deployed_forms())
    with engine.db.reading() as session:
        in_period = select(MeetingItem.instance_id).where(MeetingItem.kind == "voortgang", or_(*[
            column.between(period.begins, period.ends) for column in
            (MeetingItem.requested_at, MeetingItem.reported_at, MeetingItem.judged_at)]))
        found = session.execute(
            select(ProcessInstance, InstanceSummary).join(InstanceSummary,
                                                          InstanceSummary.instance_id == ProcessInstance.id)
            .where(or_(InstanceSummary.agendered.is_(True), ProcessInstance.id.in_(in_period)),
                   ProcessInstance.started_at < period.ends,
                   or_(ProcessInstance.ended_at.is_(None), ProcessInstance.ended_at >= period.begins))
            .order_by(ProcessInstance.business_key)).all()
        ids = [instance.id for instance, _ in found]
        items = {instance.id: Item(instance, _phase_name(names, summary), summary.phase_since,
                                   labels.text("thema", summary.theme) if summary.theme else "")
                 for instance, summary in found}
        for row, title in session.execute(select(MeetingItem, Meeting.title).join(
                Meeting, Meeting.id == MeetingItem.meeting_id).where(MeetingItem.instance_id.in_(ids),
                                                                     MeetingItem.kind == "voortgang")
                .order_by(MeetingItem.requested_at)):
            if period.holds(row.requested_at):
                missing = "; niet gerapporteerd" if row.status == "niet-gerapporteerd" else ""
                items[row.instance_id].progress.append(
                    f"Rapport gevraagd op {date_text(row.requested_at)} voor {title}{missing}")
        for visit in session.scalars(select(PhaseVisit).where(
                PhaseVisit.instance_id.in_(ids), PhaseVisit.phase == ESCALATION, PhaseVisit.entered_at < period.ends,
                or_(PhaseVisit.left_at.is_(None), PhaseVisit.left_at >= period.begins))):
            items[visit.instance_id].escalated_in_period = True
        for flag in session.scalars(select(StallFlag).where(StallFlag.instance_id.in_(ids))):
            items[flag.instance_id].flags.append(flag)
        meetings = list(session.scalars(select(Meeting).where(
            Meeting.held_at.between(period.begins, period.ends), Meeting.cancelled_at.is_(None))
            .order_by(Meeting.held_at)))
    for item in items.values():
        _decisions(engine, item, period, labels)
    return Report(period, list(items.values()), meetings, labels, toets_year(engine, period.end.year))


def toets_year(engine: Engine, year: int) -> ToetsYear:
    start = datetime(year, 1, 1, tzinfo=ZONE).astimezone(UTC)
    return ToetsYear(year, counts_per_side(engine, start, datetime(year + 1, 1, 1, tzinfo=ZONE).astimezone(UTC)))


def _phase_name(names: dict[str, str], summary: InstanceSummary) -> str:
    if summary.phase is None:
        return "Afgerond"
    return names.get(summary.phase, summary.phase)


def _decisions(engine: Engine, item: Item, period: Period, labels: Labels) -> None:
    """From the dossier's own audit trail: progress reported and judged in the period, the choices made
    in it (fields with fixed options: ja/nee, results) and the escalation's outcome as the model derived
    it (DMN gros-escalatie-uitkomst, § 5.3.3), with the country the secretariaat named."""
    escalation: dict = {}
    for event in engine.query.history(item.instance.id):
        data = _recorded(event)
        if not data:
            continue
        escalation |= {k: v for k, v in data.items() if k in ESCALATION_FIELDS}
        if event.action not in DECIDING or not period.holds(event.at):
            continue
        if REPORT_VARIABLE in data:
            status = labels.text("voortgang_status", data["voortgang_status"]) if data.get("voortgang_status") else ""
            item.progress.append(f"Gerapporteerd op {date_text(event.at)}{f' ({status})' if status else ''}: "
                                 f"{data[REPORT_VARIABLE]}")
        elif JUDGEMENT_VARIABLE in data:
            item.progress.append(f"Oordeel van het overleg op {date_text(event.at)}: {_entries(labels.entries(data))}")
        else:
            choices = {k: v for k, v in data.items() if k in labels.options and k not in FACTS}
            if choices:
                item.decisions.append((event.at, _step(event), labels.entries(choices)))
    if escalation:
        item.escalation = labels.entries(escalation)


def _recorded(event) -> dict:
    """What a step recorded: a person's submitted values, the values a message brought (the
    ministerraad's accord from its own system, a webhook's decision) or the values a decision table
    derived."""
    if event.action == "task.completed":
        return event.data or {}
    if event.action in ("message.correlated", "element.completed") and event.data:
        return event.data.get("variables") or {}
    return {}


def _step(event) -> str:
    if event.action == "message.correlated":
        return f"Ontvangen bericht ‘{event.element_name}’"
    return event.element_name or ""


def _last_meeting(engine: Engine) -> date | None:
    with engine.db.reading() as session:
        held = session.scalar(select(Meeting.held_at).where(Meeting.held_at < engine.now(),
                                                            Meeting.cancelled_at.is_(None))
                              .order_by(Meeting.held_at.desc()).limit(1))
    return held.astimezone(ZONE).date() if held else None


COLUMNS = ["Dossiernummer", "Titel", "Thema", "Status", "Fase", "In fase sinds", "Voortgang in de periode",
           "Besluiten in de periode", "Escalatie", "Stilstand"]


def csv_text(report: Report) -> str:
    """The report as CSV for Excel in Dutch: semicolons, UTF-8 with a byte order mark."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for item in report.items:
        writer.writerow([
            item.instance.business_key or "", item.instance.title or "", item.theme, item.status, item.phase,
            date_text(item.phase_since) if item.phase != DONE else "",
            " | ".join(item.progress),
            " | ".join(f"{date_text(at)} {step}: {_entries(entries)}" for at, step, entries in item.decisions),
            _entries(item.escalation) if item.escalation or item.escalated_in_period else "",
            " | ".join(f"{flag_text(f)} sinds {date_text(f.since)}" for f in item.flags),
        ])
    return out.getvalue()


def flag_text(flag: StallFlag) -> str:
    return "geen voortgang" if flag.reason == "geen-voortgang" else f"taak over termijn ({flag.task_name or ''})"


def _entries(entries: list[Entry]) -> str:
    return ", ".join(f"{e.label}: {e.text}" for e in entries)
