"""The monitor's fixtures: the web app, its officials, the live server and Debian's chromium come from
tests/web/conftest.py; here a manager logs in, and the GROS models with their demo dossiers are
deployed and driven through the engine's commands — once per session: a test that takes ``dossiers`` starts
from a copy of that database (tests/snapshots.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import accounts
from engine.accounts import create_account
from engine.clock import FixedClock
from engine.gros import demo
from engine.services import Actor, Engine
from engine.wiring import open_engine
from tests.snapshots import Snapshots
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


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path: Path, snapshots: Snapshots) -> str:
    """As tests/conftest.py's; for a test that takes ``dossiers``, a copy of the database that the ``app`` and
    ``dossiers`` fixtures leave behind, built once per session (seeding costs more than most tests)."""
    if "dossiers" in request.fixturenames:
        return snapshots.copy(request, tmp_path, "demo-dossiers", _build_demo_dossiers)
    return snapshots.copy(request, tmp_path)


def _build_demo_dossiers(url: str) -> None:
    """What the ``app`` and ``dossiers`` fixtures write, with the clock and password hashing of a test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_HASHER", web.QUICK_HASHER)
        engine = open_engine(url, clock=FixedClock())
        try:
            web.prepare_web(engine)
            seed_demo_dossiers(engine)
        finally:
            engine.db.dispose()


def seed_demo_dossiers(engine: Engine) -> None:
    """The GROS models deployed and the demo dossiers driven to their stages; both skip what is there already."""
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    demo.seed_dossiers(engine)


@pytest.fixture
def dossiers(app, engine: Engine) -> dict[str, str]:
    """The GROS models deployed and the demo dossiers driven to their stages: business key → instance id.
    The database (``database`` above) holds them already; seeding again proves that and changes nothing."""
    seed_demo_dossiers(engine)
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
