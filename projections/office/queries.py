"""Questions about the office's own records: the supervision cycles run and the
briefings issued, answered from the office tables."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from projections.db import ReadStore


@dataclass(frozen=True)
class BriefingRow:
    """A briefing issued: what it covers, the ledger position it stands for, the
    SHA-256 of its PDF and the file's name in the briefings folder.

    ``simulated`` is stored as 0/1 and listed so (the API has always shown it so).
    """

    briefing_id: str
    kind: str
    period: str
    as_of: str
    ledger_position: int
    sha256: str
    pages: int
    filename: str
    actor: str
    business_date: str
    simulated: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_BRIEFING_COLUMNS = ", ".join(BriefingRow.__dataclass_fields__)


def briefings(store: ReadStore) -> list[BriefingRow]:
    """Every briefing issued, in ledger order."""
    return [BriefingRow(**row) for row in store.query(
        f"SELECT {_BRIEFING_COLUMNS} FROM {{s}}rm_briefings ORDER BY position")]


def briefing(store: ReadStore, briefing_id: str) -> BriefingRow | None:
    rows = store.query(
        f"SELECT {_BRIEFING_COLUMNS} FROM {{s}}rm_briefings WHERE briefing_id = ?",
        [briefing_id],
    )
    return BriefingRow(**rows[0]) if rows else None


def cycle_ran(store: ReadStore, kind: str, period: str, scope: str) -> bool:
    """Whether a cycle of this kind ran for the period in the scope ("" for real,
    "simulated" for a rehearsal)."""
    return bool(store.query(
        "SELECT 1 AS x FROM {s}rm_cycles WHERE kind = ? AND period = ? AND scope = ?",
        [kind, period, scope]))


def last_cycle_period(store: ReadStore, kind: str, scope: str) -> str | None:
    """The latest period a cycle of this kind ran for in the scope; None if never."""
    return store.scalar(
        "SELECT MAX(period) AS p FROM {s}rm_cycles WHERE kind = ? AND scope = ?",
        [kind, scope])
