"""The ``taskledger`` command line: an interface beside the HTTP API.

It parses, builds an :class:`~ledger.acts.Act` for the operator, calls the ledger or a
projection, and prints. A user mistake is one line on stderr and exit status 2; nothing
is half-written because every ledger command is all-or-nothing.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NoReturn

from ledger.acts import Act
from ledger.application import Ledger, LedgerRecord, open_ledger
from ledger.clock import BUSINESS_TZ, SystemClock
from ledger.errors import LedgerError
from ledger.store import StoreConfig, configured_store, parse_database_url
from projections.trail import TrailFilter, audit_trail

EXIT_USER_ERROR = 2


class UserError(Exception):
    """A mistake on the command line, reported as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse would print the whole usage block; one line says it better.
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message}\n")


def _package_version() -> str:
    try:
        return version("taskledger")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def _store(args: argparse.Namespace) -> StoreConfig:
    return parse_database_url(args.database_url) if args.database_url else configured_store()


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli:operator"


def _date_or_datetime(text: str) -> date | datetime:
    try:
        if "T" in text or " " in text.strip():
            moment = datetime.fromisoformat(text)
            return moment if moment.tzinfo else moment.replace(tzinfo=BUSINESS_TZ)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM)"
        ) from None


def _non_negative(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return number


# ---- commands -------------------------------------------------------------------------
def cmd_db_init(args: argparse.Namespace) -> int:
    config = _store(args)
    ledger = open_ledger(config, create_tables=True)
    ledger.close()
    print(f"ledger store ready at {config.display}")
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    ledger = _open(args)
    flt = TrailFilter(
        task=args.task, plan=args.plan, unit=args.unit, actor=args.actor, since=args.since
    )
    shown = 0
    for record in audit_trail(ledger.records(after=args.after), flt):
        print(json.dumps(record.to_dict(), ensure_ascii=False) if args.json else _line(record))
        shown += 1
        if args.limit and shown >= args.limit:
            break
    if not args.json and shown == 0:
        print("no events match", file=sys.stderr)
    return 0


def cmd_import_plan(args: argparse.Namespace) -> int:
    from ledger.importer import decode_document, parse_plan
    from ledger.importing import import_plan

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror or error}") from None
    parsed = parse_plan(decode_document(data))
    outcome = None
    if not args.dry_run:
        ledger = _open(args)
        outcome = import_plan(ledger, parsed, Act.by(ledger.clock, _operator(), "office"))
        ledger.close()
    if args.json:
        document = parsed.to_json()
        if outcome is not None:
            document["import"] = outcome.to_json()
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return 0
    print(preview_table(parsed))
    for warning in parsed.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if outcome is None:
        print("dry run: nothing written")
    elif outcome.events == 0:
        print(f"plan already imported ({parsed.natural_key()}); nothing written")
    else:
        verb = "imported" if outcome.plan_created else "amended"
        print(
            f"{verb} {parsed.title}: {outcome.events} events written "
            f"(ledger position {outcome.position})"
        )
        for change in outcome.changes:
            print("  " + ", ".join(f"{k}={v}" for k, v in change.items()))
    return 0


def preview_table(parsed: Any) -> str:
    """The readable preview of an import: one row per task."""
    lines = [
        f"{parsed.title or '(no title)'}",
        f"  document number: {parsed.doc_number or '-'}   issued: {parsed.issued_on or '-'}   "
        f"issuer: {parsed.issuer or '-'}",
    ]
    for target in parsed.targets:
        lines.append(f"  plan target: {target.text}")
    lines.append("")
    lines.append(f"{_pad('number', 10)} {_pad('title', 34)} {_pad('lead', 34)}  co  targets")
    for task in parsed.tasks:
        lead = "、".join(task.lead) or "-"
        targets = "; ".join(
            f"{t.indicator} {t.comparator} {_figure(t.value)} {t.measure}" for t in task.targets
        )
        lines.append(
            f"{_pad(task.number, 10)} {_pad(_clip(task.title, 34), 34)} "
            f"{_pad(_clip(lead, 34), 34)} {len(task.co_units):>3}  {targets}"
        )
    lines.append(f"{len(parsed.tasks)} tasks, {len(parsed.obligations)} reporting duties")
    return "\n".join(lines)


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _clip(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    while _width(text) > width - 1:
        text = text[:-1]
    return text + "…"


def _figure(value: float) -> str:
    return f"{value:,}" if float(value).is_integer() else f"{value:g}"


def _line(record: LedgerRecord) -> str:
    event = record.event
    what = _summary(event)
    flag = " [simulated]" if event.simulated else ""
    return (
        f"{record.position:>7}  {event.timestamp:%Y-%m-%d %H:%M:%S}Z  {event.business_date}  "
        f"{record.stream_type}.{record.type_name:<30} {event.actor} ({event.actor_role})"
        f"{flag}  {what}"
    )


def _summary(event: Any) -> str:
    for name in ("title", "name", "narrative", "reason", "note"):
        value = getattr(event, name, None)
        if isinstance(value, str) and value:
            prefix = ""
            if hasattr(event, "task_number"):
                prefix = f"{event.task_number} {event.unit_name}: "
            text = value.replace("\n", " ")
            return prefix + (text[:60] + "…" if len(text) > 60 else text)
    if hasattr(event, "task_number") and hasattr(event, "unit_name"):
        return f"{event.task_number} {event.unit_name} ({getattr(event, 'role', '')})"
    return ""


def _open(args: argparse.Namespace) -> Ledger:
    return open_ledger(_store(args), clock=SystemClock())


# ---- parser ---------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="taskledger",
        description="Event-sourced task-accountability ledger for implementation plans.",
    )
    parser.add_argument("--version", action="version", version=f"taskledger {_package_version()}")
    parser.add_argument(
        "--database-url",
        help="store URL (default: $TASKLEDGER_DATABASE_URL, else sqlite under ./var/)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    db = commands.add_parser("db", help="manage the ledger store")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", parser_class=_Parser)
    db_commands.required = True
    init = db_commands.add_parser("init", help="create the tables once (idempotent, no events)")
    init.set_defaults(handler=cmd_db_init)

    events = commands.add_parser("events", help="the audit trail: every event, in ledger order")
    events.add_argument("--task", help="task number as printed, e.g. （三） or 3")
    events.add_argument("--plan", help="document number or part of the plan title")
    events.add_argument("--unit", help="unit name or alias")
    events.add_argument("--actor", help="who acted")
    events.add_argument(
        "--since", type=_date_or_datetime, help="business date (or recorded date-time) from"
    )
    events.add_argument(
        "--after", type=_non_negative, default=0, help="only events after this ledger position"
    )
    events.add_argument("--limit", type=_non_negative, default=0, help="stop after N events")
    events.add_argument("--json", action="store_true", help="one JSON object per line")
    events.set_defaults(handler=cmd_events)

    importer = commands.add_parser(
        "import-plan", help="import a plan document (UTF-8 or GB18030 text) as published"
    )
    importer.add_argument("file", help="the document's text file")
    importer.add_argument("--dry-run", action="store_true", help="preview only; write nothing")
    importer.add_argument("--json", action="store_true", help="print the parsed plan as JSON")
    importer.set_defaults(handler=cmd_import_plan)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (LedgerError, UserError) as error:
        message = error.message if isinstance(error, LedgerError) else str(error)
        print(f"taskledger: error: {message}", file=sys.stderr)
        return EXIT_USER_ERROR
    except BrokenPipeError:  # `taskledger events | head` is normal use
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
