"""Whole dossiers driven through the engine's commands, on SQLite and on PostgreSQL.

Each scenario acts as the officials would in the inbox: it looks up the open task by element id, checks
who was asked (the candidate groups), completes it as a member of that group, and at the end asserts the
order in which groups were asked and what was recorded for the institutional memory.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.gros.demo import relative_times
from engine.services import Actor, Engine

ROOT = Path(__file__).resolve().parents[2]
MODELS = [ROOT / "processen", ROOT / "formulieren"]
DEMO = json.loads((ROOT / "processen" / "demo_dossiers.json").read_text(encoding="utf-8"))

SIGNAAL = {
    "titel": "Grensoverschrijdende busverbinding Hulst – Antwerpen",
    "omschrijving": (
        "De busverbinding valt weg bij elke nieuwe concessie omdat de concessiegebieden aan de grens stoppen."
    ),
    "melder": "egts-linieland-van-waas-en-hulst",
    "melder_contact": "",
    "thema": "mobiliteit",
    "betrokken_regelgeving": "Wet personenvervoer 2000; decreet basisbereikbaarheid",
}
WAARBORGEN = {
    f"waarborg_{k}{suffix}": value
    for k in ("noodzakelijk", "doeltreffend", "proportioneel", "gelijkwaardige_bescherming")
    for suffix, value in (("", "ja"), ("_motivering", f"Getoetst en gemotiveerd: {k}."))
}


class Dossier:
    """One GROS dossier and a log of who was asked to act, in order."""

    def __init__(self, engine: Engine, business_key: str, by_message: bool = False, variables=None):
        self.engine = engine
        self.business_key = business_key
        if by_message:
            self.id = engine.runtime.start_by_message("signaal-ontvangen", variables or {}, business_key=business_key)
        else:
            self.id = engine.runtime.start("gros-dossier", business_key=business_key, variables=variables)
        self.asked: list[tuple[str, tuple[str, ...]]] = []

    def open(self) -> dict:
        return {t.element_id: t for t in self.engine.query.tasks(instance_id=self.id)}

    def task(self, element_id: str):
        tasks = self.open()
        assert element_id in tasks, (
            f"{element_id} is not open; open: {sorted(tasks)}; "
            f"waiting at {self.engine.query.instance(self.id).waiting_at}; "
            f"incidents {self.engine.query.incidents(self.id)}"
        )
        return tasks[element_id]

    def do(self, element_id: str, group: str, **variables) -> None:
        task = self.task(element_id)
        groups = tuple(sorted(task.candidate_groups))
        assert group in groups, (element_id, groups)
        self.asked.append((element_id, groups))
        self.engine.tasks.complete(task.id, Actor.of(f"{group}-ambtenaar", [group]), variables)

    def message(self, name: str, **variables) -> None:
        self.engine.runtime.correlate(name, business_key=self.business_key, variables=variables)
        self.asked.append((f"bericht:{name}", ()))

    @property
    def status(self) -> str:
        return self.engine.query.instance(self.id).status

    def variables(self) -> dict:
        return self.engine.query.variables(self.id)


@pytest.fixture
def gros(engine: Engine) -> Engine:
    engine.repository.deploy(MODELS)
    return engine


# ------------------------------------------------------------------ building blocks


def signaal_en_triage(d: Dossier, ernstig: bool = True) -> None:
    d.do("Activity_SignaalRegistreren", "secretariaat", **SIGNAAL)
    d.do(
        "Activity_Triage",
        "secretariaat",
        triage_besluit="ja" if ernstig else "nee",
        triage_toelichting="Structureel en veel getroffenen." if ernstig else "Eenmalig incident, geen patroon.",
    )


def selectie(d: Dossier, nl: str = "ja", vl: str = "ja") -> None:
    d.do(
        "Activity_SelectievoorstelVoorbereiden",
        "secretariaat",
        selectie_voorstel="Selecteren voor gerichte inzet.",
        selectie_overleg_datum="2027-02-11",
    )
    assert set(d.open()) == {"Activity_SelectiebesluitNL", "Activity_SelectiebesluitVL"}, "paritair: beide tegelijk"
    d.do("Activity_SelectiebesluitNL", "grensregio-nl", besluit_nl=nl, besluit_nl_reden=f"Nederlandse zijde: {nl}.")
    d.do(
        "Activity_SelectiebesluitVL",
        "grensregio-vl",
        besluit_vl=vl,
        besluit_vl_reden=f"Vlaamse zijde: {vl}, zie advies.",
    )


def verkenning(
    d: Dossier, perspectief: str = "gerichte-afwijking", federaal: bool = False, besluit: str = "verder"
) -> None:
    d.do(
        "Activity_EersteVerkenning",
        "regionaal-netwerk",
        oorzaak_aard="verschil-stelsels",
        oorzaak="Concessies stoppen aan de grens.",
        getroffenen="Dagelijks honderden reizigers.",
        precedenten="",
        oplossingsperspectief=perspectief,
        belang_oplossing="Zonder oplossing rijden reizigers met de auto.",
        betrokken_regelgeving="",
        federale_wetgeving=federaal,
    )
    d.do(
        "Activity_RegionaalBesluit",
        "grensregio-nl",
        regionaal_besluit=besluit,
        regionaal_besluit_reden="Besloten in het bestuurlijk grensregio-overleg.",
        regionaal_engagement="Trekker.",
    )


def voorbereiding(d: Dossier, federaal: bool = False) -> None:
    expected = {"Activity_VoorbereidingNL", "Activity_VoorbereidingVL"}
    if federaal:
        expected.add("Activity_FederaalConsulteren")
    assert set(d.open()) == expected
    d.do(
        "Activity_VoorbereidingNL",
        "departement-nl",
        standpunt_departement_nl="Ruimte voor een oplossing.",
        haalbaarheid_nl="haalbaar",
    )
    d.do(
        "Activity_VoorbereidingVL",
        "departement-vl",
        standpunt_departement_vl="Haalbaar onder voorwaarden.",
        haalbaarheid_vl="voorwaardelijk",
    )
    if federaal:
        d.do(
            "Activity_FederaalConsulteren",
            "federaal-be",
            standpunt_federaal="Federale regelgeving aanpasbaar.",
            haalbaarheid_federaal="voorwaardelijk",
        )
    d.do(
        "Activity_AgenderingsvoorstelOpstellen",
        "secretariaat",
        agenderingsvoorstel="Agenderen in maart.",
        beoogd_overleg_datum="2027-03-18",
    )


def akkoorden_en_agendering(d: Dossier, federaal: bool = False) -> None:
    expected = {"Activity_AkkoordMinisterraad", "Activity_AkkoordVlaamseRegering"}
    if federaal:
        expected.add("Activity_AkkoordFederaal")
    assert set(d.open()) == expected
    # the ministerraad's decision arrives from the Dutch decision system; the Flemish one is entered by hand
    d.message("akkoord-ministerraad", akkoord_nl="ja", akkoord_nl_toelichting="Besluitenlijst ministerraad.")
    d.do("Activity_AkkoordVlaamseRegering", "vlaamse-regering", akkoord_vl="ja", akkoord_vl_toelichting="Akkoord.")
    if federaal:
        d.do("Activity_AkkoordFederaal", "federaal-be", akkoord_federaal="ja", akkoord_federaal_toelichting="Akkoord.")
    d.do(
        "Activity_Agenderingsbesluit",
        "bilateraal-overleg",
        agendering_resultaat="geagendeerd",
        overleg_datum_agendering="2027-03-18",
        agendering_toelichting="Geagendeerd met opdracht tot uitwerking.",
    )
    d.do(
        "Activity_EngagementVastleggen",
        "grensregio-vl",
        engagement_regio="Provincies zetten capaciteit in.",
        engagement_lokaal="",
    )


def uitwerken(d: Dossier, perspectief: str, stand: str = "overeenstemming") -> None:
    d.do(
        "Activity_OplossingUitwerken",
        "departement-nl",
        oplossing_omschrijving="Eén concessie over de grens.",
        oplossingsperspectief=perspectief,
        uitwerking_stand=stand,
        uitwerking_toelichting="",
    )


def tot_uitwerking(d: Dossier, perspectief: str = "pragmatisch", federaal: bool = False) -> None:
    signaal_en_triage(d)
    selectie(d)
    verkenning(d, perspectief, federaal)
    voorbereiding(d, federaal)
    akkoorden_en_agendering(d, federaal)


def tot_uitvoering(d: Dossier) -> None:
    """An afstemming fixed by the minister and planned: the dossier waits for its first progress round."""
    tot_uitwerking(d, perspectief="afstemming")
    uitwerken(d, "afstemming")
    d.do("Activity_OplossingVaststellen", "bewindspersoon-nl", oplossing_vastgesteld="ja",
         vaststelling_toelichting="Vastgesteld.")
    d.do("Activity_UitvoeringPlannen", "departement-vl", uitvoeringsplan="Afspraken uitvoeren.",
         uitvoering_streefdatum="2028-01-01")


def uitkomst(d: Dossier, waarde: str, reden: str) -> None:
    assert set(d.open()) == {"Activity_UitkomstRegistreren"}
    d.do("Activity_UitkomstRegistreren", "secretariaat", uitkomst=waarde, uitkomst_reden=reden, geleerde_lessen="")
    assert d.status == "completed"
    recorded = d.variables()
    assert (recorded["uitkomst"], recorded["uitkomst_reden"]) == (waarde, reden)


def groups_asked(d: Dossier) -> list[str]:
    return [",".join(groups) for element, groups in d.asked if groups]


# ------------------------------------------------------------------ scenarios


def test_full_dossier_with_a_targeted_derogation_until_solved(gros: Engine):
    d = Dossier(gros, "GROS-T-001")
    tot_uitwerking(d, perspectief="gerichte-afwijking")
    uitwerken(d, "gerichte-afwijking")
    d.do("Activity_WaarborgenToetsen", "departement-vl", **WAARBORGEN)
    assert set(d.open()) == {"Activity_KabinetsbesluitNL", "Activity_KabinetsbesluitVL"}  # no federal decision
    d.do(
        "Activity_KabinetsbesluitNL",
        "ministerraad-nl",
        kabinetsbesluit_nl="ja",
        kabinetsbesluit_nl_toelichting="Ingestemd.",
    )
    d.do(
        "Activity_KabinetsbesluitVL",
        "vlaamse-regering",
        kabinetsbesluit_vl="ja",
        kabinetsbesluit_vl_toelichting="Ingestemd.",
    )
    d.do(
        "Activity_UitvoeringPlannen",
        "departement-nl",
        uitvoeringsplan="Nieuwe concessie per 2028.",
        uitvoering_streefdatum="2028-01-01",
    )
    # the scheduler's progress round before the half-yearly meeting
    assert d.open() == {}
    assert "Event_VoortgangGevraagd" in gros.query.instance(d.id).waiting_at
    d.message("voortgang-gevraagd", overleg_datum="2027-09-16", rapport_deadline="2027-09-02T17:00:00+02:00")
    assert d.task("Activity_VoortgangRapporteren").due_at.replace(tzinfo=UTC) == datetime(2027, 9, 2, 15, tzinfo=UTC)
    d.do(
        "Activity_VoortgangRapporteren",
        "departement-vl",
        voortgang_rapport="Aanbesteding loopt.",
        voortgang_status="vertraagd",
    )
    d.do(
        "Activity_VoortgangBeoordelen",
        "bilateraal-overleg",
        voortgang_oordeel="onvoldoende",
        vertragend_land="VL",
        oordeel_toelichting="Vlaamse aanbesteding loopt achter.",
    )
    assert d.task("Activity_ActieBewindspersoon").candidate_groups == ["bewindspersoon-vl"]
    d.do(
        "Activity_ActieBewindspersoon",
        "bewindspersoon-vl",
        actie_bewindspersoon="Extra capaciteit bij De Lijn.",
        actie_termijn="2027-12-01",
    )
    d.message("voortgang-gevraagd", overleg_datum="2028-03-16", rapport_deadline="2028-03-02T17:00:00+01:00")
    d.do(
        "Activity_VoortgangRapporteren",
        "departement-nl",
        voortgang_rapport="Bus rijdt sinds januari.",
        voortgang_status="afgerond",
    )
    d.do(
        "Activity_VoortgangBeoordelen",
        "bilateraal-overleg",
        voortgang_oordeel="afgerond",
        vertragend_land="geen",
        oordeel_toelichting="Belemmering opgelost.",
    )
    uitkomst(d, "opgelost", "Grensoverschrijdende concessie via gerichte afwijking.")

    assert groups_asked(d) == [
        "secretariaat",
        "secretariaat",  # signaal, triage
        "secretariaat",
        "grensregio-nl",
        "grensregio-vl",  # paritaire selectie
        "regionaal-netwerk,secretariaat",
        "grensregio-nl,grensregio-vl",
        "departement-nl",
        "departement-vl",
        "secretariaat",  # voorbereiding, no federal consultation
        "vlaamse-regering",
        "bilateraal-overleg",
        "grensregio-nl,grensregio-vl",
        "departement-nl,departement-vl",
        "departement-nl,departement-vl",  # oplossing, vier waarborgen
        "ministerraad-nl",
        "vlaamse-regering",  # kabinetsbesluiten
        "departement-nl,departement-vl",
        "departement-nl,departement-vl",
        "bilateraal-overleg",
        "bewindspersoon-vl",  # the minister of the delaying country
        "departement-nl,departement-vl",
        "bilateraal-overleg",
        "secretariaat",  # uitkomst registreren
    ]
    assert not any("federaal-be" in g for g in groups_asked(d))
    recorded = d.variables()
    assert recorded["federaal_betrokken"] is False
    assert all(
        recorded[f"waarborg_{k}"] == "ja"
        for k in ("noodzakelijk", "doeltreffend", "proportioneel", "gelijkwaardige_bescherming")
    )
    completed = [e.element_id for e in gros.query.history(d.id) if e.action == "task.completed"]
    assert completed[0] == "Activity_SignaalRegistreren" and completed[-1] == "Activity_UitkomstRegistreren"
    assert any(e.action == "message.correlated" for e in gros.query.history(d.id))


def test_a_flemish_no_at_selection_stops_the_dossier(gros: Engine):
    d = Dossier(gros, "GROS-T-002")
    signaal_en_triage(d)
    selectie(d, nl="ja", vl="nee")
    uitkomst(d, "afgewezen-vl", "Vlaamse zijde: loopt al via het Benelux-spoor.")
    assert groups_asked(d) == ["secretariaat"] * 3 + ["grensregio-nl", "grensregio-vl", "secretariaat"]
    assert d.variables()["besluit_vl_reden"] == "Vlaamse zijde: nee, zie advies."


def test_a_federal_dossier_consults_and_asks_the_federal_government(gros: Engine):
    d = Dossier(gros, "GROS-T-003")
    tot_uitwerking(d, perspectief="gerichte-afwijking", federaal=True)
    uitwerken(d, "gerichte-afwijking")
    d.do("Activity_WaarborgenToetsen", "departement-nl", **WAARBORGEN)
    assert set(d.open()) == {
        "Activity_KabinetsbesluitNL",
        "Activity_KabinetsbesluitVL",
        "Activity_KabinetsbesluitFederaal",
    }
    d.do(
        "Activity_KabinetsbesluitFederaal",
        "federaal-be",
        kabinetsbesluit_federaal="ja",
        kabinetsbesluit_federaal_toelichting="Ingestemd.",
    )
    d.do(
        "Activity_KabinetsbesluitNL",
        "ministerraad-nl",
        kabinetsbesluit_nl="ja",
        kabinetsbesluit_nl_toelichting="Ingestemd.",
    )
    d.do(
        "Activity_KabinetsbesluitVL",
        "vlaamse-regering",
        kabinetsbesluit_vl="ja",
        kabinetsbesluit_vl_toelichting="Ingestemd.",
    )
    assert set(d.open()) == {"Activity_UitvoeringPlannen"}
    federal = [element for element, groups in d.asked if "federaal-be" in groups]
    assert federal == ["Activity_FederaalConsulteren", "Activity_AkkoordFederaal", "Activity_KabinetsbesluitFederaal"]
    assert d.engine.query.instance(d.id).status == "running"


def test_a_federal_policy_domain_involves_the_federal_level_without_the_checkbox(gros: Engine):
    d = Dossier(gros, "GROS-T-004", variables=None)
    d.do("Activity_SignaalRegistreren", "secretariaat", **{**SIGNAAL, "thema": "sociale-zekerheid"})
    d.do("Activity_Triage", "secretariaat", triage_besluit="ja", triage_toelichting="Veel grenswerkers getroffen.")
    selectie(d)
    verkenning(d, "pragmatisch", federaal=False)
    assert "Activity_FederaalConsulteren" in d.open()  # DMN: sociale zekerheid is federal in Belgium


def test_an_impasse_escalates_and_is_resolved_by_the_minister(gros: Engine):
    d = Dossier(gros, "GROS-T-005")
    tot_uitwerking(d)
    uitwerken(d, "pragmatisch", stand="impasse")
    d.do(
        "Activity_ImpasseBeoordelen",
        "secretariaat",
        impasse_rijp="ja",
        impasse_omschrijving="Het dilemma is helder; het mandaat ontbreekt.",
        escalatie_land="NL",
    )
    assert d.task("Activity_HoofdVanDienst").candidate_groups == ["hoofd-van-dienst-nl"]
    d.do(
        "Activity_HoofdVanDienst",
        "hoofd-van-dienst-nl",
        besluit_hoofd_van_dienst="hoger-niveau",
        toelichting_hoofd_van_dienst="Politieke afweging nodig.",
    )
    assert d.task("Activity_Bewindspersoon").candidate_groups == ["bewindspersoon-nl"]
    d.do(
        "Activity_Bewindspersoon",
        "bewindspersoon-nl",
        besluit_bewindspersoon="doorbroken",
        toelichting_bewindspersoon="Mandaat gegeven.",
    )
    d.do(
        "Activity_EscalatieUitkomstVastleggen",
        "secretariaat",
        escalatie_resultaat="doorbroken",
        escalatie_niveau="bewindspersoon",
        escalatie_besluit="Minister geeft mandaat voor de regeling.",
    )
    assert set(d.open()) == {"Activity_OplossingUitwerken"}  # back to the departments
    uitwerken(d, "pragmatisch")
    d.do(
        "Activity_OplossingVaststellen",
        "bewindspersoon-vl",
        oplossing_vastgesteld="ja",
        vaststelling_toelichting="Vastgesteld.",
    )
    assert set(d.open()) == {"Activity_UitvoeringPlannen"}
    escalation = [
        g for e, g in d.asked if e in ("Activity_HoofdVanDienst", "Activity_Bewindspersoon", "Activity_Regering")
    ]
    assert escalation == [("hoofd-van-dienst-nl",), ("bewindspersoon-nl",)]
    recorded = d.variables()
    assert (recorded["escalatie_resultaat"], recorded["escalatie_niveau"]) == ("doorbroken", "bewindspersoon")


def test_deadlines_passing_move_the_impasse_up_to_the_flemish_government(gros: Engine, clock):
    d = Dossier(gros, "GROS-T-006")
    tot_uitwerking(d)
    uitwerken(d, "pragmatisch", stand="impasse")
    d.do(
        "Activity_ImpasseBeoordelen",
        "secretariaat",
        impasse_rijp="ja",
        impasse_omschrijving="Het Vlaamse mandaat ontbreekt.",
        escalatie_land="VL",
    )
    assert d.task("Activity_HoofdVanDienst").candidate_groups == ["hoofd-van-dienst-vl"]
    clock.advance(timedelta(days=27))
    gros.timers.fire_due_timers()
    assert set(d.open()) == {"Activity_HoofdVanDienst"}, "not before four weeks"
    clock.advance(timedelta(days=2))
    assert gros.timers.fire_due_timers() == 1
    assert set(d.open()) == {"Activity_Bewindspersoon"}
    assert d.task("Activity_Bewindspersoon").candidate_groups == ["bewindspersoon-vl"]
    clock.advance(timedelta(days=43))
    assert gros.timers.fire_due_timers() == 1
    assert d.task("Activity_Regering").candidate_groups == ["vlaamse-regering"]
    d.do("Activity_Regering", "vlaamse-regering", besluit_regering="doorbroken", toelichting_regering="Beslist.")
    d.do(
        "Activity_EscalatieUitkomstVastleggen",
        "secretariaat",
        escalatie_resultaat="doorbroken",
        escalatie_niveau="regering",
        escalatie_besluit="De Vlaamse Regering besliste.",
    )
    assert set(d.open()) == {"Activity_OplossingUitwerken"}
    # nobody below the government acted: the deadlines moved the impasse up
    assert [e for e, _ in d.asked][-3:] == [
        "Activity_ImpasseBeoordelen",
        "Activity_Regering",
        "Activity_EscalatieUitkomstVastleggen",
    ]


def test_a_dossier_stopped_after_the_first_exploration(gros: Engine):
    d = Dossier(gros, "GROS-T-007")
    signaal_en_triage(d)
    selectie(d)
    verkenning(d, besluit="stoppen")
    uitkomst(d, "gestopt-na-verkenning", "De verkenning toonde geen oplosbare belemmering.")
    assert d.variables()["regionaal_besluit_reden"] == "Besloten in het bestuurlijk grensregio-overleg."


def test_a_signal_by_message_and_a_stop_at_triage(gros: Engine):
    d = Dossier(
        gros,
        "EGTS-2027-01",
        by_message=True,
        variables={k: SIGNAAL[k] for k in ("titel", "omschrijving", "melder", "thema")},
    )
    task = d.task("Activity_SignaalRegistreren")
    assert task.candidate_groups == ["secretariaat"]
    assert d.variables()["melder"] == "egts-linieland-van-waas-en-hulst"
    signaal_en_triage(d, ernstig=False)
    uitkomst(d, "gestopt-triage", "Eenmalig incident, geen structurele belemmering.")


def test_seven_months_without_a_progress_round_asks_the_secretariat(gros: Engine, clock):
    d = Dossier(gros, "GROS-T-009")
    tot_uitvoering(d)
    clock.advance(timedelta(days=215))
    assert gros.timers.fire_due_timers() == 1
    d.do("Activity_StilstandOnderzoeken", "secretariaat", stilstand_toelichting="Planner stond uit; hersteld.")
    assert "Event_VoortgangGevraagd" in gros.query.instance(d.id).waiting_at  # waiting again, with a fresh deadline
    d.message("voortgang-gevraagd", overleg_datum="2027-09-16", rapport_deadline="2027-09-02T17:00:00+02:00")
    assert set(d.open()) == {"Activity_VoortgangRapporteren"}


def test_a_dossier_that_does_not_report_is_judged_without_a_report_after_the_deadline(gros: Engine, clock):
    d = Dossier(gros, "GROS-T-010")
    tot_uitvoering(d)
    clock.set(datetime(2027, 8, 1, 9, 0, tzinfo=UTC))
    d.message("voortgang-gevraagd", overleg_datum="2027-09-16", rapport_deadline="2027-09-02T17:00:00+02:00")
    assert set(d.open()) == {"Activity_VoortgangRapporteren"}
    clock.set(datetime(2027, 9, 2, 14, 59, tzinfo=UTC))
    assert gros.timers.fire_due_timers() == 0
    clock.set(datetime(2027, 9, 2, 15, 0, tzinfo=UTC))
    assert gros.timers.fire_due_timers() == 1
    assert set(d.open()) == {"Activity_VoortgangBeoordelen"}  # the meeting judges it all the same
    assert "voortgang_rapport" not in d.variables()


def test_resubmitted_accord_uses_each_governments_latest_answer(gros: Engine):
    d = Dossier(gros, "GROS-T-010")
    signaal_en_triage(d)
    selectie(d)
    verkenning(d, "pragmatisch")
    voorbereiding(d)
    d.do("Activity_AkkoordMinisterraad", "ministerraad-nl", akkoord_nl="ja", akkoord_nl_toelichting="Ingestemd.")
    d.do("Activity_AkkoordVlaamseRegering", "vlaamse-regering", akkoord_vl="nee", akkoord_vl_toelichting="Nog niet.")
    d.do(
        "Activity_WeigeringBespreken",
        "secretariaat",
        agendering_resultaat="opnieuw-voorleggen",
        agendering_toelichting="Aangepast voorstel.",
    )
    d.do("Activity_AkkoordMinisterraad", "ministerraad-nl", akkoord_nl="nee", akkoord_nl_toelichting="Nu niet meer.")
    d.do("Activity_AkkoordVlaamseRegering", "vlaamse-regering", akkoord_vl="ja", akkoord_vl_toelichting="Nu wel.")
    assert set(d.open()) == {"Activity_WeigeringBespreken"}, "the ministerraad said no in the second round"


@pytest.mark.parametrize("dossier", DEMO["dossiers"], ids=lambda d: d["business_key"])
def test_demo_dossiers_reach_their_stage(gros: Engine, dossier: dict):
    start = dossier["start"]
    if start["type"] == "bericht":
        d = Dossier(gros, dossier["business_key"], by_message=True, variables=start["variabelen"])
    else:
        d = Dossier(gros, dossier["business_key"])
    for step in dossier["stappen"]:
        if "taak" in step:
            d.do(step["taak"], step["groep"], **step["variabelen"])
        else:
            d.message(step["bericht"], **relative_times(step["variabelen"], gros.now()))
    assert set(d.open()) == set(dossier["verwacht_open"])
    assert (d.status == "completed") == dossier["afgesloten"]
