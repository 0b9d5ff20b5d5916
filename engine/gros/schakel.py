"""The bestuurlijke schakel (seed § 4.4): a joint working group per agendered dossier, co-chaired from both
countries, with members from the departments involved and, where relevant, the federal level and the
region; and one standing schakel for the approach as a whole.

A dossier's schakel is a candidate group like any other: its name (``schakel-gros-2026-001``) is put in the
dossier's variable ``schakel`` when the secretariaat forms it, so a model names it as
``camunda:candidateGroups="${schakel}"`` and the engine only evaluates the expression. Who is in it lives here,
in ``schakel_lid``; ``groups_of`` grants the group to its members whenever their account becomes an actor
(``Engine.grant_groups``). Members see their dossier read-only beyond their own tasks; the standing schakel
sees every agendered dossier."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts import USERNAME, account
from engine.errors import Conflict, Forbidden, InvalidData, NotFound
from engine.forms import FieldError
from engine.gros.models import InstanceSummary, SchakelLid
from engine.services import Actor, Engine
from engine.services.executor import audit
from engine.store.models import ProcessInstance

VARIABLE = "schakel"  # the dossier variable a model's ${schakel} reads
STANDING_GROUP = "schakel-aanpak"
MANAGERS = "secretariaat"
ROLES = {"covoorzitter-nl": "Covoorzitter Nederland", "covoorzitter-vl": "Covoorzitter Vlaanderen", "lid": "Lid"}
CHAIRS = ("covoorzitter-nl", "covoorzitter-vl")
MAX_ORGANISATION = 200


@dataclass(frozen=True)
class Member:
    username: str
    role: str
    organisation: str


def group_for(business_key: str | None, instance_id: str) -> str:
    """The dossier's schakel as a group name: its number where it has one (``schakel-gros-2026-001``)."""
    return f"schakel-{(business_key or instance_id).lower()}"


def groups_of(session: Session, username: str) -> list[str]:
    """The schakel groups ``username`` sits in now (a ``GroupSource`` for ``Engine.grant_groups``)."""
    rows = session.execute(select(SchakelLid.instance_id, ProcessInstance.business_key)
                           .outerjoin(ProcessInstance, ProcessInstance.id == SchakelLid.instance_id)
                           .where(SchakelLid.username == username, SchakelLid.removed_at.is_(None)))
    return sorted({STANDING_GROUP if instance_id is None else group_for(key, instance_id) for instance_id, key in rows})


# --- who sees what --------------------------------------------------------------------------------------

def is_manager(actor: Actor) -> bool:
    return MANAGERS in actor.groups


def may_see(engine: Engine, actor: Actor, instance_id: str) -> bool:
    """Overseers see every dossier; a schakel's members their own; the standing schakel every agendered one."""
    if engine.roles.oversees(actor):
        return True
    with engine.db.reading() as session:
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            return False
        if group_for(instance.business_key, instance.id) in actor.groups:
            return True
        return STANDING_GROUP in actor.groups and _agendered(session, instance_id)


def require_sight(engine: Engine, actor: Actor, instance_id: str) -> None:
    if not may_see(engine, actor, instance_id):
        raise Forbidden("je zit niet in de bestuurlijke schakel van dit dossier")


def is_member(actor: Actor, business_key: str | None, instance_id: str) -> bool:
    return group_for(business_key, instance_id) in actor.groups


@dataclass(frozen=True)
class DossierRow:
    instance_id: str
    business_key: str | None
    title: str | None
    phase: str | None
    members: int


def dossiers(engine: Engine, actor: Actor) -> list[DossierRow]:
    """The dossiers ``actor`` sees through a schakel: every agendered one for overseers and the standing
    schakel, else those whose schakel they sit in."""
    with engine.db.reading() as session:
        query = (select(ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.title,
                        InstanceSummary.phase)
                 .join(InstanceSummary, InstanceSummary.instance_id == ProcessInstance.id)
                 .order_by(ProcessInstance.business_key, ProcessInstance.id))
        if engine.roles.oversees(actor) or STANDING_GROUP in actor.groups:
            query = query.where(InstanceSummary.agendered.is_(True))
        else:
            mine = select(SchakelLid.instance_id).where(SchakelLid.username == actor.user,
                                                         SchakelLid.removed_at.is_(None))
            query = query.where(ProcessInstance.id.in_(mine))
        rows = session.execute(query).all()
        counts = _member_counts(session, [row.id for row in rows])
        return [DossierRow(row.id, row.business_key, row.title, row.phase, counts.get(row.id, 0)) for row in rows]


