"""The progress report to the Tweede Kamer and the Vlaams Parlement as a step of each Top's preparation
(§ 4.3, § 6.2.1, § 6.2.2; processen/gros-parlementsrapport.bpmn). The calendar starts one instance per Top
when its preparation starts; what the steps decide is kept in ``parliament_report`` inside the commands'
own transactions: the period the secretariaat drafted, each side's approval (each only its own: the tasks'
candidate groups), a refusal's reason, and — once both sides approved — the PDF, rendered then and never
again, so a later download is the report the governments signed off."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidData
from engine.forms import FieldError
from engine.gros.business_calendar import to_local
from engine.gros.models import Meeting, ParliamentReport
from engine.services import Engine
from engine.services.executor import AuditRecord
from engine.store.models import ProcessInstance

PROCESS = "gros-parlementsrapport"
DRAFT, SENT = "Activity_RapportOpstellen", "Activity_RapportVerzonden"
APPROVALS = {"Activity_GoedkeurenNL": "nl", "Activity_GoedkeurenVL": "vl"}  # element → side
STEPS = (DRAFT, *APPROVALS)  # the tasks that show the report they draft or approve
LOOK_BACK_YEARS = 2  # without an earlier approved report: the two years since the previous Top (§ 4.3)
Renderer = Callable[[date, date], bytes]


def report_key(meeting_id: int) -> str:
    return f"top-{meeting_id}"


def variables_for(engine: Engine, meeting: Meeting) -> dict:
    """What a Top's report process starts with (the calendar starts it, one per Top; its row comes with the
    start, in its transaction: ``_open``): its period from the end of the previous approved report (or two
    years back) until today."""
    today = to_local(engine.now(), meeting.zone).date()
    return {"overleg_id": meeting.id, "overleg_titel": meeting.title,
            "overleg_datum": to_local(meeting.held_at, meeting.zone).date().isoformat(),
            "rapport_van": _period_start(engine, today).isoformat(), "rapport_tot": today.isoformat()}


def _period_start(engine: Engine, today: date) -> date:
    with engine.db.reading() as session:
        previous = session.scalar(select(ParliamentReport.period_end).where(ParliamentReport.approved_at.is_not(None))
                                  .order_by(ParliamentReport.period_end.desc()).limit(1))
    if previous is not None:
        return previous + timedelta(days=1)  # the previous report ran up to and including its last day
    try:
        return today.replace(year=today.year - LOOK_BACK_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - LOOK_BACK_YEARS, day=28)


def of_meeting(engine: Engine, meeting_id: int) -> ParliamentReport | None:
    with engine.db.reading() as session:
        return session.scalars(select(ParliamentReport).where(ParliamentReport.meeting_id == meeting_id)).first()


def of_instance(engine: Engine, instance_id: str) -> ParliamentReport | None:
    with engine.db.reading() as session:
        return session.scalars(select(ParliamentReport).where(ParliamentReport.instance_id == instance_id)).first()


def approved(engine: Engine) -> list[tuple[Meeting, ParliamentReport]]:
    """The approved reports, newest first, with their Top."""
    with engine.db.reading() as session:
        return list(session.execute(select(Meeting, ParliamentReport).join(
            ParliamentReport, ParliamentReport.meeting_id == Meeting.id)
            .where(ParliamentReport.approved_at.is_not(None)).order_by(Meeting.held_at.desc())))


# --- recording the steps inside the commands' transactions ------------------------------------------
def track(engine: Engine) -> None:
    """Record what the report's steps decide (in the commands' transactions)."""
    engine.on_events(_record)


def render_on_approval(engine: Engine, render: Renderer) -> None:
    """Render the PDF in the command that completes the second approval. Attached by the web app, which
    owns the report's template; ``stored_pdf`` renders one approved elsewhere (the CLI) on first download."""
    engine.on_events(partial(_render_approved, render))


