"""What a command lets in: variables that are JSON with plain names, and text the database can store."""

from __future__ import annotations

import json

from engine.errors import InvalidData


def check_text(value, what: str, limit: int | None = None) -> None:
    """Refuse what PostgreSQL cannot store (NUL) or a column cannot hold, with a clear message."""
    if isinstance(value, dict):
        for key, item in value.items():
            check_text(key, what)
            check_text(item, what)
    elif isinstance(value, list):
        for item in value:
            check_text(item, what)
    elif isinstance(value, str):
        if "\x00" in value:
            raise InvalidData(f"{what} bevatten een NUL-teken", [])
        if not value.isascii() and any("\ud800" <= c <= "\udfff" for c in value):
            raise InvalidData(f"{what} bevatten een ongeldig teken (losse surrogaat)", [])
        if limit is not None and len(value) > limit:
            raise InvalidData(f"{what} is langer dan {limit} tekens", [])


def check_variables(variables: dict) -> None:
    if not isinstance(variables, dict):
        raise InvalidData("variabelen moeten een object zijn", [])
    bad = [name for name in variables if not isinstance(name, str) or not name.isidentifier()
           or name.startswith("_")]
    if bad:
        raise InvalidData(f"ongeldige variabelenamen: {', '.join(map(str, bad))}", [])
    try:
        json.dumps(variables)
    except (TypeError, ValueError) as error:
        raise InvalidData(f"variabelen zijn geen JSON: {error}", []) from error
    check_text(variables, "variabelen")
