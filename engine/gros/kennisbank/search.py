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
from engine.services import Engine

PAGE_SIZE = 20
ENDED = "afgerond"  # the phase filter's value for dossiers that ended
MAX_QUERY = 200
FTS = table("kennis_fts", column("rowid"))
TSVECTOR = literal_column("kennis_entry.search")
DUTCH = literal_column("'dutch'::regconfig")
# bm25 weights of the FTS5 columns title, rules, body — as the tsvector's A, B and D weights.
BM25 = literal_column("bm25(kennis_fts, 10.0, 4.0, 1.0)")
CANDIDATES, SUGGESTIONS, SUGGESTION_TERMS = 40, 5, 12


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
    page: int = 1

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> Query:
        """Raises InvalidData naming each field that is wrong."""
        errors = []
        values = {name: (args.get(key) or "").strip() for name, key in ARGS.items()}
        for name, key in ARGS.items():
            if len(values[name]) > MAX_QUERY:
                errors.append(FieldError(key, LABELS[key], f"gebruik hoogstens {MAX_QUERY} tekens"))
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
        "rule": "regelgeving", "page": "pagina"}
LABELS = {"q": "Zoeken", "thema": "Thema", "uitkomst": "Uitkomst", "fase": "Fase", "zijde": "Zijde", "jaar": "Jaar",
          "regelgeving": "Regelgeving", "pagina": "Pagina"}


@dataclass
class Results:
    query: Query
    hits: list[Row]  # kennis_entry rows, best first
    total: int
    page_size: int = PAGE_SIZE
    terms: set[str] = field(default_factory=set)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def search(engine: Engine, query: Query, page_size: int = PAGE_SIZE) -> Results:
    """One page of the dossiers that match ``query``, best match first (newest first without words)."""
    terms = query.terms
    with engine.db.reading() as session:
        connection = session.connection()
        sqlite = connection.dialect.name == "sqlite"
        match, score = _matching(sqlite, query.text, terms, " AND ") if terms else (None, None)
        conditions = _filters(query) + ([match] if match is not None else [])
        rows = _from(select(ENTRIES), sqlite, bool(terms)).where(*conditions)
        order = ([score.asc() if sqlite else score.desc()] if terms else []) + [ENTRIES.c.updated_at.desc(),
                                                                              ENTRIES.c.id.desc()]
        hits = list(connection.execute(rows.order_by(*order).limit(page_size)
                                       .offset((query.page - 1) * page_size)))
        total = connection.execute(_from(select(func.count()), sqlite, bool(terms)).where(*conditions)).scalar()
    return Results(query, hits, total, page_size, terms)


@dataclass(frozen=True)
class Suggestion:
    entry: Row
    score: float
    same_theme: bool
    shared_rules: int


def suggestions(engine: Engine, instance_id: str, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """The dossiers closest to this one: any of its telling words (ranked), then the same theme and shared
    rules weigh in. The dossier itself is never among them."""
    with engine.db.reading() as session:
        connection = session.connection()
        own = connection.execute(select(ENTRIES).where(ENTRIES.c.instance_id == instance_id)).first()
        if own is None:
            return []
        words = _telling_words(own)
        if not words:
            return []
        sqlite = connection.dialect.name == "sqlite"
        match, score = _matching(sqlite, " | ".join(words), {stem(w) for w in words}, " OR ", any_word=True)
        rows = connection.execute(_from(select(ENTRIES, score.label("score")), sqlite, True)
                                  .where(match, ENTRIES.c.id != own.id)
                                  .order_by(score.asc() if sqlite else score.desc()).limit(CANDIDATES)).all()
    if not rows:
        return []
    best = max(abs(row.score) for row in rows) or 1.0
    own_rules = _rule_stems(own.rules)
    found = []
    for row in rows:
        shared = len(own_rules & _rule_stems(row.rules))
        same = bool(own.theme) and row.theme == own.theme
        found.append(Suggestion(row, abs(row.score) / best + 0.5 * same + 0.3 * min(shared, 3), same, shared))
    return sorted(found, key=lambda s: -s.score)[:limit]


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


def _matching(sqlite: bool, text: str, terms: set[str], joiner: str,
              any_word: bool = False) -> tuple[ColumnElement, ColumnElement]:
    """The full-text condition and its score (SQLite: lower is better; PostgreSQL: higher is better)."""
    if sqlite:
        expression = joiner.join(f'"{term}"' for term in sorted(terms))
        return literal_column("kennis_fts").op("MATCH")(expression), BM25
    tsquery = func.to_tsquery(DUTCH, text) if any_word else func.plainto_tsquery(DUTCH, text)
    return TSVECTOR.op("@@")(tsquery), func.ts_rank_cd(TSVECTOR, tsquery)


def _from(statement: Select, sqlite: bool, full_text: bool) -> Select:
    if sqlite and full_text:
        return statement.select_from(ENTRIES.join(FTS, FTS.c.rowid == ENTRIES.c.id))
    return statement.select_from(ENTRIES)


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
    if query.rule:
        pattern = "%" + query.rule.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(func.lower(c.rules).like(pattern, escape="\\"))
    return [and_(*conditions)] if conditions else []


def _number(value: str, key: str, errors: list) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) < 10**6:
        errors.append(FieldError(key, LABELS[key], "vul een positief geheel getal in"))
        return None
    return int(value)

