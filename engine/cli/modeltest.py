"""``gros test``: a process owner's scenarios (MAP/tests/*.yaml) run against the real engine on a
throwaway database, with the coverage of every process as a table and as diagrams in an HTML file."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime, time
from functools import partial
from pathlib import Path

import click

from engine import wiring
from engine.cli.common import refusals
from engine.cli.dutch import DutchCommand
from engine.gros import meetings, summary
from engine.modeltest.coverage import Coverage, Models, coverage
from engine.modeltest.report import ViewerAssets, html, percent_text, table
from engine.modeltest.runner import RunResult, run
from engine.modeltest.scenarios import PlannedMeeting, ScenarioFileError, load_folder
from engine.services import Engine
from engine.web.vendor import ROOT

VIEWER = ROOT / "engine/web/static/vendor/bpmn-js"
MEETING_HOUR = time(10, 0)  # Brussels time, as the secretariaat plans them


@click.command(name="test", cls=DutchCommand)
@click.argument("folder", metavar="[MAP]", required=False, default="processen",
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--formulieren", "forms", metavar="MAP", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="De map met formulieren (standaard: 'formulieren' naast MAP).")
@click.option("--min-coverage", metavar="PROCENT", type=click.FloatRange(0, 100),
              help="Faal als minder dan dit percentage van de elementen en stromen bereikt is (0–100).")
@click.option("--html", "html_path", metavar="PAD", type=click.Path(dir_okay=False, path_type=Path),
              default="dekking.html",
              show_default=True, help="Waar het HTML-bestand met de diagrammen en hun dekking komt.")
@click.option("--database", help="Een lege database (URL) in plaats van een wegwerp-SQLite, bv. PostgreSQL.")
@refusals
def modeltest(folder: Path, forms: Path | None, min_coverage: float | None, html_path: Path,
              database: str | None) -> None:
    """Draai de modeltesten in MAP/tests/*.yaml (standaard: processen) en meld de dekking."""
    try:
        suite = load_folder(folder / "tests", base=folder)
        plan_calendar = _calendar(suite.meetings)
    except ScenarioFileError as error:
        click.echo("De scenario's kunnen niet draaien:", err=True)
        for problem in error.problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    forms = forms or folder.parent / "formulieren"
    models = [folder, *([forms] if forms.is_dir() else [])]
    result = run(models, suite.scenarios, wiring.open_engine, summary.facts, database, plan_calendar)
    _report_scenarios(result)
    reached = coverage(Models.read(folder), result.histories.values())
    click.echo("\n" + table(reached))
    html_path.write_text(html(reached, _viewer_assets()), encoding="utf-8")
    click.echo(f"\nDekking als diagram: {html_path}")
    if result.failures or not _enough(reached, min_coverage):
        sys.exit(1)


def _calendar(declared: list[PlannedMeeting]) -> Callable[[Engine], None]:
    """The meetings the scenario files declare (``overleggen:``), checked now and planned before the first
    scenario, so that agendering can name one (§ 5.2.5)."""
    problems = [f"{m.where}: soort '{m.kind}' bestaat niet (kies {', '.join(meetings.KINDS)})"
                for m in declared if m.kind not in meetings.KINDS]
    days = []
    for meeting in declared:
        try:
            days.append((meeting.kind, date.fromisoformat(meeting.day)))
        except ValueError:
            problems.append(f"{meeting.where}: datum '{meeting.day}' is geen datum (2027-03-18)")
    if problems:
        raise ScenarioFileError(problems)
    return partial(_plan, days)


def _plan(days: list[tuple[str, date]], engine: Engine) -> None:
    for kind, day in days:
        meetings.plan(engine, kind, datetime.combine(day, MEETING_HOUR), meetings.PLANNER)


def _report_scenarios(result: RunResult) -> None:
    for outcome in result.outcomes:
        if outcome.failure is None:
            click.echo(f"✓ {outcome.scenario.where}")
        else:
            click.echo(f"✗ {outcome.failure}")
    failed = len(result.failures)
    click.echo(f"\n{len(result.outcomes)} scenario's: {len(result.outcomes) - failed} geslaagd, {failed} mislukt")


def _enough(reached: Coverage, minimum: float | None) -> bool:
    measured = Coverage.percent(reached.total())
    if minimum is None or measured >= minimum:
        return True
    click.echo(f"De dekking is {percent_text(measured)}, lager dan het minimum van {percent_text(minimum)}.",
               err=True)
    return False


def _viewer_assets() -> ViewerAssets:
    return ViewerAssets(
        script=(VIEWER / "bpmn-navigated-viewer.production.min.js").read_text(encoding="utf-8"),
        styles="\n".join((VIEWER / name).read_text(encoding="utf-8") for name in ("diagram-js.css", "bpmn-js.css")))
