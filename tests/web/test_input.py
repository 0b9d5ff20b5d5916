"""What people type is refused at the door when it cannot be stored or makes no sense — a Dutch 400
naming the field, or a 404 for an id no row can have — and never reaches a dossier (issue #13, 4 and 7)."""

from __future__ import annotations

import json

import pytest

from engine import accounts
from engine.gros import meetings

from .conftest import PASSWORD
from .test_inbox import VALID, completions, first_task


@pytest.mark.parametrize("text", ["\udc00", "a\x00b"])
def test_a_form_field_that_cannot_be_stored_is_refused_by_name(login, start, engine, text):
    start("GROS-2027-001")
    task = first_task(engine, "grensregio-nl")
    joris = login("nl")
    joris.post(f"/taken/{task.id}/claimen")
    response = joris.post(f"/taken/{task.id}/afronden", {"variables": json.dumps({**VALID, "motivering": text})})
    assert response.status_code == 400
    assert "motivering: " in response.text
    assert completions(engine, task.id) == 0
    assert engine.query.variables(task.instance_id).get("motivering") is None
    assert joris.get(f"/taken/{task.id}").status_code == 200, "the dossier still shows"


@pytest.mark.parametrize(("url", "status", "words"), [
    ("/monitor/?zoek=%00", 400, "zoek: mag geen NUL-teken bevatten"),
    ("/taken/%00", 400, "task_id: mag geen NUL-teken bevatten"),
    ("/taken/groepen?pagina=%C2%B2", 400, "Pagina: geef een geheel getal"),
    ("/monitor/?pagina=" + "9" * 5000, 400, "is langer dan 1000 tekens"),
    ("/monitor/?pagina=99999999999999999999", 400, "Pagina: geef een geheel getal van 1 tot en met 1000000"),
    ("/monitor/processen/99999999999999999999", 404, "Deze pagina bestaat niet"),
    ("/overleg/9223372036854775808", 404, "Deze pagina bestaat niet"),
    ("/monitor/rapportage?van=0001-01-01", 400, "Van: geef een datum tussen 1900 en 2199"),
    ("/monitor/rapportage.csv?tot=9999-12-31", 400, "Tot en met: geef een datum tussen 1900 en 2199"),
    ("/monitor/rapportage?van=2027-02-30", 400, "Van: geef een datum als JJJJ-MM-DD"),
])
def test_bad_query_strings_and_ids_are_named_not_a_server_error(login, url, status, words):
    response = login("sec").get(url)
    assert response.status_code == status, response.text
    assert words in response.text


def test_a_meeting_with_absurd_weeks_is_refused_and_not_planned(login, engine):
    secretariaat = login("sec")
    form = {"soort": "bilateraal", "datum": "2027-04-15", "uur": "10:00", "zone": "NL", "termijn": "2"}
    response = secretariaat.post("/overleg", {**form, "vooraf": "100000000"}, follow_redirects=True)
    assert response.status_code == 200 and "Weken vooraf: geef een geheel getal van 1 tot en met 26" in response.text
    far = secretariaat.post("/overleg", {**form, "vooraf": "6", "datum": "9999-12-31"}, follow_redirects=True)
    assert "Datum: geef een datum tussen 1900 en 2199" in far.text
    long = secretariaat.post("/overleg", {**form, "vooraf": "6", "titel": "x" * 301}, follow_redirects=True)
    assert "de titel van een overleg is hoogstens 300 tekens" in long.text
    assert meetings.calendar(engine) == []


def test_a_nul_in_the_login_form_is_refused_by_name(app):
    client = app.test_client()
    response = client.post("/inloggen", data={"gebruikersnaam": "joris\x00", "wachtwoord": PASSWORD})
    assert response.status_code == 400
    assert "gebruikersnaam: mag geen NUL-teken bevatten" in response.text


def test_a_new_user_with_an_over_long_name_or_address_is_refused_by_name(login, engine):
    secretariaat = login("sec")
    form = {"gebruikersnaam": "an.peeters", "wachtwoord": "een-lang-wachtwoord", "groepen": "grensregio-vl"}
    long_name = secretariaat.post("/beheer/gebruikers/nieuw", {**form, "naam": "x" * 201})
    long_address = secretariaat.post("/beheer/gebruikers/nieuw", {**form, "email": "a" * 190 + "@voorbeeld.be"})
    assert (long_name.status_code, long_address.status_code) == (400, 400)
    assert "Volledige naam: Hoogstens 200 tekens." in long_name.text
    assert "E-mailadres: Hoogstens 200 tekens." in long_address.text
    assert accounts.account(engine, "an.peeters") is None