def stored_pdf(engine: Engine, meeting_id: int, render: Renderer) -> bytes | None:
    """The approved report's PDF as kept; ``None`` while it is not approved by both sides."""
    with engine.db.transaction() as session:
        report = session.scalars(select(ParliamentReport).where(ParliamentReport.meeting_id == meeting_id)).first()
        if report is None or report.approved_at is None:
            return None
        if report.pdf is None:
            report.pdf = render(report.period_start, report.period_end)
        return report.pdf


def _record(session: Session, events: list[AuditRecord]) -> None:
    for event in events:
        if event.action == "instance.started":
            _open(session, event)
        elif _is_step(event) and _of_process(session, event):
            _keep(session, event)


def _open(session: Session, event: AuditRecord) -> None:
    meeting_id = ((event.data or {}).get("variables") or {}).get("overleg_id")
    if _of_process(session, event) and isinstance(meeting_id, int) and session.get(Meeting, meeting_id) is not None:
        session.add(ParliamentReport(meeting_id=meeting_id, instance_id=event.instance_id))


def _of_process(session: Session, event: AuditRecord) -> bool:
    instance = session.get(ProcessInstance, event.instance_id)
    return instance is not None and instance.definition_key == PROCESS


def _keep(session: Session, event: AuditRecord) -> None:
    data = event.data or {}
    period = _period(data) if event.element_id == DRAFT else None
    side = APPROVALS.get(event.element_id)
    refusal = _refusal(side, data) if side else None
    report = _report(session, event)
    if report is None:  # started outside the calendar (a model test): the rules hold, nothing to keep
        return
    if period:
        report.period_start, report.period_end = period
        report.approved_nl_by = report.approved_vl_by = report.refusal = None  # a new draft asks both again
    elif event.element_id == SENT:
        report.sent_at = event.at
    elif refusal:
        report.refusal = f"{report.refusal}\n{refusal}" if report.refusal else refusal
    else:
        setattr(report, f"approved_{side}_by", event.actor)
        if report.approved_nl_by and report.approved_vl_by:
            report.approved_at = event.at


def _render_approved(render: Renderer, session: Session, events: list[AuditRecord]) -> None:
    for event in filter(_is_step, events):
        report = _report(session, event)
        if report is not None and report.approved_at is not None and report.pdf is None:
            report.pdf = render(report.period_start, report.period_end)


def _is_step(event: AuditRecord) -> bool:
    return event.action == "task.completed" and event.element_id in (DRAFT, SENT, *APPROVALS)


def _report(session: Session, event: AuditRecord) -> ParliamentReport | None:
    return session.scalars(select(ParliamentReport).where(ParliamentReport.instance_id == event.instance_id)).first()


def _period(data: dict) -> tuple[date, date]:
    start, end = (_day(data, key, label) for key, label in (("rapport_van", "Periode van"),
                                                           ("rapport_tot", "Periode tot en met")))
    if end < start:
        raise InvalidData("Periode tot en met: ligt vóór het begin van de periode",
                          [FieldError("rapport_tot", "Periode tot en met", "ligt vóór het begin van de periode")])
    return start, end


def _refusal(side: str, data: dict) -> str | None:
    """§ 6.2.2: each side approves for itself; a "nee" needs its reason, which goes back to the secretariaat."""
    if data.get(f"goedkeuring_{side}") == "ja":
        return None
    reason = str(data.get(f"goedkeuring_{side}_reden") or "").strip()
    if not reason:
        key, label = f"goedkeuring_{side}_reden", "Reden (verplicht bij nee)"
        raise InvalidData(f"{label}: geef de reden van de weigering", [FieldError(key, label, "is verplicht bij nee")])
    return f"{side.upper()}: {reason}"


def _day(data: dict, key: str, label: str) -> date:
    try:
        return date.fromisoformat(str(data.get(key) or ""))
    except ValueError as error:
        raise InvalidData(f"{label}: geen geldige datum", [FieldError(key, label, "geen geldige datum")]) from error