def _member_counts(session: Session, instance_ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for instance_id in session.scalars(select(SchakelLid.instance_id).where(
            SchakelLid.instance_id.in_(instance_ids), SchakelLid.removed_at.is_(None))):
        counts[instance_id] = counts.get(instance_id, 0) + 1
    return counts


def is_agendered(engine: Engine, instance_id: str) -> bool:
    with engine.db.reading() as session:
        return _agendered(session, instance_id)


def _agendered(session: Session, instance_id: str) -> bool:
    return bool(session.scalar(select(InstanceSummary.agendered).where(InstanceSummary.instance_id == instance_id)))


# --- membership (the secretariaat) ----------------------------------------------------------------------

def members(engine: Engine, instance_id: str | None) -> list[SchakelLid]:
    """Every membership of the schakel, present first (chairs first), then those that ended."""
    with engine.db.reading() as session:
        rows = list(session.scalars(select(SchakelLid).where(_of(instance_id)).order_by(SchakelLid.added_at,
                                                                                       SchakelLid.id)))
        session.expunge_all()
    order = {role: i for i, role in enumerate(ROLES)}
    return sorted(rows, key=lambda m: (m.removed_at is not None, order.get(m.role, 9)))


def form(engine: Engine, instance_id: str, chair_nl: Member, chair_vl: Member, actor: Actor) -> str:
    """Form the dossier's schakel with its two co-chairs; returns its group name. The dossier's variable
    ``schakel`` is set first, through the engine's one door: forming again after a failure sets the same."""
    _require_manager(actor)
    chair_nl, chair_vl = replace(chair_nl, role="covoorzitter-nl"), replace(chair_vl, role="covoorzitter-vl")
    _check_members(engine, [chair_nl, chair_vl], actor)
    with engine.db.reading() as session:
        instance = _instance(session, instance_id)
        if not _agendered(session, instance_id):
            raise Conflict("een bestuurlijke schakel komt er pas na de agendering van het dossier")
        if _current(session, instance_id):
            raise Conflict("dit dossier heeft al een bestuurlijke schakel; voeg leden toe of vervang een covoorzitter")
        group = group_for(instance.business_key, instance.id)
    engine.runtime.set_variables(instance_id, actor, {VARIABLE: group})
    with engine.executor.transaction() as session:
        for chair in (chair_nl, chair_vl):
            _add(session, engine, instance_id, chair, actor)
        audit(session, instance_id, engine.now(), actor, "schakel.gevormd", data={"groep": group})
    return group


def add_member(engine: Engine, instance_id: str | None, member: Member, actor: Actor) -> None:
    """Add a member; a new co-chair takes the place of the one before (whose membership ends)."""
    _require_manager(actor)
    _check_members(engine, [member], actor)
    with engine.executor.transaction() as session:
        if instance_id is not None:
            _instance(session, instance_id)
            if not _current(session, instance_id):
                raise Conflict("vorm eerst de bestuurlijke schakel met haar twee covoorzitters")
        for present in _current(session, instance_id):
            if present.username == member.username:
                raise Conflict(f"{member.username} zit al in deze schakel")
            if member.role in CHAIRS and present.role == member.role:
                _end(session, engine, present, actor)
        _add(session, engine, instance_id, member, actor)


def remove_member(engine: Engine, membership_id: int, actor: Actor) -> None:
    """End a membership; a co-chair is replaced, never simply removed (the schakel keeps one per side)."""
    _require_manager(actor)
    with engine.executor.transaction() as session:
        membership = session.get(SchakelLid, membership_id, with_for_update=True)
        if membership is None or membership.removed_at is not None:
            raise NotFound("dit lidmaatschap bestaat niet of is al beëindigd")
        if membership.role in CHAIRS and membership.instance_id is not None:
            raise Conflict(f"een {ROLES[membership.role].lower()} wordt vervangen, niet verwijderd: "
                           "voeg de nieuwe covoorzitter toe")
        _end(session, engine, membership, actor)


def _add(session: Session, engine: Engine, instance_id: str | None, member: Member, actor: Actor) -> None:
    session.add(SchakelLid(instance_id=instance_id, username=member.username, role=member.role,
                           organisation=member.organisation, added_by=actor.user, added_at=engine.now()))
    audit(session, instance_id, engine.now(), actor, "schakel.lid-toegevoegd",
          data={"lid": member.username, "rol": member.role, "organisatie": member.organisation})


def _end(session: Session, engine: Engine, membership: SchakelLid, actor: Actor) -> None:
    membership.removed_at, membership.removed_by = engine.now(), actor.user
    audit(session, membership.instance_id, engine.now(), actor, "schakel.lid-beeindigd",
          data={"lid": membership.username, "rol": membership.role})


def _current(session: Session, instance_id: str | None) -> list[SchakelLid]:
    return list(session.scalars(select(SchakelLid).where(_of(instance_id), SchakelLid.removed_at.is_(None))))


def _of(instance_id: str | None):
    return SchakelLid.instance_id.is_(None) if instance_id is None else SchakelLid.instance_id == instance_id


def _instance(session: Session, instance_id: str) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"dossier {instance_id} bestaat niet")
    return instance


def _require_manager(actor: Actor) -> None:
    if not (actor.system or is_manager(actor)):
        raise Forbidden("alleen het secretariaat beheert de bestuurlijke schakels")


def _check_members(engine: Engine, members: list[Member], actor: Actor) -> None:
    """Every member names an existing account, all problems at once; the engine's operators (the shell, the
    demo) may seat a username whose account comes later."""
    errors = [error for member in members for error in _member_errors(engine, member, actor)]
    if errors:
        raise InvalidData("De schakel is niet gewijzigd.", errors)


def _member_errors(engine: Engine, member: Member, actor: Actor) -> list[FieldError]:
    field = member.role if member.role in CHAIRS else "lid"
    errors = []
    if member.role not in ROLES:
        errors.append(FieldError("rol", "Rol", f"kies een van: {', '.join(ROLES.values())}"))
    if not USERNAME.match(member.username) or (not actor.system and account(engine, member.username) is None):
        errors.append(FieldError(field, ROLES.get(member.role, "Lid"), f"'{member.username}' is geen gebruiker"))
    if not member.organisation.strip() or len(member.organisation) > MAX_ORGANISATION:
        errors.append(FieldError(f"{field}-organisatie", "Organisatie",
                                 f"vul de organisatie in (hoogstens {MAX_ORGANISATION} tekens)"))
    return errors
