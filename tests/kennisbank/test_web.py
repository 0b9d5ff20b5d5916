"""The kennisbank's pages through real HTTP requests on SQLite and PostgreSQL: every group reads and
searches it, precedents marked on a task page show on both dossiers and in the monitor, only the
secretariaat keeps the loketten and publishes summaries, and the public pages show exactly the published
summaries — nothing of a dossier that is not published, no field beyond the summary."""

from __future__ import annotations

import csv
import io
import json
from xml.etree import ElementTree as ET

import pytest

from engine.gros.kennisbank.public import FIELDS
from tests.web.conftest import PEOPLE


def card_url(dossiers, key: str) -> str:
    return f"/kennisbank/dossiers/{dossiers[key]}"


def test_every_group_reads_and_searches_the_kennisbank(app, login, dossiers):
    for key in PEOPLE:
        page = login(key).get("/kennisbank/?q=grensarbeider")
        assert page.status_code == 200, key
        assert 'data-dossier="GROS-2026-006"' in page.text and 'data-dossier="GROS-2025-007"' not in page.text
    page = login("nl").get("/kennisbank/?q=grensarbeider")
    assert "<mark>Grensarbeiders</mark>" in page.text  # the dossier's own word, found by its stem
    assert app.test_client().get("/kennisbank/").status_code == 302  # to the login page


def test_filters_and_a_bad_filter_named_in_dutch(login, dossiers):
    official = login("vl")
    page = official.get("/kennisbank/?fase=afgerond&thema=zorg")
    assert page.text.count('class="panel kennis-card"') == 1 and 'data-dossier="GROS-2025-007"' in page.text
    refused = official.get("/kennisbank/?jaar=vorig&zijde=FR")
    assert refused.status_code == 400
    assert "Jaar: vul een positief geheel getal in" in refused.text and "Zijde: kies een van" in refused.text


def test_the_card_shows_what_the_dossier_recorded(login, dossiers):
    page = login("dnl").get(card_url(dossiers, "GROS-2025-007"))
    assert page.status_code == 200
    for text in ("Grensoverschrijdende ambulancezorg", "Besluiten per zijde", "Geleerde lessen", "Opgelost"):
        assert text in page.text, text
    assert "Samenvatting openbaar maken" not in page.text  # only for the secretariaat


def test_a_precedent_marked_on_a_task_page_shows_on_both_dossiers_and_in_the_monitor(
        engine, login, manager, people, dossiers):
    network = login("net")  # regionaal-netwerk: Eerste verkenning of GROS-2026-006 waits for it
    [task] = [t for t in engine.query.tasks(instance_id=dossiers["GROS-2026-006"])
              if t.element_id == "Activity_EersteVerkenning"]
    page = network.get(f"/taken/{task.id}")
    assert "Vergelijkbare dossiers" in page.text
    assert 'data-dossier="GROS-2025-007"' in page.text  # same theme (zorg), cross-border care
    assert 'data-dossier="GROS-2026-006"' not in page.text.split("Vergelijkbare dossiers")[1]
    done = network.post(f"/kennisbank/dossiers/{dossiers['GROS-2026-006']}/precedenten",
                        {"precedent": dossiers["GROS-2025-007"], "terug": f"/taken/{task.id}"})
    assert done.status_code == 302 and done.headers["Location"] == f"/taken/{task.id}"
    assert "Aangeduid als precedent" in network.get(f"/taken/{task.id}").text

    newer = network.get(card_url(dossiers, "GROS-2026-006")).text
    older = network.get(card_url(dossiers, "GROS-2025-007")).text
    assert "Grensoverschrijdende ambulancezorg" in newer.split("Precedenten")[1].split("Precedent voor")[0]
    assert "Zorgkosten van grensarbeiders" in older.split("Precedent voor")[1]
    monitor = manager.get(f"/monitor/dossiers/{dossiers['GROS-2025-007']}").text
    assert "Zorgkosten van grensarbeiders" in monitor.split("Precedent voor")[1]
    assert "Precedent aangeduid" in manager.get(f"/monitor/dossiers/{dossiers['GROS-2026-006']}").text  # audited

    outsider = login("fed")  # no task of this dossier
    assert outsider.post(f"/kennisbank/dossiers/{dossiers['GROS-2026-006']}/precedenten",
                         {"precedent": dossiers["GROS-2026-008"]}).status_code == 403


