"""Mail notifications through a real SMTP server (aiosmtpd) in the test process: the immediate mail for a
new task and for a hand-over, the daily digest, the choice on *Meldingen*, and a stopped server that delays
mail without losing it. Only number, title and a link leave by mail."""

from __future__ import annotations

import logging
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from engine.gros import notifications
from engine.gros.models import MailOutbox
from engine.store.models import Account

from .conftest import PEOPLE


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
    assert "GROS-2027-001 Pensioenopbouw van grensarbeiders" in text and "250" not in text
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
    assert "Eén overzicht per dag" in page
    assert fatima.post("/meldingen", {"taak": "dagelijks", "overdracht": "geen"}).status_code == 302
    assert notifications.choices(engine, "fatima") == {"taak": "dagelijks", "overdracht": "geen", "schakel": "direct"}
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


def test_without_a_mail_server_nothing_is_sent_and_the_log_says_so(app, start, engine, caplog):
    start("GROS-2027-001")
    with caplog.at_level(logging.INFO, logger="engine.gros.notifications"):
        assert notifications.send_due(engine, notifications.SmtpSettings.from_env({})) == 0
    assert "Geen GROS_SMTP_HOST ingesteld" in caplog.text
