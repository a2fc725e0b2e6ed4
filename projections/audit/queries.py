"""The audit trail: every event, who did what in which role and when, findable by
task, unit and actor; answered from the audit tables.

Filters take what they filter on already resolved (plan ids, a unit id): looking a
plan or unit up by name is the caller's business.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from projections.views import View

REPORTED = "ProgressReported"
CORRECTED = "ProgressCorrected"


@dataclass(frozen=True)
class CorrectionLink:
    """A correction in a report's chain: the event it corrects (the report or an
    earlier correction), who made it, what it said."""

    event_id: str
    corrects: str
    position: int
    actor: str
    summary: str


@dataclass(frozen=True)
class AuditEvent:
    """One event of the trail.

    ``corrected_by`` (a report's corrections, in ledger order) is listed for reports
    only; ``report`` (the report a correction's chain leads to; None: not projected)
    for corrections only.
    """

    position: int
    event_id: str
    type: str
    stream_type: str
    stream_id: str
    plan_id: str | None
    task_number: str | None
    unit_id: str | None
    actor: str
    actor_role: str
    correlation_id: str
    business_date: str
    recorded_at: str
    simulated: bool
    corrects: str | None
    summary: str
    data: dict[str, Any]
    corrected_by: tuple[CorrectionLink, ...] = ()
    report: str | None = None

    def to_json(self) -> dict[str, Any]:
        row = {name: getattr(self, name) for name in _COLUMNS}
        if self.type == REPORTED:
            row["corrected_by"] = [asdict(link) for link in self.corrected_by]
        elif self.type == CORRECTED:
            row["report"] = self.report
        return row


_COLUMNS = (
    "position", "event_id", "type", "stream_type", "stream_id", "plan_id", "task_number",
    "unit_id", "actor", "actor_role", "correlation_id", "business_date", "recorded_at",
    "simulated", "corrects", "summary", "data",
)


def trail(
    view: View,
    *,
    task_number: str | None = None,
    plan_ids: Sequence[str] | None = None,
    unit_id: str | None = None,
    actor: str | None = None,
    since: date | None = None,
    until: date | None = None,
    after: int = 0,
    limit: int = 100,
    include_simulated: bool = False,
) -> list[AuditEvent]:
    """Every event after ``after`` in ledger order, at most ``limit``; each report with
    the corrections made to it. Rehearsal (simulated) events only when asked for."""
    store = view.store
    where, params = ["position > ?"], [after]
    if not include_simulated:
        where.append("simulated = 0")
    # an event is about a task when its stream is, or when it names the task's chasers
    # (a delivery on the unit's stream: rm_audit_links)
    subject: list[str] = []
    subject_params: list[Any] = []
    if task_number:
        subject.append("task_number = ?")
        subject_params.append(task_number.strip())
    if plan_ids is not None:
        subject.append(f"plan_id IN ({', '.join('?' for _ in plan_ids)})" if plan_ids
                       else "1 = 0")
        subject_params += list(plan_ids)
    if subject:
        own = " AND ".join(subject)
        where.append(f"(({own}) OR position IN (SELECT position FROM {{s}}rm_audit_links "
                     f"WHERE {own}))")
        params += subject_params + subject_params
    if unit_id:
        where.append("unit_id = ?")
        params.append(unit_id)
    if actor:
        where.append("actor = ?")
        params.append(actor)
    if since:
        where.append("business_date >= ?")
        params.append(since.isoformat())
    if until:
        where.append("business_date <= ?")
        params.append(until.isoformat())
    rows = store.query(
        f"SELECT {', '.join(_COLUMNS)} FROM {{s}}rm_audit WHERE {' AND '.join(where)} "
        "ORDER BY position LIMIT ?",
        [*params, limit],
    )
    chains = _correction_chains(view, [r["event_id"] for r in rows if r["type"] == REPORTED])
    reports_of = _reports_corrected(
        view, {r["event_id"]: r["corrects"] for r in rows if r["type"] == CORRECTED}
    )
    return [
        AuditEvent(
            **{
                **row,
                "data": json.loads(row["data"]),
                "simulated": bool(row["simulated"]),
            },
            corrected_by=tuple(chains.get(row["event_id"], ())),
            report=reports_of.get(row["event_id"]),
        )
        for row in rows
    ]


def _correction_chains(view: View, report_ids: list[str]) -> dict[str, list[CorrectionLink]]:
    """Each report's corrections, corrections of corrections included, in ledger order;
    each names the event it ``corrects`` (the report or an earlier correction)."""
    chains: dict[str, list[CorrectionLink]] = defaultdict(list)
    root = {report: report for report in report_ids}
    frontier = list(report_ids)
    while frontier:  # one round per link of the longest chain
        found = []
        for chunk in _chunks(frontier, 400):
            marks = ", ".join("?" for _ in chunk)
            found += view.store.query(
                f"SELECT corrects, event_id, position, actor, summary FROM {{s}}rm_audit "
                f"WHERE corrects IN ({marks})",
                chunk,
            )
        for row in found:
            root[row["event_id"]] = root[row["corrects"]]
            chains[root[row["event_id"]]].append(CorrectionLink(**row))
        frontier = [row["event_id"] for row in found]
    for chain in chains.values():
        chain.sort(key=lambda link: link.position)
    return chains


def _reports_corrected(view: View, corrects: dict[str, str]) -> dict[str, str]:
    """For corrections (id -> the event each corrects), the report each chain leads to."""
    reports: dict[str, str] = {}
    pending = dict(corrects)  # correction -> the event to look at next
    while pending:
        targets = sorted(set(pending.values()))
        kinds: dict[str, dict] = {}
        for chunk in _chunks(targets, 400):
            marks = ", ".join("?" for _ in chunk)
            for row in view.store.query(
                f"SELECT event_id, type, corrects FROM {{s}}rm_audit WHERE event_id IN ({marks})",
                chunk,
            ):
                kinds[row["event_id"]] = row
        following = {}
        for correction, target in pending.items():
            row = kinds.get(target)
            if row is None:
                continue  # not projected (e.g. beyond a snapshot): unknown
            if row["type"] == REPORTED:
                reports[correction] = target
            elif row["corrects"]:
                following[correction] = row["corrects"]
        pending = following
    return reports


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
