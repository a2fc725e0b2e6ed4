"""Reports judged by the rules as recorded (issue 14): a report at a fixed (date, position)
reads the same after a later change of a threshold or of the holiday data, and one at the
head reflects the change. Real stores on both backends, the reports as the API and the
CLI compute them (:func:`api.paging.report_rows`), and the command line as typed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from api import paging
from api.services import initialise
from ledger import ids
from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.calendar import CalendarBase
from ledger.rules import DEFAULTS, RULES_SINCE, ReportingRules
from ledger.store import StoreConfig
from projections.db import ReadStore
from projections.rules import rules_at
from projections.views import open_view
from tests.projections.helpers import import_seeds
from tests.test_cli import run, url_of

AS_OF = date(2026, 7, 1)  # the test clock's day
EVERYWHERE = {"unit": None, "plan": None, "task": None}


@pytest.fixture
def store(ledger: Ledger, store_config: StoreConfig) -> Iterator[ReadStore]:
    # after the ledger: on PostgreSQL it makes the schema
    read = ReadStore(store_config, create_tables=True)
    yield read
    read.close()


def office(ledger: Ledger) -> Act:
    return Act.by(ledger.clock, "office-clerk", "office")


def report(ledger: Ledger, store: ReadStore, kind: str, position: int | None = None) -> list:
    calendar = ledger.working_calendar()
    with open_view(ledger, store, calendar, as_of=AS_OF, position=position) as view:
        return paging.report_rows(kind, view, EVERYWHERE)


def light(rows: list[dict], task: str, indicator: str) -> str:
    return next(r["light"] for r in rows
                if r["task_number"] == task and r["indicator"] == indicator)


def test_a_target_report_reads_the_same_after_a_later_threshold_change(
    ledger: Ledger, store: ReadStore
) -> None:
    initialise(ledger, store, Act.by(ledger.clock, "db-init", "system"))
    import_seeds(ledger)
    fixed = ledger.position()
    before = report(ledger, store, "targets", fixed)
    # 9.9 points behind the time elapsed: yellow under the recorded default of 10
    assert light(before, "（十三）", "补贴性职业技能培训") == "yellow"

    ledger.record_rules(office(ledger), DEFAULTS.changed(yellow_within=5))
    assert ledger.position() == fixed + 1

    assert report(ledger, store, "targets", fixed) == before  # the same, byte for byte
    head = report(ledger, store, "targets")
    assert light(head, "（十三）", "补贴性职业技能培训") == "red"
    assert rules_at(store, fixed, AS_OF).values.yellow_within == 10
    assert rules_at(store, None, AS_OF).values.yellow_within == 5
    # a rule dated today does not judge a report as of an earlier day
    assert rules_at(store, None, date(2026, 6, 30)).values.yellow_within == 10


def test_an_empty_store_reads_the_defaults(store: ReadStore) -> None:
    """No rules recorded (a store ``db init`` has not upgraded yet): the code's defaults
    and the installed package's holidays, as before rules were recorded."""
    rules = rules_at(store, 0, AS_OF)
    assert rules.version == 0 and rules.values == DEFAULTS and rules.calendar_base is None


def made_up_base() -> CalendarBase:
    """The package's data, except that Tuesday 2026-08-04 is a holiday."""
    package = CalendarBase.from_package()
    holidays, workdays = package.years[2026]
    return CalendarBase("chinesecalendar 0.0-test", {
        **package.years, 2026: ({**holidays, date(2026, 8, 4): "Test Day"}, workdays)})


def july_dispatches(rows: list[dict]) -> set[str]:
    return {r["due_on"] for r in rows if r["rule"] == "monthly-dispatch"
            and r["period"] == "2026-07"}


