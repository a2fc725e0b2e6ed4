"""Request and response schemas: strict (unknown fields refused, numbers are numbers)."""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Positions and versions fit a signed 64-bit column (SQLite INTEGER, PostgreSQL BIGINT).
MAX_POSITION = 2**63 - 1
PERIOD_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4]|-H[12])?$"


def _no_controls(value: str) -> None:
    if _CONTROL.search(value):
        raise ma.ValidationError("control characters are not allowed")
    if _LONE_SURROGATE.search(value):  # a JSON "\ud800": no store or response holds it
        raise ma.ValidationError("lone surrogates are not text")


def text(max_length: int, *, required: bool = True, min_length: int = 1, **kw: Any) -> fields.Str:
    return fields.Str(
        required=required,
        validate=[validate.Length(min=min_length if required else 0, max=max_length),
                  _no_controls],
        **kw,
    )


class StrictNumber(fields.Field):
    """A JSON number: not a string that looks like one, not a boolean, finite."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ma.ValidationError("must be a number")
        if value != value or value in (float("inf"), float("-inf")):
            raise ma.ValidationError("must be a finite number")
        return value

    def _jsonschema_type_mapping(self) -> dict[str, str]:
        return {"type": "number"}


class IsoDate(fields.Date):
    """A calendar date written YYYY-MM-DD, nothing looser (no 20260720, no times)."""

    _FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}$")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, str) or not self._FORMAT.match(value):
            raise ma.ValidationError("must be a date written YYYY-MM-DD")
        return super()._deserialize(value, attr, data, **kwargs)


class Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


# ---- requests -----------------------------------------------------------------------------
class ProgressReportIn(Strict):
    period = fields.Str(required=True, validate=validate.Regexp(PERIOD_PATTERN),
                        metadata={"example": "2026-Q2"})
    narrative = text(20_000, metadata={"example": "完成创业培训8000人"})
    metrics = fields.Dict(keys=fields.Str(validate=[validate.Length(min=1, max=100),
                                                     _no_controls]),
                          values=StrictNumber(metadata={"type": "number"}),
                          load_default=dict, validate=validate.Length(max=100))


class CorrectionIn(Strict):
    """What a correction changes: the narrative, named figures, or both. Figures not
    named keep their values; ``null`` for a figure removes it."""

    corrects = fields.UUID(required=True, metadata={
        "description": "the report, or a correction of it (the chain leads to the report)"})
    narrative = text(20_000, required=False, load_default=None, allow_none=True, metadata={
        "description": "the new narrative; left out or null: unchanged"})
    metrics = fields.Dict(keys=fields.Str(validate=[validate.Length(min=1, max=100),
                                                     _no_controls]),
                          values=StrictNumber(allow_none=True,
                                              metadata={"type": "number", "nullable": True}),
                          load_default=dict, validate=validate.Length(max=100),
                          metadata={"description": "figures that change: a number sets one, "
                                    "null removes it", "example": {"创业培训": 8100}})
    reason = text(2_000)


class ExtensionRequestIn(Strict):
    obligation = text(200)
    period = fields.Str(required=True, validate=validate.Regexp(PERIOD_PATTERN))
    requested_due_on = IsoDate(required=True)
    reason = text(2_000)


class ExtensionDecisionIn(Strict):
    approved = fields.Boolean(required=True, truthy={True}, falsy={False})
    new_due_on = IsoDate(load_default=None)
    note = text(2_000, required=False, load_default="")


class AssignIn(Strict):
    unit = text(200, metadata={"description": "unit name, alias or id"})
    role = fields.Str(required=True, validate=validate.OneOf(["lead", "co"]))


class ChaseIn(Strict):
    obligation = text(200)
    period = fields.Str(required=True, validate=validate.Regexp(PERIOD_PATTERN))
    due_on = IsoDate(load_default=None)
    reason = text(2_000)
    evidence = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=50))


class LifecycleIn(Strict):
    reason = text(2_000, required=False, load_default="")
    expected_version = fields.Integer(strict=True, load_default=None,
                                      validate=validate.Range(min=1, max=MAX_POSITION))


class AcknowledgeIn(Strict):
    platform_reference = text(200)
    note = text(2_000, required=False, load_default="")
    resolved = fields.Boolean(load_default=False, truthy={True}, falsy={False})


class ContactIn(Strict):
    """A unit's whole contact; optional fields left out (or null, or "") are cleared.
    The ledger checks each field's form (ledger.validation) and names the one refused."""

    name = fields.Str(required=True, validate=validate.Length(min=1, max=200),
                      metadata={"example": "王联络"})
    phone = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=32),
                       metadata={"example": "0471-6666666"})
    email = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=254),
                       metadata={"format": "email", "example": "liaison@example.gov.cn"})
    webhook = fields.Str(
        load_default=None, allow_none=True, validate=validate.Length(max=2000),
        metadata={"format": "uri", "example": "https://sms-gateway.example.gov.cn/notify",
                  "description": "absolute http(s) URL reminders are posted to; "
                                 "never fetched when set"},
    )


