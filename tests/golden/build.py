"""The golden fixture: both seeds, five real months of scheduler ticks, and reports.

Built from nothing, deterministically, so the read side can be refactored against
what it says today (issue 13): a fresh SQLite store made as ``taskledger db init``
makes it, both seed plans imported, then every real (not simulated) day from
2026-06-01 to 2026-10-31 on a fixed clock: the scheduler's daily tick (reminders,
urges, escalations, cycles, briefings issued into a folder) and the progress reports
of a few units, interleaved by business date (:data:`SCHEDULE`).

Nothing varies between builds: the clock is fixed (09:00 Asia/Shanghai for the tick,
10:00 for the units), every act the fixture writes has a uuid5 correlation id, and
the acts the scheduler builds itself (``Act.by`` without an id) draw theirs from
:func:`deterministic_correlation_ids`, a counter, while the build runs. Event ids are
uuid5 of stream and version already.
"""

from __future__ import annotations

import contextlib
import io
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from ledger import acts as acts_module
from ledger import ids
from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.calendar import WorkingDayCalendar
from ledger.clock import BUSINESS_TZ, FixedClock
from ledger.importer import decode_document, parse_plan
from ledger.importing import import_plan
from ledger.periods import Period
from ledger.store import StoreConfig, parse_database_url
from projections import lookup
from projections.db import ReadStore
from projections.projector import Projector
from scheduler.tick import SCHEDULER_ACTOR, briefing_hook, run_tick
from tests.conftest import SEEDS

FIRST_DAY = date(2026, 6, 1)
LAST_DAY = date(2026, 10, 31)
NAMESPACE = uuid.UUID("6f1d7a52-4b7e-5c1a-9a57-130000000000")  # issue 13's golden files
TICK_AT = time(9, 0)  # Asia/Shanghai, as the scheduler's default
UNITS_AT = time(10, 0)

STABLE = "稳岗扩容"  # plan 000: quarterly reports (Q1–Q3), annual
PROMOTION = "就业促进行动"  # plan 001: monthly dispatch, due the 5th working day after
MONTHLY = "monthly-dispatch"
QUARTERLY = "implementation-report-quarterly"
HR = "自治区人力资源社会保障厅"
EDU = "自治区教育厅"
FIN = "自治区财政厅"
HOHHOT = "呼和浩特市"
BAOTOU = "包头市"


def correlation(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(str(p) for p in parts)))


@contextlib.contextmanager
def deterministic_correlation_ids(sequence: str = "act-by") -> Iterator[None]:
    """While the fixture is built, an ``Act.by`` given no correlation id (the
    scheduler's own acts, the briefing hook's) gets the next of a fixed sequence
    instead of a random one. Only ``ledger.acts``' reference to :mod:`uuid` is
    replaced, and put back afterwards."""
    counter = [0]

    class _Sequence:
        UUID = uuid.UUID

        @staticmethod
        def uuid4() -> uuid.UUID:
            counter[0] += 1
            return uuid.uuid5(NAMESPACE, f"{sequence}\x1f{counter[0]}")

    original = acts_module.uuid
    acts_module.uuid = _Sequence  # type: ignore[assignment]
    try:
        yield
    finally:
        acts_module.uuid = original


def at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=BUSINESS_TZ).astimezone(UTC)


@dataclass
class Golden:
    """The built fixture: where it is, and what the reads need to name things."""

    folder: Path
    url: str
    config: StoreConfig
    briefings: Path
    ids: dict[str, str]
    clock: FixedClock


# ---- the units' side: what each reports, and when ---------------------------------------
@dataclass(frozen=True)
class Step:
    """One thing a unit or the office does on a business day."""

    day: date
    kind: str  # report | correct | request-extension | decide-extension
    plan: str
    task: str
    unit: str
    period: str
    note: str = ""
    metrics: dict[str, Any] | None = None


def due_of(calendar: WorkingDayCalendar, period: str) -> date:
    """The 5th working day of the month after the period (both plans' rule)."""
    end = Period.parse(period).end
    after = end + timedelta(days=1)
    return calendar.nth_workday_of_month(after.year, after.month, 5)


