"""What officials add to the kennisbank, each an audited command in one transaction: precedent links
between dossiers (stored as data of the dossier, shown on both), the loketten en expertise per theme
(the secretariaat keeps them), and the secretariaat's choice to make a dossier's summary public."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import Row, delete, select
from sqlalchemy.orm import Session

from engine.errors import Conflict, Forbidden, InvalidData, NotFound
from engine.forms import FieldError
from engine.gros.kennisbank import ENTRIES
from engine.gros.models import KennisLoket, KennisPrecedent, KennisPublicatie
from engine.services import Actor, Engine
from engine.services.executor import audit

EDITORS = "secretariaat"
LINKS, PUBLISHED = KennisPrecedent.__table__, KennisPublicatie.__table__


def _require_editor(actor: Actor) -> None:
    if EDITORS not in actor.groups:
        raise Forbidden("alleen het secretariaat mag dit")


def _entry(session: Session, instance_id: str) -> Row:
    found = session.execute(select(ENTRIES).where(ENTRIES.c.instance_id == instance_id)).first()
    if found is None:
        raise NotFound(f"dossier {instance_id} staat niet in de kennisbank")
    return found


def entry(engine: Engine, instance_id: str) -> Row | None:
    """The dossier's kennisbank row."""
    with engine.db.reading() as session:
        return session.execute(select(ENTRIES).where(ENTRIES.c.instance_id == instance_id)).first()


# --- precedents ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Precedents:
    chosen: list[Row]  # dossiers marked as precedent for this one
    chosen_by: list[Row]  # dossiers that marked this one as their precedent


def mark_precedent(engine: Engine, instance_id: str, precedent_id: str, actor: Actor) -> None:
    if instance_id == precedent_id:
        raise InvalidData("Een dossier kan geen precedent van zichzelf zijn.",
                          [FieldError("precedent", "Precedent", "kies een ander dossier")])
    with engine.executor.transaction() as session:
        _entry(session, instance_id)
        precedent = _entry(session, precedent_id)
        if session.get(KennisPrecedent, (instance_id, precedent_id)) is not None:
            return
        session.add(KennisPrecedent(instance_id=instance_id, precedent_id=precedent_id, marked_by=actor.user,
                                    marked_at=engine.now()))
        audit(session, instance_id, engine.now(), actor, "precedent.marked",
              data={"precedent": precedent_id, "business_key": precedent.business_key})


def unmark_precedent(engine: Engine, instance_id: str, precedent_id: str, actor: Actor) -> None:
    with engine.executor.transaction() as session:
        removed = session.execute(delete(LINKS).where(LINKS.c.instance_id == instance_id,
                                                      LINKS.c.precedent_id == precedent_id)).rowcount
        if removed:
            audit(session, instance_id, engine.now(), actor, "precedent.unmarked", data={"precedent": precedent_id})


def precedents(engine: Engine, instance_id: str) -> Precedents:
    with engine.db.reading() as session:
        chosen = select(ENTRIES).join(LINKS, LINKS.c.precedent_id == ENTRIES.c.instance_id).where(
            LINKS.c.instance_id == instance_id).order_by(LINKS.c.marked_at)
        chosen_by = select(ENTRIES).join(LINKS, LINKS.c.instance_id == ENTRIES.c.instance_id).where(
            LINKS.c.precedent_id == instance_id).order_by(LINKS.c.marked_at)
        return Precedents(list(session.execute(chosen)), list(session.execute(chosen_by)))


# --- loketten en expertise -----------------------------------------------------------------------
LOKET_LIMITS = {"naam": ("Naam", 200), "omschrijving": ("Omschrijving", 2000), "url": ("Website", 500),
                "thema": ("Thema", 200)}


def loketten(engine: Engine) -> list[KennisLoket]:
    """Every loket: those for every theme first, then by theme."""
    with engine.db.reading() as session:
        return list(session.scalars(select(KennisLoket).order_by(
            KennisLoket.theme.is_not(None), KennisLoket.theme, KennisLoket.name)))


def loketten_for(engine: Engine, theme: str | None) -> list[KennisLoket]:
    """The loketten of ``theme`` and those for every theme."""
    return [loket for loket in loketten(engine) if loket.theme in (None, theme)]


def save_loket(engine: Engine, actor: Actor, fields: dict[str, str], loket_id: int | None = None) -> KennisLoket:
    """Add a loket (``loket_id`` None) or change one; ``fields``: naam, omschrijving, url, thema."""
    _require_editor(actor)
    values = _checked_loket(fields)
    with engine.executor.transaction() as session:
        loket = KennisLoket() if loket_id is None else session.get(KennisLoket, loket_id)
        if loket is None:
            raise NotFound(f"loket {loket_id} bestaat niet")
        loket.name, loket.description, loket.url, loket.theme = values
        loket.updated_by, loket.updated_at = actor.user, engine.now()
        session.add(loket)
        session.flush()
        audit(session, None, engine.now(), actor, "loket.saved", data={"loket": loket.id, "name": loket.name})
    return loket


def delete_loket(engine: Engine, actor: Actor, loket_id: int) -> None:
    _require_editor(actor)
    with engine.executor.transaction() as session:
        loket = session.get(KennisLoket, loket_id)
        if loket is None:
            raise NotFound(f"loket {loket_id} bestaat niet")
        session.delete(loket)
        audit(session, None, engine.now(), actor, "loket.deleted", data={"loket": loket_id, "name": loket.name})


def _checked_loket(fields: dict[str, str]) -> tuple[str, str, str | None, str | None]:
    values = {key: (fields.get(key) or "").strip() for key in LOKET_LIMITS}
    errors = [FieldError(key, label, f"gebruik hoogstens {limit} tekens")
              for key, (label, limit) in LOKET_LIMITS.items() if len(values[key]) > limit]
    if not values["naam"]:
        errors.append(FieldError("naam", "Naam", "vul de naam van het loket in"))
    url = urlsplit(values["url"])
    if values["url"] and (url.scheme not in ("http", "https") or not url.netloc):
        errors.append(FieldError("url", "Website", "vul een webadres in dat begint met https:// of http://"))
    if errors:
        raise InvalidData("Het loket is niet bewaard.", errors)
    return values["naam"], values["omschrijving"], values["url"] or None, values["thema"] or None


# --- the openbare kennisbank ---------------------------------------------------------------------
def publish(engine: Engine, instance_id: str, actor: Actor) -> None:
    """Make the dossier's summary public; only once its outcome is registered (Uitkomst registreren)."""
    _require_editor(actor)
    with engine.executor.transaction() as session:
        entry = _entry(session, instance_id)
        if not entry.outcome:
            raise Conflict("alleen een dossier met een geregistreerde uitkomst kan openbaar worden")
        if session.get(KennisPublicatie, instance_id) is None:
            session.add(KennisPublicatie(instance_id=instance_id, published_at=engine.now(), published_by=actor.user))
            audit(session, instance_id, engine.now(), actor, "kennisbank.published")


def withdraw(engine: Engine, instance_id: str, actor: Actor) -> None:
    _require_editor(actor)
    with engine.executor.transaction() as session:
        if session.execute(delete(PUBLISHED).where(PUBLISHED.c.instance_id == instance_id)).rowcount:
            audit(session, instance_id, engine.now(), actor, "kennisbank.withdrawn")


def is_public(engine: Engine, instance_id: str) -> bool:
    with engine.db.reading() as session:
        return session.get(KennisPublicatie, instance_id) is not None
