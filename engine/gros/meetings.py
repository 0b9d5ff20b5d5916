"""The meeting calendar: the secretariaat plans the half-yearly bilateral meetings and the two-yearly
Vlaams-Nederlandse Top; a lead time before each one (six weeks by default) the scheduler asks every
agendered dossier for its progress report, and when the reports are in or their deadline has passed
the meeting's agenda is ready for the ``bilateraal-overleg`` group.

The hook into the procedure (processen/gros-uitvoering.bpmn): a dossier waiting for its next round
waits for the message ``voortgang-gevraagd``, correlated by business key, with ``overleg_datum`` and
``rapport_deadline``. Completing a task with ``voortgang_rapport`` records the report on the agenda;
completing one with ``voortgang_oordeel`` records the meeting's judgement. Both are recorded in the
command's own transaction (engine/gros/meeting_records.py), so the agenda never disagrees with the dossier.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict, InvalidData, NoMatch, NotFound
from engine.gros import parliament
from engine.gros.business_calendar import DEFAULT_ZONE, shift, to_local, to_utc
from engine.gros.models import InstanceSummary, Meeting, MeetingItem
from engine.local_time import date_text
from engine.services import Actor, Engine
from engine.services.privacy import PersonalTable
from engine.store.models import ProcessInstance, Subscription

log = logging.getLogger("gros.meetings")

REQUEST_MESSAGE = "voortgang-gevraagd"
REPORT_VARIABLE = "voortgang_rapport"
JUDGEMENT_VARIABLE = "voortgang_oordeel"
PROPOSED_MEETING = ("beoogd_overleg_datum", "Halfjaarlijks bilateraal overleg")  # gros-agenderingsvoorstel
AGENDERING_RESULT = "agendering_resultaat"  # decided by gros-agendering-resultaat.dmn
CYCLE_PROCESS = "gros-overlegcyclus"  # one instance per half-yearly meeting (§ 5.3.3)
# The agenda keeps each dossier's title, progress report, proposal and judgement as the dossier had them.
PERSONAL_DATA = (PersonalTable("agendapunten van overleggen", MeetingItem.__table__,
                               {"title": "titel", "report": "rapport", "proposal": "voorstel",
                                "judgement": "oordeel"}),)
AGENDA_MESSAGE = "overleg-agenda-gereed"  # to the cycle: the reports are in or their deadline passed
RESULT_MESSAGE = "overleg-oordeel"  # to each dossier: the ministers' judgement
NOT_REPORTED = "niet gerapporteerd"
CYCLE_STEPS = {  # the user tasks of gros-overlegcyclus and what each adds to an agenda item
    "Activity_AmbtelijkGrensoverleg": ("voorstel_oordeel", "impasse", "voorstel_toelichting"),
    "Activity_RijpheidBeoordelen": ("impasse_rijp", "impasse_omschrijving"),
    "Activity_OordelenVastleggen": (),
}
AGENDA_LABEL = "Geagendeerde dossiers"
JUDGEMENT_FIELDS = ("voortgang_oordeel", "vertragend_land", "oordeel_toelichting")
KINDS = {"bilateraal": "Halfjaarlijks bilateraal overleg", "top": "Vlaams-Nederlandse Top"}
DEFAULT_LEAD_TIME = "P6W"
DEFAULT_REPORT_BEFORE = "P2W"
TOP_EVERY = "P2Y"  # § 4.3, § 6.2.1: the Vlaams-Nederlandse Top meets every two years
TITLE_LENGTH = 300  # the column's size
PLANNER = Actor("planner", system=True)  # the calendar job asks for progress rounds as the engine


@dataclass(frozen=True)
class Agenda:
    meeting: Meeting
    items: list[MeetingItem]
    expected: list[ProcessInstance]  # before the round starts: the agendered dossiers it will ask (§ 5.3.3)

    @property
    def ready(self) -> bool:
        return self.meeting.agenda_ready_at is not None

    @property
    def proposals(self) -> list[MeetingItem]:
        """New proposals for agendering decided at this meeting (§ 5.2.5)."""
        return [i for i in self.items if i.kind == "agendering"]

    @property
    def progress(self) -> list[MeetingItem]:
        """Agendered dossiers passing this meeting with their progress (§ 5.3.3)."""
        return [i for i in self.items if i.kind == "voortgang"]

    @property
    def reported(self) -> list[MeetingItem]:
        return [i for i in self.progress if i.reported_at is not None]

    @property
    def missing(self) -> list[MeetingItem]:
        return [i for i in self.progress if i.reported_at is None]


def plan(engine: Engine, kind: str, held_at: datetime, actor: Actor, title: str | None = None,
         zone: str = DEFAULT_ZONE, lead_time: str = DEFAULT_LEAD_TIME,
         report_before: str = DEFAULT_REPORT_BEFORE) -> Meeting:
    """Put a meeting on the calendar; ``held_at`` without a zone is wall-clock time in ``zone``."""
    if kind not in KINDS:
        raise InvalidData(f"onbekend soort overleg '{kind}' (kies {', '.join(KINDS)})", [])
    if title and len(title) > TITLE_LENGTH:
        raise InvalidData(f"de titel van een overleg is hoogstens {TITLE_LENGTH} tekens", [])
    try:
        held = to_utc(held_at, zone)
        request_at, deadline = shift(held, lead_time, zone, before=True), shift(held, report_before, zone, before=True)
    except ValueError as error:
        raise InvalidData(str(error), []) from error
    if not request_at < deadline < held:
        raise InvalidData("de rapporteringstermijn moet tussen de vraag om rapporten en het overleg vallen", [])
    meeting = Meeting(kind=kind, title=title or f"{KINDS[kind]} {date_text(held)}", held_at=held,
                      zone=zone, lead_time=lead_time, request_at=request_at, report_deadline=deadline,
                      created_by=actor.user, created_at=engine.now())
    with engine.db.transaction() as session:
        session.add(meeting)
    return meeting


def seed_calendar(engine: Engine, actor: Actor = PLANNER, months: tuple[int, ...] = (5, 11)) -> list[Meeting]:
    """A first calendar (demo, first start): the next two half-yearly bilateral meetings, on the third
    Thursday of May and November at 10:00 Brussels time, and a Top in June next year — unless meetings are
    planned already."""
    if calendar(engine):
        return []
    today = to_local(engine.now(), DEFAULT_ZONE).date()
    dates = sorted(d for year in (today.year, today.year + 1) for d in map(partial(_third_thursday, year), months)
                   if d > today)
    bilateral = [plan(engine, "bilateraal", datetime.combine(d, time(10, 0)), actor) for d in dates[:2]]
    top = _third_thursday(today.year + 1, 6)  # the Vlaams-Nederlandse Top, every two years (§ 4.3)
    return [*bilateral, plan(engine, "top", datetime.combine(top, time(10, 0)), actor)]


def next_bilateral_day(engine: Engine) -> str | None:
    """The local date of the next half-yearly bilateral meeting on the calendar, if one is planned."""
    with engine.db.reading() as session:
        coming = coming_bilateral(session, engine.now())
    return local_day(coming[0]) if coming else None


def _third_thursday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 14)


def cancel(engine: Engine, meeting_id: int, actor: Actor) -> None:
    with engine.db.transaction() as session:
        meeting = _meeting(session, meeting_id)
        if meeting.requested_at is not None:
            raise Conflict("de rapporten zijn al gevraagd; dit overleg kan niet meer worden geschrapt")
        meeting.cancelled_at = engine.now()
    log.info("meeting %s cancelled by %s", meeting_id, actor.user)


def calendar(engine: Engine, include_past: bool = False) -> list[Meeting]:
    query = select(Meeting).where(Meeting.cancelled_at.is_(None)).order_by(Meeting.held_at)
    if not include_past:
        query = query.where(Meeting.held_at >= engine.now())
    with engine.db.reading() as session:
        return list(session.scalars(query))


def agenda(engine: Engine, meeting_id: int) -> Agenda:
    with engine.db.reading() as session:
        meeting = _meeting(session, meeting_id)
        items = session.scalars(select(MeetingItem).where(MeetingItem.meeting_id == meeting_id)
                                .order_by(MeetingItem.business_key, MeetingItem.id))
        expected = [] if meeting.requested_at is not None or meeting.kind != "bilateraal" else session.scalars(
            select(ProcessInstance).join(InstanceSummary, InstanceSummary.instance_id == ProcessInstance.id)
            .where(InstanceSummary.agendered.is_(True), InstanceSummary.phase.is_not(None))
            .order_by(ProcessInstance.business_key))
        return Agenda(meeting, list(items), list(expected))


def of_dossier(engine: Engine, instance_id: str) -> list[tuple[Meeting, MeetingItem]]:
    """The meetings a dossier was on the agenda of (proposed for agendering or passing with its progress)."""
    with engine.db.reading() as session:
        rows = session.execute(select(Meeting, MeetingItem).join(MeetingItem, MeetingItem.meeting_id == Meeting.id)
                               .where(MeetingItem.instance_id == instance_id).order_by(Meeting.held_at))
        return [(meeting, item) for meeting, item in rows]


def run_calendar(engine: Engine, now: datetime | None = None) -> dict[str, int]:
    """The scheduler's calendar job: ask for reports when a lead time starts, close agendas when due."""
    now = now or engine.now()
    with engine.db.reading() as session:
        asking = list(session.scalars(select(Meeting).where(  # a meeting already held asks for nothing
            Meeting.request_at <= now, Meeting.held_at > now, Meeting.requested_at.is_(None),
            Meeting.cancelled_at.is_(None)).order_by(Meeting.held_at)))
        closing = list(session.scalars(select(Meeting).where(
            Meeting.requested_at.is_not(None), Meeting.agenda_ready_at.is_(None))))
    plan_next_top(engine, now)
    requested = sum(request_reports(engine, m.id, now) for m in asking)
    ready = [m.id for m in closing + asking if _close_if_complete(engine, m.id, now)]
    for meeting_id in ready:
        _hand_agenda_to_cycle(engine, meeting_id)
    return {"requested": requested, "agendas_ready": len(ready), "judgements_returned": return_judgements(engine)}


