"""Read models at scale: rebuild and catch-up rates, query latency, at a million events.

Not a test and not run in CI. Usage (from the repository root)::

    .venv/bin/python bench/projections.py [--events N] [--backend sqlite|postgres|both]

The history is generated, not replayed through commands: 5 plans × 40 tasks × 60 units
(12,000 assignments; the units are the registry's, ``ledger/data/units.json``), plans
issued 2020-12-15 with the importer's plan-wide monthly duty, then five years
(2021-01 to 2025-12) of monthly progress reports: most on time, some after a reminder
(提醒), some late after a reminder and an urge (催办), a few never made (reminded,
urged, escalated: they are the overdue list), and corrections of some reports. About
one million events, built as the aggregates' real events (creation events through the
aggregates' own methods, the rest constructed with their stream's ids and versions),
encoded once with ``ledger.mapper`` and written with ``ledger.recorder.insert_events``
in batches of thousands per transaction. ``--events N`` scales the number of units per
task (``--events 100000`` for a quick run). One assignment is replayed with
``ledger.get_assignment`` and checked against what was generated.

For each backend the run measures, in this order:

- bulk write rate (untimed setup, printed for context);
- baselines: ``SELECT`` of every notification (``select_notifications``, no decoding)
  and the same plus decoding (``ledger.records()``), before the rebuild and again
  after the catch-up (interleaved with the work they frame);
- full rebuild: ``Projector.rebuild()`` (``projector.BATCH_SIZE`` events per
  transaction, the default: 5,000);
- incremental catch-up: the last 20,000 events of the history appended in bulk, then
  ``catch_up()`` on the same projector (a long-running ``taskledger project``);
- query latency on the live view (``open_view`` once, as of 2026-03-02, later than every
  event, at the head): ``queries.responsibilities(view, unit=...)`` (a different unit
  each call) and ``queries.overdue(view)``, interleaved, 50 calls each after
  a warm-up; p50/p95. The overdue list's length is checked against the reports the
  generator left unmade.

Targets (issues 5 and 14): rebuild and catch-up ≥ 10,000 events/s and ≥ 0.25 of select +
decode in the same run, p95 < 50 ms at one million events;
PASS/FAIL per target, then a Markdown table for the README. ``--profile`` adds
cProfile listings (rebuild of the first 50,000 events, each query) and
``--experiments`` measures candidate fixes by monkeypatching inside this process
(nothing in ``projections/`` or ``ledger/`` is changed).

SQLite runs on a temporary file; PostgreSQL on a fresh schema in the ``test`` database
at 127.0.0.1:5432 (override with ``TASKLEDGER_BENCH_POSTGRES_URL``), dropped afterwards.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import importlib
import io
import json
import math
import os
import platform
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger import ids
from ledger import store as store_module
from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.assignment import Assignment, content_hash
from ledger.calendar import ChineseCalendar
from ledger.clock import FixedClock
from ledger.periods import Period
from ledger.plan import Plan, Task
from ledger.store import StoreConfig, parse_database_url
from ledger.unit import Unit

# Run as a script, this file's directory leads sys.path and its name (projections.py)
# would shadow the projections package: drop that entry, then import the package.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
# ...and measure the checkout this file is in, not whatever the virtualenv's editable
# install points at (another worktree's code, silently)
sys.path.insert(0, os.path.dirname(_HERE))
queries = importlib.import_module("projections.queries")
ReadStore = importlib.import_module("projections.db").ReadStore
_projector = importlib.import_module("projections.projector")
CatchUpStats, Projector = _projector.CatchUpStats, _projector.Projector
open_view = importlib.import_module("projections.views").open_view
paging = importlib.import_module("api.paging")

TARGET_REBUILD_RATE = 10_000  # events/s, rebuild and catch-up alike (issue 14)
TARGET_DECODE_SHARE = 0.25  # ...and at least this share of select + decode, same run
TARGET_P95_MS = 50.0
POSTGRES_URL = os.environ.get(
    "TASKLEDGER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)

# ---- the shape of the history ------------------------------------------------------------
PLANS = 5
TASKS_PER_PLAN = 40
MAX_UNITS_PER_TASK = 60
ISSUED_ON = date(2020, 12, 15)
FIRST_PERIOD = Period(2021, "month", 1)
MONTHS = 60  # 2021-01 .. 2025-12
AS_OF = date(2026, 3, 2)  # later than every event: the live tables answer
CATCH_UP_EVENTS = 20_000
INSERT_BATCH = 5_000  # events per insert_events transaction
# What happens to one monthly obligation of one assignment (the rest: reported early,
# before any reminder). Corrections are drawn per report.
REMINDED_ON_TIME = 0.10  # reminded (提醒) 3 working days before, then on time
LATE = 0.11  # reminded, urged (催办) the working day after the due date, reported late
MISSING = 0.01  # reminded, urged, escalated (上报监督平台), never reported: overdue
CORRECTED = 0.02  # a report later corrected (ProgressCorrected)
EVENTS_PER_ASSIGNMENT = 1 + MONTHS * (
    (1 - MISSING) * (1 + CORRECTED)
    + (REMINDED_ON_TIME + LATE + MISSING)
    + (LATE + MISSING)
    + MISSING
)

# The importer's shape for a plan-wide duty (ObligationDuty.to_json).
MONTHLY_DUTY = {
    "slug": "monthly-progress",
    "description": "各地各部门每月前5个工作日内报送上月工作进展",
    "cadence": "monthly",
    "due": {"within_working_days": 5, "of_month_after_period": 1},
    "period_indices": None,
    "applies_to": "plan",
    "audience": {},
    "report_to": "领导小组办公室",
    "stated_in": None,
    "source": "bench",
    "default": False,
}
NARRATIVES = (
    "本月围绕重点群体就业，组织开展职业技能培训{n}期，培训各类人员{m}人次，"
    "新增就业见习岗位{k}个。下一步将继续推进培训与岗位对接，按期报送进展。",
    "本月召开专题推进会{n}次，督促指导盟市落实任务分工，完成阶段性目标{k}项，"
    "累计投入资金{m}万元。存在问题：部分项目前期手续办理较慢，已协调加快。",
    "按照实施方案分工，本月开展实地调研{n}次，梳理问题清单{k}条，已整改{m}条，"
    "其余问题明确责任人和时限，纳入下月重点工作持续推进。",
)
CHASE_REASONS = {
    "reminder": "{period} 月度进展将于 {due} 到期，请按时报送。",
    "urge": "{period} 月度进展已于 {due} 到期未报送，请于2个工作日内报送并说明原因。",
    "escalation": "{period} 月度进展逾期5个工作日仍未报送，经催办无果，上报监督平台。",
}
CALENDAR = ChineseCalendar()


# ---- generation ------------------------------------------------------------------------
@dataclass
class Expected:
    """What the generator put on one stream, to check the replayed aggregate against."""

    version: int = 1
    reports: int = 0
    reminders: int = 0
    urges: int = 0
    escalations: int = 0
    corrections: int = 0


@dataclass
class History:
    stored: list[StoredEvent]
    types: Counter
    assignments: int
    units_per_task: int
    tasks_per_plan: int
    unit_names: list[str]
    missing: int  # reports never made: the overdue list at AS_OF
    sample_id: UUID
    sample: Expected
    seconds: dict[str, float] = field(default_factory=dict)


def registry_units() -> list[tuple[str, str, list[str]]]:
    text = resources.files("ledger").joinpath("data/units.json").read_text("utf-8")
    units = json.loads(text)["units"]
    return [(u["name"], u["kind"], list(u.get("aliases", []))) for u in units]


def sizes(events: int) -> tuple[int, int]:
    """(tasks per plan, units per task) for about ``events`` events."""
    per_task = events / (PLANS * TASKS_PER_PLAN * EVENTS_PER_ASSIGNMENT)
    if per_task <= MAX_UNITS_PER_TASK:
        return TASKS_PER_PLAN, max(1, round(per_task))
    tasks = math.ceil(events / (PLANS * MAX_UNITS_PER_TASK * EVENTS_PER_ASSIGNMENT))
    return tasks, MAX_UNITS_PER_TASK


def _act(actor: str, role: str, day: date, correlation: str) -> Act:
    return Act(actor, role, correlation, datetime(day.year, day.month, day.day, 1, tzinfo=UTC), day)


def _stream_items(rng: random.Random, periods: list[tuple[str, date, date]]) -> list[list]:
    """One assignment's acts after its assignment: [day, rank, kind, data], unversioned.

    ``rank`` orders acts of the same day: the scheduler's morning chase before a report.
    """
    items: list[list] = []
    for period, end, due in periods:
        remind_on = CALENDAR.add_workdays(due, -3)
        urge_on = CALENDAR.add_workdays(due, 1)
        draw = rng.random()
        report_on: date | None
        if draw < MISSING:
            report_on = None
            chases = [("reminder", remind_on), ("urge", urge_on)]
            chases.append(("escalation", CALENDAR.add_workdays(due, 5)))
        elif draw < MISSING + LATE:
            report_on = CALENDAR.add_workdays(due, rng.randint(1, 8))
            chases = [("reminder", remind_on), ("urge", urge_on)]
        elif draw < MISSING + LATE + REMINDED_ON_TIME:
            report_on = CALENDAR.add_workdays(remind_on, rng.randint(1, 3))
            chases = [("reminder", remind_on)]
        else:  # early: in the last days of the month or before the reminder
            report_on = end - timedelta(days=rng.randint(-1, 6))
            if report_on >= remind_on:
                report_on = end
            chases = []
        for kind, day in chases:
            items.append([day, 0, kind, (period, due)])
        if report_on is not None:
            n = rng.randint(1, 40)
            report = [report_on, 1, "report", (period, n)]
            items.append(report)
            if rng.random() < CORRECTED:
                later = report_on + timedelta(days=rng.randint(1, 10))
                items.append([later, 2, "correction", report])
    items.sort(key=lambda item: (item[0], item[1]))
    return items


def generate(events: int, seed: int = 20260301) -> tuple[list[Any], History]:
    """Every event of the history, in ledger order (domain event objects, not yet encoded)."""
    rng = random.Random(seed)
    tasks_per_plan, units_per_task = sizes(events)
    pool = registry_units()[:MAX_UNITS_PER_TASK]
    periods = []
    period = FIRST_PERIOD
    for _ in range(MONTHS):
        after = period.end + timedelta(days=1)
        due = CALENDAR.nth_workday_of_month(after.year, after.month, 5)
        periods.append((str(period), period.end, due))
        period = period.next()

    opening: list[Any] = []  # creation events, all on the issue date
    act = _act("bench:importer", "office", ISSUED_ON, "bench-import")
    unit_ids = []
    for name, kind, aliases in pool:
        unit = Unit.register(act, ids.unit_id(name), name, kind, aliases)
        unit_ids.append(unit.id)
        opening += unit.collect_events()
    streams: list[tuple[UUID, list[list]]] = []
    for p in range(1, PLANS + 1):
        key = f"内政办发〔2020〕{100 + p}号"
        plan_id = ids.plan_id(key)
        numbers = [str(t) for t in range(1, tasks_per_plan + 1)]
        plan = Plan.register(
            act,
            plan_id,
            natural_key=key,
            doc_number=key,
            title=f"基准测试第{p}号实施方案（2021—2025年）",
            issuer="自治区人民政府办公厅",
            issued_on=ISSUED_ON,
            source_sha256=hashlib.sha256(key.encode()).hexdigest(),
            targets=[
                {
                    "indicator": "培训人次",
                    "value": 500000,
                    "measure": "人次",
                    "comparator": ">=",
                    "period": {"from": "2021-01-01", "to": "2025-12-31", "per": "total"},
                    "text": "到2025年累计培训50万人次",
                }
            ],
            obligations=[MONTHLY_DUTY],
            task_numbers=numbers,
        )
        opening += plan.collect_events()
        for ordinal, number in enumerate(numbers, 1):
            chosen = [(ordinal + p + k) % len(pool) for k in range(units_per_task)]
            task_id = ids.task_id(plan_id, number)
            task = Task.register(
                act,
                task_id,
                plan_id=plan_id,
                number=number,
                ordinal=ordinal,
                section="二、重点任务",
                title=f"重点任务{ordinal}",
                text=f"第{ordinal}项重点任务的全文：目标、举措和完成时限。",
                targets=[],
                obligations=[],
                units=[
                    {"name": pool[u][0], "role": "lead" if i == 0 else "co", "kind": pool[u][1]}
                    for i, u in enumerate(chosen)
                ],
            )
            opening += task.collect_events()
            for i, u in enumerate(chosen):
                assignment_id = ids.assignment_id(task_id, unit_ids[u])
                assignment = Assignment.assign(
                    act,
                    assignment_id,
                    plan_id=plan_id,
                    task_id=task_id,
                    unit_id=unit_ids[u],
                    task_number=number,
                    unit_name=pool[u][0],
                    role="lead" if i == 0 else "co",
                    source="document",
                )
                opening += assignment.collect_events()
                streams.append((assignment_id, _stream_items(rng, periods)))

    # version each stream's acts, then merge every stream in business-date order
    merged: list[tuple[int, int, int, list]] = []
    missing = 0
    expectations: list[Expected] = []
    for index, (_, items) in enumerate(streams):
        expected = Expected()
        for version, item in enumerate(items, start=2):
            item.append(version)
            merged.append((item[0].toordinal(), index, version, item))
            expected.version = version
            kind = item[2]
            if kind == "report":
                expected.reports += 1
            elif kind == "correction":
                expected.corrections += 1
            else:
                setattr(expected, kind + "s", getattr(expected, kind + "s") + 1)
        missing += sum(1 for item in items if item[2] == "escalation")
        expectations.append(expected)
    merged.sort(key=lambda entry: entry[:3])

    events = list(opening)
    seconds_today: Counter = Counter()
    for _, index, version, item in merged:
        day, _, kind, data, _ = item
        stream = streams[index][0]
        seconds_today[day] += 1
        stamp = datetime(day.year, day.month, day.day, 1, tzinfo=UTC) + timedelta(
            seconds=seconds_today[day]
        )
        common = {
            "originator_id": stream,
            "originator_version": version,
            "timestamp": stamp,
            "correlation_id": f"bench-{index}-{version}",
            "business_date": day,
            "simulated": False,
        }
        if kind == "report":
            period, n = data
            narrative = NARRATIVES[n % len(NARRATIVES)].format(n=n, m=n * 37, k=n % 9 + 1)
            metrics = {"培训人次": n * 37, "新增就业见习岗位": n % 9 + 1}
            events.append(
                Assignment.ProgressReported(
                    **common,
                    actor="liaison:bench",
                    actor_role="liaison",
                    period=period,
                    narrative=narrative,
                    metrics=metrics,
                    idempotency_key=None,
                    content_hash=content_hash(period, narrative, metrics),
                )
            )
        elif kind == "correction":
            report = data
            period, n = report[3]
            events.append(
                Assignment.ProgressCorrected(
                    **common,
                    actor="liaison:bench",
                    actor_role="liaison",
                    corrects=ids.event_id(stream, report[4]),
                    report=ids.event_id(stream, report[4]),
                    narrative=NARRATIVES[0].format(n=n, m=n * 36, k=n % 9 + 1),
                    metrics={"培训人次": n * 36},  # names what changes; the rest stays
                    replaces_metrics=False,
                    resulting_metrics={"培训人次": n * 36, "新增就业见习岗位": n % 9 + 1},
                    reason="更正培训人次统计口径",
                )
            )
        else:
            period, due = data
            event_class = {
                "reminder": Assignment.ReminderIssued,
                "urge": Assignment.UrgeIssued,
                "escalation": Assignment.EscalatedToSupervisionPlatform,
            }[kind]
            events.append(
                event_class(
                    **common,
                    actor="scheduler",
                    actor_role="system",
                    obligation="monthly-progress",
                    period=period,
                    due_on=due,
                    reason=CHASE_REASONS[kind].format(period=period, due=due.isoformat()),
                    evidence=[],
                    trigger=None,
                )
            )
    sample = max(range(len(streams)), key=lambda i: (expectations[i].corrections, -i))
    history = History(
        stored=[],
        types=Counter(type(e).__name__ for e in events),
        assignments=len(streams),
        units_per_task=units_per_task,
        tasks_per_plan=tasks_per_plan,
        unit_names=[name for name, _, _ in pool],
        missing=missing,
        sample_id=streams[sample][0],
        sample=expectations[sample],
    )
    return events, history


def build_history(events: int, ledger: Ledger) -> History:
    began = time.perf_counter()
    domain_events, history = generate(events)
    generated = time.perf_counter()
    history.stored = [ledger.mapper.to_stored_event(e) for e in domain_events]
    history.seconds = {
        "generate": generated - began,
        "encode": time.perf_counter() - generated,
    }
    return history


def write(ledger: Ledger, stored: list[StoredEvent]) -> float:
    began = time.perf_counter()
    for start in range(0, len(stored), INSERT_BATCH):
        ledger.recorder.insert_events(stored[start : start + INSERT_BATCH])
    return time.perf_counter() - began


def check_replay(ledger: Ledger, history: History) -> str:
    """The aggregates must replay: one assignment, every counter, against the generator."""
    a = ledger.get_assignment(history.sample_id)
    e = history.sample
    got = Expected(
        a.version,
        len(a.reports),
        a.reminders,
        a.urges,
        len(a.escalations),
        sum(len(v) for v in a.corrections.values()),
    )
    if got != e or a.status != "in_progress":
        raise AssertionError(f"assignment {a.id} replays as {got}, {a.status}; generated {e}")
    return (
        f"replay ok: {a.unit_name} on task {a.task_number}: version {a.version}, "
        f"{e.reports} reports, {e.corrections} corrections, {e.reminders} reminders, "
        f"{e.urges} urges, {e.escalations} escalations"
    )


# ---- stores ------------------------------------------------------------------------------
@contextmanager
def sqlite_store() -> Iterator[StoreConfig]:
    with tempfile.TemporaryDirectory(prefix="taskledger-bench-") as directory:
        yield parse_database_url(f"sqlite:///{directory}/ledger.sqlite")


@contextmanager
def postgres_store() -> Iterator[StoreConfig]:
    with store_module.temporary_schema(POSTGRES_URL, "tl_bench") as config:
        yield config


def postgres_problem() -> str | None:
    return store_module.postgres_problem(parse_database_url(POSTGRES_URL))


# ---- measuring ---------------------------------------------------------------------------
@dataclass
class Latency:
    name: str
    seconds: list[float] = field(default_factory=list)
    rows: int = 0

    def time(self, call: Callable[[], list]) -> None:
        began = time.perf_counter()
        rows = call()
        self.seconds.append(time.perf_counter() - began)
        self.rows = len(rows)

    def quantile(self, q: int) -> float:
        """The q-th percentile in milliseconds."""
        cuts = statistics.quantiles(self.seconds, n=100, method="inclusive")
        return 1000 * cuts[q - 1]

    @property
    def p50(self) -> float:
        return self.quantile(50)

    @property
    def p95(self) -> float:
        return self.quantile(95)

    @property
    def verdict(self) -> str:
        return "PASS" if self.p95 < TARGET_P95_MS else "FAIL"


@dataclass
class Result:
    backend: str
    events: int  # rebuilt
    total: int  # at query time
    write_rate: float
    select_rates: list[float]
    decode_rates: list[float]
    rebuild: CatchUpStats
    catch_up: CatchUpStats
    latencies: list[Latency]
    phases: dict[str, float]
    rows: dict[str, int]
    rebuild_cpu: float  # events per second of this process's CPU time
    notes: list[str]

    @property
    def select_rate(self) -> float:
        return statistics.fmean(self.select_rates)

    @property
    def decode_rate(self) -> float:
        return statistics.fmean(self.decode_rates)

    @property
    def rebuild_verdict(self) -> str:
        return _rate_verdict(self.rebuild.rate, self.decode_rate)

    @property
    def catch_up_verdict(self) -> str:
        return _rate_verdict(self.catch_up.rate, self.decode_rate)


def _rate_verdict(rate: float, decode_rate: float) -> str:
    fast = rate >= TARGET_REBUILD_RATE and rate >= TARGET_DECODE_SHARE * decode_rate
    return "PASS" if fast else "FAIL"


def select_rate(ledger: Ledger, batch: int = 1000) -> float:
    """Notifications read per second, undecoded: the floor under any projection."""
    began, start, count = time.perf_counter(), 1, 0
    while True:
        notifications = ledger.recorder.select_notifications(start=start, limit=batch)
        count += len(notifications)
        if len(notifications) < batch:
            break
        start = notifications[-1].id + 1
    return count / (time.perf_counter() - began)


def decode_rate(ledger: Ledger) -> float:
    """Events read and decoded per second (``ledger.records()``): what rebuild is up against."""
    began, count = time.perf_counter(), 0
    for _ in ledger.records():
        count += 1
    return count / (time.perf_counter() - began)


def progress_printer(backend: str, what: str) -> Callable[[CatchUpStats, int], None]:
    last = [time.perf_counter()]

    def show(stats: CatchUpStats, head: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= 15 or stats.position >= head:
            last[0] = now
            eta = (head - stats.position) / stats.rate if stats.rate else 0
            print(
                f"  [{backend}] {what}: {stats.applied:,} events, {stats.rate:,.0f}/s, "
                f"position {stats.position:,}/{head:,}, ETA {eta:.0f} s",
                flush=True,
            )

    return show


def table_counts(read: ReadStore) -> dict[str, int]:
    return {
        table: read.scalar(f"SELECT COUNT(*) AS n FROM {{s}}{table}")
        for table in ("rm_assignments", "rm_reports", "rm_obligations", "rm_chases", "rm_audit")
    }


#: A past view for the as-of figures: inside the generated history, at half its length
#: (the counted rows answer: projections.standing).
PAST_AS_OF = date(2023, 6, 30)


def _report_calls(view: Any, names: list[str], suffix: str) -> list[tuple[Latency, Callable]]:
    """Every report the API serves, on one view: the unit-scoped responsibility list (a
    different unit each call), the whole overdue list, its first page of 100 as the API
    cuts it, targets and scorecard."""
    def paged_overdue() -> list:
        asked = paging.report_request("overdue", {}, as_of=view.as_of,
                                      position=view.position, limit=100)
        rows = paging.report_rows("overdue", view, {})
        return list(paging.report_page(asked, rows, as_of=view.as_of,
                                       position=view.position).rows)

    turn = iter(range(10**9))
    return [
        (Latency(f"responsibilities(unit){suffix}"),
         lambda: queries.responsibilities(view, unit=names[next(turn) % len(names)])),
        (Latency(f"overdue{suffix}"), lambda: queries.overdue(view)),
        (Latency(f"overdue page 100{suffix}"), paged_overdue),
        (Latency(f"targets{suffix}"), lambda: queries.target_progress(view)),
        (Latency(f"scorecard{suffix}"), lambda: queries.scorecard(view)),
    ]


def measure_queries(
    backend: str, ledger: Ledger, read: ReadStore, history: History, runs: int
) -> list[Latency]:
    """p50/p95 of every report today (the live rows as they are) and as of a past date
    at a past position (the counted rows), calls interleaved round-robin."""
    names = history.unit_names
    with open_view(ledger, read, CALENDAR, as_of=AS_OF) as view:
        assert view.current, "the live tables should answer as they are"
        late = queries.overdue(view)
        if len(late) != history.missing:
            raise AssertionError(f"overdue lists {len(late)} rows, generated {history.missing}")
        calls = _report_calls(view, names, "")
    with open_view(ledger, read, CALENDAR, as_of=PAST_AS_OF,
                   position=ledger.position() // 2) as past:
        assert not past.current, "a past view should count rows"
        calls += _report_calls(past, names, " as of past")
    for _, call in calls:
        call()  # warm-up: first-call imports, statement caches, page cache
    for i in range(runs):
        for latency, call in calls if i % 2 == 0 else reversed(calls):
            latency.time(call)
    for latency, _ in calls:
        print(
            f"  [{backend}] {latency.name}: p50 {latency.p50:.1f} ms, p95 {latency.p95:.1f} ms "
            f"({latency.rows} rows)",
            flush=True,
        )
    return [latency for latency, _ in calls]


def measure(
    backend: str, config: StoreConfig, history: History, args: argparse.Namespace
) -> Result:
    phases: dict[str, float] = {}
    clock = FixedClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    ledger = open_ledger(config, clock=clock, create_tables=True)
    read = ReadStore(config, create_tables=True)
    try:
        tail = min(CATCH_UP_EVENTS, len(history.stored) // 5)
        head, rest = history.stored[:-tail], history.stored[-tail:]
        seconds = write(ledger, head)
        phases["write"] = seconds
        write_rate = len(head) / seconds
        print(
            f"  [{backend}] wrote {len(head):,} events in {seconds:.1f} s "
            f"({write_rate:,.0f}/s, {INSERT_BATCH:,} per transaction)",
            flush=True,
        )

        began = time.perf_counter()
        selects, decodes = [select_rate(ledger)], [decode_rate(ledger)]
        phases["baselines"] = time.perf_counter() - began
        print(
            f"  [{backend}] baseline: select {selects[0]:,.0f}/s, select+decode "
            f"{decodes[0]:,.0f}/s",
            flush=True,
        )

        projector = Projector(ledger, read, CALENDAR)
        cpu = time.process_time()
        rebuild = projector.rebuild(progress=progress_printer(backend, "rebuild"))
        rebuild_cpu = rebuild.applied / max(time.process_time() - cpu, 1e-9)
        phases["rebuild"] = rebuild.seconds
        print(
            f"  [{backend}] rebuild: {rebuild.applied:,} events in {rebuild.seconds:.1f} s = "
            f"{rebuild.rate:,.0f}/s ({rebuild.batches} batches; {rebuild_cpu:,.0f}/s of "
            "this process's CPU time)",
            flush=True,
        )

        seconds = write(ledger, rest)
        print(f"  [{backend}] {check_replay(ledger, history)}", flush=True)
        catch_up = projector.catch_up()
        phases["catch-up"] = catch_up.seconds
        print(
            f"  [{backend}] catch-up: {catch_up.applied:,} events in {catch_up.seconds:.2f} s "
            f"= {catch_up.rate:,.0f}/s (appended in {seconds:.2f} s)",
            flush=True,
        )

        began = time.perf_counter()
        selects.append(select_rate(ledger))
        decodes.append(decode_rate(ledger))
        phases["baselines"] += time.perf_counter() - began
        print(
            f"  [{backend}] baseline again: select {selects[1]:,.0f}/s, select+decode "
            f"{decodes[1]:,.0f}/s",
            flush=True,
        )

        began = time.perf_counter()
        latencies = measure_queries(backend, ledger, read, history, args.runs)
        phases["queries"] = time.perf_counter() - began
        rows = table_counts(read)

        notes: list[str] = []
        # last, in this order: each step after the query profile leaves partial tables
        if args.profile:
            profile_queries(backend, ledger, read, history)
        if args.experiments:
            notes = experiments(backend, ledger, read, history, args.runs)
        if args.profile:
            profile_rebuild(backend, ledger, read)
        return Result(
            backend,
            len(head),
            len(history.stored),
            write_rate,
            selects,
            decodes,
            rebuild,
            catch_up,
            latencies,
            phases,
            rows,
            rebuild_cpu,
            notes,
        )
    finally:
        read.close()
        ledger.close()


# ---- profiling and experiments -----------------------------------------------------------
PROFILE_EVENTS = 50_000


def _profiled(title: str, call: Callable[[], Any], lines: int = 25) -> Any:
    sort = os.environ.get("BENCH_PROFILE_SORT", "tottime")
    profiler = cProfile.Profile()
    profiler.enable()
    result = call()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(lines)
    print(f"\n--- cProfile {title}, by {sort} ---")
    text = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(text) if "ncalls" in line), 0)
    print("\n".join(text[max(0, start - 3) : start + lines + 1]))
    return result


def profile_queries(backend: str, ledger: Ledger, read: ReadStore, history: History) -> None:
    with open_view(ledger, read, CALENDAR, as_of=AS_OF) as view:
        _profiled(
            f"[{backend}] overdue x5", lambda: [queries.overdue(view) for _ in range(5)]
        )
        unit = history.unit_names[1]
        _profiled(
            f"[{backend}] responsibilities(unit) x20",
            lambda: [queries.responsibilities(view, unit=unit) for _ in range(20)],
        )


def profile_rebuild(backend: str, ledger: Ledger, read: ReadStore) -> None:
    """Leaves the read models partial: the store is thrown away afterwards."""
    scratch = ReadStore(read.config)
    try:
        stats = _profiled(
            f"[{backend}] rebuild of the first {PROFILE_EVENTS:,} events",
            lambda: Projector(ledger, scratch, CALENDAR).rebuild(upto=PROFILE_EVENTS),
        )
        print(f"(profiled rebuild: {stats.rate:,.0f} events/s under cProfile)")
    finally:
        scratch.close()


EXPERIMENT_EVENTS = 15_000


def _rebuild_rate(
    ledger: Ledger, store: ReadStore, upto: int, names: list[str] | None = None, **kwargs: Any
) -> tuple[float, float]:
    """(events/s wall, events/s of this process's CPU) for a rebuild up to ``upto``."""
    cpu = time.process_time()
    stats = Projector(ledger, store, CALENDAR).rebuild(names, upto=upto, **kwargs)
    return stats.rate, stats.applied / max(time.process_time() - cpu, 1e-9)


def _sqlite_tuned(config: StoreConfig, statement_cache: int, pragmas: list[str]) -> ReadStore:
    """A read store whose SQLite connections keep ``statement_cache`` prepared statements.

    eventsourcing opens them with ``cached_statements=True``, i.e. a cache of ONE: the
    projector's batches alternate four or five statements per event, so every statement
    is compiled again each time it is run.
    """
    import sqlite3

    from eventsourcing.sqlite import SQLiteConnection

    store = ReadStore(config)
    pool = store.recorder.datastore.pool

    def create() -> SQLiteConnection:
        connection = sqlite3.connect(
            database=pool.db_name,
            uri=True,
            check_same_thread=False,
            isolation_level=None,
            cached_statements=statement_cache,
            timeout=30,
        )
        connection.execute("PRAGMA journal_mode=WAL")
        for pragma in pragmas:
            connection.execute(pragma)
        connection.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=connection, max_age=pool.max_age)

    pool._create_connection = create  # type: ignore[method-assign]
    return store


