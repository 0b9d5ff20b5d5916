"""The parliament progress report as a step of each Top's preparation (§ 4.3, § 6.2.1, § 6.2.2): the
calendar starts it, the secretariaat drafts it, each government approves in its own task, a refusal goes
back to the secretariaat, and the PDF both approved is kept byte for byte. SQLite and PostgreSQL, clock
moved; the approvals go through the engine's commands, the downloads through real HTTP."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from engine.accounts import create_account
from engine.errors import Forbidden, InvalidData
from engine.gros import meetings, parliament
from engine.services import Actor, Engine
from tests.monitor.conftest import ROOT
from tests.procedure.test_scenarios import Dossier, signaal_en_triage
from tests.web.conftest import PASSWORD, Official, form_token

SECRETARIAAT = Actor.of("sanne", ["secretariaat"])
MINISTER_NL = Actor.of("minister-nl", ["minister-grenssamenwerking-nl"])
MINISTER_VL = Actor.of("minister-vl", ["minister-grenssamenwerking-vl"])


@pytest.fixture
def gros(app, engine: Engine) -> Engine:
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    return engine


def top_prepared(engine: Engine, clock) -> tuple[int, str]:
    """A Top on 17 June 2027; six weeks before, the calendar job starts its report (one per Top)."""
    top = meetings.plan(engine, "top", datetime(2027, 6, 17, 10, 0), SECRETARIAAT)
    clock.set(datetime(2027, 5, 10, 9, 0, tzinfo=UTC))
    meetings.run_calendar(engine)
    meetings.run_calendar(engine)
    [instance] = [i for i in engine.query.instances(limit=100) if i.business_key == parliament.report_key(top.id)]
    return top.id, instance.id


def complete(engine: Engine, instance_id: str, element_id: str, actor: Actor, **variables) -> None:
    engine.tasks.complete(task_id(engine, instance_id, element_id), actor, variables)


def task_id(engine: Engine, instance_id: str, element_id: str) -> str:
    [task] = [t for t in engine.query.tasks(instance_id=instance_id) if t.element_id == element_id]
    return task.id


def logged_in(app, engine: Engine, actor: Actor) -> Official:
    create_account(engine, actor.user, PASSWORD, sorted(actor.groups), actor.user)
    client = app.test_client()
    response = client.post("/inloggen", data={"csrf_token": form_token(client.get("/inloggen").text),
                                              "gebruikersnaam": actor.user, "wachtwoord": PASSWORD})
    assert response.status_code == 302, response.text
    return Official(client, actor)


def open_steps(engine: Engine, instance_id: str) -> set[str]:
    return {t.element_id for t in engine.query.tasks(instance_id=instance_id)}


def draft(engine: Engine, instance_id: str) -> None:
    complete(engine, instance_id, "Activity_RapportOpstellen", SECRETARIAAT, rapport_van="2025-05-10",
             rapport_tot="2027-05-10", rapport_toelichting="Voortgang sinds de vorige Top.")


def test_a_top_produces_a_report_both_governments_approved_kept_unchanged(gros: Engine, clock, login):
    """§ 6.2.2: the report of each Top, approved by both sides, is kept as approved: a later download is
    byte-identical even after new data would change what the generator makes."""
    top_id, instance_id = top_prepared(gros, clock)
    assert open_steps(gros, instance_id) == {"Activity_RapportOpstellen"}
    started = gros.query.variables(instance_id)
    assert (started["rapport_van"], started["rapport_tot"]) == ("2025-05-10", "2027-05-10"), "no earlier report"
    draft(gros, instance_id)
    assert open_steps(gros, instance_id) == {"Activity_GoedkeurenNL", "Activity_GoedkeurenVL"}
    complete(gros, instance_id, "Activity_GoedkeurenNL", MINISTER_NL, goedkeuring_nl="ja")
    assert parliament.of_meeting(gros, top_id).approved_at is None, "one side alone approves nothing"
    complete(gros, instance_id, "Activity_GoedkeurenVL", MINISTER_VL, goedkeuring_vl="ja")

    kept = parliament.of_meeting(gros, top_id)
    assert (kept.approved_nl_by, kept.approved_vl_by) == ("minister-nl", "minister-vl")
    assert kept.pdf, "rendered in the approving command"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(kept.pdf)).pages)
    assert "Vlaams Parlement" in text and "10 mei 2025" in text

    clock.set(datetime(2027, 5, 20, 9, 0, tzinfo=UTC))
    Dossier(gros, "GROS-2027-077")  # new data after the approval
    signaal_en_triage(Dossier(gros, "GROS-2027-078"))
    secretariaat = login("sec")
    first = secretariaat.get(f"/monitor/parlementsrapport/{top_id}.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data == kept.pdf
    assert "Download parlementsrapport" in secretariaat.get("/monitor/rapportage").text
    page = secretariaat.get(f"/overleg/{top_id}").text
    assert "Goedgekeurd door beide regeringen" in page and f"/monitor/parlementsrapport/{top_id}.pdf" in page

    complete(gros, instance_id, "Activity_RapportVerzonden", SECRETARIAAT, verzonden_tweede_kamer=True,
             verzonden_vlaams_parlement=True)
    assert gros.query.instance(instance_id).status == "completed"
    assert parliament.of_meeting(gros, top_id).sent_at is not None
    assert secretariaat.get(f"/monitor/parlementsrapport/{top_id}.pdf").data == kept.pdf

    clock.set(datetime(2029, 5, 10, 9, 0, tzinfo=UTC))  # the next Top, planned by the calendar two years on
    meetings.run_calendar(gros)
    meetings.run_calendar(gros)
    nxt = [m for m in meetings.calendar(gros) if m.kind == "top"][0]
    [(_, following)] = [(i.id, i) for i in gros.query.instances(limit=100)
                        if i.business_key == parliament.report_key(nxt.id)]
    assert gros.query.variables(following.id)["rapport_van"] == "2027-05-11", "after the previous approved report"


def test_one_side_cannot_approve_for_the_other(gros: Engine, clock):
    """Paritair (§ 6.2.2): the Dutch minister cannot complete the Flemish approval, nor the other way round."""
    top_id, instance_id = top_prepared(gros, clock)
    draft(gros, instance_id)
    with pytest.raises(Forbidden):
        complete(gros, instance_id, "Activity_GoedkeurenVL", MINISTER_NL, goedkeuring_vl="ja")
    with pytest.raises(Forbidden):
        complete(gros, instance_id, "Activity_GoedkeurenNL", MINISTER_VL, goedkeuring_nl="ja")
    assert open_steps(gros, instance_id) == {"Activity_GoedkeurenNL", "Activity_GoedkeurenVL"}
    assert parliament.of_meeting(gros, top_id).approved_at is None


def test_a_refusal_returns_to_the_secretariaat_with_its_reason(gros: Engine, clock, login, app):
    """§ 6.2.2: a "nee" needs its reason and sends the report back to the secretariaat, whose task shows it
    beside the generator's report; the minister's task page shows the report they approve."""
    top_id, instance_id = top_prepared(gros, clock)
    draft(gros, instance_id)
    minister = logged_in(app, gros, MINISTER_VL).get(f"/taken/{task_id(gros, instance_id, 'Activity_GoedkeurenVL')}")
    assert minister.status_code == 200
    assert "Voortgangsrapportage aan de parlementen" in minister.text
    assert "Periode: 10 mei 2025 tot en met 10 mei 2027" in minister.text
    with pytest.raises(InvalidData) as refused:
        complete(gros, instance_id, "Activity_GoedkeurenVL", MINISTER_VL, goedkeuring_vl="nee")
    assert refused.value.errors[0].key == "goedkeuring_vl_reden"
    complete(gros, instance_id, "Activity_GoedkeurenVL", MINISTER_VL, goedkeuring_vl="nee",
             goedkeuring_vl_reden="De escalaties ontbreken.")
    complete(gros, instance_id, "Activity_GoedkeurenNL", MINISTER_NL, goedkeuring_nl="ja")

    assert open_steps(gros, instance_id) == {"Activity_RapportOpstellen"}
    report = parliament.of_meeting(gros, top_id)
    assert report.approved_at is None and report.pdf is None
    assert report.refusal == "VL: De escalaties ontbreken."
    assert "De escalaties ontbreken." in login("sec").get(f"/overleg/{top_id}").text
    assert login("sec").get(f"/monitor/parlementsrapport/{top_id}.pdf").status_code == 404
    redraft = login("sec").get(f"/taken/{task_id(gros, instance_id, 'Activity_RapportOpstellen')}").text
    assert "Geweigerd:" in redraft and "De escalaties ontbreken." in redraft

    draft(gros, instance_id)  # a new draft asks both sides again
    assert open_steps(gros, instance_id) == {"Activity_GoedkeurenNL", "Activity_GoedkeurenVL"}
    assert parliament.of_meeting(gros, top_id).approved_nl_by is None
