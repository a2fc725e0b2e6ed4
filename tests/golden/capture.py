"""What the golden files hold: every read of the API and the CLI on the built fixture.

:func:`capture` returns ``{relative file name: text}``; the test compares each text with
``tests/golden/<name>`` byte for byte, and ``TASKLEDGER_UPDATE_GOLDEN=1`` writes them.
JSON is pretty-printed with sorted keys (``ensure_ascii=False``: Chinese stays readable
in a diff); CLI output is kept exactly as printed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from datetime import date, datetime, time
from typing import Any
from urllib.parse import quote

from api.app import create_app
from api.services import Settings
from ledger.application import open_ledger
from ledger.clock import FixedClock
from projections.db import ReadStore
from tests.golden.build import (
    BAOTOU,
    EDU,
    FIN,
    HR,
    LAST_DAY,
    PROMOTION,
    STABLE,
    Golden,
    at,
    briefings_folder,
)

V1 = "/api/v1"
#: The day the reads are made: the evening of the fixture's last day (a Saturday).
READ_AT = at(LAST_DAY, time(18, 0))
#: Business dates the reports are evaluated at: before and after Q2's reports fell due,
#: mid-quarter with corrections and an extension in force, a quarter's close, the end.
AS_OF = ("2026-06-15", "2026-07-15", "2026-08-20", "2026-09-30", None)
REPORTS = ("responsibilities", "overdue", "targets", "scorecard")
SMALL_REPORTS = ("targets", "scorecard")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def api_requests() -> list[tuple[str, str, str]]:
    """(file name, role, path) of every GET made; ``{name}`` is filled from the ids."""
    requests: list[tuple[str, str, str]] = [
        ("plans", "office", "/plans"),
        ("plan-000", "office", "/plans/{plan}"),
        ("plan-001", "office", "/plans/{plan_monthly}"),
        ("tasks", "office", "/tasks"),
        ("tasks-plan-000", "office", f"/tasks?plan={STABLE}"),
        ("tasks-unit-alias", "office", "/tasks?unit=人力资源和社会保障厅"),
        ("tasks-number", "office", f"/tasks?number=（十一）&plan={STABLE}"),
        ("tasks-unknown-unit", "office", "/tasks?unit=无此单位"),
        ("tasks-liaison", "liaison", "/tasks"),
        ("task-000-11", "office", "/tasks/{task}"),
        ("task-001-1", "office", "/tasks/{task_monthly}"),
        ("unit-hr", "office", "/units/{unit}"),
        ("unit-hr-assignments", "office", "/units/{unit}/assignments"),
        ("unit-baotou-assignments", "office", "/units/{unit_silent}/assignments"),
        ("unit-finance-liaison", "liaison", "/units/{unit_finance}"),
        ("assignment-hr-11", "office", "/assignments/{assignment}"),
        ("assignment-finance-extended", "office", "/assignments/{assignment_extended}"),
        ("assignment-baotou-silent", "office", "/assignments/{assignment_silent}"),
        ("assignment-hr-11-reports", "office", "/assignments/{assignment}/reports"),
        ("assignment-hr-11-reports-before-correction", "office",
         "/assignments/{assignment}/reports?as_of=2026-07-08"),
        ("assignment-hr-11-reports-position", "office",
         "/assignments/{assignment}/reports?position=3000"),
        ("assignment-finance-reports", "office", "/assignments/{assignment_extended}/reports"),
        ("assignment-education-reports-liaison", "liaison",
         "/assignments/{assignment_late}/reports"),
        ("assignment-hr-11-reports-liaison", "liaison", "/assignments/{assignment}/reports"),
    ]
    for report in REPORTS:
        # in full (responsibilities and overdue run to megabytes: twice only), then HR's
        # at every date; filters below are combined with a unit to stay small
        for as_of in AS_OF if report in SMALL_REPORTS else ("2026-07-15", None):
            suffix = f"?as_of={as_of}" if as_of else ""
            requests.append((f"report-{report}-{as_of or 'default'}", "office",
                             f"/reports/{report}{suffix}"))
        for as_of in AS_OF:
            suffix = f"&as_of={as_of}" if as_of else ""
            requests.append((f"report-{report}-unit-hr-{as_of or 'default'}", "office",
                             f"/reports/{report}?unit={HR}{suffix}"))
        # filters (some are ignored today; issue 13 makes them work: see the README)
        for label, query in (("unit-baotou", f"unit={BAOTOU}"),
                             ("unit-hr-plan-000", f"unit={HR}&plan={STABLE}"),
                             ("unit-hr-task-000-11", f"unit={HR}&task=（十一）&plan={STABLE}"),
                             ("unit-hr-plan-unknown", f"unit={HR}&plan=无此方案"),
                             ("unit-hr-position-3000",
                              f"unit={HR}&as_of=2026-07-15&position=3000")):
            requests.append((f"report-{report}-{label}", "office", f"/reports/{report}?{query}"))
        requests.append((f"report-{report}-liaison", "liaison", f"/reports/{report}"))
    # issue 14: the overdue summary for the board, and a report's page
    requests += [
        ("report-overdue-summary-default", "office", "/reports/overdue/summary"),
        ("report-overdue-summary-2026-07-15", "office",
         "/reports/overdue/summary?as_of=2026-07-15"),
        ("report-overdue-summary-liaison", "liaison", "/reports/overdue/summary"),
        ("report-overdue-unit-hr-limit-5", "office", f"/reports/overdue?unit={HR}&limit=5"),
    ]
    requests += [
        ("audit-limit-50", "office", "/audit?limit=50"),
        ("audit-unit-baotou", "office", f"/audit?unit={BAOTOU}&limit=60"),
        ("audit-unit-education-since", "office", f"/audit?unit={EDU}&since=2026-08-01"),
        ("audit-task-number", "office", f"/audit?task=11&plan={PROMOTION}&unit={HR}"),
        ("audit-task-id", "office", "/audit?task={task}"),
        ("audit-plan-000-hr", "office", f"/audit?plan={STABLE}&unit={HR}&limit=80"),
        ("audit-actor-office", "office", "/audit?actor=office-clerk"),
        ("audit-actor-liaison-finance", "office", f"/audit?actor=liaison:{FIN}"),
        ("audit-window", "office", "/audit?since=2026-07-06&until=2026-07-07&limit=200"),
        ("audit-after", "office", "/audit?after=10000&limit=100"),
        ("audit-simulated", "office", "/audit?simulated=true&limit=20"),
        ("audit-liaison", "liaison", "/audit?limit=30"),
        ("audit-auditor", "auditor", f"/audit?unit={FIN}&limit=40"),
        ("events-first-200", "office", "/events?limit=200"),
        ("events-after-5000", "office", "/events?after=5000&limit=100"),
        ("events-last", "office", "/events?after=10750&limit=500"),
        ("events-platform", "platform", "/events?after=9000&limit=50"),
        ("outbox", "office", "/outbox"),
        ("outbox-platform", "office", "/outbox?channel=platform"),
        ("briefings", "office", "/briefings"),
        ("briefings-auditor", "auditor", "/briefings"),
    ]
    return requests


def cli_commands() -> list[tuple[str, list[str]]]:
    """(file name, arguments) of every read command run."""
    commands: list[tuple[str, list[str]]] = []
    for report in REPORTS:
        dates = ("2026-07-15", "2026-10-31") if report in SMALL_REPORTS else ("2026-10-31",)
        for as_of in dates:
            for as_json in (False, True):
                commands.append((f"report-{report}-{as_of}{'-json' if as_json else ''}",
                                 ["report", report, "--as-of", as_of]
                                 + (["--json"] if as_json else [])))
        for label, flags in (("unit-hr", ["--unit", HR]),
                             ("unit-baotou", ["--unit", BAOTOU]),
                             ("unit-hr-plan-000", ["--unit", HR, "--plan", STABLE]),
                             ("unit-hr-task-000-11",
                              ["--unit", HR, "--task", "（十一）", "--plan", STABLE]),
                             ("unit-hr-position-3000", ["--unit", HR, "--position", "3000"])):
            commands.append((f"report-{report}-{label}",
                             ["report", report, "--as-of", "2026-09-30", *flags]))
            if label in ("unit-hr", "unit-hr-task-000-11"):  # each command takes ~1.5 s
                commands.append((f"report-{report}-{label}-json",
                                 ["report", report, "--as-of", "2026-09-30", *flags, "--json"]))
    # issue 14: the overdue summary and a report's page
    commands += [
        ("report-overdue-summary-2026-10-31",
         ["report", "overdue", "--summary", "--as-of", "2026-10-31"]),
        ("report-overdue-summary-2026-10-31-json",
         ["report", "overdue", "--summary", "--as-of", "2026-10-31", "--json"]),
        ("report-overdue-unit-hr-limit-5",
         ["report", "overdue", "--as-of", "2026-09-30", "--unit", HR, "--limit", "5"]),
    ]
    for label, flags in (
        ("first-100", ["--limit", "100"]),
        ("unit-baotou", ["--unit", BAOTOU, "--limit", "60"]),
        ("task-number", ["--task", "11", "--plan", PROMOTION, "--unit", HR]),
        ("task-000", ["--task", "（十一）", "--plan", STABLE]),
        ("actor-office", ["--actor", "office-clerk"]),
        ("since", ["--since", "2026-10-28"]),
        ("after", ["--after", "10750"]),
        ("simulated", ["--simulated", "--limit", "5"]),
    ):
        commands.append((f"events-{label}", ["events", *flags]))
        if label in ("first-100", "task-number", "since", "simulated"):
            commands.append((f"events-{label}-json", ["events", *flags, "--json"]))
    commands += [
        ("units-show-hr", ["units", "show", HR]),
        ("units-show-hr-json", ["units", "show", HR, "--json"]),
        ("units-show-alias", ["units", "show", "人力资源和社会保障厅"]),
        ("outbox", ["outbox"]),
        ("outbox-json", ["outbox", "--json"]),
        ("outbox-platform-json", ["outbox", "--json", "--channel", "platform"]),
        ("calendar-show-2026-10", ["calendar", "show", "2026-10"]),
        ("ladder-000", ["ladder", "--plan", STABLE]),
        ("ladder-001", ["ladder", "--plan", PROMOTION]),
    ]
    return commands


def capture(golden: Golden) -> dict[str, str]:
    files: dict[str, str] = {}
    with briefings_folder(golden.briefings):
        files.update(_api(golden))
        files.update(_cli(golden))
        files["briefings/issued.json"] = dumps(issued_briefings(golden))
    return files


def _api(golden: Golden) -> dict[str, str]:
    clock = FixedClock(READ_AT)
    app = create_app(Settings(store=golden.config, clock=clock, writes_per_minute=0))
    services = app.extensions["taskledger"]
    try:
        tokens = {}
        for role, unit_id, unit_name in (("office", None, None), ("auditor", None, None),
                                         ("platform", None, None),
                                         ("liaison", golden.ids["unit"], HR)):
            _, tokens[role] = services.tokens.create(role, clock.now(), unit_id=unit_id,
                                                     unit_name=unit_name)
        client = app.test_client()
        files = {}
        for name, role, path in api_requests():
            url = V1 + _quote(path.format(**golden.ids))
            response = client.get(url, headers={"Authorization": f"Bearer {tokens[role]}"})
            body = response.get_json(silent=True)
            files[f"api/{name}.json"] = dumps({
                "request": f"GET {V1}{path.format(**golden.ids)}", "role": role,
                "status": response.status_code, "content_type": response.mimetype,
                "body": body if body is not None else response.get_data(as_text=True),
            })
        pdfs = []
        for briefing in issued_briefings(golden):
            identifier = briefing["briefing_id"]
            response = client.get(f"{V1}/briefings/{identifier}/pdf",
                                  headers={"Authorization": f"Bearer {tokens['office']}"})
            pdfs.append({"briefing_id": identifier, "status": response.status_code,
                         "content_type": response.mimetype,
                         "sha256": hashlib.sha256(response.get_data()).hexdigest()})
        files["api/briefings-pdf.json"] = dumps(pdfs)
        return files
    finally:
        services.close()


def _quote(path: str) -> str:
    """Percent-encode the query's Chinese as a client would (``=``, ``&`` kept)."""
    if "?" not in path:
        return path
    head, query = path.split("?", 1)
    return head + "?" + quote(query, safe="=&")


