"""The registry projection's tables: plans, tasks, units and the names units go by.

The DDL is part of the projection's fingerprint (``projections.tables.fingerprint``):
changing it, or what the handlers write (then bump ``HANDLER_VERSION``), makes
``taskledger db init`` rebuild these tables from the events.
"""

from __future__ import annotations

#: Bump when the handlers change what they write without the DDL changing.
# 2: plans and tasks keep the position and business date they were registered at
HANDLER_VERSION = 2

TABLES: list[tuple[str, str]] = [
    (
        "rm_plans",
        """CREATE TABLE IF NOT EXISTS {s}rm_plans (
            plan_id TEXT PRIMARY KEY, natural_key TEXT NOT NULL, doc_number TEXT,
            title TEXT NOT NULL, issuer TEXT, issued_on TEXT, closed_on TEXT,
            source_sha256 TEXT, targets TEXT NOT NULL, obligations TEXT NOT NULL,
            task_numbers TEXT NOT NULL, ladder TEXT, position BIGINT NOT NULL,
            registered_position BIGINT NOT NULL, registered_on TEXT NOT NULL)""",
    ),
    (
        "rm_tasks",
        """CREATE TABLE IF NOT EXISTS {s}rm_tasks (
            task_id TEXT PRIMARY KEY, plan_id TEXT NOT NULL, number TEXT NOT NULL,
            ordinal INTEGER NOT NULL, section TEXT, title TEXT NOT NULL, text TEXT NOT NULL,
            targets TEXT NOT NULL, units TEXT NOT NULL, position BIGINT NOT NULL,
            registered_position BIGINT NOT NULL, registered_on TEXT NOT NULL)""",
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
]

INDEXES: list[str] = [
    "CREATE INDEX IF NOT EXISTS rm_tasks_plan ON {s}rm_tasks (plan_id, ordinal)",
]