def schedule(calendar: WorkingDayCalendar) -> list[Step]:
    """Plan 001 (monthly) for four units and plan 000 (quarterly) for HR:

    * HR, 001 task 11: every month two working days early (on time);
    * Hohhot, 001 task 1: on time for May–July, three working days late for Aug, Sep;
    * education, 001 task 10: always three working days late;
    * finance, 001 task 5: on time for May, June; July asks for an extension two
      working days before the due date, the office approves it the next working day
      (five working days more) and finance reports on the new date; August late;
      September never;
    * Baotou, 001 task 1: never (the ladder escalates it);
    * HR, 000 （十一）: Q2 on time with a figure, then a partial correction (the figure
      only, wording kept); Q3 late; HR, 000 （十三）: Q2 late, Q3 never.
    """
    add = calendar.add_workdays
    steps: list[Step] = []
    months = ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09"]
    for index, period in enumerate(months):
        due = due_of(calendar, period)
        share = {"全区技工院校工学一体化专业占比": 46 + index}
        steps.append(Step(add(due, -2), "report", PROMOTION, "11", HR, period,
                          f"{period}技工院校推进情况", share))
        hohhot_day = add(due, -1) if index < 3 else add(due, 3)
        steps.append(Step(hohhot_day, "report", PROMOTION, "1", HOHHOT, period,
                          f"{period}呼和浩特市创业培训进展", {"创业培训": 1000 * (index + 1)}))
        steps.append(Step(add(due, 3), "report", PROMOTION, "10", EDU, period,
                          f"{period}教育厅培训进展（迟报）"))
        if period == "2026-07":
            steps.append(Step(add(due, -2), "request-extension", PROMOTION, "5", FIN, period,
                              "数据核对中，申请延期五个工作日"))
            steps.append(Step(add(due, -1), "decide-extension", PROMOTION, "5", FIN, period,
                              "同意延期"))
            steps.append(Step(add(due, 5), "report", PROMOTION, "5", FIN, period,
                              "七月市场主体进展（延期后报送）"))
        elif period == "2026-08":
            steps.append(Step(add(due, 2), "report", PROMOTION, "5", FIN, period,
                              "八月市场主体进展（迟报）"))
        elif period != "2026-09":  # September: never reported
            steps.append(Step(add(due, -1), "report", PROMOTION, "5", FIN, period,
                              f"{period}市场主体进展"))
    q2_due = due_of(calendar, "2026-Q2")
    q3_due = due_of(calendar, "2026-Q3")
    steps += [
        Step(add(q2_due, -2), "report", STABLE, "（十一）", HR, "2026-Q2",
             "二季度创业培训累计9800人。", {"创业培训": 9800}),
        Step(add(q2_due, 3), "correct", STABLE, "（十一）", HR, "2026-Q2",
             "核减重复统计", {"创业培训": 9650}),
        Step(add(q2_due, 4), "report", STABLE, "（十三）", HR, "2026-Q2",
             "二季度补贴性职业技能培训4.1万人次（迟报）。", {"补贴性职业技能培训": 41_000}),
        Step(add(q3_due, 2), "report", STABLE, "（十一）", HR, "2026-Q3",
             "三季度创业培训累计15000人（迟报）。", {"创业培训": 15_000}),
    ]
    return sorted(steps, key=lambda s: (s.day, s.plan, s.task, s.unit, s.kind))


# ---- building ------------------------------------------------------------------------
def db_init(url: str, clock: FixedClock) -> None:
    """``taskledger db init``, in process (its output is not kept), on the fixture's
    clock: it records the reporting rules, whose event would otherwise carry the day
    the fixture was built. Only ``api.cli.context``'s reference to ``SystemClock`` is
    replaced, and put back afterwards."""
    from api import cli
    from api.cli import context as context_module

    original = context_module.SystemClock
    context_module.SystemClock = lambda: clock  # type: ignore[assignment,misc,return-value]
    try:
        with contextlib.redirect_stdout(io.StringIO()), deterministic_correlation_ids("db-init"):
            code = cli.main(["--database-url", url, "db", "init"])
    finally:
        context_module.SystemClock = original  # type: ignore[misc]
    if code != 0:
        raise RuntimeError(f"db init failed with {code}")


def build(folder: Path, *, progress: Callable[[date], None] | None = None) -> Golden:
    """Build the fixture in ``folder`` (empty or new); returns how to read it."""
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'ledger.sqlite'}"
    config = parse_database_url(url)
    briefings = folder / "briefings"
    briefings.mkdir(exist_ok=True)
    clock = FixedClock(at(date(2026, 5, 31), time(18, 0)))
    db_init(url, clock)
    with deterministic_correlation_ids():
        ledger = open_ledger(config, clock=clock)
        store = ReadStore(config)
        try:
            found = _run(ledger, store, clock, briefings, progress)
        finally:
            store.close()
            ledger.close()
    return Golden(folder, url, config, briefings, found, clock)


