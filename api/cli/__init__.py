"""The ``taskledger`` command line: an interface beside the HTTP API.

It parses, builds an :class:`~ledger.acts.Act` for the operator, calls the ledger or a
projection, and prints. A user mistake is one line on stderr and exit status 2; nothing
is half-written because every ledger command is all-or-nothing.

One module per command group, each adding its own sub-commands (``PARSERS``): ``db``
(db init, rebuild, project), ``reports`` (events, report), ``plans`` (import-plan,
progress, correct, remind, urge, escalate), ``briefings``, ``tokens``, ``units``,
``scheduler`` (tick, simulate, outbox, scheduler), ``calendar`` (calendar, ladder),
``rules`` and ``serve``. What they share: ``args`` (argument types, one-line errors) and
``context`` (the ledger and read store a command opens and closes).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version

from api.cli import (
    briefings,
    calendar,
    db,
    plans,
    reports,
    rules,
    scheduler,
    serve,
    tokens,
    units,
)
from api.cli.args import (
    EXIT_USER_ERROR,
    Parser,
    UserError,
    output_file,
    output_folder,
    read_input,
    undecodable_argument,
)
from api.cli.plans import preview_table
from ledger.errors import LedgerError

__all__ = [
    "EXIT_USER_ERROR",
    "UserError",
    "build_parser",
    "main",
    "output_file",
    "output_folder",
    "preview_table",
    "read_input",
]

GROUPS = (db, reports, plans, briefings, tokens, units, scheduler, calendar, rules, serve)

# The order `taskledger --help` has always listed the commands in (not by group).
COMMAND_ORDER = (
    "db", "events", "import-plan", "progress", "correct", "remind", "urge", "escalate",
    "report", "briefing", "rebuild", "project", "tokens", "units", "tick", "simulate",
    "calendar", "ladder", "rules", "outbox", "scheduler", "serve",
)


def _package_version() -> str:
    try:
        return version("taskledger")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="taskledger",
        description="Event-sourced task-accountability ledger for implementation plans.",
    )
    parser.add_argument("--version", action="version", version=f"taskledger {_package_version()}")
    parser.add_argument(
        "--database-url",
        help="store URL (default: $TASKLEDGER_DATABASE_URL, else sqlite under ./var/)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    adders = {name: add for group in GROUPS for name, add in group.PARSERS.items()}
    assert sorted(adders) == sorted(COMMAND_ORDER), "a command is missing from COMMAND_ORDER"
    for name in COMMAND_ORDER:
        adders[name](commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (undecodable := undecodable_argument(args)) is not None:
        print(f"taskledger: error: {undecodable.replace('_', '-')} is not UTF-8 text",
              file=sys.stderr)
        return EXIT_USER_ERROR
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (LedgerError, UserError) as error:
        message = error.message if isinstance(error, LedgerError) else str(error)
        print(f"taskledger: error: {message}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:  # `taskledger events | head` is normal use
        return 0
    except OSError as error:  # a path the checks above could not foresee (disk full...)
        if error.filename is None:
            raise
        print(f"taskledger: error: {error.filename}: {error.strerror or error}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