class ChaseAcknowledgeIn(Strict):
    note = text(2_000, required=False, load_default="", metadata={"example": "已收到，抓紧报送"})


class ReportQuery(Strict):
    as_of = IsoDate(load_default=None)
    position = fields.Integer(load_default=None, validate=validate.Range(min=0, max=MAX_POSITION))
    unit = text(200, required=False)
    task = text(40, required=False)
    plan = text(200, required=False)


def _limit(what: str) -> fields.Integer:
    return fields.Integer(load_default=None, validate=validate.Range(min=1, max=1000),
                          metadata={"description": f"at most this many {what} (1 to 1000); "
                                    f"left out: every one"})


def _cursor(description: str) -> fields.Str:
    # The paging module checks the cursor's content (api.paging); here only its size
    # and that it is text, so a megabyte of garbage is refused before it is decoded.
    return fields.Str(load_default=None, validate=validate.Length(min=1, max=2048),
                      metadata={"description": description})


class PagedReportQuery(ReportQuery):
    """A report's filters and a page of it (api.paging)."""

    limit = _limit("rows")
    cursor = _cursor(
        "the `next` of the previous page, given alone: it pins that page's as_of, "
        "position and filters (any given beside it must agree)")


class PageQuery(Strict):
    """A list's page: keyset paging, the next page's URL in the `Link` header."""

    limit = _limit("items")
    cursor = _cursor("from the `Link: <...>; rel=\"next\"` header of the previous page")


class TaskQuery(PageQuery):
    plan = text(200, required=False)
    unit = text(200, required=False)
    number = text(40, required=False)


class AuditQuery(Strict):
    task = text(40, required=False)
    plan = text(200, required=False)
    unit = text(200, required=False)
    actor = text(200, required=False)
    since = IsoDate(load_default=None)
    until = IsoDate(load_default=None)
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_POSITION))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    simulated = fields.Boolean(load_default=False, metadata={
        "description": "also list the events of rehearsals (simulate, tick --as-of), flagged"})


class FeedQuery(Strict):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_POSITION - 1))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    simulated = fields.Boolean(load_default=False, metadata={
        "description": "also list the events of rehearsals (simulate, tick --as-of), flagged"})


class IdempotencyHeader(ma.Schema):
    """Headers are many; only this one is ours (the rest are ignored, not refused)."""

    class Meta:
        unknown = ma.EXCLUDE

    idempotency_key = fields.Str(
        required=True, data_key="Idempotency-Key",
        validate=[validate.Length(min=1, max=200), _no_controls],
        metadata={"description": "the same key and body give the same response, once"},
    )


class ImportQuery(Strict):
    dry_run = fields.Boolean(load_default=False)


# ---- responses ----------------------------------------------------------------------------
def _str(**kw: Any) -> fields.Str:
    """A column always present and never null."""
    return fields.Str(required=True, **kw)


def _maybe(field: type[fields.Field] = fields.Str, **kw: Any) -> fields.Field:
    """A column that may be null; listed (as null) all the same."""
    return field(required=True, allow_none=True, **kw)


