"""Demo mode: officials for every candidate group and demo dossiers at different stages, so a newcomer
sees the procedure alive. Idempotent: a second start adds only what is missing. Dossiers are driven by
the engine's own commands, as the officials would in the inbox."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from engine.accounts import account, create_account, granted_groups
from engine.bpmn.timers import BUSINESS_ZONE, add_duration
from engine.clock import FixedClock
from engine.errors import CommandError
from engine.gros import consultatie, meetings, schakel, toetsen
from engine.gros.consultatie import Invitee
from engine.gros.schakel import Member
from engine.services import SYSTEM, Actor, Engine

PASSWORDS_FILE = "demo-accounts.txt"
FOLDER = Path("instance")  # next to the default SQLite database, relative to where the app runs
NEXT_MEETING = "@volgend-overleg"
DOSSIERS = Path(__file__).resolve().parents[2] / "processen" / "demo_dossiers.json"
TOETSEN = DOSSIERS.with_name("demo_toetsen.json")
CONSULTED = "GROS-2026-002"  # the demo dossier whose schakel heard stakeholders during uitwerking (§ 5.3.2)
CONSULTATION_ANSWERS = (
    ("secretariaat@grensarbeid.example", "Vereniging van grensarbeiders",
     "Onze leden winnen tijd als één procedure volstaat; houd de bescherming van werknemers gelijk."),
    ("info@havenbedrijven.example", "Overleg havenbedrijven",
     "Wij steunen de afwijking, mits de termijnen aan beide kanten gelijk lopen."),
)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    groups: tuple[str, ...]


# One official per candidate group (username = group, easy to guess), and a second Dutch regional
# official to hand tasks over to.
ACCOUNTS = (
    DemoAccount("secretariaat", "Sanne de Wit", ("secretariaat",)),
    DemoAccount("regionaal-netwerk", "Pieter Claes", ("regionaal-netwerk",)),
    DemoAccount("grensregio-nl", "Joris van Dijk", ("grensregio-nl",)),
    DemoAccount("grensregio-nl-2", "Fatima El Amrani", ("grensregio-nl",)),
    DemoAccount("grensregio-vl", "Lien Peeters", ("grensregio-vl",)),
    DemoAccount("departement-nl", "Mark Jansen", ("departement-nl",)),
    DemoAccount("departement-vl", "Els Maes", ("departement-vl",)),
    DemoAccount("federaal-be", "Koen Dubois", ("federaal-be",)),
    DemoAccount("hoofd-van-dienst-nl", "Anouk Bakker", ("hoofd-van-dienst-nl",)),
    DemoAccount("hoofd-van-dienst-vl", "Wim Goossens", ("hoofd-van-dienst-vl",)),
    DemoAccount("bewindspersoon-nl", "Eva Hendriks", ("bewindspersoon-nl",)),
    DemoAccount("bewindspersoon-vl", "Tom Wouters", ("bewindspersoon-vl",)),
    DemoAccount("minister-grenssamenwerking-nl", "Ruben Visser", ("minister-grenssamenwerking-nl",)),
    DemoAccount("minister-grenssamenwerking-vl", "Sofie Janssens", ("minister-grenssamenwerking-vl",)),
    DemoAccount("ministerraad-nl", "Secretariaat Ministerraad", ("ministerraad-nl",)),
    DemoAccount("vlaamse-regering", "Griffie Vlaamse Regering", ("vlaamse-regering",)),
    DemoAccount("bilateraal-overleg", "Secretariaat bilateraal overleg", ("bilateraal-overleg",)),
    DemoAccount("ambtelijk-grensoverleg", "Hanne Verbeke", ("ambtelijk-grensoverleg",)),
    DemoAccount("ambtelijk-grensoverleg-2", "Daan Mulder", ("ambtelijk-grensoverleg",)),
    DemoAccount("management", "Ingrid Smits", ("management",)),
    DemoAccount("procesbeheer", "Bram Willems", ("procesbeheer",)),
    DemoAccount("koppeling", "Worker van de koppelingen", ("koppeling",)),
)


def seed_accounts(engine: Engine, folder: Path = FOLDER) -> list[tuple[str, str]]:
    """Create the demo accounts that do not exist yet, each with a fresh random password.

    Returns (username, password) of the new ones; they are also appended to ``folder``/demo-accounts.txt
    so they can be looked up after the first start printed them.
    """
    created = []
    for demo in ACCOUNTS:
        if account(engine, demo.username) is None:
            password = secrets.token_urlsafe(9)
            create_account(engine, demo.username, password, list(demo.groups), demo.display_name)
            created.append((demo.username, password))
    if created:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / PASSWORDS_FILE).touch(mode=0o600)
        with (folder / PASSWORDS_FILE).open("a", encoding="utf-8") as file:
            file.writelines(f"{username}\t{password}\n" for username, password in created)
    return created


def seed_dossiers(engine: Engine, path: Path = DOSSIERS) -> tuple[list[str], list[str]]:
    """Start every demo dossier that does not exist yet and take it through its steps.

    Each dossier's steps happen a day apart and end a few days ago, so the inbox shows tasks that have
    waited for a while. Returns the business keys started and, for a dossier the current models refuse,
    what went wrong (the dossier stays where it got to).
    """
    return _seed(engine, json.loads(path.read_text(encoding="utf-8"))["dossiers"], _drive, "demodossier")


def seed_toetsen(engine: Engine, path: Path = TOETSEN) -> tuple[list[str], list[str]]:
    """Submit every demo grenseffectentoets that does not exist yet and take it through its steps, as
    ``seed_dossiers`` does: one ends without effect, the other becomes a dossier (§ 4.2.2)."""
    return _seed(engine, json.loads(path.read_text(encoding="utf-8"))["toetsen"], _submit, "demotoets")


def _seed(engine: Engine, items: list[dict], drive, what: str) -> tuple[list[str], list[str]]:
    now = engine.now()
    meetings.seed_calendar(engine)  # demo proposals for agendering name its next half-yearly meeting
    started, problems = [], []
    for number, item in enumerate(items):
        key = item["business_key"]
        if engine.query.instances(business_key=key, limit=1):
            continue
        clock = FixedClock(now - timedelta(days=len(item["stappen"]) + 2 + number))
        try:
            drive(engine.with_clock(clock), clock, item)
        except CommandError as error:
            problems.append(f"{what} {key}: {error}")
        started.append(key)
    return started, problems


def _drive(engine: Engine, clock: FixedClock, dossier: dict) -> None:
    key, start = dossier["business_key"], dossier["start"]
    if start["type"] == "bericht":
        instance_id = engine.runtime.start_by_message(start["bericht"], start["variabelen"], key,
                                                      _member(engine, "regionaal-netwerk"))
    else:
        instance_id = engine.runtime.start(start["proces"], key, start["variabelen"], _member(engine, "secretariaat"))
    _take_steps(engine, clock, key, instance_id, dossier["stappen"])


def _submit(engine: Engine, clock: FixedClock, toets: dict) -> None:
    instance_id = toetsen.submit(engine, _member(engine, toets["indiener"]), toets["variabelen"], toets["business_key"])
    _take_steps(engine, clock, toets["business_key"], instance_id, toets["stappen"])


def _take_steps(engine: Engine, clock: FixedClock, key: str, instance_id: str, steps: list[dict]) -> None:
    for step in steps:
        clock.advance(timedelta(days=1))
        _form_schakel_once_agendered(engine, instance_id)
        if "bericht" in step:
            variables = relative_times(step["variabelen"], clock.now())
            # a demo message stands for another system's (a government's, the calendar's) arrival
            engine.runtime.correlate(step["bericht"], key, None, variables, SYSTEM)
            continue
        task = next((t for t in engine.query.tasks(instance_id=instance_id) if t.element_id == step["taak"]), None)
        if task is None:
            raise CommandError(f"taak {step['taak']} staat niet open")
        engine.tasks.complete(task.id, _member(engine, step["groep"]), with_next_meeting(engine, step["variabelen"]))
    _form_schakel_once_agendered(engine, instance_id)
    if key == CONSULTED:
        _consult(engine, clock, instance_id)


def with_next_meeting(engine: Engine, variables: dict) -> dict:
    """Demo values written as ``@volgend-overleg`` become the next half-yearly meeting's date."""
    return {name: meetings.next_bilateral_day(engine) if value == NEXT_MEETING else value
            for name, value in variables.items()}


