"""``gros token``: API tokens for machine clients, made and revoked by the secretariaat."""

from __future__ import annotations

import click

from engine.cli.common import emit, json_option, open_engine, refusals
from engine.cli.dutch import DutchGroup
from engine.web.api.tokens import create_token, list_tokens, revoke_token


@click.group(cls=DutchGroup)
def token() -> None:
    """API-tokens: aanmaken, intrekken, tonen."""


@token.command("create")
@click.argument("username")
@click.argument("name")
@click.option("--by", "by", default="cli", help="Wie het token maakt (audit).")
@json_option
@refusals
def create(username: str, name: str, by: str, as_json: bool) -> None:
    """Maak een token voor USERNAME; het wordt één keer getoond."""
    info, secret = create_token(open_engine(), username, name, by)
    emit(as_json, {"id": info.id, "token": secret}, lambda: f"token {info.id} voor {username}: {secret}\n"
         "Bewaar het nu: het wordt niet opnieuw getoond.")


@token.command("revoke")
@click.argument("token_id", type=int)
@click.option("--by", "by", default="cli")
@json_option
@refusals
def revoke(token_id: int, by: str, as_json: bool) -> None:
    """Trek een token in op zijn nummer."""
    revoke_token(open_engine(), token_id, by)
    emit(as_json, {"id": token_id, "revoked": True}, lambda: f"token {token_id} ingetrokken")


@token.command("list")
@click.option("--user", "username")
@json_option
@refusals
def list_(username: str | None, as_json: bool) -> None:
    """Toon de tokens (nooit de tokens zelf)."""
    rows = list_tokens(open_engine(), username)
    emit(as_json, [r.__dict__ for r in rows], lambda: "\n".join(
        f"{r.id:>4}  {r.username:<20} {r.name:<30} {r.prefix}…  gemaakt {r.created_at:%Y-%m-%d}"
        f"  laatst {f'{r.last_used_at:%Y-%m-%d %H:%M}' if r.last_used_at else '-'}"
        f"{'  INGETROKKEN' if r.revoked_at else ''}" for r in rows) or "geen tokens")
