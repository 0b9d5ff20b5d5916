"""The API and webhooks served over real HTTP: a Flask app on a real WSGI server on 127.0.0.1, backed
by the SQLite file or PostgreSQL database of the ``engine`` fixture."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import requests
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import select
from standardwebhooks import Webhook
from werkzeug.serving import make_server

from engine import accounts
from engine.accounts import create_account
from engine.services import Engine
from engine.web.api.tokens import create_token
from engine.web.app import create_app
from webhooks.admin import add_secret
from webhooks.inbound import MAX_RETRIES, RETRY_DELAYS, Receiver
from webhooks.models import WebhookMessage
from webhooks.sources import load_sources

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).parents[1] / "data" / "bpmn"
PASSWORD = "correct-horse-battery"
ACCOUNTS = {
    "beheer": ["management"],
    "secretaris": ["secretariaat"],
    "nl": ["grensregio-nl"],
    "vl": ["grensregio-vl"],
    "modelleur": ["procesbeheer"],
}


@dataclass
class Site:
    url: str
    engine: Engine
    tokens: dict[str, str]
    secret: str
    sources: Path = DATA / "bronnen"

    def call(self, method: str, path: str, user: str | None = "beheer", **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if user:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def api(self, method: str, path: str, user: str | None = "beheer", **kwargs) -> requests.Response:
        return self.call(method, "/api/v1" + path, user, **kwargs)

    def webhook(self, source: str, event_type: str, data: dict, *, message_id: str | None = None,
                secret: str | None = None, at: datetime | None = None, body: bytes | None = None,
                headers: dict | None = None) -> requests.Response:
        """Deliver a webhook signed by the reference Standard Webhooks library."""
        text = body.decode() if body is not None else json.dumps(
            {"type": event_type, "timestamp": self.engine.now().isoformat(), "data": data})
        message_id = message_id or f"msg_{uuid.uuid4().hex}"
        moment = at or self.engine.now()
        signed = {"webhook-id": message_id, "webhook-timestamp": str(int(moment.timestamp())),
                  "webhook-signature": Webhook(secret or self.secret).sign(message_id, moment, text),
                  "Content-Type": "application/json"}
        return requests.post(f"{self.url}/webhooks/{source}", data=text.encode(), headers=signed | (headers or {}),
                             timeout=30)

    def process_inbox(self) -> int:
        """Run the inbox worker once, as the scheduler's ``webhook-inbox`` job does; how many it accepted."""
        return Receiver(self.engine, load_sources(self.sources)).process_due()

    def delivered(self, source: str, event_type: str, data: dict, **options) -> dict:
        """Deliver a webhook (answered 202: queued), let the inbox worker apply it, and return the reply its
        webhook-id gets from then on."""
        response = self.webhook(source, event_type, data, **options)
        assert response.status_code == 202, response.text
        self.process_inbox()
        return self.stored_reply(source, response.json()["webhookId"])

    def process_every_try(self, clock) -> None:
        """Run the inbox worker at each of the queued events' tries, moving the clock past each wait, until
        all MAX_RETRIES are spent."""
        for _ in range(MAX_RETRIES):
            self.process_inbox()
            clock.advance(RETRY_DELAYS[-1])

    def stored_reply(self, source: str, webhook_id: str) -> dict:
        """The reply a later delivery of ``webhook_id`` gets (read where the receiver keeps it)."""
        with self.engine.db.reading() as session:
            return session.scalars(select(WebhookMessage.reply).where(
                WebhookMessage.source == source, WebhookMessage.webhook_id == webhook_id)).one()


def make_app(engine: Engine, sources_folder: Path = DATA / "bronnen") -> Flask:
    """The real web app (``create_app``), on the test's engine and webhook sources."""
    return create_app({"GROS_ENGINE": engine, "SECRET_KEY": "s" * 48, "GROS_WEBHOOK_SOURCES": str(sources_folder),
                       "SESSION_COOKIE_SECURE": False})  # the test server speaks plain HTTP


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch) -> None:
    """Real argon2 with its cheapest parameters; production's cost would make every test slow."""
    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def served_engine(engine: Engine) -> Engine:
    engine.repository.deploy([DATA / "melding.bpmn", SHARED / "approval.bpmn", SHARED / "aanvraag.form",
                   SHARED / "incident.bpmn"])
    return engine


@pytest.fixture
def site(served_engine: Engine) -> Iterator[Site]:
    with serve(make_app(served_engine)) as url:
        yield Site(url, served_engine, _tokens(served_engine), add_secret(served_engine, "proef", "test")[1])


class serve:
    """Run a WSGI app on a real threaded HTTP server on loopback for the duration of a ``with``."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join()


def _tokens(engine: Engine) -> dict[str, str]:
    tokens = {}
    for username, groups in ACCOUNTS.items():
        create_account(engine, username, PASSWORD, groups)
        tokens[username] = create_token(engine, username, "test", "pytest")[1]
    return tokens
