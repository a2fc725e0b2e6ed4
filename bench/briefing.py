"""How long the monthly briefing takes to render, for both seed plans with a year of reports.

Not a test and not run in CI. Usage (from the repository root)::

    .venv/bin/python bench/briefing.py [--runs 5] [--seeds ../shared/seeds]

The history: both seeds imported as published, then, for every assignment, every report
owed with a due date from 2025-07-01 to 2026-06-30 (plan 001's monthly dispatch, quarterly
analysis, half-year summary and annual evaluation; plan 000 issued 2026-05-09 owes none
before July, so its units send monthly progress for May and June with figures towards
the targets). Most reports arrive on time, about one in six late, about one in twenty
never (those were reminded, urged and, past five working days, escalated). Written
through the aggregates' own commands, one transaction per 50 assignments. Every business
date is on or before 2026-06-30, so the June briefing reads the live read models (the
everyday case); the as-of-earlier case (a private snapshot of the projections) is
measured too, for context.

Measured, after one untimed warm-up render (imports, fontconfig, the UA stylesheet):

- baseline: WeasyPrint rendering a trivial one-page CJK document with the briefing's
  stylesheet (``html_to_pdf``: parse, lay out, subset two CJK faces, write);
- the monthly briefing for 2026-06: ``render_briefing`` end to end, and its phases
  (read models → context, Jinja2, WeasyPrint layout, PDF writing);
- the snapshot case: the same briefing as of 2026-06-15.

Target (issue 8): the monthly briefing under 3 s on this machine (median of the runs).
The host is shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

# Run as a script, this folder comes first on sys.path, and bench/projections.py would
# shadow the projections package: take the folder off the path before importing it.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

from ledger.acts import Act  # noqa: E402
from ledger.application import Ledger, open_ledger  # noqa: E402
from ledger.calendar import ChineseCalendar  # noqa: E402
from ledger.clock import FixedClock  # noqa: E402
from ledger.importer import decode_document, parse_plan  # noqa: E402
from ledger.importing import import_plan  # noqa: E402
from ledger.periods import Period  # noqa: E402
from ledger.store import parse_database_url  # noqa: E402
from projections.db import ReadStore  # noqa: E402
from projections.projector import Projector  # noqa: E402
from projections.views import open_view  # noqa: E402
from scheduler import briefings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 3.0
AS_OF = date(2026, 6, 30)
FIGURES = {  # plan 000's targets: what a unit reports towards them, per month
    "创业培训": 2600,
    "创业担保贷款": 60_000_000,
    "补贴性职业技能培训": 9000,
    "普惠性幼儿园覆盖率": 91.5,
}


def build(ledger: Ledger, store: ReadStore, seeds: Path, calendar: ChineseCalendar) -> int:
    act = Act.by(ledger.clock, "importer", "office")
    for path in sorted(seeds.glob("*.txt")):
        import_plan(ledger, parse_plan(decode_document(path.read_bytes())), act)
    Projector(ledger, store, calendar).catch_up()
    owed = store.query(
        "SELECT o.assignment_id, o.period, o.due_on, o.rule, a.unit_name, a.task_number "
        "FROM {s}rm_obligations o JOIN {s}rm_assignments a ON a.assignment_id = o.assignment_id "
        "WHERE o.due_on >= '2025-07-01' AND o.due_on <= ? ORDER BY o.assignment_id, o.due_on",
        [AS_OF.isoformat()],
    )
    by_assignment: dict[str, list[dict]] = {}
    for row in owed:
        by_assignment.setdefault(row["assignment_id"], []).append(row)
    stable = store.query(
        "SELECT a.assignment_id, a.unit_name, a.task_number FROM {s}rm_assignments a "
        "JOIN {s}rm_plans p ON p.plan_id = a.plan_id WHERE p.issued_on >= '2026-01-01'"
    )
    for row in stable:
        by_assignment.setdefault(row["assignment_id"], [])
    names = {r["assignment_id"]: (r["unit_name"], r["task_number"]) for r in owed + stable}
    stable_ids = {r["assignment_id"] for r in stable}
    ids = sorted(by_assignment)
    written = 0
    for start in range(0, len(ids), 50):
        aggregates = []
        for n, assignment_id in enumerate(ids[start : start + 50], start=start):
            aggregate = ledger.get_assignment(UUID(assignment_id))
            unit, task = names[assignment_id]
            for k, row in enumerate(by_assignment[assignment_id]):
                written += _report_or_chase(ledger, aggregate, row, unit, task, n + k, calendar)
            if assignment_id in stable_ids:
                for month, day in ((5, date(2026, 6, 3)), (6, date(2026, 6, 29))):
                    act = Act.by(ledger.clock, f"liaison:{unit}", "liaison", business_date=day)
                    metrics = {k: v * (1 if month == 5 else 2) for k, v in FIGURES.items()}
                    aggregate.report_progress(
                        act, Period(2026, "month", month),
                        f"{unit}：任务{task}本月进展顺利，完成阶段目标。", metrics, None,
                    )
                    written += 1
            aggregates.append(aggregate)
        ledger.commit(*aggregates)
    Projector(ledger, store, calendar).catch_up()
    return written


def _report_or_chase(
    ledger: Ledger, aggregate: Any, row: dict, unit: str, task: str, n: int, calendar: Any
) -> int:
    due = date.fromisoformat(row["due_on"])
    office = "office-clerk"
    if n % 20 == 7:  # never reported: reminded, urged, escalated
        events = 0
        for step, offset in (("reminder", -3), ("urge", 1), ("escalation", 5)):
            day = calendar.add_workdays(due, offset)
            if day > AS_OF:
                break
            act = Act.by(ledger.clock, office, "office", business_date=day)
            method = {"reminder": aggregate.issue_reminder, "urge": aggregate.issue_urge,
                      "escalation": aggregate.escalate}[step]
            method(act, row["rule"], row["period"], due, f"{row['period']}报告{step}")
            events += 1
        return events
    late = n % 6 == 3
    day = calendar.add_workdays(due, 4 if late else -2)
    if day > AS_OF:
        day = AS_OF
    act = Act.by(ledger.clock, f"liaison:{unit}", "liaison", business_date=day)
    aggregate.report_progress(
        act, Period.parse(row["period"]),
        f"{unit}{row['period']}：任务{task}按计划推进，召开调度会议，解决问题若干。", None, None,
    )
    return 1


def timed(function: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return times, result


def phases(ledger: Ledger, store: ReadStore, calendar: Any) -> dict[str, float]:
    """One render, split: read models → context, Jinja2, layout, PDF writing."""
    from weasyprint import HTML

    period = Period.parse("2026-06")
    t0 = time.perf_counter()
    with open_view(ledger, store, calendar, as_of=AS_OF) as view:
        context = briefings._context(view, calendar, "monthly", period, briefings.DEFAULT_CONFIG)
    t1 = time.perf_counter()
    html = briefings._environment().get_template("monthly.html").render(**context)
    t2 = time.perf_counter()
    document = HTML(
        string=html,
        base_url=briefings.BRIEFING_TEMPLATES.as_uri() + "/",
        url_fetcher=briefings.TemplateOnlyFetcher(),
    ).render()
    t3 = time.perf_counter()
    document.write_pdf(pdf_identifier=b"0" * 32)
    t4 = time.perf_counter()
    return {"context": t1 - t0, "jinja": t2 - t1, "layout": t3 - t2, "write": t4 - t3}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seeds", type=Path, default=REPO.parent / "shared" / "seeds")
    parser.add_argument("--out", type=Path, help="also write the briefing's PDF here")
    args = parser.parse_args()
    calendar = ChineseCalendar()
    with tempfile.TemporaryDirectory(prefix="taskledger-bench-") as folder:
        config = parse_database_url(f"sqlite:///{Path(folder) / 'bench.sqlite'}")
        clock = FixedClock(datetime(2026, 7, 1, 1, 0, tzinfo=UTC))
        ledger = open_ledger(config, clock=clock, create_tables=True)
        store = ReadStore(config, create_tables=True)
        started = time.perf_counter()
        written = build(ledger, store, args.seeds, calendar)
        print(f"history: {ledger.position():,} events ({written:,} reports and chases) "
              f"in {time.perf_counter() - started:.1f}s (setup, untimed)")

        def render(as_of: date = AS_OF) -> briefings.RenderedBriefing:
            return briefings.render_briefing(
                ledger, store, calendar, "monthly", "2026-06", as_of=as_of
            )

        cold, first = timed(render, 1)  # imports are done; fontconfig and caches are not
        baseline_html = (
            '<html><head><link rel="stylesheet" href="briefing.css"></head><body>'
            "<h2>一、总体情况</h2><p>截至2026年6月30日，各单位按时报送率95.0%。</p></body></html>"
        )
        base_times, base = timed(
            lambda: briefings.html_to_pdf(baseline_html, title="t", as_of=AS_OF), args.runs
        )
        times, briefing = timed(render, args.runs)
        assert briefing.sha256 == first.sha256, "two renders differ"
        if args.out:
            args.out.write_bytes(briefing.pdf)
        split = [phases(ledger, store, calendar) for _ in range(max(1, args.runs // 2))]
        snap_times, snapshot = timed(lambda: render(date(2026, 6, 15)), max(1, args.runs // 2))
        store.close()
        ledger.close()

    median = statistics.median(times)
    load = os.getloadavg()
    rows = [
        ("baseline: trivial 1-page CJK document", statistics.median(base_times), base[1],
         len(base[0])),
        ("monthly briefing 2026-06, first render in process", cold[0], first.pages,
         len(first.pdf)),
        ("monthly briefing 2026-06 (median)", median, briefing.pages, len(briefing.pdf)),
        ("monthly briefing as of 2026-06-15 (snapshot view)", statistics.median(snap_times),
         snapshot.pages, len(snapshot.pdf)),
    ]
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for label, seconds, pages, size in rows:
        print(f"{label:52} {seconds:6.2f} s  {pages:3d} pages  {size:>9,} bytes")
    parts = {key: statistics.median(s[key] for s in split) for key in split[0]}
    print("phases (median): " + ", ".join(f"{k} {v:.2f} s" for k, v in parts.items()))
    print(f"runs: {', '.join(f'{t:.2f}' for t in times)} s; sha256 {briefing.sha256[:16]}…")
    verdict = "PASS" if median < TARGET_SECONDS else "FAIL"
    print(f"target: monthly briefing < {TARGET_SECONDS:.0f} s: {verdict} ({median:.2f} s)")
    print()
    print("| case | seconds | pages | bytes |")
    print("|---|---:|---:|---:|")
    for label, seconds, pages, size in rows:
        print(f"| {label} | {seconds:.2f} | {pages} | {size:,} |")
    print("| phases (median): " + " · ".join(f"{k} {v:.2f} s" for k, v in parts.items())
          + " | | | |")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
