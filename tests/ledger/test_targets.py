"""Target extraction rules (ledger.targets), one rule per test."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.importer.model import TargetPeriod
from ledger.targets import extract_targets, horizon_of


def one(text: str, horizon: TargetPeriod | None = None):
    (target,) = extract_targets(text, horizon)
    return target


@pytest.mark.parametrize(
    ("text", "value", "measure"),
    [
        ("新增就业岗位15万个以上。", 150000, "个"),
        ("产业规模突破200亿元。", 20_000_000_000, "元"),
        ("培训2.5万人次以上。", 25000, "人次"),
        ("带动10万户。", 100000, "户"),
        ("扶持200家合作社。", 200, "家"),
        ("覆盖率达到93%以上。", 93, "%"),
        ("失业率控制在5.7%左右。", 5.7, "%"),
    ],
)
def test_values_and_measures(text, value, measure):
    target = one(text)
    assert (target.value, target.measure) == (value, measure)
    assert type(target.value) is type(value)


@pytest.mark.parametrize(
    ("text", "comparator"),
    [
        ("新增就业90万人以上。", ">="),
        ("招募不少于3000人。", ">="),
        ("至少建设1个工作室。", ">="),
        ("占比不低于30%。", ">="),
        ("规模达到35万人次。", ">="),
        ("占比提高到50%。", ">="),
        ("总量突破71万户。", ">="),
        ("失业率控制在5.5%以内。", "<="),
        ("失业率不超过6%。", "<="),
        ("失业率控制在5.7%左右。", "~"),  # 左右 wins over 控制在
        ("新认证1万个家庭农牧场。", ">="),  # a bare planned quantity
    ],
)
def test_comparators(text, comparator):
    assert one(text).comparator == comparator


def test_text_is_kept_as_printed():
    target = one("到2025年底产业规模突破200亿元。")
    assert target.text == "到2025年底产业规模突破200亿元"
    assert target.indicator == "产业规模"


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("“十五五”期间城镇新增就业90万人以上。", ("2026-01-01", "2030-12-31", "total")),
        ("“十五五”期间，每年组织开展创业培训2万人以上。", ("2026-01-01", "2030-12-31", "year")),
        ("“十五五”期间累计开展培训50万人次以上。", ("2026-01-01", "2030-12-31", "total")),
        ("“十四五”期间新增就业100万人。", ("2021-01-01", "2025-12-31", "total")),
        ("2025年城镇新增就业18万人以上。", ("2025-01-01", "2025-12-31", "year")),
        ("到2025年底产业规模突破200亿元。", (None, "2025-12-31", "total")),
        ("2026—2028年新增岗位3万个。", ("2026-01-01", "2028-12-31", "total")),
        ("“十五五”期间失业率控制在5.7%左右。", ("2026-01-01", "2030-12-31", "year")),
    ],
)
def test_periods(text, period):
    got = one(text).period
    assert (got.from_, got.to, got.per) == period


def test_every_target_in_a_list_shares_the_sentence_period():
    training, loans = extract_targets(
        "“十五五”期间，每年组织开展创业培训2万人以上、发放创业担保贷款10亿元以上。"
    )
    assert (training.indicator, loans.indicator) == ("创业培训", "创业担保贷款")
    assert training.period == loans.period == TargetPeriod("2026-01-01", "2030-12-31", "year")


def test_a_target_without_period_takes_the_plan_horizon():
    horizon = TargetPeriod("2026-01-01", "2030-12-31", "total")
    target = one("普惠性幼儿园覆盖率达到93%以上。", horizon)
    assert target.period == TargetPeriod("2026-01-01", "2030-12-31", "year")
    assert one("建设40个服务中心。").period == TargetPeriod(None, None, "total")


@pytest.mark.parametrize(
    "text",
    [
        "在计算应纳税所得额时减按90%计入收入总额，政策执行至2027年底。",
        "对带动就业3人以上并为其缴纳社会保险一年以上的，再给予2万元一次性创业带动就业补贴。",
        "对正常运营3年以上且带动就业人数未减少的，再给予2万元的创业补贴。",
        "将补贴标准由700元/人提高至不低于1000元/人。",
        "补贴标准提高至不低于最低工资标准的70%，对留用率达到50%以上的单位，补贴标准提高到100%。",
        "对培训后6个月内签订1年及以上劳动合同的，课时基准补贴标准上浮50%。",
        "在现有3万人基础上逐年递增。",
        "高校毕业生在2年择业期内未落实工作的，可以报考。",
        "于4月、7月月初5个工作日内报送。",
    ],
)
def test_policy_parameters_are_not_targets(text):
    assert extract_targets(text) == ()


def test_horizon_of_plan_targets():
    targets = extract_targets("“十五五”期间城镇新增就业90万人以上，城镇调查失业率控制在5.7%左右。")
    assert horizon_of(targets) == TargetPeriod("2026-01-01", "2030-12-31", "total")
    assert horizon_of(()) is None


@given(st.integers(min_value=1, max_value=9999), st.sampled_from(["", "万", "亿"]))
def test_scale_is_multiplied_out(number, scale):
    target = one(f"新增就业{number}{scale}人以上。")
    assert target.value == number * {"": 1, "万": 10_000, "亿": 100_000_000}[scale]
    assert target.text == f"新增就业{number}{scale}人以上"
