"""Typed domain errors.

Every error a user can cause is a subclass of :class:`LedgerError`. Its message is
written for the person who made the mistake (one line, no jargon), so the CLI can
print it as-is and the API can put it in a problem+json ``detail``. ``code`` is a
stable slug other tools may switch on; ``kind`` says which family the error is in
so interfaces can map it to an exit code or HTTP status without a lookup table per
error.
"""

from __future__ import annotations


class LedgerError(Exception):
    """A command was refused. Nothing was written."""

    kind = "invalid"
    code = "ledger-error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- the thing named does not exist -------------------------------------------------
class NotFoundError(LedgerError):
    kind = "not-found"
    code = "not-found"


class UnknownPlan(NotFoundError):
    code = "unknown-plan"


class UnknownTask(NotFoundError):
    code = "unknown-task"


class UnknownUnit(NotFoundError):
    code = "unknown-unit"


class UnknownEvent(NotFoundError):
    code = "unknown-event"


# --- the input itself is wrong ------------------------------------------------------
class InvalidInput(LedgerError):
    kind = "invalid"
    code = "invalid-input"


class EmptyNarrative(InvalidInput):
    code = "empty-narrative"


class InvalidValue(InvalidInput):
    code = "invalid-value"


class InvalidPeriod(InvalidInput):
    code = "invalid-period"


class PeriodOutsidePlan(InvalidInput):
    code = "period-outside-plan"


class ObligationNotOwed(InvalidInput):
    """A chaser or an extension request names a report the assignment does not owe: an
    unknown rule, a rule that does not bind it, a period of another kind, outside the
    plan's span or not begun yet."""

    code = "obligation-not-owed"


class WrongDueDate(InvalidInput):
    """A due date that is not the obligation's own (or, for an extension, not later than
    the current due date and the decision's day)."""

    code = "wrong-due-date"


class InvalidBusinessDate(InvalidInput):
    """A real act dated after today, or before the assignment it is about began."""

    code = "invalid-business-date"


class AmbiguousPlan(InvalidInput):
    """A plan named by words that fit several plans (422: name it more fully, or by id)."""

    code = "ambiguous-plan"


class AmbiguousTask(InvalidInput):
    """A bare task number that several plans have (422: give the plan)."""

    code = "ambiguous-task"


class PlanFormatError(InvalidInput):
    """The document text cannot be read as a plan (empty, binary, truncated...)."""

    code = "plan-format"


class ConfigurationError(InvalidInput):
    code = "configuration"


# --- the input is fine but the current state forbids it -----------------------------
class NotAllowed(LedgerError):
    kind = "not-allowed"
    code = "not-allowed"


class NotAssigned(NotAllowed):
    code = "not-assigned"


class ActionNotAllowed(NotAllowed):
    code = "action-not-allowed"


class ObligationNotDue(NotAllowed):
    """An urge or escalation before the obligation's due date has passed (409: the same
    request becomes right once the deadline is missed)."""

    code = "obligation-not-due"


class ObligationReported(NotAllowed):
    """A chaser for a period the unit has already reported (409: nothing is owed)."""

    code = "obligation-reported"


# --- someone else got there first ---------------------------------------------------
class ConflictError(LedgerError):
    kind = "conflict"
    code = "conflict"


class IdempotencyConflict(ConflictError):
    code = "idempotency-conflict"


class ConcurrentWriteConflict(ConflictError):
    """Another writer changed the same stream; the caller may retry."""

    code = "concurrent-write"


class StoreUnavailable(LedgerError):
    """The database cannot be reached or is not initialised."""

    kind = "unavailable"
    code = "store-unavailable"


class StoreNotInitialised(StoreUnavailable):
    """No store where the configuration points (a missing SQLite file, a PostgreSQL
    database or schema without the ledger's tables). Only ``taskledger db init`` makes
    one, so a mistyped path is refused instead of silently becoming an empty ledger."""

    code = "store-not-initialised"

    def __init__(self, display: str) -> None:
        super().__init__(f"no store at {display}; run `taskledger db init`")
