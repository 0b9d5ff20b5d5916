"""Stakeholders heard (seed § 5.1, § 5.3.2): during uitwerking a dossier's schakel asks organisations and people
outside government a question, with documents as links and a deadline. Each invited stakeholder gets a
personal link by mail; it answers once, until the deadline, without an account, and opens nothing else.

The link carries a random token of 256 bits; only its SHA-256 is stored, so the database alone yields no
working link, and the row's ``answered_at`` makes it single-use (set by one conditional update, so two
answers racing cannot both count). A consultation closes after its deadline, or earlier once everyone
answered. The answers are kept on the dossier and summarised beside the solution decision."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.errors import Conflict, Forbidden, InvalidData, NotFound
from engine.forms import FieldError
from engine.gros import schakel
from engine.gros.models import Consultatie, ConsultatieUitnodiging, InstanceSummary, MailOutbox
from engine.gros.notifications import base_url
from engine.local_time import moment_text
from engine.services import Actor, Engine
from engine.services.executor import audit
from engine.services.privacy import PersonalTable
from engine.store.models import ProcessInstance

PHASE = "gros-uitwerking"  # consultations are opened while the solution is worked out
STAKEHOLDER = Actor("belanghebbende")  # who answers in the audit trail: no account, no name
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_QUESTION, MAX_ANSWER, MAX_INVITEES, MAX_DOCUMENTS = 5000, 10000, 100, 20
INVITATIONS = ConsultatieUitnodiging.__table__

# Stakeholders outside government (§ 5.3.2): who was invited, by which address, and what they answered.
PERSONAL_DATA = (
    PersonalTable("consultatievragen", Consultatie.__table__, {"question": "vraag"}),
    PersonalTable("genodigden en hun antwoorden", ConsultatieUitnodiging.__table__,
                  {"email": "e-mailadres", "organisation": "organisatie", "answer": "antwoord"}),
)


class Gone(Conflict):
    """A link that worked once, or no longer (answered, past its deadline, closed)."""

    status = 410
    title = "Link niet meer geldig"


@dataclass(frozen=True)
class Invitee:
    email: str
    organisation: str


@dataclass(frozen=True)
class Invitation:
    """What a stakeholder's link shows: the question, its documents and deadline, the dossier's number and title."""

    organisation: str
    question: str
    documents: list[str]
    deadline: datetime
    business_key: str | None
    title: str | None


@dataclass(frozen=True)
class Opened:
    """A consultation just opened, with each invitee's token (e-mail → token): the mails carry them, the
    database keeps only their hashes, so this is the one moment they exist in the clear."""

    id: int
    tokens: dict[str, str]


@dataclass(frozen=True)
class Answer:
    organisation: str
    email: str
    answer: str | None
    answered_at: datetime | None


@dataclass(frozen=True)
class Consultation:
    id: int
    question: str
    documents: list[str]
    deadline: datetime
    opened_by: str
    opened_at: datetime
    closed_at: datetime | None
    answers: list[Answer]

    @property
    def answered(self) -> int:
        return sum(1 for a in self.answers if a.answered_at is not None)

    def may_close(self, now: datetime) -> bool:
        return self.closed_at is None and (now >= self.deadline or self.answered == len(self.answers))


# --- the schakel -----------------------------------------------------------------------------------------

def open_consultation(engine: Engine, instance_id: str, question: str, documents: list[str], deadline: datetime,
                      invitees: list[Invitee], actor: Actor) -> Opened:
    """Open a consultation and mail each invitee their personal link (the outbox, same transaction)."""
    now = engine.now()
    _check(question, documents, deadline, invitees, now)
    with engine.executor.transaction() as session:
        instance = _dossier_of_member(session, instance_id, actor)
        phase = session.scalar(select(InstanceSummary.phase).where(InstanceSummary.instance_id == instance_id))
        if phase != PHASE:
            raise Conflict("een consultatie wordt geopend terwijl de oplossing wordt uitgewerkt")
        consultation = Consultatie(instance_id=instance_id, question=question.strip(), documents=documents,
                                   deadline=deadline, opened_by=actor.user, opened_at=now)
        session.add(consultation)
        session.flush()
        tokens = {}
        for invitee in invitees:
            token = tokens[invitee.email] = secrets.token_urlsafe(32)
            session.add(ConsultatieUitnodiging(consultatie_id=consultation.id, email=invitee.email,
                                               organisation=invitee.organisation, token_hash=_hash(token)))
            session.add(_mail(instance, consultation, invitee, token, now))
        audit(session, instance_id, now, actor, "consultatie.geopend",
              data={"consultatie": consultation.id, "uitgenodigd": len(invitees), "termijn": deadline.isoformat()})
        return Opened(consultation.id, tokens)


def close(engine: Engine, consultation_id: int, actor: Actor) -> None:
    """Close a consultation: after its deadline, or before it once every invitee answered."""
    now = engine.now()
    with engine.executor.transaction() as session:
        consultation = session.get(Consultatie, consultation_id, with_for_update=True)
        if consultation is None:
            raise NotFound(f"consultatie {consultation_id} bestaat niet")
        _dossier_of_member(session, consultation.instance_id, actor)
        view = _view(session, consultation)
        if view.closed_at is not None:
            raise Conflict("deze consultatie is al gesloten")
        if not view.may_close(now):
            raise Conflict(f"de consultatie loopt tot {moment_text(view.deadline)} en {view.answered} van de "
                           f"{len(view.answers)} genodigden antwoordden: sluiten kan na de termijn of als "
                           "iedereen antwoordde")
        consultation.closed_at, consultation.closed_by = now, actor.user
        audit(session, consultation.instance_id, now, actor, "consultatie.gesloten",
              data={"consultatie": consultation.id, "antwoorden": view.answered, "uitgenodigd": len(view.answers)})


def consultations(engine: Engine, instance_id: str) -> list[Consultation]:
    """The dossier's consultations with every answer, newest first."""
    with engine.db.reading() as session:
        rows = session.scalars(select(Consultatie).where(Consultatie.instance_id == instance_id)
                               .order_by(Consultatie.opened_at.desc(), Consultatie.id.desc()))
        return [_view(session, row) for row in rows]


