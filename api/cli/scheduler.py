"""The scheduler from the command line: its daily ``tick`` once, ``simulate`` a range of
days, the ``outbox`` of chasers it delivers, and the ``scheduler`` process itself."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from api.cli.args import Commands, Parser, UserError, iso_date, output_folder
from api.cli.context import CliContext, store_config
from ledger.acts import Act


def cmd_tick(args: argparse.Namespace) -> int:
    from scheduler.tick import run_tick

    with CliContext(args) as cli:
        ledger, store = cli.ledger, cli.store
        today = ledger.clock.today()
        day = args.as_of or today
        simulated = day != today
        report = run_tick(ledger, store, day, wall=ledger.clock, simulated=simulated,
                          dry_run=args.dry_run, after_cycle=_briefings(args, cli))
    _print_days([report], args.json)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from scheduler.tick import run_tick

    if args.to < args.start:
        raise UserError("--to is before --from")
    if (args.to - args.start).days > 3 * 366:
        raise UserError("simulate at most three years at a time")
    with CliContext(args) as cli:
        ledger, store = cli.ledger, cli.store
        reports = []
        day = args.start
        while day <= args.to:
            reports.append(run_tick(ledger, store, day, wall=ledger.clock, simulated=True,
                                    dry_run=args.dry_run, after_cycle=_briefings(args, cli)))
            day += timedelta(days=1)
    _print_days(reports, args.json)
    return 0


def _briefings(args: argparse.Namespace, cli: CliContext) -> Any:
    """Each real cycle issues its briefing into the briefings folder, as the scheduler's
    do (a cycle recorded without one would never get it); --briefings DIR overrides the
    folder. A rehearsal's cycles issue theirs (simulated) only with --briefings."""
    from ledger.clock import SimulatedClock
    from scheduler.folders import briefings_dir
    from scheduler.tick import SCHEDULER_ACTOR, briefing_hook

    ledger = cli.ledger
    rehearsal = args.command == "simulate" or (
        getattr(args, "as_of", None) not in (None, ledger.clock.today()))
    if not getattr(args, "briefings", None) and rehearsal:
        return None
    folder = Path(args.briefings) if getattr(args, "briefings", None) else briefings_dir()

    def act_for(day: date) -> Act:
        clock = ledger.clock if day == ledger.clock.today() else SimulatedClock(
            day, wall=ledger.clock)
        return Act.by(clock, SCHEDULER_ACTOR, "system", business_date=day)

    return briefing_hook(ledger, cli.store, folder, act_for)


def _print_days(reports: list[Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps([r.to_json() for r in reports], ensure_ascii=False, indent=2))
        return
    for report in reports:
        if report.empty:
            continue
        flag = " [simulated]" if report.simulated else ""
        print(f"{report.day}{flag}: {len(report.reminders)} reminders, {len(report.urges)} "
              f"urges, {len(report.escalations)} escalations"
              + "".join(f", {c['kind']} cycle {c['period']}" for c in report.cycles))


def cmd_outbox(args: argparse.Namespace) -> int:
    """List the outbox's deliveries, or (``outbox deliver``) queue and send once."""
    from scheduler.outbox import outbox_list
    from scheduler.service import channels_from_env, deliver

    with CliContext(args) as cli:
        ledger = cli.ledger
        if args.outbox_command == "deliver":
            outcome = deliver(cli.config, ledger.clock, channels_from_env())
            if args.json:
                print(json.dumps(outcome, sort_keys=True))
            else:
                print(", ".join(f"{count} {what.replace('_', ' ')}"
                                for what, count in outcome.items()))
            return 0
        cli.catch_up()
        rows = outbox_list(cli.store, args.channel)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("the outbox is empty", file=sys.stderr)
    for row in rows:
        unsigned = f", {len(row['unacknowledged'])} not signed for" if (
            row["unacknowledged"]) else ""
        error = f" ({row['last_error']})" if row["last_error"] and row["state"] != (
            "delivered") else ""
        print(f"{row['day']} {row['channel']:<8} {row['unit_name']}: {row['state']}{error}, "
              f"{row['events']} chaser(s), {row['attempts']} attempt(s){unsigned}")
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    from scheduler.service import run_scheduler

    run_scheduler(store_config(args), at=args.at)
    return 0


# ---- parsers ----------------------------------------------------------------------------
def add_tick(commands: Commands) -> None:
    tick = commands.add_parser("tick", help="run the scheduler's daily tick once")
    tick.add_argument("--as-of", type=iso_date, help="as if it were this day (simulated)")
    tick.add_argument("--dry-run", action="store_true", help="decide, write nothing")
    tick.add_argument("--json", action="store_true")
    tick.add_argument("--briefings", metavar="DIR", type=output_folder,
                      help="cycles issue their PDF briefings here (default "
                      "TASKLEDGER_BRIEFINGS_DIR; a simulated day: none)")
    tick.set_defaults(handler=cmd_tick)


def add_simulate(commands: Commands) -> None:
    simulate = commands.add_parser("simulate", help="run every day of a range, simulated")
    simulate.add_argument("--from", dest="start", type=iso_date, required=True)
    simulate.add_argument("--to", type=iso_date, required=True)
    simulate.add_argument("--dry-run", action="store_true", help="decide, write nothing")
    simulate.add_argument("--json", action="store_true")
    simulate.add_argument("--briefings", metavar="DIR", type=output_folder,
                          help="cycles issue their PDF briefings here")
    simulate.set_defaults(handler=cmd_simulate)


def add_outbox(commands: Commands) -> None:
    outbox = commands.add_parser("outbox", help="deliveries to liaisons and the platform")
    outbox.add_argument("--json", action="store_true")
    outbox.add_argument("--channel", choices=["liaison", "platform"])
    outbox_commands = outbox.add_subparsers(dest="outbox_command", metavar="ACTION",
                                            parser_class=Parser)
    deliver = outbox_commands.add_parser("deliver", help="queue new chasers and send, once")
    deliver.add_argument("--json", action="store_true")
    outbox.set_defaults(handler=cmd_outbox, outbox_command=None)


def add_scheduler(commands: Commands) -> None:
    scheduler = commands.add_parser("scheduler", help="run the scheduler process (daily tick)")
    scheduler.add_argument("--at", default="09:00", help="daily tick time, Asia/Shanghai")
    scheduler.set_defaults(handler=cmd_scheduler)


PARSERS = {
    "tick": add_tick,
    "simulate": add_simulate,
    "outbox": add_outbox,
    "scheduler": add_scheduler,
}
