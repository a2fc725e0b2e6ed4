"""What each event writes into the office tables (cycles, briefings, calendar, rules,
plan horizons)."""

from __future__ import annotations

from ledger.application import LedgerRecord
from ledger.briefing import Briefing
from ledger.calendar_log import CalendarLog
from ledger.cycle import Cycle
from ledger.plan import Plan
from ledger.rules import ReportingRules
from projections.facts import Batch, Facts, ProjectionHandlers, iso, json_text


def cycle_ran(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    batch.add(
        "INSERT INTO {s}rm_cycles (cycle_id, kind, period, scope, business_date, "
        "simulated, snapshot, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        str(e.originator_id),
        e.kind,
        e.period,
        e.scope,
        iso(e.business_date),
        int(e.simulated),
        json_text(e.snapshot),
        record.position,
    )


def briefing_issued(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    batch.add(
        "INSERT INTO {s}rm_briefings (briefing_id, kind, period, as_of, ledger_position, "
        "sha256, pages, filename, actor, business_date, simulated, position) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        str(e.originator_id),
        e.kind,
        e.period,
        iso(e.as_of),
        e.position,
        e.sha256,
        e.pages,
        e.filename,
        e.actor,
        iso(e.business_date),
        int(e.simulated),
        record.position,
    )


def day_marked(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    batch.add(
        "INSERT INTO {s}rm_calendar (day, mark, actor, position) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (day) DO UPDATE SET mark = excluded.mark, actor = excluded.actor, "
        "position = excluded.position",
        iso(e.day),
        e.mark,
        e.actor,
        record.position,
    )
    batch.add(
        "INSERT INTO {s}rm_calendar_marks (position, day, mark, business_date) "
        "VALUES (?, ?, ?, ?)",
        record.position,
        iso(e.day),
        e.mark,
        iso(e.business_date),
    )


def year_confirmed(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    batch.add(
        "INSERT INTO {s}rm_calendar_years (year, actor, position, business_date) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (year) DO NOTHING",
        e.year,
        e.actor,
        record.position,
        iso(e.business_date),
    )


def rules_recorded(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    batch.add(
        "INSERT INTO {s}rm_rules (position, version, business_date, actor, rule_values, "
        "months_changed) VALUES (?, ?, ?, ?, ?, ?)",
        record.position,
        e.version,
        iso(e.business_date),
        e.actor,
        json_text({
            "yellow_within": e.yellow_within,
            "weights": e.weights,
            "calendar_package": e.calendar_package,
            "calendar_base": e.calendar_base,
        }),
        json_text([f"{month:%Y-%m}" for month in facts.months_recounted]),
    )


def horizon_recorded(record: LedgerRecord, batch: Batch, facts: Facts) -> None:
    e = record.event
    if e.horizon is None:  # registered or amended before horizons were recorded
        return
    batch.add(
        "INSERT INTO {s}rm_plan_horizons (plan_id, horizon, position, business_date) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (plan_id) DO UPDATE SET horizon = excluded.horizon, "
        "position = excluded.position, business_date = excluded.business_date",
        str(e.originator_id),
        iso(e.horizon),
        record.position,
        iso(e.business_date),
    )


HANDLERS = ProjectionHandlers(
    "office",
    {
        Cycle.Ran: cycle_ran,
        Briefing.Issued: briefing_issued,
        CalendarLog.DayMarked: day_marked,
        CalendarLog.YearConfirmed: year_confirmed,
        ReportingRules.Opened: rules_recorded,
        ReportingRules.Recorded: rules_recorded,
        Plan.Registered: horizon_recorded,
        Plan.Amended: horizon_recorded,
        Plan.HorizonRecorded: horizon_recorded,
    },
)
