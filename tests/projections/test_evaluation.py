"""The evaluation rules: report counting, target lights, task lights, ranking, scores."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.calendar import ChineseCalendar
from projections import evaluation
from projections.evaluation import (
    ReportCount,
    ScoreWeights,
    StatusAt,
    Thresholds,
    UnitScorecard,
    UnitYear,
)

CALENDAR = ChineseCalendar()


def test_status_at_a_date_is_the_ledgers_rule() -> None:
    at = StatusAt(CALENDAR, date(2026, 7, 20))
    assert at("2026-07-10", None, None).status == "overdue"
    assert at("2026-07-10", "2026-07-09", None).status == "submitted_on_time"
    late = at("2026-07-10", "2026-07-14", None)
    assert (late.status, late.days_late) == ("submitted_late", 2)
    assert at("2026-07-10", None, "2026-07-31").status == "extended"
    assert at("2026-07-31", None, None).status == "open"
    # a report dated after the as-of date had not arrived then
    assert at("2026-07-10", "2026-07-21", None).status == "overdue"


def test_counting_leaves_out_what_is_not_owed_and_averages_lateness() -> None:
    counted = evaluation.count_reports(
        [("submitted_on_time", 0), ("submitted_late", 3), ("overdue", 5), ("open", 0),
         ("extended", 0), ("waived", 0)]
    )
    assert counted == ReportCount(due=3, made=2, on_time=1, late=1, overdue=1, lateness=(3, 5))
    assert counted.rate == pytest.approx(1 / 3)
    assert counted.average_lateness == 4.0
    assert evaluation.count_reports([("open", 0)]).rate is None


def _target(value: float, comparator: str = ">=", measure: str = "人") -> dict:
    return {"indicator": "新增就业", "value": value, "measure": measure,
            "comparator": comparator, "period": {"from": "2026-01-01", "to": "2026-12-31"}}


def _report(unit: str, value: float, role: str = "lead", position: int = 1) -> dict:
    return {"unit_id": unit, "unit_name": unit, "role": role, "period": "2026-Q2",
            "position": position, "metrics": {"新增就业": value}}


def _progress(target: dict, reports: list[dict], **extra) -> evaluation.TargetProgress:
    return evaluation.target_progress(
        target, reports, date(2026, 7, 2), Thresholds(), plan_id="p", task_id="t",
        plan_title="方案", task_number="1", task_title="任务", **extra)


def test_target_lights_against_elapsed_time() -> None:
    halfway = 50.0  # 2026-07-02 is 182 of 364 days into the year
    ahead = _progress(_target(100), [_report("A", 30), _report("B", 25, "co", 2)])
    assert (ahead.actual, ahead.percent, ahead.expected_percent) == (55, 55.0, halfway)
    assert ahead.light == "green"
    assert _progress(_target(100), [_report("A", 45)]).light == "yellow"
    assert _progress(_target(100), [_report("A", 30)]).light == "red"
    assert _progress(_target(100), []).light == "red"
    # a task with an overdue obligation is red, whatever its figures
    late = _progress(_target(100), [_report("A", 90)], overdue_obligations=True)
    assert (late.light, late.overdue_obligations) == ("red", True)
    assert late.to_json()["window"] == {"from": "2026-01-01", "to": "2026-12-31"}
    assert "plan_id" not in late.to_json()


def test_task_light_from_targets_and_overdue_share() -> None:
    assert evaluation.task_light(["green"], 0, 10, 0.3) == "green"
    assert evaluation.task_light(["green"], 1, 10, 0.3) == "yellow"
    assert evaluation.task_light([], 3, 10, 0.3) == "red"
    assert evaluation.task_light(["yellow"], 0, 10, 0.3) == "yellow"
    assert evaluation.task_light(["red", "green"], 0, 0, 0.3) == "red"


def _card(unit: str, rate: float | None, overdue: int = 0, lateness: float = 0.0):
    return UnitScorecard(unit, unit, 4, 4, 0, overdue, 0, 0, 0, rate, lateness)


def test_ranking_shares_a_place_on_ties_and_puts_nothing_due_last() -> None:
    ranked = evaluation.ranking(
        [_card("丁", None), _card("丙", 0.5, 1), _card("乙", 1.0), _card("甲", 1.0),
         _card("戊", 0.5, 1, 2.0)]
    )
    assert [(c.rank, c.unit) for c in ranked] == [
        (1, "乙"), (1, "甲"), (3, "丙"), (4, "戊"), (5, "丁")]


def test_scorecards_count_obligations_and_chases_per_unit() -> None:
    cards = evaluation.scorecards(
        [{"unit_id": "u1", "unit_name": "甲", "status": "submitted_late", "working_days_late": 2},
         {"unit_id": "u1", "unit_name": "甲", "status": "submitted_on_time",
          "working_days_late": 0},
         {"unit_id": "u2", "unit_name": "乙", "status": "open", "working_days_late": 0}],
        [{"unit_id": "u2", "name": "乙", "kind": "urge", "n": 2}],
    )
    assert [c.to_json() for c in cards] == [
        {"unit": "甲", "reports_due": 2, "reports_made": 2, "on_time": 1, "overdue": 0,
         "reminders": 0, "urges": 0, "escalations": 0, "on_time_rate": 0.5,
         "average_lateness": 2.0},
        {"unit": "乙", "reports_due": 0, "reports_made": 0, "on_time": 0, "overdue": 0,
         "reminders": 0, "urges": 2, "escalations": 0, "on_time_rate": None,
         "average_lateness": 0.0},
    ]


def test_annual_scores_leave_out_terms_that_do_not_apply() -> None:
    perfect = ReportCount(due=4, made=4, on_time=4)
    scores = evaluation.annual_scores(
        [
            UnitYear("甲", perfect, urges=0, escalations=0, led_targets=(100.0, 120.0)),
            UnitYear("乙", ReportCount(due=4, made=2, on_time=2, overdue=2), urges=2,
                     escalations=1, led_targets=()),
            UnitYear("丙", ReportCount(), urges=0, escalations=0, led_targets=(50.0, None)),
        ],
        ScoreWeights(),
    )
    by_unit = {s.unit: s for s in scores}
    assert (by_unit["甲"].score, by_unit["甲"].verdict, by_unit["甲"].rank) == (100.0, "commend", 1)
    # 乙: (50 × 0.5 + 20 × (1 − 0.35)) / 70
    assert by_unit["乙"].score == round(100 * (50 * 0.5 + 20 * 0.65) / 70, 1)
    assert by_unit["乙"].verdict == "call_out"
    # 丙: nothing due; targets 25% done on average; no chases
    assert by_unit["丙"].completion == 0.25
    assert by_unit["丙"].score == round(100 * (30 * 0.25 + 20) / 50, 1)
