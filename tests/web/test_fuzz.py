"""Every web route, driven with what a careless user or an attacker types: NUL characters, lone
surrogates, numbers of thousands of digits or in superscript, ids past 64 bits, far dates and long
text, in path ids, query parameters and form fields. Whatever comes in, the answer is never a 5xx.

The routes come from the app's own URL map, and the parameter names from the code and templates of
the blueprint that serves them, so a new route or field is fuzzed without touching this test. The
REST API has its own Schemathesis run (tests/api/test_openapi_fuzz.py) and is left out here."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask

from engine.accounts import create_account
from engine.gros import demo
from engine.services import Engine

from .conftest import PASSWORD, ROOT, Official, form_token

# Percent-encoded for the URL and the urlencoded body; a lone surrogate travels as its UTF-8 form there
# (no client can send it otherwise) and as a JSON escape inside a JSON field.
BAD_VALUES = [
    "\x00", "\udc00", "9" * 5000, "²", "99999999999999999999", "-1",
    "0001-01-01", "9999-12-31", "x" * 20_000, '{"titel": "\\udc00"}', '{"titel": "a\\u0000b"}',
]
SKIPPED = {"static", "auth.logout"}  # files; logging out takes no input and would end the session
# A PDF takes a second to render: that route gets the names it reads, not every name of the monitor.
NAMES_OF = {"monitor.report_pdf": ["van", "tot"]}
# Sent along with each bad field, so checks further on are reached (a meeting's weeks after its date).
PLAUSIBLE = {"datum": "2027-06-01", "uur": "10:00", "soort": "bilateraal", "van": "2027-01-01", "tot": "2027-06-30"}
NAMES = re.compile(r"""(?:args|form|values)\.get(?:list)?\(\s*["'](\w+)["']|args\[["'](\w+)["']\]|name="(\w+)"|"""
                   r"""\(\s*(?:args|form), ["'](\w+)["'], ["']""")  # the last: a parsing helper's field
SHARED = ROOT / "engine" / "web" / "inputs.py"  # the parsing helpers every page uses


@pytest.fixture
def database(sqlite_url: str) -> str:
    """A real SQLite file: the point is the web layer, which is the same on either database."""
    return sqlite_url


@pytest.fixture
def overseers(app: Flask, engine: Engine) -> list[Official]:
    engine.repository.deploy([ROOT / "processen", ROOT / "formulieren"])
    demo.seed_dossiers(engine)
    create_account(engine, "ingrid", PASSWORD, ["management"], "Ingrid Smits")
    create_account(engine, "saar", PASSWORD, ["secretariaat"], "Saar Claes")
    return [_logged_in(app, name) for name in ("ingrid", "saar")]


def _logged_in(app: Flask, username: str) -> Official:
    client = app.test_client()
    response = client.post("/inloggen", data={"csrf_token": form_token(client.get("/inloggen").text),
                                              "gebruikersnaam": username, "wachtwoord": PASSWORD})
    assert response.status_code == 302, response.text
    return Official(client, None)


def _routes(app: Flask) -> list[tuple[str, str, list[str], list[str]]]:
    """(endpoint, rule, methods, parameter names) of every web route."""
    routes = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if rule.endpoint in SKIPPED or blueprint == "api":
            continue
        methods = sorted(rule.methods & {"GET", "POST"})
        names = NAMES_OF.get(rule.endpoint) or _names(app.blueprints[blueprint].import_name)
        routes.append((rule.endpoint, rule.rule, methods, names))
    return routes


def _names(import_name: str) -> list[str]:
    """The request parameters and form fields the blueprint's code and templates mention."""
    module = Path(ROOT, *import_name.split("."))
    folder = module if module.is_dir() else module.parent
    found = {name for path in [*folder.rglob("*.py"), *folder.rglob("*.html"), SHARED]
             for match in NAMES.finditer(path.read_text(encoding="utf-8")) for name in match.groups() if name}
    return sorted(found - {"csrf_token"})


def _encoded(value: str) -> str:
    return quote(value, safe="", errors="surrogatepass")


def _path(rule: str, bad: str) -> list[str]:
    """The rule with each of its variables in turn set to ``bad``, the others to a plain '1'."""
    variables = re.findall(r"<(?:\w+:)?(\w+)>", rule)
    paths = []
    for target in variables:
        path = rule
        for name in variables:
            path = re.sub(rf"<(?:\w+:)?{name}>", _encoded(bad) if name == target else "1", path)
        paths.append(path)
    return paths


def _requests(app: Flask) -> list[tuple[str, str, str]]:
    """(method, url, urlencoded body) for every route × method × bad value × place it can go."""
    made = []
    for _, rule, methods, names in _routes(app):
        for method in methods:
            for bad in BAD_VALUES:
                plain = re.sub(r"<(?:\w+:)?\w+>", "1", rule)
                if "<" in rule:
                    made += [(method, path, "") for path in _path(rule, bad)]
                for name in names:
                    fields = {n: v for n, v in PLAUSIBLE.items() if n in names} | {name: bad}
                    pairs = "&".join(f"{n}={_encoded(v)}" for n, v in fields.items())
                    made.append((method, f"{plain}?{pairs}", "") if method == "GET" else (method, plain, pairs))
    return made


def test_no_input_gives_a_server_error_on_any_web_route(app, overseers):
    failures = []
    requests = _requests(app)
    for official in overseers:
        for method, url, body in requests:
            data = f"csrf_token={official.token()}&{body}" if method == "POST" else None
            response = official.client.open(url, method=method, data=data,
                                            content_type="application/x-www-form-urlencoded")
            if response.status_code >= 500:
                failures.append(f"{method} {url[:120]} {body[:120]} → {response.status_code}")
    assert not failures, f"{len(failures)} of {2 * len(requests)} requests failed:\n" + "\n".join(
        dict.fromkeys(failures))


def test_every_route_and_field_is_fuzzed(app):
    routes = {endpoint: names for endpoint, _, _, names in _routes(app)}
    assert {"monitor.overview", "planning.plan", "inbox.complete", "auth.login", "webhooks.receive"} <= set(routes)
    assert {"zoek", "pagina", "van", "tot"} <= set(routes["monitor.overview"]) | set(routes["monitor.report_page"])
    assert {"vooraf", "datum", "variables", "gebruikersnaam", "next"} <= {n for v in routes.values() for n in v}
    assert json.loads(BAD_VALUES[-2])["titel"] == "\udc00"
