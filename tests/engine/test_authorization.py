"""Issue 13, finding 1 — nobody acts for someone else. One table says who may start each GROS process,
send each message, claim, complete and hand over a task, deploy, and manage subscribers and tokens; every
door (the engine's services, the API over real HTTP, the web, the gros command) is run against it for every
group, on SQLite and PostgreSQL. A door that allows what the table refuses, or refuses what it allows, fails.

Each database is deployed once and shared by all doors. An allowed action gets a dossier of its own (it
changes it); refused ones share one and must leave it exactly as it was."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from argon2 import PasswordHasher
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text

from engine import accounts
from engine.cli.main import main as gros
from engine.clock import FixedClock
from engine.errors import Forbidden
from engine.gros.groups import GROUPS
from engine.services import SYSTEM, Actor, Engine
from engine.store.models import HumanTask, ProcessInstance, Subscription
from engine.web.api.tokens import create_token
from engine.web.app import create_app
from engine.wiring import open_engine
from tests.api.conftest import serve
from webhooks import admin
from webhooks.inbound import source_actor
from webhooks.sources import load_sources

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "proef-wachtwoord-13"
SOURCES = load_sources(ROOT / "webhooks" / "bronnen")
EVERY_GROUP = sorted(GROUPS)
SMALL_MODEL = ROOT / "tests" / "data" / "bpmn" / "parallel.bpmn"  # deploying it again changes nothing
OVERSEERS = {"management", "secretariaat"}
ADMINISTRATORS = {"secretariaat"}
DEPLOYERS = {"procesbeheer"}  # issue #14: deploying is a role of its own

# --- the rule, as a table ---------------------------------------------------------------------------
PROCESSES = ["gros-dossier", "gros-selectie", "gros-verkenning", "gros-agendering", "gros-uitwerking",
             "gros-uitvoering", "gros-escalatie"]
STARTERS = {"gros-dossier": {"secretariaat", "regionaal-netwerk"}}  # the rest are only ever called
MESSAGES = {  # message -> (groups that may send it, webhook sources that may)
    "signaal-ontvangen": ({"secretariaat", "regionaal-netwerk"}, {"regionale-netwerken"}),
    "akkoord-ministerraad": ({"ministerraad-nl"}, {"besluitvorming-nl"}),
    "akkoord-vlaamse-regering": ({"vlaamse-regering"}, {"besluitvorming-vl"}),
    "akkoord-federale-regering": ({"federaal-be"}, {"federale-regering"}),
    "voortgang-gevraagd": (OVERSEERS, set()),
}
TASK = "Activity_AkkoordMinisterraad"  # claim, complete, hand over: its candidates only
TASK_GROUPS = {"ministerraad-nl"}
SENDER_VARIABLES = {
    "signaal-ontvangen": {"titel": "Grenspendel en kinderopvang", "omschrijving": "Toeslag vervalt over de grens.",
                          "melder": "overig", "thema": "zorg"},
    "akkoord-ministerraad": {"akkoord_nl": "ja", "akkoord_nl_toelichting": "De ministerraad stemt in."},
    "akkoord-vlaamse-regering": {"akkoord_vl": "ja", "akkoord_vl_toelichting": "De Vlaamse Regering stemt in."},
    "akkoord-federale-regering": {"akkoord_federaal": "ja", "akkoord_federaal_toelichting": "Federaal akkoord."},
    "voortgang-gevraagd": {"overleg_datum": "2027-05-20", "rapport_deadline": "2027-05-06T12:00:00+02:00"},
}
ACCORD = SENDER_VARIABLES["akkoord-ministerraad"]


def may_start(process: str, group: str) -> bool:
    return group in STARTERS.get(process, set())


def may_send(message: str, group: str) -> bool:
    return group in MESSAGES[message][0]


def member(group: str) -> Actor:
    return Actor.of(group, [group])


# --- one deployed database, shared by the doors -------------------------------------------------------
@dataclass
class World:
    engine: Engine
    url: str
    shared: dict[str, str] = field(default_factory=dict)

    def target(self, message: str, fresh: bool) -> str | None:
        """The business key of a dossier waiting for ``message``: new for an action that will change it."""
        if message == "signaal-ontvangen":
            return None
        if fresh or message not in self.shared:
            key = self.uitvoering() if message == "voortgang-gevraagd" else self.agendering()
            if fresh:
                return key
            self.shared[message] = key
        return self.shared[message]

    def agendering(self) -> str:
        """A dossier in agendering: the three governments' accord tasks wait, each with its message."""
        key = f"AUTH-{uuid.uuid4().hex[:10]}"
        self.engine.runtime.start("gros-agendering", key, {"titel": "Proefdossier", "federaal_betrokken": True})
        return key

    def uitvoering(self) -> str:
        key = f"AUTH-{uuid.uuid4().hex[:10]}"
        instance_id = self.engine.runtime.start("gros-uitvoering", key, {"titel": "Proefdossier",
                                                                         "schakel": "schakel-proef"})
        plan = self.task(instance_id, "Activity_UitvoeringPlannen")
        self.engine.tasks.complete(plan, member("departement-nl"), {
            "uitvoeringsplan": "Loket open in 2027; evaluatie na één jaar.", "uitvoering_streefdatum": "2027-12-31"})
        return key

    def task(self, instance_id: str, element_id: str = TASK) -> str:
        return next(t.id for t in self.engine.query.tasks(instance_id=instance_id) if t.element_id == element_id)

    def accord_task(self, fresh: bool) -> str:
        """The ministerraad's accord task: new for an allowed action, else the shared one."""
        key = self.agendering() if fresh else self.shared.setdefault("task", self.agendering())
        return self.task(self.instance(key))

    def instance(self, business_key: str) -> str:
        return self.engine.query.instances(business_key=business_key)[0].id

    def waits(self, business_key: str, message: str) -> bool:
        with self.engine.db.reading() as session:
            return session.scalars(select(Subscription.id).where(
                Subscription.business_key == business_key, Subscription.message_name == message)).first() is not None

    def assignee(self, task_id: str) -> str | None:
        with self.engine.db.reading() as session:
            return session.get(HumanTask, task_id).assignee

    def instances(self) -> int:
        with self.engine.db.reading() as session:
            return session.query(ProcessInstance).count()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request, tmp_path_factory) -> Iterator[World]:
    url = _database(request, tmp_path_factory)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        engine = open_engine(url, clock=FixedClock())
        engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
        for group in EVERY_GROUP:
            for username in (group, f"{group}-2"):
                accounts.create_account(engine, username, PASSWORD, [group])
        yield World(engine, url)
    engine.db.dispose()


