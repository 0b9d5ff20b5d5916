"""`gros user …` manages accounts from a shell; `gros serve` refuses to start unsafely; `gros vendor`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from engine.accounts import account, authenticate
from engine.cli.main import main


@pytest.fixture
def gros(engine, monkeypatch):
    monkeypatch.setenv("GROS_DATABASE_URL", engine.db.url)
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(main, list(args), input=input)


def test_add_an_official_with_groups_and_a_prompted_password(gros, engine):
    result = gros("user", "add", "an.peeters", "--groups", "grensregio-vl,departement-vl", "--name", "An Peeters",
                  input="sterk-wachtwoord\nsterk-wachtwoord\n")
    assert result.exit_code == 0, result.output
    assert "gebruiker an.peeters aangemaakt in grensregio-vl, departement-vl" in result.output
    actor = authenticate(engine, "an.peeters", "sterk-wachtwoord")
    assert actor.groups == {"grensregio-vl", "departement-vl"}


def test_refusals_name_the_problem(gros):
    short = gros("user", "add", "an", "--groups", "grensregio-vl", input="kort\nkort\n")
    assert short.exit_code == 1 and "minstens 10 tekens" in short.output
    unknown = gros("user", "groups", "niemand", "secretariaat")
    assert unknown.exit_code == 1 and "gebruiker 'niemand' bestaat niet" in unknown.output


def test_an_unknown_group_is_accepted_with_a_warning(gros, engine):
    result = gros("user", "add", "nieuw", "--groups", "werkgroep-x", input="sterk-wachtwoord\nsterk-wachtwoord\n")
    assert result.exit_code == 0
    assert "let op: 'werkgroep-x' is geen groep uit de GROS-procedure" in result.output


def test_groups_password_deactivate_and_list(gros, engine):
    gros("user", "add", "joris", "--groups", "grensregio-nl", input="sterk-wachtwoord\nsterk-wachtwoord\n")
    assert gros("user", "groups", "joris", "grensregio-nl,secretariaat").exit_code == 0
    assert account(engine, "joris")[1] == ["grensregio-nl", "secretariaat"]
    assert gros("user", "password", "joris", input="nieuw-wachtwoord\nnieuw-wachtwoord\n").exit_code == 0
    assert authenticate(engine, "joris", "nieuw-wachtwoord") is not None
    assert gros("user", "deactivate", "joris").exit_code == 0
    assert authenticate(engine, "joris", "nieuw-wachtwoord") is None
    listed = json.loads(gros("user", "list", "--json").output)
    assert listed == [{"username": "joris", "name": "joris", "email": None, "active": False,
                       "groups": ["grensregio-nl", "secretariaat"]}]
    assert gros("user", "activate", "joris").exit_code == 0
    assert "joris" in gros("user", "list", "--group", "secretariaat").output


def test_serve_refuses_production_without_a_secret_key(gros, monkeypatch):
    monkeypatch.delenv("GROS_SECRET_KEY", raising=False)
    monkeypatch.delenv("GROS_DEMO", raising=False)
    result = gros("serve", "--port", "0")
    assert result.exit_code == 1
    assert "GROS_SECRET_KEY ontbreekt" in result.output
