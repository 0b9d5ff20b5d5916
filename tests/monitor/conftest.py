"""The monitor's fixtures: the web app, its officials, the live server and Debian's chromium come from
tests/web/conftest.py; here a manager logs in, and the GROS models with their demo dossiers are
deployed and driven through the engine's commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.accounts import create_account
from engine.gros import demo
from engine.services import Actor, Engine
from tests.web import conftest as web
from tests.web.conftest import PASSWORD, Official, form_token

# The web app's fixtures, reused as they are: the app on the parametrized database, officials who log in,
# the live server, Debian's chromium with console errors failing the test, screenshots in test-output/.
app, login, people, quick_password_hashing = web.app, web.login, web.people, web.quick_password_hashing
live_server, chromium, browser_page, console_errors, screenshots = (
    web.live_server, web.chromium, web.browser_page, web.console_errors, web.screenshots)

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
MANAGER = Actor.of("ingrid", ["management"])


@pytest.fixture
def dossiers(app, engine: Engine) -> dict[str, str]:
    """The GROS models deployed and the demo dossiers driven to their stages: business key → instance id."""
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    demo.seed_dossiers(engine)
    return {instance.business_key: instance.id for instance in engine.query.instances(limit=100)}


@pytest.fixture
def manager(app, engine: Engine) -> Official:
    """Ingrid of management, logged in through the real login form."""
    create_account(engine, MANAGER.user, PASSWORD, sorted(MANAGER.groups), "Ingrid Smits")
    client = app.test_client()
    response = client.post("/inloggen", data={"csrf_token": form_token(client.get("/inloggen").text),
                                              "gebruikersnaam": MANAGER.user, "wachtwoord": PASSWORD})
    assert response.status_code == 302, response.text
    return Official(client, MANAGER)
