"""The kennisbank — the institutional memory of seed § 4.6 and § 5.2.4: every dossier, running or ended,
as a card (what the obstacle is, whom it hits, the rules on each side, the solution, each side's decisions
with reasons, the outcome and the lessons) that officials search and that the first exploration
(§ 5.2.2) draws its precedents from.

``index`` is an ``Engine.on_save`` listener: the card and the search text are a derived row written in
the command's own transaction, never built by scanning instances. Variables are read defensively (names
from processen/README.md; a decision the models add later still shows when it is named like one)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from engine.bpmn.runtime import Workflow
from engine.gros.kennisbank.words import stemmed
from engine.gros.models import KennisEntry
from engine.gros.summary import NOT_CASES, is_case
from engine.services import Engine
from engine.store.models import ProcessInstance

ENTRIES = KennisEntry.__table__
SIDES = ("NL", "VL", "BE")
# Text fields of the card, by variable (processen/README.md).
FIELDS = {"summary": "omschrijving", "cause_kind": "oorzaak_aard", "cause": "oorzaak", "affected": "getroffenen",
          "interest": "belang_oplossing", "solution": "oplossingsperspectief",
          "solution_text": "oplossing_omschrijving", "outcome": "uitkomst", "outcome_reason": "uitkomst_reden",
          "lessons": "geleerde_lessen",
          "precedents_text": "precedenten", "agendered_on": "overleg_datum_agendering",
          "mitigation": "mitigatie"}
# A grenseffectentoets (§ 4.2.2) describes its policy intention in ``samenvatting``.
SUMMARY_FALLBACK = "samenvatting"
DECISIONS = ("triage_besluit", "besluit_nl", "besluit_vl", "regionaal_besluit", "standpunt_departement_nl",
             "standpunt_departement_vl", "standpunt_federaal", "akkoord_nl", "akkoord_vl", "akkoord_federaal",
             "agendering_resultaat", "uitwerking_stand", "kabinetsbesluit_nl", "kabinetsbesluit_vl",
             "kabinetsbesluit_federaal", "oplossing_vastgesteld", "escalatie_resultaat", "voortgang_oordeel",
             "effect_buurland", "effect_federaal", "toets_conclusie")
# A decision named after this pattern but not listed above (a joint decision added later) is shown too.
DECISION_NAME = re.compile(r"^(?:\w+_)?(?:besluit|akkoord|standpunt)(?:_\w+)?$")
REASON_SUFFIXES = ("_reden", "_toelichting", "_motivering")
REASONS = {"triage_besluit": "triage_toelichting", "oplossing_vastgesteld": "vaststelling_toelichting",
           "escalatie_resultaat": "escalatie_besluit", "voortgang_oordeel": "oordeel_toelichting",
           "agendering_resultaat": "agendering_toelichting", "uitwerking_stand": "uitwerking_toelichting",
           "effect_buurland": "beoordeling_buurland", "effect_federaal": "beoordeling_federaal",
           "toets_conclusie": "conclusie_toelichting"}
SIDE_SUFFIXES = {"_nl": "NL", "_vl": "VL", "_federaal": "BE"}
# Every variable a card reads by name; a decision or its reason may also be read by its pattern.
READ = frozenset((*FIELDS.values(), SUMMARY_FALLBACK, "titel", "thema", "uitkomst", "oplossingsperspectief",
                  "betrokken_regelgeving", "federaal_betrokken", *DECISIONS, *REASONS.values()))
RULE_SIDE = re.compile(r"\((NL|VL|BE)\)|\b(NL|VL|BE)-(NL|VL|BE)\b")


def index(session: Session, instance: ProcessInstance, workflow: Workflow, now: datetime) -> None:
    """Keep the dossier's or toets's kennisbank row (and on SQLite its FTS5 row) in step with its variables."""
    if not is_case(instance):
        return
    data = workflow.data
    title = instance.title or instance.business_key or ""  # summary.summarize ran first and set it
    card = card_of(data)
    values = {
        "business_key": instance.business_key, "title": title, "theme": _short(data.get("thema")),
        "outcome": _short(data.get("uitkomst")), "phase": None if workflow.completed else workflow.phase(),
        "sides": "|" + "|".join(sides_of(card, data)) + "|", "year": instance.started_at.year,
        "solution": _short(data.get("oplossingsperspectief")), "rules": _text(data.get("betrokken_regelgeving")),
        "body": body_of(card), "card": card,
    }
    connection = session.connection()
    stored = connection.execute(select(ENTRIES).where(ENTRIES.c.instance_id == instance.id)).first()
    if stored is not None and all(getattr(stored, name) == value for name, value in values.items()):
        return
    values["updated_at"] = now
    if stored is None:
        entry_id = connection.execute(insert(ENTRIES).values(
            instance_id=instance.id, started_at=instance.started_at, **values)).inserted_primary_key[0]
    else:
        entry_id = stored.id
        connection.execute(update(ENTRIES).where(ENTRIES.c.id == entry_id).values(values))
    if connection.dialect.name == "sqlite":
        _write_fts(connection, entry_id, values)


def reads(name: str) -> bool:
    """Whether ``index`` reads variable ``name`` (besides the phase and the title ``titel`` gives):
    ``Engine.on_save``'s ``reads``."""
    return name in READ or bool(DECISION_NAME.match(name)) or name.endswith(REASON_SUFFIXES)


