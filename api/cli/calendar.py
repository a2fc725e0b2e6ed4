"""Working days and the deadlines counted on them: ``calendar`` (show, set, load,
confirm) and a plan's escalation ``ladder``."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

from api.cli.args import Commands, Parser, UserError, iso_date, non_negative, read_input
from api.cli.context import CliContext
from ledger.application import Ledger
from projections import lookup


def cmd_calendar(args: argparse.Namespace) -> int:
    with CliContext(args) as cli:
        ledger = cli.ledger
        act = cli.act()
        if args.calendar_command == "set":
            receipt = ledger.adjust_calendar(act, marks=[(args.day, args.mark)], note=args.note)
            print(f"{args.day} is now a {args.mark}" if receipt.created
                  else f"{args.day} was already a {args.mark}; nothing written")
        elif args.calendar_command == "load":
            marks = _read_marks(Path(args.file))
            years = [args.confirm_year] if args.confirm_year else []
            receipt = ledger.adjust_calendar(act, marks=marks, confirm_years=years,
                                             note=args.note)
            print(f"loaded {len(marks)} dates" + (f", confirmed {years[0]}" if years else "")
                  + ("" if receipt.created else "; nothing new"))
        elif args.calendar_command == "confirm":
            receipt = ledger.adjust_calendar(act, confirm_years=[args.year], note=args.note)
            print(f"{args.year} confirmed" if receipt.created else f"{args.year} was confirmed")
        else:
            _show_month(ledger, args.month)
    return 0


def _read_marks(path: Path) -> list[tuple[date, str]]:
    """``YYYY-MM-DD workday|holiday`` per line; ``#`` starts a comment."""
    try:
        lines = read_input(str(path)).decode("utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise UserError(f"cannot read {path}: not UTF-8 text ({error.reason})") from None
    marks = []
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split()
        if len(parts) != 2 or parts[1] not in ("workday", "holiday"):
            raise UserError(f"{path}:{number}: expected 'YYYY-MM-DD workday|holiday'")
        try:
            marks.append((date.fromisoformat(parts[0]), parts[1]))
        except ValueError:
            raise UserError(f"{path}:{number}: {parts[0]!r} is not a date") from None
    if not marks:
        raise UserError(f"{path} lists no dates")
    return marks


def _show_month(ledger: Ledger, month: str) -> None:
    """A month grid: ``7·`` not a working day, ``10*`` a working weekend day (调休)."""
    import calendar as month_calendar

    try:
        year, number = (int(x) for x in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise UserError(f"{month!r} is not a month (YYYY-MM)") from None
    working = ledger.working_calendar()
    print(f"{first:%Y-%m}  ({working.year_status(year)})")
    print(" ".join(f"{name:>3}" for name in ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")))
    for week in month_calendar.Calendar().monthdatescalendar(year, number):
        cells = []
        for day in week:
            if day.month != number:
                cells.append("   ")
            elif working.is_workday(day):
                cells.append(f"{day.day:>2}" + ("*" if day.weekday() >= 5 else " "))
            else:
                cells.append(f"{day.day:>2}·")
        print(" ".join(cells).rstrip())
    print("· not a working day   * a working weekend day (调休)")
    for day in working.workdays_in_month(year, number) + [
        d for d in (first + timedelta(days=i) for i in range(31))
        if d.month == number and not working.is_workday(d) and d.weekday() < 5
    ]:
        info = working.explain(day)
        if info.workday != (day.weekday() < 5) or info.source == "override":
            kind = "working day" if info.workday else "holiday"
            print(f"  {day}  {kind}  ({info.source}{': ' + info.name if info.name else ''})")
    for warning in working.warnings_for({year}):
        print(f"warning: {warning}", file=sys.stderr)


def cmd_ladder(args: argparse.Namespace) -> int:
    with CliContext(args) as cli:
        ledger = cli.ledger
        cli.catch_up()
        plans = lookup.resolve_plans(cli.store, args.plan)
        if len(plans) != 1:
            raise UserError(f"--plan {args.plan!r} matches {len(plans)} plans; be more specific")
        plan = ledger.get_plan(UUID(plans[0].plan_id))
        current = plan.ladder_policy
        changes = {k: v for k, v in (("remind_before", args.remind_before),
                                     ("urge_after", args.urge_after),
                                     ("escalate_after", args.escalate_after)) if v is not None}
        if args.escalate_after_urges is not None:
            changes["escalate_after_urges"] = args.escalate_after_urges or None
        if changes:
            wanted = current.changed(**changes)
            ledger.configure_ladder(cli.act(), plan.id, wanted)
            current = wanted
    urges = current.escalate_after_urges or "off"
    print(f"{plan.title}: remind {current.remind_before} working days before, urge "
          f"{current.urge_after} after, escalate {current.escalate_after} after; escalate "
          f"a unit urged N times in a quarter: {urges}")
    return 0


def add_calendar(commands: Commands) -> None:
    calendar_cmd = commands.add_parser("calendar", help="working days: show and adjust")
    calendar_commands = calendar_cmd.add_subparsers(dest="calendar_command", metavar="ACTION",
                                                    parser_class=Parser)
    calendar_commands.required = True
    mark = calendar_commands.add_parser("set", help="make a day a working day or a holiday")
    mark.add_argument("day", type=iso_date)
    mark.add_argument("mark", choices=["workday", "holiday"])
    mark.add_argument("--note", default="", help="why (e.g. the notice's number)")
    load = calendar_commands.add_parser("load", help="load 'YYYY-MM-DD workday|holiday' lines")
    load.add_argument("file")
    load.add_argument("--confirm-year", type=int, help="the list completes this year")
    load.add_argument("--note", default="")
    confirm = calendar_commands.add_parser("confirm", help="declare a year's dates complete")
    confirm.add_argument("year", type=int)
    confirm.add_argument("--note", default="")
    show = calendar_commands.add_parser("show", help="a month's working days, e.g. 2026-10")
    show.add_argument("month")
    calendar_cmd.set_defaults(handler=cmd_calendar)


def add_ladder(commands: Commands) -> None:
    ladder = commands.add_parser("ladder", help="show or set a plan's escalation ladder")
    ladder.add_argument("--plan", required=True, help="document number or part of the title")
    ladder.add_argument("--remind-before", type=non_negative, help="working days")
    ladder.add_argument("--urge-after", type=non_negative, help="working days")
    ladder.add_argument("--escalate-after", type=non_negative, help="working days")
    ladder.add_argument("--escalate-after-urges", type=non_negative,
                        help="escalate a unit urged this many times in a quarter (0: off)")
    ladder.set_defaults(handler=cmd_ladder)


PARSERS = {"calendar": add_calendar, "ladder": add_ladder}
