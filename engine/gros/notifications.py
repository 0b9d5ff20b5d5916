"""Mail notifications: an official hears of a task for their group or for them, of a task handed over
to them, and of a task's deadline (its ``dueDate``: the progress report, the escalation deadlines) a few
days ahead — at once, in a daily digest, or not at all, as each chose per kind on *Meldingen*.

The ``Engine.on_events`` listener writes the mails into the outbox in the command's own transaction; a
scheduler job finds the nearing deadlines in indexed rows (``human_task.due_at``, and the ``timer`` rows
on a task's boundary) and writes one reminder per deadline (a ``deadline_reminder`` row guards against
repeats); another scheduler job sends them over SMTP (``GROS_SMTP_*``), retrying with backoff, so a mail
server that is down delays mail without losing it and never blocks a command. A mail names the dossier
by its number and title only, with a link to the task: no dossier content leaves by mail."""

from __future__ import annotations

import logging
import os
import smtplib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage

from sqlalchemy import delete, exists, literal, select
from sqlalchemy.orm import Session

from engine.gros.models import DeadlineReminder, MailOutbox, NotificationChoice, SchakelLid
from engine.gros.schakel import group_for
from engine.local_time import ZONE, date_text
from engine.services import Engine
from engine.services.executor import AuditRecord, ready_tasks
from engine.services.privacy import PersonalTable
from engine.store.models import Account, AccountGroup, HumanTask, Timer

log = logging.getLogger(__name__)
KINDS = {"taak": "Een taak komt klaar te staan voor je groep of voor jou",
         "overdracht": "Een collega draagt een taak aan jou over",
         "termijn": "De termijn van een taak voor je groep of voor jou nadert",
         "schakel": "Een dossier van je bestuurlijke schakel komt bij een nieuwe stap"}
WHAT = {"taak": "staat voor je klaar", "overdracht": "is aan jou overgedragen",
        "schakel": "staat klaar in een dossier van je schakel"}
OVERDUE = "is over haar termijn"
MODES = {"direct": "Meteen", "dagelijks": "Eén overzicht per dag", "geen": "Geen mail"}
DEFAULT_MODE = "direct"
DIGEST_HOUR = time(7, 0)  # the daily digest leaves at this local time
MAX_BACKOFF = timedelta(hours=1)
LEASE = timedelta(minutes=5)  # a sender that dies mid-way leaves its rows to the next round after this
BATCH = 200
# The mails on their way or sent: to whom, and what they said.
PERSONAL_DATA = (PersonalTable("uitgaande e-mails", MailOutbox.__table__,
                               {"address": "adres", "subject": "onderwerp", "body": "tekst"}),)
