"""The region hears back (§ 5.2.5): after the selection, the agendering decision and every judgement of a
half-yearly meeting, the regional networks and both border regions find a "ter informatie" notice in their
inbox. A notice is no task: it blocks nothing, and each member dismisses it for themselves.

The ``Engine.on_events`` listener writes the notices in the command's own transaction, from the audit
events of the step that decided (the outbound webhook events for the same moments are in webhooks/events.py).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.gros.models import Notice, NoticeDismissal
from engine.services import Actor, Engine
from engine.services.executor import AuditRecord
from engine.store.models import AuditEvent, ProcessInstance

# The reporting regional network and the border regions of both sides.
INFORMED = ("regionaal-netwerk", "grensregio-nl", "grensregio-vl")
SELECTION = ("Activity_SelectiebesluitNL", "Activity_SelectiebesluitVL")
AGENDERING_RESULT = "agendering_resultaat"
JUDGEMENT_MESSAGE = "overleg-oordeel"
LIMIT = 50


def on_events(session: Session, events: list[AuditRecord]) -> None:
    for event in events:
        text = _news(session, event)
        if text is not None:
            _inform(session, event, *text)


def _news(session: Session, event: AuditRecord) -> tuple[str, str] | None:
    data = event.data or {}
    if event.action == "element.completed" and event.element_id == "Activity_Selectie":
        return "selectie", f"Besluit over de selectie: {_selection(session, event.instance_id)}."
    if event.action == "element.completed" and AGENDERING_RESULT in (data.get("variables") or {}):
        result = data["variables"][AGENDERING_RESULT]
        return "agendering", ("Geagendeerd door de ministers voor grensoverschrijdende samenwerking."
                              if result == "geagendeerd" else "Niet geagendeerd.")
    if event.action == "message.correlated" and data.get("message") == JUDGEMENT_MESSAGE:
        variables = data.get("variables") or {}
        judgement = variables.get("voortgang_oordeel")
        reason = f" — {variables['oordeel_toelichting'].rstrip('.')}" if variables.get("oordeel_toelichting") else ""
        return "overleg", f"Oordeel van het halfjaarlijks bilateraal overleg: {judgement}{reason}."
    return None


def _selection(session: Session, instance_id: str) -> str:
    """Each side's decision, as the last completion of its selection task recorded it."""
    answers = []
    for element_id, side, key in zip(SELECTION, ("Nederlandse zijde", "Vlaamse zijde"), ("besluit_nl", "besluit_vl"),
                                      strict=True):
        data = session.scalars(select(AuditEvent.data).where(
            AuditEvent.instance_id == instance_id, AuditEvent.action == "task.completed",
            AuditEvent.element_id == element_id).order_by(AuditEvent.id.desc()).limit(1)).first() or {}
        answers.append(f"{side} {data.get(key, 'onbekend')}")
    return ", ".join(answers)


def _inform(session: Session, event: AuditRecord, kind: str, text: str) -> None:
    instance = session.get(ProcessInstance, event.instance_id)
    session.add_all(Notice(group=group, instance_id=instance.id, business_key=instance.business_key,
                           title=instance.title, kind=kind, text=text[:1000], created_at=event.at)
                    for group in INFORMED)


def notices_for(engine: Engine, actor: Actor) -> list[Notice]:
    """The notices for the actor's groups that they have not dismissed, newest first."""
    dismissed = select(NoticeDismissal.notice_id).where(NoticeDismissal.username == actor.user)
    with engine.db.reading() as session:
        return list(session.scalars(select(Notice).where(Notice.group.in_(actor.groups), Notice.id.not_in(dismissed))
                                    .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(LIMIT)))


def dismiss(engine: Engine, notice_id: int, actor: Actor) -> None:
    with engine.db.transaction() as session:
        notice = session.get(Notice, notice_id)
        if notice is None or notice.group not in actor.groups:
            raise NotFound(f"melding {notice_id} bestaat niet of is niet voor jouw groepen")
        if session.get(NoticeDismissal, (notice_id, actor.user)) is None:
            session.add(NoticeDismissal(notice_id=notice_id, username=actor.user, dismissed_at=engine.now()))
