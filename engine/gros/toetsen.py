"""The grenseffectentoets of seed § 4.2.2: a department on one side submits a policy intention, plan or draft
regulation; the other side's departments (and the federal level when federal competences are touched)
assess its cross-border effects within a deadline; the secretariaat concludes. A foreseeable obstacle
becomes a GROS-dossier at once — prevention is cheaper than removal later.

``track`` attaches an ``Engine.on_save`` listener that keeps each toets's row (``GrenseffectToets``) in step
in the command's own transaction: the assessing sides that let the deadline pass are flagged (and told by
mail), never passed over silently; and the conclusion "voorzienbare belemmering" starts the dossier by the
message ``signaal-ontvangen`` in that same transaction, so toets and dossier name each other or neither
exists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.bpmn.runtime import Workflow
from engine.errors import Forbidden, InvalidData
from engine.forms import FieldError
from engine.gros import notifications
from engine.gros.models import GrenseffectToets
from engine.gros.numbers import dossier_number, toets_number
from engine.services import SYSTEM, Actor, Engine
from engine.services.executor import audit
from engine.services.runtime import BusinessKey
from engine.store.models import Account, AccountGroup, HumanTask, ProcessInstance

PROCESS = "gros-grenseffectentoets"
SIGNAL_MESSAGE = "signaal-ontvangen"
OBSTACLE = "voorzienbare-belemmering"
ASSESSMENT_TIME = timedelta(weeks=6)
SUBMITTERS = {"departement-nl": "NL", "departement-vl": "VL"}
SIDE_GROUPS = {side: group for group, side in SUBMITTERS.items()}
FEDERAL = "BE"
# The assessment tasks of processen/gros-grenseffectentoets.bpmn and the side each stands for.
NEIGHBOUR_TASK, FEDERAL_TASK = "Activity_BeoordelenBuurland", "Activity_BeoordelenFederaal"
CONCLUSIONS = {"geen-effect": "Geen grenseffect", "effect-gemitigeerd": "Effect gemitigeerd",
               OBSTACLE: "Voorzienbare grensbelemmering"}
SIDES = {"NL": "Nederland", "VL": "Vlaanderen", "BE": "federaal België"}


def track(engine: Engine) -> None:
    """Keep every toets's row, late flags and dossier link in step with the commands that save it."""
    engine.on_save(lambda session, instance, workflow, now: _keep(engine, session, instance, workflow, now))


# --- submitting ----------------------------------------------------------------------------------------
def submitting_side(actor: Actor) -> str:
    """NL or VL: the side of the department ``actor`` submits for; one of the two, never both."""
    sides = {side for group, side in SUBMITTERS.items() if group in actor.groups}
    if len(sides) != 1:
        raise Forbidden("alleen een lid van de departementen van precies één zijde (departement-nl of "
                        "departement-vl) kan een grenseffectentoets aanvragen")
    return sides.pop()


def submit(engine: Engine, actor: Actor, variables: dict, business_key: BusinessKey = toets_number) -> str:
    """Start a toets for ``actor``'s side; the deadline is ASSESSMENT_TIME from now. Returns the instance id."""
    _check_links(variables.get("documenten") or "")
    deadline = (engine.now() + ASSESSMENT_TIME).isoformat()
    values = {**variables, "indiener_zijde": submitting_side(actor), "beoordeling_termijn": deadline}
    return engine.runtime.start(PROCESS, business_key, values, actor)


def _check_links(documents: str) -> None:
    """Documents are given as web addresses, one a line: refuse what is not one, naming the line."""
    errors = [FieldError("documenten", "Documenten", f"regel {number} is geen webadres dat begint met https:// "
                                                      "of http://")
              for number, line in enumerate(documents.splitlines(), 1)
              if line.strip() and not _is_link(line.strip())]
    if errors:
        raise InvalidData("De grenseffectentoets is niet ingediend.", errors)


def _is_link(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in text


# --- the row, the late flags and the dossier -------------------------------------------------------------
def _keep(engine: Engine, session: Session, instance: ProcessInstance, workflow: Workflow, now: datetime) -> None:
    if instance.definition_key != PROCESS:
        return
    data = workflow.data
    row = session.get(GrenseffectToets, instance.id)
    if row is None:
        _check_submitter(session, instance, data.get("indiener_zijde"))
        row = GrenseffectToets(instance_id=instance.id, started_at=instance.started_at)
        session.add(row)
    row.business_key, row.title = instance.business_key, str(data.get("titel") or instance.business_key or "")[:500]
    row.side, row.theme = data.get("indiener_zijde"), data.get("thema")
    row.assessors = "+".join(_assessors(data))
    row.planned_on = str(data.get("geplande_datum") or "")[:10] or None
    row.deadline = _instant(data.get("beoordeling_termijn"))
    _flag_late(session, instance, row, data, now)
    if workflow.completed and row.conclusion is None:
        row.conclusion, row.concluded_at = data.get("toets_conclusie"), now
        if row.conclusion == OBSTACLE:
            _start_dossier(engine, session, instance, row, data)


def _check_submitter(session: Session, instance: ProcessInstance, side) -> None:
    """Every door (intake, API, CLI) starts a toets for the submitter's own side only: a side nobody
    assesses, or a department naming the other side so it can assess its own intention, is refused."""
    if side not in SUBMITTERS.values():
        raise InvalidData("De grenseffectentoets is niet gestart.", [FieldError(
            "indiener_zijde", "Indienende zijde", "vul NL of VL in: de zijde van het indienende departement")])
    groups = set(session.scalars(select(AccountGroup.group_name).join(Account, Account.id == AccountGroup.account_id)
                                 .where(Account.username == instance.started_by)))
    if groups & set(SUBMITTERS) and SIDE_GROUPS[side] not in groups:
        raise Forbidden(f"je dient in namens {SIDES[side]}, maar je bent geen lid van {SIDE_GROUPS[side]}")


def _assessors(data: dict) -> list[str]:
    return [side for side in (data.get("beoordelaar_zijde"), FEDERAL if data.get("federale_bevoegdheden") else None)
            if side]


def _flag_late(session: Session, instance: ProcessInstance, row: GrenseffectToets, data: dict, now: datetime) -> None:
    """Flag each assessing side whose task is still open at or past its due date (the boundary timer saves
    the toets at that moment; a late completion saves it too). A flag stays once set."""
    late = set(filter(None, (row.late or "").split("+")))
    overdue = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.element_id.in_((NEIGHBOUR_TASK, FEDERAL_TASK)),
        HumanTask.due_at <= now))
    for task in overdue:
        side = data.get("beoordelaar_zijde") if task.element_id == NEIGHBOUR_TASK else FEDERAL
        if side and side not in late:
            late.add(side)
            audit(session, instance.id, now, SYSTEM, "toets.termijn-verstreken", task.element_id, task.name,
                  task.id, {"zijde": side})
            notifications.tell_overdue(session, task, now)
    row.late = "+".join(sorted(late)) or None


