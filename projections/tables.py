"""Read-model tables, in SQL both SQLite and PostgreSQL accept.

``{s}`` stands for the schema prefix (empty on SQLite). Each table belongs to one
projection, so ``taskledger rebuild --projection NAME`` can drop and refill just it.
Dates are ISO text (they sort and compare correctly as text); JSON is text.
"""

from __future__ import annotations

import hashlib

#: Bump a projection's number when its handlers change what they write without its DDL
#: changing (its tables are then rebuilt from the events on the next ``db init``).
HANDLER_VERSIONS: dict[str, int] = {
    "registry": 1,
    "office": 1,
    # 2: simulated events no longer reach the accountability tables; chases record
    # the ladder rule that fired and the acknowledgements
    "accountability": 2,
    "audit": 1,
}

PROJECTIONS: dict[str, list[tuple[str, str]]] = {
    # plans, tasks, units and the names units go by
    "registry": [
        (
            "rm_plans",
            """CREATE TABLE IF NOT EXISTS {s}rm_plans (
            plan_id TEXT PRIMARY KEY, natural_key TEXT NOT NULL, doc_number TEXT,
            title TEXT NOT NULL, issuer TEXT, issued_on TEXT, closed_on TEXT,
            source_sha256 TEXT, targets TEXT NOT NULL, obligations TEXT NOT NULL,
            task_numbers TEXT NOT NULL, ladder TEXT, position BIGINT NOT NULL)""",
        ),
        (
            "rm_tasks",
            """CREATE TABLE IF NOT EXISTS {s}rm_tasks (
            task_id TEXT PRIMARY KEY, plan_id TEXT NOT NULL, number TEXT NOT NULL,
            ordinal INTEGER NOT NULL, section TEXT, title TEXT NOT NULL, text TEXT NOT NULL,
            targets TEXT NOT NULL, units TEXT NOT NULL, position BIGINT NOT NULL)""",
        ),
        (
            "rm_units",
            """CREATE TABLE IF NOT EXISTS {s}rm_units (
            unit_id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,
            liaison TEXT, position BIGINT NOT NULL)""",
        ),
        (
            "rm_unit_names",
            """CREATE TABLE IF NOT EXISTS {s}rm_unit_names (
            name TEXT PRIMARY KEY, unit_id TEXT NOT NULL)""",
        ),
    ],
    # supervision cycles run, briefings issued, the office's calendar adjustments
    "office": [
        (
            "rm_cycles",
            """CREATE TABLE IF NOT EXISTS {s}rm_cycles (
            cycle_id TEXT PRIMARY KEY, kind TEXT NOT NULL, period TEXT NOT NULL,
            scope TEXT NOT NULL, business_date TEXT NOT NULL, simulated INTEGER NOT NULL,
            snapshot TEXT NOT NULL, position BIGINT NOT NULL)""",
        ),
        (
            "rm_briefings",
            """CREATE TABLE IF NOT EXISTS {s}rm_briefings (
            briefing_id TEXT PRIMARY KEY, kind TEXT NOT NULL, period TEXT NOT NULL,
            as_of TEXT NOT NULL, ledger_position BIGINT NOT NULL, sha256 TEXT NOT NULL,
            pages INTEGER NOT NULL, filename TEXT NOT NULL, actor TEXT NOT NULL,
            business_date TEXT NOT NULL, simulated INTEGER NOT NULL, position BIGINT NOT NULL)""",
        ),
        (
            "rm_calendar",
            """CREATE TABLE IF NOT EXISTS {s}rm_calendar (
            day TEXT PRIMARY KEY, mark TEXT NOT NULL, actor TEXT NOT NULL,
            position BIGINT NOT NULL)""",
        ),
        (
            "rm_calendar_years",
            """CREATE TABLE IF NOT EXISTS {s}rm_calendar_years (
            year INTEGER PRIMARY KEY, actor TEXT NOT NULL, position BIGINT NOT NULL)""",
        ),
    ],
    # who is on what, what they reported, what they owe, how they were chased
    "accountability": [
        (
            "rm_assignments",
            """CREATE TABLE IF NOT EXISTS {s}rm_assignments (
            assignment_id TEXT PRIMARY KEY, plan_id TEXT NOT NULL, task_id TEXT NOT NULL,
            task_number TEXT NOT NULL, unit_id TEXT NOT NULL, unit_name TEXT NOT NULL,
            role TEXT NOT NULL, status TEXT NOT NULL, source TEXT NOT NULL,
            assigned_on TEXT NOT NULL, reports INTEGER NOT NULL DEFAULT 0,
            corrections INTEGER NOT NULL DEFAULT 0, last_report_id TEXT,
            last_report_period TEXT, last_report_on TEXT,
            reminders INTEGER NOT NULL DEFAULT 0, urges INTEGER NOT NULL DEFAULT 0,
            escalations INTEGER NOT NULL DEFAULT 0, position BIGINT NOT NULL)""",
        ),
        (
            "rm_reports",
            """CREATE TABLE IF NOT EXISTS {s}rm_reports (
            report_id TEXT PRIMARY KEY, assignment_id TEXT NOT NULL, plan_id TEXT NOT NULL,
            task_id TEXT NOT NULL, unit_id TEXT NOT NULL, period TEXT NOT NULL,
            business_date TEXT NOT NULL, recorded_at TEXT NOT NULL, actor TEXT NOT NULL,
            narrative TEXT NOT NULL, metrics TEXT NOT NULL, position BIGINT NOT NULL,
            corrected_by TEXT, corrected_position BIGINT, original_narrative TEXT,
            original_metrics TEXT)""",
        ),
        # every correction of a report, in order: what it named (narrative NULL:
        # unchanged; metrics: the figures it set, null for removed) and what it corrected
        (
            "rm_corrections",
            """CREATE TABLE IF NOT EXISTS {s}rm_corrections (
            correction_id TEXT PRIMARY KEY, report_id TEXT NOT NULL,
            assignment_id TEXT NOT NULL, corrects TEXT NOT NULL, narrative TEXT,
            metrics TEXT NOT NULL, replaces_metrics INTEGER NOT NULL,
            resulting_metrics TEXT NOT NULL, reason TEXT NOT NULL, actor TEXT NOT NULL,
            actor_role TEXT NOT NULL, business_date TEXT NOT NULL, recorded_at TEXT NOT NULL,
            position BIGINT NOT NULL)""",
        ),
        (
            "rm_obligations",
            """CREATE TABLE IF NOT EXISTS {s}rm_obligations (
            assignment_id TEXT NOT NULL, rule TEXT NOT NULL, period TEXT NOT NULL,
            plan_id TEXT NOT NULL, unit_id TEXT NOT NULL, task_number TEXT NOT NULL,
            period_start TEXT NOT NULL, due_on TEXT NOT NULL, first_report_id TEXT,
            first_report_on TEXT, first_report_position BIGINT, extended_to TEXT, extended_by TEXT,
            extension_position BIGINT, waived_position BIGINT, void_position BIGINT,
            PRIMARY KEY (assignment_id, rule, period))""",
        ),
        (
            "rm_chases",
            """CREATE TABLE IF NOT EXISTS {s}rm_chases (
            event_id TEXT PRIMARY KEY, assignment_id TEXT NOT NULL, unit_id TEXT NOT NULL,
            kind TEXT NOT NULL, obligation TEXT NOT NULL, period TEXT NOT NULL,
            due_on TEXT, business_date TEXT NOT NULL, reason TEXT NOT NULL,
            state TEXT, trigger TEXT, position BIGINT NOT NULL, acknowledged_on TEXT,
            acknowledged_by TEXT, acknowledgement_id TEXT)""",
        ),
        (
            "rm_extensions",
            """CREATE TABLE IF NOT EXISTS {s}rm_extensions (
            request_id TEXT PRIMARY KEY, assignment_id TEXT NOT NULL, obligation TEXT NOT NULL,
            period TEXT NOT NULL, requested_due_on TEXT NOT NULL, requested_on TEXT NOT NULL,
            reason TEXT NOT NULL, decision TEXT, new_due_on TEXT, decided_by TEXT,
            decided_on TEXT, position BIGINT NOT NULL)""",
        ),
    ],
    # every event, who/when/what, findable by task, unit and actor
    "audit": [
        (
            "rm_audit",
            """CREATE TABLE IF NOT EXISTS {s}rm_audit (
            position BIGINT PRIMARY KEY, event_id TEXT NOT NULL, type TEXT NOT NULL,
            stream_type TEXT NOT NULL, stream_id TEXT NOT NULL, plan_id TEXT,
            task_number TEXT, unit_id TEXT, actor TEXT NOT NULL, actor_role TEXT NOT NULL,
            correlation_id TEXT NOT NULL, business_date TEXT NOT NULL,
            recorded_at TEXT NOT NULL, simulated INTEGER NOT NULL, corrects TEXT,
            summary TEXT NOT NULL, data TEXT NOT NULL)""",
        ),
        # the tasks an event on another stream concerns: a delivery on a unit's stream
        # names the chasers of each task it carried, so the task's trail shows it
        (
            "rm_audit_links",
            """CREATE TABLE IF NOT EXISTS {s}rm_audit_links (
            position BIGINT NOT NULL, plan_id TEXT NOT NULL, task_number TEXT NOT NULL,
            PRIMARY KEY (position, plan_id, task_number))""",
        ),
    ],
}