# --- the stakeholder's link ------------------------------------------------------------------------------

def invitation(engine: Engine, token: str) -> Invitation:
    """What the link shows; refused (Dutch) once answered, past its deadline or closed, or unknown."""
    with engine.db.reading() as session:
        invited, consultation = _usable(session, token, engine.now())
        instance = session.get(ProcessInstance, consultation.instance_id)
        return Invitation(invited.organisation, consultation.question, list(consultation.documents),
                          consultation.deadline, instance.business_key, instance.title)


def answer(engine: Engine, token: str, text: str) -> None:
    """Record the stakeholder's answer on the dossier; the link works no more afterwards."""
    text = text.strip()
    if not text or len(text) > MAX_ANSWER:
        raise InvalidData("Je antwoord is niet verstuurd.",
                          [FieldError("antwoord", "Antwoord", f"vul je antwoord in (hoogstens {MAX_ANSWER} tekens)")])
    now = engine.now()
    with engine.executor.transaction() as session:
        invited, consultation = _usable(session, token, now)
        taken = session.execute(update(INVITATIONS).where(INVITATIONS.c.id == invited.id,
                                                          INVITATIONS.c.answered_at.is_(None))
                                .values(answer=text, answered_at=now)).rowcount
        if taken != 1:
            raise Gone("deze link is al gebruikt: je antwoord is ontvangen")
        audit(session, consultation.instance_id, now, STAKEHOLDER, "consultatie.beantwoord",
              data={"consultatie": consultation.id, "organisatie": invited.organisation})