def _number(**kw: Any) -> fields.Raw:
    """A figure as computed: an integer stays one (8000, not 8000.0)."""
    nullable = kw.pop("allow_none", False)
    return fields.Raw(required=True, allow_none=nullable,
                      metadata={"type": "number", "nullable": nullable, **kw.pop("metadata", {})},
                      **kw)


class ProblemOut(ma.Schema):
    type = fields.Str()
    title = fields.Str()
    status = fields.Int()
    detail = fields.Str()
    errors = fields.Dict()


class ReceiptOut(ma.Schema):
    event_id = fields.Str(allow_none=True)
    stream_id = fields.Str()
    created = fields.Bool()


class ReportReceiptOut(ma.Schema):
    event_id = fields.Str()
    assignment_id = fields.Str()
    period = fields.Str()


class TargetPeriodOut(ma.Schema):
    from_ = fields.Str(data_key="from", attribute="from", allow_none=True)
    to = fields.Str(allow_none=True)
    per = fields.Str(metadata={"description": "year (each year of the span) or total"})


class TargetOut(ma.Schema):
    """A quantitative target as the document states it (万/亿 multiplied out)."""

    indicator = _str()
    value = _number()
    measure = fields.Str(allow_none=True)
    comparator = fields.Str(metadata={"description": ">=, <= or ~ (about)"})
    period = fields.Nested(TargetPeriodOut, allow_none=True)
    text = fields.Str(metadata={"description": "the words as printed"})


class DueOut(ma.Schema):
    within_working_days = fields.Int(required=True)
    of_month_after_period = fields.Int()


class DutyOut(ma.Schema):
    """A reporting duty the plan states (or the default one), as imported."""

    slug = _str()
    description = _str()
    cadence = _str(metadata={"description": "monthly, quarterly, half-yearly or annual"})
    due = fields.Nested(DueOut, required=True)
    period_indices = fields.List(fields.Int(), allow_none=True, metadata={
        "description": "which periods of the year are reported (null: all)"})
    applies_to = fields.Raw(metadata={
        "description": "plan, or the task numbers it applies to",
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})
    audience = fields.Dict(metadata={"description": "who reports, as the text names them"})
    report_to = fields.Str(allow_none=True)
    stated_in = fields.Str(allow_none=True, metadata={"description": "the task stating it"})
    source = fields.Str(metadata={"description": "the sentence it was read from"})
    default = fields.Bool(metadata={"description": "the monthly default: no duty stated"})


class PlanOut(ma.Schema):
    plan_id = fields.Str()
    title = fields.Str()
    doc_number = fields.Str(allow_none=True)
    issuer = fields.Str(allow_none=True)
    issued_on = fields.Str(allow_none=True)
    closed_on = fields.Str(allow_none=True)
    targets = fields.List(fields.Nested(TargetOut))
    obligations = fields.List(fields.Nested(DutyOut))
    task_numbers = fields.List(fields.Str())


class ContactOut(ma.Schema):
    name = fields.Str(required=True)
    phone = fields.Str(required=True, allow_none=True)
    email = fields.Str(required=True, allow_none=True)
    webhook = fields.Str(required=True, allow_none=True)


class UnitOut(ma.Schema):
    unit_id = fields.Str(required=True)
    name = fields.Str(required=True)
    kind = fields.Str(required=True)
    aliases = fields.List(fields.Str(), required=True)
    contact = fields.Nested(ContactOut, required=True, allow_none=True,
                            metadata={"description": "null: no contact set yet"})
    position = fields.Int(required=True,
                          metadata={"description": "ledger position of the unit's last change"})


class TaskUnitOut(ma.Schema):
    assignment_id = fields.Str()
    unit_id = fields.Str()
    unit_name = fields.Str()
    role = fields.Str()
    status = fields.Str()


class TaskOut(ma.Schema):
    task_id = fields.Str()
    plan_id = fields.Str()
    number = fields.Str()
    ordinal = fields.Int()
    section = fields.Str(allow_none=True)
    title = fields.Str()
    text = fields.Str()
    targets = fields.List(fields.Nested(TargetOut))
    units = fields.List(fields.Nested(TaskUnitOut))


