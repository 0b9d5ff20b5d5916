"""The Koppelingen page over real HTTP: the secretariaat makes and revokes tokens, adds subscribers
(each secret shown once) and requeues received webhooks given up on; management only looks; everyone
else is refused."""

from __future__ import annotations

import re

import requests
from sqlalchemy import select

from engine.store.models import AuditEvent
from engine.web.api.tokens import list_tokens
from webhooks import admin
from webhooks.inbound import MAX_RETRIES

from .conftest import PASSWORD

PAGE = "/beheer/koppelingen"


def logged_in(site, username: str) -> requests.Session:
    browser = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get(site.url + "/inloggen").text).group(1)
    response = browser.post(site.url + "/inloggen", data={"csrf_token": token, "gebruikersnaam": username,
                                                          "wachtwoord": PASSWORD}, allow_redirects=False)
    assert response.status_code == 302, response.text
    return browser


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_secretariaat_makes_a_token_that_works_once_shown_and_revokes_it(site):
    browser = logged_in(site, "secretaris")
    page = browser.get(site.url + PAGE)
    assert page.status_code == 200 and "API-tokens" in page.text
    missing = browser.post(site.url + PAGE + "/tokens", data={"csrf_token": csrf(page.text), "naam": ""})
    assert missing.status_code == 400
    assert "Vul account in" in missing.text and "Vul naam van het token in" in missing.text
    made = browser.post(site.url + PAGE + "/tokens", data={"csrf_token": csrf(page.text), "gebruiker": "nl",
                                                          "naam": "regiosysteem"})
    assert made.status_code == 200
    token = re.search(r"<code>(gros_[^<]+)</code>", made.text).group(1)
    assert site.call("GET", "/api/v1/task", None, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in browser.get(site.url + PAGE).text, "shown once"
    [info] = [t for t in list_tokens(site.engine, "nl") if t.name == "regiosysteem"]
    revoked = browser.post(site.url + f"{PAGE}/tokens/{info.id}/intrekken", data={"csrf_token": csrf(page.text)})
    assert revoked.status_code == 200 and "ingetrokken" in revoked.text
    assert site.call("GET", "/api/v1/task", None, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_subscribers_are_added_shown_paused_and_resumed_on_the_page(site, clock):
    browser = logged_in(site, "secretaris")
    page = browser.get(site.url + PAGE).text
    bad = browser.post(site.url + PAGE + "/abonnees", data={"csrf_token": csrf(page), "abonnee": "x y",
                                                            "url": "ftp://x"})
    assert bad.status_code == 400 and "https://" in bad.text
    # each problem at its own field, not all of them at the name
    assert 'href="#veld-abonnee"' in bad.text and 'href="#veld-url"' in bad.text
    assert re.search(r'id="fout-url">de URL begint met http', bad.text)
    assert re.search(r'id="fout-abonnee">een naam bestaat uit kleine letters', bad.text)
    added = browser.post(site.url + PAGE + "/abonnees", data={"csrf_token": csrf(page), "abonnee": "provincie",
                                                              "url": "http://127.0.0.1:9/x",
                                                              "events": ["dossier.gestart"]})
    assert added.status_code == 200 and "whsec_" in added.text
    admin.pause_subscriber(site.engine, "provincie", "test")
    assert "gepauzeerd" in browser.get(site.url + PAGE).text
    resumed = browser.post(site.url + PAGE + "/abonnees/provincie/hervatten", data={"csrf_token": csrf(page)})
    assert resumed.status_code == 200 and "is hervat" in resumed.text
    site.webhook("proef", "melding.nieuw", {"kenmerk": "P-1", "titel": "Pagina", "ernst": 1})
    assert "in wachtrij" in browser.get(site.url + PAGE).text and "verwerkt" not in browser.get(site.url + PAGE).text
    site.process_inbox()
    assert "verwerkt" in browser.get(site.url + PAGE).text


def test_management_only_looks_and_others_are_refused(site):
    manager = logged_in(site, "beheer")
    page = manager.get(site.url + PAGE)
    assert page.status_code == 200 and "Token maken" not in page.text and "Ontvangen webhooks" in page.text
    assert manager.post(site.url + PAGE + "/tokens", data={"csrf_token": csrf(page.text), "gebruiker": "nl",
                                                           "naam": "x"}).status_code == 403
    other = logged_in(site, "nl")
    assert other.get(site.url + PAGE).status_code == 403
    assert "Koppelingen" not in other.get(site.url + "/").text


def broken(*args, **kwargs):
    raise RuntimeError("schijf vol")


def test_a_webhook_given_up_on_is_counted_shown_with_why_and_requeued_by_the_secretariaat(site, clock, monkeypatch):
    monkeypatch.setattr(site.engine.runtime, "start_by_message", broken)
    site.webhook("proef", "melding.nieuw", {"kenmerk": "P-9", "titel": "Mislukt", "ernst": 1}, message_id="msg_mislukt")
    site.process_every_try(clock)
    manager = logged_in(site, "beheer")
    page = manager.get(site.url + PAGE).text
    assert "<strong>1 mislukt</strong>" in page
    assert f"mislukt na {MAX_RETRIES} pogingen — RuntimeError: schijf vol" in page
    assert "Opnieuw proberen" not in page, "management only looks"
    [failed] = admin.failed_events(site.engine)
    again = f"{site.url}{PAGE}/webhooks/{failed.id}/opnieuw"
    assert manager.post(again, data={"csrf_token": csrf(page)}).status_code == 403
    secretaris = logged_in(site, "secretaris")
    page = secretaris.get(site.url + PAGE).text
    assert "Opnieuw proberen" in page
    assert secretaris.post(again, data={}).status_code == 400, "no CSRF token, nothing requeued"
    monkeypatch.undo()
    requeued = secretaris.post(again, data={"csrf_token": csrf(page)})
    assert requeued.status_code == 200 and "opnieuw in de wachtrij" in requeued.text
    assert "0 mislukt" in requeued.text and 'aria-label="Mislukte webhooks"' not in requeued.text
    assert secretaris.post(again, data={"csrf_token": csrf(page)}).status_code == 404, "only a failed one"
    with site.engine.db.reading() as session:
        [audited] = session.scalars(select(AuditEvent).where(AuditEvent.action == "webhook.requeued"))
    assert (audited.actor, audited.data) == ("secretaris", {"webhooks": ["proef/msg_mislukt"]})
    assert site.process_inbox() == 1, "a fresh set of tries, due at once"
    assert site.stored_reply("proef", "msg_mislukt")["status"] == "accepted"


def test_the_api_shows_a_webhook_given_up_on_with_its_error_and_the_secretariaat_requeues_it(site, clock, monkeypatch):
    """What Koppelingen shows and does, for integrators that watch GROS through the API."""
    monkeypatch.setattr(site.engine.runtime, "start_by_message", broken)
    site.webhook("proef", "melding.nieuw", {"kenmerk": "P-9", "titel": "Mislukt", "ernst": 1}, message_id="msg_mislukt")
    site.process_every_try(clock)
    inbox = site.api("GET", "/webhook-inbox").json()
    [failed] = inbox["failed"]
    assert inbox["counts"] == {"queued": 0, "unmatched": 0, "failed": 1}
    assert (failed["webhookId"], failed["attempts"], failed["lastError"]) == (
        "msg_mislukt", MAX_RETRIES, "RuntimeError: schijf vol")
    requeue = f"/webhook-inbox/{failed['id']}/requeue"
    assert site.api("POST", requeue).status_code == 403, "management only looks"
    monkeypatch.undo()
    assert site.api("POST", requeue, "secretaris").json() == {"requeued": 1}
    assert site.api("POST", requeue, "secretaris").status_code == 404, "only a failed one"
    assert site.api("GET", "/webhook-inbox").json()["counts"] == {"queued": 1, "unmatched": 0, "failed": 0}
    assert site.process_inbox() == 1 and site.stored_reply("proef", "msg_mislukt")["status"] == "accepted"
