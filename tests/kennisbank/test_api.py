"""GET /api/v1/kennisbank over real HTTP on SQLite and PostgreSQL: the same Dutch stemming, ranking and
filters as the pages, for any official's token, documented in the OpenAPI document."""

from __future__ import annotations

import pytest
import requests

from tests.api.conftest import _tokens, make_app, quick_password_hashing, serve  # noqa: F401 — fixture reused


@pytest.fixture
def site(engine, dossiers):
    """The API over the demo dossiers: a copy of them, driven once per session (tests/kennisbank/conftest.py)."""
    with serve(make_app(engine)) as url:
        yield url, _tokens(engine)


def get(site, path: str, user: str | None = "nl"):
    url, tokens = site
    headers = {"Authorization": f"Bearer {tokens[user]}"} if user else {}
    return requests.get(url + "/api/v1" + path, headers=headers, timeout=30)


def test_any_official_searches_with_dutch_word_forms(site):
    found = get(site, "/kennisbank?q=grensarbeider").json()
    assert found["total"] == 1 and found["results"][0]["businessKey"] == "GROS-2026-006"
    ended = get(site, "/kennisbank?fase=afgerond&thema=zorg", user="vl").json()
    assert [r["businessKey"] for r in ended["results"]] == ["GROS-2025-007"]
    assert ended["results"][0]["outcome"] == "opgelost" and ended["results"][0]["lessons"]
    assert get(site, "/kennisbank?q=grensarbeider", user=None).status_code == 401


def test_a_bad_filter_is_a_problem_naming_the_parameter(site):
    refused = get(site, "/kennisbank?jaar=vorig&zijde=FR")
    assert refused.status_code == 400
    assert {p["name"] for p in refused.json()["invalidParams"]} >= {"jaar", "zijde"}


def test_the_openapi_document_describes_the_search(site):
    document = get(site, "/openapi.json", user=None).json()
    operation = document["paths"]["/kennisbank"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "q", "thema", "uitkomst", "fase", "zijde", "jaar", "regelgeving", "pagina"}
    assert "KennisbankResultaten" in document["components"]["schemas"]
