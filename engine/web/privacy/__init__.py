"""The secretariaat's page for a person's request (AVG/GDPR): search an e-mail address or name across every
dossier, task and audit line, download the findings as JSON or PDF, and — citing the decision that allows it —
erase that data. The work is ``engine.privacy``'s; this page only asks and shows."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, flash, g, redirect, render_template, request, url_for

from engine.errors import CommandError
from engine.web import add_nav, current_engine
from engine.web.auth import groups_required
from engine.web.pdf import pdf

bp = Blueprint("privacy", __name__, template_folder="templates")
SECRETARIAAT = "secretariaat"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, "Privacy", "privacy.search", (SECRETARIAAT,))


@bp.get("/privacy")
@groups_required(SECRETARIAAT)
def search():
    wanted = request.args.get("zoek", "").strip()
    report = None
    if wanted:
        try:
            report = current_engine().privacy.find(wanted)
        except CommandError as error:
            flash(str(error), "error")
    return render_template("privacy/search.html", wanted=wanted, report=report)


@bp.get("/privacy/export")
@groups_required(SECRETARIAAT)
def export():
    try:
        report = current_engine().privacy.find(request.args.get("zoek", ""))
    except CommandError as error:
        flash(str(error), "error")
        return redirect(url_for("privacy.search"))
    body = json.dumps(report.as_json(), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="inzage.json"'})


@bp.get("/privacy/export.pdf")
@groups_required(SECRETARIAAT)
def export_pdf():
    try:
        report = current_engine().privacy.find(request.args.get("zoek", ""))
    except CommandError as error:
        flash(str(error), "error")
        return redirect(url_for("privacy.search"))
    html = render_template("privacy/report_pdf.html", report=report, now=current_engine().now())
    return Response(pdf(html, request.url_root), mimetype="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="inzage.pdf"'})


@bp.post("/privacy/wissen")
@groups_required(SECRETARIAAT)
def erase():
    wanted = request.form.get("zoek", "")
    try:
        report = current_engine().privacy.erase(wanted, request.form.get("besluit", ""), g.actor)
    except CommandError as error:
        flash(str(error), "error")
    else:
        elsewhere = f" en {len(report.elsewhere)} plaats(en) daarbuiten" if report.elsewhere else ""
        flash(f"De gegevens zijn verwijderd uit {len(report.dossiers)} dossier(s){elsewhere}.", "success")
    return redirect(url_for("privacy.search", zoek=wanted))
