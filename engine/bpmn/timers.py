"""Timer event definitions that read the engine's clock and accept Camunda's literal ISO 8601.

SpiffWorkflow's timers call ``datetime.now()`` themselves, evaluate the timer text as a Python
expression (so ``P14D``, what Camunda Modeler writes, fails) and repeat cycles by a fixed number of
seconds (so ``R/P6M`` drifts off the calendar). These subclasses take the time from a context
variable the engine sets for each command, read literals as literals, and do calendar arithmetic
on the wall clock of the business time zone (Europe/Brussels by default), so DST does not move a
deadline's hour.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

BUSINESS_ZONE = ZoneInfo(os.environ.get("GROS_TIMEZONE", "Europe/Brussels"))
_now: ContextVar[datetime | None] = ContextVar("gros_now", default=None)
_LITERAL = re.compile(r"^\s*(R\d*/|P|\d{4}-\d{2}-\d{2})", re.IGNORECASE)


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    token = _now.set(moment)
    try:
        yield
    finally:
        _now.reset(token)


def now() -> datetime:
    return _now.get() or datetime.now(UTC)


def timer_text_is_literal(text: str) -> bool:
    return bool(_LITERAL.match(text))


def timer_text(my_task, expression: str) -> str:
    """The ISO 8601 text of a timer: a literal as written, else the value of its expression."""
    if timer_text_is_literal(expression):
        return expression.strip()
    value = my_task.workflow.script_engine.evaluate(my_task, expression)
    return value.isoformat() if isinstance(value, datetime) else str(value).strip()


def instant(text: str) -> datetime:
    """An ISO 8601 date-time; without an offset it is read in the business time zone."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BUSINESS_ZONE)
    return moment.astimezone(UTC)


def deadline(text: str) -> datetime:
    """A due date as people write it: a date alone means the end of that day in the business zone."""
    text = text.strip()
    if len(text) == 10:
        return instant(f"{text}T23:59:59")
    return instant(text)


def add_duration(start: datetime, text: str) -> datetime:
    """``start`` plus an ISO 8601 duration: years, months, weeks and days on the business wall clock
    (a P1D deadline keeps its hour across DST), hours/minutes/seconds as elapsed time."""
    parsed = TimerEventDefinition.parse_iso_duration(text.strip())
    local = start.astimezone(BUSINESS_ZONE).replace(tzinfo=None)
    months = parsed.pop("years", 0) * 12 + parsed.pop("months", 0)
    local = _add_months(local, int(months))
    local += timedelta(weeks=parsed.pop("weeks", 0), days=parsed.pop("days", 0))
    wall = local.replace(tzinfo=BUSINESS_ZONE).astimezone(UTC)
    return wall + timedelta(**parsed)


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    days_in_month = (datetime(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, days_in_month))


def parse_cycle(text: str, start: datetime) -> tuple[int, datetime, str]:
    """(repetitions or -1 for ever, first due time, period) of ``R[n]/[start/]period``."""
    parts = text.strip().upper().lstrip("R").split("/")
    cycles = int(parts[0]) if parts[0] else -1
    if len(parts) == 2:
        return cycles, add_duration(start, parts[1]), parts[1]
    if len(parts) == 3 and parts[2].startswith("P"):
        return cycles, instant(parts[1]), parts[2]
    raise ValueError(f"timercyclus '{text}' wordt niet ondersteund (gebruik R[n]/periode of R[n]/begin/periode)")


def check_timer(kind: str, text: str) -> None:
    """Raise ValueError naming what is wrong with a literal timer text."""
    try:
        if kind == "timeCycle":
            parse_cycle(text, datetime.now(UTC))
        elif kind == "timeDuration":
            add_duration(datetime.now(UTC), text)
        else:
            instant(text)
    except ValueError:
        raise
    except Exception as error:  # Spiff's duration parser raises a bare Exception('Invalid duration')
        raise ValueError(str(error)) from error


def first_due(kind: str, text: str, start: datetime) -> tuple[datetime, int | None]:
    """When a timer written as ``text`` first fires if armed at ``start`` (and its repetitions)."""
    if kind == "timeDate":
        return instant(text), None
    if kind == "timeDuration":
        return add_duration(start, text), None
    cycles, due, _ = parse_cycle(text, start)
    return due, cycles


class GrosTimeDate(TimeDateEventDefinition):
    def has_fired(self, my_task) -> bool:
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = instant(timer_text(my_task, self.expression)).isoformat()
            my_task._set_internal_data(event_value=value)
        if datetime.fromisoformat(value) <= now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class GrosDuration(DurationTimerEventDefinition):
    def has_fired(self, my_task) -> bool:
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = add_duration(now(), timer_text(my_task, self.expression)).isoformat()
            my_task._set_internal_data(event_value=value)
        if datetime.fromisoformat(value) <= now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class GrosCycle(CycleTimerEventDefinition):
    def cycle_complete(self, my_task) -> bool:
        value = my_task._get_internal_data("event_value")
        if value is None:
            cycles, first, period = parse_cycle(timer_text(my_task, self.expression), now())
            value = {"cycles": cycles, "next": first.isoformat(), "period": period}
        ready = False
        if value["cycles"] != 0:
            due = datetime.fromisoformat(value["next"])
            if due <= now():
                value["next"] = add_duration(due, value["period"]).isoformat()
                value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=value)
        return ready


TIMER_CLASSES = {
    TimeDateEventDefinition: GrosTimeDate,
    DurationTimerEventDefinition: GrosDuration,
    CycleTimerEventDefinition: GrosCycle,
}


def engine_timer(definition: TimerEventDefinition) -> TimerEventDefinition:
    """The clock-aware equivalent of a timer definition Spiff's parser built."""
    cls = TIMER_CLASSES[type(definition)]
    return cls(definition.name, definition.expression, description=definition.description)
