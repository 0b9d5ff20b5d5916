"""The monitor benchmark still runs (at a small size; the figures themselves come from ``gros bench``)."""

from __future__ import annotations

from engine.web.monitor import bench


def test_the_monitor_benchmark_measures_every_figure(database):
    figures = bench.overview_figures(database, dossiers=60, runs=1)
    assert figures["dossiers"] == 60
    timed = {name for name in figures if name.endswith("_ms")}
    assert {f"overview_{name}_ms" for name in bench.QUERIES} <= timed
    assert {"process_view_ms", "chart_phases_over_time_ms", "chart_lead_times_ms"} <= timed
    assert all(figures[name] > 0 for name in timed)
