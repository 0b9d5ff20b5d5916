"""Playing scenarios through the engine's own services — the doors the inbox, the webhooks and the
scheduler use — so candidate groups, form rules and sender rules apply exactly as they do for people.
Each scenario runs one dossier; the first step that does not go as written ends that scenario with a
Dutch account of what was expected and what was found."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.bpmn.timers import add_duration, instant
from engine.clock import Clock, FixedClock
from engine.errors import CommandError, Forbidden, InvalidData
from engine.modeltest.scenarios import Scenario, Step
from engine.services import SYSTEM, Actor, Engine
from engine.store.models import AuditEvent, HumanTask

# What a domain knows about a dossier beyond its variables, e.g. {"uitkomst": …, "fase": …}.
Facts = Callable[[Engine, str], dict[str, Any]]
EngineOpener = Callable[[str, Clock], Engine]
Prepare = Callable[[Engine], None]  # what the domain sets up before the first scenario, e.g. its calendar
START_TIME = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # a Monday morning, unless a scenario says `tijd`
ACCESS = "toegang"  # `geweigerd: toegang`: the actor is no candidate for the task


class StepFailed(Exception):
    """A step did not go as the scenario says; the message is what the process owner reads."""


@dataclass(frozen=True)
class Failure:
    scenario: Scenario
    step: str  # a step number, or "start"
    message: str

    def __str__(self) -> str:
        step = "start" if self.step == "start" else f"stap {self.step}"
        return f"{self.scenario.where}, {step}: {self.message}"


@dataclass(frozen=True)
class Outcome:
    scenario: Scenario
    instance_id: str | None
    failure: Failure | None


@dataclass
class RunResult:
    outcomes: list[Outcome] = field(default_factory=list)
    histories: dict[str, list[AuditEvent]] = field(default_factory=dict)  # instance id → its audit trail

    @property
    def failures(self) -> list[Failure]:
        return [o.failure for o in self.outcomes if o.failure is not None]


def run(models: list[Path], scenarios: list[Scenario], open_engine: EngineOpener, facts: Facts | None = None,
        database_url: str | None = None, prepare: Prepare | None = None) -> RunResult:
    """Deploy ``models`` on a throwaway SQLite database (or the empty one at ``database_url``), let ``prepare``
    set up what the domain needs (at the start time), play every scenario and keep each dossier's audit trail
    for the coverage."""
    with tempfile.TemporaryDirectory(prefix="gros-test-") as folder:
        clock = FixedClock(START_TIME)
        engine = open_engine(database_url or f"sqlite:///{Path(folder) / 'modeltest.db'}", clock)
        try:
            engine.repository.deploy(models)
            if prepare:
                prepare(engine)
            result = RunResult()
            for number, scenario in enumerate(scenarios, start=1):
                play = Play(engine, clock, scenario, f"TEST-{number:03d}", facts)
                result.outcomes.append(play.run())
                if play.instance_id:
                    result.histories[play.instance_id] = engine.query.history(play.instance_id)
            return result
        finally:
            engine.db.dispose()


class Play:
    """One scenario, one dossier."""

    def __init__(self, engine: Engine, clock: FixedClock, scenario: Scenario, business_key: str,
                 facts: Facts | None) -> None:
        self.engine, self.clock, self.scenario, self.facts = engine, clock, scenario, facts
        self.business_key = str(scenario.start.get("dossier") or business_key)
        self.instance_id: str | None = None

    def run(self) -> Outcome:
        step_number = "start"
        try:
            self.start()
            for step in self.scenario.steps:
                step_number = step.number
                self.act(step)
        except StepFailed as failed:
            return Outcome(self.scenario, self.instance_id, Failure(self.scenario, step_number, str(failed)))
        return Outcome(self.scenario, self.instance_id, None)

    def start(self) -> None:
        spec = self.scenario.start
        self.clock.set(_moment(spec["tijd"]) if "tijd" in spec else START_TIME)
        actor, variables = _actor(spec) or SYSTEM, dict(spec.get("gegevens") or {})
        try:
            if "proces" in spec:
                self.instance_id = self.engine.runtime.start(spec["proces"], self.business_key, variables, actor)
            else:
                self.instance_id = self.engine.runtime.start_by_message(spec["bericht"], variables,
                                                                        self.business_key, actor)
        except CommandError as error:
            raise StepFailed(f"kon niet starten: {error}") from error
        self.check_incidents()

    def act(self, step: Step) -> None:
        getattr(self, f"step_{step.kind}")(step.spec)
        if step.kind != "verwacht":
            self.check_incidents()

    # --- the steps ---------------------------------------------------------------------------------
    def step_taak(self, spec: dict) -> None:
        """Complete a task as the group (or user) says; ``geweigerd`` expects a refusal instead: ``toegang``
        (not a candidate) or the list of form fields the task's rules refuse."""
        task = self.open_task(spec["taak"])
        actor, refused = _actor(spec), spec.get("geweigerd")
        try:
            self.engine.tasks.complete(task.id, actor, dict(spec.get("gegevens") or {}))
        except InvalidData as error:
            found = sorted(e.key for e in error.errors)
            if isinstance(refused, list) and sorted(refused) == found:
                return
            details = "; ".join(f"{e.key}: {e.message}" for e in error.errors)
            expected = _expected_refusal(refused)
            raise StepFailed(f"taak '{task.name}' weigerde de gegevens{expected}: {details}") from error
        except Forbidden as error:
            if refused == ACCESS:
                return
            raise StepFailed(f"{_who(actor)} mag taak '{task.name}' niet afronden{_expected_refusal(refused)}: "
                             f"{error} (gevraagd aan {_show(task.candidate_groups)})") from error
        except CommandError as error:
            raise StepFailed(f"taak '{task.name}' kon niet worden afgerond: {error}") from error
        if refused:
            raise StepFailed(f"verwacht dat taak '{task.name}' geweigerd werd{_expected_refusal(refused)}, "
                             "maar ze werd afgerond")

    def step_bericht(self, spec: dict) -> None:
        actor = _actor(spec) or SYSTEM
        try:
            self.engine.runtime.correlate(spec["bericht"], business_key=self.business_key,
                                          variables=dict(spec.get("gegevens") or {}), actor=actor)
        except CommandError as error:
            raise StepFailed(f"bericht '{spec['bericht']}' kon niet worden afgeleverd: {error}") from error

    def step_zetten(self, spec: dict) -> None:
        """Set dossier variables as the system does outside any task, e.g. when the secretariaat forms the
        dossier's bestuurlijke schakel (§ 4.4) and the model's ``${schakel}`` reads it."""
        try:
            self.engine.runtime.set_variables(self.instance_id, SYSTEM, dict(spec["zetten"]))
        except CommandError as error:
            raise StepFailed(f"de gegevens konden niet worden gezet: {error}") from error

    def step_klok(self, spec: dict) -> None:
        """Move the clock, then fire this dossier's timers that are due (a fired timer may arm the next)."""
        text = spec["klok"].strip()
        try:
            moment = add_duration(self.clock.now(), text) if text.upper().startswith("P") else _moment(text)
        except (ValueError, KeyError, TypeError) as error:
            raise StepFailed(f"'{text}' is geen duur (P7M, P215D) of tijdstip (2027-09-02T17:00:00+02:00)") from error
        if moment < self.clock.now():
            raise StepFailed(f"de klok kan niet terug: het is al {self.clock.now().isoformat()}")
        self.clock.set(moment)
        fired: set[tuple] = set()
        while due := [timer for timer in self.due_timers() if timer not in fired]:
            for timer in due:
                fired.add(timer)
                self.engine.timers.fire_timer(timer[0])

    def step_verwacht(self, spec: dict) -> None:
        expected = spec["verwacht"]
        found: list[str] = []
        if "taken" in expected:
            found += self.compare_tasks([str(name) for name in expected["taken"]])
        for label, groups in (expected.get("groepen") or {}).items():
            found += self.compare_groups(str(label), groups if isinstance(groups, list) else [groups])
        if "gegevens" in expected:
            found += self.compare_variables(expected["gegevens"])
        for fact in ("uitkomst", "fase"):
            if fact in expected:
                found += self.compare_fact(fact, expected[fact])
        if "afgerond" in expected:
            found += self.compare_ended(expected["afgerond"])
        if found:
            raise StepFailed("\n    ".join(["niet zoals verwacht:", *found]))

    # --- what is there -----------------------------------------------------------------------------
    def open_tasks(self) -> list[HumanTask]:
        return self.engine.query.tasks(instance_id=self.instance_id)

    def open_task(self, label: str) -> HumanTask:
        tasks = self.open_tasks()
        matching = [t for t in tasks if label in (t.name, t.element_id)]
        if not matching:
            raise StepFailed(f"taak '{label}' staat niet open; open taken: {_show(sorted(t.name for t in tasks))}"
                             f"{self.waiting_text()}")
        if len(matching) > 1:
            raise StepFailed(f"{len(matching)} open taken heten '{label}'; noem de element-id "
                             f"({', '.join(t.element_id for t in matching)})")
        return matching[0]

    def waiting_text(self) -> str:
        instance = self.engine.query.instance(self.instance_id)
        if instance.status == "completed":
            return " (het dossier is afgerond)"
        waiting = [w for w in (instance.waiting_at or []) if w]
        return f" (wacht op {', '.join(map(str, waiting))})" if waiting else ""

    def due_timers(self) -> list[tuple]:
        now = self.clock.now()
        return [(t.id, t.element_id, t.due_at) for t in self.engine.query.timers(self.instance_id)
                if _utc(t.due_at) <= now]

    def check_incidents(self) -> None:
        incidents = self.engine.query.incidents(self.instance_id, open_only=True) if self.instance_id else []
        if incidents:
            first = incidents[0]
            raise StepFailed(f"het model liep vast bij {first.element_id}: {first.message}")

    # --- comparing ---------------------------------------------------------------------------------
    def compare_tasks(self, expected: list[str]) -> list[str]:
        tasks = self.open_tasks()
        unmatched = [t.name for t in tasks if not ({t.name, t.element_id} & set(expected))]
        missing = [label for label in expected if not any(label in (t.name, t.element_id) for t in tasks)]
        if not unmatched and not missing:
            return []
        return [f"open taken: verwacht {_show(sorted(expected))}, gevonden {_show(sorted(t.name for t in tasks))}"
                f"{self.waiting_text() if not tasks else ''}"]

    def compare_groups(self, label: str, expected: list) -> list[str]:
        matching = [t for t in self.open_tasks() if label in (t.name, t.element_id)]
        if not matching:
            return [f"taak '{label}' staat niet open, dus niemand is gevraagd"]
        found = sorted(matching[0].candidate_groups)
        if found == sorted(map(str, expected)):
            return []
        return [f"taak '{label}': verwacht gevraagd aan {_show(sorted(map(str, expected)))}, gevonden {_show(found)}"]

    def compare_variables(self, expected: dict) -> list[str]:
        variables = self.engine.query.variables(self.instance_id)
        return [f"gegeven '{name}': verwacht {_show(value)}, "
                f"gevonden {_show(variables[name]) if name in variables else 'niets (niet gezet)'}"
                for name, value in expected.items() if variables.get(name, _MISSING) != value]

    def compare_fact(self, fact: str, expected: Any) -> list[str]:
        known = self.facts(self.engine, self.instance_id) if self.facts else {}
        if fact not in known:
            return [f"'{fact}' kan deze testrun niet lezen (geen dossiersamenvatting)"]
        if known[fact] == expected:
            return []
        return [f"{fact}: verwacht {_show(expected)}, gevonden {_show(known[fact])}"]

    def compare_ended(self, expected: Any) -> list[str]:
        wanted = expected in (True, "ja")
        status = self.engine.query.instance(self.instance_id).status
        if (status == "completed") == wanted:
            return []
        found = "afgerond" if status == "completed" else f"niet afgerond ({status}){self.waiting_text()}"
        return [f"verwacht {'afgerond' if wanted else 'niet afgerond'}, gevonden {found}"]


_MISSING = object()


def _actor(spec: dict) -> Actor | None:
    group, user = spec.get("als"), spec.get("gebruiker")
    if not group and not user:
        return None
    groups = [g.strip() for g in str(group or "").split(",")]
    return Actor.of(str(user or f"{groups[0]}-test"), groups)


def _expected_refusal(refused: Any) -> str:
    if refused == ACCESS:
        return " (verwacht: geen toegang)"
    return f" (verwacht geweigerd op {_show(sorted(refused))})" if isinstance(refused, list) else ""


def _who(actor: Actor) -> str:
    return f"{actor.user} (groep {', '.join(sorted(actor.groups))})" if actor.groups else actor.user


def _moment(value: Any) -> datetime:
    return instant(str(value))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
