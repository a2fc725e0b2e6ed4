"""``briefing``: render a briefing PDF, issue it into the briefings folder and record it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from api.cli.args import Commands, UserError, iso_date, non_negative, output_file
from api.cli.context import CliContext
from ledger.vocabulary import BRIEFING_KINDS


def cmd_briefing(args: argparse.Namespace) -> int:
    from scheduler.briefings import issue_briefing
    from scheduler.folders import briefings_dir

    copy = Path(args.out) if args.out else None
    if copy is not None and copy.is_dir():
        raise UserError(f"--out {args.out} is a directory; name the PDF file to write")
    if copy is None and args.no_record:
        raise UserError("--no-record writes no briefing into the briefings folder; give --out")
    with CliContext(args) as cli:
        ledger, store = cli.ledger, cli.store
        briefing, path, receipt = issue_briefing(
            ledger, store, cli.calendar, args.kind, args.period, out=copy,
            folder=briefings_dir(), as_of=args.as_of, position=args.position, act=cli.act(),
            record=not args.no_record,
        )
    print(f"{args.kind} briefing {briefing.period}: as of {briefing.as_of}, "
          f"ledger position {briefing.position}")
    print(f"pages {briefing.pages}, {len(briefing.pdf):,} bytes, sha256 {briefing.sha256}")
    for warning in briefing.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"written to {path}")
    if copy is not None and copy != path:
        print(f"copy written to {copy}")
    if receipt is not None:
        state = "recorded" if receipt.created else "already recorded"
        print(f"{state} BriefingIssued {receipt.stream_id}"
              + (f" at ledger position {receipt.position}" if receipt.position else ""))
    return 0


def add_briefing(commands: Commands) -> None:
    briefing = commands.add_parser("briefing", help="render a briefing PDF and record it")
    briefing.add_argument("kind", choices=BRIEFING_KINDS)
    briefing.add_argument("--period", required=True, help="2026-06, 2026-Q2, 2026-H1 or 2026")
    briefing.add_argument("--as-of", type=iso_date,
                          help="business date evaluated (default: the period's last day)")
    briefing.add_argument("--position", type=non_negative,
                          help="knowledge cut-off: only events up to this ledger position")
    briefing.add_argument("--out", type=output_file,
                          help="also write a copy to this PDF file (the issued "
                          "briefing always goes into TASKLEDGER_BRIEFINGS_DIR, "
                          "default ./var/briefings)")
    briefing.add_argument("--no-record", action="store_true",
                          help="write --out only; record no BriefingIssued event")
    briefing.set_defaults(handler=cmd_briefing)


PARSERS = {"briefing": add_briefing}
