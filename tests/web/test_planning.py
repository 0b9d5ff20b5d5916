"""The secretariaat plans meetings in the app; the agenda page shows what the scheduler gathered."""

from __future__ import annotations

from engine.gros import meetings
from engine.web.planning import scheduler_mode


def test_the_secretariaat_plans_a_meeting_in_local_time(app, login, engine):
    secretariaat = login("sec")
    page = secretariaat.get("/overleg")
    assert page.status_code == 200 and "Overleg plannen" in page.text
    response = secretariaat.post("/overleg", {"soort": "bilateraal", "datum": "2027-04-15", "uur": "10:00",
                                              "zone": "NL", "vooraf": "6", "termijn": "2"})
    assert response.status_code == 302
    [meeting] = meetings.calendar(engine)
    assert (meeting.held_at.isoformat(), meeting.request_at.isoformat(), meeting.zone) == (
        "2027-04-15T08:00:00+00:00", "2027-03-04T09:00:00+00:00", "Europe/Amsterdam")
    calendar = secretariaat.get("/overleg").text
    assert "15 apr 2027 10:00" in calendar and "vanaf 4 mrt 2027 10:00" in calendar
    agenda = secretariaat.get(f"/overleg/{meeting.id}")
    assert agenda.status_code == 200 and "Nog geen dossiers gevraagd" in agenda.text


def test_a_bad_date_is_explained_and_others_may_not_plan(app, login, engine):
    secretariaat = login("sec")
    secretariaat.post("/overleg", {"soort": "bilateraal", "datum": "2027-03-28", "uur": "02:30", "zone": "VL",
                                   "vooraf": "6", "termijn": "2"})
    assert "bestaat niet" in secretariaat.get("/overleg").text
    assert meetings.calendar(engine) == []
    region = login("nl")
    assert region.get("/overleg").status_code == 403
    assert region.post("/overleg", {"soort": "top", "datum": "2027-11-25"}).status_code == 403


def test_an_app_given_its_engine_runs_no_scheduler_of_its_own(app):
    assert scheduler_mode(app) == "off" and "gros.scheduler" not in app.extensions