def _pipelined(config: StoreConfig) -> ReadStore:
    """A PostgreSQL read store that sends a whole batch in one pipeline.

    As shipped, a batch alternates four or five statements per event, so each
    ``executemany`` carries one row and waits for the server: a round trip per row.
    """
    store = ReadStore(config)

    def apply(statements: list[tuple[str, Any]], trackings: list[Any]) -> None:
        with store.transaction(commit=True) as cursor:
            with cursor.connection.pipeline():
                for text, params in statements:
                    cursor.execute(store.sql(text), tuple(params))
            for tracking in trackings:
                store.recorder._insert_tracking(cursor, tracking)

    store.apply = apply  # type: ignore[method-assign]
    return store


def _without_sql(config: StoreConfig) -> ReadStore:
    """A read store that drops every statement: the projector's own Python cost."""
    store = ReadStore(config)
    store.apply = lambda statements, trackings: None  # type: ignore[method-assign]
    return store


def _cached_registry() -> Callable[[], None]:
    """resolving a unit parsed ledger/data/units.json on every call: load it once instead."""
    from ledger.units import UnitRegistry as registry_class

    original = registry_class.__dict__["load_default"]
    loaded = registry_class.load_default()
    registry_class.load_default = classmethod(lambda cls: loaded)  # type: ignore[method-assign]

    def undo() -> None:
        registry_class.load_default = original  # type: ignore[method-assign]

    return undo


