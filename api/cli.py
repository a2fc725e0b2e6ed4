"""The ``taskledger`` command line: an interface beside the HTTP API.

It parses, builds an :class:`~ledger.acts.Act` for the operator, calls the ledger or a
projection, and prints. A user mistake is one line on stderr and exit status 2; nothing
is half-written because every ledger command is all-or-nothing.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import stat
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, NoReturn
from uuid import UUID

from api.tables import clip, figure, pad, render
from ledger import ids
from ledger.acts import Act
from ledger.application import Ledger, LedgerRecord, open_ledger
from ledger.assignment import Assignment
from ledger.calendar import ChineseCalendar
from ledger.clock import BUSINESS_TZ, SystemClock
from ledger.errors import LedgerError
from ledger.periods import Period
from ledger.store import StoreConfig, configured_store, parse_database_url, require_store
from projections import queries
from projections.db import ReadStore
from projections.projector import Projector, summarise
from projections.tables import PROJECTIONS
from projections.trail import TrailFilter, audit_trail
from projections.views import open_view

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


# ---- paths ----------------------------------------------------------------------------
def read_input(name: str) -> bytes:
    """A file a command reads: a regular, readable file of at most ``MAX_PLAN_BYTES``
    (the limit ``POST /api/v1/plans`` has), read no further than one byte past it, so
    ``/dev/zero`` or a FIFO cannot hang or fill memory. Anything else is one line."""
    from ledger.importer.text import MAX_PLAN_BYTES

    path = Path(name)
    try:
        kind = os.stat(path).st_mode  # before opening: opening a FIFO would block
        if stat.S_ISDIR(kind):
            raise UserError(f"cannot read {path}: it is a directory")
        if not stat.S_ISREG(kind):
            raise UserError(f"cannot read {path}: not a regular file")
        with path.open("rb") as stream:
            data = stream.read(MAX_PLAN_BYTES + 1)
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > MAX_PLAN_BYTES:
        raise UserError(f"cannot read {path}: larger than {MAX_PLAN_BYTES:,} bytes (2 MiB), "
                        "the limit for an input file")
    return data


def _nearest_folder(path: Path) -> Path:
    """The deepest existing folder at or above ``path`` (where a write would start)."""
    for folder in (path, *path.parents):
        if folder.exists():
            return folder
    return Path(".")


def _writable_folder(path: Path, text: str) -> None:
    existing = _nearest_folder(path)
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text!r}: {existing} is not writable")


def output_file(text: str) -> Path:
    """A file a command writes (missing folders are made): never a directory."""
    path = Path(text)
    if not text or path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a directory; name the file to write")
    _writable_folder(path.parent, text)
    return path


def output_folder(text: str) -> Path:
    """A folder a command writes files into (made if missing): never a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not a directory")
    _writable_folder(path, text)
    return path


# ---- commands -------------------------------------------------------------------------
def cmd_db_init(args: argparse.Namespace) -> int:
    config = _store(args)
    ledger = open_ledger(config, create_tables=True)
    ledger.close()
    store = ReadStore(config, create_tables=True)
    from api.tokens import TokenStore

    TokenStore(store).create_table()
    from api.idempotency import IdempotencyStore

    IdempotencyStore(store).create_table()
    from scheduler.outbox import create_tables as create_outbox

    create_outbox(store)
    store.close()
    print(f"ledger store ready at {config.display}")
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    ledger = _open(args)
    flt = TrailFilter(
        task=args.task, plan=args.plan, unit=args.unit, actor=args.actor, since=args.since
    )
    shown = hidden = 0
    if args.simulated:
        print("real and simulated events; simulated ones are marked [simulated] "
              '(JSON: "simulated": true)', file=sys.stderr)
    for record in audit_trail(ledger.records(after=args.after), flt):
        if record.event.simulated and not args.simulated:
            hidden += 1
            continue
        print(json.dumps(record.to_dict(), ensure_ascii=False) if args.json else _line(record))
        shown += 1
        if args.limit and shown >= args.limit:
            break
    if not args.json and shown == 0:
        print("no events match", file=sys.stderr)
    if hidden:
        print(f"{hidden} simulated event(s) not shown; --simulated lists them too",
              file=sys.stderr)
    return 0