REMINDER_DAYS = 5  # a deadline is announced this many days ahead (GROS_REMINDER_DAYS)
# Audit actions of commands that move tokens, and so may make tasks ready.
MOVING = {"instance.started", "task.completed", "message.correlated", "timer.fired", "incident.retried",
          "element.completed", "instance.resumed"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    user: str = ""
    password: str = ""
    sender: str = "GROS werkstroom <gros@localhost>"
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_env(cls, environ=os.environ) -> SmtpSettings | None:
        """None when GROS_SMTP_HOST is not set: then no mail is sent at all."""
        host = environ.get("GROS_SMTP_HOST", "")
        if not host:
            return None
        return cls(host, int(environ.get("GROS_SMTP_PORT", 25)), environ.get("GROS_SMTP_USER", ""),
                   environ.get("GROS_SMTP_PASSWORD", ""), environ.get("GROS_SMTP_FROM", cls.sender),
                   environ.get("GROS_SMTP_STARTTLS", "") == "1")


def reminder_days(environ=os.environ) -> timedelta:
    return timedelta(days=float(environ.get("GROS_REMINDER_DAYS", REMINDER_DAYS)))


def base_url(environ=os.environ) -> str:
    return environ.get("GROS_PUBLIC_URL", "http://localhost:5000").rstrip("/")


# --- choices -------------------------------------------------------------------------------------------

def choices(engine: Engine, username: str) -> dict[str, str]:
    """Kind → mode for one person; a kind never chosen is sent at once."""
    with engine.db.reading() as session:
        stored = dict(session.execute(select(NotificationChoice.kind, NotificationChoice.mode)
                                      .where(NotificationChoice.username == username)).all())
    return {kind: stored.get(kind, DEFAULT_MODE) for kind in KINDS}


def choose(engine: Engine, username: str, modes: dict[str, str]) -> None:
    with engine.db.transaction() as session:
        session.execute(delete(NotificationChoice).where(NotificationChoice.username == username))
        session.add_all(NotificationChoice(username=username, kind=kind, mode=mode) for kind, mode in modes.items())


# --- writing the outbox (inside the command) -------------------------------------------------------------

def on_events(session: Session, events: list[AuditRecord]) -> None:
    """The mails a command's events call for: its new tasks, and the tasks it handed over."""
    if not events:
        return
    now, actors = events[0].at, {e.actor for e in events}
    news = []
    for task in _new_tasks(session, events, now):
        offered, schakel = _audience(session, task)
        news += [(task, offered, "taak"), (task, schakel - offered, "schakel")]
    for event in events:
        if event.action == "task.assigned" and (event.data or {}).get("assignee"):
            task = session.get(HumanTask, event.task_id)
            if task is not None:
                news.append((task, {event.data["assignee"]}, "overdracht"))
    for task, usernames, kind in news:
        _write(session, task, usernames - actors, kind, now)


def tell_overdue(session: Session, task: HumanTask, now: datetime) -> None:
    """Mail those the task is offered to that its deadline passed (news of a task: their "taak" choice)."""
    _write(session, task, _offered_to(session, task), "taak", now, OVERDUE)


def _new_tasks(session: Session, events: list[AuditRecord], now: datetime) -> list[HumanTask]:
    """The tasks the command made ready (at the command's moment), as it saved them. A claim or a
    hand-over moves no token, so its command is not asked (its moment may equal the task's own)."""
    instance_ids = {e.instance_id for e in events if e.instance_id and e.action in MOVING}
    return [task for task in ready_tasks(session) if task.instance_id in instance_ids and task.created_at == now]


def _offered_to(session: Session, task: HumanTask) -> set[str]:
    return _audience(session, task)[0]


def _audience(session: Session, task: HumanTask) -> tuple[set[str], set[str]]:
    """Who the task is offered to, and the present members of the dossier's bestuurlijke schakel — they hear
    of every step (seed § 4.4) — in one query."""
    members = select(Account.username, literal(False)).join(AccountGroup, AccountGroup.account_id == Account.id) \
        .where(AccountGroup.group_name.in_(task.candidate_groups or [""]))
    present = select(SchakelLid.username, literal(True)).where(SchakelLid.instance_id == task.instance_id,
                                                               SchakelLid.removed_at.is_(None))
    rows = session.execute(members.union_all(present)).all()
    schakel = {username for username, of_schakel in rows if of_schakel}
    if task.assignee:
        return {task.assignee}, schakel
    for_schakel = group_for(task.business_key, task.instance_id) in (task.candidate_groups or [])
    group = {username for username, of_schakel in rows if not of_schakel}
    return group | set(task.candidate_users or []) | (schakel if for_schakel else set()), schakel


def _write(session: Session, task: HumanTask, usernames: set[str], kind: str, now: datetime,
           what: str | None = None) -> None:
    if not usernames:
        return
    people = session.execute(select(Account.username, Account.email).where(
        Account.username.in_(sorted(usernames)), Account.active.is_(True), Account.email.is_not(None))).all()
    modes = dict(session.execute(select(NotificationChoice.username, NotificationChoice.mode).where(
        NotificationChoice.username.in_(sorted(usernames)), NotificationChoice.kind == kind)).all())
    subject, body = _mail_text(task, what or WHAT[kind])
    for username, address in people:
        mode = modes.get(username, DEFAULT_MODE)
        if mode == "geen" or not address:
            continue
        digest = mode == "dagelijks"
        session.add(MailOutbox(username=username, address=address, kind=kind, digest=digest, subject=subject,
                               body=body, created_at=now, send_after=next_digest(now) if digest else now,
                               attempts=0))


def _mail_text(task: HumanTask, what: str) -> tuple[str, str]:
    dossier = " ".join(part for part in (task.business_key, task.title) if part) or "een dossier zonder nummer"
    subject = f"Taak ‘{task.name}’ {what} ({task.business_key or 'GROS'})"
    body = (f"De taak ‘{task.name}’ voor dossier {dossier} {what}.\n\n"
            f"Open de taak: {base_url()}/taken/{task.id}\n")
    return subject[:300], body


def next_digest(now: datetime) -> datetime:
    """The next moment the daily digest leaves: DIGEST_HOUR local time, today or tomorrow."""
    local = now.astimezone(ZONE)
    moment = datetime.combine(local.date(), DIGEST_HOUR, ZONE)
    if moment <= local:
        moment = datetime.combine(local.date() + timedelta(days=1), DIGEST_HOUR, ZONE)
    return moment.astimezone(UTC)


# --- deadline reminders (a scheduler job) ----------------------------------------------------------------

def remind_deadlines(engine: Engine, ahead: timedelta | None = None) -> int:
    """Write a reminder for each open task whose deadline falls within ``ahead``; returns how many.
    Once per deadline: a moved deadline is a new one. The ``deadline_reminder`` key makes two schedulers
    that race for the same deadline fail one of them instead of mailing twice; rows of deadlines that
    passed are of no use any more and go."""
    now = engine.now()
    until = now + (ahead if ahead is not None else reminder_days())
    with engine.db.transaction() as session:
        session.execute(delete(DeadlineReminder).where(DeadlineReminder.due_at <= now))
        deadlines = _nearing(session, now, until)
        for task, due in deadlines:
            session.add(DeadlineReminder(task_id=task.id, due_at=due, reminded_at=now))
            _write(session, task, _offered_to(session, task), "termijn", now, f"moet klaar zijn op {date_text(due)}")
    return len(deadlines)


def _nearing(session: Session, now: datetime, until: datetime) -> list[tuple[HumanTask, datetime]]:
    """Open tasks with a deadline after now and until ``until`` that was not announced yet: the task's own
    due date, or the moment of a timer on its boundary (the progress report's term). Both indexed."""
    def unannounced(due):
        return ~exists().where(DeadlineReminder.task_id == HumanTask.id, DeadlineReminder.due_at == due)

    own = select(HumanTask, HumanTask.due_at).where(
        HumanTask.due_at > now, HumanTask.due_at <= until, unannounced(HumanTask.due_at))
    boundary = select(HumanTask, Timer.due_at).join(Timer, Timer.attached_task_id == HumanTask.id).where(
        Timer.due_at > now, Timer.due_at <= until, unannounced(Timer.due_at))
    found: dict[tuple[str, datetime], HumanTask] = {}
    for query in (own, boundary):
        for task, due in session.execute(query.order_by(query.selected_columns[1]).limit(BATCH)):
            found.setdefault((task.id, due), task)
    return [(task, due) for (_, due), task in sorted(found.items(), key=lambda item: item[0][1])]


# --- sending (the scheduler's job) ---------------------------------------------------------------------

def send_due(engine: Engine, smtp: SmtpSettings) -> int:
    """Send the due mails; returns how many went. A digest combines a person's due digest rows into one.
    The rows are leased in a short transaction and the mail server is spoken to outside any."""
    now = engine.now()
    mails = _mails(_lease(engine, now))
    sent: list[list[Mail]] = []
    error: Exception | None = None
    try:
        with _connect(smtp) as server:
            for mail in mails:
                _send(server, smtp, mail)
                sent.append(mail)
    except (OSError, smtplib.SMTPException) as failure:
        log.warning("Mail versturen lukte niet: %s; de meldingen wachten en worden opnieuw geprobeerd.", failure)
        error = failure
    _record(engine, [row for mail in sent for row in mail], [row for mail in mails[len(sent):] for row in mail],
            now, error)
    return len(sent)


@dataclass(frozen=True)
class Mail:
    """One leased outbox row, detached from its session."""

    id: int
    address: str
    digest: bool
    subject: str
    body: str


def _lease(engine: Engine, now: datetime) -> list[Mail]:
    with engine.db.transaction() as session:
        rows = session.scalars(select(MailOutbox).where(MailOutbox.sent_at.is_(None), MailOutbox.send_after <= now)
                               .order_by(MailOutbox.send_after, MailOutbox.id).limit(BATCH)
                               .with_for_update(skip_locked=True)).all()
        for row in rows:
            row.send_after = now + LEASE
        return [Mail(row.id, row.address, row.digest, row.subject, row.body) for row in rows]


def _record(engine: Engine, sent: list[Mail], failed: list[Mail], now: datetime, error: Exception | None) -> None:
    if not sent and not failed:
        return
    with engine.db.transaction() as session:
        for row in session.scalars(select(MailOutbox).where(MailOutbox.id.in_([m.id for m in sent + failed]))):
            row.attempts += 1
            if any(m.id == row.id for m in sent):
                row.sent_at = now
            else:
                row.send_after = now + min(timedelta(minutes=2 ** row.attempts), MAX_BACKOFF)
                row.last_error = str(error)[:1000]


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    if smtp.starttls:
        server.starttls()
    if smtp.user:
        server.login(smtp.user, smtp.password)
    return server


def _mails(rows: list[Mail]) -> list[list[Mail]]:
    """Immediate rows one by one; a person's digest rows together."""
    digests: dict[str, list[Mail]] = defaultdict(list)
    for row in rows:
        if row.digest:
            digests[row.address].append(row)
    return [[row] for row in rows if not row.digest] + list(digests.values())


def _send(server: smtplib.SMTP, smtp: SmtpSettings, rows: list[Mail]) -> None:
    message = EmailMessage()
    message["From"], message["To"] = smtp.sender, rows[0].address
    if rows[0].digest:
        message["Subject"] = f"GROS werkstroom: je overzicht van vandaag ({len(rows)})"
        message.set_content("Sinds het vorige overzicht:\n\n" + "\n".join(f"- {row.body}" for row in rows))
    else:
        message["Subject"] = rows[0].subject
        message.set_content(rows[0].body)
    server.send_message(message)
