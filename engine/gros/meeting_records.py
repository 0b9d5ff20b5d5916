"""What the commands do to agendered dossiers, recorded on the meetings' agendas in the commands' own
transactions (an ``Engine.on_events`` listener): a progress request adds the dossier to the round, a report
or a judgement fills its item, the cycle's steps record what the civil-service border meeting proposed, the
secretariaat found ripe and the ministers judged (§ 5.3.3), and an agendering proposal must name a planned
half-yearly meeting still to come (§ 5.2.5) — else the whole command is refused."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidData
from engine.forms import FieldError
from engine.gros.meetings import (
    AGENDA_LABEL,
    AGENDERING_RESULT,
    CYCLE_STEPS,
    JUDGEMENT_FIELDS,
    JUDGEMENT_VARIABLE,
    PROPOSED_MEETING,
    REPORT_VARIABLE,
    REQUEST_MESSAGE,
    coming_bilateral,
    local_day,
    progress_items,
)
from engine.gros.models import Meeting, MeetingItem
from engine.services import Engine
from engine.services.executor import AuditRecord
from engine.store.models import ProcessInstance


def track(engine: Engine) -> None:
    """Record on the agenda what the commands do to agendered dossiers (in their transaction)."""
    engine.on_events(_record)


def _record(session: Session, events: list[AuditRecord]) -> None:
    for event in events:
        data = event.data or {}
        if event.action == "message.correlated" and data.get("message") == REQUEST_MESSAGE:
            _add_item(session, event)
        elif event.action == "task.completed" and "voorstellen" in data:
            _record_cycle(session, event, data)
        elif event.action == "task.completed" and PROPOSED_MEETING[0] in data:
            _propose(session, event, data[PROPOSED_MEETING[0]])
        elif event.action == "task.completed" and (REPORT_VARIABLE in data or JUDGEMENT_VARIABLE in data):
            _update_item(session, event, data)
        elif event.action == "element.completed" and AGENDERING_RESULT in (data.get("variables") or {}):
            _decide_agendering(session, event, data["variables"][AGENDERING_RESULT])


def _record_cycle(session: Session, event: AuditRecord, data: dict) -> None:
    """What the civil-service border meeting proposed, the secretariaat found ripe and the ministers judged,
    per dossier on the meeting's agenda (§ 5.3.3). Each step's form sends the agenda back as ``voorstellen``."""
    meeting = session.scalars(select(Meeting).where(Meeting.cycle_instance_id == event.instance_id)).first()
    if meeting is None or event.element_id not in CYCLE_STEPS:
        return
    items = {i.business_key: i for i in progress_items(session, meeting.id)}
    rows = _rows(items, data["voorstellen"])
    if event.element_id == "Activity_AmbtelijkGrensoverleg":
        _check_flagged(rows, data.get("impasses_gesignaleerd"))
    if event.element_id == "Activity_RijpheidBeoordelen":
        _check_ripeness(rows)
    for item, row in rows:
        if event.element_id == "Activity_OordelenVastleggen":
            item.judgement = {k: row.get(k) for k in JUDGEMENT_FIELDS}
            item.judged_at, item.status = event.at, "oordeel-vastgesteld"
        else:
            item.proposal = {**(item.proposal or {}), **{k: row.get(k) for k in CYCLE_STEPS[event.element_id]}}


def _check_flagged(rows: list[tuple[MeetingItem, dict]], answer: object) -> None:
    flagged = any(row.get("impasse") for _, row in rows)
    if flagged != (answer == "ja"):
        problem = ("een impasse is bij een dossier gesignaleerd" if flagged else
                   "bij geen enkel dossier is een impasse gesignaleerd")
        raise InvalidData(f"Impasses gesignaleerd?: {problem}",
                          [FieldError("impasses_gesignaleerd", "Impasses gesignaleerd?", problem)])


def _check_ripeness(rows: list[tuple[MeetingItem, dict]]) -> None:
    """§ 5.3.3: every impasse the border meeting flagged is judged ripe or not; no other dossier is."""
    wrong = [item.business_key for item, row in rows
             if (row.get("impasse_rijp") in ("ja", "nee")) != bool((item.proposal or {}).get("impasse"))]
    if wrong:
        problem = f"beoordeel de rijpheid van precies de gesignaleerde impasses (niet klopt: {', '.join(wrong)})"
        raise InvalidData(f"{AGENDA_LABEL}: {problem}", [FieldError("voorstellen", AGENDA_LABEL, problem)])


def _rows(items: dict[str, MeetingItem], rows: object) -> list[tuple[MeetingItem, dict]]:
    """Each row names a dossier of the agenda by its kenmerk, and every dossier is named exactly once."""
    rows = rows if isinstance(rows, list) else []
    named = [row.get("kenmerk") for row in rows]
    unknown = sorted({str(k) for k in named if k not in items})
    missing = sorted(set(items) - set(named))
    if unknown or missing or len(named) != len(set(named)):
        problem = "elk dossier van de agenda staat er precies één keer in"
        if unknown:
            problem += f"; niet op de agenda: {', '.join(unknown)}"
        if missing:
            problem += f"; ontbreekt: {', '.join(missing)}"
        raise InvalidData(f"{AGENDA_LABEL}: {problem}", [FieldError("voorstellen", AGENDA_LABEL, problem)])
    return [(items[row["kenmerk"]], row) for row in rows]


def _propose(session: Session, event: AuditRecord, proposed: object) -> None:
    """§ 5.2.5: the ministers agendate at their half-yearly meeting, so a proposal names one of the
    calendar that is still to come; anything else refuses the whole command."""
    meeting = _planned_on(session, proposed, event.at)
    if meeting is None:
        problem = _not_planned(session, proposed, event.at)
        raise InvalidData(f"{PROPOSED_MEETING[1]}: {problem}", [FieldError(*PROPOSED_MEETING, problem)])
    instance = session.get(ProcessInstance, event.instance_id)
    item = session.scalars(select(MeetingItem).where(MeetingItem.meeting_id == meeting.id,
                                                     MeetingItem.instance_id == instance.id)).first()
    if item is None:
        item = MeetingItem(meeting_id=meeting.id, instance_id=instance.id, kind="agendering")
        session.add(item)
    item.business_key, item.title, item.status, item.requested_at = (
        instance.business_key, instance.title, "voorgesteld", event.at)


def _planned_on(session: Session, proposed: object, now: datetime) -> Meeting | None:
    return next((m for m in coming_bilateral(session, now) if local_day(m) == str(proposed)), None)


def _not_planned(session: Session, proposed: object, now: datetime) -> str:
    planned = ", ".join(local_day(m) for m in coming_bilateral(session, now)) or "geen"
    return (f"'{proposed or ''}' is geen gepland halfjaarlijks bilateraal overleg dat nog moet plaatsvinden "
            f"(geplande overleggen: {planned}; het secretariaat plant ze onder Overleg)")


def _decide_agendering(session: Session, event: AuditRecord, result: object) -> None:
    item = session.scalars(select(MeetingItem).where(MeetingItem.instance_id == event.instance_id,
                                                     MeetingItem.kind == "agendering")
                           .order_by(MeetingItem.id.desc()).limit(1)).first()
    if item is not None:
        item.status, item.judged_at = ("geagendeerd" if result == "geagendeerd" else "niet-geagendeerd"), event.at


def _add_item(session: Session, event: AuditRecord) -> None:
    meeting_id = (event.data.get("variables") or {}).get("overleg_id")
    if meeting_id is None or session.get(Meeting, meeting_id) is None:
        return
    instance = session.get(ProcessInstance, event.instance_id)
    item = session.scalars(select(MeetingItem).where(MeetingItem.meeting_id == meeting_id,
                                                     MeetingItem.instance_id == instance.id)).first()
    if item is None:
        item = MeetingItem(meeting_id=meeting_id, instance_id=instance.id)
        session.add(item)
    # one row per dossier and meeting: a dossier agendered before the round started passes it as progress
    item.kind, item.business_key, item.title, item.status, item.requested_at = (
        "voortgang", instance.business_key, instance.title, "gevraagd", event.at)


def _update_item(session: Session, event: AuditRecord, data: dict) -> None:
    item = session.scalars(select(MeetingItem).where(MeetingItem.instance_id == event.instance_id,
                                                     MeetingItem.kind == "voortgang")
                           .order_by(MeetingItem.id.desc()).limit(1)).first()
    if item is None:
        return
    if REPORT_VARIABLE in data and item.reported_at is None:
        item.report, item.reported_at, item.status = dict(data), event.at, "gerapporteerd"
    if JUDGEMENT_VARIABLE in data:
        item.judgement, item.judged_at, item.status = dict(data), event.at, "beoordeeld"
