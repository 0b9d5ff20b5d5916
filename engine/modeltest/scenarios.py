"""Reading the scenario files: YAML a process owner writes, checked before anything runs, so a typo is
named with its file, line, scenario and step instead of showing up as a strange failure later.

A file holds ``scenarios`` (each: ``naam``, ``start``, ``stappen``) and may hold ``blokken``: named lists
of steps that every file in the same folder can reuse with ``- blok: naam``, and ``overleggen``: meetings the
run puts on the calendar before any scenario starts (a domain may require them, e.g. agendering names one).
Dates stay text (``2027-02-11`` is what a form field receives), as YAML would otherwise turn them into date
objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

START_KEYS = {"proces", "bericht", "dossier", "gegevens", "als", "gebruiker", "tijd"}
STEP_KEYS = {
    "taak": {"taak", "als", "gebruiker", "gegevens", "geweigerd"},
    "bericht": {"bericht", "als", "gebruiker", "gegevens"},
    "klok": {"klok"},
    "zetten": {"zetten"},
    "verwacht": {"verwacht"},
    "blok": {"blok"},
}
EXPECT_KEYS = {"taken", "groepen", "gegevens", "uitkomst", "fase", "afgerond"}
FILE_KEYS = {"scenarios", "blokken", "overleggen"}
MEETING_KEYS = {"datum", "soort"}
SCENARIO_KEYS = {"naam", "start", "stappen"}


class ScenarioFileError(Exception):
    """Scenario files that cannot be run; ``problems`` names each one (file, line, scenario, step)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Step:
    number: str  # "3", or "3.2" for the second step of the block used at step 3
    kind: str  # one of STEP_KEYS
    spec: dict


@dataclass(frozen=True)
class Scenario:
    file: str  # as the process owner knows it: relative to the models' folder
    name: str
    start: dict
    steps: list[Step] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.file} › '{self.name}'"


@dataclass(frozen=True)
class PlannedMeeting:
    where: str  # file and line, for an error about it
    day: str  # 2027-03-18
    kind: str  # as the domain names it, e.g. "bilateraal"


@dataclass(frozen=True)
class Suite:
    scenarios: list[Scenario]
    meetings: list[PlannedMeeting]


class Located(dict):
    """A YAML mapping that remembers the line it started on."""

    line = 0


class _Loader(yaml.SafeLoader):
    pass


