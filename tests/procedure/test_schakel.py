"""The bestuurlijke schakel per dossier (seed § 4.4) and stakeholders heard during uitwerking (§ 5.1, § 5.3.2),
through the real models, the engine's commands and real accounts, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from engine import accounts
from engine.accounts import actor_for, create_account
from engine.errors import Conflict, Forbidden, InvalidData, NotFound
from engine.gros import consultatie, schakel
from engine.gros.consultatie import Gone, Invitee
from engine.gros.models import MailOutbox
from engine.gros.schakel import Member
from engine.services import Actor, Engine
from engine.store.models import AuditEvent
from tests.conftest import ROOT

SECRETARIAAT = Actor.of("sanne", ["secretariaat"])
PEOPLE = {"mark": "departement-nl", "els": "departement-vl", "joris": "grensregio-nl", "koen": "federaal-be",
          "ingrid": "management", "sanne": "secretariaat"}
AGENDERED = {"titel": "Grensarbeiders en pensioenopbouw", "agendering_resultaat": "geagendeerd",
             "federaal_betrokken": False}


@pytest.fixture
def gros(engine: Engine, monkeypatch) -> Engine:
    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    for username, group in PEOPLE.items():
        create_account(engine, username, "proef-wachtwoord", [group], email=f"{username}@example.org")
    return engine


def person(engine: Engine, username: str) -> Actor:
    """The actor the login and the API build: the account's groups and the schakels the person sits in."""
    return actor_for(engine, username)


def agendered(engine: Engine, process: str, business_key: str) -> str:
    """An agendered dossier in uitwerking or uitvoering (the called process started on its own)."""
    return engine.runtime.start(process, business_key, AGENDERED)


def formed(engine: Engine, instance_id: str, nl: str = "mark", vl: str = "els") -> str:
    return schakel.form(engine, instance_id, Member(nl, "covoorzitter-nl", "Ministerie van Financiën"),
                        Member(vl, "covoorzitter-vl", "Departement Werk"), SECRETARIAAT)


def task(engine: Engine, instance_id: str, element_id: str):
    return next(t for t in engine.query.tasks(instance_id=instance_id) if t.element_id == element_id)


def progress_asked(engine: Engine, instance_id: str, business_key: str) -> None:
    planning = task(engine, instance_id, "Activity_UitvoeringPlannen")
    engine.tasks.complete(planning.id, Actor.of("an", ["departement-nl"]),
                          {"uitvoeringsplan": "Plan in tien stappen", "uitvoering_streefdatum": "2027-12-01"})
    engine.runtime.correlate("voortgang-gevraagd", business_key=business_key,
                             variables={"overleg_datum": "2027-09-16", "rapport_deadline": "2027-09-02T17:00:00+02:00"})


# ------------------------------------------------------------------ the schakel (§ 4.4)


def test_a_schakel_member_sees_their_dossier_not_others_and_reports_its_progress(gros: Engine):
    mine = agendered(gros, "gros-uitvoering", "GROS-2027-001")
    other = agendered(gros, "gros-uitvoering", "GROS-2027-002")
    assert formed(gros, mine) == "schakel-gros-2027-001"
    formed(gros, other, nl="joris", vl="koen")
    progress_asked(gros, mine, "GROS-2027-001")
    progress_asked(gros, other, "GROS-2027-002")
    report = task(gros, mine, "Activity_VoortgangRapporteren")
    assert report.candidate_groups == ["schakel-gros-2027-001"]  # ${schakel}, evaluated by the engine

    mark = person(gros, "mark")
    assert "schakel-gros-2027-001" in mark.groups and "schakel-gros-2027-002" not in mark.groups
    assert schakel.may_see(gros, mark, mine) and not schakel.may_see(gros, mark, other)
    assert [d.business_key for d in schakel.dossiers(gros, mark)] == ["GROS-2027-001"]
    visible = {t.instance_id for t in gros.query.tasks(visible_to=mark)}
    assert mine in visible and other not in visible

    with pytest.raises(Forbidden):  # a department official outside the schakel
        gros.tasks.complete(report.id, Actor.of("an", ["departement-nl"]), {})
    with pytest.raises(Forbidden):  # the other dossier's schakel
        gros.tasks.complete(report.id, person(gros, "joris"), {})
    gros.tasks.complete(report.id, mark, {"voortgang_rapport": "Wet in voorbereiding", "voortgang_status": "vertraagd"})
    assert gros.query.variables(mine)["voortgang_rapport"] == "Wet in voorbereiding"
    assert task(gros, mine, "Activity_VoortgangBeoordelen").candidate_groups == ["bilateraal-overleg"]


