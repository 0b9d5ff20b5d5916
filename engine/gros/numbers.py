"""Business keys: GROS-<jaar>-<volgnummer> for dossiers and TOETS-<jaar>-<volgnummer> for
grenseffectentoetsen, drawn from a locked counter per year inside the command that starts the instance
(issue 13: max+1 without a lock gave duplicates under concurrent intake)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.timers import BUSINESS_ZONE
from engine.services.counters import next_value
from engine.store.models import ProcessInstance


def dossier_number(session: Session, now: datetime) -> str:
    """The next dossier number of this year: above the counter and above any number given by hand."""
    return _next_number(session, now, "GROS")


def toets_number(session: Session, now: datetime) -> str:
    """The next grenseffectentoets number of this year."""
    return _next_number(session, now, "TOETS")


def _next_number(session: Session, now: datetime, kind: str) -> str:
    prefix = f"{kind}-{now.astimezone(BUSINESS_ZONE).year}-"
    return f"{prefix}{next_value(session, prefix, lambda s: _highest(s, prefix)):03d}"


def _highest(session: Session, prefix: str) -> int:
    keys = session.scalars(select(ProcessInstance.business_key).where(ProcessInstance.business_key.like(f"{prefix}%")))
    numbers = (key[len(prefix):] for key in keys)
    return max((int(n) for n in numbers if n.isascii() and n.isdigit()), default=0)