def _located_mapping(loader: _Loader, node: yaml.MappingNode) -> Located:
    mapping = Located(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


_Loader.add_constructor("tag:yaml.org,2002:map", _located_mapping)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_folder(folder: Path, base: Path) -> Suite:
    """Every scenario in ``folder/*.yaml`` (file names shown relative to ``base``), blocks expanded, and the
    meetings the files declare; raises ScenarioFileError listing every problem in every file."""
    problems: list[str] = []
    documents = {_name(path, base): _read(path, _name(path, base), problems) for path in sorted(folder.glob("*.yaml"))}
    if not documents:
        problems.append(f"{_name(folder, base)}: geen scenariobestanden (*.yaml) gevonden")
    blocks = _blocks(documents, problems)
    scenarios = [scenario for name, document in documents.items()
                 for scenario in _scenarios(name, document, blocks, problems)]
    meetings = [meeting for name, document in documents.items() for meeting in _meetings(name, document, problems)]
    if problems:
        raise ScenarioFileError(problems)
    return Suite(scenarios, meetings)


def _name(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def _read(path: Path, name: str, problems: list[str]) -> dict:
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f", regel {mark.line + 1}" if mark else ""
        problems.append(f"{name}{line}: geen geldige YAML ({error.problem or error.context})")
        return {}
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        problems.append(f"{name}: geen geldige YAML ({error})")
        return {}
    if document is None:
        return {}
    if not isinstance(document, dict):
        problems.append(f"{name}: verwacht 'scenarios:' en/of 'blokken:' bovenaan het bestand")
        return {}
    _unknown_keys(document, FILE_KEYS, f"{name}{_line(document)}", problems)
    return document


def _blocks(documents: dict[str, dict], problems: list[str]) -> dict[str, tuple[str, list]]:
    blocks: dict[str, tuple[str, list]] = {}
    for name, document in documents.items():
        declared = document.get("blokken") or {}
        if not isinstance(declared, dict):
            problems.append(f"{name}{_line(document)}: 'blokken' moet per naam een lijst stappen geven")
            continue
        for block, steps in declared.items():
            if block in blocks:
                problems.append(f"{name}: blok '{block}' bestaat al in {blocks[block][0]}")
            elif not isinstance(steps, list):
                problems.append(f"{name}{_line(declared)}: blok '{block}' moet een lijst stappen zijn")
            else:
                blocks[block] = (name, steps)
    return blocks


def _meetings(name: str, document: dict, problems: list[str]) -> list[PlannedMeeting]:
    declared = document.get("overleggen") or []
    if not isinstance(declared, list):
        problems.append(f"{name}{_line(document)}: 'overleggen' moet een lijst zijn "
                        "(elk overleg begint met '- datum:')")
        return []
    found = []
    for raw in declared:
        where = f"{name}{_line(raw)}"
        if not isinstance(raw, dict) or "datum" not in raw:
            problems.append(f"{where}: een overleg noemt zijn 'datum' (2027-03-18) en eventueel 'soort'")
            continue
        _unknown_keys(raw, MEETING_KEYS, where, problems)
        found.append(PlannedMeeting(where, str(raw["datum"]), str(raw.get("soort") or "bilateraal")))
    return found


def _scenarios(name: str, document: dict, blocks: dict, problems: list[str]) -> list[Scenario]:
    declared = document.get("scenarios") or []
    if not isinstance(declared, list):
        problems.append(f"{name}{_line(document)}: 'scenarios' moet een lijst zijn (elk scenario begint met '- naam:')")
        return []
    found = []
    for number, raw in enumerate(declared, start=1):
        where = f"{name}, scenario {number}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: verwacht naam, start en stappen")
            continue
        where = f"{name}{_line(raw)}, scenario '{raw.get('naam', number)}'"
        _unknown_keys(raw, SCENARIO_KEYS, where, problems)
        start = raw.get("start")
        if not isinstance(start, dict):
            problems.append(f"{where}: 'start' ontbreekt (proces of bericht, dossier, gegevens)")
            continue
        _check_start(start, where, problems)
        steps = _steps(raw.get("stappen") or [], "", where, blocks, problems, ())
        found.append(Scenario(name, str(raw.get("naam") or f"scenario {number}"), dict(start), steps))
    return found


def _check_start(start: dict, where: str, problems: list[str]) -> None:
    _unknown_keys(start, START_KEYS, f"{where}, start", problems)
    if ("proces" in start) == ("bericht" in start):
        problems.append(f"{where}, start: geef precies één van 'proces' (een proces-key) "
                        "of 'bericht' (een berichtnaam)")
    _check_mapping(start, "gegevens", f"{where}, start", problems)


def _steps(raw: Any, prefix: str, where: str, blocks: dict, problems: list[str], using: tuple) -> list[Step]:
    if not isinstance(raw, list):
        problems.append(f"{where}: 'stappen' moet een lijst zijn (elke stap begint met '-')")
        return []
    steps: list[Step] = []
    for index, spec in enumerate(raw, start=1):
        number = f"{prefix}{index}"
        here = f"{where}, stap {number}"
        kind = _kind(spec, here, problems)
        if kind is None:
            continue
        if kind == "blok":
            steps += _block(spec["blok"], number, here, blocks, problems, using)
            continue
        _unknown_keys(spec, STEP_KEYS[kind], here, problems)
        _check_step(kind, spec, here, problems)
        steps.append(Step(number, kind, dict(spec)))
    return steps


def _kind(spec: Any, here: str, problems: list[str]) -> str | None:
    kinds = [key for key in STEP_KEYS if isinstance(spec, dict) and key in spec]
    if len(kinds) != 1:
        problems.append(f"{here}{_line(spec)}: een stap is precies één van: {', '.join(STEP_KEYS)}")
        return None
    return kinds[0]


def _block(block: str, number: str, here: str, blocks: dict, problems: list[str], using: tuple) -> list[Step]:
    if block not in blocks:
        problems.append(f"{here}: blok '{block}' bestaat niet (bekend: {', '.join(sorted(blocks)) or 'geen'})")
        return []
    if block in using:
        problems.append(f"{here}: blok '{block}' gebruikt zichzelf ({' → '.join((*using, block))})")
        return []
    file, steps = blocks[block]
    return _steps(steps, f"{number}.", f"{here} (blok '{block}' uit {file})", blocks, problems, (*using, block))


def _check_step(kind: str, spec: dict, here: str, problems: list[str]) -> None:
    _check_mapping(spec, "gegevens", here, problems)
    if kind == "taak" and not spec.get("als") and not spec.get("gebruiker"):
        problems.append(f"{here}: zeg met 'als: <groep>' wie de taak '{spec['taak']}' afrondt")
    refused = spec.get("geweigerd")
    if refused is not None and refused != "toegang" and not (isinstance(refused, list) and refused):
        problems.append(f"{here}: 'geweigerd' is 'toegang' (geen kandidaat) "
                        "of de lijst velden die het formulier weigert")
    if kind == "zetten" and not (isinstance(spec["zetten"], dict) and spec["zetten"]):
        problems.append(f"{here}: 'zetten' geeft naam: waarde-paren die het systeem in het dossier zet")
    if kind == "klok" and not isinstance(spec["klok"], str):
        problems.append(f"{here}: 'klok' is een duur (P7M, P215D, PT2H) of een tijdstip (2027-09-02T17:00:00+02:00)")
    if kind == "verwacht":
        expected = spec["verwacht"]
        if not isinstance(expected, dict) or not expected:
            problems.append(f"{here}: 'verwacht' noemt wat je verwacht ({', '.join(sorted(EXPECT_KEYS))})")
            return
        _unknown_keys(expected, EXPECT_KEYS, here, problems)
        _check_mapping(expected, "gegevens", here, problems)
        _check_mapping(expected, "groepen", here, problems)
        if "taken" in expected and not isinstance(expected["taken"], list):
            problems.append(f"{here}: 'taken' is een lijst taaknamen (leeg: [])")


def _check_mapping(spec: dict, key: str, here: str, problems: list[str]) -> None:
    if key in spec and not isinstance(spec[key], dict):
        problems.append(f"{here}: '{key}' moet naam: waarde-paren bevatten")


def _unknown_keys(spec: dict, known: set[str], here: str, problems: list[str]) -> None:
    for key in spec:
        if key not in known:
            problems.append(f"{here}: onbekende sleutel '{key}' (bekend: {', '.join(sorted(known))})")


def _line(value: Any) -> str:
    return f", regel {value.line}" if isinstance(value, Located) and value.line else ""
