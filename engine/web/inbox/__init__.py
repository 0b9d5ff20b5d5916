"""The work inbox: "Mijn taken", "Taken van mijn groepen", and the task page where an official claims,
hands over or completes a task. Every change goes through the engine's commands."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Blueprint, Flask, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.accounts import accounts, actor_for, display_name
from engine.errors import InvalidData
from engine.forms import FieldError
from engine.gros import notices
from engine.services import Completion, Engine
from engine.store.models import HumanTask
from engine.web import add_nav, current_engine, posted_variables
from engine.web.auth import landing, login_required
from engine.web.inbox import context, queries

bp = Blueprint("inbox", __name__, template_folder="templates")
MAX_REMARK = 2000


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, "Taken", "inbox.mine")


@bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    return redirect(url_for(landing(g.actor.groups)))


@bp.get("/taken")
@login_required
def mine() -> ResponseReturnValue:
    return _list("mine", queries.assigned_to)


@bp.get("/taken/groepen")
@login_required
def groups() -> ResponseReturnValue:
    return _list("groups", queries.claimable_by)


def _list(which: str, query: Callable[..., queries.TaskPage]) -> ResponseReturnValue:
    engine = current_engine()
    filters = queries.Filters.parse(request.args, g.actor.groups)
    page = query(engine, g.actor, filters)
    return render_template("inbox/list.html", which=which, page=page, filters=filters, holders=_holders(page),
                           phases=queries.phases(engine), due_choices=queries.DUE_CHOICES,
                           claim_choices=queries.CLAIM_CHOICES, now=engine.now(),
                           notices=notices.notices_for(engine, g.actor))


@bp.post("/ter-informatie/<int:notice_id>/gelezen")
@login_required
def dismiss(notice_id: int) -> ResponseReturnValue:
    notices.dismiss(current_engine(), notice_id, g.actor)
    flash("De melding is weggeklikt.", "success")
    return redirect(url_for("inbox.mine"))


def _holders(page: queries.TaskPage) -> dict[str, str]:
    """Username → display name of whoever holds a task on the page."""
    engine, names = current_engine(), {}
    return {row.assignee: display_name(engine, row.assignee, names) for row in page.rows if row.assignee}


@bp.get("/taken/<task_id>")
@login_required
def task(task_id: str) -> ResponseReturnValue:
    return _task_page(current_engine().query.task_for(task_id, g.actor))


@bp.post("/taken/<task_id>/claimen")
@login_required
def claim(task_id: str) -> ResponseReturnValue:
    current_engine().tasks.claim(task_id, g.actor)
    flash("Je hebt deze taak op je genomen.", "success")
    return redirect(url_for("inbox.task", task_id=task_id))


@bp.post("/taken/<task_id>/vrijgeven")
@login_required
def unclaim(task_id: str) -> ResponseReturnValue:
    engine = current_engine()
    name = engine.query.task_for(task_id, g.actor).name
    engine.tasks.unclaim(task_id, g.actor)
    flash(f"‘{name}’ staat weer bij je groep.", "success")
    return redirect(url_for("inbox.groups"))


@bp.post("/taken/<task_id>/overdragen")
@login_required
def hand_over(task_id: str) -> ResponseReturnValue:
    engine = current_engine()
    name = engine.query.task_for(task_id, g.actor).name
    username = request.form.get("aan", "")
    colleague = actor_for(engine, username) if username else None
    if colleague is None:
        raise InvalidData("Overdragen lukte niet.", [FieldError("aan", "Overdragen aan", "Kies een collega.")])
    engine.tasks.assign(task_id, g.actor, colleague)
    flash(f"‘{name}’ is overgedragen aan {username}.", "success")
    return redirect(url_for("inbox.mine"))


@bp.post("/taken/<task_id>/afronden")
@login_required
def complete(task_id: str) -> ResponseReturnValue:
    engine = current_engine()
    task = engine.query.task_for(task_id, g.actor)
    has_form = engine.tasks.form(task_id) is not None
    try:
        variables = posted_variables() if has_form else _remark()
        done = engine.tasks.complete(task_id, g.actor, variables)
    except InvalidData as error:
        return _task_page(task, error.errors, request.form.get("variables")), 400
    _confirm(engine, task, done)
    return redirect(url_for("inbox.mine"))


def _remark() -> dict:
    remark = request.form.get("opmerking", "").strip()
    if len(remark) > MAX_REMARK:
        raise InvalidData("De opmerking is te lang.", [
            FieldError("opmerking", "Opmerking", f"Gebruik hoogstens {MAX_REMARK} tekens.")])
    return {context.REMARK: remark} if remark else {}


def _confirm(engine: Engine, task: HumanTask, done: Completion) -> None:
    message = {"text": f"‘{task.name}’ is afgerond voor dossier {task.business_key or task.title or ''}."}
    if done.next_task_ids:
        following = engine.query.task(done.next_task_ids[0])
        message |= {"link": url_for("inbox.task", task_id=following.id),
                    "link_text": f"Volgende stap voor jou: ‘{following.name}’"}
    flash(message, "success")


def _task_page(task: HumanTask, errors: list | None = None, submitted: str | None = None) -> str:
    engine = current_engine()
    variables = engine.query.variables(task.instance_id)
    mine = task.assignee == g.actor.user
    return render_template(
        "inbox/task.html", task=task, dossier=context.dossier(engine, task, variables), form=engine.tasks.form(task.id),
        form_data=_form_data(variables, submitted), errors=errors or [], mine=mine,
        colleagues=_colleagues(task) if mine or not task.assignee else [],
        phase=queries.phases(engine).get(task.process_key, task.process_key), now=engine.now(),
    )


def _form_data(variables: dict, submitted: str | None) -> dict:
    """What the form starts with: the dossier's variables, and after a refusal what was just entered."""
    try:
        entered = json.loads(submitted) if submitted else {}
    except ValueError:
        entered = {}
    return variables | entered if isinstance(entered, dict) else variables


def _colleagues(task: HumanTask) -> list[tuple[str, str]]:
    """Who the task can be handed over to: active members of its candidate groups, and its candidate users."""
    engine = current_engine()
    people = {a.username: a.display_name for group in task.candidate_groups
              for a, _ in accounts(engine, group) if a.active}
    if task.candidate_users:
        people |= {a.username: a.display_name for a, _ in accounts(engine) if a.username in task.candidate_users}
    people.pop(g.actor.user, None)
    return sorted(people.items(), key=lambda item: item[1])