class ObligationOut(ma.Schema):
    """One report an assignment owes (rule × period) and how it stands as of the date."""

    assignment_id = _str()
    rule = _str(metadata={"description": "the reporting duty's slug"})
    period = _str()
    due_on = _str(metadata={"description": "as the plan sets it"})
    extended_to = _maybe(metadata={"description": "an approved extension's new due date"})
    extended_by = _maybe(metadata={"description": "the extension request approved"})
    effective_due_on = _str(metadata={"description": "the due date, an extension applied"})
    first_report_id = _maybe()
    first_report_on = _maybe(metadata={"description": "the first report's business date"})
    status = _str(metadata={"description": "open, extended, submitted_on_time, "
                           "submitted_late, overdue or waived"})
    working_days_late = fields.Int(required=True)
    task_number = _str()
    unit_id = _str()
    unit_name = _str()
    role = _str()
    plan_id = _str()
    plan_title = _str()


class AssignmentOut(ma.Schema):
    assignment_id = fields.Str()
    plan_id = fields.Str()
    task_id = fields.Str()
    task_number = fields.Str()
    unit_id = fields.Str()
    unit_name = fields.Str()
    role = fields.Str()
    status = fields.Str()
    source = fields.Str()
    assigned_on = fields.Str()
    reports = fields.Int()
    corrections = fields.Int()
    last_report_id = fields.Str(allow_none=True)
    last_report_period = fields.Str(allow_none=True)
    last_report_on = fields.Str(allow_none=True)
    reminders = fields.Int()
    urges = fields.Int()
    escalations = fields.Int()
    position = fields.Int()
    obligations = fields.List(fields.Nested(ObligationOut))


class RowsOut(ma.Schema):
    as_of = fields.Str()
    position = fields.Int()
    rows = fields.List(fields.Dict())


class ResponsibilityOut(ma.Schema):
    """A line of the responsibility list (责任清单): a unit on a task."""

    assignment_id = _str()
    plan_id = _str()
    plan_title = _str()
    task_id = _str()
    task_number = _str()
    ordinal = fields.Int(required=True)
    task_title = _str()
    unit_id = _str()
    unit_name = _str()
    role = _str()
    status = _str()
    reports = fields.Int(required=True)
    last_report_period = _maybe()
    last_report_on = _maybe()
    reminders = fields.Int(required=True)
    urges = fields.Int(required=True)
    escalations = fields.Int(required=True)
    next_obligation = _maybe(metadata={"description": "the earliest report still owed"})
    next_period = _maybe()
    next_due_on = _maybe(metadata={"description": "its due date, an extension applied"})


class ResponsibilitiesOut(RowsOut):
    rows = fields.List(fields.Nested(ResponsibilityOut))


class ReportPageOut(RowsOut):
    """A report, or a page of it (``limit``): the rows, the next page and the total."""

    next = fields.Str(required=True, allow_none=True, metadata={
        "description": "the cursor of the next page (give it as `cursor`, alone); "
                       "null: the last page, or no `limit` asked"})
    total = fields.Int(required=True, metadata={
        "description": "rows in the whole report, every page together"})


class ResponsibilitiesPageOut(ReportPageOut):
    rows = fields.List(fields.Nested(ResponsibilityOut))


class UnitOverdueOut(ma.Schema):
    """A unit's overdue reports, for the board."""

    unit_id = _str()
    unit_name = _str()
    overdue = fields.Int(required=True, metadata={"description": "reports overdue"})
    lead_overdue = fields.Int(required=True, metadata={
        "description": "of them, on tasks the unit leads"})
    max_working_days_late = fields.Int(required=True)
    oldest_due_on = _str(metadata={"description": "the earliest due date among them, "
                                   "an extension applied"})


class OverdueSummaryOut(ReportPageOut):
    rows = fields.List(fields.Nested(UnitOverdueOut))


class OverdueOut(ReportPageOut):
    rows = fields.List(fields.Nested(ObligationOut))