def test_the_standing_schakel_sees_every_agendered_dossier(gros: Engine):
    mine = agendered(gros, "gros-uitvoering", "GROS-2027-001")
    not_agendered = gros.runtime.start("gros-uitvoering", "GROS-2027-003", {"titel": "Nog niet geagendeerd"})
    schakel.add_member(gros, None, Member("ingrid", "covoorzitter-nl", "Ministerie van BZK"), SECRETARIAAT)
    ingrid = person(gros, "ingrid")
    assert schakel.STANDING_GROUP in ingrid.groups
    standing = Actor.of("ingrid", [schakel.STANDING_GROUP])  # without management's own right to read everything
    assert schakel.may_see(gros, standing, mine) and not schakel.may_see(gros, standing, not_agendered)
    assert [d.business_key for d in schakel.dossiers(gros, standing)] == ["GROS-2027-001"]
    with pytest.raises(Conflict, match="pas na de agendering"):
        formed(gros, not_agendered)


def test_the_secretariaat_manages_members_with_their_history_in_the_audit(gros: Engine, clock):
    instance_id = agendered(gros, "gros-uitvoering", "GROS-2027-001")
    with pytest.raises(Forbidden):
        schakel.form(gros, instance_id, Member("mark", "covoorzitter-nl", "BZK"),
                     Member("els", "covoorzitter-vl", "DWSE"), person(gros, "mark"))
    with pytest.raises(InvalidData) as refused:
        schakel.form(gros, instance_id, Member("niemand", "covoorzitter-nl", "BZK"),
                     Member("els", "covoorzitter-vl", ""), SECRETARIAAT)
    assert [e.key for e in refused.value.errors] == ["covoorzitter-nl", "covoorzitter-vl-organisatie"]
    with pytest.raises(Conflict, match="vorm eerst"):
        schakel.add_member(gros, instance_id, Member("koen", "lid", "FOD Financiën"), SECRETARIAAT)
    formed(gros, instance_id)
    with pytest.raises(Conflict, match="al een bestuurlijke schakel"):
        formed(gros, instance_id)
    clock.advance(timedelta(days=1))
    schakel.add_member(gros, instance_id, Member("koen", "lid", "FOD Financiën"), SECRETARIAAT)
    schakel.add_member(gros, instance_id, Member("joris", "covoorzitter-nl", "Provincie Zeeland"), SECRETARIAAT)
    present = {m.username: m for m in schakel.members(gros, instance_id) if m.removed_at is None}
    assert {name: m.role for name, m in present.items()} == {"joris": "covoorzitter-nl", "els": "covoorzitter-vl",
                                                              "koen": "lid"}
    assert "schakel-gros-2027-001" not in person(gros, "mark").groups  # replaced as co-chair: out
    with pytest.raises(Conflict, match="vervangen, niet verwijderd"):
        schakel.remove_member(gros, present["els"].id, SECRETARIAAT)
    schakel.remove_member(gros, present["koen"].id, SECRETARIAAT)
    assert "schakel-gros-2027-001" not in person(gros, "koen").groups
    history = [(m.username, m.removed_at is not None) for m in schakel.members(gros, instance_id)]
    assert sorted(history) == [("els", False), ("joris", False), ("koen", True), ("mark", True)]
    with gros.db.reading() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.instance_id == instance_id,
                                                                  AuditEvent.action.like("schakel.%"))).all()
    assert sorted(actions) == sorted(["schakel.lid-toegevoegd"] * 4 + ["schakel.gevormd"]
                                     + ["schakel.lid-beeindigd"] * 2)


