"""Plans, tasks and units as people name them, resolved on a store holding both seeds."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime

import pytest

from ledger.acts import Act
from ledger.application import open_ledger
from ledger.clock import FixedClock
from ledger.errors import (
    AmbiguousPlan,
    AmbiguousTask,
    InvalidInput,
    NotFoundError,
    UnknownPlan,
    UnknownTask,
    UnknownUnit,
)
from ledger.store import parse_database_url, temporary_schema
from projections import lookup
from projections.db import ReadStore
from projections.projector import Projector
from tests.conftest import POSTGRES_URL, need_postgres
from tests.ledger.world import HR, build_world
from tests.projections.helpers import import_seeds
from tests.projections.test_projections import CALENDAR

P000 = "内蒙古自治区稳岗扩容提质工程实施方案"  # no document number; tasks （一）…（十八）
P001 = "内蒙古自治区就业促进行动实施方案"  # 内政发〔2025〕7号; tasks 1…19
TEST_PLAN = "测试实施方案"  # tests.ledger.world: tasks （一）, （二）




@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One store per backend for the module: every test here only reads."""
    if request.param == "sqlite":
        where = tmp_path_factory.mktemp("lookup") / "ledger.sqlite"
        config_context = nullcontext(parse_database_url(f"sqlite:///{where}"))
    else:
        need_postgres()
        config_context = temporary_schema(POSTGRES_URL)
    with config_context as config:
        ledger = open_ledger(
            config, clock=FixedClock(datetime(2026, 7, 1, 1, 0, tzinfo=UTC)), create_tables=True
        )
        import_seeds(ledger)
        build_world(ledger)  # a third plan, whose （一） and （二） the seed 000 has too
        act = Act.by(ledger.clock, "office-clerk", "office")
        ledger.register_unit(act, HR, "department", ["就业促进测试别名"])  # an alias added later
        read = ReadStore(config, create_tables=True)
        Projector(ledger, read, CALENDAR).catch_up()
        yield read
        read.close()
        ledger.close()


def test_a_plan_by_id_document_number_natural_key_title_or_words(store: ReadStore) -> None:
    p001 = lookup.resolve_plan(store, "内政发〔2025〕7号")
    assert p001.title == P001 and p001.doc_number == "内政发〔2025〕7号"
    assert lookup.resolve_plan(store, p001.plan_id) == p001
    assert lookup.resolve_plan(store, "〔2025〕7号") == p001
    p000 = lookup.resolve_plan(store, "稳岗扩容")
    assert p000.title == P000 and p000.doc_number is None
    assert lookup.resolve_plan(store, p000.natural_key) == p000
    assert lookup.resolve_plan(store, f" {P000} ") == p000


def test_words_that_fit_several_plans(store: ReadStore) -> None:
    assert [p.title for p in lookup.resolve_plans(store, "实施方案")] == [P000, P001, TEST_PLAN]
    with pytest.raises(AmbiguousPlan, match="give its id or document number") as refused:
        lookup.resolve_plan(store, "实施方案")
    assert isinstance(refused.value, InvalidInput) and refused.value.field == "plan"


@pytest.mark.parametrize("reference", ["nonexistent", "", "  "])
def test_an_unknown_plan(store: ReadStore, reference: str) -> None:
    with pytest.raises(UnknownPlan) as refused:
        lookup.resolve_plan(store, reference)
    assert isinstance(refused.value, NotFoundError) and refused.value.field == "plan"
    with pytest.raises(UnknownPlan):
        lookup.resolve_plans(store, reference)


@pytest.mark.parametrize("reference", ["（十一）", "(十一)", "十一", " （十一） ", "（十一)"])
def test_a_task_number_in_either_bracket_width_or_none(store: ReadStore, reference: str) -> None:
    task = lookup.resolve_task(store, reference)
    assert task.number == "（十一）" and task.ordinal == 11
    assert task.plan_id == lookup.resolve_plan(store, "稳岗扩容").plan_id
    assert lookup.resolve_task(store, reference, plan="稳岗扩容") == task


def test_numbers_are_as_printed_not_translated(store: ReadStore) -> None:
    task = lookup.resolve_task(store, "11")
    assert (task.number, task.plan_id) == ("11", lookup.resolve_plan(store, P001).plan_id)
    with pytest.raises(UnknownTask, match="no task '8' in 内蒙古自治区稳岗扩容提质工程实施方案"):
        lookup.resolve_task(store, "8", plan="稳岗扩容")
    with pytest.raises(UnknownTask):
        lookup.resolve_task(store, "（十一）", plan="内政发〔2025〕7号")


def test_a_number_several_plans_have_needs_the_plan(store: ReadStore) -> None:
    with pytest.raises(AmbiguousTask, match="give the plan") as refused:
        lookup.resolve_task(store, "(一)")
    assert isinstance(refused.value, InvalidInput) and refused.value.field == "task"
    assert P000 in refused.value.message and TEST_PLAN in refused.value.message
    ours = lookup.resolve_task(store, "一", plan="测试")
    seed = lookup.resolve_task(store, "一", plan="稳岗扩容")
    assert ours.number == seed.number == "（一）" and ours.plan_id != seed.plan_id


def test_a_task_by_id(store: ReadStore) -> None:
    task = lookup.resolve_task(store, "（十七）", plan="稳岗扩容")
    assert lookup.resolve_task(store, task.task_id) == task
    assert lookup.resolve_task(store, task.task_id, plan=P000) == task
    with pytest.raises(UnknownTask):
        lookup.resolve_task(store, task.task_id, plan="内政发〔2025〕7号")


@pytest.mark.parametrize("reference", ["（三十）", "", "任务", "十一十"])
def test_an_unknown_task(store: ReadStore, reference: str) -> None:
    with pytest.raises(UnknownTask) as refused:
        lookup.resolve_task(store, reference)
    assert isinstance(refused.value, NotFoundError) and refused.value.field == "task"


def test_a_task_in_an_unknown_plan(store: ReadStore) -> None:
    with pytest.raises(UnknownPlan):
        lookup.resolve_task(store, "（十一）", plan="nonexistent")


@pytest.mark.parametrize(
    "reference",
    [HR, "人社厅", "人力资源和社会保障厅", "就业促进测试别名", "人力资源社会保障厅",
     "内蒙古自治区人力资源社会保障厅", f" {HR} "],
)
def test_a_unit_by_name_or_any_alias_the_store_knows(store: ReadStore, reference: str) -> None:
    unit = lookup.resolve_unit(store, reference)
    assert unit.name == HR and unit.kind == "department"
    assert lookup.resolve_unit(store, unit.unit_id) == unit


@pytest.mark.parametrize(
    "reference",
    ["自治区司法厅", "党委统一战线工作部", "nonexistent", "", "省人力资源社会保障厅"],
)
def test_units_the_store_does_not_know(store: ReadStore, reference: str) -> None:
    """司法厅 and 统战部's alias are in the packaged registry, but no plan names them."""
    with pytest.raises(UnknownUnit) as refused:
        lookup.resolve_unit(store, reference)
    assert isinstance(refused.value, NotFoundError) and refused.value.field == "unit"