def _database(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('auth') / 'gros.db'}"
    postgres_url = request.getfixturevalue("postgres_url")
    schema = f"auth_{uuid.uuid4().hex[:10]}"
    admin_engine = create_engine(postgres_url)
    with admin_engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin_engine.dispose()
    return f"{postgres_url}?options=-csearch_path%3D{schema}"


def refused(call) -> Forbidden:
    with pytest.raises(Forbidden) as caught:
        call()
    return caught.value


# --- door 1: the engine's services ----------------------------------------------------------------------
@pytest.mark.parametrize("group", EVERY_GROUP)
@pytest.mark.parametrize("process", PROCESSES)
def test_engine_start(world: World, process: str, group: str):
    before = world.instances()
    start = lambda: world.engine.runtime.start(process, None, {}, member(group))  # noqa: E731
    if may_start(process, group):
        start()
        assert world.instances() == before + 1
    else:
        assert "start" in str(refused(start))
        assert world.instances() == before


@pytest.mark.parametrize("sender", EVERY_GROUP + sorted(SOURCES))
@pytest.mark.parametrize("message", list(MESSAGES))
def test_engine_message(world: World, message: str, sender: str):
    groups, sources = MESSAGES[message]
    actor = source_actor(SOURCES[sender]) if sender in SOURCES else member(sender)
    allowed = sender in groups | sources
    key = world.target(message, fresh=allowed)
    before = world.instances()
    send = lambda: world.engine.runtime.correlate(message, key, None, SENDER_VARIABLES[message], actor)  # noqa: E731
    if allowed:
        send()
    else:
        assert message in str(refused(send))
    if key is None:
        assert world.instances() == before + allowed
    else:
        assert world.waits(key, message) is not allowed