def _form_schakel_once_agendered(engine: Engine, instance_id: str) -> None:
    """Seed § 4.4: the departments' demo officials co-chair, the regions' (and the federal one's) sit in it."""
    if schakel.members(engine, instance_id) or not schakel.is_agendered(engine, instance_id):
        return
    schakel.form(engine, instance_id, Member("departement-nl", "covoorzitter-nl", "Ministerie van Infrastructuur"),
                 Member("departement-vl", "covoorzitter-vl", "Departement Mobiliteit en Openbare Werken"), SYSTEM)
    seats = [Member("grensregio-nl", "lid", "Provincie Zeeland"), Member("grensregio-vl", "lid", "Provincie Antwerpen")]
    if engine.query.variables(instance_id).get("federaal_betrokken") in (True, "ja"):
        seats.append(Member("federaal-be", "lid", "FOD Mobiliteit en Vervoer"))
    for seat in seats:
        schakel.add_member(engine, instance_id, seat, SYSTEM)


def _consult(engine: Engine, clock: FixedClock, instance_id: str) -> None:
    """One finished consultation: two stakeholders asked during uitwerking, both answered, then closed."""
    opened = consultatie.open_consultation(
        engine, instance_id, "Welke gevolgen heeft een gerichte afwijking voor uw leden aan beide kanten van de grens?",
        ["https://www.grensinfo.nl/"], clock.now() + timedelta(days=14),
        [Invitee(email, organisation) for email, organisation, _ in CONSULTATION_ANSWERS],
        _member(engine, "departement-nl"))
    for email, _, text in CONSULTATION_ANSWERS:
        clock.advance(timedelta(hours=3))
        consultatie.answer(engine, opened.tokens[email], text)
    consultatie.close(engine, opened.id, _member(engine, "departement-nl"))


def relative_times(variables: dict, now: datetime) -> dict:
    """Demo values written as ``+P14D`` become that moment after ``now`` (Brussels time, with offset),
    so a demo deadline lies ahead whenever the demo is started."""
    return {name: (add_duration(now, value[1:]).astimezone(BUSINESS_ZONE).isoformat(timespec="seconds")
                   if isinstance(value, str) and value.startswith("+P") else value)
            for name, value in variables.items()}


def _member(engine: Engine, group: str) -> Actor:
    """The demo official of ``group`` (their username is the group's name), with the schakels they sit in."""
    with engine.db.reading() as session:
        return Actor.of(group, [group, *granted_groups(engine, session, group)])