INDEXES = [
    "CREATE INDEX IF NOT EXISTS rm_cycles_kind ON {s}rm_cycles (kind, period)",
    "CREATE INDEX IF NOT EXISTS rm_tasks_plan ON {s}rm_tasks (plan_id, ordinal)",
    "CREATE INDEX IF NOT EXISTS rm_assignments_unit ON {s}rm_assignments (unit_id)",
    "CREATE INDEX IF NOT EXISTS rm_assignments_task ON {s}rm_assignments (task_id)",
    "CREATE INDEX IF NOT EXISTS rm_reports_assignment ON {s}rm_reports (assignment_id, period)",
    "CREATE INDEX IF NOT EXISTS rm_corrections_assignment ON {s}rm_corrections "
    "(assignment_id, position)",
    # the everyday overdue question only looks at obligations nobody has reported yet
    "CREATE INDEX IF NOT EXISTS rm_obligations_open ON {s}rm_obligations (due_on) "
    "WHERE first_report_position IS NULL",
    "CREATE INDEX IF NOT EXISTS rm_obligations_unit ON {s}rm_obligations (unit_id)",
    "CREATE INDEX IF NOT EXISTS rm_chases_assignment ON {s}rm_chases (assignment_id)",
    "CREATE INDEX IF NOT EXISTS rm_chases_unit ON {s}rm_chases (unit_id, kind)",
    "CREATE INDEX IF NOT EXISTS rm_chases_position ON {s}rm_chases (position)",
    "CREATE INDEX IF NOT EXISTS rm_extensions_assignment ON {s}rm_extensions (assignment_id)",
    "CREATE INDEX IF NOT EXISTS rm_audit_task ON {s}rm_audit (plan_id, task_number)",
    "CREATE INDEX IF NOT EXISTS rm_audit_unit ON {s}rm_audit (unit_id)",
    "CREATE INDEX IF NOT EXISTS rm_audit_actor ON {s}rm_audit (actor)",
    "CREATE INDEX IF NOT EXISTS rm_audit_stream ON {s}rm_audit (stream_id)",
    "CREATE INDEX IF NOT EXISTS rm_audit_links_task ON {s}rm_audit_links (plan_id, task_number)",
]


def fingerprint(projection: str) -> str:
    """What a projection's tables look like and what its handlers write, as a digest:
    a store whose recorded fingerprint differs holds rows of another release."""
    text = "\n".join(ddl for _, ddl in PROJECTIONS[projection])
    text += f"\nhandlers:{HANDLER_VERSIONS[projection]}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]
