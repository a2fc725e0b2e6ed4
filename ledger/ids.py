"""Identities derived from natural keys (uuid5).

A retried or repeated command computes the same id, so it cannot create twice: the
store's uniqueness on (stream id, version) turns a duplicate creation into a conflict
that the ledger recognises as "already there".
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from uuid import UUID, uuid5

# Fixed forever: changing it would change every id in every store.
NAMESPACE = UUID("6f1d3c2e-8a4b-5e7f-9c0d-1a2b3c4d5e6f")


def _key(*parts: object) -> UUID:
    return uuid5(NAMESPACE, "\x1f".join(str(part) for part in parts))


def plan_id(natural_key: str) -> UUID:
    return _key("plan", natural_key)


def task_id(plan: UUID, number: str) -> UUID:
    return _key("task", plan, number)


def unit_id(canonical_name: str) -> UUID:
    return _key("unit", canonical_name)


def assignment_id(task: UUID, unit: UUID) -> UUID:
    return _key("assignment", task, unit)


def cycle_id(kind: str, period: str, scope: str = "") -> UUID:
    return _key("cycle", kind, period, scope)


CALENDAR_LOG = "calendar"


def calendar_log_id() -> UUID:
    return _key("calendar-log", CALENDAR_LOG)


REPORTING_RULES = "reporting-rules"


def reporting_rules_id() -> UUID:
    return _key("reporting-rules", REPORTING_RULES)


def briefing_id(kind: str, period: str, as_of: date, position: int, scope: str = "") -> UUID:
    """A briefing of the same period as of the same day on the same knowledge is one
    briefing, however often it is issued; ``scope`` keeps rehearsals' apart.

    (Earlier releases keyed briefings by kind, period, position and SHA-256; the ids
    they recorded stay as stored.)"""
    return _key("briefing-as-of", kind, period, as_of.isoformat(), position, scope)


@lru_cache(maxsize=65536)
def event_id(stream: UUID, version: int) -> UUID:
    """The id by which corrections, escalations and the audit trail name one event.

    Cached: commands look ids up by scanning a stream's versions.
    """
    return _key("event", stream, version)
