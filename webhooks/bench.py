"""Benchmark (not a test): sustained signed webhook deliveries per second — verified, validated and
queued (202) — against the same server answering a trivial endpoint (``GET /api/v1/health``), as a
ratio, with latency percentiles; then the inbox worker turning every queued event into the engine
command that starts a GROS dossier, in events per second, and what it left behind (must be nothing).

The app runs as it would in production, in its own processes (gunicorn when installed, else waitress),
so the load generator does not share their interpreter.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from engine.services import Engine
from engine.store.db import POSTGRES_ADMIN_URL, on_scratch_postgres
from engine.wiring import open_engine
from webhooks.admin import add_secret
from webhooks.inbound import DUE, Receiver
from webhooks.models import WebhookMessage
from webhooks.signing import Signer
from webhooks.sources import load_sources

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "regionale-netwerken"


def run_all(seconds: float = 10.0, postgres_admin_url: str | None = POSTGRES_ADMIN_URL) -> dict:
    """The figures on a fresh SQLite file and, when PostgreSQL answers, on a fresh PostgreSQL database."""
    figures = {"sqlite": run(None, seconds)}
    if postgres_admin_url:
        figures["postgresql"] = on_scratch_postgres(lambda url: run(url, seconds), postgres_admin_url)
    return figures


def run(database_url: str | None = None, seconds: float = 10.0, clients: int = 8, server_workers: int = 4) -> dict:
    """Measure on ``database_url`` (a fresh SQLite file by default); returns the figures."""
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{folder}/bench.db"
        engine = open_engine(url)
        engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"], name="bench")
        secret = add_secret(engine, SOURCE, "bench")[1]
        layer = _in_process_ms(engine, secret)
        with _server(url, server_workers) as port:
            trivial = _load(port, seconds, clients, lambda: ("GET", "/api/v1/health", None, {}))
            webhooks = _load(port, seconds, clients, _Deliveries(secret))
            repeated = _Deliveries(secret)("msg_bench_repeated")
            duplicates = _load(port, seconds / 2, clients, lambda: repeated)
        worker = _drain(engine)
        engine.db.dispose()
    return {
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "server": f"{_server_kind()} × {server_workers} workers", "clients": clients,
        "trivial": trivial, "webhooks": webhooks, "duplicate_webhooks": duplicates,
        "ratio_webhooks_to_trivial": round(webhooks["per_second"] / trivial["per_second"], 3),
        "worker": worker, "in_process_ms": layer,
    }


def _drain(engine: Engine) -> dict:
    """The inbox worker, in this process, applying everything the load queued; its rate, and what is
    still pending or given up on afterwards (0 unless events were lost or refused)."""
    receiver = Receiver(engine, load_sources())
    began = time.perf_counter()
    accepted = receiver.process_due()
    elapsed = time.perf_counter() - began
    with engine.db.reading() as session:
        left = session.scalar(select(func.count()).select_from(WebhookMessage)
                              .where(WebhookMessage.status.in_((*DUE, "failed"))))
    return {"events": accepted, "per_second": round(accepted / elapsed, 1), "pending_after": left}


def _in_process_ms(engine: Engine, secret: str, count: int = 100) -> dict:
    """One thread, no HTTP: the engine command alone against accepting a webhook (verify, validate,
    queue), interleaved so both meet the same machine load; medians."""
    receiver, deliveries = Receiver(engine, load_sources()), _Deliveries(secret)
    command, webhook = [], []
    for i in range(count):
        _, _, body, headers = deliveries()
        began = time.perf_counter()
        engine.runtime.start_by_message("signaal-ontvangen", {"titel": f"Direct {i}"}, f"DIRECT-{i}")
        command.append(time.perf_counter() - began)
        began = time.perf_counter()
        receiver.receive(SOURCE, headers, body)
        webhook.append(time.perf_counter() - began)
    command_ms, webhook_ms = statistics.median(command) * 1000, statistics.median(webhook) * 1000
    return {"engine_command_p50": round(command_ms, 2), "webhook_accept_p50": round(webhook_ms, 2)}


class _Deliveries:
    """Signed deliveries for the load generator, which shares the server's two cores: each has its own
    webhook-id and kenmerk, a timestamp of its second and its own HMAC, as a real sender's would; what is the
    same for all (the decoded key, the body around kenmerk and timestamp) is prepared once."""

    def __init__(self, secret: str) -> None:
        self.sign = Signer(secret)
        self.run = uuid.uuid4().hex[:12].upper()
        self.numbers = itertools.count()  # next() is atomic under the GIL: the client threads share it
        self.body = json.dumps({"type": "grensbelemmering.gesignaleerd", "timestamp": "@at", "data": {
            "kenmerk": "@key", "titel": "Benchmarkmelding @key", "melder": "overig", "thema": "mobiliteit",
            "omschrijving": "Een gemeten melding om de doorvoer van webhooks te bepalen."}})

    def __call__(self, message_id: str | None = None) -> tuple[str, str, bytes, dict]:
        number = next(self.numbers)
        message_id = message_id or f"msg_{self.run}_{number}"
        stamp = int(time.time())
        key = f"BENCH-{self.run}-{number}"
        body = self.body.replace("@key", key).replace("@at", datetime.fromtimestamp(stamp, UTC).isoformat()).encode()
        headers = {"webhook-id": message_id, "webhook-timestamp": str(stamp),
                   "webhook-signature": self.sign(message_id, stamp, body), "Content-Type": "application/json"}
        return "POST", f"/webhooks/{SOURCE}", body, headers


def _load(port: int, seconds: float, clients: int, request: Callable[[], tuple]) -> dict:
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, bad = [], []
        while time.perf_counter() < stop:
            method, path, body, headers = request()
            started = time.perf_counter()
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status >= 300:
                bad.append(response.status)
        connection.close()
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return {"requests": len(ordered), "per_second": round(len(ordered) / elapsed, 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
            "non_2xx": len(failures)}


class _server:
    def __init__(self, database_url: str, workers: int) -> None:
        self.database_url, self.workers = database_url, workers

    def __enter__(self) -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        # The web processes only, as in production where the scheduler is its own service.
        env = os.environ | {"GROS_DATABASE_URL": self.database_url, "GROS_SECRET_KEY": "b" * 48,
                            "GROS_SCHEDULER": "off", "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(_command(port, self.workers), env=env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(port, self.process)
        return port

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGINT)  # quick shutdown, for gunicorn and waitress alike
        self.process.wait(timeout=30)


def _server_kind() -> str:
    return "gunicorn" if shutil.which("gunicorn", path=str(Path(sys.executable).parent)) else "waitress"


def _command(port: int, workers: int) -> list[str]:
    bin_folder = Path(sys.executable).parent
    if _server_kind() == "gunicorn":
        return [str(bin_folder / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                "--log-level", "warning", "engine.web.app:create_app()"]
    return [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}", f"--threads={workers * 2}",
            "--call", "engine.web.app:create_app"]


def _wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the benchmark server stopped at start")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the benchmark server did not come up")


if __name__ == "__main__":
    print(json.dumps(run_all(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0), indent=2))
