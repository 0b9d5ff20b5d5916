"""The engine's own figures: bare SpiffWorkflow against the commands with storage, statements per
command, long histories (held in memory and cold), bytes stored, completion and the inbox query beside
many waiting instances. Measured in one run for the goals of issue 18; not a test."""

from __future__ import annotations

import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC
from pathlib import Path

from psycopg.pq import Trace
from sqlalchemy import Table, event, func, select, text

from engine.bpmn.bare import bare_completions, bare_starts
from engine.bpmn.serializer import state_json
from engine.clock import FixedClock
from engine.services import Actor, Engine
from engine.store.db import POSTGRES_ADMIN_URL, on_scratch_postgres
from engine.store.models import HumanTask, ProcessInstance, TaskCandidate
from engine.wiring import with_listeners

MODEL = Path(__file__).with_name("bench.bpmn")
PEOPLE = {g: Actor.of(f"bench-{g}", [g]) for g in ("secretariaat", "grensregio-nl", "grensregio-vl")}


MILLION = 1_000_000


# Bare SpiffWorkflow and the engine are measured in this many alternating blocks: a machine whose speed drifts
# during a run (another tenant, a frequency step) then slows both alike, and a ratio is not one moment's luck.
BLOCKS = 10
Measure = Callable[[int], tuple[int, float]]  # n instances → how many operations, in how many seconds


def run_all(sqlite_url: str, postgres_admin_url: str | None = POSTGRES_ADMIN_URL, instances: int = 300,
            inbox_sizes: tuple[int, ...] = (1_000, 100_000), postgres_million: bool = False) -> dict:
    """``postgres_million`` adds a million waiting instances on PostgreSQL only (minutes of filling)."""
    figures: dict = {"sqlite": _database_figures(sqlite_url, instances, inbox_sizes)}
    postgres_sizes = (*inbox_sizes, MILLION) if postgres_million else inbox_sizes
    figures["postgresql"] = on_scratch_postgres(
        lambda url: _database_figures(url, instances, postgres_sizes), postgres_admin_url)
    return figures


