"""``gros user``: accounts of the officials — add them, set their groups, reset passwords."""

from __future__ import annotations

import click

from engine import accounts
from engine.cli.common import emit, json_option, open_engine, refusals
from engine.cli.dutch import DutchGroup
from engine.gros.groups import GROUPS


@click.group(cls=DutchGroup)
def user() -> None:
    """Accounts: ambtenaren toevoegen, hun groepen instellen, wachtwoorden herstellen."""


@user.command("add")
@click.argument("username")
@click.option("--groups", required=True, help="Groepen, gescheiden door komma's, bv. grensregio-nl.")
@click.option("--name", "display_name", help="Volledige naam zoals de app die toont.")
@click.option("--email", help="E-mailadres voor meldingen.")
@click.password_option("--password", prompt="Wachtwoord", confirmation_prompt="Herhaal het wachtwoord")
@refusals
def user_add(username: str, groups: str, display_name: str | None, email: str | None, password: str) -> None:
    """Voeg een account toe."""
    names = group_list(groups)
    accounts.create_account(open_engine(), username, password, names, display_name, email)
    click.echo(f"gebruiker {username} aangemaakt in {', '.join(names)}")


@user.command("groups")
@click.argument("username")
@click.argument("groups")
@refusals
def user_groups(username: str, groups: str) -> None:
    """Vervang de groepen van een account (gescheiden door komma's)."""
    names = group_list(groups)
    accounts.set_groups(open_engine(), username, names)
    click.echo(f"{username} zit nu in {', '.join(names) or 'geen groepen'}")


@user.command("password")
@click.argument("username")
@click.password_option("--password", prompt="Nieuw wachtwoord", confirmation_prompt="Herhaal het wachtwoord")
@refusals
def user_password(username: str, password: str) -> None:
    """Stel een nieuw wachtwoord in."""
    accounts.set_password(open_engine(), username, password)
    click.echo(f"wachtwoord van {username} gewijzigd")


@user.command("deactivate")
@click.argument("username")
@refusals
def user_deactivate(username: str) -> None:
    """Laat een account niet meer inloggen (de historie blijft)."""
    accounts.set_active(open_engine(), username, False)
    click.echo(f"{username} kan niet meer inloggen")


@user.command("activate")
@click.argument("username")
@refusals
def user_activate(username: str) -> None:
    """Laat een gedeactiveerd account weer inloggen."""
    accounts.set_active(open_engine(), username, True)
    click.echo(f"{username} kan weer inloggen")


@user.command("list")
@click.option("--group", help="Alleen leden van deze groep.")
@json_option
@refusals
def user_list(group: str | None, as_json: bool) -> None:
    """Toon de accounts en hun groepen."""
    rows = accounts.accounts(open_engine(), group)
    emit(as_json, [{"username": a.username, "name": a.display_name, "email": a.email, "active": a.active,
                    "groups": groups} for a, groups in rows],
         lambda: "\n".join(f"{a.username:<22} {'' if a.active else '(gedeactiveerd) '}{a.display_name:<28} "
                           f"{', '.join(groups)}" for a, groups in rows) or "geen gebruikers")


def group_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in GROUPS:
            click.echo(f"let op: '{name}' is geen groep uit de GROS-procedure ({', '.join(GROUPS)})", err=True)
    return names


