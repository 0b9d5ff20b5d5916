"""The composition root: the one place that puts the engine, the GROS domain and the webhooks together.
The app factory, the ``gros`` command and the scheduler service open their engine here, so every door's
commands keep the dossier summaries, the meeting agendas, the webhook outbox and the scheduler's wake-ups
in step — while the engine itself imports none of them."""

from __future__ import annotations

import logging
from collections.abc import Callable

from engine.clock import Clock
from engine.gros import (
    consultatie,
    kennisbank,
    meeting_records,
    meetings,
    notices,
    notifications,
    parliament,
    radar,
    schakel,
    summary,
    toetsen,
)
from engine.gros.groups import ROLES
from engine.scheduler import Settings, attach
from engine.services import Engine
from engine.services.cleanup import Window
from webhooks.delivery import deliver_due
from webhooks.inbound import Receiver
from webhooks.listener import on_events as webhook_bookkeeping
from webhooks.models import PERSONAL_DATA as WEBHOOK_PERSONAL_DATA
from webhooks.sources import load_sources

log = logging.getLogger(__name__)

Job = tuple[str, float, Callable[[], object]]


def open_engine(url: str | None = None, clock: Clock | None = None) -> Engine:
    """An engine on the database at ``url`` (migrated), with every GROS listener attached."""
    return with_listeners(Engine.open(url, clock))


def with_listeners(engine: Engine) -> Engine:
    """Attach the GROS domain's and the webhooks' listeners to ``engine`` (once per engine), and name
    the groups that oversee and administer."""
    engine.set_roles(ROLES)
    engine.on_save(summary.summarize, reads=summary.reads)
    engine.on_save(kennisbank.index, reads=kennisbank.reads)
    engine.on_events(webhook_bookkeeping)
    engine.on_events(notifications.on_events)
    engine.on_events(notices.on_events)
    engine.grant_groups(schakel.groups_of)
    engine.privacy.declare(*consultatie.PERSONAL_DATA, *notifications.PERSONAL_DATA, *meetings.PERSONAL_DATA,
                           *WEBHOOK_PERSONAL_DATA)
    meeting_records.track(engine)
    parliament.track(engine)
    toetsen.track(engine)
    attach(engine)  # a timer a command writes wakes the schedulers, in this process and others
    return engine


def periodic_jobs(engine: Engine, settings: Settings) -> list[Job]:
    """The scheduler's jobs beside the timers: calendar rounds, the stall radar, the webhook outbox,
    the inbound webhook inbox (queued events, and those that found no dossier yet), deadline reminders and
    the mail outbox (over the ``GROS_SMTP_*`` server), and the nightly history cleanup."""
    window = Window.parse(settings.cleanup_window)
    smtp = notifications.SmtpSettings.from_env()
    inbox = Receiver(engine, load_sources())  # the sources are read once, as the web app reads them
    jobs: list[Job] = [
        ("calendar", settings.calendar_every, lambda: meetings.run_calendar(engine)),
        ("stall-radar", settings.radar_every, lambda: radar.refresh(engine)),
        ("webhook-delivery", settings.deliver_every, lambda: deliver_due(engine, engine.now())),
        ("webhook-inbox", settings.inbox_every, inbox.process_due),
        ("deadline-reminders", settings.reminder_every, lambda: notifications.remind_deadlines(engine)),
        ("history-cleanup", settings.cleanup_every, lambda: engine.history.clean_in_window(window)),
    ]
    if smtp is None:  # said once here instead of by a job every half minute; the outbox waits for a server
        log.info("Geen GROS_SMTP_HOST ingesteld: er worden geen meldingen per mail verstuurd.")
    else:
        jobs.append(("mail", settings.mail_every, lambda: notifications.send_due(engine, smtp)))
    return jobs
