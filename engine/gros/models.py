"""Tables of the GROS domain beside the engine's: the meeting calendar with its agendas, the stall
radar's flags, each dossier at a glance (phase, theme, outcome) with its phase visits, and the kennisbank:
each dossier's card and search text, precedent links, loketten and public summaries. All times UTC."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base


class Meeting(Base):
    """A half-yearly bilateral meeting or a Vlaams-Nederlandse Top, as the secretariaat planned it."""

    __tablename__ = "meeting"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # bilateraal | top
    title: Mapped[str] = mapped_column(String(300))
    held_at: Mapped[datetime] = mapped_column(index=True)
    zone: Mapped[str] = mapped_column(String(40))  # where the date was entered, for showing it back
    lead_time: Mapped[str] = mapped_column(String(20))  # ISO 8601 duration before held_at
    request_at: Mapped[datetime] = mapped_column(index=True)
    report_deadline: Mapped[datetime]
    requested_at: Mapped[datetime | None]
    agenda_ready_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cycle_instance_id: Mapped[str | None] = mapped_column(String(36))  # processen/gros-overlegcyclus.bpmn
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class MeetingItem(Base):
    """One dossier on a meeting's agenda: a new proposal for agendering (kind ``agendering``: voorgesteld,
    then geagendeerd or niet-geagendeerd) or an agendered dossier's progress (kind ``voortgang``: asked
    for its report, reported or not, the civil-service proposal, judged)."""

    __tablename__ = "meeting_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    instance_id: Mapped[str] = mapped_column(String(36), index=True)
    business_key: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20), default="voortgang", server_default="voortgang")
    status: Mapped[str] = mapped_column(String(20))  # gevraagd | gerapporteerd | niet-gerapporteerd | beoordeeld
    requested_at: Mapped[datetime]
    reported_at: Mapped[datetime | None]
    report: Mapped[dict | None]
    judged_at: Mapped[datetime | None]
    proposal: Mapped[dict | None]  # the civil-service border meeting's proposed judgement (§ 5.3.3)
    judgement: Mapped[dict | None]
    __table_args__ = (UniqueConstraint("meeting_id", "instance_id"),)


class ParliamentReport(Base):
    """The progress report to the Tweede Kamer and the Vlaams Parlement prepared for one Top (§ 6.2.2,
    processen/gros-parlementsrapport.bpmn): its period, each side's approval, and the PDF rendered once on
    approval and kept unchanged."""

    __tablename__ = "parliament_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"), unique=True)
    instance_id: Mapped[str] = mapped_column(String(36), unique=True)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    approved_nl_by: Mapped[str | None] = mapped_column(String(100))
    approved_vl_by: Mapped[str | None] = mapped_column(String(100))
    refusal: Mapped[str | None] = mapped_column(Text)  # the latest "nee" with its reason, for the secretariaat
    approved_at: Mapped[datetime | None]
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    sent_at: Mapped[datetime | None]


class Notice(Base):
    """A "ter informatie" notice for a group: the region hears back after selection, agendering and each
    meeting judgement (§ 5.2.5). It blocks nothing; each member dismisses it for themselves."""

    __tablename__ = "notice"
    id: Mapped[int] = mapped_column(primary_key=True)
    group: Mapped[str] = mapped_column(String(100), index=True)
    instance_id: Mapped[str] = mapped_column(String(36))
    business_key: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))  # selectie | agendering | overleg
    text: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(index=True)


class NoticeDismissal(Base):
    __tablename__ = "notice_dismissal"
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    dismissed_at: Mapped[datetime]


class StallFlag(Base):
    """A dossier the radar sees stalling: no task completed for too long, or a task past its due date."""

    __tablename__ = "stall_flag"
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"),
                                             primary_key=True)
    reason: Mapped[str] = mapped_column(String(30), primary_key=True)  # geen-voortgang | taak-over-termijn
    since: Mapped[datetime]
    business_key: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(500))
    side: Mapped[str | None] = mapped_column(String(10))  # NL | VL | BE | NL+VL ...
    waiting_on: Mapped[list]  # candidate groups, or the elements it waits at
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(300))
    flagged_at: Mapped[datetime]
    __table_args__ = (Index("ix_stall_flag_since", "reason", "since"),)


class InstanceSummary(Base):
    """An instance at a glance, for overviews and counts over many: the (called) process it is in and
    since when, and a few headline variables to filter on. Kept when the instance completes."""

    __tablename__ = "instance_summary"
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    phase: Mapped[str | None] = mapped_column(String(200))  # None once completed
    phase_since: Mapped[datetime]
    theme: Mapped[str | None] = mapped_column(String(200), index=True)
    outcome: Mapped[str | None] = mapped_column(String(200))
    agendered: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (Index("ix_instance_summary_phase", "phase", "phase_since"),
                      Index("ix_instance_summary_phase_since", "phase_since"))


class PhaseVisit(Base):
    """One stay of an instance in a phase (see InstanceSummary): lead times and "how many were where, when"."""

    __tablename__ = "phase_visit"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(String(200))
    entered_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    __table_args__ = (Index("ix_phase_visit_phase", "phase", "entered_at"),)


class KennisEntry(Base):
    """One dossier in the kennisbank: its card and the text searched, rewritten by every command that saves
    it (engine/gros/kennisbank). The full-text index beside it: on PostgreSQL the generated ``search``
    tsvector (dutch) with a GIN index, on SQLite the FTS5 table ``kennis_fts`` (rowid = id) holding the same
    text stemmed in Python — both created by migration 0050_kennisbank."""

    __tablename__ = "kennis_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), unique=True)
    business_key: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    theme: Mapped[str | None] = mapped_column(String(200), index=True)
    outcome: Mapped[str | None] = mapped_column(String(200), index=True)
    phase: Mapped[str | None] = mapped_column(String(200))  # None once ended
    sides: Mapped[str] = mapped_column(String(40))  # "|NL|VL|": the sides whose rules or decisions it names
    year: Mapped[int] = mapped_column(Integer, index=True)
    solution: Mapped[str | None] = mapped_column(String(100))
    rules: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    card: Mapped[dict]
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    __table_args__ = (Index("ix_kennis_entry_recent", "updated_at", "id"),)


class KennisPrecedent(Base):
    """An official marked ``precedent_id`` as a precedent for ``instance_id``."""

    __tablename__ = "kennis_precedent"
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    precedent_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"),
                                              primary_key=True, index=True)
    marked_by: Mapped[str] = mapped_column(String(100))
    marked_at: Mapped[datetime]


class KennisLoket(Base):
    """An existing knowledge point (grensinfopunt, Benelux framework agreement, ITEM, …) for one theme, or
    for every theme when ``theme`` is None; the secretariaat keeps the list."""

    __tablename__ = "kennis_loket"
    id: Mapped[int] = mapped_column(primary_key=True)
    theme: Mapped[str | None] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]


class KennisPublicatie(Base):
    """The secretariaat made this dossier's summary public (the openbare kennisbank)."""

    __tablename__ = "kennis_publicatie"
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    published_at: Mapped[datetime] = mapped_column(index=True)
    published_by: Mapped[str] = mapped_column(String(100))


