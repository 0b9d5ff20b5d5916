"""Searching the kennisbank: full text with Dutch stemming and ranking (PostgreSQL ``ts_rank_cd`` over the
``dutch`` tsvector, SQLite FTS5 ``bm25`` over the Python-stemmed text), filters, paging; and the precedent
suggestions of § 5.2.2 — the closest other dossiers by text, theme and rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy import Row, and_, column, func, literal_column, select, table
from sqlalchemy.sql import ColumnElement, Select

from engine.errors import InvalidData
from engine.forms import FieldError
from engine.gros.kennisbank import ENTRIES, SIDES
from engine.gros.kennisbank.words import STOPWORDS, WORD, stem, stems
from engine.gros.models import GrenseffectToets
from engine.services import Engine

PAGE_SIZE = 20
ENDED = "afgerond"  # the phase filter's value for dossiers that ended
MAX_QUERY = 200
FTS = table("kennis_fts", column("rowid"))
TSVECTOR = literal_column("kennis_entry.search")
DUTCH = literal_column("'dutch'::regconfig")
CANDIDATES, SUGGESTIONS, SUGGESTION_TERMS, SUGGESTION_WINDOW = 40, 5, 12, 2_000
COUNT_CAP = 1_000


@dataclass(frozen=True)
class Query:
    """A search: words, filters and a page. ``parse`` reads it from request arguments."""

    text: str = ""
    theme: str = ""
    outcome: str = ""
    phase: str = ""
    side: str = ""
    year: int | None = None
    rule: str = ""
    kind: str = ""
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> Query:
        """Raises InvalidData naming each field that is wrong."""
        errors = []
        values = {name: (args.get(key) or "").strip() for name, key in ARGS.items()}
        for name, key in ARGS.items():
            if len(values[name]) > MAX_QUERY:
                errors.append(FieldError(key, LABELS[key], f"gebruik hoogstens {MAX_QUERY} tekens"))
        if values["kind"] and values["kind"] not in KINDS:
            errors.append(FieldError("soort", "Soort", f"kies een van: {', '.join(KINDS)}"))
        if values["side"] and values["side"] not in SIDES:
            errors.append(FieldError("zijde", "Zijde", f"kies een van: {', '.join(SIDES)}"))
        year, page = _number(values.pop("year"), "jaar", errors), _number(values.pop("page"), "pagina", errors)
        if errors:
            raise InvalidData("De zoekvraag is niet geldig.", errors)
        return cls(**values, year=year, page=page or 1)

    @property
    def terms(self) -> set[str]:
        return set(stems(self.text))

    def args(self, **change) -> dict[str, str]:
        """This search as request arguments (for links to other pages), without the empty ones."""
        changed = replace(self, **change)
        return {key: str(getattr(changed, name)) for name, key in ARGS.items()
                if getattr(changed, name) not in ("", None) and not (name == "page" and changed.page == 1)}


ARGS = {"text": "q", "theme": "thema", "outcome": "uitkomst", "phase": "fase", "side": "zijde", "year": "jaar",
        "rule": "regelgeving", "kind": "soort", "page": "pagina"}
LABELS = {"q": "Zoeken", "thema": "Thema", "uitkomst": "Uitkomst", "fase": "Fase", "zijde": "Zijde", "jaar": "Jaar",
          "regelgeving": "Regelgeving", "soort": "Soort", "pagina": "Pagina"}
# Dossiers and grenseffectentoetsen (§ 4.2.2) share the kennisbank; a toets is known by its toets row.
KINDS = {"dossier": "Dossiers", "grenseffectentoets": "Grenseffectentoetsen"}
TOETS_IDS = select(GrenseffectToets.instance_id)


@dataclass
class Results:
    query: Query
    hits: list[Row]  # kennis_entry rows, best first
    total: int  # counted up to COUNT_CAP + 1: more than COUNT_CAP is "more than COUNT_CAP"
    page_size: int = PAGE_SIZE
    terms: set[str] = field(default_factory=set)

    @property
    def more(self) -> bool:
        return self.total > COUNT_CAP

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, COUNT_CAP) // self.page_size))


def search(engine: Engine, query: Query, page_size: int = PAGE_SIZE) -> Results:
    """One page of the dossiers that match ``query``, best match first (newest first without words).
    Ranks every match; fetches the wide rows of the page only; counts up to COUNT_CAP."""
    with engine.db.reading() as session:
        connection = session.connection()
        matching = Matching(connection.dialect.name == "sqlite", query)
        page = matching.ids().limit(page_size).offset((query.page - 1) * page_size)
        ids = list(connection.execute(page).scalars())
        rows = {row.id: row for row in connection.execute(select(ENTRIES).where(ENTRIES.c.id.in_(ids)))}
        counted = matching.ids(ordered=False).limit(COUNT_CAP + 1).subquery()
        total = connection.execute(select(func.count()).select_from(counted)).scalar()
    return Results(query, [rows[i] for i in ids if i in rows], total, page_size, query.terms)


class Matching:
    """The ids of the dossiers a query matches, ranked: SQLite asks FTS5 (``rank`` is bm25 with the column
    weights of migration 0050), PostgreSQL the tsvector's GIN index and ``ts_rank``. The rule filter is a
    full-text match on the rules column (tsvector weight B) on both."""

    def __init__(self, sqlite: bool, query: Query) -> None:
        self.sqlite, self.query = sqlite, query
        self.terms, self.rule_terms = sorted(query.terms), sorted(set(stems(query.rule)))
        self.filters = _filters(query)

    def ids(self, ordered: bool = True) -> Select:
        c = ENTRIES.c
        if not self.terms and not self.rule_terms:
            statement = select(c.id).where(*self.filters)
            return statement.order_by(c.updated_at.desc(), c.id.desc()) if ordered else statement
        if self.sqlite:
            expression = " AND ".join([f'"{t}"' for t in self.terms] + [f'rules : "{t}"' for t in self.rule_terms])
            statement = select(FTS.c.rowid).where(literal_column("kennis_fts").op("MATCH")(expression))
            if self.filters:
                statement = statement.join(ENTRIES, c.id == FTS.c.rowid).where(*self.filters)
            return statement.order_by(literal_column("kennis_fts.rank"), FTS.c.rowid.desc()) if ordered else statement
        words = [w for w in WORD.findall(self.query.text.lower()) if w not in STOPWORDS]
        words += [f"{w}:B" for w in WORD.findall(self.query.rule.lower()) if w not in STOPWORDS]
        tsquery = func.to_tsquery(DUTCH, " & ".join(words))
        statement = select(c.id).where(TSVECTOR.op("@@")(tsquery), *self.filters)
        return statement.order_by(func.ts_rank(TSVECTOR, tsquery).desc(), c.id.desc()) if ordered else statement


@dataclass(frozen=True)
class Suggestion:
    entry: Row
    score: float
    same_theme: bool
    shared_rules: int


def suggestions(engine: Engine, instance_id: str, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """The dossiers closest to this one: any of its telling words (ranked by text), then the same theme and
    shared rules weigh in. The dossier itself is never among them. Text ranks a window of at most
    SUGGESTION_WINDOW dossiers that share a word — every one in a kennisbank of a few thousand."""
    with engine.db.reading() as session:
        connection = session.connection()
        own = connection.execute(select(ENTRIES).where(ENTRIES.c.instance_id == instance_id)).first()
        words = _telling_words(own) if own is not None else []
        if not words:
            return []
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            expression = " OR ".join(f'"{stem(w)}"' for w in words)
            window = select(FTS.c.rowid.label("id"), literal_column("kennis_fts.rank").label("score")).where(
                literal_column("kennis_fts").op("MATCH")(expression), FTS.c.rowid != own.id).limit(
                SUGGESTION_WINDOW).subquery()
            best = select(window.c.id, window.c.score).order_by(window.c.score).limit(CANDIDATES)
        else:
            tsquery = func.to_tsquery(DUTCH, " | ".join(words))
            window = select(ENTRIES.c.id, TSVECTOR.label("search")).where(
                TSVECTOR.op("@@")(tsquery), ENTRIES.c.id != own.id).limit(SUGGESTION_WINDOW).subquery()
            score = func.ts_rank(window.c.search, tsquery)
            best = select(window.c.id, score.label("score")).order_by(score.desc()).limit(CANDIDATES)
        scores = {row.id: abs(row.score) for row in connection.execute(best)}
        rows = list(connection.execute(select(ENTRIES).where(ENTRIES.c.id.in_(scores))))
    if not rows:
        return []
    top = max(scores.values()) or 1.0
    own_rules = _rule_stems(own.rules)
    found = []
    for row in rows:
        shared = len(own_rules & _rule_stems(row.rules))
        same = bool(own.theme) and row.theme == own.theme
        found.append(Suggestion(row, scores[row.id] / top + 0.5 * same + 0.3 * min(shared, 3), same, shared))
    return sorted(found, key=lambda s: (-s.score, s.entry.id))[:limit]


def _telling_words(entry: Row) -> list[str]:
    """The dossier's words a precedent would share: from its title, rules and summary, one per stem."""
    text = " ".join([entry.title, entry.rules, entry.card.get("summary", ""), entry.card.get("cause", "")])
    chosen: dict[str, str] = {}
    for word in WORD.findall(text.lower()):
        if len(word) > 3 and word not in STOPWORDS and not word.isdigit():
            chosen.setdefault(stem(word), word)
    return list(chosen.values())[:SUGGESTION_TERMS]


def _rule_stems(rules: str) -> set[str]:
    return {s for s in stems(rules) if len(s) > 3}


def _filters(query: Query) -> list[ColumnElement]:
    c = ENTRIES.c
    conditions = []
    if query.theme:
        conditions.append(c.theme == query.theme)
    if query.outcome:
        conditions.append(c.outcome == query.outcome)
    if query.phase:
        conditions.append(c.phase.is_(None) if query.phase == ENDED else c.phase == query.phase)
    if query.side:
        conditions.append(c.sides.contains(f"|{query.side}|"))
    if query.year:
        conditions.append(c.year == query.year)
    if query.kind:
        toets = c.instance_id.in_(TOETS_IDS)
        conditions.append(toets if query.kind == "grenseffectentoets" else ~toets)
    return [and_(*conditions)] if conditions else []


def _number(value: str, key: str, errors: list) -> int | None:
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 10**6:  # '²' is a digit to isdigit()
        errors.append(FieldError(key, LABELS[key], "vul een positief geheel getal in"))
        return None
    return int(value)

