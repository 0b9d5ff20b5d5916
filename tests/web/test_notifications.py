"""Mail notifications through a real SMTP server (aiosmtpd) in the test process: the immediate mail for a
new task and for a hand-over, the daily digest, the reminder of a nearing deadline (once), the choice on
*Meldingen*, and a stopped server that delays mail without losing it. Only number, title and a link leave
by mail."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from engine.accounts import create_account
from engine.gros import demo, notifications, schakel
from engine.gros.models import DeadlineReminder, MailOutbox
from engine.scheduler import Settings
from engine.services import SYSTEM, Actor
from engine.store.models import Account, HumanTask, Timer
from engine.wiring import periodic_jobs
from tests.conftest import DATA

from .conftest import PASSWORD, PEOPLE, ROOT


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 — aiosmtpd's hook name
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailServer:
    """A real SMTP server on a fixed free port that can be stopped and started again (a new one each time)."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox, self.port, self.running = inbox, free_port(), None

    def start(self) -> None:
        self.running = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.running.start()

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None


@pytest.fixture
def smtp(app, engine):
    """A running SMTP server, and every official with an address."""
    with engine.db.transaction() as session:
        for username, _, _ in PEOPLE.values():
            session.execute(update(Account).where(Account.username == username).values(email=f"{username}@gros.test"))
    server = MailServer(Inbox())
    server.start()
    yield server.inbox, server, notifications.SmtpSettings("127.0.0.1", server.port)
    server.stop()


def test_a_new_task_mails_the_group_at_once_with_a_link_and_no_content(smtp, start, engine):
    inbox, _, settings = smtp
    start("GROS-2027-001", "Pensioenopbouw van grensarbeiders", bedrag=250)
    [task] = engine.query.tasks(group="grensregio-nl")
    assert notifications.send_due(engine, settings) == 3  # joris, fatima and bram (both regions)
    [mail] = inbox.to("fatima@gros.test")
    text = mail.get_content()
    assert mail["Subject"] == "Taak ‘Aanvraag beoordelen’ staat voor je klaar (GROS-2027-001)"
    assert f"http://localhost:5000/taken/{task.id}" in text
    no_link = text.replace(task.id, "")  # a random task id may hold the digits 250 by chance
    assert "GROS-2027-001 Pensioenopbouw van grensarbeiders" in text and "250" not in no_link
    assert inbox.to("sanne@gros.test") == [] and inbox.to("lien@gros.test") == []
    assert notifications.send_due(engine, settings) == 0  # sent once


def test_a_hand_over_mails_the_colleague(smtp, start, engine, login):
    inbox, _, settings = smtp
    start("GROS-2027-001")
    notifications.send_due(engine, settings)
    task = engine.query.tasks(group="grensregio-nl")[0]
    joris = login("nl")
    joris.post(f"/taken/{task.id}/claimen")
    joris.post(f"/taken/{task.id}/overdragen", {"aan": "fatima"})
    assert notifications.send_due(engine, settings) == 1
    assert inbox.to("fatima@gros.test")[-1]["Subject"] == \
        "Taak ‘Aanvraag beoordelen’ is aan jou overgedragen (GROS-2027-001)"
    assert len(inbox.to("joris@gros.test")) == 1  # only the new task, not his own hand-over


def test_the_daily_digest_gathers_a_day_of_tasks_in_one_mail(smtp, start, engine, login, clock):
    inbox, _, settings = smtp
    fatima = login("nl2")
    page = fatima.get("/meldingen").text
    assert "Eén overzicht per dag" in page and "we je 5 dagen vooraf, één keer per termijn" in page
    assert fatima.post("/meldingen", {"taak": "dagelijks", "overdracht": "geen",
                                       "termijn": "direct",
                                                                       "schakel": "direct"}).status_code == 302
    assert notifications.choices(engine, "fatima") == {"taak": "dagelijks", "overdracht": "geen", "termijn": "direct",
                                                                       "schakel": "direct"}
    start("GROS-2027-001")
    start("GROS-2027-002")
    notifications.send_due(engine, settings)
    assert inbox.to("fatima@gros.test") == [] and len(inbox.to("joris@gros.test")) == 2
    clock.set(datetime(2027, 1, 5, 6, 0, tzinfo=UTC))  # 07:00 in Brussels
    assert notifications.send_due(engine, settings) == 1
    [digest] = inbox.to("fatima@gros.test")
    assert digest["Subject"] == "GROS werkstroom: je overzicht van vandaag (2)"
    text = digest.get_content()
    assert "GROS-2027-001" in text and "GROS-2027-002" in text


