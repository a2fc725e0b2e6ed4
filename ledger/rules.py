"""The rules reports are judged by, kept as ledger events: thresholds, score weights and
the official holiday data, each set of them a numbered version.

A report as of a date and a ledger position must read the same tomorrow. Its lights
depend on the yellow threshold, its annual scores on the weights, and every due date
on the holiday calendar; were those read from code or from the installed
``chinesecalendar`` package, a new release or an upgraded package would rewrite old
reports. So ``taskledger db init`` records them once (version 1, the values the code
had always used, counting from :data:`RULES_SINCE` so that every report can be asked of
them), the office records a new version when it changes one (``taskledger rules set``),
and readers take the version in force at the report's position and date.

The defaults below are the domain's: the projections build their ``Thresholds`` and
``ScoreWeights`` from the values recorded here (or from these, for a store that has
recorded none).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger import acts
from ledger.acts import Act
from ledger.calendar import CalendarBase
from ledger.errors import InvalidInput

#: The first rules count from here, the earliest date a report can be asked as of: they
#: describe what the code did before anything was recorded.
RULES_SINCE = date(2000, 1, 1)


@dataclass(frozen=True)
class Weights:
    """The annual evaluation's formula (see ``projections.evaluation.annual_scores``)."""

    on_time: float = 50.0
    targets: float = 30.0
    escalations: float = 20.0
    escalation_cost: float = 0.25  # share of the escalation term each escalation costs
    urge_cost: float = 0.05
    commend_at: float = 85.0
    call_out_below: float = 60.0


WEIGHT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Weights))


@dataclass(frozen=True)
class RuleValues:
    """The numbers a version of the rules sets: the yellow light's threshold (percentage
    points behind the expected progress) and the score weights."""

    yellow_within: float = 10.0
    weights: Weights = field(default_factory=Weights)

    def changed(self, yellow_within: float | None = None, **weights: float | None) -> RuleValues:
        """These values with some replaced (None keeps one); checked like any input."""
        unknown = set(weights) - set(WEIGHT_NAMES)
        if unknown:
            raise InvalidInput(f"unknown weight {sorted(unknown)[0]!r}", field="weights")
        given = {name: value for name, value in weights.items() if value is not None}
        values = RuleValues(
            self.yellow_within if yellow_within is None else yellow_within,
            replace(self.weights, **given),
        )
        values.check()
        return values

    def check(self) -> None:
        """Refuse numbers no office could mean: not finite, negative, or out of range."""
        _within("yellow_within", self.yellow_within, 0.0, 100.0, low_open=True)
        w = self.weights
        for name in ("on_time", "targets", "escalations"):
            _within(f"weight {name}", getattr(w, name), 0.0, 1000.0)
        if w.on_time + w.targets + w.escalations <= 0:
            raise InvalidInput("the score weights cannot all be 0", field="weights")
        for name in ("escalation_cost", "urge_cost"):
            _within(f"weight {name}", getattr(w, name), 0.0, 1.0)
        for name in ("commend_at", "call_out_below"):
            _within(f"weight {name}", getattr(w, name), 0.0, 100.0)
        if w.call_out_below > w.commend_at:
            raise InvalidInput(
                f"call_out_below ({w.call_out_below:g}) cannot exceed commend_at "
                f"({w.commend_at:g})",
                field="weights",
            )

    def as_recorded(self) -> dict[str, Any]:
        return {
            "yellow_within": float(self.yellow_within),
            "weights": {name: float(getattr(self.weights, name)) for name in WEIGHT_NAMES},
        }

    @classmethod
    def from_recorded(cls, yellow_within: float, weights: Mapping[str, float]) -> RuleValues:
        # a weight added to the code after a version was recorded takes its default
        known = {name: float(weights[name]) for name in WEIGHT_NAMES if name in weights}
        return cls(float(yellow_within), Weights(**known))


#: The values every release before recorded rules used, and that an empty store reads.
DEFAULTS = RuleValues()


def _within(
    name: str, value: float, low: float, high: float, *, low_open: bool = False
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number, not {value!r}", field=name)
    if value > high or value < low or (low_open and value == low):
        bound = f"above {low:g}" if low_open else f"at least {low:g}"
        raise InvalidInput(f"{name} must be {bound} and at most {high:g}, not {value:g}",
                           field=name)


class ReportingRules(Aggregate):
    """One stream, one version per event; each event states every rule in full."""

    class Opened(acts.RecordedCreation):
        version: int
        yellow_within: float
        weights: dict[str, float]
        calendar_package: str
        calendar_base: dict[str, dict[str, dict[str, str]]]

        def apply(self, rules: ReportingRules) -> None:
            rules._take(self)

    class Recorded(acts.Recorded):
        version: int
        yellow_within: float
        weights: dict[str, float]
        calendar_package: str
        calendar_base: dict[str, dict[str, dict[str, str]]]

        def apply(self, rules: ReportingRules) -> None:
            rules._take(self)

    def __init__(self) -> None:
        """State comes from the events' ``apply``."""

    rules_version: int
    values: RuleValues
    calendar_package: str
    calendar_base: dict[str, dict[str, dict[str, str]]]

    def _take(self, event: Opened | Recorded) -> None:
        self.rules_version = event.version
        self.values = RuleValues.from_recorded(event.yellow_within, event.weights)
        self.calendar_package = event.calendar_package
        self.calendar_base = event.calendar_base

    @classmethod
    def open(
        cls, act: Act, rules_id: UUID, values: RuleValues, base: CalendarBase
    ) -> ReportingRules:
        values.check()
        return cls._create(
            cls.Opened, id=rules_id, **act.event_fields(), version=1,
            **values.as_recorded(), calendar_package=base.package,
            calendar_base=base.to_recorded(),
        )

    def record(self, act: Act, values: RuleValues, base: CalendarBase | None = None) -> bool:
        """A new version with these values (and this calendar base; None keeps it);
        False, writing nothing, when nothing would change."""
        values.check()
        package = base.package if base else self.calendar_package
        recorded_base = base.to_recorded() if base else self.calendar_base
        if (values.as_recorded() == self.values.as_recorded()
                and package == self.calendar_package and recorded_base == self.calendar_base):
            return False
        self.trigger_event(
            self.Recorded, **act.event_fields(), version=self.rules_version + 1,
            **values.as_recorded(), calendar_package=package, calendar_base=recorded_base,
        )
        return True

    def base(self) -> CalendarBase:
        return CalendarBase.from_recorded(self.calendar_package, self.calendar_base)
