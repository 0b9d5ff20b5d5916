"""The same webhook delivered at once to two gunicorn worker processes: queued once, one answer, one effect.
Queued events applied by the inbox workers of two nodes (two engines on one database): each once, and
the worker that comes second leaves no trace (no "duplicate" row for a delivery that never came twice)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from standardwebhooks import Webhook

from engine.services import Engine
from engine.store.models import ProcessInstance
from engine.wiring import open_engine
from webhooks.admin import add_secret, deliveries
from webhooks.inbound import Receiver
from webhooks.sources import load_sources

from .conftest import DATA

GUNICORN = Path(sys.executable).parent / "gunicorn"
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def workers(database: str) -> Iterator[tuple[str, Engine, str]]:
    """The app (create_app) in gunicorn with two worker processes, on the test database."""
    if not GUNICORN.exists():
        pytest.skip("needs gunicorn (test extra)")
    engine = open_engine(database)
    engine.repository.deploy([DATA / "melding.bpmn"])
    secret = add_secret(engine, "proef", "test")[1]
    port = free_port()
    env = os.environ | {"GROS_DATABASE_URL": database, "GROS_SECRET_KEY": "k" * 48, "GROS_SCHEDULER": "off",
                        "GROS_WEBHOOK_SOURCES": str(DATA / "bronnen"), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level",
                                "warning", "engine.web.app:create_app()"], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url, engine, secret
    finally:
        process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        process.wait(timeout=30)
        engine.db.dispose()


def _wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn stopped"
        try:
            if requests.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)  # waiting for a process to listen, not for a BPMN timer
    raise AssertionError("gunicorn did not come up")


def test_one_event_racing_on_two_workers_takes_effect_once(workers):
    url, engine, secret = workers
    text = json.dumps({"type": "melding.nieuw", "timestamp": "t",
                       "data": {"kenmerk": "RACE-1", "titel": "Tegelijk", "ernst": 1}})
    now = datetime.now(UTC)
    headers = {"webhook-id": "msg_workers", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Webhook(secret).sign("msg_workers", now, text),
               "Content-Type": "application/json"}

    def deliver(_):
        return requests.post(f"{url}/webhooks/proef", data=text.encode(), headers=headers, timeout=60)

    with ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(deliver, range(16)))
    assert {r.status_code for r in replies} == {202}, [r.text for r in replies if r.status_code != 202]
    assert len({r.text for r in replies}) == 1
    assert Receiver(engine, load_sources(DATA / "bronnen")).process_due() == 1
    with engine.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 1
    logged = [d.outcome for d in deliveries(engine)]
    assert (logged.count("queued"), logged.count("duplicate"), logged.count("accepted")) == (1, 15, 1)


@pytest.fixture
def two_workers(site, clock) -> Iterator[tuple[Receiver, Receiver]]:
    """The inbox workers of two nodes: the site's engine and a second Engine on the same database."""
    other = open_engine(site.engine.db.url, clock)
    sources = load_sources(DATA / "bronnen")
    yield Receiver(site.engine, sources), Receiver(other, sources)
    other.db.dispose()


def melding(number: int) -> dict:
    return {"kenmerk": f"RACE-{number}", "titel": "Tegelijk", "ernst": 1}


def instance_count(engine: Engine) -> int:
    with engine.db.reading() as session:
        return session.scalar(select(func.count()).select_from(ProcessInstance))


def test_a_worker_that_read_an_event_the_other_applied_meanwhile_skips_it_without_a_trace(site, two_workers):
    first, second = two_workers
    assert site.webhook("proef", "melding.nieuw", melding(1)).status_code == 202
    read = second._due

    def read_then_let_the_first_worker_apply(now, limit):
        due = read(now, limit)
        assert first.process_due(now) == 1, "the first node applies it after the second read it"
        return due

    second._due = read_then_let_the_first_worker_apply
    assert second.process_due() == 0
    assert instance_count(site.engine) == 1
    assert [d.outcome for d in reversed(deliveries(site.engine))] == ["queued", "accepted"]


def test_two_nodes_working_through_one_burst_apply_each_event_once(site, two_workers):
    for number in range(20):
        assert site.webhook("proef", "melding.nieuw", melding(number)).status_code == 202
    start = threading.Barrier(2)

    def work(receiver: Receiver) -> int:
        start.wait()
        return receiver.process_due()

    with ThreadPoolExecutor(2) as pool:
        assert sum(pool.map(work, two_workers)) == 20
    assert instance_count(site.engine) == 20
    logged = [d.outcome for d in deliveries(site.engine)]
    assert (logged.count("queued"), logged.count("accepted"), len(logged)) == (20, 20, 40)
