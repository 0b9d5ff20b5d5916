"""The region hears back in its inbox (§ 5.2.5): a "Ter informatie" notice after the selection, which each
member dismisses for themselves and which blocks nothing."""

from __future__ import annotations

import re

from engine.gros import notices
from tests.procedure.test_scenarios import Dossier, selectie, signaal_en_triage

from .test_browser import MODELS


def test_the_border_regions_see_the_selection_and_each_dismisses_it_for_themselves(app, engine, login, people):
    engine.repository.deploy(MODELS)
    dossier = Dossier(engine, "GROS-2027-031")
    signaal_en_triage(dossier)
    selectie(dossier)

    joris, fatima, lien, mark = login("nl"), login("nl2"), login("vl"), login("dnl")
    inbox = joris.get("/taken").text
    assert "Ter informatie" in inbox
    assert "Besluit over de selectie: Nederlandse zijde ja, Vlaamse zijde ja." in inbox
    [notice] = notices.notices_for(engine, people["nl"])
    assert re.search(rf'action="/ter-informatie/{notice.id}/gelezen"', inbox)
    assert mark.post(f"/ter-informatie/{notice.id}/gelezen").status_code == 404, "not for the departments"
    assert "Ter informatie" not in mark.get("/taken").text

    assert joris.post(f"/ter-informatie/{notice.id}/gelezen").status_code == 302
    assert "Besluit over de selectie" not in joris.get("/taken").text
    assert "Besluit over de selectie" in fatima.get("/taken").text, "each member dismisses for themselves"
    assert "Besluit over de selectie" in lien.get("/taken").text, "the Flemish border region hears it too"
