"""The secretariaat's privacy page (issue 20): search a person, export the findings as JSON, erase after a
decision; bad input is explained, never a 500, and only the secretariaat gets in."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select

from engine.services import Actor, Engine
from engine.services.personal import ERASED
from tests.web.test_browser import Visit
from webhooks.models import WebhookMessage

MODELS = [Path(__file__).parents[1] / "engine" / "data" / name for name in ("melding.bpmn", "melding-registreren.form")]
ENTERED = {"melder_naam": "An Peeters", "melder_contact": "an.peeters@example.org", "thema": "zorg", "uitkomst": "open"}


def registered(engine: Engine) -> str:
    engine.repository.deploy(MODELS)
    instance_id = engine.runtime.start("melding", business_key="M-1")
    [task] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(task.id, Actor.of("sanne", ["secretariaat"]), ENTERED)
    return instance_id


def test_the_secretariaat_finds_exports_and_erases_a_persons_data(app, login, engine):
    instance_id = registered(engine)
    secretariaat = login("sec")
    page = secretariaat.get("/privacy?zoek=an.peeters@example.org")
    assert page.status_code == 200
    assert "komt voor in 1 dossier(s)" in page.text and "M-1" in page.text and "melder_contact" in page.text
    assert "Melding beoordelen" in page.text  # the open task

    export = secretariaat.get("/privacy/export?zoek=an.peeters@example.org")
    assert export.headers["Content-Disposition"] == 'attachment; filename="inzage.json"'
    assert json.loads(export.text)["dossiers"][0]["instance_id"] == instance_id
    printed = secretariaat.get("/privacy/export.pdf?zoek=an.peeters@example.org")
    assert printed.headers["Content-Disposition"] == 'attachment; filename="inzage.pdf"'
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(printed.data)).pages)
    assert "an.peeters@example.org" in text and "M-1" in text and "melder_contact" in text

    refused = secretariaat.post("/privacy/wissen", {"zoek": "an.peeters@example.org", "besluit": ""},
                                follow_redirects=True)
    assert refused.status_code == 200 and "besluit: geef het besluit op" in refused.text
    assert engine.query.variables(instance_id)["melder_contact"] == "an.peeters@example.org"

    done = secretariaat.post("/privacy/wissen", {"zoek": "an.peeters@example.org", "besluit": "B-2027/14"},
                             follow_redirects=True)
    assert "verwijderd uit 1 dossier(s)" in done.text and "komt voor in 0 dossier(s)" in done.text
    assert engine.query.variables(instance_id)["melder_contact"] == ERASED


def test_data_kept_beside_the_dossiers_is_shown_and_erased_too(app, login, engine):
    """Only an inbound webhook body names the person: the page shows where, and erasing reaches it."""
    with engine.db.transaction() as session:
        session.add(WebhookMessage(source="loket", webhook_id="msg-1", status="unmatched", http_status=202, reply={},
                                   body=json.dumps({"melder": {"email": "an.peeters@example.org"}}),
                                   received_at=engine.now(), updated_at=engine.now()))
    secretariaat = login("sec")
    page = secretariaat.get("/privacy?zoek=an.peeters@example.org").text
    assert "komt voor in 0 dossier(s)" in page and "Buiten de dossiers" in page
    assert "ontvangen webhooks #1: inhoud.melder.email" in page
    done = secretariaat.post("/privacy/wissen", {"zoek": "an.peeters@example.org", "besluit": "B-2027/14"},
                             follow_redirects=True)
    assert "verwijderd uit 0 dossier(s) en 1 plaats(en) daarbuiten" in done.text
    assert "Buiten de dossiers" not in done.text
    with engine.db.reading() as session:
        assert json.loads(session.scalar(select(WebhookMessage.body))) == {"melder": {"email": ERASED}}


def test_a_short_search_is_explained_and_others_are_refused(app, login, engine):
    registered(engine)
    page = login("sec").get("/privacy?zoek=an")
    assert page.status_code == 200 and "zoekterm: geef minstens 3 tekens" in page.text
    region = login("nl")
    assert region.get("/privacy?zoek=an.peeters@example.org").status_code == 403
    assert region.get("/privacy/export?zoek=an.peeters@example.org").status_code == 403
    assert region.get("/privacy/export.pdf?zoek=an.peeters@example.org").status_code == 403
    assert region.post("/privacy/wissen", {"zoek": "an.peeters@example.org", "besluit": "x-1"}).status_code == 403


def test_a_privacy_request_in_the_browser(app, live_server, browser_page, screenshots, engine):
    instance_id = registered(engine)
    visit = Visit(browser_page, live_server, screenshots)
    visit.log_in("sanne")
    visit.page.get_by_role("link", name="Privacy").click()
    visit.page.get_by_label("E-mailadres of naam").fill("an.peeters@example.org")
    visit.page.get_by_role("button", name="Zoeken").click()
    visit.page.get_by_role("heading", name="'an.peeters@example.org' komt voor in 1 dossier(s)").wait_for()
    visit.check("30-privacyverzoek")
    visit.page.get_by_label("Besluit dat de verwijdering toestaat (kenmerk en datum)").fill("B-2027/14 van 4-1-2027")
    visit.page.get_by_role("button", name="Gegevens verwijderen").click()
    visit.page.get_by_text("De gegevens zijn verwijderd uit 1 dossier(s).").wait_for()
    assert engine.query.variables(instance_id)["melder_contact"] == ERASED
