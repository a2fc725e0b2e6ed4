"""The audit trail: every event, who did what in which role and when, findable by
task, unit and actor; answered from the audit tables.

One filter (:class:`TrailFilter`, made by :func:`trail_filter`, which names plans,
tasks and units as :mod:`projections.lookup` reads them) for the API's ``/audit`` and
the CLI's ``taskledger events``; one summary per event (``rm_audit.summary``, written by
:func:`projections.audit.summary.summarise`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from projections.db import ReadStore
from projections.lookup import Scope, scope
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


@dataclass(frozen=True)
class TrailFilter:
    """Which events of the trail: about the scope's plans, task and unit, by the actor,
    from ``since`` (a business date, or a recorded time if a datetime) up to ``until``
    (a business date). Empty: every event."""

    scope: Scope = field(default_factory=Scope)
    actor: str | None = None
    since: date | datetime | None = None
    until: date | None = None

    def where(self) -> tuple[list[str], list[Any]]:
        """SQL conditions on ``rm_audit`` and their parameters."""
        where: list[str] = []
        params: list[Any] = []
        # an event is about a task when its stream is, or when it names the task's
        # chasers (a delivery on the unit's stream: rm_audit_links)
        subject = Scope(None, self.scope.plan_ids, self.scope.task)
        own, own_params = subject.about("a")
        if own:
            about = " AND ".join(own)
            where.append(f"(({about}) OR position IN (SELECT a.position FROM "
                         f"{{s}}rm_audit_links a WHERE {about}))")
            params += own_params + own_params
        if self.scope.unit_id is not None:
            where.append("a.unit_id = ?")
            params.append(self.scope.unit_id)
        if self.actor:
            where.append("a.actor = ?")
            params.append(self.actor)
        if isinstance(self.since, datetime):
            where.append("a.recorded_at >= ?")
            params.append(self.since.astimezone(UTC).isoformat())
        elif self.since:
            where.append("a.business_date >= ?")
            params.append(self.since.isoformat())
        if self.until:
            where.append("a.business_date <= ?")
            params.append(self.until.isoformat())
        return where, params


def trail_filter(
    store: ReadStore,
    *,
    task: str | None = None,
    plan: str | None = None,
    unit: str | None = None,
    actor: str | None = None,
    since: date | datetime | None = None,
    until: date | None = None,
) -> TrailFilter:
    """The filter as a query or flags name it: a task by id or number as printed (in
    ``plan`` if given), plans by id or words, a unit by id, name or alias. Unknown ones
    are not-found errors, a number several plans have is :class:`AmbiguousTask`."""
    return TrailFilter(scope(store, unit=unit, plan=plan, task=task), actor, since, until)


def trail(
    view: View,
    flt: TrailFilter | None = None,
    *,
    after: int = 0,
    limit: int | None = 100,
    include_simulated: bool = False,
) -> list[AuditEvent]:
    """Every event after ``after`` that ``flt`` lets through, in ledger order, at most
    ``limit`` (None: all); each report with the corrections made to it. Rehearsal
    (simulated) events only when asked for."""
    store = view.store
    where, params = (flt or TrailFilter()).where()
    where.insert(0, "a.position > ?")
    params.insert(0, after)
    if not include_simulated:
        where.append("a.simulated = 0")
    rows = store.query(
        f"SELECT {', '.join('a.' + column for column in _COLUMNS)} FROM {{s}}rm_audit a "
        f"WHERE {' AND '.join(where)} ORDER BY a.position"
        + (" LIMIT ?" if limit is not None else ""),
        [*params, limit] if limit is not None else params,
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
