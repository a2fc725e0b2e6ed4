"""The audit projection's tables: every event, who/when/what, findable by task, unit and actor.

The DDL is part of the projection's fingerprint (``projections.tables.fingerprint``):
changing it, or what the handlers write (then bump ``HANDLER_VERSION``), makes
``taskledger db init`` rebuild these tables from the events.
"""

from __future__ import annotations

#: Bump when the handlers change what they write without the DDL changing.
HANDLER_VERSION = 1

TABLES: list[tuple[str, str]] = [
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
]

INDEXES: list[str] = [
    "CREATE INDEX IF NOT EXISTS rm_audit_task ON {s}rm_audit (plan_id, task_number)",
    # is anything dated after an as-of date? (projections.views.open_view)
    "CREATE INDEX IF NOT EXISTS rm_audit_day ON {s}rm_audit (business_date)",
    "CREATE INDEX IF NOT EXISTS rm_audit_unit ON {s}rm_audit (unit_id)",
    "CREATE INDEX IF NOT EXISTS rm_audit_actor ON {s}rm_audit (actor)",
    "CREATE INDEX IF NOT EXISTS rm_audit_stream ON {s}rm_audit (stream_id)",
    "CREATE INDEX IF NOT EXISTS rm_audit_links_task ON {s}rm_audit_links (plan_id, task_number)",
]