def cmd_import_plan(args: argparse.Namespace) -> int:
    from ledger.importer import decode_document, parse_plan
    from ledger.importing import import_plan

    parsed = parse_plan(decode_document(read_input(args.file)))
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
    lines.append(f"{pad('number', 10)} {pad('title', 34)} {pad('lead', 34)}  co  targets")
    for task in parsed.tasks:
        lead = "、".join(task.lead) or "-"
        targets = "; ".join(
            f"{t.indicator} {t.comparator} {figure(t.value)} {t.measure}" for t in task.targets
        )
        lines.append(
            f"{pad(task.number, 10)} {pad(clip(task.title, 34), 34)} "
            f"{pad(clip(lead, 34), 34)} {len(task.co_units):>3}  {targets}"
        )
    lines.append(f"{len(parsed.tasks)} tasks, {len(parsed.obligations)} reporting duties")
    return "\n".join(lines)


def _read_store(args: argparse.Namespace) -> ReadStore:
    config = _store(args)
    require_store(config)  # SQLite upgrades its read models in place, never makes a store
    return ReadStore(config, create_tables=config.backend == "sqlite")


def _calendar(ledger: Ledger) -> ChineseCalendar:
    """The calendar every part shares: Chinese holidays plus the office's adjustments."""
    return ledger.working_calendar()


def _assignment(
    args: argparse.Namespace, ledger: Ledger, store: ReadStore
) -> tuple[Assignment, dict]:
    """The assignment named by --plan, --task and --unit (any alias), and its unit's row."""
    Projector(ledger, store, _calendar(ledger)).catch_up()
    plans = queries.resolve_plan(store, args.plan)
    if len(plans) > 1:
        raise UserError(f"--plan {args.plan!r} matches {len(plans)} plans; be more specific")
    unit = queries.resolve_unit(store, args.unit)
    task_id = ids.task_id(UUID(plans[0]["plan_id"]), args.task.strip())
    return ledger.assignment_of(task_id, UUID(unit["unit_id"])), unit


def cmd_progress(args: argparse.Namespace) -> int:
    ledger = _open(args)
    store = _read_store(args)
    assignment, unit = _assignment(args, ledger, store)
    receipt = ledger.report_progress(
        Act.by(ledger.clock, _operator(), "office", business_date=args.business_date),
        assignment.id,
        args.period,
        args.narrative,
        dict(args.value or []),
        args.idempotency_key,
    )
    Projector(ledger, store, _calendar(ledger)).catch_up()
    if args.json:
        print(
            json.dumps(
                {
                    "event_id": str(receipt.event_id),
                    "assignment_id": str(assignment.id),
                    "position": receipt.position,
                    "created": receipt.created,
                },
                ensure_ascii=False,
            )
        )
    elif receipt.created:
        print(
            f"recorded {unit['name']} on {args.task} for {args.period} "
            f"(event {receipt.event_id}, ledger position {receipt.position})"
        )
    else:
        print(f"already recorded with this idempotency key (event {receipt.event_id})")
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    """Correct a report (or a correction of one): only the narrative and figures named."""
    ledger = _open(args)
    store = _read_store(args)
    by_names = (args.plan, args.task, args.unit)
    if args.assignment is not None:
        if any(by_names):
            raise UserError("name the assignment by --assignment or by --plan, --task and "
                            "--unit, not both")
        assignment_id = args.assignment
    elif all(by_names):
        assignment_id = _assignment(args, ledger, store)[0].id
    else:
        raise UserError("name the assignment: --assignment ID, or --plan, --task and --unit")
    changes: dict[str, int | float | None] = {}
    for name, value in [*(args.metric or []), *((n, None) for n in args.remove_metric or [])]:
        name = name.strip()
        if name in changes:
            raise UserError(f"figure {name!r} is named twice (--metric, --remove-metric)")
        changes[name] = value
    receipt = ledger.correct_progress(
        Act.by(ledger.clock, _operator(), "office"),
        assignment_id,
        args.report,
        args.narrative,
        changes or None,
        args.reason,
    )
    Projector(ledger, store, _calendar(ledger)).catch_up()
    assignment = ledger.get_assignment(assignment_id)
    report = assignment.correction_of[assignment.version_of(receipt.event_id)]
    figures = assignment.report_values[report][1]
    if args.json:
        print(
            json.dumps(
                {
                    "event_id": str(receipt.event_id),
                    "assignment_id": str(assignment_id),
                    "corrects": str(args.report),
                    "report_id": str(assignment.event_id_at(report)),
                    "position": receipt.position,
                    "metrics": figures,
                },
                ensure_ascii=False,
            )
        )
    else:
        now = ", ".join(f"{name}={value}" for name, value in figures.items()) or "none"
        print(
            f"corrected report {assignment.event_id_at(report)} of {assignment.unit_name} on "
            f"{assignment.task_number} (event {receipt.event_id}, ledger position "
            f"{receipt.position}); its figures now: {now}"
        )
    return 0


