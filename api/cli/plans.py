"""Writing to a plan from the office's desk: ``import-plan``, a unit's ``progress`` report,
its ``correct``-ion, and the chases (``remind``, ``urge``, ``escalate``)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from functools import partial
from typing import Any
from uuid import UUID

from api.cli.args import (
    Commands,
    UserError,
    assignment_uuid,
    event_uuid,
    iso_date,
    metric,
    read_input,
)
from api.cli.context import CliContext
from api.tables import clip, figure, pad
from ledger.application import Ledger
from ledger.assignment import Assignment
from ledger.periods import Period
from ledger.vocabulary import ChaseKind
from projections import lookup, queries
from projections.lookup import UnitRef
from projections.views import open_view


def cmd_import_plan(args: argparse.Namespace) -> int:
    from ledger.importer import decode_document, parse_plan
    from ledger.importing import import_plan

    parsed = parse_plan(decode_document(read_input(args.file)))
    outcome = None
    if not args.dry_run:
        with CliContext(args) as cli:
            outcome = import_plan(cli.ledger, parsed, cli.act())
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


def _assignment(args: argparse.Namespace, cli: CliContext) -> tuple[Assignment, UnitRef]:
    """The assignment named by --plan, --task and --unit (ids, names, numbers as printed,
    any alias: :mod:`projections.lookup`), and its unit."""
    cli.catch_up()
    task = lookup.resolve_task(cli.store, args.task, plan=args.plan)
    unit = lookup.resolve_unit(cli.store, args.unit)
    return cli.ledger.assignment_of(UUID(task.task_id), UUID(unit.unit_id)), unit


def cmd_progress(args: argparse.Namespace) -> int:
    with CliContext(args) as cli:
        ledger = cli.ledger
        assignment, unit = _assignment(args, cli)
        receipt = ledger.report_progress(
            cli.act(business_date=args.business_date),
            assignment.id,
            args.period,
            args.narrative,
            dict(args.value or []),
            args.idempotency_key,
        )
        cli.catch_up()
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
            f"recorded {unit.name} on {args.task} for {args.period} "
            f"(event {receipt.event_id}, ledger position {receipt.position})"
        )
    else:
        print(f"already recorded with this idempotency key (event {receipt.event_id})")
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    """Correct a report (or a correction of one): only the narrative and figures named."""
    with CliContext(args) as cli:
        ledger = cli.ledger
        by_names = (args.plan, args.task, args.unit)
        if args.assignment is not None:
            if any(by_names):
                raise UserError("name the assignment by --assignment or by --plan, --task and "
                                "--unit, not both")
            assignment_id = args.assignment
        elif all(by_names):
            assignment_id = _assignment(args, cli)[0].id
        else:
            raise UserError("name the assignment: --assignment ID, or --plan, --task and --unit")
        changes: dict[str, int | float | None] = {}
        for name, value in [*(args.metric or []),
                            *((n, None) for n in args.remove_metric or [])]:
            name = name.strip()
            if name in changes:
                raise UserError(f"figure {name!r} is named twice (--metric, --remove-metric)")
            changes[name] = value
        receipt = ledger.correct_progress(
            cli.act(),
            assignment_id,
            args.report,
            args.narrative,
            changes or None,
            args.reason,
        )
        cli.catch_up()
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
    "remind": (ChaseKind.REMINDER, Ledger.issue_reminder, "reminded",
               "remind a unit (提醒) of a report it owes"),
    "urge": (ChaseKind.URGE, Ledger.issue_urge, "urged", "urge a unit (催办) for a report it owes"),
    "escalate": (ChaseKind.ESCALATION, Ledger.escalate, "escalated",
                 "escalate (上报监督平台) a report a unit owes"),
}


def cmd_chase(args: argparse.Namespace) -> int:
    """提醒, 催办 or 上报 from the office's desk, for an obligation the unit owes.

    The due date is the obligation's own (an approved extension applied), read from the
    read models, never typed: a chase names the deadline the unit actually has.
    """
    kind, command, done, _ = CHASES[args.command]
    with CliContext(args) as cli:
        ledger = cli.ledger
        assignment, unit = _assignment(args, cli)
        period = str(Period.parse(args.period))
        rule = args.obligation.strip()
        calendar = cli.calendar
        with open_view(ledger, cli.store, calendar) as view:
            owed = [
                o for o in queries.obligations(view, assignment=str(assignment.id))
                if o["rule"] == rule and o["period"] == period
            ]
        who = f"{unit.name} on task {assignment.task_number}"
        if not owed:
            raise UserError(f"{who} does not owe {rule} {period}")
        if owed[0]["first_report_on"]:
            raise UserError(
                f"{who} does not owe {rule} {period}: reported on {owed[0]['first_report_on']}"
            )
        due_on = date.fromisoformat(owed[0]["effective_due_on"])
        receipt = command(
            ledger,
            cli.act(),
            assignment.id,
            rule,
            period,
            due_on,
            args.reason,
            args.evidence or (),
        )
        cli.catch_up()
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


# ---- parsers ----------------------------------------------------------------------------
def add_import_plan(commands: Commands) -> None:
    importer = commands.add_parser(
        "import-plan", help="import a plan document (UTF-8 or GB18030 text) as published"
    )
    importer.add_argument("file", help="the document's text file")
    importer.add_argument("--dry-run", action="store_true", help="preview only; write nothing")
    importer.add_argument("--json", action="store_true", help="print the parsed plan as JSON")
    importer.set_defaults(handler=cmd_import_plan)


def add_progress(commands: Commands) -> None:
    progress = commands.add_parser("progress", help="post a progress report for a unit")
    progress.add_argument("--plan", required=True, help="document number or part of the title")
    progress.add_argument("--task", required=True, help="task number as printed")
    progress.add_argument("--unit", required=True, help="unit name or alias")
    progress.add_argument("--period", required=True, help="2026-06, 2026-Q2, 2026-H1 or 2026")
    progress.add_argument("--narrative", required=True, help="what was done")
    progress.add_argument(
        "--value",
        action="append",
        type=metric,
        metavar="NAME=NUMBER",
        help="a figure, named as the target's indicator (repeatable)",
    )
    progress.add_argument("--idempotency-key", help="the same key again records nothing")
    progress.add_argument("--business-date", type=iso_date,
                          help="the day the report counts for (default today), e.g. the "
                          "date on a report received on paper")
    progress.add_argument("--json", action="store_true")
    progress.set_defaults(handler=cmd_progress)


def add_correct(commands: Commands) -> None:
    correct = commands.add_parser(
        "correct", help="correct a report: its narrative and/or named figures",
        description="Correct a progress report, or a correction of one. Only what is named "
        "changes: figures not named keep their values. The report, with its business date "
        "and on-time status, stays in the ledger.")
    correct.add_argument("--assignment", type=assignment_uuid, metavar="ID",
                         help="the assignment's id (or name it by --plan, --task, --unit)")
    correct.add_argument("--plan", help="document number or part of the title")
    correct.add_argument("--task", help="task number as printed")
    correct.add_argument("--unit", help="unit name or alias")
    correct.add_argument("--report", "--corrects", dest="report", required=True,
                         type=event_uuid, metavar="EVENT_ID",
                         help="the report, or a correction of it, to correct")
    correct.add_argument("--narrative", help="the new narrative (default: unchanged)")
    correct.add_argument("--metric", "--value", dest="metric", action="append", type=metric,
                         metavar="NAME=NUMBER", help="set a figure (repeatable)")
    correct.add_argument("--remove-metric", action="append", metavar="NAME",
                         help="remove a figure the report has (repeatable)")
    correct.add_argument("--reason", required=True, help="why, as the trail will show it")
    correct.add_argument("--json", action="store_true")
    correct.set_defaults(handler=cmd_correct)


def add_chase(commands: Commands, name: str) -> None:
    chase = commands.add_parser(name, help=CHASES[name][-1])
    chase.add_argument("--plan", required=True, help="document number or part of the title")
    chase.add_argument("--task", required=True, help="task number as printed")
    chase.add_argument("--unit", required=True, help="unit name or alias")
    chase.add_argument("--obligation", required=True,
                       help="the reporting rule, e.g. implementation-report-quarterly")
    chase.add_argument("--period", required=True, help="2026-06, 2026-Q2, 2026-H1 or 2026")
    chase.add_argument("--reason", required=True, help="why, as the unit will read it")
    chase.add_argument("--evidence", action="append", type=event_uuid, metavar="EVENT_ID",
                       help="an event of this assignment that justifies it (repeatable)")
    chase.add_argument("--json", action="store_true")
    chase.set_defaults(handler=cmd_chase)


PARSERS = {
    "import-plan": add_import_plan,
    "progress": add_progress,
    "correct": add_correct,
    **{name: partial(add_chase, name=name) for name in CHASES},
}