def test_schakel_members_hear_of_every_step_of_their_dossier(gros: Engine):
    instance_id = agendered(gros, "gros-uitvoering", "GROS-2027-001")
    formed(gros, instance_id)
    progress_asked(gros, instance_id, "GROS-2027-001")
    with gros.db.reading() as session:
        mails = session.execute(select(MailOutbox.username, MailOutbox.kind, MailOutbox.subject)).all()
    reported = {(user, kind) for user, kind, subject in mails if "Voortgang rapporteren" in subject}
    assert reported == {("mark", "taak"), ("els", "taak")}  # offered to the schakel, so told once as their task
    gros.tasks.complete(task(gros, instance_id, "Activity_VoortgangRapporteren").id, person(gros, "mark"),
                        {"voortgang_rapport": "Alles loopt op schema.", "voortgang_status": "op-schema"})
    with gros.db.reading() as session:
        mails = session.execute(select(MailOutbox.username, MailOutbox.kind, MailOutbox.subject)).all()
    judged = {(user, kind) for user, kind, subject in mails if "Voortgang beoordelen" in subject}
    assert ("els", "schakel") in judged and ("mark", "schakel") not in judged  # mark took the step himself


# ------------------------------------------------------------------ stakeholders heard (§ 5.1, § 5.3.2)


def in_uitwerking(engine: Engine) -> str:
    instance_id = agendered(engine, "gros-uitwerking", "GROS-2027-004")
    formed(engine, instance_id)
    return instance_id


def opened(engine: Engine, instance_id: str, days: int = 14) -> consultatie.Opened:
    return consultatie.open_consultation(
        engine, instance_id, "Wat betekent één pensioenregeling voor uw leden?", ["https://example.org/notitie.pdf"],
        engine.now() + timedelta(days=days),
        [Invitee("bond@example.org", "Grensarbeidersbond"), Invitee("kamer@example.org", "Kamer van Koophandel")],
        person(engine, "mark"))


def mailed_link(engine: Engine, address: str) -> str:
    with engine.db.reading() as session:
        body = session.scalar(select(MailOutbox.body).where(MailOutbox.address == address))
    return re.search(r"/consultatie/(\S+)", body).group(1)


def test_a_stakeholder_answers_once_through_their_link_and_the_answer_is_on_the_dossier(gros: Engine, clock):
    instance_id = in_uitwerking(gros)
    consultation = opened(gros, instance_id)
    token = mailed_link(gros, "bond@example.org")
    assert consultation.tokens["bond@example.org"] == token
    shown = consultatie.invitation(gros, token)
    assert (shown.organisation, shown.business_key, shown.documents) == (
        "Grensarbeidersbond", "GROS-2027-004", ["https://example.org/notitie.pdf"])
    assert "kamer@example.org" not in repr(shown)  # nothing of the other invitees

    clock.advance(timedelta(hours=2))
    consultatie.answer(gros, token, "Minder papierwerk voor onze leden.")
    with pytest.raises(Gone, match="al gebruikt"):
        consultatie.answer(gros, token, "Nog een keer.")
    with pytest.raises(Gone):
        consultatie.invitation(gros, token)
    with pytest.raises(NotFound):
        consultatie.invitation(gros, token[:-2] + "xx")
    [view] = consultatie.consultations(gros, instance_id)
    assert [(a.organisation, a.answer) for a in view.answers] == [
        ("Grensarbeidersbond", "Minder papierwerk voor onze leden."), ("Kamer van Koophandel", None)]
    with gros.db.reading() as session:
        stored = session.scalars(select(consultatie.ConsultatieUitnodiging.token_hash)).all()
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "consultatie.beantwoord")).one()
    assert token not in stored  # only the hash is kept
    assert (event.instance_id, event.actor) == (instance_id, "belanghebbende")