@pytest.mark.parametrize("group", EVERY_GROUP)
@pytest.mark.parametrize("action", ["claim", "complete", "hand over"])
def test_engine_task_actions(world: World, action: str, group: str):
    allowed = group in TASK_GROUPS
    task_id = world.accord_task(fresh=allowed)
    tasks = world.engine.tasks
    act = {"claim": lambda: tasks.claim(task_id, member(group)),
           "complete": lambda: tasks.complete(task_id, member(group), ACCORD),
           "hand over": lambda: tasks.assign(task_id, member(group), Actor.of(f"{group}-2", [group]))}[action]
    if allowed:
        act()
    else:
        refused(act)
        assert world.assignee(task_id) is None and world.engine.query.task(task_id)


@pytest.mark.parametrize("group", EVERY_GROUP)
def test_engine_deploy(world: World, group: str):
    files = {SMALL_MODEL.name: SMALL_MODEL.read_text()}
    deploy = lambda: world.engine.repository.deploy_sources(files, member(group), "proef")  # noqa: E731
    if group in DEPLOYERS:
        deploy()
    else:
        assert "procesbeheer" in str(refused(deploy))


def test_system_actors_act_as_the_engine(world: World):
    """Timers, the calendar and the operator's shell act as the engine: starting a called process
    directly is theirs alone."""
    world.engine.runtime.start("gros-escalatie", None, {"escalatie_land": "NL", "titel": "Proef"}, SYSTEM)
    with pytest.raises(Forbidden, match="alleen vanuit een ander proces"):
        world.engine.runtime.start("gros-escalatie", None, {}, member("management"))


# --- door 2: the API over real HTTP ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def api(world: World) -> Iterator[tuple[str, dict[str, str]]]:
    tokens = {group: create_token(world.engine, group, "rechten", "pytest")[1] for group in EVERY_GROUP}
    app = create_app({"GROS_ENGINE": world.engine, "SECRET_KEY": "s" * 48, "SESSION_COOKIE_SECURE": False})
    with serve(app) as url:
        yield url, tokens


def call(api, group: str, method: str, path: str, **kwargs) -> requests.Response:
    url, tokens = api
    return requests.request(method, f"{url}/api/v1{path}", headers={"Authorization": f"Bearer {tokens[group]}"},
                            timeout=30, **kwargs)


def assert_outcome(response: requests.Response, allowed: bool) -> None:
    if allowed:
        assert response.status_code < 300, response.text
    else:
        assert response.status_code == 403, response.text
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert response.json()["title"] == "Niet toegestaan"


@pytest.mark.parametrize("group", EVERY_GROUP)
@pytest.mark.parametrize("process", PROCESSES)
def test_api_start(world: World, api, process: str, group: str):
    response = call(api, group, "POST", f"/process-definition/key/{process}/start", json={})
    assert_outcome(response, may_start(process, group))


@pytest.mark.parametrize("group", EVERY_GROUP)
@pytest.mark.parametrize("message", list(MESSAGES))
def test_api_message(world: World, api, message: str, group: str):
    allowed = may_send(message, group)
    key = world.target(message, fresh=allowed)
    variables = {name: {"value": value} for name, value in SENDER_VARIABLES[message].items()}
    body = {"messageName": message, "processVariables": variables} | ({"businessKey": key} if key else {})
    assert_outcome(call(api, group, "POST", "/message", json=body), allowed)
    if key is not None:
        assert world.waits(key, message) is not allowed


@pytest.mark.parametrize("group", EVERY_GROUP)
@pytest.mark.parametrize("action", ["claim", "complete"])
def test_api_task_actions(world: World, api, action: str, group: str):
    allowed = group in TASK_GROUPS
    task_id = world.accord_task(fresh=allowed)
    body = {"variables": {name: {"value": value} for name, value in ACCORD.items()}} if action == "complete" else {}
    assert_outcome(call(api, group, "POST", f"/task/{task_id}/{action}", json=body), allowed)