def test_a_bad_choice_is_refused_naming_the_field(smtp, login):
    response = login("nl").post("/meldingen", {"taak": "elk-uur", "overdracht": "direct"})
    assert response.status_code == 400
    assert notifications.KINDS["taak"] in response.text


def test_a_stopped_mail_server_delays_mail_without_losing_it(smtp, start, engine, clock):
    inbox, server, settings = smtp
    server.stop()
    start("GROS-2027-001")
    assert notifications.send_due(engine, settings) == 0
    with engine.db.reading() as session:
        waiting = session.scalars(select(MailOutbox).where(MailOutbox.sent_at.is_(None))).all()
    assert len(waiting) == 3 and all(row.attempts == 1 and row.last_error for row in waiting)
    server.start()
    assert notifications.send_due(engine, settings) == 0  # not before its retry moment
    clock.advance(timedelta(minutes=2))
    assert notifications.send_due(engine, settings) == 3
    assert len(inbox.messages) == 3


def test_without_a_mail_server_no_mail_job_runs_and_the_log_says_so_once(app, start, engine, caplog, monkeypatch):
    monkeypatch.delenv("GROS_SMTP_HOST", raising=False)
    start("GROS-2027-001")
    with caplog.at_level(logging.INFO, logger="engine.wiring"):
        jobs = [name for name, _, _ in periodic_jobs(engine, Settings())]
    assert "mail" not in jobs and "deadline-reminders" in jobs  # the outbox waits for a server
    assert caplog.text.count("Geen GROS_SMTP_HOST ingesteld") == 1


def test_a_nearing_deadline_is_announced_once_to_the_group(smtp, start, engine, clock):
    inbox, _, settings = smtp
    start("GROS-2027-001", due_in_days=10)  # due 14 jan 2027
    notifications.send_due(engine, settings)
    inbox.messages.clear()
    ahead = timedelta(days=5)
    assert notifications.remind_deadlines(engine, ahead) == 0  # ten days ahead: not yet
    clock.advance(timedelta(days=5, hours=1))
    assert notifications.remind_deadlines(engine, ahead) == 1
    assert notifications.remind_deadlines(engine, ahead) == 0  # once per deadline
    assert notifications.send_due(engine, settings) == 3
    [mail] = inbox.to("fatima@gros.test")
    assert mail["Subject"] == "Taak ‘Aanvraag beoordelen’ moet klaar zijn op 14 jan 2027 (GROS-2027-001)"
    assert "/taken/" in mail.get_content()
    clock.advance(timedelta(days=2))
    assert notifications.remind_deadlines(engine, ahead) == 0 and notifications.send_due(engine, settings) == 0
    clock.advance(timedelta(days=4))  # the deadline passed: its guard row is cleared
    notifications.remind_deadlines(engine, ahead)
    with engine.db.reading() as session:
        assert session.scalars(select(DeadlineReminder)).all() == []