def _memoised_evaluation() -> Callable[[], None]:
    """Rows share a handful of (due date, report date, extension): evaluate each once."""
    import functools

    from projections import evaluation

    original = evaluation.evaluate_obligation
    evaluation.evaluate_obligation = functools.lru_cache(maxsize=65536)(original)

    def undo() -> None:
        evaluation.evaluate_obligation = original

    return undo


def _query_latencies(
    ledger: Ledger, read: ReadStore, history: History, runs: int
) -> tuple[Latency, Latency]:
    responsibility, overdue = Latency("responsibilities(unit)"), Latency("overdue")
    with open_view(ledger, read, CALENDAR, as_of=AS_OF) as view:
        queries.overdue(view)
        for i in range(runs):
            unit = history.unit_names[i % len(history.unit_names)]
            responsibility.time(lambda u=unit: queries.responsibilities(view, unit=u))
            overdue.time(lambda: queries.overdue(view))
    return responsibility, overdue


def experiments(
    backend: str, ledger: Ledger, read: ReadStore, history: History, runs: int
) -> list[str]:
    """Candidate fixes, measured against the code as it is, in this process only.

    Queries first (they need the full read models), then rebuilds of the first
    ``EXPERIMENT_EVENTS`` events, which leave the read models partial: run last.
    """
    lines: list[str] = []

    def note(text: str) -> None:
        print(f"  [{backend}] experiment: {text}", flush=True)
        lines.append(f"{backend}: {text}")

    base = _query_latencies(ledger, read, history, runs)
    undo_registry = _cached_registry()
    cached = _query_latencies(ledger, read, history, runs)
    undo_memo = _memoised_evaluation()
    both = _query_latencies(ledger, read, history, runs)
    undo_memo()
    undo_registry()
    note(
        f"responsibilities p50/p95 {base[0].p50:.1f}/{base[0].p95:.1f} ms as is, "
        f"{cached[0].p50:.1f}/{cached[0].p95:.1f} ms with the unit registry loaded once"
    )
    note(
        f"overdue ({base[1].rows:,} rows) p50/p95 {base[1].p50:.1f}/{base[1].p95:.1f} ms as is, "
        f"{both[1].p50:.1f}/{both[1].p95:.1f} ms with evaluate_obligation memoised"
    )

    upto = min(EXPERIMENT_EVENTS, len(history.stored))

    def _no_sql() -> ReadStore:
        return _without_sql(read.config)

    variants: list[tuple[str, Callable[[], ReadStore], dict[str, Any]]] = [
        ("as shipped (batch 1000)", lambda: ReadStore(read.config), {}),
        ("batch 5000", lambda: ReadStore(read.config), {"batch_size": 5000}),
    ]
    variants.append(("no SQL at all (decode + projector Python only)", _no_sql, {}))
    if backend == "postgres":
        variants.append(("one pipeline per batch", lambda: _pipelined(read.config), {}))
    if backend == "sqlite":
        variants += [
            (
                "statement cache 256",
                lambda: _sqlite_tuned(read.config, 256, []),
                {},
            ),
            (
                "statement cache 256 + synchronous=NORMAL",
                lambda: _sqlite_tuned(read.config, 256, ["PRAGMA synchronous=NORMAL"]),
                {},
            ),
            (
                "statement cache 256 + synchronous=NORMAL + batch 5000",
                lambda: _sqlite_tuned(read.config, 256, ["PRAGMA synchronous=NORMAL"]),
                {"batch_size": 5000},
            ),
        ]
    for title, make, kwargs in variants:
        store = make()
        try:
            wall, cpu = _rebuild_rate(ledger, store, upto, **kwargs)
        finally:
            store.close()
        note(f"rebuild of the first {upto:,} events, {title}: {wall:,.0f}/s ({cpu:,.0f}/s CPU)")
    for name in ("registry", "accountability", "audit"):
        store = ReadStore(read.config)
        try:
            wall, cpu = _rebuild_rate(ledger, store, upto, [name])
        finally:
            store.close()
        note(f"rebuild of the first {upto:,} events, {name} projection alone: {wall:,.0f}/s")
    return lines


