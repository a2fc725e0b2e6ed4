"""Events appended per second: ledger commands versus a bare eventsourcing Application.

Not a test and not run in CI. Usage (from the repository root)::

    .venv/bin/python bench/append.py [--events N] [--backend sqlite|postgres|both]

For each backend the same run measures, interleaved in several rounds (the order
rotates every round, so machine noise hits every contender alike):

- ``report_progress``: ``Ledger.report_progress`` on a set of assignments, one event
  per call, each call its own transaction (read the assignment and the plan, decide,
  write), as a liaison's report arrives through the API;
- ``issue_reminder``: ``Ledger.issue_reminder`` from the office, one event per call,
  checked against the obligation it names (the plan's duties, the working calendar's
  latest version: one indexed read); each call names another owed month or business
  date, since the office's same chase on one day is recorded once (up to ~6,000 calls);
- ``bare``: a bare eventsourcing ``Application`` saving trivial one-event aggregates,
  each in its own ``app.save()``: the floor cost of one append on that store.

It prints each rate, the ratio ledger/bare and PASS/FAIL against the target ratio
(0.7, issue 3), then a Markdown summary table for the README. ``--profile`` adds a
cProfile of the ledger loop (sorted by ``$BENCH_PROFILE_SORT``, default cumulative), to
see where time goes; ``--ledger-env KEY=VALUE`` tries an eventsourcing setting (e.g.
``AGGREGATE_CACHE_MAXSIZE=1000``) on the ledger only.

SQLite runs on a temporary file; PostgreSQL on a fresh schema in the ``test`` database
at 127.0.0.1:5432 (override with ``TASKLEDGER_BENCH_POSTGRES_URL``), dropped afterwards.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from ledger import store as store_module
from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.clock import FixedClock
from ledger.store import StoreConfig, parse_database_url

TARGET_RATIO = 0.7
POSTGRES_URL = os.environ.get(
    "TASKLEDGER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
# A liaison's report of ordinary length: a few sentences with figures.
NARRATIVE = (
    "本月围绕重点群体就业，组织开展职业技能培训12期，培训各类人员1,350人次，"
    "其中高校毕业生420人、农牧民转移就业人员610人；新增就业见习岗位86个，"
    "发放稳岗补贴资金312万元。下一步将继续推进培训与岗位对接，按期报送进展。"
)
UNITS = ("自治区人力资源社会保障厅", "自治区教育厅", "自治区财政厅", "自治区农牧厅", "呼和浩特市")


class Tick(Aggregate):
    """The trivial aggregate of the bare baseline: one ``Created`` event, one field."""

    def __init__(self, n: int) -> None:
        self.n = n


class BareApp(Application[UUID]):
    """The baseline: plain eventsourcing on the same store settings as the ledger."""

    name = "benchbare"


@dataclass
class Contender:
    """One thing being timed: a function that appends exactly one event per call."""

    name: str
    append: Callable[[int], None]
    seconds: list[float] = field(default_factory=list)
    events: list[int] = field(default_factory=list)

    def run(self, count: int, start: int) -> None:
        began = time.perf_counter()
        for i in range(start, start + count):
            self.append(i)
        self.seconds.append(time.perf_counter() - began)
        self.events.append(count)

    @property
    def rate(self) -> float:
        return sum(self.events) / sum(self.seconds)

    def round_rates(self) -> list[float]:
        return [n / s for n, s in zip(self.events, self.seconds, strict=True)]


@dataclass
class Result:
    backend: str
    command: str
    ledger_rate: float
    bare_rate: float
    round_ratios: list[float]
    stream_length: int

    @property
    def ratio(self) -> float:
        return self.ledger_rate / self.bare_rate

    @property
    def verdict(self) -> str:
        return "PASS" if self.ratio >= TARGET_RATIO else "FAIL"


# ---- stores ---------------------------------------------------------------------------
@contextmanager
def sqlite_stores() -> Iterator[tuple[StoreConfig, StoreConfig]]:
    """Two files in one temporary directory: eventsourcing's SQLite table name is fixed."""
    with tempfile.TemporaryDirectory(prefix="taskledger-bench-") as directory:
        yield (
            parse_database_url(f"sqlite:///{directory}/ledger.sqlite"),
            parse_database_url(f"sqlite:///{directory}/bare.sqlite"),
        )


@contextmanager
def postgres_stores() -> Iterator[tuple[StoreConfig, StoreConfig]]:
    """One fresh schema for both (their tables are named after each application)."""
    with store_module.temporary_schema(POSTGRES_URL, "tl_bench") as config:
        yield config, config