def reindex(engine: Engine) -> int:
    """Index the dossiers that have no kennisbank row yet (those from before migration 0050): a one-time
    catch-up that loads each one's state, one transaction each; from then on every command keeps its row.
    Returns how many it indexed."""
    with engine.db.reading() as session:
        missing = list(session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.definition_key.not_in(NOT_CASES), ProcessInstance.id.not_in(select(ENTRIES.c.instance_id)))
            .order_by(ProcessInstance.started_at)))
    for instance_id in missing:
        with engine.executor.transaction() as session:
            instance = session.get(ProcessInstance, instance_id)
            index(session, instance, engine.executor.load_state(session, instance), engine.now())
    return len(missing)


def _write_fts(connection, entry_id: int, values: dict) -> None:
    connection.execute(text("DELETE FROM kennis_fts WHERE rowid = :id"), {"id": entry_id})
    connection.execute(text("INSERT INTO kennis_fts (rowid, title, rules, body) VALUES (:id, :title, :rules, :body)"),
                       {"id": entry_id, "title": stemmed(values["title"]), "rules": stemmed(values["rules"]),
                        "body": stemmed(values["body"])})


def card_of(data: dict) -> dict:
    """What the card shows, from the dossier's variables: only what is there."""
    card: dict[str, Any] = {key: _text(data.get(name)) for key, name in FIELDS.items() if _text(data.get(name))}
    if "summary" not in card and _text(data.get(SUMMARY_FALLBACK)):
        card["summary"] = _text(data[SUMMARY_FALLBACK])
    card["rules"] = rules_of(_text(data.get("betrokken_regelgeving")))
    card["decisions"] = decisions_of(data)
    card["federal"] = bool(data.get("federaal_betrokken"))
    return card


def rules_of(rules: str) -> list[list[str | None]]:
    """``betrokken_regelgeving`` split into rules, each with the side its text names (or None)."""
    found = []
    for rule in (part.strip() for part in re.split(r"[;\n]", rules)):
        if rule:
            side = RULE_SIDE.search(rule)
            found.append([rule, next((s for s in side.groups() if s), None) if side else None])
    return found


def decisions_of(data: dict) -> list[dict]:
    names = [name for name in DECISIONS if name in data]
    names += sorted(name for name in data if name not in DECISIONS and DECISION_NAME.match(name)
                    and not name.endswith(REASON_SUFFIXES) and name not in REASONS.values()
                    and isinstance(data[name], str | bool))
    return [{"name": name, "value": _text(data[name]), "reason": _reason(data, name), "side": _side(name)}
            for name in names if _text(data[name])]


def sides_of(card: dict, data: dict) -> list[str]:
    named = {side for _, side in card["rules"] if side} | {d["side"] for d in card["decisions"] if d["side"]}
    if data.get("federaal_betrokken"):
        named.add("BE")
    return [side for side in SIDES if side in named]


def body_of(card: dict) -> str:
    """The searchable text besides title and rules: the card's prose and the reasons of its decisions."""
    prose = [card[key] for key in ("summary", "cause", "affected", "interest", "solution_text", "outcome_reason",
                                   "lessons", "precedents_text", "mitigation") if key in card]
    return "\n".join(prose + [d["reason"] for d in card["decisions"] if d["reason"]])


def _reason(data: dict, name: str) -> str:
    candidates = [REASONS.get(name, "")] + [name + suffix for suffix in REASON_SUFFIXES]
    return next((_text(data[c]) for c in candidates if c in data and _text(data[c])), "")


def _side(name: str) -> str | None:
    return next((side for suffix, side in SIDE_SUFFIXES.items() if name.endswith(suffix)), None)


def _text(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    return str(value).strip()


def _short(value: Any) -> str | None:
    return _text(value)[:200] or None
