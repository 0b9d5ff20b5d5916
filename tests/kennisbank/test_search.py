"""The kennisbank's index and search on SQLite and PostgreSQL: the derived row each command writes, Dutch
stemming (an inflected word finds the other form), ranking, filters, highlighting, paging; and the
precedent suggestions a new signal about a known obstacle gets. A test that takes ``dossiers`` starts from a copy
of the demo dossiers, driven once per session (tests/kennisbank/conftest.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from engine.errors import InvalidData
from engine.gros.kennisbank import reindex
from engine.gros.kennisbank.search import Query, search, suggestions
from engine.gros.kennisbank.words import excerpt
from engine.gros.models import KennisEntry
from engine.services import Actor
from tests.conftest import ROOT

SECRETARIAAT = Actor.of("sanne", ["secretariaat"])


def keys(results) -> list[str]:
    return [hit.business_key for hit in results.hits]


def signal(engine, key: str, **variables) -> str:
    """A new dossier at *Signaal registreren*, with the signal's variables (as the message start gives)."""
    return engine.runtime.start("gros-dossier", key, variables, SECRETARIAAT)


def test_every_dossier_has_one_row_written_by_its_commands(engine, dossiers):
    with engine.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(KennisEntry)) == len(dossiers) == 8
        closed = session.scalars(select(KennisEntry).where(KennisEntry.business_key == "GROS-2025-007")).one()
    assert (closed.theme, closed.outcome, closed.phase) == ("zorg", "opgelost", None)
    assert closed.card["lessons"] and closed.card["outcome_reason"]
    # as the verkenning wrote them: no side named
    assert closed.card["rules"] == [["Wet ambulancezorgvoorzieningen", None], ["wet DGH", None]]
    assert {d["name"] for d in closed.card["decisions"]} >= {"besluit_nl", "besluit_vl", "regionaal_besluit_nl",
                                                              "regionaal_besluit_vl"}
    assert closed.sides == "|NL|VL|BE|"


def test_an_inflected_dutch_word_finds_the_other_form(engine, dossiers):
    assert keys(search(engine, Query("grensarbeider"))) == ["GROS-2026-006"]  # the dossier says "grensarbeiders"
    assert "GROS-2026-005" in keys(search(engine, Query("belasting")))  # it says "Belastingen", "belastingheffing" not
    signal(engine, "GROS-T-1", titel="Pensioenopbouw",
           omschrijving="De belasting op het pensioen van een grensarbeider.")
    assert set(keys(search(engine, Query("belastingen grensarbeiders")))) == {"GROS-T-1"}


def test_the_title_weighs_more_than_the_text(engine, clock):
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    signal(engine, "GROS-T-1", titel="Kinderopvang", omschrijving="Ouders die over de grens werken vinden geen opvang.")
    signal(engine, "GROS-T-2", titel="Opvang van kinderen over de grens", omschrijving="Een vraag van ouders.")
    assert keys(search(engine, Query("opvang"))) == ["GROS-T-2", "GROS-T-1"]


def test_filters_narrow_and_pages_split_the_results(engine, dossiers):
    assert keys(search(engine, Query(theme="zorg"))) == ["GROS-2025-007", "GROS-2026-006"] or set(
        keys(search(engine, Query(theme="zorg")))) == {"GROS-2025-007", "GROS-2026-006"}
    assert keys(search(engine, Query(outcome="afgewezen-vl"))) == ["GROS-2026-008"]
    assert set(keys(search(engine, Query(phase="afgerond")))) == {"GROS-2025-007", "GROS-2026-008"}
    assert keys(search(engine, Query(phase="gros-escalatie"))) == ["GROS-2026-005"]
    assert keys(search(engine, Query(rule="omgevingswet"))) == ["GROS-2025-004"]
    assert search(engine, Query(year=2030)).total == 0
    assert len(search(engine, Query(side="BE")).hits) < 8
    first, second = search(engine, Query(), page_size=5), search(engine, Query(page=2), page_size=5)
    assert (first.total, first.pages, len(first.hits), len(second.hits)) == (8, 2, 5, 3)
    assert not set(keys(first)) & set(keys(second))


def test_matches_are_marked_in_the_original_words():
    pieces = excerpt("Grensarbeiders betalen belastingen.", Query("grensarbeider belasting").terms)
    assert [text for text, hit in pieces if hit] == ["Grensarbeiders", "belastingen"]


def test_a_bad_query_names_the_field():
    with pytest.raises(InvalidData) as refused:
        Query.parse({"jaar": "twintig", "zijde": "FR", "q": "x" * 300})
    assert {e.key for e in refused.value.errors} == {"jaar", "zijde", "q"}


def test_a_new_signal_about_a_known_obstacle_gets_the_earlier_dossier_as_suggestion(engine, dossiers):
    new = signal(engine, "GROS-2027-001", titel="Thuiswerkende grenswerkers en hun sociale zekerheid",
                 omschrijving="Wie over de grens woont en thuiswerkt, ziet zijn belastingheffing verschuiven.",
                 thema="sociale-zekerheid", betrokken_regelgeving="Verordening (EG) 883/2004")
    found = suggestions(engine, new)
    assert found[0].entry.business_key == "GROS-2026-005"
    assert found[0].same_theme and found[0].shared_rules
    assert "GROS-2027-001" not in [s.entry.business_key for s in found] and len(found) <= 5


def test_dossiers_from_before_the_kennisbank_are_taken_in_once(engine, dossiers):
    with engine.db.transaction() as session:
        session.execute(delete(KennisEntry))
    assert search(engine, Query("grensarbeider")).total == 0
    assert reindex(engine) == 8 and reindex(engine) == 0
    assert keys(search(engine, Query("grensarbeider"))) == ["GROS-2026-006"]
    assert search(engine, Query(phase="afgerond")).total == 2
