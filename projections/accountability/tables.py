"""The accountability projection's tables: who is on what, what they reported, what
they owe, how they were chased.

The DDL is part of the projection's fingerprint (``projections.tables.fingerprint``):
changing it, or what the handlers write (then bump ``HANDLER_VERSION``), makes
``taskledger db init`` rebuild these tables from the events.
"""

from __future__ import annotations

#: Bump when the handlers change what they write without the DDL changing.
# 2: simulated events no longer reach the accountability tables; chases record
# the ladder rule that fired and the acknowledgements
# 3: rows carry the position (and business date) each fact took effect at, and the
# moves of every assignment are kept, so a report as of an earlier (date, position)
# is a query over these tables (projections.standing)
HANDLER_VERSION = 3

TABLES: list[tuple[str, str]] = [
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
            escalations INTEGER NOT NULL DEFAULT 0, position BIGINT NOT NULL,
            assigned_position BIGINT NOT NULL)""",
    ),
    # every move that sets an assignment's role or status, in ledger order: assigned,
    # reinstated, role_changed, completed, withdrawn, reopened (as-of reads replay them)
    (
        "rm_assignment_moves",
        """CREATE TABLE IF NOT EXISTS {s}rm_assignment_moves (
            assignment_id TEXT NOT NULL, position BIGINT NOT NULL,
            business_date TEXT NOT NULL, move TEXT NOT NULL, role TEXT,
            PRIMARY KEY (assignment_id, position))""",
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
            acknowledged_by TEXT, acknowledgement_id TEXT, acknowledged_position BIGINT)""",
    ),
    (
        "rm_extensions",
        """CREATE TABLE IF NOT EXISTS {s}rm_extensions (
            request_id TEXT PRIMARY KEY, assignment_id TEXT NOT NULL, obligation TEXT NOT NULL,
            period TEXT NOT NULL, requested_due_on TEXT NOT NULL, requested_on TEXT NOT NULL,
            reason TEXT NOT NULL, decision TEXT, new_due_on TEXT, decided_by TEXT,
            decided_on TEXT, position BIGINT NOT NULL, decided_position BIGINT)""",
    ),
]

INDEXES: list[str] = [
    "CREATE INDEX IF NOT EXISTS rm_assignments_unit ON {s}rm_assignments (unit_id)",
    "CREATE INDEX IF NOT EXISTS rm_assignments_task ON {s}rm_assignments (task_id)",
    # target progress reads the reports of the tasks that have targets
    "CREATE INDEX IF NOT EXISTS rm_reports_task ON {s}rm_reports (task_id, position)",
    # a report as of (date, position): the first report of a period that counts
    "CREATE INDEX IF NOT EXISTS rm_reports_standing ON {s}rm_reports "
    "(assignment_id, period, position, business_date)",
    "CREATE INDEX IF NOT EXISTS rm_assignment_moves_move ON {s}rm_assignment_moves "
    "(move, position)",
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
]
