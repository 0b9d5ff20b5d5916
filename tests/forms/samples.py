"""Sample forms and submissions the form tests share."""

import copy

from engine.forms import load_camunda_form
from tests.conftest import DATA

FORMS = DATA / "forms"


def read(name: str) -> str:
    return (FORMS / name).read_text(encoding="utf-8")


def load(name: str):
    return load_camunda_form(read(name), name)


def valid_melding() -> dict:
    return {
        "naamMelder": "An Peeters",
        "email": "an.peeters@example.be",
        "telefoon": "+32470123456",
        "adres": {"straat": "Grote Markt 1", "postcode": "2300", "land": "BE"},
        "domein": "arbeid",
        "overheden": ["vlaanderen", "nederland"],
        "trefwoorden": ["grensarbeider"],
        "kosten": 25000,
        "toelichtingKosten": "Offerte van een beëdigd vertaalbureau",
        "aantalPersonen": 25,
        "datumVaststelling": "2024-03-14",
        "omschrijving": "Grensarbeiders krijgen hun pensioenopbouw niet erkend.",
        "akkoord": True,
    }


def with_value(data: dict, key: str, value) -> dict:
    data = copy.deepcopy(data)
    *parents, last = key.split(".")
    target = data
    for part in parents:
        target = target[part]
    target[last] = value
    return data


def without(data: dict, key: str) -> dict:
    data = copy.deepcopy(data)
    *parents, last = key.split(".")
    target = data
    for part in parents:
        target = target[part]
    del target[last]
    return data


def beoordeling_data(**changes) -> dict:
    return {
        "behandelaar": "jan.claes",
        "besluit": "ontvankelijk",
        "opmerking": "Dank voor uw melding.",
    } | changes


def component(schema: dict, *path: int) -> dict:
    node = schema
    for index in path:
        node = node["components"][index - 1]
    return node
