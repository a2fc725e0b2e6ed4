"""A run of the supervision rhythm: monthly dispatch, quarterly analysis, and so on.

Its id comes from (kind, period, scope), so a period's cycle can be recorded once only,
however many schedulers race or restart.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.acts import Act, RecordedCreation


class Cycle(Aggregate):
    class Ran(RecordedCreation):
        kind: str
        period: str
        scope: str
        snapshot: dict[str, Any]

        def apply(self, cycle: Cycle) -> None:
            cycle.kind = self.kind
            cycle.period = self.period
            cycle.scope = self.scope
            cycle.snapshot = dict(self.snapshot)

    def __init__(self) -> None:
        """State comes from the creation event's ``apply``; see the attributes below."""

    kind: str
    period: str
    scope: str
    snapshot: dict[str, Any]

    @classmethod
    def run(
        cls, act: Act, cycle_id: UUID, kind: str, period: str, scope: str, snapshot: dict[str, Any]
    ) -> Cycle:
        return cls._create(
            cls.Ran,
            id=cycle_id,
            **act.event_fields(),
            kind=kind,
            period=period,
            scope=scope,
            snapshot=snapshot,
        )
