"""Whole dossiers driven through the engine's commands, on SQLite and on PostgreSQL.

Each scenario acts as the officials would in the inbox: it looks up the open task by element id, checks
who was asked (the candidate groups), completes it as a member of that group, and at the end asserts the
order in which groups were asked and what was recorded for the institutional memory.

The procedure's paths as a process owner reads them — each outcome, escalation level, refusal and timer —
are model tests in ``processen/tests/*.yaml`` (``gros test``, run by ``tests/modeltest``); what stays here
needs Python: the order of everyone asked, every joint decision for every side, due dates and the radar.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.errors import Forbidden
from engine.gros import meetings
from engine.gros.demo import relative_times, with_next_meeting
from engine.gros.schakel import group_for
from engine.services import SYSTEM, Actor, Engine

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
        self.schakel = group_for(business_key, self.id)

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
    # § 5.2.5: agendering is decided at a half-yearly meeting of the calendar; the proposals name this one
    meetings.plan(engine, "bilateraal", datetime(2027, 3, 18, 10, 0), Actor.of("sanne", ["secretariaat"]))
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
    d: Dossier,
    perspectief: str = "gerichte-afwijking",
    federaal: bool = False,
    nl: str = "verder",
    vl: str = "verder",
    oordeel: str = "volgens-regel",
) -> None:
    eerste_verkenning(d, perspectief, federaal)
    federaal_oordeel(d, oordeel)
    if "Activity_FederaalVerkennen" in d.open():
        d.do("Activity_FederaalVerkennen", "federaal-be", federaal_verkenning="Federale regels spelen mee.",
             federale_regels="")
    regionaal_besluit(d, nl, vl)


def eerste_verkenning(d: Dossier, perspectief: str = "pragmatisch", federaal: bool = False) -> None:
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


def federaal_oordeel(d: Dossier, oordeel: str = "volgens-regel") -> None:
    reden = {} if oordeel == "volgens-regel" else {"federaal_oordeel_reden": "Afgewogen door het secretariaat."}
    d.do("Activity_FederaalBeoordelen", "secretariaat", federaal_oordeel=oordeel, **reden)


def regionaal_besluit(d: Dossier, nl: str = "verder", vl: str = "verder") -> None:
    assert {"Activity_RegionaalBesluitNL", "Activity_RegionaalBesluitVL"} <= set(d.open()), "elke zijde apart"
    d.do("Activity_RegionaalBesluitNL", "grensregio-nl", regionaal_besluit_nl=nl,
         regionaal_besluit_nl_reden=f"Nederlandse zijde: {nl}.", regionaal_engagement_nl="Trekker.")
    d.do("Activity_RegionaalBesluitVL", "grensregio-vl", regionaal_besluit_vl=vl,
         regionaal_besluit_vl_reden=f"Vlaamse zijde: {vl}.", regionaal_engagement_vl="")


def voorbereiding(d: Dossier, federaal: bool = False, overleg: str | None = "2027-03-18") -> None:
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
    if overleg is not None:
        d.do("Activity_AgenderingsvoorstelOpstellen", "secretariaat", agenderingsvoorstel="Agenderen in maart.",
             beoogd_overleg_datum=overleg)


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
    agenderingsbesluit(d)
    assert set(d.open()) == {"Activity_EngagementNL", "Activity_EngagementVL"}, "elke zijde haar eigen engagement"
    d.do("Activity_EngagementNL", "grensregio-nl", engagement_nl_regio="Provincie Zeeland zet capaciteit in.",
         engagement_nl_lokaal="")
    d.do("Activity_EngagementVL", "grensregio-vl", engagement_vl_regio="Provincie Oost-Vlaanderen zet capaciteit in.",
         engagement_vl_lokaal="")


def agenderingsbesluit(d: Dossier, nl: str = "ja", vl: str = "ja") -> None:
    assert set(d.open()) == {"Activity_AgenderingsbesluitNL", "Activity_AgenderingsbesluitVL"}
    d.do("Activity_AgenderingsbesluitNL", "minister-grenssamenwerking-nl", agendering_nl=nl,
         agendering_nl_toelichting=f"Nederlandse minister: {nl}.")
    d.do("Activity_AgenderingsbesluitVL", "minister-grenssamenwerking-vl", agendering_vl=vl,
         agendering_vl_toelichting=f"Vlaamse minister: {vl}.")


def uitwerken_zijde(d: Dossier, side: str, stand: str = "overeenstemming", afwijking: str = "nee") -> None:
    group = {"nl": "departement-nl", "vl": "departement-vl", "federaal": "federaal-be"}[side]
    regels = {f"afwijking_{side}_regels": "Artikel 3 van de concessieregeling."} if afwijking == "ja" else {}
    d.do(f"Activity_OplossingUitwerken{SIDE_SUFFIX[side]}", group, **{
        f"oplossing_{side}": "Eén concessie over de grens.",
        f"uitwerking_stand_{side}": stand,
        f"afwijking_{side}": afwijking,
        f"uitwerking_{side}_toelichting": "",
    }, **regels)


SIDE_SUFFIX = {"nl": "NL", "vl": "VL", "federaal": "Federaal"}


def uitwerken(d: Dossier, stand: str = "overeenstemming", afwijking_nl: str = "nee", afwijking_vl: str = "nee",
              federaal: bool = False, stand_vl: str | None = None) -> None:
    uitwerken_zijde(d, "nl", stand, afwijking_nl)
    uitwerken_zijde(d, "vl", stand_vl or stand, afwijking_vl)
    if federaal:
        uitwerken_zijde(d, "federaal", stand, "nee")


def waarborgen(d: Dossier, side: str, failed: str = "") -> None:
    values = {}
    for k in WAARBORG_KEYS:
        values[f"waarborg_{k}_{side}"] = "nee" if k == failed else "ja"
        values[f"waarborg_{k}_{side}_motivering"] = f"Getoetst en gemotiveerd: {k}."
    d.do(f"Activity_Waarborgen{SIDE_SUFFIX[side]}", f"departement-{side}", **values)


WAARBORG_KEYS = ("noodzakelijk", "doeltreffend", "proportioneel", "gelijkwaardige_bescherming")


def vaststellen(d: Dossier, nl: str = "ja", vl: str = "ja") -> None:
    d.do("Activity_OplossingVaststellenNL", "bewindspersoon-nl", oplossing_vastgesteld_nl=nl,
         vaststelling_nl_toelichting=f"Nederlandse bewindspersoon: {nl}.")
    d.do("Activity_OplossingVaststellenVL", "bewindspersoon-vl", oplossing_vastgesteld_vl=vl,
         vaststelling_vl_toelichting=f"Vlaamse bewindspersoon: {vl}.")


def tot_uitwerking(d: Dossier, perspectief: str = "pragmatisch", federaal: bool = False) -> None:
    signaal_en_triage(d)
    selectie(d)
    verkenning(d, perspectief, federaal)
    voorbereiding(d, federaal)
    akkoorden_en_agendering(d, federaal)
    schakel_vormen(d)


def schakel_vormen(d: Dossier) -> None:
    """After agendering the secretariaat forms the dossier's bestuurlijke schakel (§ 4.4): to the model, that
    is the variable its coordination tasks' ${schakel} reads (tests/procedure/test_schakel.py forms real ones)."""
    d.engine.runtime.set_variables(d.id, SYSTEM, {"schakel": d.schakel})


