"""What the ledger and its read models say: the audit trail (``events``) and the
reports (``report``: responsibilities, overdue, targets, scorecard)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import datetime

from api import paging
from api.cli.args import Commands, UserError, date_or_datetime, iso_date, non_negative, page_limit
from api.cli.context import CliContext
from api.tables import render
from projections.audit import queries as audit
from projections.views import View, open_view


def cmd_events(args: argparse.Namespace) -> int:
    with CliContext(args) as cli:
        ledger, store = cli.ledger, cli.store
        cli.catch_up()
        flt = audit.trail_filter(store, task=args.task, plan=args.plan, unit=args.unit,
                                 actor=args.actor, since=args.since)
        shown = hidden = 0
        if args.simulated:
            print("real and simulated events; simulated ones are marked [simulated] "
                  '(JSON: "simulated": true)', file=sys.stderr)
        # the trail is every event as recorded, whatever the date: no view as of a day
        view = View(store, ledger.clock.today(), ledger.position(), cli.calendar)
        records = ledger.records(after=args.after) if args.json else iter(())
        for event in _trail(view, flt, args.after):
            if event.simulated and not args.simulated:
                hidden += 1
                continue
            if args.json:
                record = next(r for r in records if r.position == event.position)
                print(json.dumps(record.to_dict(), ensure_ascii=False))
            else:
                print(_line(event))
            shown += 1
            if args.limit and shown >= args.limit:
                break
    if not args.json and shown == 0:
        print("no events match", file=sys.stderr)
    if hidden:
        print(f"{hidden} simulated event(s) not shown; --simulated lists them too",
              file=sys.stderr)
    return 0


def _trail(view: View, flt: audit.TrailFilter, after: int) -> Iterator[audit.AuditEvent]:
    """The events ``flt`` lets through after ``after``, simulated ones too, page by page."""
    while page := audit.trail(view, flt, after=after, limit=1000, include_simulated=True):
        yield from page
        after = page[-1].position


REPORT_COLUMNS = {
    "responsibilities": [
        ("plan_title", "plan", 16),
        ("task_number", "task", 8),
        ("task_title", "title", 22),
        ("unit_name", "unit", 26),
        ("role", "role", 4),
        ("status", "status", 11),
        ("last_report_period", "last report", 11),
        ("next_period", "next", 9),
        ("next_due_on", "due", 10),
    ],
    "overdue": [
        ("working_days_late", "working days", 12),
        ("unit_name", "unit", 26),
        ("task_number", "task", 8),
        ("rule", "obligation", 24),
        ("period", "period", 8),
        ("effective_due_on", "due", 10),
        ("plan_title", "plan", 16),
    ],
    "targets": [
        ("light", "light", 6),
        ("task_number", "task", 8),
        ("indicator", "indicator", 22),
        ("comparator", "", 2),
        ("target", "target", 14),
        ("measure", "measure", 4),
        ("actual", "actual", 14),
        ("percent", "% done", 7),
        ("expected_percent", "% expected", 10),
    ],
    "scorecard": [
        ("unit", "unit", 26),
        ("reports_due", "due", 5),
        ("reports_made", "made", 5),
        ("on_time_rate", "on time", 7),
        ("average_lateness", "avg late", 8),
        ("overdue", "overdue", 7),
        ("reminders", "reminders", 9),
        ("urges", "urges", 5),
        ("escalations", "escalations", 11),
    ],
}


#: ``report overdue --summary``: the overdue list per unit, for the board.
SUMMARY_COLUMNS = [
    ("unit_name", "unit", 26),
    ("overdue", "overdue", 7),
    ("lead_overdue", "as lead", 7),
    ("max_working_days_late", "most working days late", 22),
    ("oldest_due_on", "oldest due", 10),
]


def cmd_report(args: argparse.Namespace) -> int:
    if args.summary and args.report != "overdue":
        raise UserError("--summary sums up the overdue report only: report overdue --summary")
    kind = "overdue-summary" if args.summary else args.report
    # checked before the store is opened: a refused cursor reads and writes nothing
    try:
        asked = paging.report_request(
            kind, {"unit": args.unit, "plan": args.plan, "task": args.task},
            as_of=args.as_of, position=args.position, limit=args.limit, cursor=args.cursor)
    except paging.PagingError as error:
        raise UserError(f"--{error.field.replace('_', '-')}: {error.message}") from None
    with CliContext(args) as cli:
        ledger, store = cli.ledger, cli.store
        calendar = cli.calendar
        with open_view(ledger, store, calendar, as_of=asked.as_of,
                       position=asked.position) as view:
            rows = paging.report_rows(kind, view, dict(asked.filters))
            page = paging.report_page(asked, rows, as_of=view.as_of, position=view.position)
            header = {
                "report": kind,
                "as_of": view.as_of.isoformat(),
                "position": view.position,
                "calendar_warnings": view.calendar.warnings_for({view.as_of.year}),
            }
    # Unpaged and not the summary: exactly as before paging existed (the golden files).
    paged = asked.paged or args.summary
    if args.json:
        body = {**header, "rows": list(page.rows)}
        if paged:
            body.update(next=page.next, total=page.total)
        print(json.dumps(body, ensure_ascii=False, indent=2))
        _next_page_hint(args, page, asked)
        return 0
    title = "overdue summary" if args.summary else kind
    if asked.paged:
        span = (f"rows {asked.offset + 1}-{asked.offset + len(page.rows)} of {page.total}"
                if page.rows else f"0 rows of {page.total}")
    else:
        span = f"{len(page.rows)} {'units' if args.summary else 'rows'}"
    print(f"{title} as of {header['as_of']}, ledger position {header['position']}: {span}")
    for warning in header["calendar_warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    if page.rows:
        print(render(list(page.rows), SUMMARY_COLUMNS if args.summary else REPORT_COLUMNS[kind]))
    _next_page_hint(args, page, asked)
    return 0


def _next_page_hint(args: argparse.Namespace, page: paging.ReportPage,
                    asked: paging.ReportRequest) -> None:
    """On stderr, so stdout stays the page alone: how to ask for the next one."""
    if not asked.paged:
        return
    if page.next is None:
        print("last page", file=sys.stderr)
        return
    summary = " --summary" if args.summary else ""
    json_flag = " --json" if args.json else ""
    print(f"next page: taskledger report {args.report}{summary}{json_flag} --cursor {page.next}",
          file=sys.stderr)


# ---- one line per event (the audit trail as text) ------------------------------------------
def _line(event: audit.AuditEvent) -> str:
    """The event as the trail has it: when, what, who, and its one summary."""
    what = event.summary
    if event.type == audit.CORRECTED:  # the chain: what it corrects
        report = event.report or event.data.get("report")
        what += f" [corrects {event.corrects}"
        if event.corrects != report:
            what += f", a correction of report {report}"
        what += "]"
    flag = " [simulated]" if event.simulated else ""
    recorded = datetime.fromisoformat(event.recorded_at)
    return (
        f"{event.position:>7}  {recorded:%Y-%m-%d %H:%M:%S}Z  {event.business_date}  "
        f"{event.stream_type}.{event.type:<30} {event.actor} ({event.actor_role})"
        f"{flag}  {what}"
    )


# ---- parsers ----------------------------------------------------------------------------
def add_events(commands: Commands) -> None:
    events = commands.add_parser("events", help="the audit trail: every event, in ledger order")
    events.add_argument("--task", help="task number as printed, e.g. （三） or 3")
    events.add_argument("--plan", help="document number or part of the plan title")
    events.add_argument("--unit", help="unit name or alias")
    events.add_argument("--actor", help="who acted")
    events.add_argument(
        "--since", type=date_or_datetime, help="business date (or recorded date-time) from"
    )
    events.add_argument(
        "--after", type=non_negative, default=0, help="only events after this ledger position"
    )
    events.add_argument("--limit", type=non_negative, default=0, help="stop after N events")
    events.add_argument("--json", action="store_true", help="one JSON object per line")
    events.add_argument("--simulated", action="store_true",
                        help="also list rehearsal events (simulate, tick --as-of), flagged")
    events.set_defaults(handler=cmd_events)


def add_report(commands: Commands) -> None:
    report = commands.add_parser("report", help="responsibility list, overdue, targets, scores")
    report.add_argument("report", choices=list(REPORT_COLUMNS))
    report.add_argument("--as-of", type=iso_date, help="business date evaluated (default today)")
    report.add_argument(
        "--position",
        type=non_negative,
        help="knowledge cut-off: only events up to this ledger position",
    )
    report.add_argument("--unit", help="unit name or alias")
    report.add_argument("--task", help="task number as printed")
    report.add_argument("--plan", help="document number or part of the title")
    report.add_argument("--json", action="store_true")
    report.add_argument("--summary", action="store_true",
                        help="overdue only: per unit, how many overdue, as lead, the most "
                             "working days late and the oldest due date")
    report.add_argument("--limit", type=page_limit,
                        help="a page of at most N rows (1 to 1000); stderr tells the next")
    report.add_argument("--cursor",
                        help="the next page, as the previous page gave it (alone: it holds "
                             "the first page's as-of, position and filters)")
    report.set_defaults(handler=cmd_report)


PARSERS = {"events": add_events, "report": add_report}
