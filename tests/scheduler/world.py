"""A small plan with 000's reporting duty (Q1–Q3 quarterly, annual) and three units."""

from __future__ import annotations

from datetime import date

from ledger.acts import Act
from ledger.application import Ledger

QUARTERLY = {
    "slug": "implementation-report-quarterly",
    "description": "季度实施情况报告",
    "cadence": "quarterly",
    "due": {"within_working_days": 5},
    "period_indices": [1, 2, 3],
    "applies_to": "plan",
    "audience": {"scope": "all_assignments"},
    "stated_in": "（二）",
}
ANNUAL = {
    "slug": "implementation-report-annual",
    "description": "年度实施情况报告",
    "cadence": "annual",
    "due": {"within_working_days": 5},
    "period_indices": None,
    "applies_to": "plan",
    "audience": {"scope": "all_assignments"},
    "stated_in": "（二）",
}
SILENT, LATE, PROMPT = "自治区沉默厅", "自治区迟报厅", "自治区按时厅"


def build_plan(ledger: Ledger) -> dict[str, object]:
    """Issued 2026-05-09 like 000; task （一） with three units."""
    act = Act.by(ledger.clock, "importer", "system", business_date=date(2026, 5, 9))
    plan = ledger.register_plan(
        act,
        "调度测试方案",
        doc_number=None,
        title="调度测试方案",
        issuer="测试领导小组",
        issued_on=date(2026, 5, 9),
        source_sha256="1" * 64,
        targets=[
            {
                "indicator": "培训",
                "value": 100,
                "measure": "人",
                "comparator": ">=",
                "period": {"from": "2026-01-01", "to": "2030-12-31", "per": "total"},
            }
        ],
        obligations=[QUARTERLY, ANNUAL],
        task_numbers=["（一）"],
    ).stream_id
    task = ledger.register_task(
        act,
        plan,
        "（一）",
        ordinal=1,
        section="一、任务",
        title="任务",
        text="任务。",
        targets=[],
        obligations=[],
        units=[],
    ).stream_id
    assignments = {}
    for index, name in enumerate((SILENT, LATE, PROMPT)):
        unit = ledger.register_unit(act, name, "department").stream_id
        assignments[name] = ledger.assign(
            act, task, unit, "lead" if index == 0 else "co", source="document"
        ).stream_id
    return {"plan": plan, "task": task, "assignments": assignments}
