"""Fixtures for the web app: the app on the parametrized database (SQLite file and PostgreSQL), officials
of different groups who log in through the real login form, the app served over real HTTP, and Debian's
chromium driven by Playwright."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from engine import accounts
from engine.accounts import create_account
from engine.clock import FixedClock
from engine.services import Actor, Engine
from engine.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
WEB_DATA = ROOT / "tests" / "data" / "web"
SCREENSHOTS = ROOT / "test-output"
PASSWORD = "proef-wachtwoord"
SECRET = "s" * 48

# key → (username, display name, groups)
PEOPLE = {
    "nl": ("joris", "Joris van Dijk", ["grensregio-nl"]),
    "nl2": ("fatima", "Fatima El Amrani", ["grensregio-nl"]),
    "vl": ("lien", "Lien Peeters", ["grensregio-vl"]),
    "sec": ("sanne", "Sanne de Wit", ["secretariaat"]),
    "net": ("pieter", "Pieter Claes", ["regionaal-netwerk"]),
    "fed": ("koen", "Koen Dubois", ["federaal-be"]),
    "both": ("bram", "Bram Willems", ["grensregio-nl", "grensregio-vl"]),
    "dnl": ("mark", "Mark Jansen", ["departement-nl"]),
    "dvl": ("els", "Els Maes", ["departement-vl"]),
}


def _actor(key: str) -> Actor:
    username, _, groups = PEOPLE[key]
    return Actor.of(username, groups)


@pytest.fixture
def people() -> dict[str, Actor]:
    return {key: _actor(key) for key in PEOPLE}


QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch) -> None:
    """Real argon2, with the cheapest parameters: production's cost would make every login in a test slow."""
    monkeypatch.setattr(accounts, "_HASHER", QUICK_HASHER)


@pytest.fixture
def app(engine: Engine) -> Flask:
    prepare_web(engine)
    return create_app({"GROS_ENGINE": engine, "SECRET_KEY": SECRET, "TESTING": True})


def prepare_web(engine: Engine) -> None:
    """The web tests' models deployed and every official's account present; on a database copied from a
    snapshot that has them already (tests/snapshots.py) this finds everything in place and writes nothing."""
    engine.repository.deploy([WEB_DATA])
    for username, name, groups in PEOPLE.values():
        if accounts.account(engine, username) is None:
            create_account(engine, username, PASSWORD, groups, name)


@dataclass
class Official:
    """One logged-in person with their own cookie jar; posts carry the session's CSRF token."""

    client: FlaskClient
    actor: Actor

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict | None = None, **kwargs):
        return self.client.post(url, data={"csrf_token": self.token(), **(data or {})}, **kwargs)

    def token(self) -> str:
        with self.client.session_transaction() as session:
            if "csrf_token" in session:
                return session["csrf_token"]
        return form_token(self.client.get("/inloggen").text)


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def login(app: Flask) -> Callable[[str], Official]:
    def log_in(key: str) -> Official:
        client = app.test_client()
        username = PEOPLE[key][0]
        token = form_token(client.get("/inloggen").text)
        response = client.post("/inloggen", data={"csrf_token": token, "gebruikersnaam": username,
                                                  "wachtwoord": PASSWORD})
        assert response.status_code == 302, response.text
        return Official(client, _actor(key))

    return log_in


@pytest.fixture
def start(engine: Engine, clock: FixedClock) -> Callable[..., str]:
    """Start a werkbak dossier as the secretariaat; its first task waits for grensregio-nl."""

    def started(business_key: str, title: str = "Grensarbeiders en pensioenopbouw", due_in_days: int = 7,
                **variables) -> str:
        due = (clock.now() + timedelta(days=due_in_days)).isoformat()
        variables = {"titel": title, "termijn": due, **variables}
        return engine.runtime.start("werkbak", business_key, variables, _actor("sec"))

    return started


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app behind a real WSGI server on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def chromium(chromium_browser):
    """The run's one chromium (tests/conftest.py); other test folders reuse this fixture by name."""
    return chromium_browser


@pytest.fixture
def console_errors() -> list[str]:
    """What the browser reported as errors; a test that provokes one on purpose removes it."""
    return []


@pytest.fixture
def browser_page(chromium, console_errors):
    """A fresh browser context; console errors (CSP violations among them) fail the test at the end."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="nl-BE")
    page = context.new_page()
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield page
    context.close()
    assert not console_errors, f"browser console errors: {console_errors}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