# ---- output ------------------------------------------------------------------------------
def print_results(results: list[Result]) -> None:
    print()
    for r in results:
        print(
            f"{r.backend:8} rebuild {r.rebuild.rate:8,.0f} ev/s ({r.events:,} events, "
            f"{r.rebuild.seconds:.0f} s, {r.rebuild_cpu:,.0f}/s of CPU; "
            f"{r.rebuild.rate / r.decode_rate:.2f}× select+decode "
            f"{r.decode_rate:,.0f}/s; select alone {r.select_rate:,.0f}/s)   {r.rebuild_verdict} "
            f"(target ≥ {TARGET_REBUILD_RATE:,}/s and ≥ {TARGET_DECODE_SHARE}× select+decode)"
        )
        print(
            f"{r.backend:8} catch-up {r.catch_up.rate:7,.0f} ev/s ({r.catch_up.applied:,} events "
            f"appended to {r.events:,}, {r.catch_up.seconds:.1f} s; "
            f"{r.catch_up.rate / r.decode_rate:.2f}× select+decode)   {r.catch_up_verdict}"
        )
        for q in r.latencies:
            print(
                f"{r.backend:8} {q.name:24} p50 {q.p50:7.1f} ms  p95 {q.p95:7.1f} ms  "
                f"({q.rows:,} rows, {len(q.seconds)} calls at {r.total:,} events)   "
                f"{q.verdict} (target p95 < {TARGET_P95_MS:.0f} ms)"
            )
        for line in r.notes:
            print(f"{r.backend:8} experiment: {line.split(': ', 1)[1]}")
        phases = ", ".join(f"{k} {v:.0f} s" for k, v in r.phases.items())
        rows = ", ".join(f"{k} {v:,}" for k, v in r.rows.items())
        print(f"{r.backend:8} phases: {phases}; rows: {rows}")