class NotificationChoice(Base):
    """How one person wants to hear of one kind of news: direct, dagelijks (a digest) or geen."""

    __tablename__ = "notification_choice"
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    mode: Mapped[str] = mapped_column(String(20))


class DeadlineReminder(Base):
    """A task's deadline that was announced by mail: one reminder per deadline, never a repeat."""

    __tablename__ = "deadline_reminder"
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(primary_key=True)
    reminded_at: Mapped[datetime]


class MailOutbox(Base):
    """A mail to send, written in the command's transaction; the scheduler sends it, retrying until it goes.
    A digest row waits until its day's digest goes out together with the others of the same person."""

    __tablename__ = "mail_outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    send_after: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (Index("ix_mail_outbox_due", "sent_at", "send_after"),)


class GrenseffectToets(Base):
    """One grenseffectentoets (§ 4.2.2) at a glance, kept by every command that saves it
    (engine/gros/toetsen.py): who submitted and who assesses, the deadline and which sides were late, the
    conclusion, and the GROS-dossier it became — the link both pages show."""

    __tablename__ = "grenseffect_toets"
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), primary_key=True)
    business_key: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(500))
    side: Mapped[str | None] = mapped_column(String(10), index=True)  # NL | VL: the side that submitted
    assessors: Mapped[str] = mapped_column(String(20))  # e.g. "VL" or "VL+BE"
    theme: Mapped[str | None] = mapped_column(String(200))
    planned_on: Mapped[str | None] = mapped_column(String(10))  # ISO date
    deadline: Mapped[datetime | None]
    late: Mapped[str | None] = mapped_column(String(20))  # the assessing sides past the deadline, "VL+BE"
    conclusion: Mapped[str | None] = mapped_column(String(40), index=True)
    concluded_at: Mapped[datetime | None]
    dossier_instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    dossier_business_key: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(index=True)


class SchakelLid(Base):
    """One membership of a bestuurlijke schakel (seed § 4.4): the working group of one agendered dossier, or
    of the approach as a whole when ``instance_id`` is None. A membership that ended keeps its row
    (``removed_at``), so the page shows who sat in the group and when; the audit holds each change too."""

    __tablename__ = "schakel_lid"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    role: Mapped[str] = mapped_column(String(30))  # covoorzitter-nl | covoorzitter-vl | lid
    organisation: Mapped[str] = mapped_column(String(200))  # department, federal service, region
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime]
    removed_by: Mapped[str | None] = mapped_column(String(100))
    removed_at: Mapped[datetime | None]


class Consultatie(Base):
    """A schakel asks stakeholders outside government a question during uitwerking (seed § 5.1, § 5.3.2)."""

    __tablename__ = "consultatie"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(Text)
    documents: Mapped[list]  # links (https://…)
    deadline: Mapped[datetime]
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime]
    closed_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None]


class ConsultatieUitnodiging(Base):
    """One invited stakeholder: their personal link is a random token of which only the SHA-256 is kept;
    it works once (``answered_at``) and until the consultation's deadline."""

    __tablename__ = "consultatie_uitnodiging"
    id: Mapped[int] = mapped_column(primary_key=True)
    consultatie_id: Mapped[int] = mapped_column(ForeignKey("consultatie.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