def postgres_problem() -> str | None:
    return store_module.postgres_problem(parse_database_url(POSTGRES_URL))


def open_bare(config: StoreConfig) -> BareApp:
    if config.backend == "sqlite":
        assert config.sqlite_path is not None
        config.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    # The very same settings the ledger gets (pool, timeouts, schema), table creation on.
    return BareApp(env=config.eventsourcing_env(create_tables=True))


# ---- the ledger's world ---------------------------------------------------------------
def build_assignments(ledger: Ledger, tasks: int) -> list[UUID]:
    """One plan, ``tasks`` tasks, each with a lead and co-units: untimed setup."""
    act = Act.by(ledger.clock, "bench", "system", business_date=date(2026, 1, 5))
    plan = ledger.register_plan(
        act,
        "bench-plan",
        doc_number="基准〔2026〕1号",
        title="基准测试实施方案",
        issuer="基准测试领导小组",
        issued_on=date(2026, 1, 5),
        source_sha256="0" * 64,
        targets=[],
        obligations=[],
        task_numbers=[f"（{ordinal}）" for ordinal in range(1, tasks + 1)],
    ).stream_id
    units = [ledger.register_unit(act, name, "department").stream_id for name in UNITS]
    assignments = []
    for ordinal in range(1, tasks + 1):
        task = ledger.register_task(
            act,
            plan,
            f"（{ordinal}）",
            ordinal=ordinal,
            section="二、重点任务",
            title=f"任务{ordinal}",
            text=f"任务{ordinal}的全文。",
            targets=[{"indicator": "培训", "value": 20000, "measure": "人次"}],
            obligations=[],
            units=[
                {"name": name, "role": "lead" if i == 0 else "co", "kind": "department"}
                for i, name in enumerate(UNITS)
            ],
        ).stream_id
        for index, unit in enumerate(units):
            role = "lead" if index == 0 else "co"
            assignments.append(ledger.assign(act, task, unit, role, source="document").stream_id)
    return assignments