def _run(ledger: Ledger, store: ReadStore, clock: FixedClock, briefings: Path,
         progress: Callable[[date], None] | None) -> dict[str, str]:
    importer = Act.by(clock, "importer", "office", correlation_id=correlation("import"))
    for path in sorted(SEEDS.glob("*.txt")):
        import_plan(ledger, parse_plan(decode_document(path.read_bytes())), importer)
    calendar = ledger.working_calendar()
    Projector(ledger, store, calendar).catch_up()
    plans = {name: lookup.resolve_plan(store, name).plan_id for name in (STABLE, PROMOTION)}
    units = {name: lookup.resolve_unit(store, name).unit_id
             for name in (HR, EDU, FIN, HOHHOT, BAOTOU)}

    def assignment(plan: str, task: str, unit: str) -> UUID:
        return ids.assignment_id(ids.task_id(UUID(plans[plan]), task), UUID(units[unit]))

    steps = schedule(calendar)
    reports: dict[tuple[str, str, str, str], UUID] = {}
    requests: dict[tuple[str, str, str, str], UUID] = {}

    def brief_act(day: date) -> Act:
        return Act.by(clock, SCHEDULER_ACTOR, "system", business_date=day,
                      correlation_id=correlation("briefing", day))

    hook = briefing_hook(ledger, store, briefings, brief_act)
    day = FIRST_DAY
    while day <= LAST_DAY:
        clock.instant = at(day, TICK_AT)
        run_tick(ledger, store, day, wall=clock, simulated=False, after_cycle=hook)
        clock.instant = at(day, UNITS_AT)
        for number, step in enumerate(s for s in steps if s.day == day):
            _take(ledger, clock, step, number, assignment(step.plan, step.task, step.unit),
                  reports, requests)
        if progress is not None:
            progress(day)
        day += timedelta(days=1)
    Projector(ledger, store, calendar).catch_up()
    hr_eleven = assignment(STABLE, "（十一）", HR)
    return {
        "plan": plans[STABLE],
        "plan_monthly": plans[PROMOTION],
        "task": str(ids.task_id(UUID(plans[STABLE]), "（十一）")),
        "task_monthly": str(ids.task_id(UUID(plans[PROMOTION]), "1")),
        "unit": units[HR],
        "unit_silent": units[BAOTOU],
        "unit_finance": units[FIN],
        "assignment": str(hr_eleven),
        "assignment_extended": str(assignment(PROMOTION, "5", FIN)),
        "assignment_silent": str(assignment(PROMOTION, "1", BAOTOU)),
        "assignment_late": str(assignment(PROMOTION, "10", EDU)),
    }


def _take(ledger: Ledger, clock: FixedClock, step: Step, number: int, assignment_id: UUID,
          reports: dict, requests: dict) -> None:
    key = (step.plan, step.task, step.unit, step.period)
    role = "office" if step.kind == "decide-extension" else "liaison"
    actor = "office-clerk" if role == "office" else f"liaison:{step.unit}"
    act = Act.by(clock, actor, role, correlation_id=correlation(step.day, number, *key))
    obligation = MONTHLY if step.plan == PROMOTION else QUARTERLY
    if step.kind == "report":
        reports[key] = ledger.report_progress(act, assignment_id, step.period, step.note,
                                              step.metrics).event_id
    elif step.kind == "correct":
        ledger.correct_progress(act, assignment_id, reports[key], None, step.metrics, step.note)
    elif step.kind == "request-extension":
        due = ledger.working_calendar().add_workdays(due_of(ledger.working_calendar(),
                                                            step.period), 5)
        requests[key] = ledger.request_extension(act, assignment_id, obligation, step.period,
                                                 due, step.note).event_id
    elif step.kind == "decide-extension":
        ledger.decide_extension(act, assignment_id, requests[key], True, note=step.note)
    else:
        raise ValueError(step.kind)


@contextlib.contextmanager
def briefings_folder(folder: Path) -> Iterator[None]:
    """The API serves briefings from ``TASKLEDGER_BRIEFINGS_DIR``: point it at ours."""
    from scheduler.folders import BRIEFINGS_DIR_VARIABLE

    before = os.environ.get(BRIEFINGS_DIR_VARIABLE)
    os.environ[BRIEFINGS_DIR_VARIABLE] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(BRIEFINGS_DIR_VARIABLE, None)
        else:
            os.environ[BRIEFINGS_DIR_VARIABLE] = before
