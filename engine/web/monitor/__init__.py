"""The monitor, for management and the secretariaat: every dossier at a glance, one dossier on its
diagram with its history, incidents to retry, suspension, each process version with its token counts,
charts, and the progress report for the parliaments. Lists come from derived rows; every change goes
through the engine's commands."""

from __future__ import annotations

from datetime import date
from functools import partial

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from engine.accounts import display_name
from engine.forms import FieldError
from engine.gros import parliament
from engine.gros import toetsen as toets_rows
from engine.gros.groups import DEPLOYERS, OVERSEERS
from engine.services.migration import Selection
from engine.services.runtime import MAX_REASON
from engine.web import add_nav, add_panel, current_engine
from engine.web.auth import groups_required
from engine.web.inbox.context import Labels
from engine.web.inputs import MAX_ID, json_object, whole_number
from engine.web.monitor import charts, dossier, processes, queries, report, toetsen
from engine.web.monitor.diagrams import diagrams
from engine.web.pdf import pdf

bp = Blueprint("monitor", __name__, template_folder="templates", url_prefix="/monitor")
WATCHERS = tuple(sorted(OVERSEERS))
PROCESS_READERS = tuple(sorted(OVERSEERS | DEPLOYERS))  # process owners see their processes' versions and counts
THEME = "thema"
# the approved parliament report: whoever prepares or approves a Top's report, besides the watchers (§ 6.2.2)
ARCHIVE_READERS = tuple(sorted(OVERSEERS | {"bilateraal-overleg", "ambtelijk-grensoverleg",
                                            "minister-grenssamenwerking-nl", "minister-grenssamenwerking-vl"}))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, "Monitor", "monitor.overview", WATCHERS)
    add_nav(app, "Processen", "monitor.process_list", tuple(sorted(DEPLOYERS - OVERSEERS)))
    app.add_template_global(watches_dossiers)
    add_panel(app, "taak", parliament_panel)
    parliament.render_on_approval(app.extensions["gros.engine"], partial(_render_report, app))


watchers_only = groups_required(*WATCHERS)
process_readers = groups_required(*PROCESS_READERS)


@bp.context_processor
def report_helpers() -> dict:
    return {"flag_text": report.flag_text}


def watches_dossiers() -> bool:
    """Whether the person sees the dossiers (not only the processes): a global, so imported macros see it."""
    return bool(g.actor and g.actor.groups & OVERSEERS)


@bp.get("/")
@watchers_only
def overview():
    engine = current_engine()
    filters = queries.Filters.parse(request.args)
    labels = Labels(engine.repository.deployed_forms())
    return render_template("monitor/overview.html", page=queries.overview(engine, filters), filters=filters,
                           phases=queries.phases(engine), themes=labels.options.get(THEME, {}),
                           statuses=queries.STATUSES, sides=queries.SIDES, sorts=queries.SORT_LABELS,
                           done=queries.DONE, now=engine.now())


@bp.get("/dossiers/<instance_id>")
@watchers_only
def instance(instance_id: str):
    engine = current_engine()
    found = engine.query.instance(instance_id)
    labels = Labels(engine.repository.deployed_forms())
    history = engine.query.history(instance_id)
    incidents = engine.query.incidents(instance_id)
    positions = engine.query.positions(instance_id)
    called = dossier.chosen(engine, found, positions, history)
    drawn = dossier.drawn(engine, found, called)
    marks = dossier.marks(found, positions, history, incidents, called, drawn)
    return render_template(
        "monitor/dossier.html", instance=found, summary=queries.summary(engine, instance_id),
        phases=queries.phases(engine), marks=marks, tasks=engine.query.tasks(instance_id=instance_id),
        timers=engine.query.timers(instance_id), flags=queries.stall_flags(engine, instance_id), incidents=incidents,
        facts=dossier.facts(engine, engine.query.variables(instance_id), history, drawn, labels, found.definition_key),
        now=engine.now(), statuses=queries.STATUSES, trail=dossier.trail(engine, history, drawn, labels),
        element_names=dossier.element_names(drawn), started_by=display_name(engine, found.started_by, {}),
        toets=toets_rows.linked(engine, instance_id), toets_names=toets_rows.CONCLUSIONS,
    )