CHASES = {
    # command: (kind, the ledger's method, what the office did, help)
    "remind": ("reminder", Ledger.issue_reminder, "reminded",
               "remind a unit (提醒) of a report it owes"),
    "urge": ("urge", Ledger.issue_urge, "urged", "urge a unit (催办) for a report it owes"),
    "escalate": ("escalation", Ledger.escalate, "escalated",
                 "escalate (上报监督平台) a report a unit owes"),
}


def cmd_chase(args: argparse.Namespace) -> int:
    """提醒, 催办 or 上报 from the office's desk, for an obligation the unit owes.

    The due date is the obligation's own (an approved extension applied), read from the
    read models, never typed: a chase names the deadline the unit actually has.
    """
    kind, command, done, _ = CHASES[args.command]
    ledger = _open(args)
    store = _read_store(args)
    assignment, unit = _assignment(args, ledger, store)
    period = str(Period.parse(args.period))
    rule = args.obligation.strip()
    calendar = _calendar(ledger)
    with open_view(ledger, store, calendar) as view:
        owed = [
            o for o in queries.obligations(view, calendar, assignment=str(assignment.id))
            if o["rule"] == rule and o["period"] == period
        ]
    who = f"{unit['name']} on task {assignment.task_number}"
    if not owed:
        raise UserError(f"{who} does not owe {rule} {period}")
    if owed[0]["first_report_on"]:
        raise UserError(
            f"{who} does not owe {rule} {period}: reported on {owed[0]['first_report_on']}"
        )
    due_on = date.fromisoformat(owed[0]["effective_due_on"])
    receipt = command(
        ledger,
        Act.by(ledger.clock, _operator(), "office"),
        assignment.id,
        rule,
        period,
        due_on,
        args.reason,
        args.evidence or (),
    )
    Projector(ledger, store, calendar).catch_up()
    if args.json:
        print(json.dumps({
            "event_id": str(receipt.event_id),
            "assignment_id": str(assignment.id),
            "kind": kind,
            "obligation": rule,
            "period": period,
            "due_on": due_on.isoformat(),
            "position": receipt.position,
            "created": receipt.created,
        }, ensure_ascii=False))
    elif not receipt.created:
        print(f"already {done} {who} for {rule} {period} today (event {receipt.event_id}); "
              "nothing recorded")
    else:
        print(f"{done} {who} for {rule} {period}, due {due_on} "
              f"(event {receipt.event_id}, ledger position {receipt.position})")
    return 0


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


