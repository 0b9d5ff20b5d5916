"""The kennisbank for machine clients: the same search, ranking and filters as /kennisbank, for every
official's token."""

from __future__ import annotations

from engine.gros.kennisbank import SIDES
from engine.gros.kennisbank.search import ARGS, COUNT_CAP, Query, search
from engine.web.api.access import current_engine
from engine.web.api.resources import INTEGER, STRING, STRINGS, array
from engine.web.api.spec import TEXT, Call, Param, Routes, component, nullable, obj

routes = Routes("Kennisbank", "Alle grensbelemmeringen met hun oplossing en uitkomst: zoeken met Nederlandse "
                              "woordvormen, rangschikking en filters.")
NUMBER = {"type": "integer", "minimum": 1, "maximum": 999999}
PARAMS = [
    Param("q", TEXT, "Zoekwoorden; elk woord moet voorkomen, in welke vorm ook (grensarbeider vindt grensarbeiders)."),
    Param("thema", TEXT, "Thema (de waarde van `thema`, bv. `zorg`)."),
    Param("uitkomst", TEXT, "Uitkomst (de waarde van `uitkomst`, bv. `opgelost`)."),
    Param("fase", TEXT, "Fase (proces, bv. `gros-verkenning`) of `afgerond`."),
    Param("zijde", {"type": "string", "enum": list(SIDES)}, "Zijde waarvan regelgeving of besluiten genoemd zijn."),
    Param("jaar", NUMBER, "Jaar van melding."),
    Param("regelgeving", TEXT, "Een stuk van de naam van betrokken regelgeving."),
    Param("pagina", NUMBER, "Pagina (vanaf 1, 20 per pagina)."),
]
HIT = component("KennisbankDossier", obj({
    "processInstanceId": STRING, "businessKey": nullable(STRING), "title": STRING, "theme": nullable(STRING),
    "outcome": nullable(STRING), "phase": nullable(STRING), "year": INTEGER, "solution": nullable(STRING),
    "sides": STRINGS, "rules": STRING, "lessons": STRING,
}))
RESULTS = component("KennisbankResultaten", obj({
    "total": INTEGER,
    "more": {"type": "boolean", "description": f"meer dan {COUNT_CAP} treffers (total is dan {COUNT_CAP})"},
    "page": INTEGER, "pages": INTEGER, "results": array(HIT)}))


@routes.operation("GET", "/kennisbank", "Zoek in de kennisbank (elke ingelogde ambtenaar); beste treffer eerst.",
                  params=PARAMS, ok=(200, RESULTS), errors=(400,))
def search_kennisbank(call: Call) -> dict:
    known = set(ARGS.values())
    query = Query.parse({key: str(value) for key, value in call.query.items() if key in known})
    results = search(current_engine(), query)
    return {"total": min(results.total, COUNT_CAP), "more": results.more, "page": query.page,
            "pages": results.pages, "results": [
        {"processInstanceId": hit.instance_id, "businessKey": hit.business_key, "title": hit.title,
         "theme": hit.theme, "outcome": hit.outcome, "phase": hit.phase, "year": hit.year, "solution": hit.solution,
         "sides": [side for side in hit.sides.split("|") if side], "rules": hit.rules,
         "lessons": hit.card.get("lessons", "")} for hit in results.hits]}