def test_a_consultation_closes_after_its_deadline_or_once_everyone_answered(gros: Engine, clock):
    instance_id = in_uitwerking(gros)
    early, late = opened(gros, instance_id), opened(gros, instance_id, days=7)
    mark = person(gros, "mark")
    consultatie.answer(gros, early.tokens["bond@example.org"], "Ja.")
    with pytest.raises(Conflict, match="1 van de 2"):
        consultatie.close(gros, early.id, mark)
    consultatie.answer(gros, early.tokens["kamer@example.org"], "Ook ja.")
    consultatie.close(gros, early.id, mark)  # everyone answered: before the deadline

    with pytest.raises(Forbidden):
        consultatie.close(gros, late.id, person(gros, "koen"))
    clock.advance(timedelta(days=7))
    with pytest.raises(Gone, match="antwoorden kan niet meer"):
        consultatie.answer(gros, late.tokens["bond@example.org"], "Te laat.")
    consultatie.close(gros, late.id, mark)
    with pytest.raises(Conflict, match="al gesloten"):
        consultatie.close(gros, late.id, mark)


def test_only_the_schakel_opens_a_consultation_and_only_during_uitwerking(gros: Engine):
    instance_id = in_uitwerking(gros)
    with pytest.raises(Forbidden):
        consultatie.open_consultation(gros, instance_id, "Vraag?", [], gros.now() + timedelta(days=3),
                                      [Invitee("a@example.org", "A")], person(gros, "koen"))
    with pytest.raises(InvalidData) as refused:
        consultatie.open_consultation(gros, instance_id, " ", ["ftp://x"], gros.now(),
                                      [Invitee("geen-adres", "B")], person(gros, "mark"))
    assert [e.key for e in refused.value.errors] == ["vraag", "documenten", "termijn", "genodigden"]
    later = agendered(gros, "gros-uitvoering", "GROS-2027-005")
    formed(gros, later)
    with pytest.raises(Conflict, match="uitgewerkt"):
        consultatie.open_consultation(gros, later, "Vraag?", [], gros.now() + timedelta(days=3),
                                      [Invitee("a@example.org", "A")], person(gros, "mark"))


def test_a_progress_round_for_a_dossier_without_schakel_is_refused_by_name_and_writes_nothing(gros: Engine):
    """Camunda fails the command that creates a task whose candidate expression cannot be evaluated; here that
    refusal names the task and the expression, in Dutch, and the dossier stays where it was."""
    instance_id = agendered(gros, "gros-uitvoering", "GROS-2027-001")
    planning = task(gros, instance_id, "Activity_UitvoeringPlannen")
    gros.tasks.complete(planning.id, Actor.of("an", ["departement-nl"]),
                        {"uitvoeringsplan": "Plan in tien stappen", "uitvoering_streefdatum": "2027-12-01"})
    asked = {"overleg_datum": "2027-09-16", "rapport_deadline": "2027-09-02T17:00:00+02:00"}
    with pytest.raises(InvalidData, match=r"candidateGroups van taak 'Voortgang rapporteren' \(\$\{schakel\}\)"):
        gros.runtime.correlate("voortgang-gevraagd", business_key="GROS-2027-001", variables=asked)
    assert "Event_VoortgangGevraagd" in gros.query.instance(instance_id).waiting_at
    formed(gros, instance_id)
    gros.runtime.correlate("voortgang-gevraagd", business_key="GROS-2027-001", variables=asked)
    assert task(gros, instance_id, "Activity_VoortgangRapporteren").candidate_groups == ["schakel-gros-2027-001"]
