"""Kennisbank figures for ``gros bench``: search and precedent suggestions over 100,000 dossiers. Not a test.

The dossiers are written as the index listener writes them (kennis_entry, and on SQLite the stemmed FTS5
row), with Dutch text drawn from the demo dossiers' own words, so word frequencies stay realistic; their
instance rows are stubs, because no kennisbank query reads instance state. Goals (issue #12): search p95 <
50 ms, suggestions p95 < 100 ms."""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, insert, select, text

from engine.clock import FixedClock
from engine.gros import demo, schakel
from engine.gros.kennisbank import ENTRIES, index
from engine.gros.kennisbank.search import Matching, Query, search, suggestions
from engine.gros.kennisbank.words import WORD, stemmed
from engine.gros.summary import summarize
from engine.services import Engine
from engine.store.db import on_scratch_postgres
from engine.store.models import ProcessInstance

ROOT = Path(__file__).resolve().parents[3]
BATCH = 5_000
THEMES = ("arbeidsmarkt", "belastingen", "sociale-zekerheid", "zorg", "mobiliteit", "energie-en-klimaat",
          "havens-en-economie", "ruimte-en-milieu", "onderwijs", "veiligheid")
OUTCOMES = (None, None, None, "opgelost", "gestopt-na-verkenning", "niet-geagendeerd", "afgewezen-nl", "verlaten")
PHASES = ("gros-dossier", "gros-selectie", "gros-verkenning", "gros-agendering", "gros-uitwerking", "gros-uitvoering")
SEARCHES = {
    "one_word": Query("grensarbeiders"),
    "two_words": Query("belastingen grenswerkers"),
    "common_word": Query("grens"),
    "word_and_theme": Query("vergunning", theme="energie-en-klimaat"),
    "rule_filter": Query(rule="omgevingswet"),
    "no_words_first_page": Query(),
    "deep_page": Query("zorg", page=50),
}


def figures(url: str, dossiers: int = 100_000, runs: int = 30) -> dict:
    """p50/p95 milliseconds of each search and of the suggestions over ``dossiers`` dossiers."""
    engine = Engine.open(url, FixedClock())
    engine.on_save(summarize)  # the demo forms a schakel once a dossier's summary says it is agendered
    engine.on_save(index)
    engine.grant_groups(schakel.groups_of)
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    demo.seed_dossiers(engine)
    began = time.perf_counter()
    ids = _fill(engine, dossiers)
    found: dict = {"dossiers": dossiers, "fill_s": round(time.perf_counter() - began, 1)}
    for name, query in SEARCHES.items():
        found[f"search_{name}"] = _percentiles(lambda q=query: search(engine, q), runs)
        found[f"search_{name}"]["matches"] = _matches(engine, query)
    picks = random.Random(7).sample(ids, runs + 1)  # one more for the warm-up
    found["suggestions"] = _percentiles(lambda: suggestions(engine, picks.pop()), runs)
    engine.db.dispose()
    return found


def _matches(engine: Engine, query: Query) -> int:
    """How many dossiers the query matches (the pages count only up to COUNT_CAP)."""
    with engine.db.reading() as session:
        matching = Matching(engine.db.is_sqlite, query).ids(ordered=False).subquery()
        return session.execute(select(func.count()).select_from(matching)).scalar()


def _percentiles(run: Callable[[], object], runs: int) -> dict:
    run()  # warm caches once
    spent = []
    for _ in range(runs):
        began = time.perf_counter()
        run()
        spent.append((time.perf_counter() - began) * 1000)
    cuts = statistics.quantiles(spent, n=20)
    return {"p50_ms": round(statistics.median(spent), 2), "p95_ms": round(cuts[18], 2)}


def _fill(engine: Engine, dossiers: int) -> list[str]:
    """``dossiers`` generated dossiers in batches; returns their instance ids."""
    with engine.db.reading() as session:
        stub = session.scalars(select(ProcessInstance).limit(1)).one()
        template = {c.name: getattr(stub, c.name) for c in ProcessInstance.__table__.columns} | {"state": "{}"}
        words = _vocabulary([row for row in session.execute(select(ENTRIES))])
    pick, ids, now = random.Random(12), [], engine.now()
    for start in range(0, dossiers, BATCH):
        instances, entries = [], []
        for n in range(start, min(dossiers, start + BATCH)):
            instance_id = str(uuid.uuid4())
            ids.append(instance_id)
            instances.append(template | {"id": instance_id, "business_key": f"BENCH-{n:06d}", "status": "completed"})
            entries.append(_entry(pick, words, instance_id, n, now))
        with engine.db.transaction() as session:
            session.execute(insert(ProcessInstance), instances)
            first = session.execute(select(func.coalesce(func.max(ENTRIES.c.id), 0))).scalar() + 1
            rows = [entry | {"id": first + i} for i, entry in enumerate(entries)]
            session.execute(insert(ENTRIES), rows)
            if engine.db.is_sqlite:
                session.execute(text("INSERT INTO kennis_fts (rowid, title, rules, body) VALUES (:id, :t, :r, :b)"),
                                [{"id": r["id"], "t": stemmed(r["title"]), "r": stemmed(r["rules"]),
                                  "b": stemmed(r["body"])} for r in rows])
    with engine.db.transaction() as session:
        session.execute(text("ANALYZE kennis_entry" if not engine.db.is_sqlite else "ANALYZE"))
    return ids


def _vocabulary(rows: list) -> dict[str, list[str]]:
    """The demo dossiers' words by where they stand, with their repetitions (so their frequencies)."""
    return {"title": [w for r in rows for w in WORD.findall(r.title)],
            "body": [w for r in rows for w in WORD.findall(r.body)],
            "rules": [rule for r in rows for rule, _ in r.card["rules"]]}


def _entry(pick: random.Random, words: dict[str, list[str]], instance_id: str, n: int, now) -> dict:
    title = " ".join(pick.choices(words["title"], k=pick.randint(4, 9))).capitalize()
    body = " ".join(pick.choices(words["body"], k=pick.randint(40, 120)))
    rules = "; ".join(pick.sample(words["rules"], k=min(2, len(words["rules"]))))
    outcome = pick.choice(OUTCOMES)
    lessons = " ".join(pick.choices(words["body"], k=15)) if outcome else ""
    return {"instance_id": instance_id, "business_key": f"BENCH-{n:06d}", "title": title,
            "theme": pick.choice(THEMES), "outcome": outcome, "phase": None if outcome else pick.choice(PHASES),
            "sides": "|NL|VL|", "year": 2016 + n % 11, "solution": None, "rules": rules, "body": body + " " + lessons,
            "card": {"summary": body[:300], "lessons": lessons, "rules": [], "decisions": []},
            "started_at": now, "updated_at": now}


def run(folder: str, dossiers: int = 100_000) -> dict:
    """The kennisbank's figures on a SQLite file in ``folder`` and on PostgreSQL when it answers."""
    return {"sqlite": figures(f"sqlite:///{folder}/kennisbank-bench.db", dossiers),
            "postgresql": on_scratch_postgres(lambda url: figures(url, dossiers))}
