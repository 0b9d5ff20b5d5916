"""Shared fixtures: a real SQLite file and a real PostgreSQL database per test session.

A test that takes ``database`` starts on the newest schema without running the migrations: they run once per
session (per xdist worker) and each test gets a copy (tests/snapshots.py). PostgreSQL tests skip with a visible
reason where no server runs; CI (``GROS_REQUIRE_ALL=1``) turns every such skip into a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from engine.clock import FixedClock
from engine.services import Engine
from engine.store.db import POSTGRES_ADMIN_URL, scratch_postgres
from engine.wiring import open_engine
from tests.snapshots import Snapshots

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
REQUIRE_ALL = os.environ.get("GROS_REQUIRE_ALL") == "1"
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, … under pytest-xdist


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run (each xdist worker its own), dropped afterwards."""
    try:
        with scratch_postgres(f"gros_test_{WORKER}", POSTGRES_ADMIN_URL) as url:
            yield url
    except OperationalError as error:
        pytest.skip(f"needs PostgreSQL at {POSTGRES_ADMIN_URL}: {error.orig}")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gros.db'}"


@pytest.fixture(scope="session")
def snapshots(tmp_path_factory: pytest.TempPathFactory) -> Snapshots:
    """The run's database states, each built once and copied for every test that starts from it."""
    return Snapshots(tmp_path_factory.mktemp("snapshots"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path: Path, snapshots: Snapshots) -> str:
    """Each test that takes this runs once on a SQLite file and once on PostgreSQL (own schema), both on the
    newest schema. A conftest that needs a richer start overrides this with a ``snapshots.copy`` of
    its own state (tests/monitor/conftest.py)."""
    return snapshots.copy(request, tmp_path)


@pytest.fixture
def pg_url(postgres_url: str, snapshots: Snapshots) -> str:
    """A schema of its own in the run's PostgreSQL database (cheaper than a database per test), migrated."""
    return snapshots.postgres(postgres_url)


@pytest.fixture
def engine(database: str, clock: FixedClock) -> Iterator[Engine]:
    opened = open_engine(database, clock=clock)
    yield opened
    opened.db.dispose()


@pytest.fixture(scope="session")
def chromium_browser():
    """Debian's chromium driven by Playwright: one for the whole run, as Playwright's sync API allows
    only one running instance per process (its own browser download is neither needed nor possible)."""
    path = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if not path:
        pytest.skip("needs Chromium: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("needs the playwright package: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI a skip for a missing PostgreSQL, Node or Chromium is a failure, not a pass."""
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_ALL and report.skipped and isinstance(report.longrepr, tuple) and "needs " in report.longrepr[2]:
        report.outcome = "failed"
        report.longrepr = f"CI requires every test to run, but it skipped: {report.longrepr[2]}"