def plan_next_top(engine: Engine, now: datetime) -> Meeting | None:
    """The Top recurs: once the latest one has been held, the next is planned two years later, same local day
    and hour. The secretariaat edits it like any meeting (cancel, plan another); a cancelled latest Top is a
    decision, so nothing is planned after it."""
    with engine.db.reading() as session:
        latest = session.scalars(select(Meeting).where(Meeting.kind == "top")
                                 .order_by(Meeting.held_at.desc()).limit(1)).first()
    if latest is None or latest.cancelled_at is not None or latest.held_at > now:
        return None
    held = to_local(shift(latest.held_at, TOP_EVERY, latest.zone), latest.zone).replace(tzinfo=None)
    return plan(engine, "top", held, PLANNER, zone=latest.zone, lead_time=latest.lead_time)


def request_reports(engine: Engine, meeting_id: int, now: datetime) -> int:
    """Deliver ``voortgang-gevraagd`` to every dossier waiting for it; each delivery adds its agenda item."""
    with engine.db.reading() as session:
        meeting = _meeting(session, meeting_id)
        waiting = session.execute(select(Subscription.business_key, Subscription.instance_id)
                                  .where(Subscription.message_name == REQUEST_MESSAGE)).all()
    variables = {"overleg_id": meeting.id, "overleg_titel": meeting.title,
                 "overleg_datum": to_local(meeting.held_at, meeting.zone).date().isoformat(),
                 "rapport_deadline": meeting.report_deadline.isoformat()}
    _start_once(engine, meeting, variables)
    asked = sum(_ask(engine, business_key, instance_id, variables) for business_key, instance_id in waiting)
    with engine.db.transaction() as session:  # asking again after a crash finds the dossiers asked moved on
        _meeting(session, meeting_id).requested_at = now
    log.info("meeting %s: %d dossiers asked for a progress report", meeting_id, asked)
    return asked


