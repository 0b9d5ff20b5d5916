"""Demo mode: an official for every candidate group, the demo dossiers at their stages, idempotently, and
the README's run command serving it all over real HTTP."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from engine.accounts import accounts, authenticate
from engine.gros import demo, toetsen
from engine.gros.groups import GROUPS

ROOT = Path(__file__).resolve().parents[2]
MODELS = [ROOT / "processen", ROOT / "formulieren"]


def test_every_candidate_group_gets_a_demo_official_once(engine, tmp_path):
    created = demo.seed_accounts(engine, tmp_path)
    assert {group for _, groups in accounts(engine) for group in groups} == set(GROUPS)
    username, password = created[0]
    assert authenticate(engine, username, password) is not None
    assert (tmp_path / demo.PASSWORDS_FILE).read_text().splitlines()[0] == f"{username}\t{password}"
    assert oct((tmp_path / demo.PASSWORDS_FILE).stat().st_mode)[-3:] == "600"
    assert demo.seed_accounts(engine, tmp_path) == []


def test_demo_dossiers_reach_their_stages_once(engine, clock):
    engine.repository.deploy(MODELS)
    started, problems = demo.seed_dossiers(engine)
    assert problems == []
    spec = json.loads(demo.DOSSIERS.read_text())["dossiers"]
    assert started == [dossier["business_key"] for dossier in spec]
    for dossier in spec:
        instance = engine.query.instances(business_key=dossier["business_key"])[0]
        assert instance.status == ("completed" if dossier["afgesloten"] else "running")
        waiting = sorted(t.element_id for t in engine.query.tasks(instance_id=instance.id))
        assert waiting == sorted(dossier["verwacht_open"]), dossier["business_key"]
        assert all(t.created_at < clock.now() for t in engine.query.tasks(instance_id=instance.id))
    assert demo.seed_dossiers(engine) == ([], [])


def test_the_run_command_serves_the_demo(tmp_path):
    port = _free_port()
    env = {**os.environ, "GROS_DEMO": "1", "GROS_DATABASE_URL": f"sqlite:///{tmp_path / 'gros.db'}"}
    env.pop("GROS_SECRET_KEY", None)
    server = subprocess.Popen([str(Path(sys.executable).with_name("gros")), "serve", "--port", str(port)], cwd=tmp_path,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = _read_until(server, "draait op")
        password = re.search(r"^  grensregio-vl +(\S+)$", output, re.M).group(1)
        assert "Demodossiers aangemaakt: GROS-2026-001" in output
        assert (tmp_path / "instance" / demo.PASSWORDS_FILE).is_file()
        assert _log_in(port, "grensregio-vl", password) == "/taken"
    finally:
        server.terminate()
        server.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _read_until(process: subprocess.Popen, marker: str) -> str:
    lines = []
    for line in process.stdout:
        lines.append(line)
        if marker in line:
            return "".join(lines)
    pytest.fail("gros serve stopped:\n" + "".join(lines))


def _log_in(port: int, username: str, password: str) -> str:
    """Log in over real HTTP; returns where the login redirects to."""
    page = _request(port, "GET", "/inloggen")
    cookie = page.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode()).group(1)
    body = urlencode({"csrf_token": token, "gebruikersnaam": username, "wachtwoord": password})
    answer = _request(port, "POST", "/inloggen", body, {"Cookie": cookie,
                                                        "Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status == 302, answer.read()
    return answer.getheader("Location")


def _request(port: int, method: str, path: str, body: str | None = None, headers: dict | None = None):
    deadline = time.monotonic() + 30
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request(method, path, body, headers or {})
            return connection.getresponse()
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # the server is still binding its port


def test_demo_toetsen_one_without_effect_one_that_became_a_dossier_once(engine):
    engine.repository.deploy(MODELS)
    assert demo.seed_toetsen(engine) == (["TOETS-2026-001", "TOETS-2026-002"], [])
    spec = json.loads(demo.TOETSEN.read_text())["toetsen"]
    for item in spec:
        row = toetsen.linked(engine, engine.query.instances(business_key=item["business_key"])[0].id)
        assert row.conclusion == item["stappen"][-1]["variabelen"]["toets_conclusie"]
        assert (row.dossier_instance_id is not None) == item["dossier"]
    assert demo.seed_toetsen(engine) == ([], [])
