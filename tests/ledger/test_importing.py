"""Importing plans into the ledger: all or nothing, idempotent, amendments as differences."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from ledger import ids
from ledger.acts import Act
from ledger.application import Ledger
from ledger.assignment import Assignment
from ledger.errors import ConcurrentWriteConflict
from ledger.importer import decode_document, parse_plan
from ledger.importing import import_plan
from ledger.plan import Plan, Task
from ledger.unit import Unit
from tests.conftest import SEEDS

SEED_000 = SEEDS / "000_48908fa878961524.txt"
SEED_001 = SEEDS / "001_048a3ae4a5fa919b.txt"
HR = "自治区人力资源社会保障厅"


def parsed(path, edit=None):
    text = decode_document(path.read_bytes())
    return parse_plan(edit(text) if edit else text)


def office(ledger: Ledger) -> Act:
    return Act.by(ledger.clock, "office-clerk", "office")


def test_both_seeds_import_once(ledger: Ledger) -> None:
    plans = [parsed(SEED_000), parsed(SEED_001)]
    outcomes = [import_plan(ledger, plan, office(ledger)) for plan in plans]
    assert all(o.plan_created and o.events > 0 for o in outcomes)
    assert ledger.position() == sum(o.events for o in outcomes)
    kinds = Counter(r.type_name for r in ledger.records())
    tasks = kinds["Registered"]  # plans + tasks + units share the name
    assert tasks > 37
    assignments = [r.event for r in ledger.records() if isinstance(r.event, Assignment.Assigned)]
    expected = sum(len(t.units) for plan in plans for t in plan.tasks)
    assert len(assignments) == expected
    # assignments made by a document count from its issue date
    issued = {plans[0].natural_key(): date(2026, 5, 9), plans[1].natural_key(): date(2025, 2, 13)}
    by_plan = {ids.plan_id(k): v for k, v in issued.items()}
    assert all(a.business_date == by_plan[a.plan_id] for a in assignments)
    # one unit for one HR department, across both documents' spellings
    hr_units = [
        r.event
        for r in ledger.records()
        if isinstance(r.event, Unit.Registered) and "人力资源" in r.event.name
    ]
    assert [u.name for u in hr_units] == [HR]

    before = ledger.position()
    again = [import_plan(ledger, plan, office(ledger)) for plan in plans]
    assert [o.events for o in again] == [0, 0]
    assert ledger.position() == before


def test_dry_run_writes_nothing(ledger: Ledger) -> None:
    outcome = import_plan(ledger, parsed(SEED_001), office(ledger), dry_run=True)
    assert outcome.events > 300 and outcome.position is None
    assert ledger.position() == 0


def test_amended_document_appends_only_the_differences(ledger: Ledger) -> None:
    first = import_plan(ledger, parsed(SEED_001), office(ledger))
    before = ledger.position()

    def amend(text: str) -> str:
        # task 8: new wording; task 4: drop 发展改革委, add 财政厅; task 19 loses 各行业主管部门
        text = text.replace("落实一次性创业补贴政策", "全面落实一次性创业补贴政策")
        text = text.replace(
            "（责任单位：自治区农牧厅、发展改革委）", "（责任单位：自治区农牧厅、财政厅）"
        )
        return text

    amended = parsed(SEED_001, amend)
    assert amended.natural_key() == parsed(SEED_001).natural_key()
    outcome = import_plan(ledger, amended, office(ledger))
    assert not outcome.plan_created and outcome.plan_id == first.plan_id
    changes = {(c["change"], c.get("task"), c.get("unit")) for c in outcome.changes}
    assert ("task-amended", "8", None) in changes
    assert ("unit-added", "4", "自治区财政厅") in changes
    assert ("unit-removed", "4", "自治区发展改革委") in changes
    new = list(ledger.records(after=before))
    types = Counter(f"{r.stream_type}.{r.type_name}" for r in new)
    assert types == Counter(
        {
            "Task.Amended": 2,  # task 8 text; task 4 unit list
            "Assignment.Assigned": 1,
            "Assignment.Withdrawn": 1,
            "Plan.Amended": 1,
        }
    )
    task8 = ledger.task_numbered(first.plan_id, "8")
    assert task8.text.startswith("强化创业政策支持。全面落实") or "全面落实" in task8.text
    # the withdrawn unit's history stays; re-importing the original reinstates it
    restored = import_plan(ledger, parsed(SEED_001), office(ledger))
    assert ("unit-added", "4", "自治区发展改革委") in {
        (c["change"], c.get("task"), c.get("unit")) for c in restored.changes
    }
    task4 = ledger.task_numbered(first.plan_id, "4")
    ndrc = ledger.get_assignment(ids.assignment_id(task4.id, ids.unit_id("自治区发展改革委")))
    assert ndrc.status == "not_started" and ndrc.role == "co"


def test_an_import_that_collides_writes_nothing(ledger: Ledger) -> None:
    """One duplicate stream in the batch rejects the whole transaction: no partial plan."""
    ledger.register_unit(office(ledger), HR, "department")
    hidden = ids.unit_id(HR)
    real_find = Ledger.find
    # Make the importer blind to the unit, as if another writer created it a moment ago.
    ledger.find = lambda aggregate_id: (
        None if aggregate_id == hidden else real_find(ledger, aggregate_id)
    )
    with pytest.raises(ConcurrentWriteConflict):
        import_plan(ledger, parsed(SEED_000), office(ledger))
    assert ledger.position() == 1
    assert not any(isinstance(r.event, Plan.Registered | Task.Registered) for r in ledger.records())
