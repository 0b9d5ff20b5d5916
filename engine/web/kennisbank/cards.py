"""A kennisbank card as the pages show it: the derived row's card read with the forms' labels, the
meetings the dossier passed, its precedents both ways and the loketten of its theme."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import Row, select

from engine.errors import NotFound
from engine.gros.kennisbank import ENTRIES, SIDES, records
from engine.gros.kennisbank.records import Precedents
from engine.gros.kennisbank.words import Segment, excerpt, marked
from engine.gros.models import KennisLoket, Meeting, MeetingItem
from engine.services import Engine
from engine.web.inbox.context import Labels
from engine.web.inbox.queries import phases

SIDE_NAMES = {"NL": "Nederland", "VL": "Vlaanderen", "BE": "Belgische federale overheid"}
VARIABLES = {"theme": "thema", "outcome": "uitkomst", "solution": "oplossingsperspectief",
             "cause_kind": "oorzaak_aard"}


class Vocabulary:
    """Labels for the values a card holds: themes, outcomes, solution kinds, decisions, phases, sides."""

    def __init__(self, engine: Engine) -> None:
        self.labels = Labels(engine.repository.deployed_forms())
        self.phases = phases(engine)
        self.sides = {side: SIDE_NAMES[side] for side in SIDES}

    def of(self, what: str, value: str | None) -> str:
        """``value`` of the card field ``what`` (theme, outcome, …) as the form shows it."""
        return self.labels.text(VARIABLES.get(what, what), value) if value else "—"

    def field(self, variable: str) -> str:
        return self.labels.label(variable)

    def options(self, what: str) -> dict[str, str]:
        return self.labels.options.get(VARIABLES[what], {})

    def phase(self, phase: str | None) -> str:
        return "Afgerond" if phase is None else self.phases.get(phase, phase)


@dataclass(frozen=True)
class Card:
    entry: Row
    precedents: Precedents
    loketten: list[KennisLoket]
    meetings: list[tuple[Meeting, MeetingItem]]


def card(engine: Engine, instance_id: str) -> Card:
    entry = records.entry(engine, instance_id)
    if entry is None:
        raise NotFound("dit dossier staat niet in de kennisbank")
    with engine.db.reading() as session:
        passed = (select(Meeting, MeetingItem).join(MeetingItem, MeetingItem.meeting_id == Meeting.id)
                  .where(MeetingItem.instance_id == instance_id).order_by(Meeting.held_at))
        meetings = [(meeting, item) for meeting, item in session.execute(passed)]
    return Card(entry, records.precedents(engine, instance_id), records.loketten_for(engine, entry.theme), meetings)


def choices(engine: Engine) -> dict[str, list[int]]:
    """What the filters offer that no form lists: the years dossiers started in."""
    with engine.db.reading() as session:
        return {"years": list(session.scalars(select(ENTRIES.c.year).distinct().order_by(ENTRIES.c.year.desc())))}


def marked_html(text: str, terms: set[str], width: int | None = 240) -> Markup:
    """``text`` (an excerpt when ``width`` is given) with the words that match the search in <mark>."""
    pieces: list[Segment] = excerpt(text, terms, width) if width else marked(text, terms)
    return Markup("").join(Markup("<mark>{}</mark>").format(piece) if hit else escape(piece) for piece, hit in pieces)
