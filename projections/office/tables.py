"""The office projection's tables: supervision cycles run, briefings issued, the office's
calendar adjustments, the reporting rules recorded and the plans' recorded horizons.

The DDL is part of the projection's fingerprint (``projections.tables.fingerprint``):
changing it, or what the handlers write (then bump ``HANDLER_VERSION``), makes
``taskledger db init`` rebuild these tables from the events.
"""

from __future__ import annotations

#: Bump when the handlers change what they write without the DDL changing.
# 2: every calendar mark is kept with its position and business date
# (rm_calendar_marks), so a calendar as of an earlier (date, position) can be rebuilt
# 3: the reporting rules (rm_rules) and the plans' recorded horizons (rm_plan_horizons)
HANDLER_VERSION = 3

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
    (
        # every version of the rules, each in full (values: yellow_within, weights,
        # calendar_package, calendar_base as the event carries them); months_changed:
        # the months (YYYY-MM, JSON) whose working days its holiday data changed
        "rm_rules",
        """CREATE TABLE IF NOT EXISTS {s}rm_rules (
            position BIGINT PRIMARY KEY, version INTEGER NOT NULL,
            business_date TEXT NOT NULL, actor TEXT NOT NULL, rule_values TEXT NOT NULL,
            months_changed TEXT NOT NULL)""",
    ),
    (
        "rm_plan_horizons",
        """CREATE TABLE IF NOT EXISTS {s}rm_plan_horizons (
            plan_id TEXT PRIMARY KEY, horizon TEXT NOT NULL, position BIGINT NOT NULL,
            business_date TEXT NOT NULL)""",
    ),
]

INDEXES: list[str] = [
    "CREATE INDEX IF NOT EXISTS rm_cycles_kind ON {s}rm_cycles (kind, period)",
]
