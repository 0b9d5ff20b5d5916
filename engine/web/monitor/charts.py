"""Charts drawn on the server as SVG (no script, nothing for the CSP to refuse): dossiers per phase
over time, lead time per phase, stalled dossiers per side. Each also carries its figures as a table,
for screen readers and for people who would rather read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import and_, func, literal, or_, select, union_all

from engine.gros.models import PhaseVisit, StallFlag
from engine.gros.radar import NO_PROGRESS, OVERDUE
from engine.local_time import MONTHS, ZONE
from engine.services import Engine
from engine.store.models import UTCDateTime
from engine.web.monitor.queries import SIDES

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 800, 300, 330, 40, 16
REASONS = {NO_PROGRESS: "Geen voortgang", OVERDUE: "Taak over termijn"}


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    anchor: str = "end"


@dataclass
class Chart:
    title: str
    headers: list[str]
    rows: list[list[str]]
    bars: list[Bar] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    legend: list[str] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def empty(self) -> bool:
        return not self.bars


def phases_over_time(engine: Engine, phases: dict[str, str], months: int = 12) -> Chart:
    """How many dossiers were in each phase at the end of each of the last ``months`` months."""
    moments = _month_ends(engine.now(), months)
    ends = union_all(*[select(literal(i).label("i"), literal(m, UTCDateTime()).label("at"))
                       for i, m in enumerate(moments)]).cte("ends")
    query = select(ends.c.i, PhaseVisit.phase, func.count()).join(PhaseVisit, and_(
        PhaseVisit.entered_at <= ends.c.at, or_(PhaseVisit.left_at.is_(None), PhaseVisit.left_at > ends.c.at))
    ).where(or_(PhaseVisit.left_at.is_(None), PhaseVisit.left_at > moments[0])).group_by(ends.c.i, PhaseVisit.phase)
    counts: list[dict[str, int]] = [{} for _ in moments]
    with engine.db.reading() as session:
        for i, phase, count in session.execute(query):
            counts[i][phase] = count
    keys = [k for k in phases if any(c.get(k) for c in counts)]
    names = [_month(m) for m in moments]
    chart = Chart("Dossiers per fase, aan het eind van elke maand", ["Maand", *[phases[k] for k in keys]],
                  [[name, *[str(c.get(k, 0)) for k in keys]] for name, c in zip(names, counts, strict=True)],
                  legend=[phases[k] for k in keys])
    top = max((sum(c.get(k, 0) for k in keys) for c in counts), default=0)
    if not top:
        return chart
    plot_h, left = HEIGHT - BOTTOM - TOP, 50
    slot = (WIDTH - left - 10) / len(moments)
    for column, (name, count) in enumerate(zip(names, counts, strict=True)):
        x, base = left + column * slot + slot * 0.15, HEIGHT - BOTTOM
        for series, key in enumerate(keys):
            height = plot_h * count.get(key, 0) / top
            if height:
                base -= height
                chart.bars.append(Bar(x, base, slot * 0.7, height, series,
                                      f"{name}: {phases[key]}: {count[key]}"))
        chart.labels.append(Label(x + slot * 0.35, HEIGHT - BOTTOM + 16, name, "middle"))
    chart.labels += [Label(left - 6, HEIGHT - BOTTOM + 4, "0"), Label(left - 6, TOP + 4, str(top))]
    return chart


def lead_times(engine: Engine, phases: dict[str, str]) -> Chart:
    """Average days a dossier spent in each phase, over the stays that ended."""
    days = (func.julianday(PhaseVisit.left_at) - func.julianday(PhaseVisit.entered_at)) if engine.db.is_sqlite \
        else func.extract("epoch", PhaseVisit.left_at - PhaseVisit.entered_at) / 86400
    with engine.db.reading() as session:
        found = {phase: (float(average), count) for phase, average, count in session.execute(
            select(PhaseVisit.phase, func.avg(days), func.count()).where(PhaseVisit.left_at.is_not(None))
            .group_by(PhaseVisit.phase))}
    values = [(phases.get(key, key), *found[key]) for key in [*phases, *sorted(set(found) - set(phases))]
              if key in found]
    chart = Chart("Gemiddelde doorlooptijd per fase (afgeronde fasen)", ["Fase", "Dagen gemiddeld", "Aantal"],
                  [[name, f"{average:.1f}".replace(".", ","), str(count)] for name, average, count in values])
    _horizontal(chart, [(name, average, f"{name}: {average:.1f} dagen".replace(".", ",")) for name, average, _
                        in values])
    return chart


def stalled_per_side(engine: Engine) -> Chart:
    """Dossiers the stall radar flags, per side they wait on and per reason."""
    with engine.db.reading() as session:
        found = session.execute(select(StallFlag.side, StallFlag.reason, func.count(func.distinct(
            StallFlag.instance_id))).group_by(StallFlag.side, StallFlag.reason)).all()
    per_side: dict[str, dict[str, int]] = {}
    for side, reason, count in found:
        per_side.setdefault(side or "", {})[reason] = count
    sides = sorted(per_side, key=lambda s: (s == "", s))
    names = {s: " en ".join(SIDES.get(p, p) for p in s.split("+")) if s else "Gezamenlijk" for s in sides}
    chart = Chart("Stilgevallen dossiers per zijde", ["Zijde", *REASONS.values()],
                  [[names[s], *[str(per_side[s].get(r, 0)) for r in REASONS]] for s in sides],
                  legend=list(REASONS.values()))
    _horizontal(chart, [(names[s], sum(per_side[s].values()), "; ".join(
        f"{REASONS[r]}: {n}" for r, n in per_side[s].items() if r in REASONS)) for s in sides],
        stacks=[[per_side[s].get(r, 0) for r in REASONS] for s in sides])
    return chart


def _horizontal(chart: Chart, values: list[tuple[str, float, str]], stacks: list[list[int]] | None = None) -> None:
    top = max((v for _, v, _ in values), default=0)
    if not top:
        return
    row = min(36, (HEIGHT - TOP - 10) / len(values))
    chart.height = int(TOP + row * len(values) + 30)
    span = WIDTH - LEFT - 60
    for index, (name, value, title) in enumerate(values):
        y, x = TOP + index * row, LEFT
        for series, part in enumerate(stacks[index] if stacks else [value]):
            width = span * part / top
            if width:
                chart.bars.append(Bar(x, y + row * 0.15, width, row * 0.7, series, title))
                x += width
        chart.labels.append(Label(LEFT - 8, y + row * 0.6, name))
        chart.labels.append(Label(x + 6, y + row * 0.6, f"{value:g}".replace(".", ",") if stacks
                                  else f"{value:.1f}".replace(".", ","), "start"))


def _month_ends(now: datetime, months: int) -> list[datetime]:
    """The month boundaries of the last ``months`` months (each a month's first moment), ending with now."""
    local = now.astimezone(ZONE)
    year, month = local.year, local.month
    ends = []
    for _ in range(months - 1):
        ends.append(datetime(year, month, 1, tzinfo=ZONE).astimezone(UTC))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return [*ends[::-1], now]


def _month(moment: datetime) -> str:
    local = moment.astimezone(ZONE)
    if local.day == 1 and local.hour == 0:  # a month's first moment stands for the month before
        year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    else:
        year, month = local.year, local.month
    return f"{MONTHS[month - 1]} {str(year)[2:]}"
