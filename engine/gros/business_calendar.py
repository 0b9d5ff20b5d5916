"""Dates as the two sides live them: Europe/Brussels (Flanders) and Europe/Amsterdam (the Netherlands).

People enter and read local wall-clock times; everything stored is UTC. Calendar arithmetic ("six
weeks before the meeting") happens on the local wall clock, so a 10:00 meeting is asked for at 10:00
local time even when a DST change lies in between.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from engine.local_time import date_text

ZONES = {"VL": "Europe/Brussels", "NL": "Europe/Amsterdam"}
DEFAULT_ZONE = ZONES["VL"]
_DURATION = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def to_utc(local: datetime, zone: str = DEFAULT_ZONE) -> datetime:
    """A wall-clock time in ``zone`` as UTC. A time that does not exist there (the hour skipped when
    summer time starts) is refused; in the repeated autumn hour the first occurrence is meant."""
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    tz = ZoneInfo(zone)
    aware = local.replace(tzinfo=tz, fold=0)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        raise ValueError(f"{date_text(local.date())} {local:%H:%M} bestaat niet in {zone} "
                         "(de klok gaat dan een uur vooruit)")
    return aware.astimezone(UTC)


def to_local(moment: datetime, zone: str = DEFAULT_ZONE) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def shift(moment: datetime, duration: str, zone: str = DEFAULT_ZONE, before: bool = False) -> datetime:
    """``moment`` plus (or minus) an ISO 8601 duration: years, months, weeks and days on the wall clock
    of ``zone``, hours and smaller as elapsed time."""
    parts = _parse(duration)
    sign = -1 if before else 1
    local = to_local(moment, zone).replace(tzinfo=None)
    local = _add_months(local, sign * (parts["years"] * 12 + parts["months"]))
    local += sign * timedelta(weeks=parts["weeks"], days=parts["days"])
    wall = local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)
    return wall + sign * timedelta(hours=parts["hours"], minutes=parts["minutes"], seconds=parts["seconds"])


def _parse(duration: str) -> dict[str, int]:
    match = _DURATION.match(duration.strip().upper())
    if not match or duration.strip().upper() in ("P", "PT"):
        raise ValueError(f"'{duration}' is geen ISO 8601-duur zoals P6W of P14D")
    return {name: int(value or 0) for name, value in match.groupdict().items()}


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    next_month = datetime(year + month // 12, month % 12 + 1, 1)
    return moment.replace(year=year, month=month, day=min(moment.day, (next_month - timedelta(days=1)).day))
