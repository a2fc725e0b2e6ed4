"""The rules reports are judged by (:mod:`ledger.rules`): ``rules show`` and ``rules set``."""

from __future__ import annotations

import argparse
import json
import math

from api.cli.args import Commands, Parser, UserError
from api.cli.context import CliContext
from ledger.rules import DEFAULTS, WEIGHT_NAMES
from projections.rules import rule_history, rules_at


def finite_number(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return number


def cmd_rules(args: argparse.Namespace) -> int:
    with CliContext(args) as cli:
        if args.rules_command == "set":
            _set(cli, args)
        cli.catch_up()
        store = cli.store
        history = rule_history(store) if args.rules_command == "show" and args.history else []
        current = rules_at(store)
    if args.rules_command == "show" and args.json:
        shown = [r.to_json() for r in history] if args.history else current.to_json()
        print(json.dumps(shown, ensure_ascii=False, indent=2))
        return 0
    for rules in history or [current]:
        _print(rules.to_json())
    return 0


def _set(cli: CliContext, args: argparse.Namespace) -> None:
    weights = {name: getattr(args, f"weight_{name}") for name in WEIGHT_NAMES}
    if args.yellow_within is None and all(v is None for v in weights.values()) \
            and not args.calendar_from_package:
        raise UserError("rules set needs at least one of --yellow-within, --weight-…, "
                        "--calendar-from-package")
    ledger = cli.ledger
    recorded = ledger.reporting_rules()
    values = (recorded.values if recorded else DEFAULTS).changed(args.yellow_within, **weights)
    base = None
    if args.calendar_from_package:
        from ledger.calendar import CalendarBase

        base = CalendarBase.from_package()
    receipt = ledger.record_rules(cli.act(), values, base)
    print("recorded a new version of the rules" if receipt.created
          else "the rules already read so; nothing written")


def _print(shown: dict) -> None:
    version = shown["version"]
    if version:
        print(f"version {version} (position {shown['position']}, from {shown['business_date']}, "
              f"by {shown['actor']})")
    else:
        print("no rules recorded: the defaults (run `taskledger db init` to record them)")
    print(f"  yellow light within {shown['yellow_within']:g} points of the expected progress")
    print("  score weights: " + ", ".join(f"{k} {v:g}" for k, v in shown["weights"].items()))
    calendar = shown["calendar"]
    if calendar:
        years = calendar["years"]
        print(f"  holidays: {calendar['package']}, {years[0]}–{years[-1]} "
              f"({calendar['holidays']} holidays, {calendar['adjusted_workdays']} "
              "adjusted working days)")
    else:
        print("  holidays: the installed chinesecalendar's (none recorded)")


def add_rules(commands: Commands) -> None:
    rules = commands.add_parser("rules", help="the thresholds, weights and holiday data "
                                "reports are judged by")
    rules_commands = rules.add_subparsers(dest="rules_command", metavar="ACTION",
                                          parser_class=Parser)
    rules_commands.required = True
    show = rules_commands.add_parser("show", help="the rules in force (--history: every version)")
    show.add_argument("--json", action="store_true")
    show.add_argument("--history", action="store_true")
    change = rules_commands.add_parser("set", help="record a new version of the rules")
    change.add_argument("--yellow-within", type=finite_number, metavar="POINTS",
                        help="a target is yellow, not red, while less than this many "
                             "percentage points behind (0 < POINTS <= 100)")
    for name in WEIGHT_NAMES:
        change.add_argument(f"--weight-{name.replace('_', '-')}", dest=f"weight_{name}",
                            type=finite_number, metavar="N")
    change.add_argument("--calendar-from-package", action="store_true",
                        help="record the installed chinesecalendar's holiday data")
    rules.set_defaults(handler=cmd_rules)


PARSERS = {"rules": add_rules}
