"""``POST /webhooks/<source>``: the HTTP side of inbound webhooks (the rules are in ``inbound``)."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from engine.api.problems import API_VERSION, PROBLEM_TYPE, problem
from engine.commands import Engine
from webhooks.inbound import Receiver
from webhooks.sources import Source, load_sources

EXTENSION = "gros.webhooks"
log = logging.getLogger(__name__)
blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")


def init_app(app: Flask, engine: Engine, sources: dict[str, Source] | None = None) -> None:
    """Receive webhooks for ``engine``; sources from the configured folder unless given."""
    app.extensions[EXTENSION] = Receiver(engine, load_sources() if sources is None else sources)
    app.register_blueprint(blueprint)


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
        return problem(error.code or 500, error.name, error.description)
    log.exception("onverwachte fout bij webhook %s", request.path)
    return problem(500, "Interne fout", "de fout is vastgelegd; de afzender mag later opnieuw afleveren")


def _body(limit: int) -> bytes | None:
    """The body, or None when it is larger than ``limit`` (read no further than that)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    data = request.stream.read(limit + 1)
    return None if len(data) > limit else data