def cycle_key(meeting_id: int) -> str:
    return f"overleg-{meeting_id}"


def _start_once(engine: Engine, meeting: Meeting, variables: dict) -> None:
    """§ 5.3.3: each half-yearly meeting runs as one instance of the meeting cycle process; a Top's
    preparation runs its parliament report instead (§ 6.2.2), kept in its own table. Started in the
    meeting's locked transaction with what records it, so a run after a crash, or another scheduler
    node, starts no second one."""
    if meeting.kind == "top":
        process, key, variables = parliament.PROCESS, parliament.report_key(meeting.id), parliament.variables_for(
            engine, meeting)
    else:
        process, key = CYCLE_PROCESS, cycle_key(meeting.id)
    with engine.executor.transaction() as session:
        locked = session.get(Meeting, meeting.id, with_for_update=True)
        if locked.requested_at is not None or session.scalar(select(ProcessInstance.id).where(
                ProcessInstance.definition_key == process, ProcessInstance.business_key == key).limit(1)):
            return
        try:
            started = engine.runtime.start_within(session, process, key, variables, PLANNER)
        except NotFound:
            log.warning("meeting %s: %s is not deployed; reports asked without it", meeting.id, process)
            return
        if meeting.kind != "top":
            locked.cycle_instance_id = started


