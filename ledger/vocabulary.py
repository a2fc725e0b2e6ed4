"""The ledger's words, once: chase kinds, obligation states, cadences and roles (a unit's
on a task, an actor's in an act).

Each is a :class:`~enum.StrEnum`, so a member *is* its string: ``ChaseKind.URGE == "urge"``,
it formats as ``urge``, and the event store's JSON transcoder, ``json.dumps``, SQLite and
psycopg all write it as the plain string. Recorded events, read-model rows and JSON
answers therefore stay byte-identical whether a caller passes a member or the old
literal, and everything read back from the store is a plain ``str`` that compares equal
to its member (``tests/ledger/test_vocabulary.py`` pins that down).

The cadence's two spellings
---------------------------
Reporting duties say ``half-yearly`` (a plan's duty JSON, the Plan events that carry it,
the API's plan documents); the office's cycles and briefings say ``half-year`` (the
``Cycle.Ran`` and ``Briefing.Issued`` events, ``taskledger briefing half-year``, the
briefings' file names and JSON). Both are recorded in immutable events and printed in
outputs that must not change, so neither spelling can be retired from the outside.

The decision: one :class:`Cadence`, whose value is the duty spelling ``half-yearly``.
``Cadence("half-year")`` reads the cycle spelling back as the same member
(:meth:`Cadence._missing_`), and :attr:`Cadence.briefing_kind` is the one place that
writes ``half-year``, for the cycle and briefing records that were always written so.
Code compares members, never either string; the second spelling survives only at those
recorded boundaries, derived from the enum. Pass ``cadence.briefing_kind``, not the
member, wherever a cycle or briefing kind is recorded or hashed into an id: the member
formats as ``half-yearly`` (``Briefing.issue`` refuses it, so the slip is loud).
"""

from __future__ import annotations

from enum import StrEnum


class ChaseKind(StrEnum):
    """A step of the escalation ladder, as ``Assignment``'s chaser events record it."""

    REMINDER = "reminder"  # 提醒: before the due date
    URGE = "urge"  # 催办: after it
    ESCALATION = "escalation"  # 上报监督平台: still missing, handed to the platform

    @property
    def chinese(self) -> str:
        """The name the office and the units read."""
        return _CHASE_NAMES[self]


_CHASE_NAMES = {
    ChaseKind.REMINDER: "提醒",
    ChaseKind.URGE: "催办",
    ChaseKind.ESCALATION: "上报监督平台",
}


class ObligationState(StrEnum):
    """How one owed report stands as of a date (see ``ledger.obligations``)."""

    OPEN = "open"
    SUBMITTED_ON_TIME = "submitted_on_time"
    SUBMITTED_LATE = "submitted_late"
    OVERDUE = "overdue"
    EXTENDED = "extended"  # not yet due, against a due date an approved extension moved
    WAIVED = "waived"  # the office said the report is not owed

    @property
    def settled(self) -> bool:
        """No further action is owed: submitted (on time or late) or waived."""
        return self in _SETTLED


_SETTLED = frozenset(
    {ObligationState.SUBMITTED_ON_TIME, ObligationState.SUBMITTED_LATE, ObligationState.WAIVED}
)


class Cadence(StrEnum):
    """How often a report is owed, and which cycle or briefing runs at that rhythm."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half-yearly"
    ANNUAL = "annual"

    @classmethod
    def _missing_(cls, value: object) -> Cadence | None:
        # The spelling cycles and briefings are recorded under (see the module docstring).
        if value == _HALF_YEAR_BRIEFING:
            return cls.HALF_YEARLY
        return None

    @property
    def period_kind(self) -> str:
        """The kind of :class:`ledger.periods.Period` reported on: month, quarter, half, year."""
        return _PERIOD_KINDS[self]

    @property
    def briefing_kind(self) -> str:
        """The word ``Cycle.Ran`` and ``Briefing.Issued`` record, and the CLI and the
        briefings' file names show: the value, except ``half-year`` for half-yearly."""
        return _HALF_YEAR_BRIEFING if self is Cadence.HALF_YEARLY else self.value


_HALF_YEAR_BRIEFING = "half-year"
_PERIOD_KINDS = {
    Cadence.MONTHLY: "month",
    Cadence.QUARTERLY: "quarter",
    Cadence.HALF_YEARLY: "half",
    Cadence.ANNUAL: "year",
}

#: The kinds of cycle and briefing, as recorded and as ``taskledger briefing`` offers them.
BRIEFING_KINDS: tuple[str, ...] = tuple(cadence.briefing_kind for cadence in Cadence)


class Role(StrEnum):
    """A unit's part in a task: the lead unit (牵头单位) or a co-operating one (配合单位)."""

    LEAD = "lead"
    CO = "co"


class ActorRole(StrEnum):
    """Whose act an event records (``Act.role``); every one but ``system`` can hold an API
    token."""

    OFFICE = "office"  # 督查办: the supervision office
    LIAISON = "liaison"  # a unit's liaison (联络员)
    AUDITOR = "auditor"
    PLATFORM = "platform"  # the supervision platform (监督平台)
    SYSTEM = "system"  # the scheduler and the importer


#: The roles an API token is issued for, as plain strings (the CLI offers them as choices).
TOKEN_ROLES: tuple[str, ...] = tuple(
    role.value for role in ActorRole if role is not ActorRole.SYSTEM
)
