"""``POST /webhooks/<source>``: the HTTP side of inbound webhooks (the rules are in ``inbound``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from engine.web.api.problems import API_VERSION, PROBLEM_TYPE, http_problem, problem
from engine.web.errors import handle_under
from engine.web.security import csrf_exempt
from webhooks.inbound import Receiver
from webhooks.sources import load_sources

EXTENSION = "gros.webhooks"
log = logging.getLogger(__name__)
blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def init_app(app: Flask) -> None:
    """Receive webhooks for the app's engine, from the sources in ``GROS_WEBHOOK_SOURCES`` (app config
    or environment; ``webhooks/bronnen/`` by default). Signed, so no CSRF token."""
    folder = app.config.get("GROS_WEBHOOK_SOURCES")
    app.extensions[EXTENSION] = Receiver(app.extensions["gros.engine"], load_sources(Path(folder) if folder else None))
    app.register_blueprint(csrf_exempt(blueprint))
    handle_under(app, "/webhooks/", http_problem)


@blueprint.post("/<source>")
def receive(source: str) -> Response:
    receiver: Receiver = current_app.extensions[EXTENSION]
    known = receiver.sources.get(source)
    headers = {name.lower(): value for name, value in request.headers.items()}
    body = _body(known.max_bytes) if known else b""
    try:
        reply = receiver.receive(source, headers, body)
    except Exception as error:
        receiver.record_error(source, headers.get("webhook-id"), error)
        raise
    mimetype = "application/json" if reply.status < 400 else PROBLEM_TYPE
    return Response(json.dumps(reply.body, ensure_ascii=False), reply.status, mimetype=mimetype,
                    headers={"API-Version": API_VERSION})


@blueprint.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return http_problem(error)
    log.exception("onverwachte fout bij webhook %s", request.path)
    return problem(500, "Interne fout", "de fout is vastgelegd; de afzender mag later opnieuw afleveren")


def _body(limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` (read no further than that)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    data = request.stream.read(limit + 1)
    return None if len(data) > limit else data
