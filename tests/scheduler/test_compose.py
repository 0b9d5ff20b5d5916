"""docker-compose.yml follows the Compose Specification, and the topology it describes — migrations
first, the web app under gunicorn with two workers, two scheduler replicas, all on one PostgreSQL —
runs here as real processes with the services' own commands and health checks (Docker is not here).

tests/data/compose-spec.json is the Compose Specification schema as shipped in the docker-compose
1.29.2 distribution on PyPI (compose/config/compose_spec.json).
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
import yaml
from sqlalchemy import create_engine, text

from engine.clock import SystemClock
from engine.scheduler import attach
from engine.wiring import open_engine
from tests.conftest import DATA, ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
# Its $schema names draft 2019-09 by a URI jsonschema does not know; the validator is chosen here.
VALIDATOR = jsonschema.Draft201909Validator(json.loads((DATA / "compose-spec.json").read_text()))
SERVICES = COMPOSE["services"]
TIMERS = Path(__file__).parent / "data" / "timers.bpmn"


def test_the_compose_file_follows_the_compose_specification():
    VALIDATOR.validate(COMPOSE)
    broken = copy.deepcopy(COMPOSE)
    broken["services"]["web"]["depends_on"]["migrate"]["condition"] = "service_done"
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(broken)


def test_migrations_run_first_and_the_scheduler_is_its_own_service():
    assert SERVICES["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("web", "scheduler"):
        assert SERVICES[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
        assert "healthcheck" in SERVICES[name]
    assert "healthcheck" in SERVICES["db"]
    web = SERVICES["web"]["command"]
    assert web[0] == "gunicorn" and int(web[web.index("--workers") + 1]) >= 2
    assert SERVICES["web"]["environment"]["GROS_SCHEDULER"] == "off"
    assert SERVICES["scheduler"]["command"] == ["gros", "scheduler"]
    assert SERVICES["scheduler"]["deploy"]["replicas"] >= 2


@pytest.fixture
def service_env(postgres_url: str) -> dict[str, str]:
    """The services' environment with this machine's PostgreSQL (a schema of its own) instead of ``db``."""
    schema = f"c_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return os.environ | {
        "GROS_DATABASE_URL": f"{postgres_url}?options=-csearch_path%3D{schema}",
        "GROS_SECRET_KEY": secrets.token_hex(32), "GROS_TIMEZONE": "Europe/Brussels", "GROS_SCHEDULER": "off",
        "PORT": str(port), "GROS_CALENDAR_EVERY": "3600", "GROS_RADAR_EVERY": "3600",
    }


def executable(command: list[str]) -> list[str]:
    """A service command with its program taken from this virtualenv, as the image installs it."""
    program = sys.executable if command[0] == "python" else str(Path(sys.executable).with_name(command[0]))
    return [program, *command[1:]]


def healthy(service: str, env: dict) -> bool:
    test = SERVICES[service]["healthcheck"]["test"]
    assert test[0] == "CMD"
    return subprocess.run(executable(test[1:]), env=env, cwd=ROOT, capture_output=True, timeout=30).returncode == 0


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def test_the_same_topology_runs_as_processes(service_env, tmp_path):
    migrate = subprocess.run(executable(SERVICES["migrate"]["command"]), env=service_env, cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    started = []
    try:
        for service, count in (("web", 1), ("scheduler", SERVICES["scheduler"]["deploy"]["replicas"])):
            for n in range(count):
                log = (tmp_path / f"{service}{n}.log").open("w")
                started.append(subprocess.Popen(executable(SERVICES[service]["command"]), env=service_env, cwd=ROOT,
                                                stdout=log, stderr=subprocess.STDOUT))
        assert wait_for(lambda: healthy("web", service_env), 60), (tmp_path / "web0.log").read_text()
        assert wait_for(lambda: healthy("scheduler", service_env), 60)
        gunicorn = started[0]
        workers = subprocess.run(["pgrep", "-P", str(gunicorn.pid)], capture_output=True, text=True).stdout.split()
        assert len(workers) == 2
        login = f"http://127.0.0.1:{service_env['PORT']}/inloggen"
        assert all(urllib.request.urlopen(login, timeout=5).status == 200 for _ in range(4))
        engine = open_engine(service_env["GROS_DATABASE_URL"], clock=SystemClock())
        attach(engine)
        engine.repository.deploy([TIMERS])
        due = datetime.now(UTC) + timedelta(seconds=1)
        instance = engine.runtime.start("op_datum", variables={"wanneer": due.isoformat()})
        assert wait_for(lambda: engine.query.instance(instance).status == "completed", 15)
        assert all(process.poll() is None for process in started)
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