class WindowOut(ma.Schema):
    from_ = _str(data_key="from", attribute="from")
    to = _str()


class TargetValueOut(ma.Schema):
    """A unit's latest value for the target's indicator in its window."""

    unit = _str()
    role = _str()
    period = _str()
    value = _number(allow_none=True)


class TargetProgressOut(ma.Schema):
    """A quantitative target of a task: values, % done against % expected, the light."""

    plan_title = _str()
    task_number = _str()
    task_title = _str()
    indicator = _str()
    target = _number()
    measure = _maybe()
    comparator = _str(metadata={"description": ">=, <= or about"})
    window = fields.Nested(WindowOut, required=True)
    values = fields.List(fields.Nested(TargetValueOut), required=True)
    additive = fields.Bool(required=True, metadata={
        "description": "an additive measure: the units' values are summed"})
    actual = _number(allow_none=True)
    percent = _number(allow_none=True)
    expected_percent = _number()
    light = _str(metadata={"description": "green, yellow or red"})
    overdue_obligations = fields.Bool(required=True, metadata={
        "description": "red because a report on the task is overdue"})


class TargetsOut(ReportPageOut):
    rows = fields.List(fields.Nested(TargetProgressOut))


class ScorecardRowOut(ma.Schema):
    """A unit's record: reports due and made, on time, lateness, chasers received."""

    unit = _str()
    reports_due = fields.Int(required=True)
    reports_made = fields.Int(required=True)
    on_time = fields.Int(required=True)
    overdue = fields.Int(required=True)
    reminders = fields.Int(required=True)
    urges = fields.Int(required=True)
    escalations = fields.Int(required=True)
    on_time_rate = _number(allow_none=True, metadata={"description": "null: nothing due"})
    average_lateness = _number(metadata={"description": "working days, late reports "
                                         "and overdue obligations"})


class ScorecardOut(ReportPageOut):
    rows = fields.List(fields.Nested(ScorecardRowOut))


class ListOut(ma.Schema):
    items = fields.List(fields.Dict())
    next_after = fields.Int(allow_none=True)


class TrailOut(ListOut):
    includes_simulated = fields.Bool(metadata={
        "description": "whether rehearsal events (flagged simulated) are listed"})


class AuditCorrectionOut(ma.Schema):
    """A correction of a report (or of a correction of it), as the trail names it."""

    event_id = _str()
    corrects = _str()
    position = fields.Int(required=True)
    actor = _str()
    summary = _str()


class AuditEventOut(ma.Schema):
    """An event of the audit trail: who did what, in which role, when."""

    position = fields.Int(required=True)
    event_id = _str()
    type = _str()
    stream_type = _str()
    stream_id = _str()
    plan_id = _maybe()
    task_number = _maybe()
    unit_id = _maybe()
    actor = _str()
    actor_role = _str()
    correlation_id = _str()
    business_date = _str()
    recorded_at = _str()
    simulated = fields.Bool(required=True)
    corrects = _maybe(metadata={"description": "a correction: the event it corrects"})
    summary = _str()
    data = fields.Dict(required=True, metadata={"description": "the event as recorded"})
    corrected_by = fields.List(fields.Nested(AuditCorrectionOut), metadata={
        "description": "a report only: its corrections, in ledger order"})
    report = fields.Str(allow_none=True, metadata={
        "description": "a correction only: the report its chain leads to (null: unknown)"})


class AuditTrailOut(TrailOut):
    items = fields.List(fields.Nested(AuditEventOut))


class BriefingOut(ma.Schema):
    """A briefing issued, with the SHA-256 of its PDF."""

    briefing_id = _str()
    kind = _str()
    period = _str()
    as_of = _str()
    ledger_position = fields.Int(required=True)
    sha256 = _str()
    pages = fields.Int(required=True)
    filename = _str()
    actor = _str()
    business_date = _str()
    simulated = fields.Int(required=True, metadata={"description": "1: issued in a rehearsal"})


class BriefingsOut(ListOut):
    items = fields.List(fields.Nested(BriefingOut))


