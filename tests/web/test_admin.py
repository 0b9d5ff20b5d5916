"""The secretariaat adds officials and sets their groups; nobody else may."""

from __future__ import annotations

import pytest

from engine.accounts import account, authenticate

NEW = {"gebruikersnaam": "an.peeters", "naam": "An Peeters", "email": "an.peeters@vlaanderen.example",
       "wachtwoord": "een-sterk-wachtwoord", "groepen": ["departement-vl", "grensregio-vl"]}


def test_the_secretariaat_sees_every_official(login):
    page = login("sec").get("/beheer/gebruikers").text
    assert "joris" in page and "Joris van Dijk" in page and "grensregio-nl" in page


def test_add_an_official_with_groups(login, engine):
    response = login("sec").post("/beheer/gebruikers/nieuw", NEW)
    assert response.headers["Location"] == "/beheer/gebruikers"
    person, groups = account(engine, "an.peeters")
    assert person.display_name == "An Peeters" and person.email == "an.peeters@vlaanderen.example"
    assert groups == ["departement-vl", "grensregio-vl"]
    assert authenticate(engine, "an.peeters", "een-sterk-wachtwoord") is not None


def test_every_mistake_is_named_and_nothing_is_created(login, engine):
    bad = {"gebruikersnaam": "An Peeters", "email": "geen-adres", "wachtwoord": "kort", "groepen": ["koning"]}
    response = login("sec").post("/beheer/gebruikers/nieuw", bad)
    assert response.status_code == 400
    for error in ("Gebruikersnaam: Gebruik 2 tot 100 kleine letters", "E-mailadres: Geef een geldig e-mailadres",
                  "Wachtwoord: Een wachtwoord heeft minstens 10 tekens.", "Groepen: Onbekende groep: koning."):
        assert error in response.text
    assert account(engine, "an peeters") is None


def test_an_existing_username_and_no_groups_are_refused(login):
    response = login("sec").post("/beheer/gebruikers/nieuw", NEW | {"gebruikersnaam": "joris", "groepen": []})
    assert response.status_code == 400
    assert "De gebruikersnaam joris bestaat al." in response.text and "Kies minstens één groep." in response.text


def test_change_groups_deactivate_and_reset_a_password(login, engine):
    sanne = login("sec")
    response = sanne.post("/beheer/gebruikers/joris", {"groepen": ["grensregio-nl", "departement-nl"],
                                                       "wachtwoord": "nieuw-wachtwoord-1"})
    assert response.status_code == 302
    person, groups = account(engine, "joris")
    assert groups == ["departement-nl", "grensregio-nl"] and not person.active
    sanne.post("/beheer/gebruikers/joris", {"groepen": ["grensregio-nl"], "actief": "1"})
    assert authenticate(engine, "joris", "nieuw-wachtwoord-1").groups == {"grensregio-nl"}


def test_a_bad_change_changes_nothing(login, engine):
    response = login("sec").post("/beheer/gebruikers/joris", {"groepen": [], "actief": "1", "wachtwoord": "kort"})
    assert response.status_code == 400
    assert account(engine, "joris")[1] == ["grensregio-nl"]


def test_the_secretariaat_cannot_lock_itself_out(login, engine):
    response = login("sec").post("/beheer/gebruikers/sanne", {"groepen": ["grensregio-nl"], "actief": "1"})
    assert response.status_code == 400 and "Je kunt jezelf niet deactiveren" in response.text
    assert account(engine, "sanne")[1] == ["secretariaat"]


def test_an_unknown_official_is_404(login):
    assert login("sec").get("/beheer/gebruikers/niemand").status_code == 404


@pytest.mark.parametrize("method, url", [
    ("get", "/beheer/gebruikers"), ("get", "/beheer/gebruikers/nieuw"), ("post", "/beheer/gebruikers/nieuw"),
    ("get", "/beheer/gebruikers/joris"), ("post", "/beheer/gebruikers/joris"),
])
def test_only_the_secretariaat_manages_officials(login, engine, method, url):
    official = login("nl")
    response = official.get(url) if method == "get" else official.post(url, NEW | {"groepen": ["secretariaat"]})
    assert response.status_code == 403
    assert account(engine, "an.peeters") is None and account(engine, "joris")[1] == ["grensregio-nl"]