def _cli(golden: Golden) -> dict[str, str]:
    from api import cli

    files = {}
    outcomes = {}
    for name, arguments in cli_commands():
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = cli.main(["--database-url", golden.url, *arguments])
            except SystemExit as stop:  # argparse's own exits
                code = stop.code
        files[f"cli/{name}.txt"] = out.getvalue()
        outcomes[name] = {"argv": arguments, "exit": code, "stderr": err.getvalue()}
    files["cli/_exit-and-stderr.json"] = dumps(outcomes)
    return files


def issued_briefings(golden: Golden) -> list[dict[str, Any]]:
    """Every ``BriefingIssued`` event in the ledger: what it vouches for."""
    from ledger.briefing import Briefing

    ledger = open_ledger(golden.config, clock=FixedClock(READ_AT))
    try:
        found = []
        for record in ledger.records():
            event = record.event
            if isinstance(event, Briefing.Issued):
                found.append({
                    "briefing_id": str(event.originator_id), "position": record.position,
                    "kind": event.kind, "period": event.period,
                    "as_of": _text(event.as_of), "ledger_position": event.position,
                    "sha256": event.sha256, "pages": event.pages, "filename": event.filename,
                    "simulated": event.simulated,
                })
        return found
    finally:
        ledger.close()


def rerender(golden: Golden, briefing: dict[str, Any]) -> str:
    """The SHA-256 of the briefing rendered again at its recorded as-of and position."""
    from scheduler.briefings import render_briefing

    ledger = open_ledger(golden.config, clock=FixedClock(READ_AT))
    store = ReadStore(golden.config)
    try:
        rendered = render_briefing(ledger, store, ledger.working_calendar(), briefing["kind"],
                                   briefing["period"],
                                   as_of=date.fromisoformat(briefing["as_of"]),
                                   position=briefing["ledger_position"])
        return rendered.sha256
    finally:
        store.close()
        ledger.close()


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value
