"""Camunda 7's ``historyTimeToLive``: how long an ended instance's history stays. Camunda writes it as a
number of days ("180") or an ISO 8601 duration ("P180D"); the removal time is the end time plus that."""

from __future__ import annotations

from datetime import datetime

from engine.bpmn.timers import add_duration, check_timer


def removal_time(ended_at: datetime, time_to_live: str | None) -> datetime | None:
    """When the history of an instance that ended at ``ended_at`` may go; None keeps it for ever
    (no time to live, or one that is not a duration — the deploy check reports those)."""
    text = (time_to_live or "").strip()
    if not text:
        return None
    duration = f"P{int(text)}D" if text.isdigit() else text
    try:
        check_timer("timeDuration", duration)
    except ValueError:
        return None
    return add_duration(ended_at, duration)