@pytest.mark.parametrize("group", EVERY_GROUP)
def test_api_deploy(world: World, api, group: str):
    files = {"data": (SMALL_MODEL.name, SMALL_MODEL.read_bytes())}
    response = call(api, group, "POST", "/deployment/create", files=files, data={"deployment-name": "proef"})
    assert_outcome(response, group in DEPLOYERS)


@pytest.mark.parametrize("group", EVERY_GROUP)
def test_api_subscribers(world: World, api, group: str):
    name = f"abonnee-{uuid.uuid4().hex[:8]}"
    response = call(api, group, "POST", "/webhook-subscriber", json={"name": name, "url": "https://voorbeeld.be/in"})
    assert_outcome(response, group in ADMINISTRATORS)
    resume = call(api, group, "POST", f"/webhook-subscriber/{name}/resume")
    assert resume.status_code == (200 if group in ADMINISTRATORS else 403)


# --- door 3: the web --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def web(world: World):
    app = create_app({"GROS_ENGINE": world.engine, "SECRET_KEY": "s" * 48, "TESTING": True})
    clients = {}
    for group in EVERY_GROUP:
        client = app.test_client()
        response = client.post("/inloggen", data={"csrf_token": _token(client), "gebruikersnaam": group,
                                                  "wachtwoord": PASSWORD})
        assert response.status_code == 302
        clients[group] = client
    return clients


def _token(client) -> str:
    with client.session_transaction() as session:
        if "csrf_token" in session:
            return session["csrf_token"]
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/inloggen").text).group(1)


def post(web, group: str, path: str, data: dict | None = None):
    client = web[group]
    return client.post(path, data={"csrf_token": _token(client), **(data or {})})


def assert_page(response, allowed: bool) -> None:
    assert (response.status_code in (200, 302)) if allowed else response.status_code == 403, response.text[:300]


@pytest.mark.parametrize("group", EVERY_GROUP)
def test_web_intake(world: World, web, group: str):
    response = post(web, group, "/dossiers/nieuw", {"variables": json.dumps(SENDER_VARIABLES["signaal-ontvangen"])})
    assert_page(response, may_start("gros-dossier", group))


@pytest.mark.parametrize("group", EVERY_GROUP)
@pytest.mark.parametrize("action", ["claimen", "afronden", "overdragen"])
def test_web_task_actions(world: World, web, action: str, group: str):
    allowed = group in TASK_GROUPS
    task_id = world.accord_task(fresh=allowed)
    data = {"variables": json.dumps(ACCORD)} if action == "afronden" else {"aan": f"{group}-2"}
    assert_page(post(web, group, f"/taken/{task_id}/{action}", data), allowed)
    if not allowed:
        assert world.assignee(task_id) is None and world.engine.query.task(task_id)


@pytest.mark.parametrize("group", EVERY_GROUP)
def test_web_subscribers_and_tokens(world: World, web, group: str):
    allowed = group in ADMINISTRATORS
    name = f"abonnee-{uuid.uuid4().hex[:8]}"
    assert_page(post(web, group, "/beheer/koppelingen/abonnees", {"abonnee": name, "url": "https://voorbeeld.be/in"}),
                allowed)
    assert_page(post(web, group, f"/beheer/koppelingen/abonnees/{name}/hervatten"), allowed)
    assert_page(post(web, group, "/beheer/koppelingen/tokens", {"gebruiker": group, "naam": "proef"}), allowed)
    assert any(s.name == name for s in admin.subscribers(world.engine)) is allowed


# --- door 4: the gros command with --user/--groups -------------------------------------------------------------
def run_gros(world: World, *args: str):
    return CliRunner().invoke(gros, [*args, "--json"], env={"GROS_DATABASE_URL": world.url}, catch_exceptions=False)


def assert_exit(result, allowed: bool) -> None:
    if allowed:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 1 and json.loads(result.output)["title"] == "Niet toegestaan", result.output