class DeliveryOut(ma.Schema):
    """A delivery in the outbox: the chasers of one unit and day, to one channel."""

    delivery_id = _str()
    channel = _str(metadata={"description": "platform or liaison"})
    unit_id = _str()
    unit_name = _str()
    day = _str()
    simulated = fields.Bool(required=True)
    state = _str(metadata={"description": "queued, delivered, failed or acknowledged"})
    attempts = fields.Int(required=True)
    next_attempt_at = _maybe()
    last_error = _maybe()
    delivered_at = _maybe()
    recipient = _maybe()
    events = fields.Int(required=True)
    event_ids = fields.List(fields.Str(), required=True)
    unacknowledged = fields.List(fields.Str(), required=True, metadata={
        "description": "delivered to a liaison: the chasers its unit has not signed for"})


class OutboxOut(ListOut):
    items = fields.List(fields.Nested(DeliveryOut))


class ImportOut(ma.Schema):
    preview = fields.Dict()
    written = fields.Dict(allow_none=True)


class HealthOut(ma.Schema):
    status = fields.Str()
    database = fields.Str()
    position = fields.Int()
    warnings = fields.List(fields.Str())


class AsOfQuery(Strict):
    as_of = IsoDate(load_default=None)
    position = fields.Integer(load_default=None, validate=validate.Range(min=0, max=MAX_POSITION))


def _figures(*, nullable: bool = False, **kw: Any) -> fields.Dict:
    return fields.Dict(keys=fields.Str(), values=fields.Raw(
        allow_none=nullable, metadata={"type": "number", "nullable": nullable}), **kw)


class ReportValuesOut(ma.Schema):
    narrative = fields.Str(required=True)
    metrics = _figures(required=True)


class CorrectionOut(ma.Schema):
    correction_id = fields.Str(required=True)
    corrects = fields.Str(required=True, metadata={
        "description": "the event it set out to correct: the report or an earlier correction"})
    position = fields.Int(required=True)
    business_date = fields.Str(required=True)
    recorded_at = fields.Str(required=True)
    actor = fields.Str(required=True)
    actor_role = fields.Str(required=True)
    reason = fields.Str(required=True)
    narrative = fields.Str(required=True, allow_none=True,
                           metadata={"description": "the new narrative; null: unchanged"})
    metrics = _figures(nullable=True, required=True, metadata={
        "description": "the figures it named: a number set, null removed"})
    replaces_metrics = fields.Bool(required=True, metadata={
        "description": "recorded before corrections named their changes: it replaced the "
        "narrative and every figure (figures it did not list were removed)"})
    resulting_metrics = _figures(required=True, metadata={
        "description": "every figure of the report after this correction"})


class ReportStatusOut(ma.Schema):
    rule = fields.Str(required=True)
    due_on = fields.Str(required=True)
    effective_due_on = fields.Str(required=True)
    status = fields.Str(required=True, metadata={"description": "submitted_on_time or "
                                                 "submitted_late, by the report's own date"})
    working_days_late = fields.Int(required=True)


class AssignmentReportOut(ma.Schema):
    report_id = fields.Str(required=True)
    period = fields.Str(required=True)
    business_date = fields.Str(required=True)
    recorded_at = fields.Str(required=True)
    actor = fields.Str(required=True)
    position = fields.Int(required=True)
    original = fields.Nested(ReportValuesOut, required=True)
    corrections = fields.List(fields.Nested(CorrectionOut), required=True)
    current = fields.Nested(ReportValuesOut, required=True)
    on_time = fields.Bool(required=True, allow_none=True, metadata={
        "description": "the report's business date against its period's due date(s); "
        "corrections never move it. null: no report was owed for the period"})
    obligations = fields.List(fields.Nested(ReportStatusOut), required=True)


class AssignmentReportsOut(ma.Schema):
    assignment_id = fields.Str(required=True)
    unit_id = fields.Str(required=True)
    unit_name = fields.Str(required=True)
    task_number = fields.Str(required=True)
    as_of = fields.Str(required=True)
    position = fields.Int(required=True)
    reports = fields.List(fields.Nested(AssignmentReportOut), required=True)
