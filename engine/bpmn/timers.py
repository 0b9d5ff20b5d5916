"""Timer event definitions that read the engine's clock and accept Camunda's literal ISO 8601.

SpiffWorkflow's timers call ``datetime.now()`` themselves and evaluate the timer text as a Python
expression, so ``P14D`` (what Camunda Modeler writes) fails. These subclasses take the time from a
context variable the engine sets for each command, and read literals as literals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

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


def timer_text(my_task, expression: str) -> str:
    """The ISO 8601 text of a timer: a literal as written, else the value of its expression."""
    if timer_text_is_literal(expression):
        return expression.strip()
    return str(my_task.workflow.script_engine.evaluate(my_task, expression)).strip()


def parse_cycle(text: str, start: datetime) -> tuple[int, datetime, timedelta]:
    """(repetitions or -1, first due time, interval) of ``R[n]/[start/]duration``."""
    parts = text.upper().strip("R").split("/")
    cycles = int(parts[0]) if parts[0] else -1
    if len(parts) == 2:
        delta = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(parts[1]), start
        )
        return cycles, start + delta, delta
    return TimerEventDefinition.parse_iso_recurring_interval(text)


def due_of_duration(text: str, start: datetime) -> datetime:
    parsed = TimerEventDefinition.parse_iso_duration(text)
    return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)


class GrosTimeDate(TimeDateEventDefinition):
    def has_fired(self, my_task) -> bool:
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = TimerEventDefinition.get_datetime(timer_text(my_task, self.expression)).isoformat()
            my_task._set_internal_data(event_value=value)
        if datetime.fromisoformat(value) <= now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class GrosDuration(DurationTimerEventDefinition):
    def has_fired(self, my_task) -> bool:
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = due_of_duration(timer_text(my_task, self.expression), now()).isoformat()
            my_task._set_internal_data(event_value=value)
        if datetime.fromisoformat(value) <= now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class GrosCycle(CycleTimerEventDefinition):
    def cycle_complete(self, my_task) -> bool:
        value = my_task._get_internal_data("event_value")
        if value is None:
            cycles, first, delta = parse_cycle(timer_text(my_task, self.expression), now())
            value = {"cycles": cycles, "next": first.isoformat(), "duration": delta.total_seconds()}
        ready = False
        if value["cycles"] != 0:
            due = datetime.fromisoformat(value["next"])
            if due <= now():
                value["next"] = (due + timedelta(seconds=value["duration"])).isoformat()
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


def timer_text_is_literal(text: str) -> bool:
    return bool(_LITERAL.match(text))
