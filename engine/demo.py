"""Demo mode: officials for every candidate group and demo dossiers at different stages, so a newcomer
sees the procedure alive. Idempotent: a second start adds only what is missing. Dossiers are driven by
the engine's own commands, as the officials would in the inbox."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from engine.accounts import account, create_account
from engine.commands import Engine

PASSWORDS_FILE = "demo-accounts.txt"


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
    DemoAccount("ministerraad-nl", "Secretariaat Ministerraad", ("ministerraad-nl",)),
    DemoAccount("vlaamse-regering", "Griffie Vlaamse Regering", ("vlaamse-regering",)),
    DemoAccount("bilateraal-overleg", "Secretariaat bilateraal overleg", ("bilateraal-overleg",)),
    DemoAccount("management", "Ingrid Smits", ("management",)),
)


def seed_accounts(engine: Engine, folder: Path) -> list[tuple[str, str]]:
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
