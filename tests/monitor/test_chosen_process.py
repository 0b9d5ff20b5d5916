"""The dossier page draws a process a call activity chose at run time (``calledElement="${doel}"``): the
version that was chosen, read from the dossier's position rows and audit trail (never by evaluating the
expression again), with its token — over HTTP and in Debian's chromium."""

from __future__ import annotations

import pytest

from engine.services import Actor, Engine
from engine.services.migration import Selection
from tests.monitor.conftest import DATA, MANAGER
from tests.monitor.test_monitor_browser import markers, signed_in  # noqa: F401 - signed_in is a fixture

SECRETARIAAT = Actor.of("sofie", ["secretariaat"])
CHOSEN = "Doorverwezen (versie 2, gekozen bij de aanroep)"


def called_version(number: int) -> str:
    """Version ``number`` of the called process: its one task has an id and name of that version."""
    text = (DATA / "doorverwezen.bpmn").read_text(encoding="utf-8")
    return text.replace("Activity_Behandelen", f"Activity_Behandelen{number}").replace(
        'name="Behandelen"', f'name="Behandelen (versie {number})"')


@pytest.fixture
def waiting_in_chosen(engine: Engine) -> str:
    """A dossier waiting in version 2 of the process its call activity chose (the newest then); version 3
    was deployed after the call started."""
    engine.repository.deploy_sources({"doorverwijzen.bpmn": (DATA / "doorverwijzen.bpmn").read_text(encoding="utf-8"),
                                      "doorverwezen.bpmn": called_version(1)})
    engine.repository.deploy_sources({"doorverwezen.bpmn": called_version(2)})
    instance_id = engine.runtime.start("doorverwijzen", variables={"doel": "doorverwezen"}, actor=SECRETARIAAT)
    [task] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(task.id, SECRETARIAAT, {})
    engine.repository.deploy_sources({"doorverwezen.bpmn": called_version(3)})
    return instance_id


def test_the_dossier_draws_the_version_its_call_activity_chose_with_its_token(manager, waiting_in_chosen):
    diagrams = {d["key"]: d for d in manager.get(f"/monitor/dossiers/{waiting_in_chosen}/diagrammen.json").json}
    assert list(diagrams) == ["doorverwijzen", "doorverwezen"]
    assert diagrams["doorverwijzen"]["active"] == ["Activity_Doorverwijzen"]
    assert diagrams["doorverwijzen"]["done"] == ["Activity_Voorbereiden", "Event_Start"]
    assert diagrams["doorverwezen"]["active"] == ["Activity_Behandelen2"]
    assert 'name="Behandelen (versie 2)"' in diagrams["doorverwezen"]["xml"]
    page = manager.get(f"/monitor/dossiers/{waiting_in_chosen}").text
    assert CHOSEN in page and "Staat nu bij: Behandelen (versie 2)" in page


def test_the_chosen_version_stays_drawn_with_its_path_after_the_call_ended(manager, engine, waiting_in_chosen):
    [task] = engine.query.tasks(instance_id=waiting_in_chosen)
    engine.tasks.complete(task.id, SECRETARIAAT, {})
    assert engine.query.instance(waiting_in_chosen).status == "completed"
    diagrams = {d["key"]: d for d in manager.get(f"/monitor/dossiers/{waiting_in_chosen}/diagrammen.json").json}
    assert list(diagrams) == ["doorverwijzen", "doorverwezen"]
    assert (diagrams["doorverwezen"]["active"], diagrams["doorverwezen"]["done"]) == (
        [], ["Activity_Behandelen2", "Event_Einde", "Event_Start"])
    assert CHOSEN in manager.get(f"/monitor/dossiers/{waiting_in_chosen}").text


def test_the_browser_draws_the_chosen_process_with_its_token(signed_in, live_server,  # noqa: F811
                                                             waiting_in_chosen, screenshots):
    page = signed_in
    page.goto(f"{live_server}/monitor/dossiers/{waiting_in_chosen}")
    page.wait_for_selector('.diagram[data-key="doorverwezen"][data-rendered="true"]')
    page.wait_for_selector('.diagram[data-key="doorverwijzen"][data-rendered="true"]')
    assert page.get_by_role("heading", name=CHOSEN).is_visible()
    assert markers(page, "doorverwezen", "gros-active") == ["Activity_Behandelen2"]
    assert markers(page, "doorverwijzen", "gros-active") == ["Activity_Doorverwijzen"]
    page.screenshot(path=screenshots / "monitor-gekozen-proces.png", full_page=True)


def test_the_chosen_version_counts_its_token_previews_its_migration_and_is_drawn_migrated(
        manager, engine: Engine, waiting_in_chosen):
    [v1, v2, v3] = [d.id for d in engine.repository.definitions("doorverwezen")]
    [process] = manager.get(f"/monitor/processen/{v2}/diagram.json").json
    assert process["counts"] == {"Activity_Behandelen2": 1}
    assert manager.get(f"/monitor/processen/{v1}/diagram.json").json[0]["counts"] == {}
    preview = manager.get(f"/monitor/processen/{v2}/migreren?naar={v3}").text
    assert 'data-element="Activity_Behandelen2"><td>Behandelen (versie 2)</td><td>1</td>' \
           "<td>Behandelen (versie 3)</td><td>geen</td>" in preview

    report = engine.migration.execute(engine.migration.generate(v2, v3), Selection(), MANAGER)
    assert report.migrated == [waiting_in_chosen]
    diagrams = {d["key"]: d for d in manager.get(f"/monitor/dossiers/{waiting_in_chosen}/diagrammen.json").json}
    assert diagrams["doorverwezen"]["active"] == ["Activity_Behandelen3"]
    assert "Doorverwezen (versie 3, gekozen bij de aanroep)" in \
           manager.get(f"/monitor/dossiers/{waiting_in_chosen}").text
