"""The grenseffectentoets of seed § 4.2.2 driven through the engine's commands, on SQLite and PostgreSQL:
the other side assesses (never the submitting side), a late assessment is flagged and told, and a
foreseeable obstacle becomes a GROS-dossier that names the toets and that the toets names."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.errors import Forbidden, InvalidData
from engine.gros import toetsen
from engine.gros.models import MailOutbox
from engine.services import Actor, Engine
from engine.store.models import Account, AccountGroup

ROOT = Path(__file__).resolve().parents[2]
MODELS = [ROOT / "processen", ROOT / "formulieren"]
VOORNEMEN = {
    "titel": "Nieuwe normen voor stikstofdepositie bij vergunningen",
    "samenvatting": "Vergunningen voor veehouderij worden strenger getoetst, ook voor depositie over de grens.",
    "thema": "ruimte-en-milieu",
    "geplande_datum": "2027-06-01",
    "documenten": "https://example.org/ontwerpbesluit.pdf",
    "federale_bevoegdheden": False,
}
NL, VL = Actor.of("nl-ambtenaar", ["departement-nl"]), Actor.of("vl-ambtenaar", ["departement-vl"])
SECRETARIAAT, FEDERAAL = Actor.of("secretaris", ["secretariaat"]), Actor.of("fod-ambtenaar", ["federaal-be"])


@pytest.fixture
def gros(engine: Engine) -> Engine:
    engine.repository.deploy(MODELS)
    return engine


def open_tasks(engine: Engine, instance_id: str) -> dict:
    return {t.element_id: t for t in engine.query.tasks(instance_id=instance_id)}


def assess(engine: Engine, instance_id: str, element_id: str, actor: Actor, side: str, effect: str) -> None:
    task = open_tasks(engine, instance_id)[element_id]
    engine.tasks.complete(task.id, actor, {f"effect_{side}": effect,
                                           f"beoordeling_{side}": f"Beoordeling {side}: {effect}, zie bijlage.",
                                           f"voorstel_{side}": ""})


def conclude(engine: Engine, instance_id: str, conclusion: str, **extra) -> None:
    task = open_tasks(engine, instance_id)["Activity_Concluderen"]
    engine.tasks.complete(task.id, SECRETARIAAT, {"toets_conclusie": conclusion,
                                                  "conclusie_toelichting": "Afgewogen door het secretariaat.", **extra})


def test_a_foreseeable_obstacle_starts_a_dossier_that_names_the_toets_and_is_named_by_it(gros: Engine):
    toets = toetsen.submit(gros, NL, {**VOORNEMEN, "federale_bevoegdheden": True})
    assert gros.query.instance(toets).business_key == "TOETS-2027-001"
    tasks = open_tasks(gros, toets)
    assert set(tasks) == {"Activity_BeoordelenBuurland", "Activity_BeoordelenFederaal"}
    assert tasks["Activity_BeoordelenBuurland"].candidate_groups == ["departement-vl"]  # the other side (§ 4.2.2)
    assess(gros, toets, "Activity_BeoordelenBuurland", VL, "buurland", "belemmering")
    assess(gros, toets, "Activity_BeoordelenFederaal", FEDERAAL, "federaal", "mogelijk")
    conclude(gros, toets, "voorzienbare-belemmering")

    row = toetsen.linked(gros, toets)
    assert row.conclusion == "voorzienbare-belemmering" and row.dossier_business_key == "GROS-2027-001"
    dossier = gros.query.instance(row.dossier_instance_id)
    assert dossier.definition_key == "gros-dossier" and dossier.status == "running"
    variables = gros.query.variables(dossier.id)
    assert variables["grenseffectentoets"] == "TOETS-2027-001"
    assert "Beoordeling buurland: belemmering" in variables["omschrijving"]
    assert variables["grenseffectentoets_beoordeling"]["federaal"].startswith("Beoordeling federaal")
    assert set(open_tasks(gros, dossier.id)) == {"Activity_SignaalRegistreren"}  # the secretariaat registers it
    assert toetsen.linked(gros, dossier.id).instance_id == toets  # from the dossier back to the toets
    assert [c.obstacles for c in toetsen.counts_per_side(gros, gros.now() - timedelta(days=1),
                                                          gros.now() + timedelta(days=1))] == [1, 0]


@pytest.mark.parametrize("conclusion", ["geen-effect", "effect-gemitigeerd"])
def test_a_toets_without_obstacle_ends_without_a_dossier(gros: Engine, conclusion: str):
    toets = toetsen.submit(gros, VL, VOORNEMEN)
    assert open_tasks(gros, toets)["Activity_BeoordelenBuurland"].candidate_groups == ["departement-nl"]
    assess(gros, toets, "Activity_BeoordelenBuurland", NL, "buurland", "mogelijk")
    mitigation = {"mitigatie": "De norm geldt pas na overleg met de buurgemeenten."}
    conclude(gros, toets, conclusion, **(mitigation if conclusion == "effect-gemitigeerd" else {}))
    row = toetsen.linked(gros, toets)
    assert row.conclusion == conclusion and row.dossier_instance_id is None
    assert gros.query.instance(toets).status == "completed"


def test_a_mitigated_effect_must_say_how(gros: Engine):
    toets = toetsen.submit(gros, VL, VOORNEMEN)
    assess(gros, toets, "Activity_BeoordelenBuurland", NL, "buurland", "mogelijk")
    with pytest.raises(InvalidData) as refused:
        conclude(gros, toets, "effect-gemitigeerd")
    assert [e.key for e in refused.value.errors] == ["mitigatie"]
    conclude(gros, toets, "geen-effect")  # hidden when there is nothing to mitigate


def test_the_submitting_side_cannot_assess_its_own_intention(gros: Engine):
    toets = toetsen.submit(gros, NL, VOORNEMEN)
    with pytest.raises(Forbidden):
        assess(gros, toets, "Activity_BeoordelenBuurland", NL, "buurland", "geen")
    assess(gros, toets, "Activity_BeoordelenBuurland", VL, "buurland", "geen")


def test_a_department_cannot_name_the_other_side_to_assess_its_own_intention(gros: Engine, clock):
    with gros.db.transaction() as session:  # Mark of the Dutch departments, with an account as API users have
        account = Account(username="mark", display_name="Mark", email=None, password_hash="x", active=True,
                          created_at=clock.now())
        session.add(account)
        session.flush()
        session.add(AccountGroup(account_id=account.id, group_name="departement-nl"))
    mark = Actor.of("mark", ["departement-nl"])
    forged = {**VOORNEMEN, "indiener_zijde": "VL", "beoordeling_termijn": "2027-03-01T17:00:00+01:00"}
    with pytest.raises(Forbidden, match="namens Vlaanderen"):
        gros.runtime.start(toetsen.PROCESS, "TOETS-2027-009", forged, mark)
    with pytest.raises(InvalidData) as refused:
        gros.runtime.start(toetsen.PROCESS, "TOETS-2027-009", {**forged, "indiener_zijde": ""}, mark)
    assert [e.key for e in refused.value.errors] == ["indiener_zijde"]
    assert gros.query.instances(business_key="TOETS-2027-009") == []  # nothing half-written


def test_only_a_member_of_one_sides_departments_submits(gros: Engine):
    with pytest.raises(Forbidden, match="precies één zijde"):
        toetsen.submit(gros, Actor.of("beide", ["departement-nl", "departement-vl"]), VOORNEMEN)
    with pytest.raises(Forbidden):
        gros.runtime.start(toetsen.PROCESS, "TOETS-X", {**VOORNEMEN, "indiener_zijde": "NL"},
                           Actor.of("regio", ["regionaal-netwerk"]))


def test_a_late_assessment_is_flagged_told_and_kept_after_it_comes_in(gros: Engine, clock):
    with gros.db.transaction() as session:  # a Flemish official with an address, to be told
        account = Account(username="vl-ambtenaar", display_name="An", email="an@example.be", password_hash="x",
                          active=True, created_at=clock.now())
        session.add(account)
        session.flush()
        session.add(AccountGroup(account_id=account.id, group_name="departement-vl"))
    toets = toetsen.submit(gros, NL, VOORNEMEN)
    clock.advance(toetsen.ASSESSMENT_TIME - timedelta(minutes=1))
    assert gros.timers.fire_due_timers() == 0
    assert toetsen.linked(gros, toets).late is None
    clock.advance(timedelta(minutes=1))
    assert gros.timers.fire_due_timers() == 1
    assert toetsen.linked(gros, toets).late == "VL"
    assert set(open_tasks(gros, toets)) == {"Activity_BeoordelenBuurland"}  # still open: flagged, not passed over
    history = [e.action for e in gros.query.history(toets)]
    assert "toets.termijn-verstreken" in history
    with gros.db.reading() as session:
        mails = session.scalars(select(MailOutbox.subject).where(MailOutbox.address == "an@example.be")).all()
    assert any("over haar termijn" in subject for subject in mails)

    clock.advance(timedelta(days=3))
    assess(gros, toets, "Activity_BeoordelenBuurland", VL, "buurland", "geen")
    conclude(gros, toets, "geen-effect")
    row = toetsen.linked(gros, toets)
    assert row.late == "VL" and row.conclusion == "geen-effect"
    assert [(c.side, c.submitted, c.late) for c in toetsen.counts_per_side(
        gros, clock.now() - timedelta(days=90), clock.now())] == [("NL", 1, 1), ("VL", 0, 0)]

