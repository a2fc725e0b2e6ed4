"""The CLI names plans, tasks and units as the API does (projections.lookup): every
``report`` and ``events`` filter filters, an unknown one is one line on stderr and exit
2, a bare task number several plans have is exit 2 "give the plan". In process, on one
SQLite store holding both seeds and a third plan sharing plan 000's （一） and （二）."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from api import cli
from ledger.acts import Act
from ledger.application import open_ledger
from ledger.clock import FixedClock
from ledger.store import parse_database_url
from projections import lookup
from projections.db import ReadStore
from projections.projector import Projector
from tests.ledger.world import HR, build_world
from tests.projections.helpers import import_seeds
from tests.projections.test_projections import CALENDAR

STABLE = "稳岗扩容"
PROMOTION = "就业促进"
STORE_ALIAS = "人社测试别名"
AS_OF = ["--as-of", "2026-07-20"]


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    where = tmp_path_factory.mktemp("cli-filters") / "ledger.sqlite"
    config = parse_database_url(f"sqlite:///{where}")
    ledger = open_ledger(config, clock=FixedClock(datetime(2026, 7, 1, 1, tzinfo=UTC)),
                         create_tables=True)
    import_seeds(ledger)
    build_world(ledger)
    ledger.register_unit(Act.by(ledger.clock, "office-clerk", "office"), HR, "department",
                         [STORE_ALIAS])
    store = ReadStore(config, create_tables=True)
    Projector(ledger, store, CALENDAR).catch_up()
    store.close()
    ledger.close()
    return f"sqlite:///{where}"


@pytest.fixture(scope="module")
def ids(url: str) -> dict[str, str]:
    store = ReadStore(parse_database_url(url))
    try:
        task = lookup.resolve_task(store, "（十一）", plan=STABLE)
        return {"task": task.task_id, "plan": task.plan_id,
                "unit": lookup.resolve_unit(store, HR).unit_id}
    finally:
        store.close()


def run(url: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["--database-url", url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def report(url: str, capsys: pytest.CaptureFixture[str], kind: str, *flags: str) -> list[dict]:
    code, out, err = run(url, capsys, "report", kind, *AS_OF, *flags, "--json")
    assert code == 0, err
    return json.loads(out)["rows"]


def events(url: str, capsys: pytest.CaptureFixture[str], *flags: str) -> list[dict]:
    code, out, err = run(url, capsys, "events", *flags, "--json")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_report_overdue_honours_plan_and_task(url: str, capsys, ids) -> None:
    everything = report(url, capsys, "overdue")
    of_plan = report(url, capsys, "overdue", "--plan", PROMOTION)
    assert of_plan and of_plan == [r for r in everything if r["plan_title"].find(PROMOTION) >= 0]
    of_task = report(url, capsys, "overdue", "--task", "(十五)", "--plan", STABLE)
    assert of_task and of_task == [
        r for r in everything if (r["plan_id"], r["task_number"]) == (ids["plan"], "（十五）")
    ]
    assert report(url, capsys, "overdue", "--task", "十五", "--plan", STABLE) == of_task


def test_report_targets_and_scorecard_honour_unit_plan_and_task(url: str, capsys, ids) -> None:
    targets = report(url, capsys, "targets")
    of_task = report(url, capsys, "targets", "--task", ids["task"])
    assert of_task and of_task == [r for r in targets if r["task_number"] == "（十一）"
                                   and STABLE in r["plan_title"]]
    assert 0 < len(report(url, capsys, "targets", "--unit", STORE_ALIAS)) < len(targets)
    cards = report(url, capsys, "scorecard")
    hr = [c for c in cards if c["unit"] == HR]
    assert report(url, capsys, "scorecard", "--unit", ids["unit"]) == hr
    assert report(url, capsys, "scorecard", "--unit", STORE_ALIAS) == hr
    of_plan = report(url, capsys, "scorecard", "--plan", STABLE, "--unit", HR)
    assert of_plan[0]["reports_due"] < hr[0]["reports_due"]


def test_events_take_a_task_by_id_or_number_in_either_width(url: str, capsys, ids) -> None:
    by_number = events(url, capsys, "--task", "（十一）", "--plan", STABLE)
    assert by_number
    assert events(url, capsys, "--task", ids["task"]) == by_number
    assert events(url, capsys, "--task", "(十一)", "--plan", STABLE) == by_number
    hr_only = events(url, capsys, "--task", "十一", "--plan", STABLE, "--unit", STORE_ALIAS)
    assert hr_only and {e["position"] for e in hr_only} < {e["position"] for e in by_number}
    code, text, _ = run(url, capsys, "events", "--task", ids["task"])
    assert code == 0 and [int(line.split()[0]) for line in text.splitlines()] == [
        e["position"] for e in by_number
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "overdue", "--plan", "无此方案"], "no plan matches"),
        (["report", "targets", "--task", "（九十九）", "--plan", STABLE], "no task"),
        (["report", "scorecard", "--unit", "无此单位"], "no unit is known"),
        (["report", "responsibilities", "--task", "（一）"], "give the plan"),
        (["report", "targets", "--task", "(二)"], "give the plan"),
        (["events", "--plan", "无此方案"], "no plan matches"),
        (["events", "--task", "（一）"], "give the plan"),
        (["events", "--unit", "无此单位"], "no unit is known"),
        (["progress", "--plan", STABLE, "--task", "（九十九）", "--unit", HR, "--period",
          "2026-Q2", "--narrative", "x"], "no task"),
    ],
)
def test_unknown_or_ambiguous_is_one_line_and_exit_2(url: str, capsys, args, message) -> None:
    code, out, err = run(url, capsys, *args)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("taskledger: error: ") and message in err