def tot_uitvoering(d: Dossier) -> None:
    """An afstemming fixed by both ministers and planned: the dossier waits for its first progress round."""
    tot_uitwerking(d, perspectief="afstemming")
    uitwerken(d)
    vaststellen(d)
    d.do("Activity_UitvoeringPlannen", "departement-vl", uitvoeringsplan="Afspraken uitvoeren.",
         uitvoering_streefdatum="2028-01-01")


def impasse(d: Dossier, land: str = "NL") -> None:
    d.do("Activity_ImpasseBeoordelen", "secretariaat", impasse_rijp="ja",
         impasse_omschrijving="Het dilemma is helder; het mandaat ontbreekt.", escalatie_land=land)


def escalatie_starten(d: Dossier, land: str = "NL", besluit: str = "ja") -> None:
    group = f"minister-grenssamenwerking-{land.lower()}"
    assert d.task("Activity_EscalatieStarten").candidate_groups == [group]
    d.do("Activity_EscalatieStarten", group, escalatie_starten=besluit,
         escalatie_starten_toelichting=f"De minister besluit: {besluit}.")


def uitkomst(d: Dossier, waarde: str, reden: str) -> None:
    """The outcome was derived from the path (§ 5.2.4); the secretariaat adds the reason."""
    assert set(d.open()) == {"Activity_UitkomstRegistreren"}
    assert d.variables()["uitkomst"] == waarde, "derived before the secretariaat acts"
    d.do("Activity_UitkomstRegistreren", "secretariaat", uitkomst_reden=reden, geleerde_lessen="")
    assert d.status == "completed"
    recorded = d.variables()
    assert (recorded["uitkomst"], recorded["uitkomst_reden"]) == (waarde, reden)