@bp.get("/toetsen")
@watchers_only
def toets_list():
    engine = current_engine()
    filters = toetsen.ToetsFilters.parse(request.args)
    return render_template("monitor/toetsen.html", rows=filters.rows(engine), filters=filters,
                           sides=toetsen.SUBMITTING_SIDES, conclusions=toetsen.CONCLUSION_FILTERS,
                           names=toets_rows.CONCLUSIONS, now=engine.now())


@bp.get("/dossiers/<instance_id>/diagrammen.json")
@watchers_only
def instance_diagrams(instance_id: str):
    engine = current_engine()
    found = engine.query.instance(instance_id)
    positions, history = engine.query.positions(instance_id), engine.query.history(instance_id)
    called = dossier.chosen(engine, found, positions, history)
    marks = dossier.marks(found, positions, history, engine.query.incidents(instance_id, open_only=True), called,
                          dossier.drawn(engine, found, called))
    return jsonify([m.payload() for m in marks])


@bp.get("/dossiers/<instance_id>/schorsen")
@watchers_only
def suspend_confirmation(instance_id: str):
    return _suspend_page(instance_id, [])


@bp.post("/dossiers/<instance_id>/schorsen")
@watchers_only
def suspend(instance_id: str):
    reason = request.form.get("reden", "").strip()
    if not reason:
        return _suspend_page(instance_id, [FieldError("reden", "Reden", "Geef de reden van de schorsing.")]), 400
    if len(reason) > MAX_REASON:
        return _suspend_page(instance_id, [FieldError("reden", "Reden",
                                                      f"Gebruik hoogstens {MAX_REASON} tekens.")]), 400
    current_engine().runtime.suspend(instance_id, g.actor, reason)
    flash("Het dossier is geschorst: niemand kan er nog aan werken en termijnen lopen niet af.", "success")
    return redirect(url_for("monitor.instance", instance_id=instance_id))


def _suspend_page(instance_id: str, errors: list[FieldError]) -> str:
    return render_template("monitor/suspend.html", instance=current_engine().query.instance(instance_id),
                           errors=errors, reason=request.form.get("reden", ""))


@bp.post("/dossiers/<instance_id>/hervatten")
@watchers_only
def resume(instance_id: str):
    current_engine().runtime.resume(instance_id, g.actor)
    flash("Het dossier loopt weer.", "success")
    return redirect(url_for("monitor.instance", instance_id=instance_id))


@bp.post("/incidenten/<int:incident_id>/opnieuw")
@watchers_only
def retry(incident_id: int):
    engine = current_engine()
    instance_id = request.form.get("dossier", "")
    status = engine.runtime.retry_incident(incident_id, g.actor, _corrections())
    if status == "incident":
        flash("Opnieuw geprobeerd, maar de stap mislukt nog steeds. Zie het nieuwe incident.", "error")
    else:
        flash("Opnieuw geprobeerd: de stap is gelukt en het dossier loopt verder.", "success")
    return redirect(url_for("monitor.instance", instance_id=instance_id) if instance_id
                    else url_for("monitor.overview"))


def _element_names(engine, definition_id: int) -> dict[str, str]:
    """Element id → name over every process a version runs (called processes too)."""
    return {e: name for diagram in diagrams(engine, definition_id).values() for e, name in diagram.elements.items()}


def _corrections() -> dict:
    """Corrected data a retry may carry, as a JSON object (empty: retry as it is)."""
    text = request.form.get("correcties", "").strip() or "{}"
    return json_object(text, FieldError("correcties", "Gecorrigeerde gegevens",
                                        'Geef een JSON-object, bv. {"ernst": 3}, of laat het leeg.'))


@bp.get("/processen")
@process_readers
def process_list():
    return render_template("monitor/processes.html", versions=processes.versions(current_engine()))


@bp.get("/processen/<int:definition_id>")
@process_readers
def process(definition_id: int):
    engine = current_engine()
    view = processes.view(engine, definition_id)
    versions = processes.versions(engine, view.definition.key)
    return render_template("monitor/process.html", view=view, versions=versions,
                           newer=[v for v in versions if v.definition.version > view.definition.version])