@pytest.mark.parametrize("group", EVERY_GROUP)
@pytest.mark.parametrize("process", PROCESSES)
def test_cli_start(world: World, process: str, group: str):
    assert_exit(run_gros(world, "start", process, "--user", group, "--groups", group), may_start(process, group))


@pytest.mark.parametrize("group", EVERY_GROUP)
@pytest.mark.parametrize("message", list(MESSAGES))
def test_cli_correlate(world: World, message: str, group: str):
    allowed = may_send(message, group)
    key = world.target(message, fresh=allowed)
    variables = [f"--var={name}={value}" for name, value in SENDER_VARIABLES[message].items()]
    where = ["--business-key", key] if key else []
    assert_exit(run_gros(world, "correlate", message, *where, *variables, "--user", group, "--groups", group), allowed)
    if key is not None:
        assert world.waits(key, message) is not allowed


# --- what a process owner declares in Camunda Modeler ------------------------------------------------------------
DECLARED = ROOT / "tests" / "data" / "access" / "afzenders.bpmn"


@pytest.fixture
def declared(engine: Engine) -> Engine:
    engine.repository.deploy([DECLARED])
    return engine


def test_candidate_starters_replace_the_overseers(declared: Engine):
    for allowed in (Actor.of("anna"), member("loket")):
        declared.runtime.start("aanvraag-rechten", None, {}, allowed)
    for other in (member("management"), member("secretariaat"), Actor.of("bert", ["beslissers"])):
        with pytest.raises(Forbidden, match="niet starten"):
            declared.runtime.start("aanvraag-rechten", None, {}, other)


def test_called_and_unstartable_processes_are_not_started_from_outside(declared: Engine):
    for key in ("deelproces-rechten", "los-proces"):
        with pytest.raises(Forbidden, match="alleen vanuit een ander proces"):
            declared.runtime.start(key, None, {}, member("secretariaat"))
        declared.runtime.start(key, None, {}, SYSTEM)


def test_declared_senders_undeclared_messages_and_a_tasks_decision(declared: Engine):
    declared.runtime.start("aanvraag-rechten", "R-1", {}, SYSTEM)
    with pytest.raises(Forbidden):
        declared.runtime.correlate("loket-bericht", "R-1", actor=member("management"))
    declared.runtime.correlate("loket-bericht", "R-1", actor=Actor.of("bert"))
    with pytest.raises(Forbidden):
        declared.runtime.correlate("open-bericht", "R-1", actor=member("loket"))
    declared.runtime.correlate("open-bericht", "R-1", actor=member("management"))
    [task] = declared.query.tasks(instance_id=declared.query.instances(business_key="R-1")[0].id)
    declared.tasks.claim(task.id, Actor.of("carla", ["beslissers"]))
    for other in (member("management"), Actor.of("dirk", ["beslissers"])):
        with pytest.raises(Forbidden, match="besluit van een taak"):
            declared.runtime.correlate("beslissing", "R-1", actor=other)
    declared.runtime.correlate("beslissing", "R-1", actor=Actor.of("carla", ["beslissers"]))
    assert declared.query.instances(business_key="R-1")[0].status == "completed"


def test_the_forged_accord_of_the_issue_is_refused_with_a_dutch_problem(world: World, api):
    """Issue 13's reproduction: grensregio-nl sends the Vlaamse Regering's accord, and starts the
    escalation and the agendering directly."""
    key = world.agendering()
    forged = call(api, "grensregio-nl", "POST", "/message", json={
        "messageName": "akkoord-vlaamse-regering", "businessKey": key,
        "processVariables": {"akkoord_vl": {"value": "ja"}}})
    assert forged.status_code == 403
    assert forged.json()["detail"] == ("bericht 'akkoord-vlaamse-regering' staat voor het besluit van een taak "
                                       "waarvoor je geen kandidaat bent")
    assert world.waits(key, "akkoord-vlaamse-regering")
    for process in ("gros-escalatie", "gros-agendering", "gros-dossier"):
        started = call(api, "grensregio-nl", "POST", f"/process-definition/key/{process}/start", json={})
        assert started.status_code == 403 and started.json()["title"] == "Niet toegestaan"