def summary_table(results: list[Result], history: History, events: int) -> str:
    lines = [
        f"Read models at scale, `bench/projections.py --events {events}` "
        f"({PLANS} plans × {history.tasks_per_plan} tasks × {history.units_per_task} units = "
        f"{history.assignments:,} assignments, {MONTHS} months of reports, reminders, urges, "
        f"escalations and corrections; rebuild {results[0].events:,} events, catch up "
        f"{results[0].catch_up.applied:,} more, queries at {results[0].total:,}; Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, {date.today().isoformat()}):",
        "",
        "| backend | rebuild events/s | select+decode events/s | rebuild/decode | catch-up "
        "events/s | catch-up/decode | verdicts |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.backend} | {r.rebuild.rate:,.0f} | {r.decode_rate:,.0f} | "
            f"{r.rebuild.rate / r.decode_rate:.2f} | {r.catch_up.rate:,.0f} | "
            f"{r.catch_up.rate / r.decode_rate:.2f} | rebuild {r.rebuild_verdict}, "
            f"catch-up {r.catch_up_verdict} |"
        )
    lines += ["", "| report | " + " | ".join(f"{r.backend} p50 / p95 ms (rows)" for r in results)
              + " |", "|---|" + "---:|" * len(results)]
    for n, latency in enumerate(results[0].latencies):
        cells = [f"{q.p50:.1f} / {q.p95:.1f} ({q.rows:,}) {q.verdict}"
                 for q in (r.latencies[n] for r in results)]
        lines.append(f"| {latency.name} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        f"Targets: rebuild and catch-up ≥ {TARGET_REBUILD_RATE:,} events/s and ≥ "
        f"{TARGET_DECODE_SHARE}× select+decode, every report's p95 < {TARGET_P95_MS:.0f} ms "
        f"at one million events, today and as of {PAST_AS_OF} at half the history."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="events in the history (1,000,000)"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--runs", type=int, default=50, help="calls per query (50)")
    parser.add_argument("--profile", action="store_true", help="cProfile rebuild and queries")
    parser.add_argument(
        "--experiments", action="store_true", help="measure candidate fixes (monkeypatched)"
    )
    args = parser.parse_args(argv)
    if args.events < 10_000 or args.runs < 2:
        parser.error("need --events >= 10000 and --runs >= 2")

    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    skipped: list[str] = []
    if "postgres" in backends:
        problem = postgres_problem()
        if problem is not None:
            message = f"postgres: skipped, {POSTGRES_URL} unreachable: {problem}"
            if args.backend == "postgres":
                print(message, file=sys.stderr)
                return 2
            skipped.append(message)
            backends.remove("postgres")

    started = time.perf_counter()
    history: History | None = None
    results: list[Result] = []
    for backend in backends:
        stores = sqlite_store() if backend == "sqlite" else postgres_store()
        with stores as config:
            if history is None:
                # encoded once, written to every backend: any ledger's mapper will do
                encoder = open_ledger(parse_database_url("sqlite:///:memory:"))
                history = build_history(args.events, encoder)
                encoder.close()
                kinds = ", ".join(f"{k} {v:,}" for k, v in history.types.most_common())
                print(
                    f"history: {len(history.stored):,} events ({kinds}); {history.assignments:,} "
                    f"assignments; generated in {history.seconds['generate']:.0f} s, encoded in "
                    f"{history.seconds['encode']:.0f} s",
                    flush=True,
                )
            print(f"{backend}:", flush=True)
            results.append(measure(backend, config, history, args))

    print_results(results)
    for message in skipped:
        print(message)
    assert history is not None
    print(f"\ntotal {time.perf_counter() - started:.0f} s\n")
    print(summary_table(results, history, args.events))
    passed = all(
        r.rebuild_verdict == r.catch_up_verdict == "PASS"
        and all(q.verdict == "PASS" for q in r.latencies)
        for r in results
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
