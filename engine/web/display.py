"""How moments and durations read in Dutch, in the procedure's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask

from engine.gros.groups import group_name
from engine.local_time import ZONE, date_text, moment_text


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(datum=date_text, tijdstip=moment_text, duur=duration_text, iso=iso_text,
                                 getal=number_text, groepnaam=group_name, veldnaam=label_text)


def iso_text(moment: datetime | None) -> str:
    return moment.astimezone(ZONE).isoformat(timespec="minutes") if moment else ""


def duration_text(delta: timedelta) -> str:
    """'3 dagen', '1 uur', '12 minuten': the largest whole unit, as people say it."""
    seconds = max(int(delta.total_seconds()), 0)
    for size, one, many in ((86400, "dag", "dagen"), (3600, "uur", "uur"), (60, "minuut", "minuten")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {one if count == 1 else many}"
    return "net"


def number_text(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def label_text(label: str) -> str:
    """A label before its value: 'Titel:', but a question keeps its own mark ('Selecteren?')."""
    return label if label.rstrip().endswith(("?", ":")) else f"{label}:"
