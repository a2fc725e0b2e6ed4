"""``taskledger report KIND --limit N --cursor C`` and ``report overdue --summary``
(issue 14, part 3), in process on one SQLite store holding both seeds and a world of
reports, corrections, extensions and chases.

The pages, each asked with the cursor the previous one printed on stderr, together are
the unpaged report; they are read at the first page's as-of and position even after
events are appended; a bad limit or cursor is one line on stderr and exit 2; the API
and the CLI give the same cursor for the same page (one module pages both).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from api import cli
from ledger.acts import Act
from ledger.application import open_ledger
from ledger.clock import FixedClock
from ledger.store import parse_database_url
from projections.db import ReadStore
from projections.projector import Projector
from tests.ledger.world import HR, build_world
from tests.projections.helpers import import_seeds
from tests.projections.test_projections import CALENDAR

AS_OF = ["--as-of", "2026-07-20"]
KINDS = ("responsibilities", "overdue", "targets", "scorecard")


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    where = tmp_path_factory.mktemp("cli-paging") / "ledger.sqlite"
    config = parse_database_url(f"sqlite:///{where}")
    ledger = open_ledger(config, clock=FixedClock(datetime(2026, 7, 1, 1, tzinfo=UTC)),
                         create_tables=True)
    import_seeds(ledger)
    build_world(ledger)
    store = ReadStore(config, create_tables=True)
    Projector(ledger, store, CALENDAR).catch_up()
    store.close()
    ledger.close()
    return f"sqlite:///{where}"


def run(url: str, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = cli.main(["--database-url", url, *args])
    except SystemExit as exit_:  # argparse refuses an argument by exiting
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def next_cursor(err: str) -> str | None:
    """The cursor the stderr line names, or None after 'last page'."""
    lines = [line for line in err.splitlines() if line.startswith(("next page:", "last page"))]
    assert len(lines) == 1, err
    return lines[0].split("--cursor ")[1] if lines[0].startswith("next page:") else None


def all_pages(url: str, capsys, kind: str, limit: int, *flags: str) -> list[dict]:
    code, out, err = run(url, capsys, "report", kind, *flags, "--limit", str(limit), "--json")
    assert code == 0, err
    got = [json.loads(out)]
    cursor = next_cursor(err)
    assert cursor == got[-1]["next"]
    extra = ["--summary"] if "--summary" in flags else []
    while cursor:
        code, out, err = run(url, capsys, "report", kind, *extra, "--cursor", cursor, "--json")
        assert code == 0, err
        got.append(json.loads(out))
        cursor = next_cursor(err)
        assert cursor == got[-1]["next"]
    return got


def cells(lines: list[str]) -> list[list[str]]:
    return [line.split() for line in lines if not set(line) <= {"-", " "}]


@pytest.mark.parametrize("kind", KINDS)
def test_every_page_together_is_the_unpaged_report(url: str, capsys, kind: str) -> None:
    code, out, err = run(url, capsys, "report", kind, *AS_OF, "--unit", HR, "--json")
    assert code == 0, err
    whole = json.loads(out)
    assert "next" not in whole and "total" not in whole  # unpaged: as it always was
    limit = max(1, len(whole["rows"]) // 3 + 1)
    paged = all_pages(url, capsys, kind, limit, *AS_OF, "--unit", HR)
    assert len(paged) == -(-len(whole["rows"]) // limit)
    assert [row for page in paged for row in page["rows"]] == whole["rows"]
    for page in paged:
        assert {key: page[key] for key in ("report", "as_of", "position")} == {
            key: whole[key] for key in ("report", "as_of", "position")}
        assert page["total"] == len(whole["rows"])


def test_text_pages_say_which_rows_and_how_to_get_the_next(url: str, capsys) -> None:
    code, out, err = run(url, capsys, "report", "overdue", *AS_OF, "--unit", HR)
    assert code == 0
    header, *table = out.splitlines()
    total = int(header.rsplit(": ", 1)[1].split()[0])
    assert total > 10
    code, out, err = run(url, capsys, "report", "overdue", *AS_OF, "--unit", HR, "--limit", "4")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith(f": rows 1-4 of {total}")
    # the column heads, then the first 4 rows (columns are as wide as the page needs)
    assert cells(lines[1:]) == cells(table[:1] + table[2:6])
    cursor = next_cursor(err)
    assert err.strip().endswith(f"taskledger report overdue --cursor {cursor}")
    code, out, err = run(url, capsys, "report", "overdue", "--cursor", cursor)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith(f": rows 5-8 of {total}") and cells(lines[3:]) == cells(table[6:10])


def test_later_pages_read_the_first_pages_position_while_events_are_appended(
        url: str, capsys, tmp_path) -> None:
    # a copy of the store, so the other tests' store is not written
    source = url.removeprefix("sqlite:///")
    copy = tmp_path / "ledger.sqlite"
    shutil.copy(source, copy)
    mine = f"sqlite:///{copy}"
    code, out, _ = run(mine, capsys, "report", "overdue", *AS_OF, "--json")
    whole = json.loads(out)
    code, out, err = run(mine, capsys, "report", "overdue", *AS_OF, "--limit", "500", "--json")
    got, cursor = json.loads(out)["rows"], next_cursor(err)
    ledger = open_ledger(parse_database_url(mine),
                         clock=FixedClock(datetime(2026, 7, 20, 1, tzinfo=UTC)))
    try:
        row = whole["rows"][-1]  # the last row: on the last page
        act = Act.by(ledger.clock, "office-clerk", "office")
        ledger.issue_reminder(act, UUID(row["assignment_id"]), row["rule"], row["period"],
                              date.fromisoformat(row["due_on"]), "催报")
        ledger.report_progress(act, UUID(row["assignment_id"]), row["period"], "补报")
    finally:
        ledger.close()
    pages = 1
    while cursor:
        code, out, err = run(mine, capsys, "report", "overdue", "--cursor", cursor, "--json")
        assert code == 0, err
        got += json.loads(out)["rows"]
        cursor = next_cursor(err)
        pages += 1
    assert pages >= 2 and got == whole["rows"]
    code, out, _ = run(mine, capsys, "report", "overdue", *AS_OF, "--json")
    now = json.loads(out)
    assert now["position"] > whole["position"] and len(now["rows"]) < len(whole["rows"])


@pytest.mark.parametrize("flags, says", [
    (["--limit", "0"], "--limit"), (["--limit", "1001"], "--limit"),
    (["--limit", "-1"], "--limit"), (["--limit", "abc"], "--limit"),
    (["--cursor", "garbage"], "--cursor"), (["--cursor", "A" * 100_000], "--cursor"),
    (["--cursor", "\udcff\udcfe"], "cursor"), (["--cursor", "!!!"], "--cursor"),
    (["--summary"], "--summary"),
])
def test_bad_limits_and_cursors_are_one_line_and_exit_2(url, capsys, flags, says) -> None:
    kind = "targets" if flags == ["--summary"] else "overdue"
    code, out, err = run(url, capsys, "report", kind, *flags)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and says in err, err


def test_a_cursor_of_another_report_or_other_filters_is_refused(url, capsys) -> None:
    code, out, err = run(url, capsys, "report", "overdue", *AS_OF, "--unit", HR, "--limit", "2")
    cursor = next_cursor(err)
    for flags, says in ((["report", "scorecard", "--cursor", cursor], "'overdue' report"),
                        (["report", "overdue", "--summary", "--cursor", cursor], "'overdue'"),
                        (["report", "overdue", "--unit", "自治区财政厅", "--cursor", cursor],
                         "--unit"),
                        (["report", "overdue", "--as-of", "2026-07-01", "--cursor", cursor],
                         "--as-of"),
                        (["report", "overdue", "--position", "3", "--cursor", cursor],
                         "--position")):
        code, out, err = run(url, capsys, *flags)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
        assert says in err, (flags, err)
    # the filters and pins it holds, given again, agree
    code, out, err = run(url, capsys, "report", "overdue", *AS_OF, "--unit", HR,
                         "--cursor", cursor)
    assert code == 0 and ": rows 3-4 of " in out.splitlines()[0]


def test_the_api_and_the_cli_give_the_same_cursor(url, capsys) -> None:
    from api.app import create_app
    from api.services import Settings

    code, out, err = run(url, capsys, "report", "overdue", *AS_OF, "--unit", HR,
                         "--limit", "3", "--json")
    page = json.loads(out)
    app = create_app(Settings(store=parse_database_url(url),
                              clock=FixedClock(datetime(2026, 7, 20, 1, tzinfo=UTC)),
                              create_tables=True))  # the kept tables, as db init makes them
    try:
        svc = app.extensions["taskledger"]
        _, token = svc.tokens.create("office", svc.clock.now())
        served = app.test_client().get(
            f"/api/v1/reports/overdue?unit={HR}&as_of=2026-07-20&limit=3",
            headers={"Authorization": f"Bearer {token}"}).get_json()
        following = app.test_client().get(
            f"/api/v1/reports/overdue?cursor={page['next']}",
            headers={"Authorization": f"Bearer {token}"}).get_json()
    finally:
        app.extensions["taskledger"].close()
    assert served["next"] == page["next"] and served["rows"] == page["rows"]
    code, out, err = run(url, capsys, "report", "overdue", "--cursor", page["next"], "--json")
    assert code == 0, err
    assert json.loads(out)["rows"] == following["rows"]


def test_the_summary_sums_up_the_overdue_list(url, capsys) -> None:
    code, out, err = run(url, capsys, "report", "overdue", *AS_OF, "--json")
    listed = json.loads(out)["rows"]
    code, out, err = run(url, capsys, "report", "overdue", "--summary", *AS_OF, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["report"] == "overdue-summary" and summary["next"] is None
    assert summary["total"] == len(summary["rows"]) == len({r["unit_id"] for r in listed})
    for unit in summary["rows"]:
        mine = [r for r in listed if r["unit_id"] == unit["unit_id"]]
        assert unit["overdue"] == len(mine)
        assert unit["lead_overdue"] == sum(r["role"] == "lead" for r in mine)
        assert unit["max_working_days_late"] == max(r["working_days_late"] for r in mine)
        assert unit["oldest_due_on"] == min(r["effective_due_on"] for r in mine)
    code, out, err = run(url, capsys, "report", "overdue", "--summary", *AS_OF)
    lines = out.splitlines()
    assert lines[0] == (f"overdue summary as of 2026-07-20, ledger position "
                        f"{summary['position']}: {summary['total']} units")
    assert lines[1].split() == ["unit", "overdue", "as", "lead", "most", "working", "days",
                                "late", "oldest", "due"]
    first = summary["rows"][0]
    assert lines[3].split()[1:] == [str(first["overdue"]), str(first["lead_overdue"]),
                                    str(first["max_working_days_late"]), first["oldest_due_on"]]
    assert len(lines) == 3 + summary["total"]
    paged = all_pages(url, capsys, "overdue", 5, "--summary", *AS_OF)
    assert [row for page in paged for row in page["rows"]] == summary["rows"]
    code, out, err = run(url, capsys, "report", "overdue", "--summary", *AS_OF, "--unit", HR,
                         "--json")
    assert [row["unit_name"] for row in json.loads(out)["rows"]] == [HR]
