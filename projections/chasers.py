"""Questions about chasers (reminders, urges, escalations) for the ladder and the outbox.

Only real chasers reach the accountability tables (``rm_chases``): a rehearsal's are
kept in the audit trail alone, flagged, so nothing here can count or send them unless
asked to in so many words (``include_simulated``, for a rehearsal's own ladder).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger import chasers
from ledger.duties import plan_duties
from ledger.periods import Period
from ledger.vocabulary import ChaseKind
from projections.db import ReadStore


def urges_in_quarter(
    store: ReadStore, assignment_id: str, day: date, *, include_simulated: bool = False
) -> int:
    """Urges of the assignment recorded in the quarter of ``day``, before ``day``."""
    quarter = Period.quarter_of(day)
    window = [assignment_id, quarter.start.isoformat(), day.isoformat()]
    count = int(store.scalar(
        "SELECT COUNT(*) AS n FROM {s}rm_chases WHERE assignment_id = ? AND kind = 'urge' "
        "AND business_date >= ? AND business_date < ?", window) or 0)
    if include_simulated:
        count += int(store.scalar(
            "SELECT COUNT(*) AS n FROM {s}rm_audit WHERE stream_id = ? AND type = 'UrgeIssued' "
            "AND simulated = 1 AND business_date >= ? AND business_date < ?", window) or 0)
    return count


@dataclass(frozen=True)
class ChaserToSend:
    """A real chaser recorded since the outbox last looked, with what a message needs."""

    event_id: str
    position: int
    kind: str  # reminder | urge | escalation
    business_date: str
    assignment_id: str
    plan_id: str
    plan_title: str
    task_number: str
    unit_id: str
    unit_name: str
    obligation: str
    duty: str  # the duty's Chinese name
    period: str
    due_on: str | None
    reason: str

    def item(self) -> dict[str, Any]:
        """The chaser as it appears in a delivery's payload and its ledger record."""
        return {
            "event_id": self.event_id, "kind": self.kind,
            "kind_name": chasers.KIND_NAMES[self.kind], "plan_id": self.plan_id,
            "plan": self.plan_title, "task": self.task_number,
            "assignment_id": self.assignment_id, "obligation": self.obligation,
            "duty": self.duty, "period": self.period, "due_on": self.due_on,
            "reason": self.reason,
        }


def chasers_to_send(store: ReadStore, after: int, upto: int) -> list[ChaserToSend]:
    """Real chasers at ledger positions in (after, upto] that were recorded with a
    trigger (chasers from before the outbox sent every one are never sent now)."""
    rows = store.query(
        "SELECT c.event_id, c.position, c.kind, c.business_date, c.assignment_id, "
        "a.plan_id, p.title, a.task_number, c.unit_id, a.unit_name, c.obligation, c.period, "
        "COALESCE(c.due_on, o.extended_to, o.due_on) AS due_on, c.reason FROM {s}rm_chases c "
        "JOIN {s}rm_assignments a ON a.assignment_id = c.assignment_id "
        "JOIN {s}rm_plans p ON p.plan_id = a.plan_id "
        "LEFT JOIN {s}rm_obligations o ON o.assignment_id = c.assignment_id "
        "AND o.rule = c.obligation AND o.period = c.period "
        "WHERE c.position > ? AND c.position <= ? AND c.trigger IS NOT NULL "
        "ORDER BY c.position",
        [after, upto],
    )
    names = _duty_names(store, {row["plan_id"] for row in rows})
    return [
        ChaserToSend(
            event_id=row["event_id"], position=int(row["position"]), kind=row["kind"],
            business_date=row["business_date"], assignment_id=row["assignment_id"],
            plan_id=row["plan_id"], plan_title=row["title"], task_number=row["task_number"],
            unit_id=row["unit_id"], unit_name=row["unit_name"], obligation=row["obligation"],
            duty=names.get((row["plan_id"], row["obligation"]), row["obligation"]),
            period=row["period"], due_on=row["due_on"], reason=row["reason"],
        )
        for row in rows
    ]


def _duty_names(store: ReadStore, plan_ids: set[str]) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
    for plan_id in sorted(plan_ids):
        for row in store.query("SELECT obligations FROM {s}rm_plans WHERE plan_id = ?",
                               [plan_id]):
            for duty in plan_duties(json.loads(row["obligations"])):
                names[(plan_id, duty.rule.slug)] = chasers.duty_name(duty.rule)
    return names


def chase_states(store: ReadStore, event_ids: list[str]) -> dict[str, str | None]:
    """Each chaser's state: an escalation's open/acknowledged/resolved; for reminders and
    urges, 'acknowledged' once the unit has signed for it (签收), else None."""
    states: dict[str, str | None] = {}
    for start in range(0, len(event_ids), 400):
        chunk = event_ids[start:start + 400]
        marks = ", ".join("?" for _ in chunk)
        for row in store.query(
            f"SELECT event_id, kind, state, acknowledged_on FROM {{s}}rm_chases "
            f"WHERE event_id IN ({marks})", chunk
        ):
            signed = row["kind"] != ChaseKind.ESCALATION and row["acknowledged_on"] is not None
            states[row["event_id"]] = "acknowledged" if signed else row["state"]
    return states


def accountability_position(store: ReadStore) -> int:
    """How far the accountability tables (and so ``rm_chases``) have read the ledger."""
    return store.position("accountability")