def _start_dossier(engine: Engine, session: Session, instance: ProcessInstance, row: GrenseffectToets,
                   data: dict) -> None:
    dossier_id = engine.runtime.start_by_message_within(session, SIGNAL_MESSAGE, signal_of(instance, data),
                                                        dossier_number, SYSTEM)
    row.dossier_instance_id = dossier_id
    row.dossier_business_key = session.get(ProcessInstance, dossier_id).business_key
    audit(session, instance.id, engine.now(), SYSTEM, "toets.dossier-gestart",
          data={"dossier": dossier_id, "business_key": row.dossier_business_key})


def signal_of(instance: ProcessInstance, data: dict) -> dict:
    """The signal a foreseeable obstacle gives the new dossier: the intention and its assessment."""
    parts = [f"Uit grenseffectentoets {instance.business_key} (§ 4.2.2): {data.get('samenvatting', '')}"]
    for side in ("buurland", "federaal"):
        if data.get(f"beoordeling_{side}"):
            parts.append(f"Beoordeling ({side}): {data[f'beoordeling_{side}']}")
    parts.append(f"Conclusie van het secretariaat: {data.get('conclusie_toelichting', '')}")
    return {"titel": str(data.get("titel", ""))[:200], "omschrijving": "\n\n".join(parts)[:4000],
            "melder": "gros-secretariaat", "melder_contact": "", "thema": data.get("thema") or "overig",
            "betrokken_regelgeving": "", "grenseffectentoets": instance.business_key,
            "grenseffectentoets_conclusie": data.get("conclusie_toelichting", ""),
            "grenseffectentoets_beoordeling": {side: data.get(f"beoordeling_{side}") for side in
                                               ("buurland", "federaal") if data.get(f"beoordeling_{side}")}}


def _instant(value) -> datetime | None:
    """The deadline as stored; a value that is no moment is refused by the task's dueDate itself."""
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


# --- reading -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class YearCount:
    side: str
    submitted: int
    obstacles: int
    late: int


def linked(engine: Engine, instance_id: str) -> GrenseffectToets | None:
    """The toets row of a toets, or of the dossier a toets became."""
    with engine.db.reading() as session:
        row = session.scalars(select(GrenseffectToets).where(or_(
            GrenseffectToets.instance_id == instance_id, GrenseffectToets.dossier_instance_id == instance_id))).first()
        if row is not None:
            session.expunge(row)
        return row


def listing(engine: Engine, side: str | None = None, conclusion: str | None = None, late_only: bool = False,
            limit: int = 200) -> list[GrenseffectToets]:
    """The toetsen, newest first, optionally of one submitting side, one conclusion ("open": none yet), and
    only those with a late assessment."""
    query = select(GrenseffectToets).order_by(GrenseffectToets.started_at.desc()).limit(limit)
    if side:
        query = query.where(GrenseffectToets.side == side)
    if late_only:
        query = query.where(GrenseffectToets.late.is_not(None))
    if conclusion == "open":
        query = query.where(GrenseffectToets.conclusion.is_(None))
    elif conclusion:
        query = query.where(GrenseffectToets.conclusion == conclusion)
    with engine.db.reading() as session:
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def counts_per_side(engine: Engine, start: datetime, end: datetime) -> list[YearCount]:
    """Per submitting side: toetsen started in [start, end), how many became a dossier, how many were late."""
    with engine.db.reading() as session:
        rows = session.execute(select(
            GrenseffectToets.side, func.count(),
            func.count(GrenseffectToets.dossier_instance_id), func.count(GrenseffectToets.late),
        ).where(GrenseffectToets.started_at >= start, GrenseffectToets.started_at < end)
         .group_by(GrenseffectToets.side)).all()
    found = {side: YearCount(side, n, obstacles, late) for side, n, obstacles, late in rows}
    return [found.get(side, YearCount(side, 0, 0, 0)) for side in SUBMITTERS.values()]