def cmd_report(args: argparse.Namespace) -> int:
    ledger = _open(args)
    store = _read_store(args)
    calendar = _calendar(ledger)
    with open_view(ledger, store, calendar, as_of=args.as_of, position=args.position) as view:
        kind = args.report
        if kind == "responsibilities":
            rows = queries.responsibilities(view, unit=args.unit, task=args.task, plan=args.plan)
        elif kind == "overdue":
            rows = queries.overdue(view, calendar, unit=args.unit)
        elif kind == "targets":
            rows = queries.target_progress(view, calendar=calendar)
        else:
            rows = queries.scorecard(view, calendar)
        header = {
            "report": kind,
            "as_of": view.as_of.isoformat(),
            "position": view.position,
            "calendar_warnings": calendar.warnings_for({view.as_of.year}),
        }
    if args.json:
        print(json.dumps({**header, "rows": rows}, ensure_ascii=False, indent=2))
        return 0
    print(f"{kind} as of {header['as_of']}, ledger position {header['position']}: {len(rows)} rows")
    for warning in header["calendar_warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    if rows:
        print(render(rows, REPORT_COLUMNS[kind]))
    return 0


def cmd_briefing(args: argparse.Namespace) -> int:
    from scheduler.briefings import issue_briefing
    from scheduler.folders import briefings_dir

    copy = Path(args.out) if args.out else None
    if copy is not None and copy.is_dir():
        raise UserError(f"--out {args.out} is a directory; name the PDF file to write")
    if copy is None and args.no_record:
        raise UserError("--no-record writes no briefing into the briefings folder; give --out")
    ledger = _open(args)
    store = _read_store(args)
    act = Act.by(ledger.clock, _operator(), "office")
    briefing, path, receipt = issue_briefing(
        ledger, store, _calendar(ledger), args.kind, args.period, out=copy,
        folder=briefings_dir(), as_of=args.as_of, position=args.position, act=act,
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


def cmd_rebuild(args: argparse.Namespace) -> int:
    ledger = _open(args)
    store = _read_store(args)
    names = [args.projection] if args.projection else None
    stats = Projector(ledger, store, _calendar(ledger)).rebuild(
        names, batch_size=args.batch_size, progress=_progress_bar
    )
    print(file=sys.stderr)
    print(
        f"rebuilt {', '.join(names or PROJECTIONS)}: {stats.applied} events in "
        f"{stats.seconds:.1f}s ({stats.rate:,.0f} events/s), position {stats.position}"
        + (f", {stats.unknown} unknown events skipped" if stats.unknown else "")
    )
    return 0


def _progress_bar(stats: Any, head: int) -> None:
    done = stats.position
    fraction = done / head if head else 1.0
    rate = stats.rate
    eta = (head - done) / rate if rate else 0.0
    bar = "#" * int(30 * fraction)
    sys.stderr.write(
        f"\r[{bar:<30}] {done:,}/{head:,} events  {rate:,.0f} events/s  ETA {eta:,.0f}s "
    )
    sys.stderr.flush()


def cmd_project(args: argparse.Namespace) -> int:
    import signal
    import threading

    ledger = _open(args)
    store = _read_store(args)
    projector = Projector(ledger, store, _calendar(ledger))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(
        f"projecting {_store(args).display} (positions {store.positions()}); stop with Ctrl-C",
        flush=True,
    )
    projector.run_forever(stop, poll_seconds=args.poll, batch_size=args.batch_size or 1000)
    return 0


def _metric(text: str) -> tuple[str, int | float]:
    name, sep, number = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=NUMBER")
    try:
        value: int | float = int(number)
    except ValueError:
        try:
            value = float(number)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{number!r} in {text!r} is not a number") from None
    return name.strip(), value


def _event_id(text: str) -> UUID:
    try:
        return UUID(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an event id (a UUID)") from None


def _assignment_id(text: str) -> UUID:
    try:
        return UUID(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an assignment id (a UUID)") from None


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def cmd_tokens(args: argparse.Namespace) -> int:
    from api.tokens import TokenStore

    store = _read_store(args)
    tokens = TokenStore(store)
    tokens.create_table()
    now = SystemClock().now()
    if args.tokens_command == "create":
        unit_id = unit_name = None
        if args.unit:
            ledger = _open(args)
            Projector(ledger, store, _calendar(ledger)).catch_up()
            unit = queries.resolve_unit(store, args.unit)
            unit_id, unit_name = unit["unit_id"], unit["name"]
        expires = None
        if args.expires:
            expires = datetime.combine(args.expires, datetime.min.time(), tzinfo=BUSINESS_TZ)
        token_id, token = tokens.create(args.role, now, unit_id=unit_id, unit_name=unit_name,
                                        label=args.label, expires_at=expires)
        print(f"token {token_id} for {args.role}" + (f" of {unit_name}" if unit_name else "")
              + " (shown once; store it now):")
        print(token)
    elif args.tokens_command == "list":
        rows = tokens.list()
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        elif rows:
            print(render(rows, [("token_id", "id", 12), ("role", "role", 8),
                                ("unit_name", "unit", 26), ("label", "label", 30),
                                ("created_at", "created", 19), ("expires_at", "expires", 19),
                                ("revoked_at", "revoked", 19)]))
    else:
        tokens.revoke(args.token_id, now)
        print(f"token {args.token_id} revoked")
    return 0


CONTACT_FLAGS = ("name", "phone", "email", "webhook")


def cmd_units(args: argparse.Namespace) -> int:
    ledger = _open(args)
    store = _read_store(args)
    Projector(ledger, store, _calendar(ledger)).catch_up()
    unit = queries.find_unit(store, args.unit)
    created = None
    if args.units_command == "contact":
        changes = {k: getattr(args, k) for k in CONTACT_FLAGS if getattr(args, k) is not None}
        if not changes:
            raise UserError("give at least one of --name, --phone, --email, --webhook "
                            "('' clears one); 'taskledger units show' prints the contact")
        receipt = ledger.update_liaison(Act.by(ledger.clock, _operator(), "office"),
                                        UUID(unit.unit_id), **changes)
        created = receipt.created
        Projector(ledger, store, _calendar(ledger)).catch_up()
        unit = queries.unit_record(store, unit.unit_id)
    if args.json:
        shown = unit.to_json() if created is None else {**unit.to_json(), "created": created}
        print(json.dumps(shown, ensure_ascii=False, indent=2))
        return 0
    if created is not None:
        print(f"contact of {unit.name} " + (f"recorded (ledger position {unit.position})"
                                            if created else "unchanged; nothing written"))
    print(f"{unit.name}  ({unit.kind})  {unit.unit_id}")
    print(f"  aliases: {'、'.join(unit.aliases) or '-'}")
    if unit.contact is None:
        print("  contact: none")
    else:
        print(f"  contact: {unit.contact['name']}")
        for key in ("phone", "email", "webhook"):
            print(f"    {key + ':':<9}{unit.contact[key] or '-'}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from api.server import serve

    config = _store(args)
    # refuse a missing store before the workers start (only `db init` makes one)
    ledger = open_ledger(config)
    ledger.close()
    port = args.port if args.port is not None else _env_port()
    print(f"taskledger API on {config.display}, listening on http://{args.host}:{port}",
          flush=True)
    serve(config, args.host, port, args.workers)
    return 0


def _env_port() -> int:
    import os

    raw = os.environ.get("TASKLEDGER_PORT", "8000")
    try:
        port = int(raw)
    except ValueError:
        raise UserError(f"TASKLEDGER_PORT={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise UserError(f"TASKLEDGER_PORT={raw!r} is not a port number")
    return port


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number")
    return port


def cmd_tick(args: argparse.Namespace) -> int:
    from scheduler.tick import run_tick

    ledger = _open(args)
    store = _read_store(args)
    today = ledger.clock.today()
    day = args.as_of or today
    simulated = day != today
    report = run_tick(ledger, store, day, wall=ledger.clock, simulated=simulated,
                      dry_run=args.dry_run, after_cycle=_briefings(args, ledger, store))
    _print_days([report], args.json)
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from scheduler.tick import run_tick

    if args.to < args.start:
        raise UserError("--to is before --from")
    if (args.to - args.start).days > 3 * 366:
        raise UserError("simulate at most three years at a time")
    ledger = _open(args)
    store = _read_store(args)
    reports = []
    day = args.start
    while day <= args.to:
        reports.append(run_tick(ledger, store, day, wall=ledger.clock, simulated=True,
                                dry_run=args.dry_run,
                                after_cycle=_briefings(args, ledger, store)))
        day += timedelta(days=1)
    _print_days(reports, args.json)
    return 0


def _briefings(args: argparse.Namespace, ledger: Ledger, store: ReadStore) -> Any:
    """Each real cycle issues its briefing into the briefings folder, as the scheduler's
    do (a cycle recorded without one would never get it); --briefings DIR overrides the
    folder. A rehearsal's cycles issue theirs (simulated) only with --briefings."""
    from ledger.clock import SimulatedClock
    from scheduler.folders import briefings_dir
    from scheduler.tick import SCHEDULER_ACTOR, briefing_hook

    rehearsal = args.command == "simulate" or (
        getattr(args, "as_of", None) not in (None, ledger.clock.today()))
    if not getattr(args, "briefings", None) and rehearsal:
        return None
    folder = Path(args.briefings) if getattr(args, "briefings", None) else briefings_dir()

    def act_for(day: date) -> Act:
        clock = ledger.clock if day == ledger.clock.today() else SimulatedClock(
            day, wall=ledger.clock)
        return Act.by(clock, SCHEDULER_ACTOR, "system", business_date=day)

    return briefing_hook(ledger, store, folder, act_for)


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


def cmd_calendar(args: argparse.Namespace) -> int:
    ledger = _open(args)
    act = Act.by(ledger.clock, _operator(), "office")
    if args.calendar_command == "set":
        receipt = ledger.adjust_calendar(act, marks=[(args.day, args.mark)], note=args.note)
        print(f"{args.day} is now a {args.mark}" if receipt.created
              else f"{args.day} was already a {args.mark}; nothing written")
    elif args.calendar_command == "load":
        marks = _read_marks(Path(args.file))
        years = [args.confirm_year] if args.confirm_year else []
        receipt = ledger.adjust_calendar(act, marks=marks, confirm_years=years, note=args.note)
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
    from ledger.obligations import LadderPolicy

    ledger = _open(args)
    store = _read_store(args)
    Projector(ledger, store, _calendar(ledger)).catch_up()
    plans = queries.resolve_plan(store, args.plan)
    if len(plans) != 1:
        raise UserError(f"--plan {args.plan!r} matches {len(plans)} plans; be more specific")
    plan = ledger.get_plan(UUID(plans[0]["plan_id"]))
    current = LadderPolicy(**plan.ladder) if plan.ladder else LadderPolicy()
    changes = {k: v for k, v in (("remind_before", args.remind_before),
                                 ("urge_after", args.urge_after),
                                 ("escalate_after", args.escalate_after)) if v is not None}
    if args.escalate_after_urges is not None:
        changes["escalate_after_urges"] = args.escalate_after_urges or None
    if changes:
        wanted = LadderPolicy(**{**current.as_dict(), **changes})
        ledger.configure_ladder(Act.by(ledger.clock, _operator(), "office"), plan.id, wanted)
        current = wanted
    urges = current.escalate_after_urges or "off"
    print(f"{plan.title}: remind {current.remind_before} working days before, urge "
          f"{current.urge_after} after, escalate {current.escalate_after} after; escalate "
          f"a unit urged N times in a quarter: {urges}")
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    """List the outbox's deliveries, or (``outbox deliver``) queue and send once."""
    from scheduler.outbox import create_tables, outbox_list
    from scheduler.service import channels_from_env, deliver

    ledger = _open(args)
    if args.outbox_command == "deliver":
        outcome = deliver(_store(args), ledger.clock, channels_from_env())
        if args.json:
            print(json.dumps(outcome, sort_keys=True))
        else:
            print(", ".join(f"{count} {what.replace('_', ' ')}"
                            for what, count in outcome.items()))
        return 0
    store = _read_store(args)
    Projector(ledger, store, ledger.working_calendar()).catch_up()
    create_tables(store)
    rows = outbox_list(store, args.channel)
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

    run_scheduler(_store(args), at=args.at)
    return 0


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
    if isinstance(event, Assignment.ProgressCorrected):  # the chain: what it corrects
        of = f"corrects {event.corrects}"
        if event.corrects != event.report:
            of += f", a correction of report {event.report}"
        return f"{summarise(event)} [{of}]"
    liaison = getattr(event, "liaison", None)
    if isinstance(liaison, dict):
        return f"contact {liaison.get('name', '')}"
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
    events.add_argument("--simulated", action="store_true",
                        help="also list rehearsal events (simulate, tick --as-of), flagged")
    events.set_defaults(handler=cmd_events)

    importer = commands.add_parser(
        "import-plan", help="import a plan document (UTF-8 or GB18030 text) as published"
    )
    importer.add_argument("file", help="the document's text file")
    importer.add_argument("--dry-run", action="store_true", help="preview only; write nothing")
    importer.add_argument("--json", action="store_true", help="print the parsed plan as JSON")
    importer.set_defaults(handler=cmd_import_plan)

    progress = commands.add_parser("progress", help="post a progress report for a unit")
    progress.add_argument("--plan", required=True, help="document number or part of the title")
    progress.add_argument("--task", required=True, help="task number as printed")
    progress.add_argument("--unit", required=True, help="unit name or alias")
    progress.add_argument("--period", required=True, help="2026-06, 2026-Q2, 2026-H1 or 2026")
    progress.add_argument("--narrative", required=True, help="what was done")
    progress.add_argument(
        "--value",
        action="append",
        type=_metric,
        metavar="NAME=NUMBER",
        help="a figure, named as the target's indicator (repeatable)",
    )
    progress.add_argument("--idempotency-key", help="the same key again records nothing")
    progress.add_argument("--business-date", type=_date,
                          help="the day the report counts for (default today), e.g. the "
                          "date on a report received on paper")
    progress.add_argument("--json", action="store_true")
    progress.set_defaults(handler=cmd_progress)

    correct = commands.add_parser(
        "correct", help="correct a report: its narrative and/or named figures",
        description="Correct a progress report, or a correction of one. Only what is named "
        "changes: figures not named keep their values. The report, with its business date "
        "and on-time status, stays in the ledger.")
    correct.add_argument("--assignment", type=_assignment_id, metavar="ID",
                         help="the assignment's id (or name it by --plan, --task, --unit)")
    correct.add_argument("--plan", help="document number or part of the title")
    correct.add_argument("--task", help="task number as printed")
    correct.add_argument("--unit", help="unit name or alias")
    correct.add_argument("--report", "--corrects", dest="report", required=True,
                         type=_event_id, metavar="EVENT_ID",
                         help="the report, or a correction of it, to correct")
    correct.add_argument("--narrative", help="the new narrative (default: unchanged)")
    correct.add_argument("--metric", "--value", dest="metric", action="append", type=_metric,
                         metavar="NAME=NUMBER", help="set a figure (repeatable)")
    correct.add_argument("--remove-metric", action="append", metavar="NAME",
                         help="remove a figure the report has (repeatable)")
    correct.add_argument("--reason", required=True, help="why, as the trail will show it")
    correct.add_argument("--json", action="store_true")
    correct.set_defaults(handler=cmd_correct)

    for name, (*_, summary) in CHASES.items():
        chase = commands.add_parser(name, help=summary)
        chase.add_argument("--plan", required=True, help="document number or part of the title")
        chase.add_argument("--task", required=True, help="task number as printed")
        chase.add_argument("--unit", required=True, help="unit name or alias")
        chase.add_argument("--obligation", required=True,
                           help="the reporting rule, e.g. implementation-report-quarterly")
        chase.add_argument("--period", required=True, help="2026-06, 2026-Q2, 2026-H1 or 2026")
        chase.add_argument("--reason", required=True, help="why, as the unit will read it")
        chase.add_argument("--evidence", action="append", type=_event_id, metavar="EVENT_ID",
                           help="an event of this assignment that justifies it (repeatable)")
        chase.add_argument("--json", action="store_true")
        chase.set_defaults(handler=cmd_chase)

    report = commands.add_parser("report", help="responsibility list, overdue, targets, scores")
    report.add_argument("report", choices=list(REPORT_COLUMNS))
    report.add_argument("--as-of", type=_date, help="business date evaluated (default today)")
    report.add_argument(
        "--position",
        type=_non_negative,
        help="knowledge cut-off: only events up to this ledger position",
    )
    report.add_argument("--unit", help="unit name or alias")
    report.add_argument("--task", help="task number as printed")
    report.add_argument("--plan", help="document number or part of the title")
    report.add_argument("--json", action="store_true")
    report.set_defaults(handler=cmd_report)

    briefing = commands.add_parser("briefing", help="render a briefing PDF and record it")
    briefing.add_argument("kind", choices=["monthly", "quarterly", "half-year", "annual"])
    briefing.add_argument("--period", required=True, help="2026-06, 2026-Q2, 2026-H1 or 2026")
    briefing.add_argument("--as-of", type=_date,
                          help="business date evaluated (default: the period's last day)")
    briefing.add_argument("--position", type=_non_negative,
                          help="knowledge cut-off: only events up to this ledger position")
    briefing.add_argument("--out", type=output_file,
                          help="also write a copy to this PDF file (the issued "
                          "briefing always goes into TASKLEDGER_BRIEFINGS_DIR, "
                          "default ./var/briefings)")
    briefing.add_argument("--no-record", action="store_true",
                          help="write --out only; record no BriefingIssued event")
    briefing.set_defaults(handler=cmd_briefing)

    rebuild = commands.add_parser("rebuild", help="rebuild read models from the ledger")
    rebuild.add_argument("--projection", choices=list(PROJECTIONS))
    rebuild.add_argument("--batch-size", type=_non_negative, default=2000)
    rebuild.set_defaults(handler=cmd_rebuild)

    project = commands.add_parser("project", help="keep the read models up to date (runs)")
    project.add_argument("--poll", type=float, default=0.5, help="seconds between polls")
    project.add_argument("--batch-size", type=_non_negative, default=1000,
                         help="events per transaction")
    project.set_defaults(handler=cmd_project)

    tokens = commands.add_parser("tokens", help="API tokens: create, list, revoke")
    token_commands = tokens.add_subparsers(dest="tokens_command", metavar="ACTION",
                                           parser_class=_Parser)
    token_commands.required = True
    create = token_commands.add_parser("create", help="make a token (printed once, last line)")
    create.add_argument("--role", required=True, choices=["office", "liaison", "auditor",
                                                           "platform"])
    create.add_argument("--unit", help="the liaison's unit (name or alias)")
    create.add_argument("--label", help="who holds it, as events will name the actor")
    create.add_argument("--expires", type=_date, help="last day (Asia/Shanghai) it works")
    create.set_defaults(handler=cmd_tokens)
    listing = token_commands.add_parser("list", help="every token (never the secret)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_tokens)
    revoke = token_commands.add_parser("revoke", help="stop a token working")
    revoke.add_argument("token_id")
    revoke.set_defaults(handler=cmd_tokens)

    units = commands.add_parser("units", help="responsible units: show one, set its contact")
    unit_commands = units.add_subparsers(dest="units_command", metavar="ACTION",
                                         parser_class=_Parser)
    unit_commands.required = True
    contact = unit_commands.add_parser(
        "contact", help="set the unit's contact (联络员); flags not given stay as they are",
        description="Set the unit's contact. Flags not given keep their value; an empty "
        "value (--email '') clears that field. Every change is kept in the ledger for good.")
    contact.add_argument("unit", help="unit name, alias or id")
    contact.add_argument("--name", help="who the contact is (a contact must have one)")
    contact.add_argument("--phone", help="digits, optionally +, -, brackets, spaces")
    contact.add_argument("--email", help="one address; reminders are mailed to it")
    contact.add_argument("--webhook", metavar="URL",
                         help="http(s) URL reminders are posted to (not fetched now)")
    contact.add_argument("--json", action="store_true")
    contact.set_defaults(handler=cmd_units)
    show_unit = unit_commands.add_parser("show", help="a unit: id, kind, aliases, contact")
    show_unit.add_argument("unit", help="unit name, alias or id")
    show_unit.add_argument("--json", action="store_true")
    show_unit.set_defaults(handler=cmd_units)

    tick = commands.add_parser("tick", help="run the scheduler's daily tick once")
    tick.add_argument("--as-of", type=_date, help="as if it were this day (simulated)")
    tick.add_argument("--dry-run", action="store_true", help="decide, write nothing")
    tick.add_argument("--json", action="store_true")
    tick.add_argument("--briefings", metavar="DIR", type=output_folder,
                      help="cycles issue their PDF briefings here (default "
                      "TASKLEDGER_BRIEFINGS_DIR; a simulated day: none)")
    tick.set_defaults(handler=cmd_tick)

    simulate = commands.add_parser("simulate", help="run every day of a range, simulated")
    simulate.add_argument("--from", dest="start", type=_date, required=True)
    simulate.add_argument("--to", type=_date, required=True)
    simulate.add_argument("--dry-run", action="store_true", help="decide, write nothing")
    simulate.add_argument("--json", action="store_true")
    simulate.add_argument("--briefings", metavar="DIR", type=output_folder,
                          help="cycles issue their PDF briefings here")
    simulate.set_defaults(handler=cmd_simulate)

    calendar_cmd = commands.add_parser("calendar", help="working days: show and adjust")
    calendar_commands = calendar_cmd.add_subparsers(dest="calendar_command", metavar="ACTION",
                                                    parser_class=_Parser)
    calendar_commands.required = True
    mark = calendar_commands.add_parser("set", help="make a day a working day or a holiday")
    mark.add_argument("day", type=_date)
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

    ladder = commands.add_parser("ladder", help="show or set a plan's escalation ladder")
    ladder.add_argument("--plan", required=True, help="document number or part of the title")
    ladder.add_argument("--remind-before", type=_non_negative, help="working days")
    ladder.add_argument("--urge-after", type=_non_negative, help="working days")
    ladder.add_argument("--escalate-after", type=_non_negative, help="working days")
    ladder.add_argument("--escalate-after-urges", type=_non_negative,
                        help="escalate a unit urged this many times in a quarter (0: off)")
    ladder.set_defaults(handler=cmd_ladder)

    outbox = commands.add_parser("outbox", help="deliveries to liaisons and the platform")
    outbox.add_argument("--json", action="store_true")
    outbox.add_argument("--channel", choices=["liaison", "platform"])
    outbox_commands = outbox.add_subparsers(dest="outbox_command", metavar="ACTION",
                                            parser_class=_Parser)
    deliver = outbox_commands.add_parser("deliver", help="queue new chasers and send, once")
    deliver.add_argument("--json", action="store_true")
    outbox.set_defaults(handler=cmd_outbox, outbox_command=None)

    scheduler = commands.add_parser("scheduler", help="run the scheduler process (daily tick)")
    scheduler.add_argument("--at", default="09:00", help="daily tick time, Asia/Shanghai")
    scheduler.set_defaults(handler=cmd_scheduler)

    serve = commands.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, help="default $TASKLEDGER_PORT, else 8000")
    serve.add_argument("--workers", type=_non_negative, help="gunicorn workers")
    serve.set_defaults(handler=cmd_serve)
    return parser


# Arguments naming files: a Linux file name may be any bytes, so these are not text.
_PATH_ARGUMENTS = frozenset({"file", "out", "briefings"})


def _undecodable_argument(args: argparse.Namespace) -> str | None:
    """The first text argument holding bytes that are not UTF-8 (Python reads them as
    lone surrogates, which no store or lookup can take), by its option name."""
    for dest, value in vars(args).items():
        values = value if isinstance(value, list | tuple) else [value]
        if dest not in _PATH_ARGUMENTS and any(
            isinstance(v, str) and any("\ud800" <= c <= "\udfff" for c in v) for v in values
        ):
            return dest
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (undecodable := _undecodable_argument(args)) is not None:
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


if __name__ == "__main__":
    sys.exit(main())