def groups_asked(d: Dossier) -> list[str]:
    return [",".join(groups) for element, groups in d.asked if groups]


# ------------------------------------------------------------------ scenarios


def test_full_dossier_with_a_targeted_derogation_until_solved(gros: Engine):
    """§ 6.2.4: a solution that departs from a rule on one side needs the four guarantees from both sides and
    the cabinet decisions; § 5.3.3: the minister of the delaying country acts; § 5.2.4: the outcome is derived."""
    d = Dossier(gros, "GROS-T-001")
    tot_uitwerking(d, perspectief="gerichte-afwijking")
    uitwerken(d, afwijking_nl="ja")
    assert set(d.open()) == {"Activity_WaarborgenNL", "Activity_WaarborgenVL"}
    waarborgen(d, "nl")
    waarborgen(d, "vl")
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
        d.schakel,
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
        d.schakel,
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
        "secretariaat",  # federale betrokkenheid beoordeeld: niet betrokken
        "grensregio-nl",
        "grensregio-vl",  # regionaal besluit, elke zijde apart
        "departement-nl",
        "departement-vl",
        "secretariaat",  # voorbereiding, no federal consultation
        "vlaamse-regering",
        "minister-grenssamenwerking-nl",
        "minister-grenssamenwerking-vl",  # agendering, elke minister
        "grensregio-nl",
        "grensregio-vl",  # engagement
        "departement-nl",
        "departement-vl",  # oplossing, elke zijde
        "departement-nl",
        "departement-vl",  # vier waarborgen, elke zijde
        "ministerraad-nl",
        "vlaamse-regering",  # kabinetsbesluiten
        "departement-nl,departement-vl",  # uitvoering plannen
        d.schakel,  # voortgang rapporteren: the dossier's bestuurlijke schakel (§ 4.4)
        "bilateraal-overleg",
        "bewindspersoon-vl",  # the minister of the delaying country
        d.schakel,
        "bilateraal-overleg",
        "secretariaat",  # uitkomst registreren
    ]
    assert not any("federaal-be" in g for g in groups_asked(d))
    recorded = d.variables()
    assert recorded["federaal_betrokken"] is False
    assert all(recorded[f"waarborg_{k}_{side}"] == "ja" for k in WAARBORG_KEYS for side in ("nl", "vl"))
    assert recorded["uitkomst_door"] == "Bilateraal overleg"
    completed = [e.element_id for e in gros.query.history(d.id) if e.action == "task.completed"]
    assert completed[0] == "Activity_SignaalRegistreren" and completed[-1] == "Activity_UitkomstRegistreren"
    assert any(e.action == "message.correlated" for e in gros.query.history(d.id))


def test_a_federal_dossier_consults_and_asks_the_federal_government(gros: Engine):
    """§ 5.2.5, § 6.2.5: federal law involved → the federal level is consulted in the first exploration already,
    again in the deeper one, gives its accord, works on the solution and decides on the derogation."""
    d = Dossier(gros, "GROS-T-003")
    tot_uitwerking(d, perspectief="gerichte-afwijking", federaal=True)
    assert {"Activity_OplossingUitwerkenNL", "Activity_OplossingUitwerkenVL",
            "Activity_OplossingUitwerkenFederaal"} == set(d.open())
    uitwerken(d, afwijking_vl="ja", federaal=True)
    waarborgen(d, "nl")
    waarborgen(d, "vl")
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
    assert federal == ["Activity_FederaalVerkennen", "Activity_FederaalConsulteren", "Activity_AkkoordFederaal",
                       "Activity_OplossingUitwerkenFederaal", "Activity_KabinetsbesluitFederaal"]
    first_exploration = [e for e, _ in d.asked].index("Activity_FederaalVerkennen")
    regional = [e for e, _ in d.asked].index("Activity_RegionaalBesluitNL")
    assert first_exploration < regional, "consulted during the first exploration, before the regional decision"
    assert d.engine.query.instance(d.id).status == "running"


