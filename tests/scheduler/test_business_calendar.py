"""Local dates in Brussels and Amsterdam across DST; everything stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.errors import InvalidData
from engine.gros import meetings
from engine.gros.business_calendar import shift, to_local, to_utc
from engine.services import Actor

SECRETARIAAT = Actor.of("sofie", ["secretariaat"])


@pytest.mark.parametrize("zone", ["Europe/Brussels", "Europe/Amsterdam"])
def test_six_weeks_before_a_summer_meeting_keeps_the_local_hour_across_the_dst_change(zone):
    held = to_utc(datetime(2027, 4, 15, 10, 0), zone)  # CEST, UTC+2
    asked = shift(held, "P6W", zone, before=True)  # 4 March, CET, UTC+1
    assert held == datetime(2027, 4, 15, 8, 0, tzinfo=UTC)
    assert asked == datetime(2027, 3, 4, 9, 0, tzinfo=UTC)
    assert to_local(asked, zone).hour == 10


def test_the_skipped_spring_hour_is_refused_and_the_repeated_autumn_hour_means_the_first():
    with pytest.raises(ValueError, match="bestaat niet"):
        to_utc(datetime(2027, 3, 28, 2, 30), "Europe/Brussels")
    assert to_utc(datetime(2027, 10, 31, 2, 30), "Europe/Amsterdam") == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_months_end_on_the_last_day_and_hours_are_elapsed_time():
    assert to_local(shift(to_utc(datetime(2027, 1, 31, 9, 0)), "P1M")).date().isoformat() == "2027-02-28"
    night = to_utc(datetime(2027, 3, 28, 1, 0))
    assert shift(night, "PT2H") - night == shift(night, "PT2H", before=False) - night
    assert to_local(shift(night, "PT2H")).hour == 4  # two real hours over the spring change


def test_a_meeting_is_stored_in_utc_and_refuses_a_nonexistent_local_time(engine):
    meeting = meetings.plan(engine, "bilateraal", datetime(2027, 10, 14, 10, 0), SECRETARIAAT)
    assert meeting.held_at == datetime(2027, 10, 14, 8, 0, tzinfo=UTC)
    [stored] = meetings.calendar(engine)
    assert stored.held_at == meeting.held_at and stored.held_at.tzinfo == UTC
    with pytest.raises(InvalidData):
        meetings.plan(engine, "bilateraal", datetime(2027, 3, 28, 2, 30), SECRETARIAAT)
    with pytest.raises(InvalidData):
        meetings.plan(engine, "bilateraal", datetime(2027, 10, 14, 10, 0), SECRETARIAAT, report_before="P7W")