def ledger_contenders(ledger: Ledger, assignments: list[UUID]) -> list[Contender]:
    clock = ledger.clock

    def report(i: int) -> None:
        act = Act.by(clock, "liaison:bench", "liaison")
        receipt = ledger.report_progress(
            act,
            assignments[i % len(assignments)],
            "2026-06",
            NARRATIVE,
            {"培训人次": 1350 + i, "补贴资金万元": 312.5},
            idempotency_key=f"bench-report-{i}",
        )
        assert receipt.created

    months = ("2026-02", "2026-03", "2026-04", "2026-05")  # owed, never reported here

    def remind(i: int) -> None:
        # the n-th reminder on a stream: another (month, business date) pair each time
        n = i // len(assignments)
        day = clock.today() - timedelta(days=(n // len(months)) % 30)  # all in June
        act = Act.by(clock, "office-clerk", "office", business_date=day)
        receipt = ledger.issue_reminder(
            act,
            assignments[i % len(assignments)],
            "monthly-progress",
            months[n % len(months)],
            None,
            "月度进展报告已到期，请尽快报送。",
        )
        assert receipt.created

    return [Contender("report_progress", report), Contender("issue_reminder", remind)]


def bare_contender(app: BareApp) -> Contender:
    def save(i: int) -> None:
        app.save(Tick(i))

    return Contender("bare", save)


# ---- one backend ----------------------------------------------------------------------
def measure(
    backend: str,
    ledger_config: StoreConfig,
    bare_config: StoreConfig,
    events: int,
    rounds: int,
    tasks: int,
    profile: bool,
    ledger_env: dict[str, str] | None = None,
) -> list[Result]:
    clock = FixedClock(datetime(2026, 7, 1, 1, 0, tzinfo=UTC))  # 09:00 Shanghai, a Wednesday
    if ledger_env:
        # An experiment (e.g. AGGREGATE_CACHE_MAXSIZE=1000): the production path plus
        # extra eventsourcing settings, to measure a fix before making it.
        open_ledger(ledger_config, create_tables=True).close()
        env = ledger_config.eventsourcing_env(create_tables=False) | ledger_env
        ledger = Ledger(env=env, clock=clock)
    else:
        ledger = open_ledger(ledger_config, clock=clock, create_tables=True)
    bare = open_bare(bare_config)
    try:
        assignments = build_assignments(ledger, tasks)
        contenders = [bare_contender(bare), *ledger_contenders(ledger, assignments)]
        # Warm-up (connections, first-call imports, SQLite page cache): not counted.
        for contender in contenders:
            for i in range(len(assignments)):
                contender.append(10_000_000 + i)
        per_round = max(1, events // rounds)
        for r in range(rounds):
            order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]
            for contender in order:
                contender.run(per_round, start=r * per_round)
            print(
                f"  [{backend}] round {r + 1}/{rounds}: "
                + "  ".join(f"{c.name} {c.round_rates()[-1]:7.0f}/s" for c in contenders),
                flush=True,
            )
        bare_c = contenders[0]
        # Each ledger contender wrote a warm-up event and its share on every assignment.
        stream_length = 1 + len(contenders[1:]) * (1 + (per_round * rounds) // len(assignments))
        results = [
            Result(
                backend,
                c.name,
                c.rate,
                bare_c.rate,
                [lr / br for lr, br in zip(c.round_rates(), bare_c.round_rates(), strict=True)],
                stream_length,
            )
            for c in contenders[1:]
        ]
        if profile:
            profile_ledger(backend, contenders[1:], per_round)
        return results
    finally:
        ledger.close()
        bare.close()


def profile_ledger(backend: str, contenders: list[Contender], count: int) -> None:
    sort = os.environ.get("BENCH_PROFILE_SORT", "cumulative")
    for contender in contenders:
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(count):
            contender.append(20_000_000 + i)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort)
        stats.print_stats(30)
        print(f"\n--- cProfile [{backend}] {contender.name}, {count} calls, by {sort} ---")
        print("\n".join(out.getvalue().splitlines()[:60]))


# ---- output ---------------------------------------------------------------------------
def print_results(results: list[Result]) -> None:
    for r in results:
        spread = ", ".join(f"{x:.2f}" for x in r.round_ratios)
        print(
            f"{r.backend:8} {r.command:16} ledger {r.ledger_rate:8.0f} ev/s   "
            f"bare {r.bare_rate:8.0f} ev/s   ratio {r.ratio:.2f} "
            f"(median of rounds {statistics.median(r.round_ratios):.2f}; {spread})   "
            f"{r.verdict} (target {TARGET_RATIO})"
        )


def summary_table(
    results: list[Result], events: int, rounds: int, tasks: int, ledger_env: dict[str, str]
) -> str:
    longest = max((r.stream_length for r in results), default=0)
    extra = "".join(f" --ledger-env {k}={v}" for k, v in ledger_env.items())
    lines = [
        f"Append throughput, `bench/append.py --events {events}{extra}` ({rounds} interleaved "
        f"rounds, {tasks * len(UNITS)} assignment streams growing to ~{longest} events; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {date.today().isoformat()}):",
        "",
        "| backend | ledger command | ledger events/s | bare events/s | ledger/bare | "
        f"target ≥ {TARGET_RATIO} |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.backend} | `{r.command}` | {r.ledger_rate:,.0f} | {r.bare_rate:,.0f} | "
            f"{r.ratio:.2f} | {r.verdict} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events", type=int, default=1500, help="events per contender per backend (1500)"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds (6)")
    parser.add_argument(
        "--tasks", type=int, default=10, help=f"tasks, each with {len(UNITS)} units (10)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the ledger commands")
    parser.add_argument(
        "--ledger-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra eventsourcing setting for the ledger only, to try a fix (repeatable)",
    )
    args = parser.parse_args(argv)
    ledger_env = dict(item.split("=", 1) for item in args.ledger_env if "=" in item)
    if len(ledger_env) != len(args.ledger_env):
        parser.error("--ledger-env takes KEY=VALUE")
    if args.events < args.rounds or args.rounds < 1 or args.tasks < 1:
        parser.error("need --events >= --rounds >= 1 and --tasks >= 1")

    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results: list[Result] = []
    skipped: list[str] = []
    for backend in backends:
        if backend == "postgres":
            problem = postgres_problem()
            if problem is not None:
                message = f"postgres: skipped, {POSTGRES_URL} unreachable: {problem}"
                if args.backend == "postgres":
                    print(message, file=sys.stderr)
                    return 2
                skipped.append(message)
                continue
        stores = sqlite_stores() if backend == "sqlite" else postgres_stores()
        print(f"{backend}: {args.events} events per contender, {args.rounds} rounds", flush=True)
        with stores as (ledger_config, bare_config):
            results += measure(
                backend,
                ledger_config,
                bare_config,
                args.events,
                args.rounds,
                args.tasks,
                args.profile,
                ledger_env,
            )

    print()
    print_results(results)
    for message in skipped:
        print(message)
    print()
    print(summary_table(results, args.events, args.rounds, args.tasks, ledger_env))
    return 0 if all(r.verdict == "PASS" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
