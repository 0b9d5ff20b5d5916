"""The GROS procedure end to end over HTTP: a regional network's system signals a new obstacle by
webhook, officials (machine clients with tokens) take it through selection and exploration via the
API, the ministerraad's and the Vlaamse Regering's accords arrive by signed webhooks, the bilateral
meeting agendates it, and a subscriber receives the signed domain events of each milestone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask, request

from engine.accounts import create_account
from engine.gros import meetings
from engine.services import SYSTEM, Actor, Engine
from engine.web.api.tokens import create_token
from webhooks import admin
from webhooks.delivery import deliver_due
from webhooks.events import ELEMENT_EVENTS
from webhooks.signing import verify
from webhooks.sources import DEFAULT_FOLDER, load_sources

from .conftest import PASSWORD, Site, make_app, serve

ROOT = Path(__file__).resolve().parents[2]
GROUPS = ["secretariaat", "grensregio-nl", "grensregio-vl", "regionaal-netwerk", "departement-nl",
          "departement-vl", "bilateraal-overleg", "minister-grenssamenwerking-nl", "minister-grenssamenwerking-vl"]
SIGNAAL = {
    "kenmerk": "GROS-2027-014",
    "titel": "Grensoverschrijdende busverbinding Hulst – Antwerpen",
    "omschrijving": "De busverbinding valt weg bij elke nieuwe concessie omdat concessies aan de grens stoppen.",
    "melder": "egts-linieland-van-waas-en-hulst",
    "thema": "mobiliteit",
}


@pytest.fixture
def gros_site(engine: Engine) -> Iterator[Site]:
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    meetings.plan(engine, "bilateraal", datetime(2027, 3, 18, 10, 0), SYSTEM)  # the proposals name it (§ 5.2.5)
    tokens = {}
    for group in GROUPS:
        create_account(engine, group, PASSWORD, [group])
        tokens[group] = create_token(engine, group, "koppeling", "pytest")[1]
    secrets = {source: admin.add_secret(engine, source, "pytest")[1]
               for source in ("regionale-netwerken", "besluitvorming-nl", "besluitvorming-vl")}
    with serve(make_app(engine, DEFAULT_FOLDER)) as url:
        site = Site(url, engine, tokens, "", DEFAULT_FOLDER)
        site.secrets = secrets
        yield site


def do(site: Site, instance_id: str, element_id: str, group: str, **variables) -> None:
    tasks = site.api("GET", "/task", group, params={"processInstanceId": instance_id}).json()
    matching = [t for t in tasks if t["taskDefinitionKey"] == element_id]
    assert matching, f"{element_id} is not open for {group}; open: {[t['taskDefinitionKey'] for t in tasks]}"
    response = site.api("POST", f"/task/{matching[0]['id']}/complete", group,
                        json={"variables": {name: {"value": value} for name, value in variables.items()}})
    assert response.status_code == 204, response.text


def test_signal_by_webhook_accords_by_webhook_and_milestone_events_out(gros_site: Site, clock):
    site = gros_site
    received: list[tuple[dict, bytes]] = []
    receiver = Flask("abonnee")
    receiver.add_url_rule("/gros", "gros", lambda: received.append(
        ({k.lower(): v for k, v in request.headers.items()}, request.get_data())) or ("", 204), methods=["POST"])
    with serve(receiver) as receiver_url:
        _, secret = admin.add_subscriber(site.engine, "provincie-zeeland", f"{receiver_url}/gros", [], "pytest")

        signal = site.delivered("regionale-netwerken", "grensbelemmering.gesignaleerd", SIGNAAL,
                                secret=site.secrets["regionale-netwerken"])
        assert signal["status"] == "accepted", signal
        dossier = signal["processInstanceId"]
        instance = site.api("GET", f"/process-instance/{dossier}", "secretariaat").json()
        assert (instance["definitionKey"], instance["businessKey"]) == ("gros-dossier", "GROS-2027-014")

        do(site, dossier, "Activity_SignaalRegistreren", "secretariaat", **{
            k: v for k, v in SIGNAAL.items() if k != "kenmerk"}, melder_contact="", betrokken_regelgeving="")
        do(site, dossier, "Activity_Triage", "secretariaat", triage_besluit="ja",
           triage_toelichting="Structureel en veel getroffenen.")
        do(site, dossier, "Activity_SelectievoorstelVoorbereiden", "secretariaat",
           selectie_voorstel="Selecteren voor gerichte inzet.", selectie_overleg_datum="2027-02-11")
        do(site, dossier, "Activity_SelectiebesluitNL", "grensregio-nl", besluit_nl="ja",
           besluit_nl_reden="Nederlandse zijde: ja.")
        do(site, dossier, "Activity_SelectiebesluitVL", "grensregio-vl", besluit_vl="ja",
           besluit_vl_reden="Vlaamse zijde: ja, zie advies.")
        do(site, dossier, "Activity_EersteVerkenning", "regionaal-netwerk", oorzaak_aard="verschil-stelsels",
           oorzaak="Concessies stoppen aan de grens.", getroffenen="Dagelijks honderden reizigers.", precedenten="",
           oplossingsperspectief="pragmatisch", belang_oplossing="Zonder oplossing rijden reizigers met de auto.",
           betrokken_regelgeving="", federale_wetgeving=False)
        do(site, dossier, "Activity_FederaalBeoordelen", "secretariaat", federaal_oordeel="volgens-regel")
        do(site, dossier, "Activity_RegionaalBesluitNL", "grensregio-nl", regionaal_besluit_nl="verder",
           regionaal_besluit_nl_reden="Besloten aan Nederlandse zijde.", regionaal_engagement_nl="Trekker.")
        do(site, dossier, "Activity_RegionaalBesluitVL", "grensregio-vl", regionaal_besluit_vl="verder",
           regionaal_besluit_vl_reden="Besloten aan Vlaamse zijde.", regionaal_engagement_vl="")
        do(site, dossier, "Activity_VoorbereidingNL", "departement-nl",
           standpunt_departement_nl="Ruimte voor een oplossing.", haalbaarheid_nl="haalbaar")
        do(site, dossier, "Activity_VoorbereidingVL", "departement-vl",
           standpunt_departement_vl="Haalbaar onder voorwaarden.", haalbaarheid_vl="voorwaardelijk")
        do(site, dossier, "Activity_AgenderingsvoorstelOpstellen", "secretariaat",
           agenderingsvoorstel="Agenderen in maart.", beoogd_overleg_datum="2027-03-18")

        accord = {"dossier": "GROS-2027-014", "akkoord": "ja", "toelichting": "Besluitenlijst ministerraad 12 maart."}
        nl = site.delivered("besluitvorming-nl", "ministerraad.besluit", accord, message_id="msg_ministerraad",
                            secret=site.secrets["besluitvorming-nl"])
        assert nl["status"] == "accepted" and nl["processInstanceId"] == dossier, nl
        again = site.webhook("besluitvorming-nl", "ministerraad.besluit", accord, message_id="msg_ministerraad",
                             secret=site.secrets["besluitvorming-nl"])
        assert (again.status_code, again.json()) == (200, nl), "delivered again: no effect"
        assert site.process_inbox() == 0
        vl = site.delivered("besluitvorming-vl", "vlaamse-regering.besluit",
                            {**accord, "toelichting": "Beslissing Vlaamse Regering."},
                            secret=site.secrets["besluitvorming-vl"])
        assert vl["status"] == "accepted", vl
        history = site.api("GET", f"/process-instance/{dossier}/history", "secretariaat").json()
        correlated = [h for h in history if h["operation"] == "message.correlated"]
        assert [(h["activityName"], h["userId"]) for h in correlated] == [
            ("akkoord-ministerraad", "webhook:besluitvorming-nl"),
            ("akkoord-vlaamse-regering", "webhook:besluitvorming-vl")]
        assert correlated[0]["data"]["variables"] == {"akkoord_nl": "ja",
                                                      "akkoord_nl_toelichting": accord["toelichting"]}

        do(site, dossier, "Activity_AgenderingsbesluitNL", "minister-grenssamenwerking-nl", agendering_nl="ja",
           agendering_nl_toelichting="Geagendeerd met opdracht tot uitwerking.")
        do(site, dossier, "Activity_AgenderingsbesluitVL", "minister-grenssamenwerking-vl", agendering_vl="ja",
           agendering_vl_toelichting="Geagendeerd met opdracht tot uitwerking.")
        do(site, dossier, "Activity_EngagementNL", "grensregio-nl",
           engagement_nl_regio="Provincie Zeeland zet capaciteit in.", engagement_nl_lokaal="")
        do(site, dossier, "Activity_EngagementVL", "grensregio-vl",
           engagement_vl_regio="Provincie Oost-Vlaanderen zet capaciteit in.", engagement_vl_lokaal="")
        tasks = site.api("GET", "/task", "departement-nl", params={"processInstanceId": dossier}).json()
        assert [t["taskDefinitionKey"] for t in tasks] == ["Activity_OplossingUitwerkenNL"]

        assert deliver_due(site.engine, clock.advance(timedelta(seconds=1))) == 7

    # Delivered in parallel, so in any order; each carries its own timestamp.
    types = sorted(json.loads(body)["type"] for _, body in received)
    assert types == ["dossier.agenderingsbesluit", "dossier.bericht-ontvangen", "dossier.bericht-ontvangen",
                     "dossier.geagendeerd", "dossier.geselecteerd", "dossier.gestart",
                     "dossier.selectiebesluit"]  # the last two: the region hears back (§ 5.2.5)
    for headers, body in received:
        verify([secret], headers, body, clock.now(), timedelta(minutes=5))
        assert json.loads(body)["data"]["businessKey"] == "GROS-2027-014"


def test_the_mapped_milestones_and_messages_exist_in_the_procedure():
    text = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "processen").glob("*.bpmn"))
    for element_id in ELEMENT_EVENTS:
        assert f'id="{element_id}"' in text, element_id
    for source in load_sources(DEFAULT_FOLDER).values():
        for mapping in source.events.values():
            assert f'name="{mapping.message}"' in text, (source.name, mapping.message)


def _refused(site: Site, task_id: str, group: str, **variables) -> dict:
    response = site.api("POST", f"/task/{task_id}/complete", group,
                        json={"variables": {name: {"value": value} for name, value in variables.items()}})
    assert response.status_code == 400, response.text
    assert site.api("GET", f"/task/{task_id}", group).status_code == 200, "nothing was saved"
    return {p["name"]: p["reason"] for p in response.json()["invalidParams"]}


def _complete(engine: Engine, instance_id: str, element_id: str, group: str, **variables) -> None:
    (task,) = [t for t in engine.query.tasks(instance_id=instance_id) if t.element_id == element_id]
    engine.tasks.complete(task.id, Actor.of(f"{group}-ambtenaar", [group]), variables)


def _open(engine: Engine, instance_id: str, element_id: str) -> str:
    (task,) = [t for t in engine.query.tasks(instance_id=instance_id) if t.element_id == element_id]
    return task.id


def test_the_api_refuses_an_outcome_that_contradicts_the_path(gros_site: Site):
    """§ 5.2.4: a dossier the Flemish side rejected at selection cannot be recorded as opgelost through the API."""
    site, engine = gros_site, gros_site.engine
    dossier = engine.runtime.start("gros-dossier", "GROS-2027-API-1")
    _complete(engine, dossier, "Activity_SignaalRegistreren", "secretariaat", **{
        k: v for k, v in SIGNAAL.items() if k != "kenmerk"}, melder_contact="", betrokken_regelgeving="")
    _complete(engine, dossier, "Activity_Triage", "secretariaat", triage_besluit="ja",
              triage_toelichting="Structureel en veel getroffenen.")
    _complete(engine, dossier, "Activity_SelectievoorstelVoorbereiden", "secretariaat",
              selectie_voorstel="Selecteren voor gerichte inzet.", selectie_overleg_datum="2027-02-11")
    _complete(engine, dossier, "Activity_SelectiebesluitNL", "grensregio-nl", besluit_nl="ja",
              besluit_nl_reden="Nederlandse zijde: ja.")
    _complete(engine, dossier, "Activity_SelectiebesluitVL", "grensregio-vl", besluit_vl="nee",
              besluit_vl_reden="Vlaamse zijde: loopt al via de Benelux.")
    task_id = _open(engine, dossier, "Activity_UitkomstRegistreren")
    reasons = _refused(site, task_id, "secretariaat", uitkomst="opgelost", uitkomst_reden="Toch als opgelost boeken.")
    assert list(reasons) == ["uitkomst"] and "alleen-lezen" in reasons["uitkomst"]
    do(site, dossier, "Activity_UitkomstRegistreren", "secretariaat",
       uitkomst_reden="De Vlaamse zijde wees het dossier af.", geleerde_lessen="")
    assert engine.query.variables(dossier)["uitkomst"] == "afgewezen-vl"


def test_the_api_refuses_an_escalation_result_the_government_did_not_give(gros_site: Site):
    """§ 5.3.3, § 5.2.4: the ministerraad did not break the impasse; doorbroken at hoofd-van-dienst level is
    refused through the API and the derived result stays niet-doorbroken at regering level."""
    site, engine = gros_site, gros_site.engine
    escalation = engine.runtime.start("gros-escalatie", "GROS-2027-API-2", {
        "titel": "Busverbinding", "thema": "mobiliteit", "escalatie_land": "NL",
        "impasse_omschrijving": "Het dilemma is helder; het mandaat ontbreekt."})
    _complete(engine, escalation, "Activity_EscalatieStarten", "minister-grenssamenwerking-nl",
              escalatie_starten="ja", escalatie_starten_toelichting="De minister zet de escalatie in gang.")
    _complete(engine, escalation, "Activity_HoofdVanDienst", "hoofd-van-dienst-nl",
              besluit_hoofd_van_dienst="hoger-niveau", toelichting_hoofd_van_dienst="Politieke afweging nodig.")
    _complete(engine, escalation, "Activity_Bewindspersoon", "bewindspersoon-nl",
              besluit_bewindspersoon="hoger-niveau", toelichting_bewindspersoon="Raakt meerdere departementen.")
    _complete(engine, escalation, "Activity_NaarRegering", "minister-grenssamenwerking-nl", naar_regering="ja",
              naar_regering_toelichting="Aan de ministerraad voorleggen.")
    _complete(engine, escalation, "Activity_Regering", "ministerraad-nl", besluit_regering="niet-doorbroken",
              toelichting_regering="Geen meerderheid in de ministerraad.")
    task_id = _open(engine, escalation, "Activity_EscalatieUitkomstVastleggen")
    reasons = _refused(site, task_id, "secretariaat", escalatie_resultaat="doorbroken",
                       escalatie_niveau="hoofd-van-dienst", escalatie_besluit="Doorbroken door het hoofd van dienst.")
    assert set(reasons) == {"escalatie_resultaat", "escalatie_niveau"}
    do(site, escalation, "Activity_EscalatieUitkomstVastleggen", "secretariaat",
       escalatie_besluit="De ministerraad hakte de knoop niet door.")
    recorded = engine.query.variables(escalation)
    assert (recorded["escalatie_resultaat"], recorded["escalatie_niveau"]) == ("niet-doorbroken", "regering")
