"""API tokens: bound to an account and its groups, stored hashed, last use recorded, revocable; the
inbox's authorization rules hold for machine clients too."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from engine.accounts import set_active, set_groups
from engine.web.api.models import ApiToken
from engine.web.api.tokens import create_token, list_tokens, revoke_token


def typed(**values) -> dict:
    return {name: {"value": value} for name, value in values.items()}


def test_tokens_are_stored_hashed_and_their_use_is_recorded(site, clock):
    info, token = create_token(site.engine, "nl", "regiosysteem", "secretaris")
    with site.engine.db.reading() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.id == info.id)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in (row.prefix, row.name)
    assert row.last_used_at is None
    assert site.call("GET", "/api/v1/task", None, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    [listed] = [t for t in list_tokens(site.engine, "nl") if t.id == info.id]
    assert listed.last_used_at == clock.now() and listed.created_by == "secretaris"


def test_no_wrong_revoked_or_inactive_token_gets_in(site):
    assert site.api("GET", "/task", None).status_code == 401
    wrong = site.call("GET", "/api/v1/task", None, headers={"Authorization": "Bearer gros_verzonnen"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    basic = site.call("GET", "/api/v1/task", None, headers={"Authorization": "Basic YTpi"})
    assert basic.status_code == 401
    info, token = create_token(site.engine, "vl", "tijdelijk", "secretaris")
    headers = {"Authorization": f"Bearer {token}"}
    assert site.call("GET", "/api/v1/task", None, headers=headers).status_code == 200
    revoke_token(site.engine, info.id, "secretaris")
    assert site.call("GET", "/api/v1/task", None, headers=headers).status_code == 401
    set_active(site.engine, "nl", False)
    assert site.api("GET", "/task", "nl").status_code == 401


def test_a_token_acts_with_its_accounts_current_groups(site, clock):
    instance = site.api("POST", "/process-definition/key/goedkeuring/start", "secretaris",
                        json={"businessKey": "T-1", "variables": typed(aanvrager="piet")}).json()
    [task] = site.api("GET", "/task", params={"processInstanceId": instance["id"]}).json()
    assert site.api("GET", "/task", "nl").json() == [], "another group sees none of these tasks"
    assert site.api("GET", f"/task/{task['id']}", "nl").status_code == 403
    assert site.api("POST", f"/task/{task['id']}/claim", "nl").status_code == 403
    assert site.api("POST", f"/task/{task['id']}/complete", "nl").status_code == 403
    assert site.api("POST", f"/task/{task['id']}/claim", "secretaris", json={"userId": "nl"}).status_code == 403
    for path in ("/process-instance", "/incident", "/webhook-delivery", "/webhook-subscriber"):
        assert site.api("GET", path, "nl").status_code == 403, path
    assert site.api("GET", f"/process-instance/{instance['id']}", "nl").status_code == 403
    assert site.api("GET", f"/process-instance/{instance['id']}", "secretaris").status_code == 200
    assert site.api("PUT", f"/process-instance/{instance['id']}/suspended", "nl",
                    json={"suspended": True}).status_code == 403

    set_groups(site.engine, "nl", ["grensregio-nl", "secretariaat"])
    assert [t["id"] for t in site.api("GET", "/task", "nl").json()] == [task["id"]]
    assert site.api("POST", f"/task/{task['id']}/claim", "nl").status_code == 204
    clock.advance(timedelta(minutes=1))
    assert site.api("POST", f"/task/{task['id']}/claim", "secretaris").status_code == 409
    assert site.api("GET", f"/process-instance/{instance['id']}", "vl").status_code == 403


def test_the_token_command_creates_lists_and_revokes(site, monkeypatch):
    from engine.cli.main import main

    monkeypatch.setenv("GROS_DATABASE_URL", site.engine.db.url)
    runner = CliRunner()
    created = runner.invoke(main, ["token", "create", "nl", "koppeling", "--by", "secretaris"])
    assert created.exit_code == 0, created.output
    token = created.output.split(": ", 1)[1].split()[0]
    assert token.startswith("gros_")
    assert site.call("GET", "/api/v1/task", None, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = runner.invoke(main, ["token", "list", "--user", "nl"])
    assert "koppeling" in listed.output and token not in listed.output
    token_id = [t.id for t in list_tokens(site.engine, "nl") if t.name == "koppeling"][0]
    assert runner.invoke(main, ["token", "revoke", str(token_id)]).exit_code == 0
    assert site.call("GET", "/api/v1/task", None, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert runner.invoke(main, ["token", "create", "niemand", "x"]).exit_code == 1
