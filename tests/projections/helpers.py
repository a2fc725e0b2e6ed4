"""Shared helpers for projection tests: seeded ledgers, bulk history, table dumps."""

from __future__ import annotations

from datetime import date

from ledger.acts import Act
from ledger.application import Ledger
from ledger.assignment import Assignment
from ledger.importer import decode_document, parse_plan
from ledger.importing import import_plan
from projections.db import ReadStore
from projections.tables import PROJECTIONS
from tests.conftest import SEEDS

SEED_000 = SEEDS / "000_48908fa878961524.txt"
SEED_001 = SEEDS / "001_048a3ae4a5fa919b.txt"


def import_seeds(ledger: Ledger) -> None:
    act = Act.by(ledger.clock, "importer", "office")
    for path in (SEED_000, SEED_001):
        import_plan(ledger, parse_plan(decode_document(path.read_bytes())), act)


def dump(store: ReadStore) -> dict[str, list[tuple]]:
    """Every row of every read-model table, in a stable order."""
    tables = {}
    for projection in PROJECTIONS.values():
        for table, _ in projection:
            rows = store.query(f"SELECT * FROM {{s}}{table}")
            tables[table] = sorted((tuple(sorted(row.items())) for row in rows), key=repr)
    return tables


def bulk_reports(ledger: Ledger, per_assignment: int, *, limit: int | None = None) -> int:
    """Append many reports fast: whole assignments' worth of events per transaction."""
    ids = [
        r.event.originator_id for r in ledger.records() if isinstance(r.event, Assignment.Assigned)
    ][:limit]
    act = Act.by(ledger.clock, "bulk", "liaison", business_date=date(2026, 6, 20))
    written = 0
    for start in range(0, len(ids), 50):
        aggregates = [ledger.get_assignment(i) for i in ids[start : start + 50]]
        for aggregate in aggregates:
            for n in range(per_assignment):
                aggregate.report_progress(act, _period(n), f"第{n}次报告", {"培训": n}, None)
                written += 1
        ledger.commit(*aggregates)
    return written


def _period(n: int):
    from ledger.periods import Period

    return Period(2026, "month", 5 + n % 2)