def _alternating(persistent: Measure, bare: Measure, instances: int) -> tuple[float, float, float]:
    """Operations per second of the engine and of bare SpiffWorkflow over ``instances`` each, measured in
    alternating blocks, and the median of the blocks' ratios."""
    size = max(1, instances // BLOCKS)
    totals, ratios = {"persistent": [0, 0.0], "bare": [0, 0.0]}, []
    for _ in range(BLOCKS):
        rates = {}
        for name, measure in (("persistent", persistent), ("bare", _alone(bare))):
            done, seconds = measure(size)
            totals[name][0] += done
            totals[name][1] += seconds
            rates[name] = done / seconds
        ratios.append(rates["persistent"] / rates["bare"])
    rate, bare_rate = (count / seconds for count, seconds in totals.values())
    return rate, bare_rate, statistics.median(ratios)


def _alone(measure: Measure) -> Measure:
    """``measure`` as in a process of its own: the objects alive before it (the engine's) are kept out of the
    garbage collector's sight meanwhile, so bare SpiffWorkflow's collections do not pay for the engine's heap."""
    def alone(instances: int) -> tuple[int, float]:
        gc.freeze()
        try:
            return measure(instances)
        finally:
            gc.unfreeze()
    return alone


def _database_figures(url: str, instances: int, inbox_sizes: tuple[int, ...]) -> dict:
    engine = Engine.open(url, clock=FixedClock())
    engine.repository.deploy([MODEL])
    rate, bare_rate, ratio = _alternating(lambda n: _persistent_completions(engine, n),
                                          lambda n: bare_completions(MODEL, "bench", n), instances)
    starts, bare_starts_rate, start_ratio = _alternating(lambda n: _starts(engine, n),
                                                         lambda n: bare_starts(MODEL, "bench", n), instances)
    statements = _statements_per_completion(engine)
    app = with_listeners(Engine(engine.db, FixedClock()))  # the app's engine: the GROS listeners attached
    fresh, long = _long_history_ms(engine)
    engine.executor.forget_live()
    cold_fresh, cold_long = _long_history_ms(engine, cold=True)
    waiting_bytes, per_task = _bytes_stored(engine)
    at_scale = {str(n): _at_scale(engine, n) for n in inbox_sizes}
    figures = {
        "completions_per_s": round(rate),
        "bare_completions_per_s": round(bare_rate),
        "ratio_to_bare": round(ratio, 3),
        "starts_per_s": round(starts),
        "bare_starts_per_s": round(bare_starts_rate),
        "start_ratio_to_bare": round(start_ratio, 3),
        "statements_per_completion": statements,
        "statements_per_start": len(statements_of(engine, lambda: engine.runtime.start("bench"))),
        "statements_per_completion_app": _statements_per_completion(app),
        "statements_per_moving_completion_app": _statements_per_moving_completion(app),
        "complete_fresh_ms": round(fresh, 2),
        "complete_after_200_ms": round(long, 2),
        "long_history_ratio": round(long / fresh, 2),
        "cold_complete_fresh_ms": round(cold_fresh, 2),
        "cold_complete_after_200_ms": round(cold_long, 2),
        "cold_long_history_ratio": round(cold_long / cold_fresh, 2),
        "state_bytes_waiting": waiting_bytes,
        "state_json_bytes_waiting": _json_bytes(engine),
        "state_bytes_per_completed_task": per_task,
        "complete_ms_beside_waiting": {n: f["complete_ms"] for n, f in at_scale.items()},
        "inbox_query_ms": {n: f["inbox_ms"] for n, f in at_scale.items()},
    }
    if not engine.db.is_sqlite:  # SQLite runs in this process: a statement there is no round trip
        figures["round_trips_per_completion"] = _statements_per_completion(engine, count=round_trips_of)
        figures["round_trips_per_completion_app"] = _statements_per_completion(app, count=round_trips_of)
        figures["round_trips_per_start"] = round_trips_of(engine, lambda: engine.runtime.start("bench"))
    figures["goals"] = _goals(figures, sqlite=engine.db.is_sqlite)
    engine.db.dispose()
    return figures


def _goals(figures: dict, sqlite: bool) -> dict:
    """Each figure of issue 18 beside its goal, and whether this run met it."""
    def scale(name: str) -> float:
        values = list(figures[name].values())
        return round(values[-1] / values[0], 2)

    goals = {
        "ratio_to_bare": (figures["ratio_to_bare"], 1 / 3 if sqlite else 1 / 5, ">="),
        "start_ratio_to_bare": (figures["start_ratio_to_bare"], 1 / 3 if sqlite else 1 / 5, ">="),
        "statements_per_completion": (figures["statements_per_completion"], 5, "<="),
        "long_history_ratio": (figures["long_history_ratio"], 1.5, "<="),
        "cold_long_history_ratio": (figures["cold_long_history_ratio"], 1.5, "<="),
        "state_bytes_waiting": (figures["state_bytes_waiting"], 4096, "<="),
        "complete_ms_beside_waiting_growth": (scale("complete_ms_beside_waiting"), 1.2, "<="),
        "inbox_query_ms_growth": (scale("inbox_query_ms"), 1.2, "<="),
    }
    return {name: {"value": value, "goal": f"{sign} {round(goal, 3)}",
                   "met": value >= goal if sign == ">=" else value <= goal}
            for name, (value, goal, sign) in goals.items()}


def _statements_per_completion(engine: Engine, samples: int = 20, count=None) -> float:
    """Median SQL statements of one completion (transaction control not counted), lock and audit included;
    or what else ``count(engine, command)`` counts of it."""
    count = count or (lambda engine, command: len(statements_of(engine, command)))
    instance_id = engine.runtime.start("bench")
    counts = []
    for _ in range(samples):
        [task] = engine.query.tasks(instance_id=instance_id)
        complete = lambda t=task: engine.tasks.complete(t.id, PEOPLE["secretariaat"], {"opnieuw": True})  # noqa: E731
        counts.append(count(engine, complete))
    return statistics.median(counts)


def _statements_per_moving_completion(engine: Engine, samples: int = 20) -> float:
    """Median SQL statements of a completion that moves the token on (the first task to the two decisions):
    with the app's listeners attached, the one kind of completion they run for."""
    counts = []
    for _ in range(samples):
        [task] = engine.query.tasks(instance_id=engine.runtime.start("bench"))
        complete = lambda t=task: engine.tasks.complete(t.id, PEOPLE["secretariaat"], {"opnieuw": False})  # noqa: E731
        counts.append(len(statements_of(engine, complete)))
    return statistics.median(counts)


def statements_of(engine: Engine, command) -> list[str]:
    """The SQL statements ``command`` sends to the database, BEGIN and COMMIT left out."""
    seen: list[str] = []

    def count(_connection, _cursor, statement, *_):
        if not statement.startswith(("BEGIN", "COMMIT")):
            seen.append(statement)

    event.listen(engine.db.engine, "before_cursor_execute", count)
    try:
        command()
    finally:
        event.remove(engine.db.engine, "before_cursor_execute", count)
    return seen


def round_trips_of(engine: Engine, command) -> int:
    """How often ``command`` waits for PostgreSQL, counted on the wire: libpq traces each connection it uses,
    and every turn from messages the client sent to messages the server answered is one round trip — a
    BEGIN the driver sends alone, a pipeline and a commit included."""
    with ExitStack() as files:
        traces = []

        def trace(dbapi_connection, *_):
            traces.append(files.enter_context(tempfile.TemporaryFile()))
            dbapi_connection.pgconn.trace(traces[-1].fileno())
            dbapi_connection.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)

        def untrace(dbapi_connection, *_):
            dbapi_connection.pgconn.untrace()  # flushes what it wrote

        event.listen(engine.db.engine, "checkout", trace)
        event.listen(engine.db.engine, "checkin", untrace)
        try:
            command()
        finally:
            event.remove(engine.db.engine, "checkout", trace)
            event.remove(engine.db.engine, "checkin", untrace)
        return sum(_turns(file) for file in traces)