def test_a_federal_policy_domain_involves_the_federal_level_without_the_checkbox(gros: Engine):
    """§ 5.2.5: the theme rule (DMN) makes sociale zekerheid federal: consulted in the first exploration."""
    d = Dossier(gros, "GROS-T-004", variables=None)
    d.do("Activity_SignaalRegistreren", "secretariaat", **{**SIGNAAL, "thema": "sociale-zekerheid"})
    d.do("Activity_Triage", "secretariaat", triage_besluit="ja", triage_toelichting="Veel grenswerkers getroffen.")
    selectie(d)
    eerste_verkenning(d)
    federaal_oordeel(d)
    assert set(d.open()) == {"Activity_FederaalVerkennen"}  # DMN: sociale zekerheid is federal in Belgium
    assert d.task("Activity_FederaalVerkennen").candidate_groups == ["federaal-be"]


@pytest.mark.parametrize(("thema", "federale_wetgeving", "oordeel", "consulted"), [
    ("belastingen", False, "niet-betrokken", False),
    ("mobiliteit", False, "wel-betrokken", True),
    ("mobiliteit", False, "volgens-regel", False),
    ("mobiliteit", True, "volgens-regel", True),
])
def test_the_secretariat_can_override_the_theme_rule_with_a_reason(gros: Engine, thema, federale_wetgeving,
                                                                    oordeel, consulted):
    """§ 5.2.5, § 6.2.5: federal early when federal law may be involved, never when not; the theme rule is a
    default the secretariaat overrides with a recorded reason."""
    d = Dossier(gros, f"GROS-T-FED-{thema}-{oordeel}-{federale_wetgeving}")
    d.do("Activity_SignaalRegistreren", "secretariaat", **{**SIGNAAL, "thema": thema})
    d.do("Activity_Triage", "secretariaat", triage_besluit="ja", triage_toelichting="Structureel probleem.")
    selectie(d)
    verkenning(d, "pragmatisch", federaal=federale_wetgeving, oordeel=oordeel)
    voorbereiding(d, federaal=consulted)
    asked_federal = [e for e, groups in d.asked if "federaal-be" in groups]
    assert asked_federal == (["Activity_FederaalVerkennen", "Activity_FederaalConsulteren"] if consulted else [])
    recorded = d.variables()
    assert recorded["federaal_betrokken"] is consulted
    if oordeel != "volgens-regel":
        assert recorded["federaal_oordeel_reden"] == "Afgewogen door het secretariaat."


# ------------------------------------------------------------------ every joint decision is each side's (§ 6.2.3)

JOINT = {
    "regionaal besluit": ("Activity_RegionaalBesluitNL", "Activity_RegionaalBesluitVL"),
    "agendering": ("Activity_AgenderingsbesluitNL", "Activity_AgenderingsbesluitVL"),
    "engagement": ("Activity_EngagementNL", "Activity_EngagementVL"),
    "oplossing uitwerken": ("Activity_OplossingUitwerkenNL", "Activity_OplossingUitwerkenVL"),
    "waarborgen": ("Activity_WaarborgenNL", "Activity_WaarborgenVL"),
    "oplossing vaststellen": ("Activity_OplossingVaststellenNL", "Activity_OplossingVaststellenVL"),
}
GROUP_OF = {
    "Activity_RegionaalBesluitNL": "grensregio-nl", "Activity_RegionaalBesluitVL": "grensregio-vl",
    "Activity_AgenderingsbesluitNL": "minister-grenssamenwerking-nl",
    "Activity_AgenderingsbesluitVL": "minister-grenssamenwerking-vl",
    "Activity_EngagementNL": "grensregio-nl", "Activity_EngagementVL": "grensregio-vl",
    "Activity_OplossingUitwerkenNL": "departement-nl", "Activity_OplossingUitwerkenVL": "departement-vl",
    "Activity_WaarborgenNL": "departement-nl", "Activity_WaarborgenVL": "departement-vl",
    "Activity_OplossingVaststellenNL": "bewindspersoon-nl", "Activity_OplossingVaststellenVL": "bewindspersoon-vl",
}


