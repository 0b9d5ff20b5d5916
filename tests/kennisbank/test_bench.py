"""The kennisbank benchmark still runs (at a small size; the figures themselves come from ``gros bench``)."""

from __future__ import annotations

from engine.gros.kennisbank import bench


def test_the_kennisbank_benchmark_measures_search_and_suggestions(database):
    figures = bench.figures(database, dossiers=300, runs=3)
    assert figures["dossiers"] == 300
    for name in bench.SEARCHES:
        measured = figures[f"search_{name}"]
        assert 0 < measured["p50_ms"] <= measured["p95_ms"], name
    assert figures["search_no_words_first_page"]["matches"] == 308  # the generated and the demo dossiers
    assert figures["search_one_word"]["matches"] > 0 and figures["suggestions"]["p95_ms"] > 0
