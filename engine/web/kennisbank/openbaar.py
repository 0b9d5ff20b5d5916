"""The openbare kennisbank, without login: the summaries the secretariaat published, as an accessible page,
as open data (/openbaar/dossiers.json and .csv) and as an Atom feed of new outcomes. Only the fields of
``PublicSummary`` ever leave (engine/gros/kennisbank/public.py)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from xml.etree import ElementTree as ET

from flask import Blueprint, Flask, Response, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.gros.kennisbank.public import FIELDS, PublicSummary, published
from engine.web import current_engine
from engine.web.kennisbank.cards import Vocabulary

bp = Blueprint("openbaar", __name__, template_folder="templates", url_prefix="/openbaar")
ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.get("/")
def overview() -> ResponseReturnValue:
    engine = current_engine()
    return render_template("kennisbank/openbaar.html", summaries=published(engine), view=Vocabulary(engine))


@bp.get("/dossiers.json")
def as_json() -> ResponseReturnValue:
    rows = [_plain(summary) for summary in published(current_engine())]
    return Response(json.dumps({"dossiers": rows}, ensure_ascii=False), mimetype="application/json")


@bp.get("/dossiers.csv")
def as_csv() -> ResponseReturnValue:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS)
    writer.writeheader()
    writer.writerows(_plain(summary) for summary in published(current_engine()))
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=grensbelemmeringen.csv"})


@bp.get("/feed.atom")
def feed() -> ResponseReturnValue:
    engine = current_engine()
    summaries, view = published(engine, FEED_SIZE), Vocabulary(engine)
    root = ET.Element("feed", xmlns=ATOM)
    ET.SubElement(root, "title").text = "GROS: uitkomsten van grensbelemmeringen"
    ET.SubElement(root, "id").text = request.url_root + "openbaar/"
    ET.SubElement(root, "link", href=request.url_root.rstrip("/") + url_for("openbaar.overview"))
    ET.SubElement(root, "updated").text = _stamp(summaries[0].published_at if summaries else engine.now())
    ET.SubElement(ET.SubElement(root, "author"), "name").text = "GROS-secretariaat"
    for summary in summaries:
        entry = ET.SubElement(root, "entry")
        ET.SubElement(entry, "title").text = summary.title
        ET.SubElement(entry, "id").text = f"{request.url_root}openbaar/#{summary.business_key}"
        ET.SubElement(entry, "link", href=f"{request.url_root.rstrip('/')}{url_for('openbaar.overview')}"
                                          f"#{summary.business_key}")
        ET.SubElement(entry, "updated").text = _stamp(summary.published_at)
        ET.SubElement(entry, "summary").text = (f"{view.of('outcome', summary.outcome)}. {summary.outcome_reason} "
                                                f"{summary.lessons}").strip()
    body = ET.tostring(root, encoding="unicode", xml_declaration=True)
    return Response(body, mimetype="application/atom+xml")


def _plain(summary: PublicSummary) -> dict:
    return {key: _stamp(value) if isinstance(value, datetime) else value for key, value in summary.as_dict().items()}


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")