def _reach(d: Dossier, decision: str) -> None:
    signaal_en_triage(d)
    selectie(d)
    if decision == "regionaal besluit":
        eerste_verkenning(d)
        federaal_oordeel(d)
        return
    verkenning(d, "pragmatisch")
    voorbereiding(d)
    if decision == "engagement":
        d.message("akkoord-ministerraad", akkoord_nl="ja", akkoord_nl_toelichting="Ingestemd.")
        d.message("akkoord-vlaamse-regering", akkoord_vl="ja", akkoord_vl_toelichting="Ingestemd.")
        agenderingsbesluit(d)
        return
    if decision == "agendering":
        d.message("akkoord-ministerraad", akkoord_nl="ja", akkoord_nl_toelichting="Ingestemd.")
        d.message("akkoord-vlaamse-regering", akkoord_vl="ja", akkoord_vl_toelichting="Ingestemd.")
        return
    akkoorden_en_agendering(d)
    if decision == "waarborgen":
        uitwerken(d, afwijking_vl="ja")
    elif decision == "oplossing vaststellen":
        uitwerken(d)


@pytest.mark.parametrize("decision", list(JOINT))
def test_neither_side_can_complete_the_other_sides_task(gros: Engine, decision: str):
    """§ 6.2.3: no side may be outvoted; § 5.3.2: both sides work towards the same solution. Each joint decision
    is one task per side, only for that side's group, and a side's form does not carry the other side's answer."""
    d = Dossier(gros, f"GROS-T-EIGEN-{decision}")
    _reach(d, decision)
    forms = {f.stem: json.loads(f.read_text(encoding="utf-8")) for f in (ROOT / "formulieren").glob("*.form")}
    nl_task, vl_task = (d.task(element) for element in JOINT[decision])
    assert nl_task.candidate_groups == [GROUP_OF[nl_task.element_id]]
    assert vl_task.candidate_groups == [GROUP_OF[vl_task.element_id]]
    for own, other in ((nl_task, vl_task), (vl_task, nl_task)):
        with pytest.raises(Forbidden):
            gros.tasks.complete(own.id, Actor.of("ander", [GROUP_OF[other.element_id]]), {})
        own_keys = {c.get("key") for c in forms[own.form_ref]["components"]}
        other_keys = {c.get("key") for c in forms[other.form_ref]["components"]} - {None}
        assert not own_keys & other_keys, "a side's form must not show the other side's answer"


def test_one_side_stopping_after_the_first_exploration_stops_the_dossier(gros: Engine):
    """§ 6.2.3: the Dutch side says verder, the Flemish side stoppen: the dossier stops, both reasons kept,
    and the derived outcome names the side that stopped (§ 5.2.4)."""
    d = Dossier(gros, "GROS-T-007")
    signaal_en_triage(d)
    selectie(d)
    verkenning(d, nl="verder", vl="stoppen")
    recorded = d.variables()
    assert recorded["uitkomst_door"] == "Grensregio-overleg, Vlaamse zijde"
    assert (recorded["regionaal_besluit_nl_reden"], recorded["regionaal_besluit_vl_reden"]) == (
        "Nederlandse zijde: verder.", "Vlaamse zijde: stoppen.")
    uitkomst(d, "gestopt-na-verkenning", "De Vlaamse zijde ziet geen oplosbare belemmering.")


def test_one_minister_cannot_agendate_for_both(gros: Engine):
    """§ 5.2.5: agendering is a deliberate choice of both governments; § 6.2.3: the Dutch minister's ja with the
    Flemish minister's nee does not agendate; the derived outcome names the side (§ 5.2.4)."""
    d = Dossier(gros, "GROS-T-AGENDA")
    signaal_en_triage(d)
    selectie(d)
    verkenning(d, "pragmatisch")
    voorbereiding(d)
    d.message("akkoord-ministerraad", akkoord_nl="ja", akkoord_nl_toelichting="Ingestemd.")
    d.message("akkoord-vlaamse-regering", akkoord_vl="ja", akkoord_vl_toelichting="Ingestemd.")
    agenderingsbesluit(d, nl="ja", vl="nee")
    assert d.variables()["uitkomst_door"] == "Vlaamse minister"
    uitkomst(d, "niet-geagendeerd", "De Vlaamse minister wil eerst de Benelux-afspraken afwachten.")
    assert not any(e.startswith("Activity_Engagement") for e, _ in d.asked)