def test_an_old_position_keeps_the_holiday_data_recorded_then(
    ledger: Ledger, store: ReadStore
) -> None:
    """Version 1 records holiday data that differs from the installed package (as an
    older package's would); the package's own data is recorded later. Due dates as of
    the old position stay counted on the old data, those at the head on the new."""
    ledger.commit(ReportingRules.open(
        Act.by(ledger.clock, "db-init", "system").on(RULES_SINCE),
        ids.reporting_rules_id(), DEFAULTS, made_up_base(),
    ))
    import_seeds(ledger)  # nothing reported: every July dispatch is owed
    fixed = ledger.position()
    # 月初5个工作日内: August's 5th working day, with 4 August a holiday, is the 10th
    with open_view(ledger, store, ledger.working_calendar(), as_of=date(2026, 8, 20),
                   position=fixed) as view:
        assert not view.calendar.is_workday(date(2026, 8, 4))
        owed = _obligations(view)
    assert july_dispatches(owed) == {"2026-08-10"}

    assert ledger.record_rules(office(ledger), DEFAULTS, CalendarBase.from_package()).created
    # the old position, now read from the live tables (a later version is recorded):
    # its calendar and the due dates counted on it are those of then
    with open_view(ledger, store, ledger.working_calendar(), as_of=date(2026, 8, 20),
                   position=fixed) as view:
        assert not view.current and not view.calendar.is_workday(date(2026, 8, 4))
        assert july_dispatches(_obligations(view)) == {"2026-08-10"}
    with open_view(ledger, store, ledger.working_calendar(), as_of=date(2026, 8, 20)) as view:
        assert view.calendar.is_workday(date(2026, 8, 4))
        assert july_dispatches(_obligations(view)) == {"2026-08-07"}
    # and a rebuild from the events counts the same
    from projections.projector import Projector

    Projector(ledger, store, ledger.working_calendar()).rebuild()
    with open_view(ledger, store, ledger.working_calendar(), as_of=date(2026, 8, 20)) as view:
        assert july_dispatches(_obligations(view)) == {"2026-08-07"}


def _obligations(view) -> list[dict]:
    from projections import queries

    return queries.obligations(view)


def test_db_init_records_the_rules_and_horizons_once(
    ledger: Ledger, store: ReadStore, store_config: StoreConfig
) -> None:
    from tests.ledger.test_rules import store_v1_plan

    act = Act.by(ledger.clock, "importer", "system", business_date=date(2024, 3, 1))
    plan_id = store_v1_plan(ledger, act, "old-plan", date(2024, 3, 1))
    reread = open_ledger(store_config, clock=ledger.clock)
    try:
        done = initialise(reread, store, Act.by(reread.clock, "db-init", "system"))
        assert (done.rules_position, done.horizons) == (2, 1)
        again = initialise(reread, store, Act.by(reread.clock, "db-init", "system"))
        assert (again.rules_position, again.horizons) == (None, 0)
        assert reread.position() == 3
        calendar = reread.working_calendar()
        with open_view(reread, store, calendar) as view:
            rows = view.store.query("SELECT plan_id, horizon FROM {s}rm_plan_horizons")
        assert rows == [{"plan_id": str(plan_id), "horizon": "2032-06-30"}]
    finally:
        reread.close()


# ---- the command line ------------------------------------------------------------------
def test_rules_on_the_command_line(store_config: StoreConfig, tmp_path: Path) -> None:
    url = url_of(store_config)
    first = run(["db", "init"], tmp_path, url)
    assert first.returncode == 0 and "version 1" in first.stdout
    assert run(["db", "init"], tmp_path, url).returncode == 0
    events = run(["events", "--json"], tmp_path, url)
    assert [json.loads(line)["type"] for line in events.stdout.splitlines()] == ["Opened"]

    shown = json.loads(run(["rules", "show", "--json"], tmp_path, url).stdout)
    assert (shown["version"], shown["yellow_within"]) == (1, 10.0)
    assert shown["calendar"]["years"][0] == 2004

    changed = run(["rules", "set", "--yellow-within", "7.5", "--weight-urge-cost", "0.1"],
                  tmp_path, url)
    assert changed.returncode == 0, changed.stderr
    shown = json.loads(run(["rules", "show", "--json"], tmp_path, url).stdout)
    assert (shown["version"], shown["yellow_within"], shown["weights"]["urge_cost"]) == (
        2, 7.5, 0.1)
    history = json.loads(run(["rules", "show", "--json", "--history"], tmp_path, url).stdout)
    assert [v["version"] for v in history] == [1, 2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--yellow-within", "nan"], "is not a finite number"),
        (["--yellow-within", "inf"], "is not a finite number"),
        (["--yellow-within", "x"], "is not a number"),
        (["--yellow-within", "0"], "yellow_within must be above 0"),
        (["--yellow-within", "250"], "at most 100"),
        (["--weight-on-time", "-3"], "weight on_time must be at least 0"),
        (["--weight-commend-at", "40"], "cannot exceed commend_at"),
        ([], "needs at least one of"),
    ],
)
def test_rules_set_refuses_bad_numbers_and_writes_nothing(
    sqlite_config: StoreConfig, tmp_path: Path, args: list[str], message: str
) -> None:
    url = url_of(sqlite_config)
    assert run(["db", "init"], tmp_path, url).returncode == 0
    result = run(["rules", "set", *args], tmp_path, url)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    events = run(["events", "--json"], tmp_path, url).stdout.splitlines()
    assert len(events) == 1  # only db init's
