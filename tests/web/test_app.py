"""The application factory's settings, the security headers and cookies, CSRF, and error pages."""

from __future__ import annotations

import logging

import pytest

from engine.store.models import AuditEvent
from engine.web.app import ConfigurationError, create_app, settings_from_env


def test_production_refuses_to_start_without_a_real_secret_key(engine, monkeypatch):
    monkeypatch.delenv("GROS_SECRET_KEY", raising=False)
    monkeypatch.delenv("GROS_DEMO", raising=False)
    with pytest.raises(ConfigurationError, match="GROS_SECRET_KEY"):
        create_app({"GROS_ENGINE": engine})
    with pytest.raises(ConfigurationError, match="32 tekens"):
        create_app({"GROS_ENGINE": engine, "SECRET_KEY": "geheim"})


def test_demo_mode_makes_a_secret_key_for_the_run(engine):
    app = create_app({"GROS_ENGINE": engine, "GROS_DEMO": True, "SECRET_KEY": None})
    assert len(app.config["SECRET_KEY"]) >= 32


def test_settings_come_from_the_environment():
    settings = settings_from_env({"GROS_SECRET_KEY": "k" * 40, "GROS_DATABASE_URL": "sqlite:///x.db", "GROS_DEMO": "1"})
    assert settings == {"SECRET_KEY": "k" * 40, "GROS_DATABASE_URL": "sqlite:///x.db", "GROS_DEMO": True}
    assert settings_from_env({})["GROS_DEMO"] is False


def test_every_page_carries_the_security_headers(app):
    response = app.test_client().get("/inloggen")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_session_cookie_is_secure_http_only_and_same_site(login):
    official = login("nl")
    cookie = official.client.get_cookie("gros_sessie")
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(app, login, start, engine):
    start("GROS-2027-001")
    task = engine.query.tasks(group="grensregio-nl")[0]
    official = login("nl")
    response = official.client.post(f"/taken/{task.id}/claimen", data={"csrf_token": "vervalst"})
    assert response.status_code == 400
    assert "Het formulier is verlopen" in response.text
    assert engine.query.task(task.id).assignee is None


def test_logging_in_needs_the_csrf_token_too(app):
    response = app.test_client().post("/inloggen", data={"gebruikersnaam": "joris", "wachtwoord": "x"})
    assert response.status_code == 400


def test_unknown_pages_answer_in_dutch(login):
    response = login("nl").get("/bestaat-niet")
    assert response.status_code == 404
    assert "Niet gevonden" in response.text and 'lang="nl"' in response.text


def test_an_unexpected_error_is_logged_with_a_reference_and_shown_without_details(app, login, caplog):
    def broken():
        raise RuntimeError("database weg")

    app.add_url_rule("/kapot", "kapot", broken)
    with caplog.at_level(logging.ERROR):
        response = login("nl").get("/kapot")
    assert response.status_code == 500
    assert "database weg" not in response.text
    reference = response.text.split("referentie ")[1][:8]
    assert any(reference in record.getMessage() and record.exc_info for record in caplog.records)


def test_audit_trail_is_untouched_by_refused_requests(app, login, engine):
    with engine.db.reading() as session:
        before = session.query(AuditEvent).count()
    login("vl").client.post("/taken/onbekend/afronden", data={})
    with engine.db.reading() as session:
        assert session.query(AuditEvent).count() == before
