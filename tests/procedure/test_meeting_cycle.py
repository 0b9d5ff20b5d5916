"""The half-yearly meeting cycle (§ 5.2.5, § 5.3.3): agendering belongs to a meeting of the calendar,
and every agendered dossier passes every half-yearly meeting. SQLite and PostgreSQL, clock moved."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.errors import InvalidData
from engine.gros import meetings
from engine.services import Actor, Engine
from tests.procedure.test_scenarios import (
    MODELS,
    Dossier,
    akkoorden_en_agendering,
    selectie,
    signaal_en_triage,
    verkenning,
    voorbereiding,
)

SECRETARIAAT = Actor.of("sanne", ["secretariaat"])


@pytest.fixture
def gros(engine: Engine) -> Engine:
    engine.repository.deploy(MODELS)
    return engine


def up_to_the_proposal(d: Dossier) -> None:
    signaal_en_triage(d)
    selectie(d)
    verkenning(d)
    voorbereiding(d, overleg=None)


def propose(d: Dossier, day: str) -> None:
    d.do("Activity_AgenderingsvoorstelOpstellen", "secretariaat", agenderingsvoorstel="Agenderen in maart.",
         beoogd_overleg_datum=day)


def test_agendering_names_a_planned_half_yearly_meeting_and_is_listed_there(gros: Engine, clock):
    """§ 5.2.5: the ministers agendate at their half-yearly meeting; a date that is no planned meeting
    to come (one in 2019, one nobody planned, a Top, a cancelled one) is refused, nothing written."""
    march = meetings.plan(gros, "bilateraal", datetime(2027, 3, 18, 10, 0), SECRETARIAAT)
    top = meetings.plan(gros, "top", datetime(2027, 4, 15, 10, 0), SECRETARIAAT)
    cancelled = meetings.plan(gros, "bilateraal", datetime(2027, 5, 20, 10, 0), SECRETARIAAT)
    meetings.cancel(gros, cancelled.id, SECRETARIAAT)
    d = Dossier(gros, "GROS-2027-001")
    up_to_the_proposal(d)

    for day in ("2019-05-16", "2027-03-11", "2027-04-15", "2027-05-20"):
        with pytest.raises(InvalidData) as refused:
            propose(d, day)
        [field] = refused.value.errors
        assert field.key == "beoogd_overleg_datum"
        assert f"'{day}' is geen gepland halfjaarlijks bilateraal overleg" in field.message
        assert "geplande overleggen: 2027-03-18" in field.message
        assert "Activity_AgenderingsvoorstelOpstellen" in d.open(), "nothing half-written"
    assert meetings.agenda(gros, top.id).items == []

    propose(d, "2027-03-18")
    akkoorden_en_agendering(d)
    [item] = meetings.agenda(gros, march.id).proposals
    assert (item.business_key, item.status) == ("GROS-2027-001", "geagendeerd")


def test_a_meeting_that_has_passed_can_no_longer_be_named(gros: Engine, clock):
    meetings.plan(gros, "bilateraal", datetime(2027, 3, 18, 10, 0), SECRETARIAAT)
    d = Dossier(gros, "GROS-2027-002")
    up_to_the_proposal(d)
    clock.set(datetime(2027, 3, 19, 9, 0, tzinfo=UTC))
    with pytest.raises(InvalidData, match="geplande overleggen: geen"):
        propose(d, "2027-03-18")