def _hand_agenda_to_cycle(engine: Engine, meeting_id: int) -> None:
    """The cycle's civil-service border meeting gets every agendered dossier, reported or not."""
    with engine.db.reading() as session:
        meeting = _meeting(session, meeting_id)
        items = progress_items(session, meeting_id)
        phases = dict(session.execute(select(InstanceSummary.instance_id, InstanceSummary.phase)
                                      .where(InstanceSummary.instance_id.in_([i.instance_id for i in items]))).all())
    if meeting.cycle_instance_id is None:
        return
    agenda = [{"kenmerk": i.business_key, "titel": i.title or "", "fase": phases.get(i.instance_id) or "",
               "rapport": (i.report or {}).get(REPORT_VARIABLE) or NOT_REPORTED} for i in items]
    engine.runtime.correlate(AGENDA_MESSAGE, business_key=cycle_key(meeting_id),
                             variables={"voorstellen": agenda}, actor=PLANNER)


def return_judgements(engine: Engine) -> int:
    """After the meeting each dossier receives the ministers' judgement as a message and moves on."""
    with engine.db.reading() as session:
        judged = list(session.scalars(select(MeetingItem).where(MeetingItem.status == "oordeel-vastgesteld")
                                      .order_by(MeetingItem.id)))
    return sum(_return(engine, item) for item in judged)


def _return(engine: Engine, item: MeetingItem) -> bool:
    variables = {**{k: (item.judgement or {}).get(k, "") for k in JUDGEMENT_FIELDS},
                 "impasse_rijp": (item.proposal or {}).get("impasse_rijp", "")}
    try:
        engine.runtime.correlate(RESULT_MESSAGE, business_key=item.business_key, variables=variables, actor=PLANNER)
        delivered = "teruggemeld"
    except NoMatch:  # the dossier moved on meanwhile (or another node delivered it first)
        delivered = "niet-afgeleverd"
    with engine.db.transaction() as session:
        stored = session.get(MeetingItem, item.id)
        if stored.status != "oordeel-vastgesteld":
            return False
        stored.status = delivered
    return delivered == "teruggemeld"


def progress_items(session: Session, meeting_id: int) -> list[MeetingItem]:
    return list(session.scalars(select(MeetingItem).where(MeetingItem.meeting_id == meeting_id,
                                                          MeetingItem.kind == "voortgang")
                                .order_by(MeetingItem.business_key, MeetingItem.id)))


def _ask(engine: Engine, business_key: str | None, instance_id: str, variables: dict) -> bool:
    if business_key is None:
        log.warning("dossier %s waits for %s but has no business key; not asked", instance_id, REQUEST_MESSAGE)
        return False
    try:
        engine.runtime.correlate(REQUEST_MESSAGE, business_key=business_key, variables=variables, actor=PLANNER)
    except NoMatch:  # another scheduler node asked it first, or the dossier moved on meanwhile
        return False
    except InvalidData as refusal:  # e.g. no schakel formed yet: this dossier shows as not reported, the rest is asked
        log.warning("dossier %s is not asked for its progress report: %s", business_key, refusal)
        _list_unasked(engine, variables["overleg_id"], instance_id)
        return False
    return True


def _list_unasked(engine: Engine, meeting_id: int, instance_id: str) -> None:
    """§ 5.3.3: every agendered dossier passes the meeting; one that could not be asked is on its agenda
    as not reported, never left off."""
    with engine.db.transaction() as session:
        instance = session.get(ProcessInstance, instance_id)
        if session.scalars(select(MeetingItem).where(MeetingItem.meeting_id == meeting_id,
                                                     MeetingItem.instance_id == instance_id)).first() is None:
            session.add(MeetingItem(meeting_id=meeting_id, instance_id=instance_id, kind="voortgang",
                                    business_key=instance.business_key, title=instance.title,
                                    status="niet-gerapporteerd", requested_at=engine.now()))


def _close_if_complete(engine: Engine, meeting_id: int, now: datetime) -> bool:
    with engine.db.transaction() as session:
        meeting = _meeting(session, meeting_id)
        items = list(session.scalars(select(MeetingItem).where(MeetingItem.meeting_id == meeting_id)))
        if meeting.agenda_ready_at is not None or meeting.requested_at is None:
            return False
        if now < meeting.report_deadline and any(i.reported_at is None for i in items):
            return False
        for item in items:
            if item.reported_at is None:
                item.status = "niet-gerapporteerd"
        meeting.agenda_ready_at = now
    log.info("meeting %s: agenda ready", meeting_id)
    return True


def _meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"overleg {meeting_id} bestaat niet")
    return meeting


def coming_bilateral(session: Session, now: datetime) -> list[Meeting]:
    return list(session.scalars(select(Meeting).where(
        Meeting.kind == "bilateraal", Meeting.cancelled_at.is_(None), Meeting.held_at > now)
        .order_by(Meeting.held_at)))


def local_day(meeting: Meeting) -> str:
    return to_local(meeting.held_at, meeting.zone).date().isoformat()
