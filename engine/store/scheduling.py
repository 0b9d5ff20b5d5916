"""Tables of the scheduler's own work: the meeting calendar with its agendas, the stall radar's
flags and the scheduler nodes' heartbeats. All times UTC."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
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
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class MeetingItem(Base):
    """One agendered dossier of a meeting: asked for its report, reported (or not), judged."""

    __tablename__ = "meeting_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    instance_id: Mapped[str] = mapped_column(String(36), index=True)
    business_key: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20))  # gevraagd | gerapporteerd | niet-gerapporteerd | beoordeeld
    requested_at: Mapped[datetime]
    reported_at: Mapped[datetime | None]
    report: Mapped[dict | None]
    judged_at: Mapped[datetime | None]
    judgement: Mapped[dict | None]
    __table_args__ = (UniqueConstraint("meeting_id", "instance_id"),)


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


class SchedulerNode(Base):
    """A running scheduler: its heartbeat tells health checks and the monitor it is alive."""

    __tablename__ = "scheduler_node"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime] = mapped_column(index=True)
    fired: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
