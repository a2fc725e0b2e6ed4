"""Reports as of (business date, position) read from the live tables equal a replay of
only the events that count (the snapshot oracle, ``projections.snapshot.replayed``),
for random histories: reports dated out of order, corrections, extensions, ends and
reinstatements, role changes, new assignments, chases and calendar marks, with the
asked (date, position) falling anywhere among them."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import ids
from ledger.acts import Act
from ledger.application import Ledger, open_ledger
from ledger.clock import FixedClock
from ledger.errors import LedgerError
from ledger.store import parse_database_url
from projections import queries
from projections.db import ReadStore
from projections.projector import Projector
from projections.snapshot import replayed
from projections.views import live_view
from tests.projections.helpers import import_seeds

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
TODAY = date(2026, 11, 25)
FIRST_DAY = date(2026, 5, 1)
DAYS = (TODAY - FIRST_DAY).days
#: the assignments the random histories act on: few enough that acts meet each other
CAST = 24


def _open(path: Path) -> tuple[Ledger, ReadStore]:
    config = parse_database_url(f"sqlite:///{path}")
    ledger = open_ledger(config, clock=FixedClock(NOW), create_tables=True)
    return ledger, ReadStore(config, create_tables=True)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Both seeds imported and projected, once: each example starts from a copy."""
    folder = tmp_path_factory.mktemp("as-of-oracle")
    path = folder / "seeded.sqlite"
    ledger, store = _open(path)
    import_seeds(ledger)
    Projector(ledger, store, None).catch_up()
    rows = store.query(
        "SELECT assignment_id, task_id, unit_id FROM rm_assignments ORDER BY assignment_id")
    tasks = sorted({r["task_id"] for r in rows})
    units = sorted({r["unit_id"] for r in rows})
    cast = rows[:: max(1, len(rows) // CAST)][:CAST]
    owed = {
        r["assignment_id"]: store.query(
            "SELECT rule, period, due_on FROM rm_obligations WHERE assignment_id = ? "
            "AND period_start <= ? ORDER BY due_on", [r["assignment_id"], TODAY.isoformat()])
        for r in cast
    }
    ledger.close()
    store.close()
    return {"path": path, "cast": cast, "owed": owed, "tasks": tasks, "units": units}


def _act(ledger: Ledger, day: date, role: str = "office") -> Act:
    return Act.by(ledger.clock, f"oracle:{role}", role, business_date=day)


def _one_step(data: st.DataObject, ledger: Ledger, world: dict, made: list) -> None:
    """One act drawn at random; acts the domain refuses are simply not recorded."""
    day = FIRST_DAY + timedelta(days=data.draw(st.integers(0, DAYS)))
    kind = data.draw(st.sampled_from(
        ["report", "report", "report", "correct", "extend", "complete", "withdraw",
         "reopen", "reinstate", "role", "assign", "mark", "chase"]))
    row = data.draw(st.sampled_from(world["cast"]))
    assignment = UUID(row["assignment_id"])
    owed = [o for o in world["owed"][row["assignment_id"]] if o["due_on"] <= "2026-11-05"]
    try:
        if kind == "report" and owed:
            duty = data.draw(st.sampled_from(owed))
            receipt = ledger.report_progress(
                _act(ledger, day, "liaison"), assignment, duty["period"],
                f"第{len(made)}次", {"培训": data.draw(st.integers(0, 10_000))})
            made.append((assignment, receipt.event_id))
        elif kind == "correct" and made:
            target, report = data.draw(st.sampled_from(made))
            ledger.correct_progress(
                _act(ledger, day), target, report,
                data.draw(st.sampled_from([None, "更正后的说明"])),
                {"培训": data.draw(st.integers(0, 10_000))}, "数字有误")
        elif kind == "extend" and owed:
            duty = data.draw(st.sampled_from(owed))
            new_due = date.fromisoformat(duty["due_on"]) + timedelta(days=12)
            request = ledger.request_extension(
                _act(ledger, day, "liaison"), assignment, duty["rule"], duty["period"],
                new_due, "数据未出")
            decided = min(TODAY, day + timedelta(days=data.draw(st.integers(0, 20))))
            ledger.decide_extension(_act(ledger, decided), assignment, request.event_id,
                                    data.draw(st.booleans()), new_due)
        elif kind == "complete":
            ledger.complete(_act(ledger, day), assignment, "办结")
        elif kind == "withdraw":
            ledger.withdraw(_act(ledger, day), assignment, "调整分工")
        elif kind == "reopen":
            ledger.reopen(_act(ledger, day), assignment, "重新办理")
        elif kind == "reinstate":
            ledger.assign(_act(ledger, day), UUID(row["task_id"]), UUID(row["unit_id"]),
                          data.draw(st.sampled_from(["lead", "co"])))
        elif kind == "role":
            role = data.draw(st.sampled_from(["lead", "co"]))
            act = _act(ledger, day)
            ledger.on_many_assignments(
                act, {assignment: lambda a: a.change_role(act, role, "纠正牵头单位")})
        elif kind == "assign":
            task = UUID(data.draw(st.sampled_from(world["tasks"])))
            unit = UUID(data.draw(st.sampled_from(world["units"])))
            ledger.assign(_act(ledger, day), task, unit, "co")
        elif kind == "mark":
            month = data.draw(st.integers(6, 11))
            marked = date(2026, month, data.draw(st.integers(1, 9)))
            mark = data.draw(st.sampled_from(["holiday", "workday"]))
            ledger.adjust_calendar(_act(ledger, day), marks=[(marked, mark)], note="调休")
        elif kind == "chase" and owed:
            duty = data.draw(st.sampled_from(owed))
            chase = data.draw(st.sampled_from(
                [ledger.issue_reminder, ledger.issue_urge, ledger.escalate]))
            chase(_act(ledger, day, "system"), assignment, duty["rule"], duty["period"],
                  date.fromisoformat(duty["due_on"]), "逾期未报")
    except LedgerError:
        pass


def _reports(view, assignments: list[str]) -> dict:
    """Every report the API serves, rows in a stable order."""
    def stable(rows: list) -> list:
        return sorted(rows, key=repr)

    return {
        "responsibilities": queries.responsibilities(view),
        "obligations": stable(queries.obligations(view)),
        "overdue": stable(queries.overdue(view)),
        "targets": stable(queries.target_progress(view)),
        "scorecard": stable(queries.scorecard(view)),
        "reports": {a: queries.assignment_reports(view, a) for a in assignments},
    }


def _compare(ledger: Ledger, store: ReadStore, as_of: date, position: int,
             assignments: list[str]) -> None:
    view = live_view(store, ledger.working_calendar(), as_of, position)
    live = _reports(view, assignments)
    with replayed(ledger, None, as_of, position) as oracle:
        expected = _reports(oracle, assignments)
    for name, rows in expected.items():
        assert live[name] == rows, f"{name} as of {as_of} at {position} (current={view.current})"


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_reports_as_of_any_date_and_position_equal_the_replay(
    data: st.DataObject, seeded: dict, tmp_path: Path
) -> None:
    path = tmp_path / f"example-{data.draw(st.integers(0, 10**9))}.sqlite"
    shutil.copy(seeded["path"], path)
    ledger, store = _open(path)
    try:
        start = ledger.position()
        made: list = []
        for _ in range(data.draw(st.integers(4, 24))):
            _one_step(data, ledger, seeded, made)
        Projector(ledger, store, None).catch_up()
        head = ledger.position()
        assignments = [*sorted({str(a) for a, _ in made})[:4], seeded["cast"][0]["assignment_id"]]
        for _ in range(2):
            position = data.draw(st.integers(start, head))
            as_of = FIRST_DAY + timedelta(days=data.draw(st.integers(0, DAYS)))
            _compare(ledger, store, as_of, position, assignments)
        _compare(ledger, store, TODAY, head, assignments)  # current: the tables as they are
    finally:
        ledger.close()
        store.close()


def test_a_walk_through_one_history_matches_the_replay_at_every_step(
    seeded: dict, tmp_path: Path
) -> None:
    """A fixed history with each kind of act, read at the position after each act and
    at dates around it: reports dated late and early, a correction, an extension, an
    end voiding what falls due later and a reinstatement releasing it, a calendar mark."""
    path = tmp_path / "walk.sqlite"
    shutil.copy(seeded["path"], path)
    ledger, store = _open(path)
    try:
        row = seeded["cast"][1]
        assignment = UUID(row["assignment_id"])
        owed = seeded["owed"][row["assignment_id"]]
        first, second = owed[0], owed[1]
        steps = []
        report = ledger.report_progress(_act(ledger, date(2026, 9, 20), "liaison"), assignment,
                                        second["period"], "先报", {"培训": 5})
        steps.append(ledger.position())
        ledger.report_progress(_act(ledger, date(2026, 6, 2), "liaison"), assignment,
                               first["period"], "补记", {"培训": 3})
        steps.append(ledger.position())
        ledger.correct_progress(_act(ledger, date(2026, 10, 1)), assignment, report.event_id,
                                "更正", {"培训": 7}, "数字有误")
        steps.append(ledger.position())
        ledger.adjust_calendar(_act(ledger, date(2026, 8, 1)),
                               marks=[(date(2026, 9, 1), "holiday")], note="调休")
        steps.append(ledger.position())
        ledger.withdraw(_act(ledger, date(2026, 7, 15)), assignment, "调整分工")
        steps.append(ledger.position())
        ledger.assign(_act(ledger, date(2026, 10, 20)), UUID(row["task_id"]),
                      UUID(row["unit_id"]), "co")
        steps.append(ledger.position())
        Projector(ledger, store, None).catch_up()
        for position in steps:
            for as_of in (date(2026, 7, 1), date(2026, 9, 25), TODAY):
                _compare(ledger, store, as_of, position, [row["assignment_id"]])
    finally:
        ledger.close()
        store.close()


def test_an_event_dated_later_makes_the_view_count_rows(seeded: dict, tmp_path: Path) -> None:
    """Today's report with something dated after the asked day is read through the
    counted rows, not the live ones; without it, from the live rows as they are."""
    path = tmp_path / "later.sqlite"
    shutil.copy(seeded["path"], path)
    ledger, store = _open(path)
    try:
        row = seeded["cast"][2]
        duty = seeded["owed"][row["assignment_id"]][0]
        ledger.report_progress(_act(ledger, date(2026, 10, 9), "liaison"),
                               UUID(row["assignment_id"]), duty["period"], "已报", {})
        Projector(ledger, store, None).catch_up()
        assert live_view(store, ledger.working_calendar(), TODAY).current
        earlier = live_view(store, ledger.working_calendar(), date(2026, 10, 8))
        assert not earlier.current
        ours = [r for r in queries.responsibilities(earlier)
                if r["assignment_id"] == row["assignment_id"]]
        assert ours[0]["reports"] == 0 and ours[0]["last_report_on"] is None
        assert ids.assignment_id(UUID(row["task_id"]), UUID(row["unit_id"])) == UUID(
            row["assignment_id"])
    finally:
        ledger.close()
        store.close()
