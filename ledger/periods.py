"""Reporting periods as the plans speak of them: a month, a quarter, a half-year, a year.

Written forms (the canonical text is what events store):
``2026-06`` month, ``2026-Q2`` quarter, ``2026-H1`` half-year, ``2026`` year.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from ledger.errors import InvalidPeriod

_PATTERNS = {
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "half": re.compile(r"^(\d{4})-H([12])$"),
    "year": re.compile(r"^(\d{4})$"),
}
_MONTHS_PER = {"month": 1, "quarter": 3, "half": 6, "year": 12}


@dataclass(frozen=True, order=True)
class Period:
    """A closed range of whole months, named by its kind and index within the year."""

    year: int
    kind: str  # month | quarter | half | year
    index: int  # 1-based: month 1-12, quarter 1-4, half 1-2, year 1

    @property
    def first_month(self) -> int:
        return (self.index - 1) * _MONTHS_PER[self.kind] + 1

    @property
    def last_month(self) -> int:
        return self.first_month + _MONTHS_PER[self.kind] - 1

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        last = self.last_month
        return date(self.year, last, calendar.monthrange(self.year, last)[1])

    def next(self) -> Period:
        count = 12 // _MONTHS_PER[self.kind]
        if self.index < count:
            return Period(self.year, self.kind, self.index + 1)
        return Period(self.year + 1, self.kind, 1)

    def __str__(self) -> str:
        if self.kind == "month":
            return f"{self.year:04d}-{self.index:02d}"
        if self.kind == "quarter":
            return f"{self.year:04d}-Q{self.index}"
        if self.kind == "half":
            return f"{self.year:04d}-H{self.index}"
        return f"{self.year:04d}"

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read ``2026-06``, ``2026-Q2``, ``2026-H1`` or ``2026``; anything else is refused."""
        cleaned = (text or "").strip().upper()
        for kind, pattern in _PATTERNS.items():
            match = pattern.match(cleaned)
            if match:
                year = int(match.group(1))
                index = int(match.group(2)) if kind != "year" else 1
                if not 2000 <= year <= 2100:
                    break
                return cls(year, kind, index)
        raise InvalidPeriod(
            f"reporting period {text!r} is not one of YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY",
            field="period",
        )

    @classmethod
    def month_of(cls, day: date) -> Period:
        return cls(day.year, "month", day.month)

    @classmethod
    def quarter_of(cls, day: date) -> Period:
        return cls(day.year, "quarter", (day.month - 1) // 3 + 1)

    @classmethod
    def half_of(cls, day: date) -> Period:
        return cls(day.year, "half", 1 if day.month <= 6 else 2)

    @classmethod
    def year_of(cls, day: date) -> Period:
        return cls(day.year, "year", 1)