def _turns(trace) -> int:
    trace.seek(0)
    senders = [line[:1] for line in trace.read().split(b"\n") if line[:2] in (b"F\t", b"B\t")]
    return sum((sent, answered) == (b"F", b"B") for sent, answered in zip(senders, senders[1:], strict=False))


def _bytes_stored(engine: Engine, loops: int = 200) -> tuple[int, float]:
    """State bytes of an instance waiting at its two decisions, and what each completed task adds."""
    waiting = _waiting_at_decisions(engine)
    worn = engine.runtime.start("bench")
    before = len(_state(engine, worn))
    _rework_ms(engine, worn, loops)
    return len(_state(engine, waiting)), round((len(_state(engine, worn)) - before) / loops, 1)


def _json_bytes(engine: Engine) -> int:
    return len(state_json(_state(engine, _waiting_at_decisions(engine))))


def _waiting_at_decisions(engine: Engine) -> str:
    instance_id = engine.runtime.start("bench")
    [task] = engine.query.tasks(instance_id=instance_id)
    engine.tasks.complete(task.id, PEOPLE["secretariaat"], {"opnieuw": False})
    return instance_id


def _state(engine: Engine, instance_id: str) -> str:
    return engine.query.instance(instance_id).state


def _persistent_completions(engine: Engine, instances: int) -> tuple[int, float]:
    completions = 0
    began = time.perf_counter()
    for _ in range(instances):
        instance_id = engine.runtime.start("bench")
        while tasks := engine.query.tasks(instance_id=instance_id):
            for task in tasks:
                engine.tasks.complete(task.id, PEOPLE[task.candidate_groups[0]], {"opnieuw": False})
                completions += 1
    return completions, time.perf_counter() - began


def _starts(engine: Engine, instances: int) -> tuple[int, float]:
    began = time.perf_counter()
    for _ in range(instances):
        engine.runtime.start("bench")
    return instances, time.perf_counter() - began


def _long_history_ms(engine: Engine, loops: int = 200, samples: int = 30, cold: bool = False) -> tuple[float, float]:
    """Median time of one completion on a fresh instance and on one that looped ``loops`` times; ``cold``
    loads each from the database, as after a restart or on another worker."""
    fresh = _rework_ms(engine, engine.runtime.start("bench"), samples, cold)
    worn = engine.runtime.start("bench")
    _rework_ms(engine, worn, loops)
    return fresh, _rework_ms(engine, worn, samples, cold)


