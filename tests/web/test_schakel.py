"""The schakel pages (seed § 4.4) and the stakeholder's answer page (§ 5.1, § 5.3.2) over HTTP and in the
browser with axe: the secretariaat forms a schakel and manages its members, a member sees their dossier and
nobody else's, opens a consultation; a stakeholder answers through their link once, without an account."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.gros.models import MailOutbox
from engine.services import Engine
from tests.web.test_browser import Visit

from .conftest import ROOT

AGENDERED = {"titel": "Grensarbeiders en pensioenopbouw", "agendering_resultaat": "geagendeerd",
             "federaal_betrokken": False}
CHAIRS = {"covoorzitter-nl": "mark", "covoorzitter-nl-organisatie": "Ministerie van Financiën",
          "covoorzitter-vl": "els", "covoorzitter-vl-organisatie": "Departement Werk"}


@pytest.fixture
def gros(app, engine: Engine) -> Engine:
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    return engine


def dossier(engine: Engine, key: str, process: str = "gros-uitwerking") -> str:
    return engine.runtime.start(process, key, AGENDERED)


def mailed_link(engine: Engine, address: str) -> str:
    with engine.db.reading() as session:
        body = session.scalar(select(MailOutbox.body).where(MailOutbox.address == address))
    return re.search(r"/consultatie/\S+", body).group(0)


def test_the_secretariaat_forms_a_schakel_and_only_its_members_see_the_dossier(gros, login):
    mine, other = dossier(gros, "GROS-2027-001"), dossier(gros, "GROS-2027-002")
    sanne, mark, joris = login("sec"), login("dnl"), login("nl")
    refused = mark.post(f"/schakel/{mine}/vormen", CHAIRS)
    assert refused.status_code == 403 and "alleen het secretariaat beheert" in refused.text
    formed = sanne.post(f"/schakel/{mine}/vormen", CHAIRS, follow_redirects=True)
    assert "De bestuurlijke schakel is gevormd." in formed.text
    added = sanne.post(f"/schakel/{mine}/leden", {"lid": "koen", "rol": "lid", "lid-organisatie": "FOD Financiën"},
                       follow_redirects=True)
    assert "koen zit nu in de schakel." in added.text and "FOD Financiën" in added.text
    wrong = sanne.post(f"/schakel/{mine}/leden", {"lid": "niemand", "rol": "lid", "lid-organisatie": ""},
                       follow_redirects=True)
    assert "&#39;niemand&#39; is geen gebruiker" in wrong.text and "vul de organisatie in" in wrong.text

    page = mark.get(f"/schakel/{mine}")
    assert page.status_code == 200 and "Oplossing uitwerken (NL)" in page.text and "Consultatie openen" in page.text
    assert "GROS-2027-001" in mark.get("/schakel").text and "GROS-2027-002" not in mark.get("/schakel").text
    assert mark.get(f"/schakel/{other}").status_code == 403
    assert joris.get(f"/schakel/{mine}").status_code == 403
    assert mark.post(f"/schakel/{mine}/leden", {"lid": "joris", "rol": "lid", "lid-organisatie": "Zeeland"}
                     ).status_code == 403  # a member does not add members
    assert joris.get(f"/schakel/{mine}").status_code == 403
    assert sanne.get(f"/schakel/{other}").status_code == 200  # the secretariaat oversees every dossier


def test_a_stakeholder_answers_once_through_the_link_and_sees_nothing_else(gros, login, app):
    mine = dossier(gros, "GROS-2027-001")
    login("sec").post(f"/schakel/{mine}/vormen", CHAIRS)
    opened = login("dnl").post(f"/schakel/{mine}/consultaties", {
        "vraag": "Wat betekent één regeling voor uw leden?", "documenten": "https://example.org/notitie.pdf",
        "genodigden": "bond@example.org; Grensarbeidersbond\nkamer@example.org", "termijn": "2030-01-31"},
        follow_redirects=True)
    assert "De consultatie is geopend" in opened.text
    link = mailed_link(gros, "bond@example.org")

    stakeholder = app.test_client()  # no account, no login
    shown = stakeholder.get(link)
    assert shown.status_code == 200 and "Wat betekent één regeling voor uw leden?" in shown.text
    assert "kamer@example.org" not in shown.text and "Grensarbeidersbond" in shown.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', shown.text).group(1)
    thanks = stakeholder.post(link, data={"csrf_token": token, "antwoord": "Minder papierwerk."})
    assert thanks.status_code == 200 and "Dank voor uw antwoord" in thanks.text
    assert stakeholder.get(link).status_code == 410
    assert stakeholder.post(link, data={"csrf_token": token, "antwoord": "Nog eens."}).status_code == 410
    assert stakeholder.get(link[:-3] + "abc").status_code == 404
    assert stakeholder.get(f"/schakel/{mine}").status_code == 302  # to the login page
    assert stakeholder.get("/taken").status_code == 302
    assert "Minder papierwerk." in login("dvl").get(f"/schakel/{mine}").text  # on the dossier
    [working_out] = [t for t in gros.query.tasks(instance_id=mine) if t.element_id == "Activity_OplossingUitwerkenNL"]
    beside = login("dnl").get(f"/taken/{working_out.id}").text  # summarised beside the solution (§ 5.3.2)
    assert "Wat belanghebbenden zeiden" in beside and "Minder papierwerk." in beside and "1 van 2" in beside


def test_closing_a_consultation_early_is_refused_on_the_page(gros, login):
    mine = dossier(gros, "GROS-2027-001")
    login("sec").post(f"/schakel/{mine}/vormen", CHAIRS)
    mark = login("dnl")
    mark.post(f"/schakel/{mine}/consultaties", {"vraag": "Vraag?", "documenten": "", "termijn": "2030-01-31",
                                                "genodigden": "bond@example.org"})
    consultation = re.search(r"/consultaties/(\d+)/sluiten", mark.get(f"/schakel/{mine}").text).group(1)
    refused = mark.post(f"/schakel/{mine}/consultaties/{consultation}/sluiten", follow_redirects=True)
    assert "0 van de 1 genodigden antwoordden" in refused.text


def test_the_schakel_and_the_answer_pages_in_the_browser(gros, live_server, browser_page, screenshots, chromium):
    mine = dossier(gros, "GROS-2027-001")
    visit = Visit(browser_page, live_server, screenshots)
    visit.log_in("sanne")
    visit.page.get_by_role("link", name="Schakels").click()
    visit.page.get_by_role("link", name="GROS-2027-001 Grensarbeiders en pensioenopbouw").click()
    visit.check("40-schakel-vormen")
    visit.page.get_by_label("Covoorzitter Nederland (gebruikersnaam)").fill("mark")
    visit.page.get_by_label("Organisatie van de covoorzitter nederland").fill("Ministerie van Financiën")
    visit.page.get_by_label("Covoorzitter Vlaanderen (gebruikersnaam)").fill("els")
    visit.page.get_by_label("Organisatie van de covoorzitter vlaanderen").fill("Departement Werk")
    visit.page.get_by_role("button", name="Schakel vormen").click()
    visit.page.get_by_text("De bestuurlijke schakel is gevormd.").wait_for()
    visit.check("41-schakel-leden")
    visit.log_out()

    visit.log_in("mark")
    visit.page.goto(f"{live_server}/schakel/{mine}")
    visit.page.get_by_label("Vraag").fill("Wat betekent één regeling voor uw leden?")
    visit.page.get_by_label("Genodigden (per regel: e-mailadres; organisatie)").fill("bond@example.org; Bond")
    visit.page.get_by_label("Antwoorden tot en met").fill("2030-01-31")
    visit.page.get_by_role("button", name="Consultatie openen").click()
    visit.page.get_by_text("De consultatie is geopend").wait_for()
    visit.check("42-schakel-consultatie")

    context = chromium.new_context(locale="nl-BE")  # the stakeholder's own browser, without an account
    stakeholder = Visit(context.new_page(), live_server, screenshots)
    stakeholder.page.goto(live_server + mailed_link(gros, "bond@example.org"))
    stakeholder.check("43-consultatie-antwoorden")
    stakeholder.page.get_by_label("Uw antwoord").fill("Minder papierwerk voor onze leden.")
    stakeholder.page.get_by_role("button", name="Antwoord versturen").click()
    stakeholder.page.get_by_role("heading", name="Dank voor uw antwoord").wait_for()
    stakeholder.check("44-consultatie-bedankt")
    context.close()
    visit.page.reload()
    visit.page.get_by_text("Minder papierwerk voor onze leden.").first.wait_for()