def test_one_minister_cannot_fix_the_solution_for_both(gros: Engine):
    """§ 5.3.2, § 6.2.3: the Dutch minister's ja with the Flemish minister's nee sends the solution back to the
    departments; only both ja fix it."""
    d = Dossier(gros, "GROS-T-VAST")
    tot_uitwerking(d, perspectief="afstemming")
    uitwerken(d)
    vaststellen(d, nl="ja", vl="nee")
    assert set(d.open()) == {"Activity_OplossingUitwerkenNL", "Activity_OplossingUitwerkenVL"}
    uitwerken(d)
    vaststellen(d, nl="ja", vl="ja")
    assert set(d.open()) == {"Activity_UitvoeringPlannen"}
    history = [e.data for e in gros.query.history(d.id) if e.element_id == "Activity_OplossingVaststellenVL"]
    assert [h["oplossing_vastgesteld_vl"] for h in history] == ["nee", "ja"], "each side's reason stays recorded"


def test_one_department_cannot_end_an_agendered_dossier(gros: Engine):
    """§ 6.2.3, § 5.3.2: one side's geen-oplossing with the other's overeenstemming is not an end but an impasse
    for the secretariaat; the dossier ends without solution only when every side says so."""
    d = Dossier(gros, "GROS-T-GEEN")
    tot_uitwerking(d)
    uitwerken(d, stand="geen-oplossing", stand_vl="overeenstemming")
    assert set(d.open()) == {"Activity_ImpasseBeoordelen"}
    d.do("Activity_ImpasseBeoordelen", "secretariaat", impasse_rijp="nee",
         impasse_omschrijving="De zijden zien het verschillend; eerst verder overleggen.", escalatie_land="NL")
    uitwerken(d, stand="geen-oplossing")
    uitkomst(d, "geen-oplossing", "Beide zijden vinden geen oplossing binnen de geldende kaders.")
    assert d.variables()["uitkomst_door"] == "Departementen, alle zijden"


# ------------------------------------------------------------------ guarantees follow the facts (§ 6.2.4)


def test_a_departure_on_one_side_requires_the_guarantees_whatever_the_label(gros: Engine):
    """§ 6.2.4: the label says afstemming, but the Flemish side reports that the solution departs from a Flemish
    rule: the four guarantees (both sides) and the cabinet decisions are required."""
    d = Dossier(gros, "GROS-T-FEIT")
    tot_uitwerking(d, perspectief="afstemming")
    uitwerken(d, afwijking_nl="nee", afwijking_vl="ja")
    assert set(d.open()) == {"Activity_WaarborgenNL", "Activity_WaarborgenVL"}
    assert d.variables()["oplossingsperspectief"] == "afstemming"


def test_relabelling_after_a_failed_guarantee_still_requires_guarantees_and_cabinet_decisions(gros: Engine):
    """§ 6.2.4: a failed guarantee sends the solution back; the failed assessment stays in the record; calling
    the same solution afstemming does not skip the question, so guarantees and cabinet decisions come again."""
    d = Dossier(gros, "GROS-T-LABEL")
    tot_uitwerking(d, perspectief="gerichte-afwijking")
    uitwerken(d, afwijking_nl="ja")
    waarborgen(d, "nl", failed="proportioneel")
    waarborgen(d, "vl")
    assert set(d.open()) == {"Activity_OplossingUitwerkenNL", "Activity_OplossingUitwerkenVL"}
    # the departments relabel the solution, but it still departs from the Dutch rule: the fact decides
    uitwerken_zijde(d, "nl", "overeenstemming", afwijking="ja")
    uitwerken_zijde(d, "vl", "overeenstemming", afwijking="nee")
    assert set(d.open()) == {"Activity_WaarborgenNL", "Activity_WaarborgenVL"}
    waarborgen(d, "nl")
    waarborgen(d, "vl")
    assert set(d.open()) == {"Activity_KabinetsbesluitNL", "Activity_KabinetsbesluitVL"}
    assessed = [e.data.get("waarborg_proportioneel_nl") for e in gros.query.history(d.id)
                if e.element_id == "Activity_WaarborgenNL"]
    assert assessed == ["nee", "ja"], "the failed guarantee stays recorded"
    assert "Activity_OplossingVaststellenNL" not in [e for e, _ in d.asked]


