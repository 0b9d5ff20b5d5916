"""A person's request (issue 20): their data is found across dossiers, tasks and audit lines, exported,
and — after a recorded decision — erased everywhere it was kept, without breaking a running dossier."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.bpmn.serializer import state_json
from engine.errors import InvalidData
from engine.gros import consultatie, meetings
from engine.gros.consultatie import Invitee
from engine.gros.models import ConsultatieUitnodiging, MeetingItem
from engine.services import Actor, Engine
from engine.services.personal import ERASED
from engine.services.privacy import ERASED_ACTION
from engine.store.models import AuditEvent
from engine.wiring import open_engine
from tests.procedure import test_schakel as schakel_tests
from webhooks.admin import add_subscriber
from webhooks.models import OutboxEvent, WebhookMessage

MODELS = [Path(__file__).parent / "data" / name for name in ("melding.bpmn", "melding-registreren.form")]
SECRETARIAAT = Actor.of("sofie", ["secretariaat"])
GROS = str(Path(sys.executable).with_name("gros"))
AN = {"melder_naam": "An Peeters", "melder_contact": "An.Peeters@example.org", "thema": "zorg", "uitkomst": "open"}


def register(engine: Engine, n: int, entered: dict, finish: bool = False) -> str:
    instance_id = engine.runtime.start("melding", business_key=f"M-{n}")
    [task] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(task.id, SECRETARIAAT, entered)
    if finish:
        [task] = engine.query.tasks(instance_id=instance_id)
        engine.tasks.complete(task.id, SECRETARIAAT)
    return instance_id


def test_a_persons_data_is_found_across_dossiers(engine: Engine):
    engine.repository.deploy(MODELS)
    running = register(engine, 1, AN)
    ended = register(engine, 2, AN, finish=True)
    register(engine, 3, AN | {"melder_naam": "Jan Jansen", "melder_contact": "jan@example.org"})
    accented = register(engine, 4, AN | {"melder_naam": "Zoë Lefèvre", "melder_contact": "zoe@example.org"})

    report = engine.privacy.find("an.peeters@EXAMPLE.org")
    assert [d.instance_id for d in report.dossiers] == sorted([running, ended])
    by_id = {d.instance_id: d for d in report.dossiers}
    assert by_id[running].fields == ["melder_contact"] and by_id[ended].status == "completed"
    assert [t["name"] for t in by_id[running].tasks] == ["Melding beoordelen"] and by_id[ended].tasks == []
    [line] = by_id[running].audit
    assert (line["action"], line["actor"], line["fields"]) == ("task.completed", "sofie", ["melder_contact"])
    assert json.loads(json.dumps(report.as_json()))["dossiers"][0]["audit"]

    assert [d.instance_id for d in engine.privacy.find("zoë lefèvre").dossiers] == [accented]
    with pytest.raises(InvalidData, match="zoekterm"):
        engine.privacy.find(" an ")


def test_erasure_after_a_decision_leaves_a_running_dossier_running(engine: Engine):
    engine.repository.deploy(MODELS)
    running = register(engine, 1, AN)
    ended = register(engine, 2, AN, finish=True)
    other = register(engine, 3, AN | {"melder_naam": "Jan Jansen", "melder_contact": "jan@example.org"})
    with pytest.raises(InvalidData, match="besluit"):
        engine.privacy.erase("an.peeters@example.org", "", SECRETARIAAT)

    engine.privacy.erase("an.peeters@example.org", "Besluit secretariaat 2027/14", SECRETARIAAT)
    engine.privacy.erase("An Peeters", "Besluit secretariaat 2027/14", SECRETARIAAT)

    assert engine.privacy.find("peeters").dossiers == []
    for instance_id in (running, ended):
        assert "Peeters" not in state_json(engine.query.instance(instance_id).state)  # every copy the steps kept
        assert engine.query.variables(instance_id) == AN | {
            "melder_naam": ERASED, "melder_contact": ERASED}
        erasures = [e for e in engine.query.history(instance_id) if e.action == ERASED_ACTION]
        assert [e.data["velden"] for e in erasures] == [["melder_contact"], ["melder_naam"]]
        assert {e.data["besluit"] for e in erasures} == {"Besluit secretariaat 2027/14"}
    assert engine.query.variables(other)["melder_naam"] == "Jan Jansen"

    [task] = engine.query.tasks(instance_id=running)
    engine.tasks.complete(task.id, SECRETARIAAT)
    assert engine.query.instance(running).status == "completed"


def test_gros_privacy_zoek_exports_json_and_wis_needs_a_decision(sqlite_url: str):
    engine = open_engine(sqlite_url)
    engine.repository.deploy(MODELS)
    instance_id = register(engine, 1, AN)
    engine.db.dispose()
    env = os.environ | {"GROS_DATABASE_URL": sqlite_url}

    def gros(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([GROS, "privacy", *args], capture_output=True, text=True, env=env, timeout=120)

    exported = json.loads(gros("zoek", "an.peeters@example.org", "--json").stdout)
    assert exported["dossiers"][0]["instance_id"] == instance_id
    assert "M-1" in gros("zoek", "an.peeters@example.org").stdout
    refused = gros("zoek", "an")
    assert refused.returncode == 1 and "zoekterm" in refused.stderr and "Traceback" not in refused.stderr
    unasked = gros("wis", "an.peeters@example.org", "--user", "sofie")
    assert unasked.returncode == 2 and "--besluit" in unasked.stderr
    done = gros("wis", "an.peeters@example.org", "--besluit", "B-2027/14", "--user", "sofie", "--groups",
                "secretariaat")
    assert done.returncode == 0, done.stderr
    assert json.loads(gros("zoek", "an.peeters@example.org", "--json").stdout)["dossiers"] == []


def test_outbound_events_carry_no_personal_field(engine: Engine):
    add_subscriber(engine, "open-data", "https://example.org/hook", [], "beheer")
    engine.repository.deploy(MODELS)
    register(engine, 1, AN, finish=True)
    with engine.db.reading() as session:
        bodies = list(session.scalars(select(OutboxEvent.body)))
    assert {json.loads(b)["type"] for b in bodies} == {"dossier.gestart", "dossier.afgesloten"}
    assert not [b for b in bodies if "Peeters" in b]


gros = schakel_tests.gros  # the GROS models, fast password hashing and the accounts of the schakel
AN_PEETERS = "An Peeters"


def test_erasure_reaches_what_the_domain_and_the_webhooks_keep_beside_the_dossiers(gros: Engine, clock):
    """A person's name in a progress report on a meeting's agenda, in a stakeholder's invitation and answer, in
    the mail that invited them, in the events for subscribers and in an inbound webhook body: found and erased
    with the dossiers, the other values kept (§ 5.3.2, § 5.3.3)."""
    add_subscriber(gros, "open-data", "https://example.org/hook", [], "beheer")
    reported = reported_on_the_agenda(gros, clock)
    asked = schakel_tests.in_uitwerking(gros)
    consultatie.open_consultation(gros, asked, "Wat betekent dit voor u?", [], gros.now() + timedelta(days=14),
                                  [Invitee("an.peeters@example.org", AN_PEETERS)], schakel_tests.person(gros, "mark"))
    consultatie.answer(gros, schakel_tests.mailed_link(gros, "an.peeters@example.org"), "Groet, An Peeters")
    with gros.db.transaction() as session:  # what an inbound event that found no dossier leaves
        session.add(WebhookMessage(source="loket", webhook_id="msg-1", status="unmatched", http_status=202, reply={},
                                   body=json.dumps({"kenmerk": "L-1", "melder": {"naam": AN_PEETERS}}),
                                   received_at=gros.now(), updated_at=gros.now()))

    found = {(e["label"], tuple(e["fields"])) for e in gros.privacy.find(AN_PEETERS).elsewhere}
    assert {("agendapunten van overleggen", ("rapport.voortgang_rapport", "titel")),
            ("genodigden en hun antwoorden", ("antwoord", "organisatie")),
            ("ontvangen webhooks", ("inhoud.melder.naam",))} <= found
    assert "uitgaande webhook-gebeurtenissen" in {label for label, _ in found}  # the title went out to subscribers

    gros.privacy.erase(AN_PEETERS, "B-2027/14", SECRETARIAAT)
    gros.privacy.erase("an.peeters@example.org", "B-2027/14", SECRETARIAAT)
    after = gros.privacy.find("Peeters")
    assert (after.dossiers, after.elsewhere) == ([], [])
    with gros.db.reading() as session:
        assert json.loads(session.scalar(select(WebhookMessage.body))) == {"kenmerk": "L-1", "melder": {"naam": ERASED}}
        [item] = session.scalars(select(MeetingItem).where(MeetingItem.instance_id == reported))
        assert (item.report["voortgang_rapport"], item.report["voortgang_status"]) == (ERASED, "vertraagd")
        invited = session.scalars(select(ConsultatieUitnodiging)).one()
        assert (invited.email, invited.organisation, invited.answer) == (ERASED, ERASED, ERASED)
        erasures = session.scalars(select(AuditEvent).where(AuditEvent.action == ERASED_ACTION,
                                                            AuditEvent.instance_id.is_(None))).all()
    assert [e.data["besluit"] for e in erasures] == ["B-2027/14", "B-2027/14"]
    assert erasures[0].data["rijen"]["genodigden en hun antwoorden"] == 1


def test_a_webhook_body_is_erased_value_by_value_when_it_is_json_and_whole_when_it_only_looks_like_it(
        engine: Engine):
    bodies = {"json": json.dumps({"kenmerk": "L-1", "melder": ["An Peeters", "Zoë"]}), "kapot": "{An Peeters,"}
    with engine.db.transaction() as session:
        for webhook_id, body in bodies.items():
            session.add(WebhookMessage(source="loket", webhook_id=webhook_id, status="unmatched", http_status=202,
                                       reply={"melder": "An Peeters", "ok": True}, body=body,
                                       received_at=engine.now(), updated_at=engine.now()))

    found = [(e["label"], e["fields"]) for e in engine.privacy.find(AN_PEETERS).elsewhere]
    assert found == [("ontvangen webhooks", ["antwoord.melder", "inhoud.melder.0"]),
                     ("ontvangen webhooks", ["antwoord.melder", "inhoud"])]
    engine.privacy.erase(AN_PEETERS, "B-2027/15", SECRETARIAAT)
    with engine.db.reading() as session:
        erased = {m.webhook_id: (m.body, m.reply) for m in session.scalars(select(WebhookMessage))}
    assert json.loads(erased["json"][0]) == {"kenmerk": "L-1", "melder": [ERASED, "Zoë"]}
    assert erased["kapot"] == (ERASED, {"melder": ERASED, "ok": True})


def reported_on_the_agenda(engine: Engine, clock) -> str:
    """A dossier in uitvoering, titled after the person, whose schakel reports naming them at a meeting."""
    meeting = meetings.plan(engine, "bilateraal", datetime(2027, 5, 20, 10, 0), SECRETARIAAT)
    instance_id = engine.runtime.start("gros-uitvoering", "GROS-2027-001", {
        "titel": f"Pensioen van {AN_PEETERS}", "thema": "zorg", "schakel": "schakel-gros-2027-001"})
    [planning] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(planning.id, Actor.of("an", ["departement-nl"]),
                          {"uitvoeringsplan": "Plan in tien stappen", "uitvoering_streefdatum": "2027-12-01"})
    clock.set(meeting.request_at)
    assert meetings.run_calendar(engine)["requested"] == 1
    [report] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(report.id, Actor.of("an", ["schakel-gros-2027-001"]),
                          {"voortgang_rapport": f"Gesprek met {AN_PEETERS} gevoerd.", "voortgang_status": "vertraagd"})
    return instance_id
