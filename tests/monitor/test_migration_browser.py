"""A manager migrates a process version's dossiers from the monitor, in a real browser: the preview per
waiting step, the confirmation, the dossiers on the new version."""

from __future__ import annotations

from engine.services import Engine
from tests.engine.test_migration import V2, changed_model, deploy, start

from .test_monitor_browser import check, signed_in  # noqa: F401 - signed_in is a fixture


def test_a_manager_migrates_a_version_from_the_monitor(signed_in, live_server, engine: Engine, screenshots,  # noqa: F811
                                                       tmp_path):
    page = signed_in
    source = deploy(engine)
    dossiers = [start(engine, "taak", "A"), start(engine, "taak", "B"), start(engine, "bericht", "C")]
    target = deploy(engine, changed_model(tmp_path, *V2))

    page.goto(f"{live_server}/monitor/processen/{source}")
    page.get_by_role("link", name="Migreren naar versie 2").click()
    page.wait_for_url(f"{live_server}/monitor/processen/{source}/migreren?naar={target}")
    rows = page.eval_on_selector_all("table.migration-preview tbody tr", "rows => rows.map(r => "
                                     "[...r.cells].map(c => c.textContent.trim()))")
    assert ["Beoordelen", "2", "Beoordelen", "geen"] in rows
    assert ["Antwoord", "1", "Antwoord", "geen"] in rows
    check(page, screenshots, "monitor-08-migreren")

    page.get_by_role("button", name="Bevestigen: migreren naar versie 2").click()
    page.wait_for_url(f"{live_server}/monitor/migraties/*")
    progress = page.get_by_role("status")
    progress.filter(has_text="Klaar.").wait_for(timeout=30_000)  # the page reloads itself while it runs
    assert "3 van 3 dossier(s) verwerkt: 3 gemigreerd." in progress.text_content()
    check(page, screenshots, "monitor-09-migratie-klaar")
    assert {engine.query.instance(i).definition_id for i in dossiers} == {target}
    page.get_by_role("link", name="Naar versie 1").click()
    assert page.get_by_role("link", name="Migreren naar versie 2").count() == 0