def test_only_the_secretariaat_keeps_the_loketten(login, dossiers):
    loket = {"naam": "Grensinfopunt Maas-Rijn", "url": "https://grensinfopunt.example/zorg", "thema": "zorg",
             "omschrijving": "Vragen over zorg aan de andere kant van de grens."}
    assert login("nl").post("/kennisbank/loketten", loket).status_code == 403
    secretariaat = login("sec")
    refused = secretariaat.post("/kennisbank/loketten", {**loket, "url": "javascript:alert(1)", "naam": ""})
    assert refused.status_code == 400
    assert "Naam: vul de naam van het loket in" in refused.text and "Website: vul een webadres in" in refused.text
    assert secretariaat.post("/kennisbank/loketten", loket).status_code == 302
    official = login("vl")
    assert "Grensinfopunt Maas-Rijn" in official.get("/kennisbank/loketten").text
    assert "Grensinfopunt Maas-Rijn" in official.get(card_url(dossiers, "GROS-2025-007")).text  # theme zorg
    assert "Grensinfopunt Maas-Rijn" not in official.get(card_url(dossiers, "GROS-2026-008")).text  # onderwijs


PUBLIC = ["/openbaar/", "/openbaar/dossiers.json", "/openbaar/dossiers.csv", "/openbaar/feed.atom"]


def public_texts(app) -> list[str]:
    client = app.test_client()  # nobody logged in
    responses = [client.get(url) for url in PUBLIC]
    assert [r.status_code for r in responses] == [200] * 4
    return [r.text for r in responses]


def test_the_public_pages_show_exactly_the_published_summaries(app, engine, login, dossiers):
    secretariaat = login("sec")
    assert secretariaat.post(card_url(dossiers, "GROS-2026-001") + "/openbaar", {"openbaar": "ja"}).status_code == 409
    assert login("nl").post(card_url(dossiers, "GROS-2025-007") + "/openbaar", {"openbaar": "ja"}).status_code == 403
    assert all("GROS-2025-007" not in text for text in public_texts(app))
    assert secretariaat.post(card_url(dossiers, "GROS-2025-007") + "/openbaar", {"openbaar": "ja"}).status_code == 302

    html, raw_json, raw_csv, atom = public_texts(app)
    [row] = json.loads(raw_json)["dossiers"]
    assert set(row) == set(FIELDS) and row["business_key"] == "GROS-2025-007" and row["outcome"] == "opgelost"
    assert [r["business_key"] for r in csv.DictReader(io.StringIO(raw_csv))] == ["GROS-2025-007"]
    entries = ET.fromstring(atom).findall("{http://www.w3.org/2005/Atom}entry")
    assert [e.findtext("{http://www.w3.org/2005/Atom}title") for e in entries] == [
        "Grensoverschrijdende ambulancezorg: inzet van de dichtstbijzijnde ambulance"]
    variables = engine.query.variables(dossiers["GROS-2025-007"])
    hidden = [variables[name] for name in ("omschrijving", "melder", "oorzaak", "getroffenen",
                                           "besluit_nl_reden", "regionaal_besluit_reden", "triage_toelichting")
              if variables.get(name)]
    assert len(hidden) >= 5
    for text in (html, raw_json, raw_csv, atom):
        assert "GROS-2025-007" in text
        for other in ("GROS-2026-008", "GROS-2026-001", "GROS-2026-006"):
            assert other not in text
        for value in hidden:
            assert str(value) not in text, value

    secretariaat.post(card_url(dossiers, "GROS-2025-007") + "/openbaar", {"openbaar": "nee"})
    assert all("GROS-2025-007" not in text for text in public_texts(app))


@pytest.mark.parametrize("url", PUBLIC)
def test_the_public_pages_need_no_login_and_start_empty(app, url):
    assert app.test_client().get(url).status_code == 200


def test_at_uitkomst_registreren_the_secretariaat_is_pointed_to_publishing(app, engine, login, people, dossiers):
    secretariaat = people["sec"]
    instance_id = engine.runtime.start("gros-dossier", "GROS-2027-009", {}, secretariaat)
    for variables in ({"titel": "Erkenning van rijbewijzen voor bromfietsen",
                       "omschrijving": "Een Belgisch bromfietsrijbewijs telt in Nederland niet.",
                       "melder": "overig", "melder_contact": "", "thema": "mobiliteit",
                       "betrokken_regelgeving": "Wegenverkeerswet (NL)"},
                      {"triage_besluit": "nee", "triage_toelichting": "Geen grensbelemmering."}):
        [task] = engine.query.tasks(instance_id=instance_id)
        engine.tasks.complete(task.id, secretariaat, variables)
    [outcome] = engine.query.tasks(instance_id=instance_id)
    page = login("sec").get(f"/taken/{outcome.id}").text
    assert "Openbare kennisbank" in page and f"/kennisbank/dossiers/{instance_id}" in page
    lesson = "Eerst de nationale weg proberen."
    engine.tasks.complete(outcome.id, secretariaat, {"uitkomst": "gestopt-triage",
                                                     "uitkomst_reden": "Geen belemmering.", "geleerde_lessen": lesson})
    assert login("sec").post(f"/kennisbank/dossiers/{instance_id}/openbaar", {"openbaar": "ja"}).status_code == 302
    public = json.loads(app.test_client().get("/openbaar/dossiers.json").text)["dossiers"]
    assert [(d["business_key"], d["lessons"]) for d in public] == [("GROS-2027-009", lesson)]