def _rework_ms(engine: Engine, instance_id: str, times: int, cold: bool = False) -> float:
    spent = []
    for _ in range(times):
        [task] = engine.query.tasks(instance_id=instance_id)
        if cold:
            engine.executor.forget_live()
        began = time.perf_counter()
        engine.tasks.complete(task.id, PEOPLE["secretariaat"], {"opnieuw": True})
        spent.append((time.perf_counter() - began) * 1000)
    return statistics.median(spent)


def _at_scale(engine: Engine, waiting: int) -> dict:
    """A completion and the inbox's first page beside ``waiting`` ready tasks of other instances."""
    _fill_waiting(engine, waiting)
    return {"complete_ms": round(_rework_ms(engine, engine.runtime.start("bench"), 30), 2),
            "inbox_ms": round(_inbox_query_ms(engine), 2)}


def _inbox_query_ms(engine: Engine) -> float:
    """Median time of the inbox's first page for a group with many ready tasks."""
    spent = []
    for _ in range(30):
        began = time.perf_counter()
        page = engine.query.tasks(group="grensregio-nl", limit=50)
        spent.append((time.perf_counter() - began) * 1000)
    assert len(page) == 50
    return statistics.median(spent)


def _fill_waiting(engine: Engine, waiting: int) -> None:
    """Copies of one real waiting instance's rows, up to ``waiting`` tasks for the group, made by the
    database itself: one INSERT … SELECT over a series of numbers per table (generate_series on
    PostgreSQL, a recursive CTE on SQLite), so a million takes a minute, not an hour of Python. The
    copies share the template's state text; nothing loads them, they only have to be there."""
    with engine.db.reading() as session:
        have = session.scalar(select(func.count()).select_from(TaskCandidate)
                              .where(TaskCandidate.name == "grensregio-nl"))
    if waiting <= have:
        return
    template_id = engine.runtime.start("bench")
    [task] = engine.query.tasks(instance_id=template_id)
    engine.tasks.complete(task.id, PEOPLE["secretariaat"], {"opnieuw": False})
    [task] = [t for t in engine.query.tasks(instance_id=template_id) if t.element_id == "besluit_nl"]
    sqlite = engine.db.is_sqlite
    created = _seconds_before(sqlite)
    copies = [
        (ProcessInstance, "id", template_id, {"id": "'bench-i-' || n", "business_key": "'BENCH-' || n"}),
        (HumanTask, "id", task.id, {"id": "'bench-t-' || n", "instance_id": "'bench-i-' || n", "created_at": created}),
        (TaskCandidate, "task_id", task.id, {"task_id": "'bench-t-' || n"}),
    ]
    start = engine.now().astimezone(UTC)
    numbers = {"first": have, "last": waiting - 2,  # the template waits for the group too
               "start": start.strftime("%Y-%m-%d %H:%M:%S") if sqlite else start.isoformat()}
    with engine.db.transaction() as session:
        for model, key, template, overrides in copies:
            session.execute(text(_copy_statement(model.__table__, key, overrides, sqlite)), numbers | {"key": template})
        if not sqlite:
            session.execute(text("ANALYZE"))


def _copy_statement(table: Table, key: str, overrides: dict[str, str], sqlite: bool) -> str:
    """INSERT copies of the row whose ``key`` is :key, one per n from :first to :last, columns in
    ``overrides`` computed from n."""
    columns = [column.name for column in table.columns]
    values = ", ".join(overrides.get(name, f"t.{name}") for name in columns)
    copy = (f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {values} FROM {table.name} t, {{series}} "
            f"WHERE t.{key} = :key")
    if sqlite:
        return ("WITH RECURSIVE series(n) AS (SELECT :first UNION ALL SELECT n + 1 FROM series WHERE n < :last) "
                + copy.format(series="series"))
    return copy.format(series="generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS series(n)")


def _seconds_before(sqlite: bool) -> str:
    """:start minus n seconds, in the form each database stores a time (SQLAlchemy's on SQLite)."""
    if sqlite:
        return "strftime('%Y-%m-%d %H:%M:%S', :start, '-' || n || ' seconds') || '.000000'"
    return "CAST(:start AS timestamptz) - n * INTERVAL '1 second'"
