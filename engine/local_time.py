"""Moments as people in the procedure read them: in the business time zone, one format everywhere
('21 jan 2027', '21 jan 2027 17:29') — the web pages and the engine's own messages alike."""

from __future__ import annotations

from datetime import date, datetime

from engine.bpmn.timers import BUSINESS_ZONE as ZONE

MONTHS = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def date_text(moment: date | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(ZONE) if isinstance(moment, datetime) else moment
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


def moment_text(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return f"{date_text(moment)} {moment.astimezone(ZONE):%H:%M}"
