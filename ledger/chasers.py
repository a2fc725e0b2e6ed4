"""What a reminder (提醒), urge (催办) or escalation (上报监督平台) says, and why it fired.

A chaser's reason is written into an immutable event and read by the unit and the
supervision platform, so it must state the rule that actually fired, with the plan's
own numbers, and name the duty as the plan does (月调度, 季度实施情况报告…), never a slug.
The ladder (``scheduler.ladder``) picks the rule; this module words it; the office's own
chasers carry the trigger ``{"rule": "office"}``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ledger.obligations import ObligationRule
from ledger.vocabulary import Cadence, ChaseKind

#: The rules that can fire a chaser, as recorded in the event's ``trigger``.
REMIND_BEFORE = "remind_before"  # N working days before the due date
URGE_AFTER = "urge_after"  # the N-th working day after it
ESCALATE_AFTER = "escalate_after"  # still missing N working days after it
ESCALATE_AFTER_URGES = "escalate_after_urges"  # urged N times in one quarter
BY_OFFICE = "office"  # the office decided, through the API or the CLI
CHASE_TRIGGERS = (REMIND_BEFORE, URGE_AFTER, ESCALATE_AFTER, ESCALATE_AFTER_URGES, BY_OFFICE)

KIND_NAMES = {kind: kind.chinese for kind in ChaseKind}

_CADENCE_NAMES = {
    Cadence.MONTHLY: "月度报告",
    Cadence.QUARTERLY: "季度报告",
    Cadence.HALF_YEARLY: "半年总结",
    Cadence.ANNUAL: "年度报告",
}


def duty_name(rule: ObligationRule) -> str:
    """The duty as the plan names it: the head of its description (``月调度：每月…``), a
    short description itself, or the cadence's usual name when it is a whole sentence."""
    head, colon, _ = rule.description.partition("：")
    if colon and 0 < len(head) <= 20:
        return head
    if 0 < len(rule.description) <= 12:  # a name, not a sentence
        return rule.description
    return _CADENCE_NAMES.get(rule.cadence, rule.slug)


def trigger_for(rule: str, **numbers: int) -> dict[str, Any]:
    if rule not in CHASE_TRIGGERS:
        raise ValueError(f"unknown chaser trigger {rule!r}")
    return {"rule": rule, **numbers}


def ladder_reason(
    kind: str, trigger: dict[str, Any], duty: str, period: str, due_on: date
) -> str:
    """The reason a ladder step records, built from the rule that fired."""
    due = due_on.isoformat()
    rule = trigger["rule"]
    if rule == REMIND_BEFORE:
        return (
            f"{duty}（{period}）将于{due}到期（到期前{trigger['working_days']}个工作日提醒），"
            "请按时报送"
        )
    if rule == URGE_AFTER:
        return (
            f"{duty}（{period}）已于{due}到期未报送（到期后第{trigger['working_days']}个工作日"
            "催办），请尽快报送"
        )
    if rule == ESCALATE_AFTER:
        return (
            f"{duty}（{period}）{due}到期，逾期{trigger['working_days']}个工作日仍未报送，"
            "提请监督平台督办"
        )
    if rule == ESCALATE_AFTER_URGES:
        return (
            f"{duty}（{period}）{due}到期未报送，本季度已催办{trigger['urges']}次，"
            "提请监督平台督办"
        )
    raise ValueError(f"{kind}: the ladder does not fire on rule {rule!r}")
