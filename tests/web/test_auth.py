"""Logging in and out through the real form; who is logged in follows the account's current state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.accounts import set_active, set_groups
from engine.store.models import AuditEvent
from engine.web.app import create_app
from engine.wiring import open_engine

from .conftest import PASSWORD, SECRET, form_token


def _login(client, username: str, password: str, next_url: str = ""):
    token = form_token(client.get("/inloggen").text)
    return client.post("/inloggen", data={"csrf_token": token, "gebruikersnaam": username, "wachtwoord": password,
                                          "next": next_url})


def test_pages_need_a_login_and_come_back_after_it(app):
    client = app.test_client()
    response = client.get("/taken/groepen?fase=x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/inloggen?next=/taken/groepen?fase%3Dx"
    response = _login(client, "joris", PASSWORD, "/taken/groepen?fase=x")
    assert response.headers["Location"] == "/taken/groepen?fase=x"


def test_a_wrong_password_or_unknown_user_gets_the_same_message(app):
    client = app.test_client()
    wrong = _login(client, "joris", "verkeerd-wachtwoord")
    unknown = _login(client, "niemand", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert "Onbekende gebruikersnaam of verkeerd wachtwoord." in response.text
    assert client.get("/taken").status_code == 302


def test_empty_fields_are_named(app):
    response = _login(app.test_client(), "", "")
    assert response.status_code == 400
    assert "Gebruikersnaam: Vul je gebruikersnaam in." in response.text
    assert "Wachtwoord: Vul je wachtwoord in." in response.text
    assert 'aria-invalid="true"' in response.text


@pytest.mark.parametrize("target", [
    "https://kwaad.example/", "//kwaad.example/", "/\\kwaad.example", "\\\\kwaad.example", "http:kwaad.example",
    "/\t/kwaad.example/x", "/\n/kwaad.example", "/ /kwaad.example", " //kwaad.example", "/%2F/kwaad.example",
    "javascript:alert(1)", "taken", "/\u3000/kwaad.example",
])
def test_only_local_paths_are_followed_after_login(app, target):
    response = _login(app.test_client(), "joris", PASSWORD, target)
    assert response.headers["Location"] == "/taken"


def test_a_local_path_with_its_query_is_followed_after_login(app):
    response = _login(app.test_client(), "joris", PASSWORD, "/monitor/?zoek=a%2Fb&fase=x")
    assert response.headers["Location"] == "/monitor/?zoek=a%2Fb&fase=x"


def test_the_header_shows_who_is_logged_in(login):
    page = login("nl").get("/taken").text
    assert "Joris van Dijk" in page and "Uitloggen" in page


def test_logging_out_ends_the_session(login):
    official = login("nl")
    response = official.post("/uitloggen")
    assert response.headers["Location"] == "/inloggen"
    assert official.get("/taken").status_code == 302


def test_logging_out_needs_a_post(login):
    official = login("nl")
    assert official.get("/uitloggen").status_code == 405
    assert official.get("/taken").status_code == 200


def test_a_deactivated_account_is_logged_out_at_its_next_request(login, engine):
    official = login("nl")
    set_active(engine, "joris", False)
    assert official.get("/taken").status_code == 302
    assert _login(official.client, "joris", PASSWORD).status_code == 400


def test_group_changes_apply_at_the_next_request(login, engine):
    official = login("nl")
    assert official.get("/beheer/gebruikers").status_code == 403
    set_groups(engine, "joris", ["grensregio-nl", "secretariaat"])
    assert official.get("/beheer/gebruikers").status_code == 200


def test_failed_logins_are_throttled_per_account_with_a_growing_wait(app, clock):
    client = app.test_client()
    for _ in range(4):
        assert _login(client, "joris", "verkeerd-wachtwoord").status_code == 400
    assert _login(client, "joris", "verkeerd-wachtwoord").status_code == 400  # the fifth: a wait begins
    refused = _login(client, "joris", PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "30"
    assert "Te veel mislukte pogingen; probeer het over 30 seconden opnieuw." in refused.text
    assert client.get("/taken").status_code == 302, "the right password does not get past the wait"
    clock.advance(timedelta(seconds=31))
    assert _login(client, "joris", "verkeerd-wachtwoord").status_code == 400
    assert "over 60 seconden" in _login(client, "joris", PASSWORD).text, "each further failure doubles the wait"
    assert _login(app.test_client(), "fatima", PASSWORD).status_code == 302, "other accounts log in"
    clock.advance(timedelta(seconds=61))
    assert _login(client, "joris", PASSWORD).status_code == 302
    for _ in range(4):
        _login(app.test_client(), "joris", "verkeerd-wachtwoord")
    assert _login(app.test_client(), "joris", PASSWORD).status_code == 302, "a success starts over"


def test_failed_logins_are_throttled_per_address_across_workers(app, engine, database, clock):
    """Two apps with their own engine on one database, as two gunicorn workers."""
    other = create_app({"GROS_ENGINE": open_engine(database, clock=clock), "SECRET_KEY": SECRET, "TESTING": True})
    for i in range(20):
        worker = (app if i % 2 else other).test_client()
        worker.environ_base["REMOTE_ADDR"] = "192.0.2.7"
        assert _login(worker, f"gok{i}", "verkeerd-wachtwoord").status_code == 400
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert _login(guesser, "joris", PASSWORD).status_code == 429
    assert _login(app.test_client(), "joris", PASSWORD).status_code == 302, "another address is not held up"
    other.extensions["gros.engine"].db.dispose()


def test_failed_logins_are_in_the_audit_trail(app, engine):
    _login(app.test_client(), "joris", "verkeerd-wachtwoord")
    _login(app.test_client(), "niemand", "verkeerd-wachtwoord")
    with engine.db.reading() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")).all()
    assert [(e.instance_id, e.data["gebruikersnaam"], e.data["adres"]) for e in events] == [
        (None, "joris", "127.0.0.1"), (None, "niemand", "127.0.0.1")]