def _usable(session: Session, token: str, now: datetime) -> tuple[ConsultatieUitnodiging, Consultatie]:
    invited = session.scalar(select(ConsultatieUitnodiging).where(ConsultatieUitnodiging.token_hash == _hash(token)))
    if invited is None:
        raise NotFound("deze link bestaat niet")
    consultation = session.get(Consultatie, invited.consultatie_id)
    if invited.answered_at is not None:
        raise Gone("deze link is al gebruikt: je antwoord is ontvangen")
    if consultation.closed_at is not None or now >= consultation.deadline:
        raise Gone(f"deze consultatie liep tot {moment_text(consultation.deadline)}: antwoorden kan niet meer")
    return invited, consultation


# --- helpers ---------------------------------------------------------------------------------------------

def _dossier_of_member(session: Session, instance_id: str, actor: Actor) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"dossier {instance_id} bestaat niet")
    if not schakel.is_member(actor, instance.business_key, instance.id):
        raise Forbidden("alleen de bestuurlijke schakel van dit dossier organiseert consultaties")
    return instance


def _view(session: Session, row: Consultatie) -> Consultation:
    invited = session.scalars(select(ConsultatieUitnodiging).where(ConsultatieUitnodiging.consultatie_id == row.id)
                              .order_by(ConsultatieUitnodiging.id))
    answers = [Answer(i.organisation, i.email, i.answer, i.answered_at) for i in invited]
    return Consultation(row.id, row.question, list(row.documents), row.deadline, row.opened_by, row.opened_at,
                        row.closed_at, answers)


def _mail(instance: ProcessInstance, consultation: Consultatie, invitee: Invitee, token: str,
          now: datetime) -> MailOutbox:
    dossier = " ".join(part for part in (instance.business_key, instance.title) if part)
    body = (f"Beste {invitee.organisation},\n\nDe bestuurlijke schakel van het Vlaams-Nederlandse dossier {dossier} "
            f"vraagt uw mening:\n\n{consultation.question}\n\nU kunt één keer antwoorden, tot "
            f"{moment_text(consultation.deadline)}, via uw persoonlijke link (geen account nodig):\n"
            f"{base_url()}/consultatie/{token}\n")
    return MailOutbox(username="", address=invitee.email, kind="consultatie", digest=False,
                      subject=f"Uw mening gevraagd: {dossier}"[:300], body=body, created_at=now, send_after=now,
                      attempts=0)


def _check(question: str, documents: list[str], deadline: datetime, invitees: list[Invitee], now: datetime) -> None:
    errors = []
    if not question.strip() or len(question) > MAX_QUESTION:
        errors.append(FieldError("vraag", "Vraag", f"vul de vraag in (hoogstens {MAX_QUESTION} tekens)"))
    bad_links = [link for link in documents if not _is_link(link)]
    if bad_links or len(documents) > MAX_DOCUMENTS:
        errors.append(FieldError("documenten", "Documenten", "geef per regel één webadres dat begint met https:// "
                                 f"(hoogstens {MAX_DOCUMENTS}); niet goed: {', '.join(bad_links[:3])}"))
    if deadline <= now:
        errors.append(FieldError("termijn", "Termijn", "kies een moment in de toekomst"))
    bad_addresses = [i.email for i in invitees if not EMAIL.match(i.email) or len(i.email) > 200]
    if not invitees or len(invitees) > MAX_INVITEES or bad_addresses:
        errors.append(FieldError("genodigden", "Genodigden", "geef per regel een e-mailadres, eventueel gevolgd "
                                 f"door ';' en de organisatie (1 tot {MAX_INVITEES}); niet goed: "
                                 f"{', '.join(bad_addresses[:3])}"))
    elif len({i.email.lower() for i in invitees}) != len(invitees):
        errors.append(FieldError("genodigden", "Genodigden", "elk e-mailadres komt maar één keer voor"))
    if errors:
        raise InvalidData("De consultatie is niet geopend.", errors)


def _is_link(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme == "https" and bool(parts.netloc) and len(text) <= 500


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
