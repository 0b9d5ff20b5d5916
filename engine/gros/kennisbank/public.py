"""The openbare kennisbank (seed § 4.6: obstacles and their solutions available and accessible): only the
summaries the secretariaat published, and of each only the fields below — never the reporter, the
description, the decisions' reasons or anything else of the dossier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.gros.kennisbank import ENTRIES
from engine.gros.kennisbank.records import PUBLISHED
from engine.services import Engine

FIELDS = ("business_key", "title", "theme", "solution", "outcome", "outcome_reason", "lessons", "year", "published_at")


@dataclass(frozen=True)
class PublicSummary:
    business_key: str | None
    title: str
    theme: str | None
    solution: str | None
    outcome: str | None
    outcome_reason: str
    lessons: str
    year: int
    published_at: datetime

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in FIELDS}


def published(engine: Engine, limit: int | None = None) -> list[PublicSummary]:
    """The published summaries, newest publication first."""
    statement = (select(ENTRIES.c.business_key, ENTRIES.c.title, ENTRIES.c.theme, ENTRIES.c.solution,
                        ENTRIES.c.outcome, ENTRIES.c.card, ENTRIES.c.year, PUBLISHED.c.published_at)
                 .join(PUBLISHED, PUBLISHED.c.instance_id == ENTRIES.c.instance_id)
                 .order_by(PUBLISHED.c.published_at.desc(), ENTRIES.c.id.desc()).limit(limit))
    with engine.db.reading() as session:
        return [PublicSummary(row.business_key, row.title, row.theme, row.solution, row.outcome,
                              row.card.get("outcome_reason", ""), row.card.get("lessons", ""), row.year,
                              row.published_at) for row in session.execute(statement)]
