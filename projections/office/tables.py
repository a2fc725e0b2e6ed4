"""The office projection's tables: supervision cycles run, briefings issued, the office's
calendar adjustments.

The DDL is part of the projection's fingerprint (``projections.tables.fingerprint``):
changing it, or what the handlers write (then bump ``HANDLER_VERSION``), makes
``taskledger db init`` rebuild these tables from the events.
"""

from __future__ import annotations

#: Bump when the handlers change what they write without the DDL changing.
# 2: every calendar mark is kept with its position and business date
# (rm_calendar_marks), so a calendar as of an earlier (date, position) can be rebuilt
HANDLER_VERSION = 2

TABLES: list[tuple[str, str]] = [
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
            year INTEGER PRIMARY KEY, actor TEXT NOT NULL, position BIGINT NOT NULL,
            business_date TEXT)""",
    ),
    # rm_calendar holds each day's latest mark; this, every mark ever made
    (
        "rm_calendar_marks",
        """CREATE TABLE IF NOT EXISTS {s}rm_calendar_marks (
            position BIGINT PRIMARY KEY, day TEXT NOT NULL, mark TEXT NOT NULL,
            business_date TEXT NOT NULL)""",
    ),
]

INDEXES: list[str] = [
    "CREATE INDEX IF NOT EXISTS rm_cycles_kind ON {s}rm_cycles (kind, period)",
]
