"""The REST API under /api/v1, shaped after Camunda 7's, with API tokens for machine clients."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported late: the migrations import this package for its models, long before any app exists.
    from engine.web.api import pages
    from engine.web.api.web import init_app as serve_api

    serve_api(app)
    pages.init_app(app)