# ------------------------------------------------------------------ escalation (§ 5.3.3)


def test_escalation_deadlines_remind_and_flag_but_only_the_minister_goes_to_the_government(gros: Engine, clock):
    """§ 5.3.3: deadlines at each level are due dates (the stall radar flags them), not timers that move the
    impasse up; the step to the Flemish government is the Flemish minister's decision."""
    from engine.gros import radar

    d = Dossier(gros, "GROS-T-006")
    tot_uitwerking(d)
    uitwerken(d, stand="impasse")
    impasse(d, "VL")
    escalatie_starten(d, "VL")
    started = gros.now()
    task = d.task("Activity_HoofdVanDienst")
    assert task.candidate_groups == ["hoofd-van-dienst-vl"]
    assert task.due_at.replace(tzinfo=UTC) == started + timedelta(days=28)
    clock.advance(timedelta(days=40))
    assert gros.timers.fire_due_timers() == 0
    assert set(d.open()) == {"Activity_HoofdVanDienst"}, "a passed deadline does not escalate by itself"
    assert d.task("Activity_HoofdVanDienst").due_at.replace(tzinfo=UTC) == started + timedelta(days=28)
    radar.refresh(gros)
    assert any(f.instance_id == d.id for f in radar.flags(gros, radar.OVERDUE))
    d.do("Activity_HoofdVanDienst", "hoofd-van-dienst-vl", besluit_hoofd_van_dienst="hoger-niveau",
         toelichting_hoofd_van_dienst="Ontbreekt het mandaat.")
    assert d.task("Activity_Bewindspersoon").due_at.replace(tzinfo=UTC) == gros.now() + timedelta(days=42)
    d.do("Activity_Bewindspersoon", "bewindspersoon-vl", besluit_bewindspersoon="hoger-niveau",
         toelichting_bewindspersoon="Regeringsbreed.")
    assert set(d.open()) == {"Activity_NaarRegering"}
    assert d.task("Activity_NaarRegering").candidate_groups == ["minister-grenssamenwerking-vl"]
    d.do("Activity_NaarRegering", "minister-grenssamenwerking-vl", naar_regering="ja",
         naar_regering_toelichting="De Vlaamse Regering moet beslissen.")
    assert d.task("Activity_Regering").candidate_groups == ["vlaamse-regering"]
    d.do("Activity_Regering", "vlaamse-regering", besluit_regering="doorbroken", toelichting_regering="Beslist.")
    d.do("Activity_EscalatieUitkomstVastleggen", "secretariaat", escalatie_besluit="De Vlaamse Regering besliste.")
    uitwerken(d)
    vaststellen(d)
    recorded = d.variables()
    assert (recorded["escalatie_resultaat"], recorded["escalatie_niveau"]) == ("doorbroken", "regering")


@pytest.mark.parametrize("dossier", DEMO["dossiers"], ids=lambda d: d["business_key"])
def test_demo_dossiers_reach_their_stage(gros: Engine, dossier: dict):
    start = dossier["start"]
    if start["type"] == "bericht":
        d = Dossier(gros, dossier["business_key"], by_message=True, variables=start["variabelen"])
    else:
        d = Dossier(gros, dossier["business_key"])
    for step in dossier["stappen"]:
        if "schakel" not in d.variables() and d.variables().get("agendering_resultaat") == "geagendeerd":
            schakel_vormen(d)  # as the demo does once a dossier is agendered (engine/gros/demo.py)
        if "taak" in step:
            # the demo's departments co-chair the schakel, so they act for it
            group = d.schakel if d.task(step["taak"]).candidate_groups == [d.schakel] else step["groep"]
            d.do(step["taak"], group, **with_next_meeting(gros, step["variabelen"]))
        else:
            d.message(step["bericht"], **relative_times(step["variabelen"], gros.now()))
    assert set(d.open()) == set(dossier["verwacht_open"])
    assert (d.status == "completed") == dossier["afgesloten"]
