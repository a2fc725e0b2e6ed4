"""The reporting rules in force for a report: as recorded at its ledger position and
business date (:mod:`ledger.rules`), read from the office tables.

A report as of (date, position) is judged by the last version of the rules recorded at
or before that position and dated on or before that date; a store that recorded none
(an empty store, or one ``db init`` has not upgraded yet) reads the code's defaults and
the installed package's holiday data, which is what it was judged by before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from ledger.calendar import CalendarBase, WorkingDayCalendar, calendar_from
from ledger.rules import DEFAULTS, RuleValues
from projections.db import ReadStore
from projections.evaluation import ScoreWeights, Thresholds, thresholds_from, weights_from


@dataclass(frozen=True)
class RulesInForce:
    """One version of the rules; ``version`` 0 means none recorded (the defaults)."""

    version: int
    position: int
    business_date: date | None
    actor: str | None
    values: RuleValues
    calendar_base: CalendarBase | None
    recorded: str = field(default="", repr=False, compare=False)  # the stored values

    @property
    def thresholds(self) -> Thresholds:
        return thresholds_from(self.values)

    @property
    def weights(self) -> ScoreWeights:
        return weights_from(self.values)

    def calendar(self, store: ReadStore, fallback: WorkingDayCalendar) -> WorkingDayCalendar:
        """The working days reports count on at this version: the recorded holiday data
        with the office's adjustments in ``store`` up to the version's position or
        later (those the store holds); ``fallback`` when no holiday data is recorded."""
        if self.calendar_base is None:
            return fallback
        return self.calendar_with(
            {r["day"]: r["mark"] for r in store.query("SELECT day, mark FROM {s}rm_calendar")},
            [r["year"] for r in store.query("SELECT year FROM {s}rm_calendar_years")],
        )

    def calendar_with(self, overrides: dict[str, str], confirmed: list[int]
                      ) -> WorkingDayCalendar:
        """The recorded holiday data (the installed package's if none is recorded) with
        these adjustments of the office: one calendar per process for each (version,
        adjustments), shared by every report that counts on it."""
        return _calendar(self.recorded, tuple(sorted(overrides.items())),
                         tuple(sorted(confirmed)))

    def to_json(self) -> dict[str, Any]:
        """As ``taskledger rules show --json`` prints it (the holiday data summarised)."""
        base = self.calendar_base
        return {
            "version": self.version,
            "position": self.position,
            "business_date": self.business_date.isoformat() if self.business_date else None,
            "actor": self.actor,
            **self.values.as_recorded(),
            "calendar": None if base is None else {
                "package": base.package,
                "years": sorted(base.years),
                "holidays": sum(len(h) for h, _ in base.years.values()),
                "adjusted_workdays": sum(len(w) for _, w in base.years.values()),
            },
        }


DEFAULT_RULES = RulesInForce(0, 0, None, None, DEFAULTS, None)


def rules_at(store: ReadStore, position: int | None = None,
             as_of: date | None = None) -> RulesInForce:
    """The last version recorded at or before ``position`` and dated on or before
    ``as_of`` (None: no bound); :data:`DEFAULT_RULES` if there is none."""
    where, params = ["1 = 1"], []
    if position is not None:
        where.append("position <= ?")
        params.append(position)
    if as_of is not None:
        where.append("business_date <= ?")
        params.append(as_of.isoformat())
    rows = store.query(
        "SELECT position, version, business_date, actor, rule_values FROM {s}rm_rules "
        f"WHERE {' AND '.join(where)} ORDER BY position DESC LIMIT 1",
        params,
    )
    if not rows:
        return DEFAULT_RULES
    row = rows[0]
    values, base = _decoded(row["rule_values"])
    return RulesInForce(
        int(row["version"]), int(row["position"]), date.fromisoformat(row["business_date"]),
        row["actor"], values, base, row["rule_values"],
    )


def rule_history(store: ReadStore) -> list[RulesInForce]:
    """Every version recorded, oldest first."""
    return [
        RulesInForce(int(r["version"]), int(r["position"]),
                     date.fromisoformat(r["business_date"]), r["actor"],
                     *_decoded(r["rule_values"]), r["rule_values"])
        for r in store.query(
            "SELECT position, version, business_date, actor, rule_values FROM {s}rm_rules "
            "ORDER BY position"
        )
    ]


@lru_cache(maxsize=16)
def _decoded(text: str) -> tuple[RuleValues, CalendarBase]:
    """A version's values (parsed once per process: versions never change)."""
    recorded = json.loads(text)
    return (
        RuleValues.from_recorded(recorded["yellow_within"], recorded["weights"]),
        CalendarBase.from_recorded(recorded["calendar_package"], recorded["calendar_base"]),
    )


@lru_cache(maxsize=16)
def _calendar(
    recorded: str, overrides: tuple[tuple[str, str], ...], confirmed: tuple[int, ...]
) -> WorkingDayCalendar:
    """One calendar per (recorded version, adjustments): a calendar tabulates its years
    lazily, so reports sharing one do not tabulate them again each time. ``recorded``
    empty: no holiday data recorded, the package's."""
    return calendar_from(dict(overrides), confirmed, _decoded(recorded)[1] if recorded else None)
