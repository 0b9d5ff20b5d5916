"""Grenseffectentoetsen in the kennisbank (§ 4.2.2, § 4.6): found by their words, their own "Soort" filter,
and a card with each side's assessment and the secretariaat's conclusion — over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.gros import demo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_toetsen(app, engine) -> dict[str, str]:
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    demo.seed_toetsen(engine)
    return {i.business_key: i.id for i in engine.query.instances(limit=10)}


def found(page: str) -> list[str]:
    return sorted(part.split('"')[0] for part in page.split('data-dossier="')[1:])


def test_toetsen_are_found_and_filtered_by_kind(login, demo_toetsen):
    official = login("dvl")
    # the toets and the dossier it became both speak of it
    assert found(official.get("/kennisbank/?q=kinderopvangtoeslag").text) == ["GROS-2027-001", "TOETS-2026-002"]
    toetsen = found(official.get("/kennisbank/?soort=grenseffectentoets").text)
    assert toetsen == ["TOETS-2026-001", "TOETS-2026-002"]
    assert found(official.get("/kennisbank/?soort=dossier").text) == ["GROS-2027-001"]  # the one it became
    refused = official.get("/kennisbank/?soort=plan")
    assert refused.status_code == 400 and "Soort: kies een van" in refused.text


def test_a_toets_card_shows_the_assessments_and_the_conclusion(login, demo_toetsen):
    page = login("dnl").get(f"/kennisbank/dossiers/{demo_toetsen['TOETS-2026-002']}").text
    for text in ("Kinderopvangtoeslag alleen voor opvang in Nederland",
                 "Het wetsvoorstel beperkt de kinderopvangtoeslag",  # the summary of the intention
                 "Voorzienbare grensbelemmering", "verliezen de toeslag"):
        assert text in page, text