def test_the_scheduler_jobs_send_reminders_in_the_digest_and_wait_for_a_stopped_server(
        smtp, start, engine, clock, login, monkeypatch):
    inbox, server, settings = smtp
    monkeypatch.setenv("GROS_SMTP_HOST", settings.host)
    monkeypatch.setenv("GROS_SMTP_PORT", str(settings.port))
    monkeypatch.setenv("GROS_REMINDER_DAYS", "3")
    jobs = {name: job for name, _, job in periodic_jobs(engine, Settings())}
    login("nl2").post("/meldingen", {"taak": "geen", "overdracht": "geen", "termijn": "dagelijks"})
    start("GROS-2027-001", due_in_days=4)
    jobs["mail"]()
    inbox.messages.clear()
    clock.advance(timedelta(days=1, hours=1))  # 5 jan 10:00 UTC: the deadline is three days away
    server.stop()
    jobs["deadline-reminders"]()
    assert jobs["mail"]() == 0  # joris and bram wait for the server
    server.start()
    clock.advance(timedelta(minutes=2))
    assert jobs["mail"]() == 2 and inbox.to("fatima@gros.test") == []
    clock.set(datetime(2027, 1, 6, 6, 0, tzinfo=UTC))  # 07:00 in Brussels: fatima's digest
    assert jobs["deadline-reminders"]() == 0 and jobs["mail"]() == 1
    [digest] = inbox.to("fatima@gros.test")
    assert "moet klaar zijn op 8 jan 2027" in digest.get_content()


def test_a_timer_on_a_tasks_boundary_is_its_deadline(smtp, engine, clock):
    """A task without a due date whose boundary timer fires in 7 days: that moment is its deadline. A timer
    that waits on its own (the meeting) is nobody's deadline."""
    inbox, _, settings = smtp
    engine.repository.deploy([DATA / "bpmn" / "timers.bpmn"])
    engine.runtime.start("termijnen", "T-1", {}, Actor.of("sanne", ["secretariaat"]))
    notifications.send_due(engine, settings)
    inbox.messages.clear()
    assert notifications.remind_deadlines(engine, timedelta(days=10)) == 1  # Rapport's 7 days; not Hoofd's 14
    assert notifications.send_due(engine, settings) == 1
    assert inbox.to("mark@gros.test")[0]["Subject"] == "Taak ‘Rapport’ moet klaar zijn op 11 jan 2027 (T-1)"


def test_the_procedures_escalation_and_progress_report_deadlines_are_announced_once(smtp, engine, clock):
    """§ 5.3.3: an escalation deadline is the task's due date (Besluit minister, 42 days). The progress report's
    term (gros-uitvoering) is both the due date of *Voortgang rapporteren* and its boundary timer: one mail."""
    inbox, _, settings = smtp
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    demo.seed_dossiers(engine)
    create_account(engine, "minister", PASSWORD, ["bewindspersoon-nl"], "Minister")
    with engine.db.transaction() as session:
        session.execute(update(Account).where(Account.username == "minister").values(email="minister@gros.test"))
    [dossier] = engine.query.instances(business_key="GROS-2025-004", definition_key="gros-dossier")
    # the progress report is the dossier's bestuurlijke schakel's task (§ 4.4); Mark sits in it
    schakel.add_member(engine, dossier.id, schakel.Member("mark", "lid", "Ministerie van Financiën"), SYSTEM)
    term = clock.now() + timedelta(days=4)
    engine.runtime.correlate("voortgang-gevraagd", "GROS-2025-004",
                             variables={"overleg_datum": "2027-01-20", "rapport_deadline": term.isoformat()})
    with engine.db.reading() as session:
        report = session.scalars(select(HumanTask).where(HumanTask.name == "Voortgang rapporteren")).one()
        timer = session.scalars(select(Timer).where(Timer.element_id == "Event_RapportTermijn")).one()
    assert (timer.attached_task_id, timer.due_at) == (report.id, report.due_at)
    notifications.send_due(engine, settings)
    inbox.messages.clear()
    assert notifications.remind_deadlines(engine, timedelta(days=5)) == 1
    clock.set(datetime(2027, 2, 5, 9, 0, tzinfo=UTC))  # the minister's decision is due 9 feb
    assert notifications.remind_deadlines(engine, timedelta(days=5)) == 1
    notifications.send_due(engine, settings)
    assert [m["Subject"] for m in inbox.to("mark@gros.test")] == [
        "Taak ‘Voortgang rapporteren’ moet klaar zijn op 8 jan 2027 (GROS-2025-004)"]
    assert [m["Subject"] for m in inbox.to("minister@gros.test")] == [
        "Taak ‘Besluit minister’ moet klaar zijn op 9 feb 2027 (GROS-2026-005)"]
