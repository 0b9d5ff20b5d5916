"""On the demo data the procedure runs itself when the clock advances: the seeded calendar asks the
agendered dossiers in uitvoering and in uitwerking for their reports; the escalated impasse whose deadline
passes is flagged, but it moves up only by decision (§ 5.3.3)."""

from __future__ import annotations

from datetime import timedelta

from engine.gros import demo, meetings, radar
from engine.gros.business_calendar import to_local
from engine.scheduler import TimerRunner, attach
from engine.services import Engine


def waiting_tasks(engine: Engine, business_key: str) -> list[tuple[str, list[str]]]:
    [instance] = engine.query.instances(business_key=business_key)
    return [(t.name, t.candidate_groups) for t in engine.query.tasks(instance_id=instance.id)]


def test_the_demo_runs_itself_when_the_clock_moves(engine: Engine, clock):
    attach(engine)
    engine.repository.deploy([demo.DOSSIERS.parent, demo.DOSSIERS.parents[1] / "formulieren"])
    _, problems = demo.seed_dossiers(engine)
    assert problems == []
    first, second = [m for m in meetings.calendar(engine) if m.kind == "bilateraal"]  # the demo seeded them
    assert [m.kind for m in meetings.calendar(engine)].count("top") == 1
    assert meetings.seed_calendar(engine) == []  # once
    assert first.held_at < second.held_at and to_local(first.held_at).weekday() == 3  # a Thursday

    runner = TimerRunner(engine)
    while clock.now() < first.request_at:
        clock.set(min(first.request_at, clock.now() + timedelta(days=7)))
        runner.run_due()
        meetings.run_calendar(engine)
    runner.close()
    assert ("Voortgang rapporteren", ["schakel-gros-2025-004"]) in waiting_tasks(engine, "GROS-2025-004")  # § 4.4
    # § 5.3.3: every agendered demo dossier passes the meeting, in uitvoering (2025-004) and in uitwerking
    assert [i.business_key for i in meetings.agenda(engine, first.id).progress] == [
        "GROS-2025-004", "GROS-2026-002", "GROS-2026-005"]
    assert ("Voortgang rapporteren", ["schakel-gros-2026-002"]) in waiting_tasks(engine, "GROS-2026-002")  # § 4.4
    escalated = [groups for name, groups in waiting_tasks(engine, "GROS-2026-005") if name != "Voortgang rapporteren"]
    assert escalated == [["bewindspersoon-nl"]]  # the six weeks ran out on the way, the minister still decides
    radar.refresh(engine)
    [instance] = engine.query.instances(business_key="GROS-2026-005")
    assert any(f.instance_id == instance.id for f in radar.flags(engine, radar.OVERDUE))
