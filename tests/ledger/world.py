"""A small plan world for ledger tests: one plan, two tasks, three units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from ledger.acts import Act
from ledger.application import Ledger

HR = "自治区人力资源社会保障厅"
EDU = "自治区教育厅"
FIN = "自治区财政厅"


@dataclass
class World:
    ledger: Ledger
    plan: UUID
    task_one: UUID
    task_two: UUID
    units: dict[str, UUID]
    assignments: dict[tuple[str, str], UUID]

    def office(self, **kwargs: object) -> Act:
        return Act.by(self.ledger.clock, "office-clerk", "office", **kwargs)  # type: ignore[arg-type]

    def liaison(self, unit: str = HR) -> Act:
        return Act.by(self.ledger.clock, f"liaison:{unit}", "liaison")


def build_world(ledger: Ledger) -> World:
    act = Act.by(ledger.clock, "importer", "system", business_date=date(2026, 5, 9))
    plan = ledger.register_plan(
        act,
        "test-plan-1",
        doc_number="测发〔2026〕1号",
        title="测试实施方案",
        issuer="测试领导小组",
        issued_on=date(2026, 5, 9),
        source_sha256="0" * 64,
        targets=[],
        obligations=[],
        task_numbers=["（一）", "（二）"],
    ).stream_id
    tasks = {}
    for ordinal, number in enumerate(["（一）", "（二）"], start=1):
        tasks[number] = ledger.register_task(
            act,
            plan,
            number,
            ordinal=ordinal,
            section="二、重点任务",
            title=f"任务{ordinal}",
            text=f"任务{ordinal}的全文。",
            targets=[{"indicator": "培训", "value": 20000, "measure": "人"}],
            obligations=[],
            units=[],
        ).stream_id
    units = {}
    for name in (HR, EDU, FIN):
        units[name] = ledger.register_unit(act, name, "department").stream_id
    assignments = {}
    for number, members in (("（一）", (HR, EDU)), ("（二）", (FIN, HR))):
        for index, name in enumerate(members):
            role = "lead" if index == 0 else "co"
            assignments[(number, name)] = ledger.assign(
                act, tasks[number], units[name], role, source="document"
            ).stream_id
    return World(ledger, plan, tasks["（一）"], tasks["（二）"], units, assignments)
