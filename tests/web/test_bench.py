"""The inbox benchmark still runs (at a small size; the figures themselves come from ``gros bench``)."""

from __future__ import annotations

from engine.web.inbox import bench


def test_the_inbox_benchmark_measures_every_figure(database):
    figures = bench.run(database, waiting=120, samples=4)
    assert figures["waiting_tasks"] == 120
    timed = {name: value for name, value in figures.items() if name.endswith("_ms")}
    assert set(timed) == {"group_inbox_ms", "group_inbox_by_due_ms", "group_inbox_by_priority_ms",
                          "group_inbox_newest_ms", "group_inbox_page_100_ms", "my_inbox_ms", "task_page_ms",
                          "complete_through_page_ms"}
    assert all(0 < value["median"] <= value["p95"] for value in timed.values())
