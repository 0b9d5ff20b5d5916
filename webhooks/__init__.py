"""Inbound webhook handling (verify, de-duplicate, map an event to an engine command) and outbound
domain events (outbox, signed delivery with retries)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # Imported late: the migrations import this package for its models, long before any app exists.
    from webhooks.routes import init_app as receive_webhooks

    receive_webhooks(app)
