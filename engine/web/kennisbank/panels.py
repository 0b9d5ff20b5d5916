"""The kennisbank's panels on other parts' pages: "Vergelijkbare dossiers" on the task pages where a
dossier is triaged and explored (seed § 5.2.2 asks for precedents there), and the precedents on the
monitor's dossier page."""

from __future__ import annotations

from flask import g, render_template, request

from engine.gros.kennisbank import records
from engine.gros.kennisbank.search import suggestions
from engine.store.models import HumanTask
from engine.web import current_engine
from engine.web.kennisbank.cards import Vocabulary

# Triage, Eerste verkenning, Gezamenlijke verkenning (NL and VL): element ids from processen/README.md.
PRECEDENT_TASKS = frozenset({"Activity_Triage", "Activity_EersteVerkenning", "Activity_VoorbereidingNL",
                             "Activity_VoorbereidingVL"})


OUTCOME_TASK = "Activity_UitkomstRegistreren"


def task_panel(task: HumanTask) -> str:
    if task.element_id == OUTCOME_TASK:  # seed § 4.6: here the secretariaat decides on the public summary
        return render_template("kennisbank/_outcome_panel.html", task=task)
    if task.element_id not in PRECEDENT_TASKS:
        return ""
    engine = current_engine()
    chosen = records.precedents(engine, task.instance_id)
    chosen_ids = {row.instance_id for row in chosen.chosen}
    found = records.entry(engine, task.instance_id)
    return render_template("kennisbank/_task_panel.html", task=task, similar=suggestions(engine, task.instance_id),
                           chosen=chosen, chosen_ids=chosen_ids, view=Vocabulary(engine),
                           loketten=records.loketten_for(engine, found.theme) if found is not None else [],
                           back=request.path, actor=g.actor)


def dossier_panel(instance_id: str) -> str:
    engine = current_engine()
    return render_template("kennisbank/_dossier_panel.html", instance_id=instance_id,
                           chosen=records.precedents(engine, instance_id))

