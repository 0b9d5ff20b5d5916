"""The kennisbank's fixtures: the web app, its officials, the live server and chromium from tests/web and
tests/monitor (the GROS models with their demo dossiers, seeded once per session, a manager)."""

from __future__ import annotations

from tests.monitor import conftest as monitor
from tests.web import conftest as web

app, login, people, quick_password_hashing = web.app, web.login, web.people, web.quick_password_hashing
live_server, chromium, browser_page, console_errors, screenshots = (
    web.live_server, web.chromium, web.browser_page, web.console_errors, web.screenshots)
database, dossiers, manager = monitor.database, monitor.dossiers, monitor.manager