@bp.get("/processen/<int:definition_id>/migreren")
@watchers_only
def migration_preview(definition_id: int):
    engine = current_engine()
    plan = engine.migration.generate(definition_id, _target(request.args))
    return render_template("monitor/migrate.html", plan=plan, preview=engine.migration.preview(plan),
                           source=engine.repository.definition(plan.source_definition_id),
                           target=engine.repository.definition(plan.target_definition_id),
                           old_names=_element_names(engine, plan.source_definition_id),
                           new_names=_element_names(engine, plan.target_definition_id))


@bp.post("/processen/<int:definition_id>/migreren")
@watchers_only
def migrate(definition_id: int):
    migration = current_engine().migration
    plan = migration.generate(definition_id, _target(request.form))
    batch_id = migration.create_batch(plan, Selection(), g.actor)
    migration.start_batch(batch_id, g.actor)
    return redirect(url_for("monitor.migration_batch", batch_id=batch_id))


def _target(args) -> int:
    return whole_number(args, "naar", "Doelversie", 0, 0, MAX_ID)


@bp.get("/migraties/<int:batch_id>")
@watchers_only
def migration_batch(batch_id: int):
    engine = current_engine()
    batch = engine.migration.batch(batch_id)
    return render_template("monitor/migration_batch.html", batch=batch,
                           source=engine.repository.definition(batch.source_definition_id),
                           target=engine.repository.definition(batch.target_definition_id))


@bp.get("/processen/<int:definition_id>/diagram.json")
@process_readers
def process_diagram(definition_id: int):
    return jsonify([processes.view(current_engine(), definition_id).payload()])


@bp.get("/grafieken")
@watchers_only
def chart_page():
    engine = current_engine()
    phases = queries.phases(engine)
    return render_template("monitor/charts.html", over_time=charts.phases_over_time(engine, phases),
                           lead_times=charts.lead_times(engine, phases), stalled=charts.stalled_per_side(engine))


@bp.get("/rapportage")
@watchers_only
def report_page():
    engine = current_engine()
    period = report.Period.parse(request.args, engine)
    return render_template("monitor/report.html", period=period, report=report.build(engine, period),
                           approved=parliament.approved(engine))


@bp.get("/rapportage.csv")
@watchers_only
def report_csv():
    engine = current_engine()
    period = report.Period.parse(request.args, engine)
    return Response(report.csv_text(report.build(engine, period)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{period.filename}.csv"'})


@bp.get("/rapportage.pdf")
@watchers_only
def report_pdf():
    engine = current_engine()
    period = report.Period.parse(request.args, engine)
    html = render_template("monitor/report_pdf.html", period=period, report=report.build(engine, period),
                           now=engine.now())
    return Response(pdf(html, request.url_root), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{period.filename}.pdf"'})


@bp.get("/parlementsrapport/<int:meeting_id>.pdf")
@groups_required(*ARCHIVE_READERS)
def parliament_pdf(meeting_id: int):
    """The report both governments approved for this Top, as it was rendered then."""
    app = current_app._get_current_object()  # the renderer pushes an app context of its own
    stored = parliament.stored_pdf(current_engine(), meeting_id, partial(_render_report, app))
    if stored is None:
        abort(404)
    return Response(stored, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="parlementsrapport-top-{meeting_id}.pdf"'})


def _render_report(app: Flask, start: date, end: date) -> bytes:
    """The parliament report over a period as PDF, outside any request (the approval's command)."""
    with app.app_context():
        engine = current_engine()
        html = render_template("monitor/report_pdf.html", **_report_of(engine, report.Period(start, end)),
                               now=engine.now())
    return pdf(html, "")


def _report_of(engine, period: report.Period) -> dict:
    """What the report's templates need, also where this blueprint's context processor does not run."""
    return {"period": period, "report": report.build(engine, period), "flag_text": report.flag_text}


def parliament_panel(task) -> str:
    """On the parliament report's tasks: the generator's report over the drafted period, prefilled for the
    secretariaat and shown to each government before it approves (§ 6.2.2), with a refusal's reason."""
    if task.element_id not in parliament.STEPS:
        return ""
    engine = current_engine()
    variables = engine.query.variables(task.instance_id)
    period = report.Period(date.fromisoformat(variables["rapport_van"]), date.fromisoformat(variables["rapport_tot"]))
    return render_template("monitor/_parliament_panel.html", **_report_of(engine, period),
                           kept=parliament.of_instance(engine, task.instance_id))


@bp.app_template_filter("zijde")
def side_name(side: str | None) -> str:
    return queries.side_text(side)

