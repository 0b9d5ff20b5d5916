"""Logging in and out through the real form; who is logged in follows the account's current state."""

from __future__ import annotations

import pytest

from engine.accounts import set_active, set_groups

from .conftest import PASSWORD, form_token


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
